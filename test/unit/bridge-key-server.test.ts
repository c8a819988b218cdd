/**
 * Key serving in the content bridge: the key server on its own (src/content/key-server.ts: epochs, pending requests,
 * a room change mid-derivation), then the whole bridge on fakes across epoch boundaries (src/content/epoch-schedule.ts)
 * and what the background's `no-key` and `blocked` take away.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeKid } from '../../src/codecs';
import { MAX_PENDING_REQUESTS, WORKER_CHECK_MS, WORKER_SILENCE_MS } from '../../src/content/constants';
import type { Admission } from '../../src/content/key-quota';
import { KeyServer } from '../../src/content/key-server';
import type { KeyRequest } from '../../src/content/worker-link';
import { EPOCH_MS } from '../../src/shared/epoch';
import type { BridgeToWorker } from '../../src/shared/messages';
import {
  type BridgeUnderTest,
  epochKeys,
  keyRequest,
  START_EPOCH,
  settle,
  startFakeBridge,
  transformStats,
  until,
  useBridgeTimers,
} from './bridge-fakes';

const E = START_EPOCH;

async function baseKey(fill: number): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', new Uint8Array(16).fill(fill), 'HKDF', false, ['deriveBits', 'deriveKey']);
}

/** A key server over a fake schedule: `epochs` and `keys` are the test's to change. */
async function keyServer({ unsafeRealm = false, admission = 'charged' as Admission } = {}) {
  const keys = new Map<number, CryptoKey>([
    [E - 1, await baseKey(1)],
    [E, await baseKey(2)],
    [E + 1, await baseKey(3)],
  ]);
  const epochs = {
    room: 'room-a' as string | undefined,
    epoch: E as number | undefined,
    keyOf: (epoch: number) => keys.get(epoch),
    requestKeys: vi.fn<(epochs: number[]) => void>(),
  };
  const posted: BridgeToWorker[] = [];
  const server = new KeyServer({
    unsafeRealm,
    epochs,
    quota: { admit: () => admission },
    toWorker: (message) => posted.push(message),
  });
  return { server, epochs, keys, posted };
}

const request = (epoch: number, sender = 0x1234n) => keyRequest(epoch, sender) as KeyRequest;

