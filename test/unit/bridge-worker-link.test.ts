/**
 * The content bridge's link to the transform worker (src/content/worker-link.ts, wired by start-bridge.ts) on fakes:
 * the worker is trusted only once it repeats the nonce, silence means it is gone and a new one is asked for with a
 * fresh nonce (at most MAX_WORKER_RESTARTS times), and a check that was itself held back proves no silence. The same
 * rules against a real page and a real worker: test/browser/hostile.test.ts and faults.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { REJECTION_REPORT_INTERVAL_MS, WORKER_CHECK_MS, WORKER_SILENCE_MS } from '../../src/content/constants';
import { MAX_WORKER_RESTARTS } from '../../src/shared/handshake';
import { MAX_CONTROL_MESSAGE_BYTES } from '../../src/shared/messages';
import {
  type BridgeUnderTest,
  epochKeys,
  FakePort,
  keyRequest,
  START_EPOCH,
  settle,
  startFakeBridge,
  transformStats,
  until,
  useBridgeTimers,
} from './bridge-fakes';

let bridge: BridgeUnderTest;

/** A participant id of another call's member. */
const MEMBER = 0x0b0_b000_0002n;

beforeEach(() => {
  useBridgeTimers();
  bridge = startFakeBridge();
});

afterEach(() => {
  bridge.teardown.abort();
  vi.useRealTimers();
});

/** The refusals the bridge reported (it reports them at most every REJECTION_REPORT_INTERVAL_MS). */
function reportedRejections(): Record<string, number> {
  vi.advanceTimersByTime(REJECTION_REPORT_INTERVAL_MS);
  const reports = bridge.background.posted.filter((m) => m.type === 'rejections');
  return Object.assign({}, ...reports.map((m) => m.counts));
}

/**
 * The background sends the keys of the previous and the current epoch; the bridge has taken them once it asks for the
 * next epoch's (nothing else shows it before the worker is trusted).
 */
async function keysTaken(): Promise<void> {
  bridge.background.send(epochKeys('room-a', Date.now(), [START_EPOCH - 1, START_EPOCH]));
  await until(() => bridge.background.posted.some((m) => m.type === 'epoch-keys-request'));
}

/** Our participant id in the call the bridge told `port`'s worker of last. */
function participant(port: FakePort = bridge.worker): bigint {
  const call = port.ofType('call').at(-1);
  if (call === undefined) throw new Error('no call');
  return call.participant as bigint;
}

/** The worker reports counters once (its heartbeat). */
function heartbeat(port: FakePort = bridge.worker): void {
  port.receive({ type: 'stats', stats: [] });
}

