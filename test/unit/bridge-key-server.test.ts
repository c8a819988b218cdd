/**
 * Key serving in the content bridge: the key server on its own (src/content/key-server.ts) over a fake call link
 * (whose sender keys the test holds), then the whole bridge on fakes with a real call (src/content/call-link.ts and
 * src/content/exchange/call.ts): when its call starts, what the worker is told, and what the background's `no-key`,
 * another room and `blocked` take away.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { kidParticipant, makeKid, SUITE_FOR_KIND, senderIdOf } from '../../src/codecs';
import {
  MAX_PENDING_REQUESTS,
  MAX_PRIMED_TRACKS,
  WORKER_CHECK_MS,
  WORKER_SILENCE_MS,
} from '../../src/content/constants';
import { HELLO_INTERVAL_MS, TICK_MS } from '../../src/content/exchange/constants';
import type { Admission } from '../../src/content/key-quota';
import { KeyServer } from '../../src/content/key-server';
import { deriveFrameKeys } from '../../src/sframe';
import { EPOCH_MS } from '../../src/shared/epoch';
import type { BridgeToWorker } from '../../src/shared/messages';
import type { MediaKind } from '../../src/shared/messages/schema';
import {
  type BridgeUnderTest,
  epochKeys,
  keyRequest,
  START_EPOCH,
  sameFrameKeys,
  settle,
  startFakeBridge,
  transformStats,
  until,
  useBridgeTimers,
} from './bridge-fakes';

const E = START_EPOCH;
/** Our participant id in the call, and a member's. */
const OWN = 0x0a1_1ce0_0001n;
const MEMBER = 0x0b0_b000_0002n;

async function baseKey(fill: number): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', new Uint8Array(16).fill(fill), 'HKDF', false, ['deriveBits', 'deriveKey']);
}

/**
 * A key server over a fake call link: `held` are the sender keys its call holds (by participant and generation bits),
 * `participant` our own id (undefined: no call), and `admission` what the quota says of a member's new sender.
 */
function keyServer({ unsafeRealm = false, admission = 'charged' as Admission } = {}) {
  const held = new Map<string, CryptoKey>();
  const call = {
    participant: OWN as bigint | undefined,
    ensure: vi.fn(async () => {}),
    senderKey: vi.fn((participant: bigint, bits: number) => held.get(`${participant}:${bits}`)),
    want: vi.fn<(participant: bigint, bits: number) => void>(),
  };
  const admit = vi.fn((_endpoint: string, _sender: bigint, _kid: bigint): Admission => admission);
  const posted: BridgeToWorker[] = [];
  const server = new KeyServer({ unsafeRealm, call, quota: { admit }, toWorker: (message) => posted.push(message) });
  /** The call holds `participant`'s sender key of `generation` (the base key filled with `fill`). */
  async function hold(participant: bigint, generation: number, fill: number): Promise<CryptoKey> {
    const key = await baseKey(fill);
    held.set(`${participant}:${generation % 16}`, key);
    return key;
  }
  return { server, call, held, hold, admit, posted };
}

const request = (participant: bigint, generation = 0, options: Parameters<typeof keyRequest>[2] = {}) =>
  keyRequest(participant, generation, options);

/** The frame keys posted for `kid`, checked against the ones `base` gives it. */
async function keyedWith(message: BridgeToWorker | undefined, kind: MediaKind, base: CryptoKey): Promise<boolean> {
  if (message?.type !== 'keys') return false;
  return sameFrameKeys(kind, message.kid, message.keys, await deriveFrameKeys(SUITE_FOR_KIND[kind], base, message.kid));
}

