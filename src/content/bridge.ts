/**
 * Content bridge (ISOLATED world, document_start, every frame of an enabled site). It connects the page's transform
 * worker to the background: it receives the epoch base key from the background, keeps it as a non-extractable HKDF
 * key in this isolated realm, and answers the worker's requests with frame keys for single KIDs. Everything from the
 * page side is validated here; the page script itself never touches a key.
 */
import browser from 'webextension-polyfill';
import { isFramelockKid, kidEpoch, SUITE_FOR_KIND } from '../codecs';
import { deriveFrameKeys } from '../sframe';
import { asBufferSource, base64ToBytes, bytesToHex, wipe } from '../shared/bytes';
import { BRIDGE_HELLO, type BridgeHelloDetail, PAGE_HELLO, PORT_EVENT } from '../shared/handshake';
import { type BackgroundToBridge, type BridgeToWorker, SITE_PROBLEMS } from '../shared/messages';
import { normalizeOrigin } from '../shared/origin';
import { isTransformStatsList } from '../shared/stats';

/** At most this many new remote KIDs get keys per minute: an SFU cannot make us derive keys without bound. */
const MAX_NEW_KIDS_PER_MINUTE = 64;
/** Reconnect to the background (it may have been stopped) after this long, doubling up to a minute. */
const RECONNECT_MS = 500;

const nonce = bytesToHex(crypto.getRandomValues(new Uint8Array(16)));
const workerUrl = browser.runtime.getURL(workerPath());

/**
 * The transform worker's built path. The background imports it with `?iife` (so the build emits it and lists it as
 * web-accessible); a content script cannot import such paths, but can read them from its manifest, synchronously.
 */
function workerPath(): string {
  for (const entry of browser.runtime.getManifest().web_accessible_resources ?? []) {
    const resources = typeof entry === 'string' ? [entry] : entry.resources;
    const found = resources.find((r) => /(^|\/)worker\/transform[^/]*\.js$/.test(r));
    if (found) return found;
  }
  return 'src/worker/transform.js';
}

let epoch: number | undefined;
let epochKey: CryptoKey | undefined;
let workerPort: MessagePort | undefined;
/** The worker proved it is ours (it knew the nonce). */
let workerTrusted = false;
const pendingRequests: { kid: bigint; kind: 'audio' | 'video' }[] = [];
const keyedKids = new Set<string>();
let recentKids: number[] = [];
let background: browser.Runtime.Port | undefined;
let reconnectDelay = RECONNECT_MS;

function toWorker(message: BridgeToWorker): void {
  if (workerTrusted) workerPort?.postMessage(message);
}

function toBackground(message: unknown): void {
  try {
    background?.postMessage(message);
  } catch {
    // disconnected: the next connect re-sends what matters
  }
}

// ---- handshake with the page script ---------------------------------------------------------------------------------

function sayHello(): void {
  const detail: BridgeHelloDetail = { workerUrl, nonce };
  window.dispatchEvent(new CustomEvent(BRIDGE_HELLO, { detail }));
}

/**
 * The page script's hand-off: [port to the worker, port for the page script's problem reports]. Only the first is
 * taken, and the hand-off listeners go at once: after it, nothing on `window` reaches the bridge.
 */
function onPort(event: Event): void {
  const [port, reports] = (event as MessageEvent).ports ?? [];
  if (workerPort !== undefined || port === undefined) return;
  workerPort = port;
  window.removeEventListener(PORT_EVENT, onPort, true);
  window.removeEventListener(PAGE_HELLO, sayHello, true);
  port.onmessage = (e: MessageEvent) => void onWorkerMessage(e.data);
  if (reports !== undefined) reports.onmessage = (e: MessageEvent) => onProblem(e.data);
}

/** A problem the page script reports over its private port (the page cannot forge these). */
function onProblem(message: unknown): void {
  if (unsafeRealm) return; // the page may control the page script here: its reports mean nothing
  const m = typeof message === 'object' && message !== null ? (message as { problem?: unknown; origin?: unknown }) : {};
  if (typeof m.problem !== 'string' || !(SITE_PROBLEMS as readonly string[]).includes(m.problem)) return;
  const checked = typeof m.origin === 'string' ? normalizeOrigin(m.origin) : undefined;
  toBackground({ type: 'problem', problem: m.problem, ...(checked?.ok ? { detail: checked.origin } : {}) });
}

