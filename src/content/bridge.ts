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
import { BRIDGE_HELLO, type BridgeHelloDetail, PAGE_HELLO, PORT_EVENT, PROBLEM_EVENT } from '../shared/handshake';
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

function onPort(event: Event): void {
  const port = (event as MessageEvent).ports?.[0];
  if (workerPort !== undefined || port === undefined) return;
  workerPort = port;
  window.removeEventListener(PORT_EVENT, onPort);
  window.removeEventListener(PAGE_HELLO, sayHello);
  port.onmessage = (e: MessageEvent) => void onWorkerMessage(e.data);
}

function onProblem(event: Event): void {
  const detail: unknown = (event as CustomEvent).detail;
  const problem = typeof detail === 'object' && detail !== null ? (detail as { problem?: unknown }).problem : detail;
  if (typeof problem !== 'string' || !(SITE_PROBLEMS as readonly string[]).includes(problem)) return;
  const origin = typeof detail === 'object' && detail !== null ? (detail as { origin?: unknown }).origin : undefined;
  const checked = typeof origin === 'string' ? normalizeOrigin(origin) : undefined;
  toBackground({ type: 'problem', problem, ...(checked?.ok ? { detail: checked.origin } : {}) });
}

window.addEventListener(PAGE_HELLO, sayHello);
window.addEventListener(PORT_EVENT, onPort);
window.addEventListener(PROBLEM_EVENT, onProblem);
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
  if (!isFramelockKid(kid)) return;
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
  background.onDisconnect.addListener(() => {
    background = undefined;
    setTimeout(connect, reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, 60_000);
  });
}

connect();