describe('KeyServer', () => {
  it("answers our own KIDs and a member's with frame keys of that sender key, after starting the call", async () => {
    const { server, call, hold, posted } = keyServer();
    const own = await hold(OWN, 0, 1);
    const member = await hold(MEMBER, 3, 2);
    await server.answer(request(OWN, 0, { endpoint: 'send-video-1' }));
    await server.answer(request(MEMBER, 3, { track: 2, kind: 'audio' }));
    expect(call.ensure).toHaveBeenCalledTimes(2); // the first key request of a page starts its call
    expect(posted).toMatchObject([
      { type: 'keys', kid: makeKid(0, senderIdOf(OWN, 0)), kind: 'video' },
      { type: 'keys', kid: makeKid(3, senderIdOf(MEMBER, 2)), kind: 'audio' },
    ]);
    expect(await keyedWith(posted[0], 'video', own)).toBe(true);
    expect(await keyedWith(posted[1], 'audio', member)).toBe(true);
    expect(await keyedWith(posted[0], 'video', member)).toBe(false); // the check tells keys apart
    const keys = posted[0]?.type === 'keys' ? posted[0].keys : undefined;
    expect(keys?.key.extractable).toBe(false);
    expect(call.want).not.toHaveBeenCalled();
  });

  it("waits for a member's key it lacks, says the call wants it, and answers when answerPending runs", async () => {
    const { server, call, hold, posted } = keyServer();
    await server.answer(request(MEMBER, 17, { track: 1 }));
    expect(posted).toEqual([]);
    expect(call.want).toHaveBeenCalledWith(MEMBER, 1);
    // Keys came, but not that one: it goes on waiting.
    await hold(MEMBER, 0, 5);
    await server.answerPending();
    expect(posted).toEqual([]);
    const key = await hold(MEMBER, 1, 6);
    await server.answerPending();
    expect(posted).toMatchObject([{ type: 'keys', kid: makeKid(1, senderIdOf(MEMBER, 1)) }]);
    expect(await keyedWith(posted[0], 'video', key)).toBe(true);
    // Answered once: nothing left waiting.
    await server.answerPending();
    expect(posted).toHaveLength(1);
  });

  it('waits for our own next generation without wanting it from anyone, and wants nothing before a call runs', async () => {
    const { server, call, hold, posted } = keyServer();
    await server.answer(request(OWN, 1, { endpoint: 'send-video-1' }));
    expect(call.want).not.toHaveBeenCalled();
    call.participant = undefined; // no call (no epoch keys yet)
    await server.answer(request(MEMBER, 0));
    expect(call.want).not.toHaveBeenCalled();
    expect(posted).toEqual([]);
    call.participant = OWN;
    await hold(OWN, 1, 1);
    await hold(MEMBER, 0, 2);
    await server.answerPending();
    expect(posted.map((m) => m.type === 'keys' && kidParticipant(m.kid))).toEqual([OWN, MEMBER]);
  });

  it('keeps at most MAX_PENDING_REQUESTS waiting, the newest, and answers them in order', async () => {
    const { server, hold, posted } = keyServer();
    const tracks = MAX_PENDING_REQUESTS + 5;
    for (let track = 0; track < tracks; track++) await server.answer(request(MEMBER, 0, { track }));
    await hold(MEMBER, 0, 3);
    await server.answerPending();
    expect(posted.map((m) => m.type === 'keys' && m.kid)).toEqual(
      Array.from({ length: MAX_PENDING_REQUESTS }, (_, i) => makeKid(0, senderIdOf(MEMBER, i + 5))),
    );
  });

  it('never answers with a key retired, or replaced, while it derived, and does not keep the request', async () => {
    const replacement = await baseKey(9); // generation 18: the same bits as 2
    for (const change of ['retired (or the call ended)', 'replaced'] as const) {
      const { server, call, held, hold, posted } = keyServer();
      await hold(MEMBER, 2, 1);
      // The call changes right after the key server looked the key up, while it derives the frame keys.
      call.senderKey.mockImplementationOnce((participant, bits) => {
        const key = held.get(`${participant}:${bits}`);
        if (change === 'replaced') held.set(`${participant}:${bits}`, replacement);
        else held.clear();
        return key;
      });
      await server.answer(request(MEMBER, 2));
      expect(posted, change).toEqual([]);
      // Not kept either: the worker asks again (every REQUEST_RETRY_MS) if it still needs it.
      await server.answerPending();
      expect(posted, change).toEqual([]);
    }
  });

  it("keys a member's known tracks ahead for its new generation (prime), with the endpoints that asked", async () => {
    const { server, hold, admit, posted } = keyServer();
    await hold(MEMBER, 0, 1);
    await hold(OWN, 0, 2);
    await server.answer(request(MEMBER, 0, { track: 0 }));
    await server.answer(request(MEMBER, 0, { track: 3, kind: 'audio' }));
    await server.answer(request(OWN, 0, { endpoint: 'send-video-1' }));
    posted.length = 0;
    admit.mockClear();
    const next = await hold(MEMBER, 1, 3);
    await server.prime(MEMBER, 1);
    expect(posted).toMatchObject([
      { type: 'keys', kid: makeKid(1, senderIdOf(MEMBER, 0)), kind: 'video' },
      { type: 'keys', kid: makeKid(1, senderIdOf(MEMBER, 3)), kind: 'audio' },
    ]);
    expect(await keyedWith(posted[0], 'video', next)).toBe(true);
    expect(admit.mock.calls.map(([endpoint]) => endpoint)).toEqual(['receive-video-1', 'receive-audio-1']);
    // Nothing is known of our own tracks (our senders ask ahead themselves) nor of a stranger.
    posted.length = 0;
    await hold(OWN, 1, 4);
    await server.prime(OWN, 1);
    await server.prime(0x0c0_ffee_0003n, 1);
    expect(posted).toEqual([]);
  });

  it(`primes at most ${MAX_PRIMED_TRACKS} tracks of a member, those keyed last`, async () => {
    const { server, hold, posted } = keyServer();
    await hold(MEMBER, 0, 1);
    for (let track = 0; track < MAX_PRIMED_TRACKS + 2; track++) await server.answer(request(MEMBER, 0, { track }));
    posted.length = 0;
    await hold(MEMBER, 1, 2);
    await server.prime(MEMBER, 1);
    expect(posted.map((m) => m.type === 'keys' && m.kid)).toEqual(
      Array.from({ length: MAX_PRIMED_TRACKS }, (_, i) => makeKid(1, senderIdOf(MEMBER, i + 2))),
    );
  });

  it("refuses as rate a member's sender the quota refuses, never budgets our own, and ignores other KIDs", async () => {
    for (const admission of ['endpoint_limit', 'frame_limit'] as const) {
      const { server, hold, admit, posted } = keyServer({ admission });
      await hold(MEMBER, 0, 1);
      await hold(OWN, 0, 2);
      const { kid } = request(MEMBER, 0);
      await server.answer(request(MEMBER, 0));
      await server.answer(request(OWN, 0, { endpoint: 'send-video-1' }));
      expect(posted).toMatchObject([
        { type: 'keys-refused', kid, kind: 'video', reason: 'rate' },
        { type: 'keys', kid: request(OWN, 0).kid },
      ]);
      expect(admit.mock.calls).toEqual([['receive-video-1', senderIdOf(MEMBER, 0), kid]]);
    }
    const { server, call, hold, posted } = keyServer();
    await hold(MEMBER, 0, 1);
    await server.answer({ ...request(MEMBER, 0), kid: 0x1234n }); // no Framelock marker
    await server.answer({ ...request(MEMBER, 0), kid: request(MEMBER, 0).kid ^ (0x7n << 60n) }); // format v1-v3's
    expect(posted).toEqual([]);
    expect(call.ensure).not.toHaveBeenCalled();
  });

  it('forgets the call on forgetCall: nothing waits, nothing is primed', async () => {
    const { server, hold, posted } = keyServer();
    await hold(MEMBER, 0, 1);
    await server.answer(request(MEMBER, 0));
    await server.answer(request(MEMBER, 5, { track: 1 }));
    posted.length = 0;
    server.forgetCall();
    await hold(MEMBER, 1, 2);
    await hold(MEMBER, 5, 3);
    await server.prime(MEMBER, 1);
    await server.answerPending();
    expect(posted).toEqual([]);
  });

  it('drops the pending requests of a stopped worker', async () => {
    const { server, hold, posted } = keyServer();
    await server.answer(request(MEMBER, 0));
    server.forgetPending();
    await hold(MEMBER, 0, 1);
    await server.answerPending();
    expect(posted).toEqual([]);
  });

  it('serves nothing in an unsafe realm, whatever keys it holds, and starts no call', async () => {
    const { server, call, hold, posted } = keyServer({ unsafeRealm: true });
    await hold(OWN, 0, 1);
    await server.answer(request(OWN, 0, { endpoint: 'send-video-1' }));
    await server.answerPending();
    expect(posted).toEqual([]);
    expect(call.ensure).not.toHaveBeenCalled();
  });
});

