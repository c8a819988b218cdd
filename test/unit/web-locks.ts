/**
 * A stand-in for the Web Locks API (`navigator.locks`, https://w3c.github.io/web-locks/), which the background uses
 * (src/background/locks.ts) and Node 20 lacks. Importing this file installs it, unless the runtime has its own.
 *
 * It does what the background relies on, as the spec says: exclusive locks, granted per name in the order they were
 * requested; the callback runs asynchronously once its lock is granted, gets the lock, and holds it until the promise
 * it returned settles; `request()` settles as that promise does (a callback that throws rejects it and releases the
 * lock). Anything else (shared mode, `ifAvailable`, `steal`, `signal`, `query()`) throws, so a test cannot come to
 * depend on behaviour this stand-in does not have. test/unit/web-locks.test.ts checks it.
 */

type Callback<T> = (lock: { name: string; mode: 'exclusive' }) => T | Promise<T>;

export class LockManagerStandIn {
  /** Per name: settles when the last lock requested so far is released. */
  readonly #tails = new Map<string, Promise<void>>();

  request<T>(name: string, callback: Callback<T>): Promise<T>;
  request<T>(name: string, options: { mode?: 'exclusive' }, callback: Callback<T>): Promise<T>;
  request<T>(name: string, ...args: [Callback<T>] | [Record<string, unknown>, Callback<T>]): Promise<T> {
    const [options, callback] = args.length === 1 ? [{}, args[0]] : args;
    for (const [option, value] of Object.entries(options)) {
      if (option !== 'mode' || value !== 'exclusive') {
        throw new TypeError(`The Web Locks stand-in does not support ${option}: ${String(value)}`);
      }
    }
    const previous = this.#tails.get(name) ?? Promise.resolve();
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => held);
    this.#tails.set(name, tail);
    void tail.then(() => {
      if (this.#tails.get(name) === tail) this.#tails.delete(name);
    });
    return previous.then(async () => {
      try {
        return await callback({ name, mode: 'exclusive' });
      } finally {
        release();
      }
    });
  }
}

const global = globalThis as { navigator?: { locks?: unknown } };
if (global.navigator === undefined) {
  Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
}
if (global.navigator !== undefined && global.navigator.locks === undefined) {
  Object.defineProperty(global.navigator, 'locks', { value: new LockManagerStandIn(), configurable: true });
}
