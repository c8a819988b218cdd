/**
 * @module Page script (MAIN world, document_start, every frame of an enabled site). It runs before any page script: it saves
 * the built-ins it needs, makes the transform worker, hands the bridge a private channel to that worker, and patches
 * RTCPeerConnection. It never touches a key and never awaits (DESIGN.md §2).
 */
import {
  BRIDGE_HELLO,
  type BridgeHelloDetail,
  isBridgeHelloDetail,
  MAX_WORKER_RESTARTS,
  PAGE_HELLO,
  type PageReport,
  type PageReportedProblem,
  type PageWorkerPort,
  PORT_EVENT,
} from '../shared/handshake';
import { REMOVALS_BEFORE_BLOCK } from './constants';
import { natives as N } from './natives';
import { installBlock, installPatch, type Patch } from './patch';
import { type PortDataLink, portDataLink } from './port-data-link';

const { apply } = N;
/**
 * The transform worker's code (src/worker/transform.ts, bundled by scripts/injected-scripts.ts). It travels inside this
 * script, which the browser injects from the extension package: no request of the page's origin carries it, so the
 * site's service worker, network stack and CSP cannot see or replace it (as they could an `importScripts` of ours).
 */
declare const __FRAMELOCK_WORKER_SOURCE__: string;

/** Marks this realm as patched, so a second injection (e.g. re-registration) changes nothing. */
const INSTALLED = Symbol.for('framelock.page');
/** Why new connections throw on a site blocked for that (the bridge asks for the block at the start of each load). */
const BLOCKED_SITE =
  'Framelock: this site removed end-to-end encryption from its calls, so they are blocked until you allow them again in Framelock.';

/** The private port to the bridge for problem reports, handed over with the worker's (the page cannot forge them). */
let reports: MessagePort | undefined;
/** The site's data-channel messages go to the bridge over `reports` to be sealed and opened (port-data-link.ts). */
let dataLink: PortDataLink | undefined;

function problem(what: PageReportedProblem, origin?: string): void {
  if (reports !== undefined && N.portPostMessage !== undefined) {
    const report: PageReport = origin === undefined ? { problem: what } : { problem: what, origin };
    apply(N.portPostMessage, reports, [report]);
  }
}

/** Tells the user (through the bridge) and makes new connections fail rather than carry media in clear. */
function failClosed(what: PageReportedProblem, why: string): void {
  problem(what);
  installBlock(`Framelock: calls on this site cannot be end-to-end encrypted (${why}), so they are blocked.`);
}

/**
 * A call in a cross-origin iframe runs in another origin, which has its own enablement: if that origin is not
 * enabled, nothing protects it. Frames that are allowed the camera or microphone are the ones that can hold a call:
 * report their origin so the user learns which site to enable too. (The page can hide such frames from this check;
 * the frame's own peers would still flag its unencrypted media.)
 */
function watchCallFrames(): void {
  const { MutationObserver: Observer, iframeSrc, getAttribute } = N;
  if (Observer === undefined || iframeSrc === undefined) return;
  const srcOf: () => unknown = iframeSrc;
  const reported = new Set<string>();
  const check = (element: Element) => {
    if (element.tagName !== 'IFRAME') return;
    const allow = String(apply(getAttribute, element, ['allow']) ?? '');
    if (!/\b(camera|microphone|display-capture)\b/.test(allow)) return;
    let origin: string;
    try {
      origin = new URL(String(apply(srcOf, element, [])), location.href).origin;
    } catch {
      return;
    }
    if (origin === 'null' || origin === location.origin || reported.has(origin)) return;
    reported.add(origin);
    problem('cross_origin_frame', origin);
  };
  const observer = new Observer((records) => {
    for (let i = 0; i < records.length; i++) {
      const record = records[i] as MutationRecord;
      if (record.type === 'attributes') check(record.target as Element);
      for (let j = 0; j < record.addedNodes.length; j++) {
        const node = record.addedNodes[j];
        if (node instanceof Element) {
          check(node);
          const nested = node.getElementsByTagName('iframe');
          for (let k = 0; k < nested.length; k++) check(nested[k] as Element);
        }
      }
    }
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['src', 'allow'] });
}

