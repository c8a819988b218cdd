/**
 * Page script (MAIN world, document_start, every frame of an enabled site). It runs before any page script: it saves
 * the built-ins it needs, makes the transform worker, hands the bridge a private channel to that worker, and patches
 * RTCPeerConnection. It never touches a key and never awaits (DESIGN.md §2).
 */
import { BRIDGE_HELLO, type BridgeHelloDetail, PAGE_HELLO, PORT_EVENT, PROBLEM_EVENT } from '../shared/handshake';
import type { SiteProblem } from '../shared/messages';
import { natives as N } from './natives';
import { installBlock, installPatch } from './patch';

const { apply } = N;
/** Marks this realm as patched, so a second injection (e.g. re-registration) changes nothing. */
const INSTALLED = Symbol.for('framelock.page');

function problem(what: SiteProblem): void {
  apply(N.dispatchEvent, window, [new N.CustomEvent(PROBLEM_EVENT, { detail: what })]);
}

/** Tells the user (through the bridge) and makes new connections fail rather than carry media in clear. */
function failClosed(what: SiteProblem, why: string): void {
  problem(what);
  installBlock(`Framelock: calls on this site cannot be end-to-end encrypted (${why}), so they are blocked.`);
}

function begin({ workerUrl, nonce }: BridgeHelloDetail): void {
  if (N.RTCPeerConnection === undefined) return; // no WebRTC here: nothing to protect
  if (N.RTCRtpScriptTransform === undefined || N.Worker === undefined || N.workerPostMessage === undefined) {
    failClosed('no_transform_api', 'this browser has no WebRTC encoded transform');
    return;
  }
  let worker: Worker;
  try {
    // `new Worker('chrome-extension://…')` from a page is a SecurityError: a Blob URL in the page's origin loads ours.
    const source = new N.Blob([`importScripts(${JSON.stringify(workerUrl)});`], { type: 'text/javascript' });
    worker = new N.Worker(apply(N.createObjectURL, URL, [source]) as string, { name: 'framelock' });
  } catch {
    failClosed('worker_blocked', "the site's security policy blocks its worker"); // CSP forbids blob: workers
    return;
  }
  // Blocked later (CSP on importScripts): our transforms then have no worker and carry no media, which fails closed.
  apply(N.workerAddEventListener, worker, ['error', () => problem('worker_blocked')]);
  const channel = new N.MessageChannel();
  apply(N.workerPostMessage, worker, [{ type: 'framelock/port', nonce }, [channel.port1]]);
  apply(N.dispatchEvent, window, [new N.MessageEvent(PORT_EVENT, { ports: [channel.port2] })]);
  installPatch(worker, () => {
    // The site tried to replace our transform; it keeps ours. Nothing to tell the page.
  });
}

function start(): void {
  let started = false;
  const onHello = (event: Event) => {
    const detail = (event as CustomEvent<BridgeHelloDetail>).detail;
    if (started || typeof detail?.workerUrl !== 'string' || typeof detail.nonce !== 'string') return;
    started = true;
    apply(N.removeEventListener, window, [BRIDGE_HELLO, onHello]);
    begin({ workerUrl: detail.workerUrl, nonce: detail.nonce });
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
