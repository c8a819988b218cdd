/**
 * The content bridge's runtime port to the background (src/content/background-link.ts) on fake timers: it reconnects
 * after the background's service worker stopped, backing off to a minute, back to the shortest delay once the
 * background speaks again; a removed extension is not retried. The real service worker restart:
 * test/browser/service-worker.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { BackgroundLink } from '../../src/content/background-link';
import { MAX_RECONNECT_MS, RECONNECT_MS } from '../../src/content/constants';
import type { Timers } from '../../src/content/timers';
import { FakeRuntimePort } from './bridge-fakes';

/** Timers by hand: what was scheduled, and a way to run it. */
function manualTimers() {
  const scheduled: { run: () => void; ms: number }[] = [];
  const timers: Timers = {
    now: () => 0,
    setTimeout: (run, ms) => {
      scheduled.push({ run, ms });
      return scheduled.length as unknown as ReturnType<Timers['setTimeout']>;
    },
    clearTimeout: () => {},
    setInterval: () => {
      throw new Error('not used');
    },
    clearInterval: () => {},
  };
  return { timers, scheduled, runNext: () => scheduled.shift()?.run() };
}

function link({ fail = (): boolean => false } = {}) {
  const { timers, scheduled, runNext } = manualTimers();
  const ports: FakeRuntimePort[] = [];
  const messages: unknown[] = [];
  let connects = 0;
  const teardown = new AbortController();
  const background = new BackgroundLink({
    timers,
    signal: teardown.signal,
    connect: () => {
      if (fail()) throw new Error('Extension context invalidated.');
      const port = new FakeRuntimePort();
      ports.push(port);
      return port;
    },
    onMessage: (message) => messages.push(message),
    onConnect: () => connects++,
  });
  background.connect();
  return { background, ports, messages, scheduled, runNext, teardown, connects: () => connects };
}

describe('BackgroundLink', () => {
  it('reconnects after a disconnect, doubling the delay up to a minute', () => {
    const { ports, scheduled, runNext, connects } = link();
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      ports.at(-1)?.drop();
      delays.push(scheduled[0]?.ms ?? Number.NaN);
      runNext();
    }
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(delays[0]).toBe(RECONNECT_MS);
    expect(delays.at(-1)).toBe(MAX_RECONNECT_MS);
    expect(ports).toHaveLength(11);
    expect(connects()).toBe(11); // what the background must hear at once is said on every port
  });

  it('starts over from the shortest delay once the background speaks', () => {
    const { ports, scheduled, runNext, messages } = link();
    for (let i = 0; i < 3; i++) {
      ports.at(-1)?.drop();
      runNext();
    }
    ports.at(-1)?.send({ type: 'no-key' });
    expect(messages).toEqual([{ type: 'no-key' }]);
    ports.at(-1)?.drop();
    expect(scheduled[0]?.ms).toBe(RECONNECT_MS);
  });

  it('posts to the current port only, and drops what it cannot post', () => {
    const { background, ports } = link();
    background.post({ type: 'problem', problem: 'unsafe_frame' });
    ports[0]?.drop();
    background.post({ type: 'problem', problem: 'worker_stopped' }); // disconnected: nowhere to go
    expect(ports[0]?.posted).toEqual([{ type: 'problem', problem: 'unsafe_frame' }]);
    const throwing = ports[0] as FakeRuntimePort;
    throwing.postMessage = () => {
      throw new Error('Attempting to use a disconnected port object');
    };
    expect(() => background.post({ type: 'problem', problem: 'worker_stopped' })).not.toThrow();
  });

  it('does not retry when the extension is gone (connect throws)', () => {
    let gone = false;
    const { ports, scheduled, runNext, connects } = link({ fail: () => gone });
    gone = true;
    ports[0]?.drop();
    runNext();
    expect(scheduled).toEqual([]);
    expect(connects()).toBe(1);
  });

  it('disconnects and stops reconnecting when torn down', () => {
    const { ports, scheduled, teardown } = link();
    teardown.abort();
    expect(ports[0]?.disconnected).toBe(true);
    expect(scheduled).toEqual([]);
  });
});