/**
 * What it takes to start a transform worker, made at document_start: later the page may have replaced the built-ins
 * that build it (JSON.stringify, array iteration inside `new Blob([...])`, Object.prototype getters read by `new
 * Worker`'s options), and a Blob whose content the page chose would get the bridge's fresh nonce.
 */
interface WorkerRecipe {
  /** The Blob URL of the worker's code (never revoked: every new worker starts from it). */
  url: string;
  /** `{ name: 'framelock' }` without a prototype: reading its absent fields asks nothing of the page. */
  options: WorkerOptions;
}

/** The running worker, and what a new one needs, once begin() made the first. */
let running: { worker: Worker; recipe: WorkerRecipe; patch: Patch } | undefined;
let restarts = 0;

/**
 * Makes a worker from `recipe` and gives it `keysPort` with `nonce` (throws if the site's CSP forbids blob: workers).
 * A worker that fails to start reports `worker_blocked`; its transforms then carry no media.
 */
function startWorker(recipe: WorkerRecipe, keysPort: MessagePort, nonce: string, replacing = false): Worker {
  const { Worker: NativeWorker, workerPostMessage } = N;
  if (NativeWorker === undefined || workerPostMessage === undefined)
    throw new N.DOMException('no Worker', 'NotSupportedError');
  const worker = new NativeWorker(recipe.url, recipe.options);
  apply(N.workerAddEventListener, worker, ['error', () => problem('worker_blocked')]);
  // (Blink converts an array's transfer list by index, not through the page's Array.prototype[Symbol.iterator].)
  // `resumed`: this worker replaces a stopped one, so its receivers drop plaintext until the bridge says which tracks
  // were protected. (Object literals only: an assignment could run a setter the page put on Object.prototype.)
  const hello = replacing ? { type: 'framelock/port', nonce, resumed: true } : { type: 'framelock/port', nonce };
  apply(workerPostMessage, worker, [hello, [keysPort]]);
  return worker;
}

/**
 * The bridge asks for a new worker (the one we run stopped answering), or for the site's block, over the reports port:
 * only it holds the other end, so the page can neither ask nor see the nonce. Runs after page scripts: only saved
 * natives (`MessageEvent` data and `MessageChannel` ports through their saved getters), nothing the page could have
 * hooked, and no await.
 */
function onBridgeRequest(event: MessageEvent): void {
  const data: unknown = N.messageEventData === undefined ? undefined : apply(N.messageEventData, event, []);
  if (dataLink?.onMessage(data)) return;
  if (running === undefined || typeof data !== 'object' || data === null) return;
  // Own data fields of a structured clone: reading them calls nothing of the page's.
  const { type, nonce } = data as { type?: unknown; nonce?: unknown };
  if (type === 'block') {
    running.patch.block(BLOCKED_SITE);
    return;
  }
  if (type === 'stand-aside') {
    running.patch.standAside();
    return;
  }
  if (type !== 'restart-worker' || restarts >= MAX_WORKER_RESTARTS || typeof nonce !== 'string') return;
  if (reports === undefined) return;
  if (N.channelPort1 === undefined || N.channelPort2 === undefined || N.portPostMessage === undefined) return;
  restarts++;
  const channel = new N.MessageChannel();
  const toWorker = apply(N.channelPort1, channel, []) as MessagePort;
  const toBridge = apply(N.channelPort2, channel, []) as MessagePort;
  let worker: Worker;
  try {
    worker = startWorker(running.recipe, toWorker, nonce, true);
  } catch {
    problem('worker_blocked');
    return;
  }
  const answer: PageWorkerPort = { type: 'worker-port' };
  apply(N.portPostMessage, reports, [answer, [toBridge]]);
  const stopped = running.worker;
  running.worker = worker;
  running.patch.restart(worker);
  // Gone already, most likely; if it only stalled, it must not go on with transforms of ours.
  if (N.workerTerminate !== undefined) apply(N.workerTerminate, stopped, []);
}

