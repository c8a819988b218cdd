/**
 * The content bridge's document_start hand-off (src/content/handoff.ts) and the unsafe-realm rule
 * (src/content/unsafe-realm.ts) without a browser: a plain `EventTarget` stands for the frame's window, plain objects
 * for windows of another origin. Against a real hostile page: test/browser/hostile.test.ts and patch.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HANDOFF_DEADLINE_MS, REJECTION_REPORT_INTERVAL_MS } from '../../src/content/constants';
import { listenForHandoff } from '../../src/content/handoff';
import { reachableByPage } from '../../src/content/unsafe-realm';
import { BRIDGE_HELLO, PAGE_HELLO, PORT_EVENT } from '../../src/shared/handshake';
import { FakePort, startFakeBridge, useBridgeTimers } from './bridge-fakes';

const NONCE = '0123456789abcdef0123456789abcdef';

function portEvent(ports: unknown[]): Event {
  return Object.assign(new Event(PORT_EVENT), { ports });
}

describe('listenForHandoff', () => {
  it('says hello with the nonce at once and on every page hello, until the first hand-off', () => {
    const target = new EventTarget();
    const hellos: unknown[] = [];
    target.addEventListener(BRIDGE_HELLO, (e) => hellos.push((e as CustomEvent).detail));
    const handoffs: unknown[][] = [];
    listenForHandoff(target, NONCE, (...ports) => handoffs.push(ports));
    target.dispatchEvent(new Event(PAGE_HELLO));
    expect(hellos).toEqual([NONCE, NONCE]);

    target.dispatchEvent(portEvent([])); // no port: not a hand-off, still listening
    const [worker, reports] = [new FakePort(), new FakePort()];
    target.dispatchEvent(portEvent([worker, reports]));
    expect(handoffs).toEqual([[worker, reports]]);

    // After it, nothing on window reaches the bridge: no second hand-off, no more hellos.
    target.dispatchEvent(portEvent([new FakePort(), new FakePort()]));
    target.dispatchEvent(new Event(PAGE_HELLO));
    expect(handoffs).toHaveLength(1);
    expect(hellos).toHaveLength(2);
  });

  it('takes a hand-off without a reports port, and stops listening when the bridge is torn down', () => {
    const target = new EventTarget();
    const handoffs: unknown[][] = [];
    const worker = new FakePort();
    listenForHandoff(target, NONCE, (...ports) => handoffs.push(ports));
    target.dispatchEvent(portEvent([worker]));
    expect(handoffs).toEqual([[worker, undefined]]);

    const teardown = new AbortController();
    const other = new EventTarget();
    listenForHandoff(other, NONCE, (...ports) => handoffs.push(ports), teardown.signal);
    teardown.abort();
    other.dispatchEvent(portEvent([worker]));
    expect(handoffs).toHaveLength(1);
  });
});

describe('the bridge after the hand-off', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('forwards the page script’s problem reports, with a normalised origin, and refuses malformed ones', () => {
    useBridgeTimers();
    const bridge = startFakeBridge();
    bridge.handOff();
    bridge.reports.receive({ problem: 'site_processing_bypassed' });
    expect(bridge.indicator.problems).toBe(0); // reported, but leaves no media unprotected by itself
    bridge.reports.receive({ problem: 'worker_blocked' });
    expect(bridge.indicator.problems).toBe(1); // leaves media unprotected: the status turns to a warning
    bridge.reports.receive({ problem: 'cross_origin_frame', origin: 'HTTPS://Video.Example.com:443' });
    bridge.reports.receive({ problem: 'unsafe_frame' }); // not one the page script reports
    expect(bridge.background.posted.filter((m) => m.type === 'problem')).toEqual([
      { type: 'problem', problem: 'site_processing_bypassed' },
      { type: 'problem', problem: 'worker_blocked' },
      { type: 'problem', problem: 'cross_origin_frame', detail: 'https://video.example.com' },
    ]);
    vi.advanceTimersByTime(REJECTION_REPORT_INTERVAL_MS);
    expect(bridge.background.posted.filter((m) => m.type === 'rejections')).toEqual([
      { type: 'rejections', counts: { page_report_invalid: 1 } },
    ]);
    bridge.teardown.abort();
  });

  it('no hand-off from the page script in time: says so (a warning), once; a hand-off in time: nothing', () => {
    useBridgeTimers();
    const missing = startFakeBridge();
    vi.advanceTimersByTime(HANDOFF_DEADLINE_MS - 1);
    expect(missing.background.posted.filter((m) => m.type === 'problem')).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(missing.background.posted.filter((m) => m.type === 'problem')).toEqual([
      { type: 'problem', problem: 'page_script_missing' },
    ]);
    expect(missing.indicator.problems).toBe(1);
    vi.advanceTimersByTime(10 * HANDOFF_DEADLINE_MS);
    expect(missing.background.posted.filter((m) => m.type === 'problem')).toHaveLength(1);
    missing.teardown.abort();

    const handed = startFakeBridge();
    handed.handOff();
    vi.advanceTimersByTime(10 * HANDOFF_DEADLINE_MS);
    expect(handed.background.posted.filter((m) => m.type === 'problem')).toEqual([]);
    expect(handed.indicator.problems).toBe(0);
    handed.teardown.abort();

    // A bridge torn down before the deadline (the frame went away) says nothing.
    const gone = startFakeBridge();
    gone.teardown.abort();
    vi.advanceTimersByTime(10 * HANDOFF_DEADLINE_MS);
    expect(gone.runtimePorts.flatMap((port) => port.posted).filter((m) => m.type === 'problem')).toEqual([]);
  });

  it('tells a page script that hands off after the site was blocked to close its calls', () => {
    useBridgeTimers();
    const bridge = startFakeBridge();
    bridge.background.send({ type: 'blocked' });
    bridge.handOff();
    expect(bridge.reports.posted).toEqual([{ type: 'block' }]);
    bridge.teardown.abort();
  });
});

/** A window as the isolated world sees it: `document` throws for another origin's. */
interface FakeWindow {
  parent: FakeWindow;
  opener: FakeWindow | null;
  readonly document: object;
}

