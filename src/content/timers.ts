/**
 * @module What the bridge's parts need of time: a clock and timers. They are passed in rather than read from the
 * globals, so that each part runs in a plain unit test on fake time (test/unit/bridge-*.test.ts).
 */

export type TimerHandle = ReturnType<typeof setTimeout>;

export interface Timers {
  /** Milliseconds since the Unix epoch, by this machine's clock (`Date.now`). */
  now(): number;
  setTimeout(run: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  setInterval(run: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle | undefined): void;
}

/**
 * The real clock and timers. Each reads the global when called, not when this module loads, so tests that install
 * fake timers after importing it still get the fakes.
 */
export const systemTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle),
  setInterval: (run, ms) => setInterval(run, ms),
  clearInterval: (handle) => clearInterval(handle),
};