function begin(nonce: BridgeHelloDetail): void {
  // First the hand-off, whatever follows: the bridge then stops listening on window at once. One port for the
  // worker, one for our problem reports.
  const keysChannel = new N.MessageChannel();
  const reportsChannel = new N.MessageChannel();
  apply(N.dispatchEvent, window, [
    new N.MessageEvent(PORT_EVENT, { ports: [keysChannel.port2, reportsChannel.port2] }),
  ]);
  reports = reportsChannel.port1;
  if (N.RTCPeerConnection === undefined) return; // no WebRTC here: nothing to protect
  if (N.RTCRtpScriptTransform === undefined || N.Worker === undefined || N.workerPostMessage === undefined) {
    failClosed('no_transform_api', 'this browser has no WebRTC encoded transform');
    return;
  }
  let worker: Worker;
  let recipe: WorkerRecipe;
  try {
    // `new Worker('chrome-extension://…')` from a page is a SecurityError, and an `importScripts` of ours would be a
    // request the site's service worker answers: the worker is a Blob URL in the page's origin holding our code.
    const source = new N.Blob([__FRAMELOCK_WORKER_SOURCE__], { type: 'text/javascript' });
    const options: WorkerOptions = { name: 'framelock' };
    N.setPrototypeOf(options, null);
    recipe = { url: apply(N.createObjectURL, URL, [source]) as string, options };
    // If it fails to start anyway, our transforms have no worker and carry no media (fail closed).
    worker = startWorker(recipe, keysChannel.port1, nonce);
  } catch {
    failClosed('worker_blocked', "the site's security policy blocks its worker"); // CSP forbids blob: workers
    return;
  }
  let reported = false;
  let removals = 0;
  // The site's data channels: sealed and opened by the bridge, over the reports port (issue 16 part 2).
  dataLink = portDataLink(reports);
  const patch = installPatch(
    worker,
    (what) => {
      if (what === 'transform_removed') {
        // Ours is back already; what left in between may have been in clear. Tell the user (not the page).
        removals++;
        if (removals === 1) problem('encryption_removed');
        if (removals === REMOVALS_BEFORE_BLOCK) {
          problem('tampering_blocked');
          patch?.block('Framelock: this page kept removing end-to-end encryption from its calls, so they are blocked.');
        }
        return;
      }
      // The site tried to process protected media itself; ours stays. Tell the user once (not the page).
      if (reported) return;
      reported = true;
      problem('site_processing_bypassed');
    },
    dataLink,
  );
  if (patch !== undefined) {
    running = { worker, recipe, patch };
    // Set now, at document_start, with the native setter: the bridge's restart requests come in here.
    reports.onmessage = onBridgeRequest;
  }
  watchCallFrames();
}

function start(): void {
  let started = false;
  const onHello = (event: Event) => {
    const detail: unknown = (event as CustomEvent<BridgeHelloDetail>).detail;
    // Runs at document_start, before any page script could have replaced the RegExp and String built-ins it uses.
    if (started || !isBridgeHelloDetail(detail)) return;
    started = true;
    apply(N.removeEventListener, window, [BRIDGE_HELLO, onHello]);
    begin(detail);
  };
  apply(N.addEventListener, window, [BRIDGE_HELLO, onHello]);
  // If the bridge ran first, it answers this synchronously; otherwise its own hello reaches onHello when it starts.
  apply(N.dispatchEvent, window, [new N.CustomEvent(PAGE_HELLO)]);
}

const realm = window as unknown as Record<symbol, unknown>;
if (!realm[INSTALLED]) {
  N.defineProperty(realm, INSTALLED, { value: true });
  start();
}
