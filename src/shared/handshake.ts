/**
 * @module The document_start handshake between the page script (MAIN world) and the content bridge (ISOLATED world).
 * Both run before any page script, in either order (Chromium injects registered scripts in id order, but we do not
 * rely on it). Events on `window` cross the two worlds; no page listener exists yet, so nothing leaks.
 *
 * ```
 * bridge                                         page script
 *   | -- BRIDGE_HELLO nonce ------------------>  |   (dispatched at bridge start, and again on PAGE_HELLO)
 *   | <------------------------------ PAGE_HELLO |   (dispatched at page script start)
 *   | <- PORT (MessageEvent, ports:[p, r]) ----- |   page script made two MessageChannels: p's other end
 *   |                                             |   goes to the worker with the nonce, r carries the page
 *   |                                             |   script's problem reports (never window events)
 *   | <========== p: worker proves the nonce ===> |   the bridge serves keys only after that
 * ```
 * When the worker dies mid-call (the bridge hears no counters for a few seconds), the bridge asks for a new one over
 * the reports port, which only it and the page script hold (never through `window`, which page scripts see):
 * ```
 *   | -- r: BridgeToPage {restart-worker, nonce'} -> |  a fresh nonce, drawn by the bridge for this worker only
 *   |                                                  |  new worker (same Blob URL), new MessageChannel p':
 *   | <- r: PageWorkerPort {worker-port}, ports:[p'] - |  one end to the worker with nonce', the other to the bridge
 *   | <========== p': worker proves nonce' =========> |  then keys as before; at most MAX_WORKER_RESTARTS times
 * ```
 * The nonce makes a port the page could forge later (if the page script never ran) worthless: only the worker that the
 * page script created before any page script ran knows it. The page script hands over its ports first thing, so the
 * bridge stops listening on window at once. In a frame that page script could reach before ours ran (below a
 * same-origin ancestor, or opened by a same-origin page) none of this can be trusted: the bridge serves no keys there.
 */
import * as v from 'valibot';
import { boundedString, messageOf } from './messages/schema';
import { MAX_ORIGIN_INPUT_LENGTH } from './origin';

export const BRIDGE_HELLO = 'framelock:bridge-hello';
export const PAGE_HELLO = 'framelock:page-hello';
export const PORT_EVENT = 'framelock:port';

/** The nonce: 16 random bytes as 32 lower-case hex digits (the bridge draws it, the worker repeats it). */
const NonceSchema = v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/));

/**
 * The detail of the bridge's hello event: the nonce the worker must repeat, as a bare string. Not an object: in
 * Firefox an object made by a content script stays behind its realm's wall, and reading a property of it from the
 * page throws ("Permission denied to access property"); a string crosses as it is, in both browsers.
 */
export const BridgeHelloDetailSchema = NonceSchema;
export type BridgeHelloDetail = v.InferOutput<typeof BridgeHelloDetailSchema>;

/**
 * Whether a bridge hello's detail has the shape the bridge sends. The page script checks it before it builds the
 * worker (whose code it carries itself: nothing in the hello decides what runs there). It runs at document_start,
 * before any page script could have replaced the built-ins the check uses.
 */
export function isBridgeHelloDetail(detail: unknown): detail is BridgeHelloDetail {
  return v.is(BridgeHelloDetailSchema, detail);
}

/** The problems the page script reports over its private port (src/page/main.ts); the bridge accepts no others. */
export const PAGE_REPORTED_PROBLEMS = [
  'no_transform_api',
  'worker_blocked',
  'cross_origin_frame',
  'site_processing_bypassed',
  'encryption_removed',
  'tampering_blocked',
] as const;
export type PageReportedProblem = (typeof PAGE_REPORTED_PROBLEMS)[number];

/**
 * A message of the page script over its reports port, as the bridge checks it (the ports that come with it are the
 * bridge's to count: none with a report, exactly one with `worker-port`):
 * - a problem report: only the problems it reports ({@link PAGE_REPORTED_PROBLEMS}, so a report cannot claim, say,
 *   `unsafe_frame` or `no_room_key`), with the frame's origin (the page script's `URL(...).origin`, which the
 *   background normalises) only for `cross_origin_frame`;
 * - `worker-port`: the page script's answer to {@link BridgeToPage} `restart-worker`: it started a new worker and gave
 *   it the nonce; the bridge's end of that worker's channel travels as the message's only port.
 */
export const PageToBridgeSchema = v.pipe(
  v.custom<object>((value) => !Array.isArray(value)),
  v.union([
    v.variant('problem', [
      v.strictObject({
        problem: v.literal('cross_origin_frame'),
        origin: v.optional(boundedString(MAX_ORIGIN_INPUT_LENGTH)),
      }),
      v.strictObject({ problem: v.picklist(PAGE_REPORTED_PROBLEMS.filter((p) => p !== 'cross_origin_frame')) }),
    ]),
    v.strictObject({ type: v.literal('worker-port') }),
  ]),
);
export type PageToBridge = v.InferOutput<typeof PageToBridgeSchema>;
export type PageReport = Exclude<PageToBridge, { type: 'worker-port' }>;
export type PageWorkerPort = Extract<PageToBridge, { type: 'worker-port' }>;

/**
 * The bridge's requests to the page script, over the reports port (the page never sees them): `restart-worker` asks
 * for a new transform worker, which must repeat `nonce` (32 hex digits, fresh for each worker) to be served keys;
 * `block` closes the page's calls and refuses new ones for the rest of the load (the site is blocked for tampering).
 */
export const BridgeToPageSchema = messageOf([
  v.strictObject({ type: v.literal('restart-worker'), nonce: NonceSchema }),
  v.strictObject({ type: v.literal('block') }),
  /** Not an enabled site's frame (Firefox: another port of its host): new connections are left as they are. */
  v.strictObject({ type: v.literal('stand-aside') }),
]);
export type BridgeToPage = v.InferOutput<typeof BridgeToPageSchema>;

/**
 * How many times per page load a transform worker that stopped is replaced by a new one. Beyond that, its calls stay
 * without media (fail closed) and the user is told to reload: a worker that keeps dying is a bug or an attack, and
 * each new worker runs with new sender KIDs, so nothing is lost by stopping.
 */
export const MAX_WORKER_RESTARTS = 3;