/**
 * True when page script of this origin could have reached this frame's JavaScript realm before our scripts ran in
 * it: a frame below a same-origin ancestor (the parent can hook an iframe's, srcdoc's or about:blank's built-ins
 * while it loads), or a window opened by a same-origin page. There the page script's saved built-ins may be the
 * page's, so the hand-off cannot be trusted: this frame gets no keys and its calls carry no media (fail closed).
 * The isolated world can test this: reading another window's document throws unless it is same-origin.
 */
function reachableByPage(): boolean {
  const sameOrigin = (other: Window | null): boolean => {
    try {
      return other !== null && other !== window && other.document !== undefined;
    } catch {
      return false;
    }
  };
  for (let w: Window = window; w !== w.parent; w = w.parent) if (sameOrigin(w.parent)) return true;
  return sameOrigin(window.opener as Window | null);
}

const unsafeRealm = reachableByPage();

// Capturing listeners on window run before any listener the page could add there later.
window.addEventListener(PAGE_HELLO, sayHello, true);
window.addEventListener(PORT_EVENT, onPort, true);
sayHello();

// ---- the worker -----------------------------------------------------------------------------------------------------

async function onWorkerMessage(message: unknown): Promise<void> {
  if (typeof message !== 'object' || message === null) return;
  const m = message as { type?: unknown; nonce?: unknown; kid?: unknown; kind?: unknown; stats?: unknown };
  if (!workerTrusted) {
    // The first message must prove the worker is the one our page script made before any page script ran.
    if (m.type === 'hello' && m.nonce === nonce) {
      workerTrusted = true;
      if (epoch !== undefined) toWorker({ type: 'epoch', epoch });
    }
    return;
  }
  if (m.type === 'keys-request' && typeof m.kid === 'bigint' && (m.kind === 'audio' || m.kind === 'video')) {
    await answerKeyRequest(m.kid, m.kind);
  } else if (m.type === 'stats' && isTransformStatsList(m.stats)) {
    toBackground({ type: 'stats', stats: m.stats });
  }
}

function allowNewKid(): boolean {
  const now = Date.now();
  recentKids = recentKids.filter((t) => now - t < 60_000);
  if (recentKids.length >= MAX_NEW_KIDS_PER_MINUTE) return false;
  recentKids.push(now);
  return true;
}

async function answerKeyRequest(kid: bigint, kind: 'audio' | 'video'): Promise<void> {
  if (unsafeRealm || !isFramelockKid(kid)) return;
  if (epochKey === undefined || epoch === undefined) {
    if (pendingRequests.length < 64) pendingRequests.push({ kid, kind });
    return;
  }
  // Only the current epoch (the key lifecycle will add its neighbours).
  if (kidEpoch(kid) !== epoch % 16) return;
  const name = `${kind}:${kid}`;
  if (!keyedKids.has(name) && !allowNewKid()) return;
  keyedKids.add(name);
  const keys = await deriveFrameKeys(SUITE_FOR_KIND[kind], epochKey, kid);
  toWorker({ type: 'keys', kid, kind, keys });
}

// ---- the background -------------------------------------------------------------------------------------------------

async function onBackgroundMessage(message: unknown): Promise<void> {
  const m = message as BackgroundToBridge;
  if (unsafeRealm) return; // never take a key into a frame the page may control
  if (m?.type === 'epoch-key' && Number.isSafeInteger(m.epoch) && m.epoch >= 0 && typeof m.key === 'string') {
    const bytes = base64ToBytes(m.key);
    try {
      if (bytes.length !== 16) return;
      epochKey = await crypto.subtle.importKey('raw', asBufferSource(bytes), 'HKDF', false, [
        'deriveBits',
        'deriveKey',
      ]);
    } finally {
      wipe(bytes);
    }
    epoch = m.epoch;
    keyedKids.clear();
    toWorker({ type: 'epoch', epoch });
    for (const request of pendingRequests.splice(0)) await answerKeyRequest(request.kid, request.kind);
  } else if (m?.type === 'no-key') {
    epochKey = undefined;
    epoch = undefined;
    keyedKids.clear();
    toWorker({ type: 'no-key' });
  }
}

function connect(): void {
  try {
    background = browser.runtime.connect({ name: 'framelock-bridge' });
  } catch {
    return; // the extension was reloaded or removed: this page keeps no keys
  }
  background.onMessage.addListener((message) => {
    reconnectDelay = RECONNECT_MS;
    void onBackgroundMessage(message);
  });
  if (unsafeRealm) toBackground({ type: 'problem', problem: 'unsafe_frame' });
  background.onDisconnect.addListener(() => {
    background = undefined;
    setTimeout(connect, reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, 60_000);
  });
}

connect();