describe('KeyServer', () => {
  it('answers a KID of each epoch in the window with frame keys of that epoch', async () => {
    const { server, posted } = await keyServer();
    for (const epoch of [E - 1, E, E + 1]) await server.answer(request(epoch));
    expect(posted.map((m) => m.type === 'keys' && m.epoch)).toEqual([E - 1, E, E + 1]);
    const keys = posted[0]?.type === 'keys' ? posted[0].keys : undefined;
    expect(keys?.key.extractable).toBe(false);
  });

  it.each([
    [3, E + 3],
    [-2, E - 2],
    [7, E + 7],
  ])('refuses a KID %i epochs away (outside the window), with its distance', async (distance, epoch) => {
    const { server, posted } = await keyServer();
    const { kid } = request(epoch);
    await server.answer(request(epoch));
    expect(posted).toEqual([{ type: 'keys-refused', kid, kind: 'video', reason: 'epoch', distance }]);
  });

  it('hands out nothing when the room changed while it derived', async () => {
    const { server, epochs, posted } = await keyServer();
    const answering = server.answer(request(E));
    epochs.room = 'room-b'; // the background sent another room's keys meanwhile
    await answering;
    expect(posted).toEqual([]);
    await server.answer(request(E));
    expect(posted.map((m) => m.type)).toEqual(['keys']);
  });

  it('keeps requests until the keys come (at most MAX_PENDING_REQUESTS), then answers them in order', async () => {
    const { server, epochs, posted } = await keyServer();
    epochs.epoch = undefined; // no keys yet
    for (let sender = 1n; sender <= BigInt(MAX_PENDING_REQUESTS + 5); sender++) await server.answer(request(E, sender));
    expect(posted).toEqual([]);
    epochs.epoch = E;
    await server.answerPending();
    expect(posted).toHaveLength(MAX_PENDING_REQUESTS);
    expect(posted.map((m) => m.type === 'keys' && m.kid)).toEqual(
      Array.from({ length: MAX_PENDING_REQUESTS }, (_, i) => makeKid(E % 16, BigInt(i + 1))),
    );
    await server.answerPending();
    expect(posted).toHaveLength(MAX_PENDING_REQUESTS);
  });

  it("asks for an epoch's key it lacks, and answers when it comes", async () => {
    const { server, epochs, keys, posted } = await keyServer();
    const next = keys.get(E + 1);
    keys.delete(E + 1);
    await server.answer(request(E + 1));
    expect(epochs.requestKeys).toHaveBeenCalledWith([E + 1]);
    expect(posted).toEqual([]);
    keys.set(E + 1, next as CryptoKey);
    await server.answerPending();
    expect(posted).toMatchObject([{ type: 'keys', epoch: E + 1 }]);
  });

  it('drops the pending requests of a stopped worker', async () => {
    const { server, epochs, posted } = await keyServer();
    epochs.epoch = undefined;
    await server.answer(request(E));
    server.forgetPending();
    epochs.epoch = E;
    await server.answerPending();
    expect(posted).toEqual([]);
  });

  it('refuses as rate what the quota refuses, and ignores KIDs without the Framelock marker', async () => {
    for (const admission of ['endpoint_limit', 'frame_limit'] as const) {
      const { server, posted } = await keyServer({ admission });
      await server.answer(request(E));
      expect(posted).toEqual([{ type: 'keys-refused', kid: request(E).kid, kind: 'video', reason: 'rate' }]);
    }
    const { server, posted } = await keyServer();
    await server.answer({ ...request(E), kid: 0x1234n });
    expect(posted).toEqual([]);
  });

  it('serves nothing in an unsafe realm, whatever keys it holds', async () => {
    const { server, posted } = await keyServer({ unsafeRealm: true });
    await server.answer(request(E));
    await server.answerPending();
    expect(posted).toEqual([]);
  });
});

