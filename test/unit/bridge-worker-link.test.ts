/**
 * The content bridge's link to the transform worker (src/content/worker-link.ts, wired by start-bridge.ts) on fakes:
 * the worker is trusted only once it repeats the nonce, silence means it is gone and a new one is asked for with a
 * fresh nonce (at most MAX_WORKER_RESTARTS times), and a check that was itself held back proves no silence. The same
 * rules against a real page and a real worker: test/browser/hostile.test.ts and faults.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { REJECTION_REPORT_INTERVAL_MS, WORKER_CHECK_MS, WORKER_SILENCE_MS } from '../../src/content/constants';
import { MAX_WORKER_RESTARTS } from '../../src/shared/handshake';
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

/** The worker reports counters once (its heartbeat). */
function heartbeat(port: FakePort = bridge.worker): void {
  port.receive({ type: 'stats', stats: [] });
}

describe('worker trust', () => {
  it('refuses and counts a hello with a wrong nonce, and anything before the hello; posts nothing to that worker', async () => {
    bridge.handOff();
    await keysTaken();
    bridge.worker.receive({ type: 'hello', nonce: 'f'.repeat(32) });
    bridge.worker.receive(keyRequest(START_EPOCH));
    bridge.worker.receive({ type: 'stats', stats: [transformStats({ protected: 3 })] });
    bridge.worker.receive({ type: 'junk' });
    await settle();
    expect(bridge.worker.posted).toEqual([]);
    expect(bridge.indicator.updates).toEqual([]);
    expect(reportedRejections()).toEqual({ worker_unproven: 4 });
  });

  it('serves keys only after the worker repeated the nonce, and then tells it the settings and the epoch first', async () => {
    bridge.handOff();
    bridge.background.send({ type: 'settings', strict: true, indicator: true });
    await keysTaken();
    bridge.worker.receive(keyRequest(START_EPOCH));
    await settle();
    expect(bridge.worker.posted).toEqual([]);

    bridge.worker.receive({ type: 'hello', nonce: bridge.nonces[0] });
    expect(bridge.worker.posted).toEqual([
      { type: 'settings', strict: true },
      { type: 'epoch', epoch: START_EPOCH },
    ]);
    bridge.worker.receive(keyRequest(START_EPOCH));
    await until(() => bridge.worker.ofType('keys').length > 0);
    expect(bridge.worker.ofType('keys')).toMatchObject([{ type: 'keys', epoch: START_EPOCH, kind: 'video' }]);
    expect(reportedRejections()).toEqual({ worker_unproven: 1 });
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
    await until(() => bridge.worker.ofType('epoch').length > 0);
    vi.advanceTimersByTime(WORKER_SILENCE_MS);
    const next = new FakePort();
    bridge.reports.receive({ type: 'worker-port' }, [next]);
    next.receive({ type: 'hello', nonce: bridge.nonces[1] });
    // Messages the stopped worker queued before its port was closed.
    bridge.worker.closed = false;
    bridge.worker.receive(keyRequest(START_EPOCH, 0x1111n));
    next.receive(keyRequest(START_EPOCH, 0x2222n));
    await until(() => next.ofType('keys').length > 0);
    await settle();
    expect(next.ofType('keys')).toMatchObject([{ kid: keyRequest(START_EPOCH, 0x2222n).kid }]);
  });
});
