/**
 * @module Extension event listeners with AbortSignal teardown, as window and document listeners have (`{ signal }`):
 * whoever adds listeners passes one signal, and one `abort()` removes them all (an effect's cleanup, a page closing).
 */

/** The shape of `browser.*.onX` events (webextension-polyfill's `Events.Event`). */
interface ExtensionEvent<Listener> {
  addListener(listener: Listener): void;
  removeListener(listener: Listener): void;
}

/** Adds `listener` to `event` until `signal` aborts (an aborted signal adds nothing). */
export function listen<Listener>(event: ExtensionEvent<Listener>, listener: Listener, signal: AbortSignal): void {
  if (signal.aborted) return;
  event.addListener(listener);
  signal.addEventListener('abort', () => event.removeListener(listener), { once: true });
}