describe('worker trust', () => {
  it('refuses and counts a hello with a wrong nonce, and anything before the hello; posts nothing to that worker', async () => {
    bridge.handOff();
    await keysTaken();
    bridge.worker.receive({ type: 'hello', nonce: 'f'.repeat(32) });
    bridge.worker.receive(keyRequest(MEMBER));
    bridge.worker.receive({ type: 'stats', stats: [transformStats({ protected: 3 })] });
    bridge.worker.receive({ type: 'junk' });
    await settle();
    expect(bridge.worker.posted).toEqual([]);
    expect(bridge.indicator.updates).toEqual([]);
    expect(reportedRejections()).toEqual({ worker_unproven: 4 });
  });

  it('serves keys only after the worker repeated the nonce, and then tells it the settings first, then its call', async () => {
    bridge.handOff();
    bridge.background.send({ type: 'settings', strict: true, indicator: true });
    await keysTaken();
    bridge.worker.receive(keyRequest(MEMBER));
    bridge.worker.receive({ type: 'stats', stats: [transformStats({ id: 'send-video-1', side: 'send' })] });
    await settle();
    expect(bridge.worker.posted).toEqual([]);

    bridge.worker.receive({ type: 'hello', nonce: bridge.nonces[0] });
    expect(bridge.worker.posted).toEqual([{ type: 'settings', strict: true }]);
    // Its first key request starts the call: the worker hears its participant id and generation, then its keys.
    bridge.worker.receive(keyRequest(MEMBER));
    await until(() => bridge.worker.ofType('call').length > 0);
    expect(bridge.worker.posted).toEqual([
      { type: 'settings', strict: true },
      { type: 'call', participant: participant() },
      { type: 'generation', current: 0 },
    ]);
    bridge.worker.receive(keyRequest(participant(), 0, { endpoint: 'send-video-1' }));
    await until(() => bridge.worker.ofType('keys').length > 0);
    expect(bridge.worker.ofType('keys')).toMatchObject([
      { type: 'keys', kid: keyRequest(participant()).kid, kind: 'video' },
    ]);
    expect(reportedRejections()).toEqual({ worker_unproven: 2 });
  });

  it('takes the control messages of a trusted worker to its call, and refuses (and counts) malformed ones', async () => {
    bridge.trustWorker();
    await keysTaken();
    bridge.worker.receive({ type: 'stats', stats: [transformStats({ id: 'send-video-1', side: 'send' })] });
    await until(() => bridge.worker.ofType('call').length > 0);
    bridge.worker.receive({ type: 'control-received', bytes: new Uint8Array(0) });
    bridge.worker.receive({ type: 'control-received', bytes: new Uint8Array(MAX_CONTROL_MESSAGE_BYTES + 1) });
    bridge.worker.receive({ type: 'control-received', bytes: [1, 2, 3] });
    bridge.worker.receive({ type: 'control-sent', id: -1 });
    bridge.worker.receive({ type: 'control-sent', id: 1.5 });
    // Well formed, but not sealed under the room's control key: the call refuses it (test/unit/exchange-call.test.ts).
    bridge.worker.receive({ type: 'control-received', bytes: new Uint8Array(100).fill(7) });
    bridge.worker.receive({ type: 'control-sent', id: 1 });
    await settle();
    expect(reportedRejections()).toEqual({ worker_invalid: 5 });
  });

  it('says the hand-off nonce in its hellos, and a second hello of a trusted worker is refused as worker_invalid', () => {
    expect(bridge.hellos).toEqual([bridge.nonces[0]]);
    bridge.trustWorker();
    bridge.worker.receive({ type: 'hello', nonce: bridge.nonces[0] });
    bridge.worker.receive({ type: 'keys-request', kid: 5 });
    expect(reportedRejections()).toEqual({ worker_invalid: 2 });
  });
});