describe('the bridge and its call', () => {
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

  /** Our participant id in the call the bridge told the worker of last. */
  function participant(): bigint {
    const call = bridge.worker.ofType('call').at(-1);
    if (call === undefined) throw new Error('no call');
    return call.participant as bigint;
  }

  it('starts its call with the first key request once epoch keys came, and answers our own KIDs', async () => {
    bridge.worker.receive(keyRequest(MEMBER, 0)); // a member's frames come before any key
    await settle();
    expect(bridge.worker.types()).toEqual(['settings']);
    bridge.background.send(epochKeys());
    await until(() => bridge.worker.ofType('call').length > 0);
    expect(bridge.worker.posted).toEqual([
      { type: 'settings', strict: false },
      { type: 'call', participant: participant() },
      { type: 'generation', current: 0 },
    ]);
    // Our sender asks for its KID: track 0 of our participant id, generation 0.
    const own = keyRequest(participant(), 0, { endpoint: 'send-video-1' });
    bridge.worker.receive(own);
    await until(() => bridge.worker.ofType('keys').length > 0);
    expect(bridge.worker.ofType('keys')).toMatchObject([{ type: 'keys', kid: own.kid, kind: 'video' }]);
    // The member's key never came (no member was heard): nothing for it.
    expect(bridge.worker.ofType('keys')).toHaveLength(1);
    // The call is the frame's: the background hears of it (the popup shows our fingerprint).
    vi.advanceTimersByTime(1);
    await until(() => bridge.background.posted.some((m) => m.type === 'call'));
    expect(bridge.background.posted.find((m) => m.type === 'call')).toMatchObject({
      call: { sending: false, members: [], you: expect.any(String) },
    });
  });

  it('starts its call with the first counters of a transform, and keeps it across an epoch boundary', async () => {
    bridge.background.send(epochKeys());
    await settle();
    bridge.worker.receive({ type: 'stats', stats: [] }); // no transform: no call
    await settle();
    expect(bridge.worker.ofType('call')).toEqual([]);
    const stats = { type: 'stats', stats: [transformStats({ id: 'send-video-1', side: 'send' })] };
    bridge.worker.receive(stats);
    await until(() => bridge.worker.ofType('call').length > 0);
    // A whole epoch, the worker reporting every second: the epoch moves on, the call does not, and the worker hears
    // of no epoch (epochs key only the exchange's messages).
    for (let t = 0; t < EPOCH_MS; t += WORKER_CHECK_MS) {
      vi.advanceTimersByTime(WORKER_CHECK_MS);
      bridge.worker.receive(stats);
    }
    await settle();
    expect(bridge.worker.ofType('call')).toHaveLength(1);
    expect(bridge.worker.ofType('epoch')).toEqual([]);
    expect(bridge.background.posted.filter((m) => m.type === 'epoch-keys-request')).toEqual([
      { type: 'epoch-keys-request', epochs: [E + 2] },
    ]);
    // Alone in its call, it goes on saying hello, now sealed under the new epoch's control key (its first byte).
    const before = bridge.worker.ofType('control-send').length;
    const sent = () => bridge.worker.ofType('control-send').length > before;
    for (let t = 0; t <= 2 * HELLO_INTERVAL_MS && !sent(); t += TICK_MS) {
      vi.advanceTimersByTime(TICK_MS);
      await settle();
    }
    await until(sent); // the sealing, in real time
    const hellos = bridge.worker.ofType('control-send').slice(before);
    for (const { bytes } of hellos) expect((bytes as Uint8Array)[0]).toBe((E + 1) % 256);
  });

  it("asks for a missing epoch's key at most once per retry period", async () => {
    for (let i = 0; i < 5; i++) bridge.background.send(epochKeys('room-a', Date.now(), [E]));
    await settle();
    expect(bridge.background.posted.filter((m) => m.type === 'epoch-keys-request')).toEqual([
      { type: 'epoch-keys-request', epochs: [E - 1, E + 1] },
    ]);
  });

  it('on no-key and on a new room: the call ends, the worker is told, and old requests get nothing', async () => {
    bridge.background.send(epochKeys('room-a'));
    await settle(); // the keys are imported
    bridge.worker.receive({ type: 'stats', stats: [transformStats({ id: 'send-video-1', side: 'send' })] });
    await until(() => bridge.worker.ofType('call').length > 0);
    const first = participant();
    bridge.background.send({ type: 'no-key' });
    await until(() => bridge.worker.ofType('no-key').length > 0);
    expect(bridge.background.posted.filter((m) => m.type === 'call')).toEqual([{ type: 'call' }]); // it ended
    bridge.worker.receive(keyRequest(first, 0, { endpoint: 'send-video-1' }));
    await settle();
    expect(bridge.worker.ofType('keys')).toEqual([]);
    expect(bridge.worker.ofType('call')).toHaveLength(1); // no keys, no call

    // Keys of another room: a new call, under a new participant id; the old call's KIDs are keyed by nobody.
    bridge.background.send(epochKeys('room-b'));
    await until(() => bridge.worker.ofType('call').length > 1);
    expect(participant()).not.toBe(first);
    await settle();
    expect(bridge.worker.ofType('keys')).toEqual([]);
    bridge.background.send(epochKeys('room-c'));
    await until(() => bridge.worker.ofType('no-key').length > 1);
    expect(bridge.background.posted.filter((m) => m.type === 'call')).toEqual([{ type: 'call' }, { type: 'call' }]);
  });

  it('on blocked: ends the call, forgets the keys, tells the page script to close its calls, and takes no key again', async () => {
    bridge.background.send(epochKeys());
    await settle();
    bridge.worker.receive({ type: 'stats', stats: [transformStats({ id: 'send-video-1', side: 'send' })] });
    await until(() => bridge.worker.ofType('call').length > 0);
    const own = keyRequest(participant(), 0, { endpoint: 'send-video-1' });
    bridge.background.send({ type: 'blocked' });
    expect(bridge.worker.ofType('no-key')).toHaveLength(1);
    expect(bridge.reports.posted).toEqual([{ type: 'block' }]);
    expect(bridge.background.posted.filter((m) => m.type === 'call')).toEqual([{ type: 'call' }]);
    bridge.background.send(epochKeys());
    bridge.worker.receive(own);
    bridge.worker.receive({ type: 'stats', stats: [transformStats({ id: 'send-video-1', side: 'send' })] });
    await settle();
    expect(bridge.worker.ofType('keys')).toEqual([]);
    expect(bridge.worker.ofType('call')).toHaveLength(1);
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
    bridge.worker.receive(keyRequest(MEMBER, 0));
    bridge.reports.receive({ problem: 'worker_blocked' });
    await settle();
    expect(bridge.worker.posted).toEqual([]);
    expect(bridge.indicator.enabled).toEqual([]);
    expect(bridge.background.problems()).toEqual(['unsafe_frame']);
    expect(bridge.background.posted.filter((m) => m.type === 'epoch-keys-request')).toEqual([]);
  });

  it('reports unsafe_frame_call once a call runs there, starts none itself, and asks for no new worker', async () => {
    bridge.trustWorker();
    const call = {
      type: 'stats',
      stats: [transformStats({ id: 'send-video-1', side: 'send', protected: 1, status: 'encrypted' })],
    };
    bridge.worker.receive(call);
    bridge.worker.receive(call);
    await settle();
    vi.advanceTimersByTime(10 * WORKER_SILENCE_MS);
    expect(bridge.background.problems()).toEqual(['unsafe_frame', 'unsafe_frame_call', 'worker_stopped']);
    expect(bridge.background.posted.filter((m) => m.type === 'call')).toEqual([]);
    expect(bridge.reports.posted).toEqual([]);
  });
});
