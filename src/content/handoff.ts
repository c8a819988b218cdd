/**
 * @module The document_start hand-off with the page script (drawn in src/shared/handshake.ts): the bridge says hello
 * with its nonce, answers every page hello with it again, and takes the page script's first `framelock:port` event:
 * the port to the transform worker and the port for the page script's problem reports. Both scripts run before any
 * page script, so the first hand-off is ours; after it the listeners go at once (one `abort()`), and nothing on
 * `window` reaches the bridge any more.
 */
import { BRIDGE_HELLO, type BridgeHelloDetail, PAGE_HELLO, PORT_EVENT } from '../shared/handshake';

/** The ports the page script hands over: the worker's (always) and its reports port (undefined if it sent none). */
export type OnHandoff = (workerPort: MessagePort, reportsPort: MessagePort | undefined) => void;

/**
 * Starts the hand-off on `target` (the frame's `window`). Stops listening at the first hand-off with a port, or when
 * `signal` aborts (the bridge is torn down).
 */
export function listenForHandoff(target: EventTarget, nonce: string, onHandoff: OnHandoff, signal?: AbortSignal): void {
  if (signal?.aborted) return;
  const listening = new AbortController();
  signal?.addEventListener('abort', () => listening.abort(), { once: true });
  // Capturing listeners on window run before any listener the page could add there later.
  const options: AddEventListenerOptions = { capture: true, signal: listening.signal };

  const sayHello = (): void => {
    const detail: BridgeHelloDetail = nonce;
    target.dispatchEvent(new CustomEvent(BRIDGE_HELLO, { detail }));
  };

  /** Only the first hand-off is taken, and the hand-off listeners go at once. */
  const onPort = (event: Event): void => {
    const [port, reports] = (event as MessageEvent).ports ?? [];
    if (port === undefined) return;
    listening.abort();
    onHandoff(port, reports);
  };

  target.addEventListener(PAGE_HELLO, sayHello, options);
  target.addEventListener(PORT_EVENT, onPort, options);
  sayHello();
}