describe('worker liveness', () => {
  it('takes silence as the worker gone: worker_stopped, its port closed, a new worker asked for with a fresh nonce', () => {
    bridge.trustWorker();
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(WORKER_CHECK_MS);
      heartbeat();
    }
    expect(bridge.background.problems()).toEqual([]);

    vi.advanceTimersByTime(WORKER_SILENCE_MS);
    expect(bridge.background.problems()).toEqual(['worker_stopped']);
    expect(bridge.worker.closed).toBe(true);
    expect(bridge.nonces).toHaveLength(2);
    expect(bridge.nonces[1]).not.toBe(bridge.nonces[0]);
    expect(bridge.reports.posted).toEqual([{ type: 'restart-worker', nonce: bridge.nonces[1] }]);
  });

  it('trusts the new worker only with the fresh nonce, tells it the protected receivers first, and reports worker_restarted', () => {
    bridge.trustWorker();
    bridge.worker.receive({ type: 'stats', stats: [transformStats({ id: 'receive-video-7', protected: 9 })] });
    vi.advanceTimersByTime(WORKER_SILENCE_MS);
    const next = new FakePort();
    bridge.reports.receive({ type: 'worker-port' }, [next]);
    next.receive({ type: 'hello', nonce: bridge.nonces[0] }); // the old nonce: refused
    expect(next.posted).toEqual([]);
    next.receive({ type: 'hello', nonce: bridge.nonces[1] });
    expect(next.posted).toEqual([
      { type: 'resume', authenticated: ['receive-video-7'] },
      { type: 'settings', strict: false },
    ]);
    expect(bridge.background.problems()).toEqual(['worker_stopped', 'worker_restarted']);
    expect(reportedRejections()).toMatchObject({ worker_unproven: 1 });
  });

  it('refuses a worker port nobody asked for, and closes it', () => {
    bridge.trustWorker();
    const forged = new FakePort();
    bridge.reports.receive({ type: 'worker-port' }, [forged]);
    expect(forged.closed).toBe(true);
    forged.receive({ type: 'hello', nonce: bridge.nonces[0] });
    expect(forged.posted).toEqual([]);
    expect(reportedRejections()).toEqual({ page_report_invalid: 1 });
  });

  it(`asks for at most ${MAX_WORKER_RESTARTS} new workers, then tells the user once`, () => {
    bridge.trustWorker();
    for (let i = 0; i < MAX_WORKER_RESTARTS + 3; i++) vi.advanceTimersByTime(WORKER_SILENCE_MS);
    expect(bridge.reports.ofType('restart-worker')).toHaveLength(MAX_WORKER_RESTARTS);
    expect(bridge.background.problems()).toEqual(['worker_stopped']);
    expect(bridge.indicator.problems).toBe(1);
  });

  it('does not take a held-back check as silence (a page that blocks its main thread), but later silence still counts', () => {
    bridge.trustWorker();
    vi.advanceTimersByTime(WORKER_CHECK_MS);
    heartbeat();
    // The main thread is blocked for 6 s: neither the check nor the worker's counters run meanwhile.
    vi.setSystemTime(Date.now() + 6_000);
    vi.advanceTimersByTime(WORKER_CHECK_MS);
    expect(bridge.background.problems()).toEqual([]);
    expect(bridge.reports.posted).toEqual([]);

    vi.advanceTimersByTime(WORKER_SILENCE_MS);
    expect(bridge.background.problems()).toEqual(['worker_stopped']);
  });

  it('ignores what a stopped worker still sends, once a new worker is trusted', async () => {
    bridge.trustWorker();
    bridge.background.send(epochKeys());
    await settle();
    const sending = { type: 'stats', stats: [transformStats({ id: 'send-video-1', side: 'send' })] };
    bridge.worker.receive(sending);
    await until(() => bridge.worker.ofType('call').length > 0);
    const stopped = participant();
    vi.advanceTimersByTime(WORKER_SILENCE_MS);
    const next = new FakePort();
    bridge.reports.receive({ type: 'worker-port' }, [next]);
    next.receive({ type: 'hello', nonce: bridge.nonces[1] });
    next.receive(sending);
    await until(() => next.ofType('call').length > 0);
    // The new worker's call is a new one: its senders must not reuse the stopped worker's KIDs.
    expect(participant(next)).not.toBe(stopped);
    // Messages the stopped worker queued before its port was closed.
    bridge.worker.closed = false;
    const before = bridge.worker.posted.length;
    bridge.worker.receive(keyRequest(participant(next), 0, { endpoint: 'send-video-1' }));
    bridge.worker.receive(keyRequest(stopped, 0, { endpoint: 'send-video-1' }));
    bridge.worker.receive({ type: 'stats', stats: [] });
    bridge.worker.receive({ type: 'control-received', bytes: new Uint8Array(100) });
    next.receive(keyRequest(participant(next), 0, { track: 1, endpoint: 'send-video-2' }));
    await until(() => next.ofType('keys').length > 0);
    await settle();
    expect(next.ofType('keys')).toMatchObject([{ kid: keyRequest(participant(next), 0, { track: 1 }).kid }]);
    expect(bridge.worker.posted.length).toBe(before);
    // Nothing of it reached the call either: one call for the new worker, the stopped one's ended at the restart.
    expect(next.ofType('call')).toHaveLength(1);
    expect(bridge.background.posted.filter((m) => m.type === 'call' && m.call === undefined)).toHaveLength(1);
  });
});
