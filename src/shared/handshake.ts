/**
 * @module The document_start handshake between the page script (MAIN world) and the content bridge (ISOLATED world).
 * Both run before any page script, in either order (Chromium injects registered scripts in id order, but we do not
 * rely on it). Events on `window` cross the two worlds; no page listener exists yet, so nothing leaks.
 *
 * ```
 * bridge                                         page script
 *   | -- BRIDGE_HELLO {workerUrl, nonce} ------>  |   (dispatched at bridge start, and again on PAGE_HELLO)
 *   | <------------------------------ PAGE_HELLO |   (dispatched at page script start)
 *   | <- PORT (MessageEvent, ports:[p, r]) ----- |   page script made two MessageChannels: p's other end
 *   |                                             |   goes to the worker with the nonce, r carries the page
 *   |                                             |   script's problem reports (never window events)
 *   | <========== p: worker proves the nonce ===> |   the bridge serves keys only after that
 * ```
 * The nonce makes a port the page could forge later (if the page script never ran) worthless: only the worker that the
 * page script created before any page script ran knows it. The page script hands over its ports first thing, so the
 * bridge stops listening on window at once. In a frame that page script could reach before ours ran (below a
 * same-origin ancestor, or opened by a same-origin page) none of this can be trusted: the bridge serves no keys there.
 */
export const BRIDGE_HELLO = 'framelock:bridge-hello';
export const PAGE_HELLO = 'framelock:page-hello';
export const PORT_EVENT = 'framelock:port';

export interface BridgeHelloDetail {
  workerUrl: string;
  nonce: string;
}