describe('the bridge across epochs', () => {
  let bridge: BridgeUnderTest;

  beforeEach(() => {
    useBridgeTimers();
    bridge = startFakeBridge();
    bridge.trustWorker();
  });

  afterEach(() => {
    bridge.teardown.abort();
    vi.useRealTimers();
  });

  it("answers requests that came before any key once the keys come, and follows the background's clock", async () => {
    bridge.worker.receive(keyRequest(E + 3));
    // The background's clock is 3 epochs ahead of ours: the bridge follows it.
    bridge.background.send(epochKeys('room-a', Date.now() + 3 * EPOCH_MS));
    await until(() => bridge.worker.ofType('keys').length > 0);
    expect(bridge.worker.posted).toMatchObject([
      { type: 'settings' },
      { type: 'epoch', epoch: E + 3 },
      { type: 'keys', epoch: E + 3 },
    ]);
  });

  it('moves to the next epoch at the boundary: tells the worker, drops the old key, asks for the new one', async () => {
    bridge.background.send(epochKeys());
    await until(() => bridge.worker.ofType('epoch').length > 0);
    expect(bridge.background.posted.filter((m) => m.type === 'epoch-keys-request')).toEqual([]);

    // A whole epoch, the worker reporting every second as it does (silence would stop it).
    for (let t = 0; t < EPOCH_MS; t += WORKER_CHECK_MS) {
      vi.advanceTimersByTime(WORKER_CHECK_MS);
      bridge.worker.receive({ type: 'stats', stats: [] });
    }
    expect(bridge.worker.ofType('epoch')).toEqual([
      { type: 'epoch', epoch: E },
      { type: 'epoch', epoch: E + 1 },
    ]);
    expect(bridge.background.posted.filter((m) => m.type === 'epoch-keys-request')).toEqual([
      { type: 'epoch-keys-request', epochs: [E + 2] },
    ]);

    // E - 1 fell out of the window; E + 2's key has not come: that request waits for it.
    bridge.worker.receive(keyRequest(E - 1));
    bridge.worker.receive(keyRequest(E + 2));
    await until(() => bridge.worker.ofType('keys-refused').length > 0);
    expect(bridge.worker.ofType('keys-refused')).toMatchObject([{ reason: 'epoch', distance: -2 }]);
    await settle();
    expect(bridge.worker.ofType('keys')).toEqual([]);
    bridge.background.send(epochKeys('room-a', Date.now(), [E, E + 1, E + 2]));
    await until(() => bridge.worker.ofType('keys').length > 0);
    expect(bridge.worker.ofType('keys')).toMatchObject([{ epoch: E + 2 }]);
  });

  it("asks for a missing epoch's key at most once per retry period", async () => {
    bridge.background.send(epochKeys('room-a', Date.now(), [E]));
    await until(() => bridge.worker.ofType('epoch').length > 0);
    for (let i = 0; i < 5; i++) bridge.worker.receive(keyRequest(E + 1, BigInt(i + 1)));
    await settle();
    expect(bridge.background.posted.filter((m) => m.type === 'epoch-keys-request')).toEqual([
      { type: 'epoch-keys-request', epochs: [E - 1, E + 1] },
    ]);
  });

  it('forgets every key on no-key and on a new room: the worker is told, and old requests get nothing', async () => {
    bridge.background.send(epochKeys('room-a'));
    await until(() => bridge.worker.ofType('epoch').length > 0);
    bridge.background.send({ type: 'no-key' });
    await until(() => bridge.worker.ofType('no-key').length > 0);
    bridge.worker.receive(keyRequest(E));
    await settle();
    expect(bridge.worker.ofType('keys')).toEqual([]);

    bridge.background.send(epochKeys('room-b'));
    await until(() => bridge.worker.ofType('keys').length > 0);
    bridge.background.send(epochKeys('room-c'));
    await until(() => bridge.worker.ofType('no-key').length > 1);
  });

  it('on blocked: forgets the keys, tells the page script to close its calls, and takes no key again', async () => {
    bridge.background.send(epochKeys());
    await until(() => bridge.worker.ofType('epoch').length > 0);
    bridge.background.send({ type: 'blocked' });
    expect(bridge.worker.ofType('no-key')).toHaveLength(1);
    expect(bridge.reports.posted).toEqual([{ type: 'block' }]);
    bridge.background.send(epochKeys());
    bridge.worker.receive(keyRequest(E));
    await settle();
    expect(bridge.worker.ofType('keys')).toEqual([]);
  });
});

describe('the bridge in an unsafe realm', () => {
  let bridge: BridgeUnderTest;

  beforeEach(() => {
    useBridgeTimers();
    bridge = startFakeBridge({ unsafeRealm: true });
  });

  afterEach(() => {
    bridge.teardown.abort();
    vi.useRealTimers();
  });

  it('reports unsafe_frame, takes no key, posts nothing to its worker and ignores its page reports', async () => {
    expect(bridge.background.problems()).toEqual(['unsafe_frame']);
    bridge.trustWorker();
    bridge.background.send({ type: 'settings', strict: true, indicator: true });
    bridge.background.send(epochKeys());
    bridge.worker.receive(keyRequest(E));
    bridge.reports.receive({ problem: 'worker_blocked' });
    await settle();
    expect(bridge.worker.posted).toEqual([]);
    expect(bridge.indicator.enabled).toEqual([]);
    expect(bridge.background.problems()).toEqual(['unsafe_frame']);
    expect(bridge.background.posted.filter((m) => m.type === 'epoch-keys-request')).toEqual([]);
  });

  it('reports unsafe_frame_call once a call runs there, and asks for no new worker', () => {
    bridge.trustWorker();
    const call = {
      type: 'stats',
      stats: [transformStats({ id: 'send-video-1', side: 'send', protected: 1, status: 'encrypted' })],
    };
    bridge.worker.receive(call);
    bridge.worker.receive(call);
    vi.advanceTimersByTime(10 * WORKER_SILENCE_MS);
    expect(bridge.background.problems()).toEqual(['unsafe_frame', 'unsafe_frame_call', 'worker_stopped']);
    expect(bridge.reports.posted).toEqual([]);
  });
});