function fakeWindow(origin: string, parent?: FakeWindow, opener: FakeWindow | null = null): FakeWindow {
  const self = {
    origin,
    opener,
    parent: undefined as unknown as FakeWindow,
    get document(): object {
      if (this.origin !== viewer) throw new DOMException('Blocked a frame', 'SecurityError');
      return {};
    },
  };
  self.parent = parent ?? self;
  return self;
}

/** The origin of the frame whose bridge asks. */
let viewer = '';

function reachable(frame: FakeWindow): boolean {
  return reachableByPage(frame as unknown as Window);
}

describe('reachableByPage (the unsafe-realm rule)', () => {
  const A = 'https://meet.example.org';
  const B = 'https://ads.example.net';

  it('is false for a top-level window nobody opened, and for frames below other origins only', () => {
    viewer = A;
    const top = fakeWindow(A);
    expect(reachable(top)).toBe(false);
    expect(reachable(fakeWindow(A, fakeWindow(B)))).toBe(false);
    expect(reachable(fakeWindow(A, fakeWindow(B, fakeWindow(B))))).toBe(false);
  });

  it('is true below a same-origin ancestor, however far up', () => {
    viewer = A;
    expect(reachable(fakeWindow(A, fakeWindow(A)))).toBe(true);
    expect(reachable(fakeWindow(A, fakeWindow(B, fakeWindow(A))))).toBe(true);
  });

  it('is true for a window opened by a same-origin page, false by another origin', () => {
    viewer = A;
    expect(reachable(fakeWindow(A, undefined, fakeWindow(A)))).toBe(true);
    expect(reachable(fakeWindow(A, undefined, fakeWindow(B)))).toBe(false);
  });
});
