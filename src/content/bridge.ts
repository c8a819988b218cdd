/**
 * Content bridge (ISOLATED world, document_start, every frame of an enabled site). It connects the page's transform
 * worker to the background: it receives the epoch base keys of the previous, current and next epoch from the
 * background, keeps them as non-extractable HKDF keys in this isolated realm, and answers the worker's requests with
 * frame keys for single KIDs of those epochs. At every epoch boundary (by the background's clock) it tells the
 * worker, erases the key that fell out of the window and asks the background for the one that came in. Everything
 * from the page side is validated here; the page script itself never touches a key.
 */
import * as v from 'valibot';
import browser from 'webextension-polyfill';
import { isFramelockKid, kidEpoch, kidSenderId, SUITE_FOR_KIND } from '../codecs';
import { deriveFrameKeys } from '../sframe';
import { asBufferSource, base64ToBytes, bytesToHex, wipe } from '../shared/bytes';
import {
  acceptedEpochs,
  EPOCH_TOLERANCE,
  epochAt,
  epochDistance,
  epochFromBits,
  msUntilNextEpoch,
} from '../shared/epoch';
import {
  BRIDGE_HELLO,
  type BridgeHelloDetail,
  type BridgeToPage,
  MAX_WORKER_RESTARTS,
  PAGE_HELLO,
  PORT_EVENT,
} from '../shared/handshake';
import {
  type BackgroundToBridge,
  BackgroundToBridgeSchema,
  type BridgeToBackground,
  type BridgeToWorker,
  UNPROTECTING_PROBLEMS,
  type WorkerToBridge,
} from '../shared/messages';
import { normalizeOrigin } from '../shared/origin';
import { parsePageReport, parseWorkerMessage, RejectionTally, sameNonce } from './checks';
import { Indicator } from './indicator';
import { KeyRequestQuota } from './key-quota';

/** A clock problem is reported at most this often. */
const CLOCK_REPORT_INTERVAL_MS = 10_000;
/** Reconnect to the background (it may have been stopped) after this long, doubling up to a minute. */
const RECONNECT_MS = 500;

/** A fresh nonce: 16 random bytes as 32 hex digits (src/shared/handshake.ts). */
const newNonce = (): string => bytesToHex(crypto.getRandomValues(new Uint8Array(16)));
/** The nonce of the document_start hand-off (in the hello events, before any page script runs). */
const nonce = newNonce();

/** Which room key the epoch keys come from (`BackgroundToBridge`); undefined: no key. */
let roomName: string | undefined;
/** Epoch base keys of the window around `epoch`, as non-extractable HKDF keys. */
const epochKeys = new Map<number, CryptoKey>();
/** The current epoch by the background's clock; undefined until keys came. */
let epoch: number | undefined;
/** The background's clock minus ours (ms): we follow its clock. */
let clockOffset = 0;
let boundaryTimer: ReturnType<typeof setTimeout> | undefined;
let workerPort: MessagePort | undefined;
/** The page script's reports port: its problem reports come in, restart requests go out (the page never sees it). */
let reportsPort: MessagePort | undefined;
/** The nonce the worker on `workerPort` must repeat: the hand-off's, then a fresh one for each new worker. */
let workerNonce = nonce;
/** The worker proved it is ours (it knew the nonce). */
let workerTrusted = false;
/** A new worker was asked for and its port has not come yet. */
let awaitingWorkerPort = false;
/** New workers asked for in this page load (at most MAX_WORKER_RESTARTS). */
let restarts = 0;
/** Key requests waiting for an epoch key (at most {@link MAX_PENDING_REQUESTS}). */
const pendingRequests: KeyRequest[] = [];
const MAX_PENDING_REQUESTS = 64;
/**
 * Which endpoint (sender or receiver transform) may get keys for which new sender: a budget per endpoint and a
 * ceiling for the frame, so that a track flooded with junk KIDs cannot starve the others (src/content/key-quota.ts).
 */
const quota = new KeyRequestQuota();
let lastClockReport = -Infinity;
/**
 * The background said the site is blocked (`tampering_blocked`): no key for the rest of this page load, and the page
 * script is told to close its calls (as soon as its reports port is here, if it is not yet).
 */
let siteBlocked = false;
/** The site's settings, as the background last sent them. */
let settings = { strict: false, indicator: true };
const indicator = new Indicator();
let background: browser.Runtime.Port | undefined;
let reconnectDelay = RECONNECT_MS;
/** Messages refused from the page side, reported to the background (which counts them for `diagnostics/get`). */
const rejections = new RejectionTally((counts) => toBackground({ type: 'rejections', counts }));

/** Posts to the worker; nothing at all in a realm the page may control (`unsafeRealm`): it may hold the port. */
function toWorker(message: BridgeToWorker): void {
  if (workerTrusted && !unsafeRealm) workerPort?.postMessage(message);
}

function toBackground(message: BridgeToBackground): void {
  try {
    background?.postMessage(message);
  } catch {
    // disconnected: the next connect re-sends what matters
  }
}

// ---- handshake with the page script ---------------------------------------------------------------------------------

function sayHello(): void {
  const detail: BridgeHelloDetail = { nonce };
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
  listenToWorker(port);
  if (reports !== undefined) {
    reportsPort = reports;
    reports.onmessage = (e: MessageEvent) => onPageMessage(e.data, e.ports);
    if (siteBlocked) blockPage();
  }
}

/** Asks the page script to close the page's calls and refuse new ones (over the private port: the page cannot). */
function blockPage(): void {
  const request: BridgeToPage = { type: 'block' };
  reportsPort?.postMessage(request);
}

function listenToWorker(port: MessagePort): void {
  port.onmessage = (e: MessageEvent) => {
    // Only the current worker's port: a stopped worker's messages still queued mean nothing.
    if (port === workerPort) void onWorkerMessage(e.data);
  };
}

/**
 * A message of the page script over its private port (the page cannot forge these): a problem report, or the port of
 * the new worker we asked for.
 */
function onPageMessage(message: unknown, ports: readonly MessagePort[]): void {
  if (unsafeRealm) return; // the page may control the page script here: its reports mean nothing
  const parsed = parsePageReport(message, ports);
  if (!parsed.ok || ('type' in parsed.message && !awaitingWorkerPort)) {
    rejections.count('page_report_invalid'); // a malformed message, or a worker port nobody asked for
    for (const port of ports) port.close();
    return;
  }
  if ('type' in parsed.message) {
    // Served keys only once the worker behind it repeats the fresh nonce (onWorkerMessage), like the first.
    awaitingWorkerPort = false;
    workerPort = ports[0] as MessagePort;
    listenToWorker(workerPort);
    return;
  }
  const { problem } = parsed.message;
  const origin = 'origin' in parsed.message ? parsed.message.origin : undefined;
  const checked = origin === undefined ? undefined : normalizeOrigin(origin);
  toBackground({ type: 'problem', problem, ...(checked?.ok ? { detail: checked.origin } : {}) });
  if (UNPROTECTING_PROBLEMS.includes(problem)) indicator.noteProblem();
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
/** `unsafe_frame_call` was reported (once per page load). */
let reportedUnsafeCall = false;

// Capturing listeners on window run before any listener the page could add there later.
window.addEventListener(PAGE_HELLO, sayHello, true);
window.addEventListener(PORT_EVENT, onPort, true);
sayHello();

// ---- the worker -----------------------------------------------------------------------------------------------------

async function onWorkerMessage(message: unknown): Promise<void> {
  const checked = parseWorkerMessage(message);
  if (!checked.ok) {
    rejections.count(workerTrusted ? checked.reason : 'worker_unproven');
    return;
  }
  const m = checked.message;
  if (workerTrusted) lastWorkerMessage = Date.now();
  if (!workerTrusted) {
    // The first message must prove the worker is the one our page script made before any page script ran (or, for a
    // new worker, the one it made when we asked, with the fresh nonce only the page script's private port carried).
    if (m.type === 'hello' && sameNonce(m.nonce, workerNonce)) {
      workerTrusted = true;
      lastWorkerMessage = Date.now();
      lastWorkerCheck = lastWorkerMessage;
      if (!watching) {
        watching = true;
        setInterval(checkWorkerAlive, WORKER_CHECK_MS);
      }
      // A worker that replaced a stopped one learns first which receivers were protected: they go on refusing
      // plaintext (until then it drops all plaintext).
      if (workerStopped) toWorker({ type: 'resume', authenticated: [...authenticatedReceivers] });
      toWorker({ type: 'settings', strict: settings.strict });
      if (epoch !== undefined) toWorker({ type: 'epoch', epoch });
      if (workerStopped) {
        // A new worker took over: media flows again (new sender KIDs, keyframes on their first key). The background
        // turns `worker_stopped` into the notice `worker_restarted`.
        workerStopped = false;
        toBackground({ type: 'problem', problem: 'worker_restarted' });
      }
    } else {
      rejections.count('worker_unproven');
    }
    return;
  }
  if (m.type === 'keys-request') {
    await answerKeyRequest(m);
  } else if (m.type === 'stats') {
    // Every second, even with no transforms (the worker's heartbeat): the background hears of counters only.
    if (m.stats.length > 0) toBackground({ type: 'stats', stats: m.stats });
    if (unsafeRealm && m.stats.length > 0 && !reportedUnsafeCall) {
      // A call runs in this frame, which gets no keys: it carries no media. (The page may forge these counters here;
      // forging them only makes us warn.)
      reportedUnsafeCall = true;
      toBackground({ type: 'problem', problem: 'unsafe_frame_call' });
    }
    for (const stats of m.stats) {
      if (stats.side !== 'receive' || stats.protected === 0) continue;
      noteAuthenticated(stats.id);
      // Senders whose frames authenticated on this receiver: their later epochs' keys are free from now on, and no
      // junk KID can push them out (the quota believes it only for senders it granted this receiver keys for).
      for (const entry of stats.byKid ?? [])
        if (entry.protected > 0) quota.prove(stats.id, kidSenderId(BigInt(entry.kid)));
    }
    indicator.update(m.stats);
    for (const stats of m.stats) if (stats.clockSkew !== undefined) reportClockSkew(stats.clockSkew);
  } else {
    rejections.count('worker_invalid'); // a second hello: the worker says it once
  }
}

/**
 * The worker reports every second. Silence this long means it is gone (killed, or crashed): its transforms then
 * carry no media (Chromium does not fall back to sending frames untransformed), and the user is told. A new worker
 * (asked for at once) gets as long to prove itself before the next one is asked for.
 */
const WORKER_SILENCE_MS = 4_000;
const WORKER_CHECK_MS = WORKER_SILENCE_MS / 4;
let lastWorkerMessage = 0;
let lastWorkerCheck = 0;
let workerStopped = false;
/** No new worker may be asked for any more (the bound is reached): the user was told. */
let gaveUp = false;
/** checkWorkerAlive runs (from the first worker's hello on). */
let watching = false;

function checkWorkerAlive(): void {
  const now = Date.now();
  // This check itself was held back (the page kept the main thread busy, a frozen page, a machine asleep): the
  // worker's counters may be waiting behind it in the queue, or the worker was held back as well, so its silence
  // proves nothing yet. It gets a full period from now: a page that blocks its own thread must not make us replace a
  // live worker. (Chromium 156 ran the queued counters before this timer after a 6 s block in
  // test/browser/hostile.test.ts, but the order of the two task sources is not specified.)
  if (now - lastWorkerCheck > 2 * WORKER_CHECK_MS) lastWorkerMessage = Math.max(lastWorkerMessage, now);
  lastWorkerCheck = now;
  if (now - lastWorkerMessage < WORKER_SILENCE_MS) return;
  if (!workerStopped) {
    workerStopped = true;
    toBackground({ type: 'problem', problem: 'worker_stopped' });
  }
  if (!restartWorker() && !gaveUp) {
    gaveUp = true;
    indicator.noteProblem();
  }
}

/**
 * Asks the page script for a new worker over the private reports port, with a fresh nonce (never through `window`:
 * page scripts run by now). The stopped worker's port is closed first: from now on only the new one may speak, and
 * only after it repeats the new nonce. Returns false when no new worker may be asked for (the bound is reached).
 */
function restartWorker(): boolean {
  if (restarts >= MAX_WORKER_RESTARTS || reportsPort === undefined || unsafeRealm) return false;
  restarts++;
  workerPort?.close();
  workerPort = undefined;
  workerTrusted = false;
  pendingRequests.length = 0; // the stopped worker's; the new one asks for what it needs
  workerNonce = newNonce();
  awaitingWorkerPort = true;
  lastWorkerMessage = Date.now();
  const request: BridgeToPage = { type: 'restart-worker', nonce: workerNonce };
  reportsPort.postMessage(request);
  return true;
}

/**
 * Receivers (by transform id) that delivered authenticated frames: a worker that replaces a stopped one is told, so
 * that restarting our worker never reopens a protected track to plaintext. Bounded; the oldest is forgotten first.
 */
const authenticatedReceivers = new Set<string>();
const MAX_AUTHENTICATED_RECEIVERS = 256;

function noteAuthenticated(id: string): void {
  if (authenticatedReceivers.has(id)) return;
  authenticatedReceivers.add(id);
  if (authenticatedReceivers.size > MAX_AUTHENTICATED_RECEIVERS) {
    authenticatedReceivers.delete(authenticatedReceivers.values().next().value as string);
  }
}

type KeyRequest = Extract<WorkerToBridge, { type: 'keys-request' }>;

async function answerKeyRequest(request: KeyRequest): Promise<void> {
  const { kid, kind, endpoint } = request;
  if (unsafeRealm || !isFramelockKid(kid)) return;
  if (epoch === undefined) {
    if (pendingRequests.length < MAX_PENDING_REQUESTS) pendingRequests.push(request);
    return;
  }
  const bits = kidEpoch(kid);
  const keyEpoch = epochFromBits(bits, epoch);
  if (keyEpoch === undefined) {
    // Outside the window: an old recording replayed, or a clock (ours or the sender's) off by more than one epoch.
    const distance = epochDistance(bits, epoch);
    // The clock problem is reported once the worker saw this KID recur (its stats carry clockSkew): one frame under a
    // far epoch may be plaintext that only looks like a trailer.
    toWorker({ type: 'keys-refused', kid, kind, reason: 'epoch', distance });
    return;
  }
  const base = epochKeys.get(keyEpoch);
  if (base === undefined) {
    // The background has not sent that epoch's key yet (it was asleep): ask, and answer when it comes.
    if (pendingRequests.length < MAX_PENDING_REQUESTS) pendingRequests.push(request);
    requestEpochKeys([keyEpoch]);
    return;
  }
  const admission = quota.admit(endpoint, kidSenderId(kid), kid);
  if (admission === 'endpoint_limit' || admission === 'frame_limit') {
    toWorker({ type: 'keys-refused', kid, kind, reason: 'rate' });
    return;
  }
  const room = roomName;
  const keys = await deriveFrameKeys(SUITE_FOR_KIND[kind], base, kid);
  // The room may have changed while deriving: never hand out a key of a room we left. (The same room's keys may
  // have been re-sent meanwhile, e.g. after the background restarted: those are the same keys.)
  if (roomName !== room) return;
  toWorker({ type: 'keys', kid, kind, epoch: keyEpoch, keys });
}

function reportClockSkew(distance: number): void {
  const now = Date.now();
  if (Math.abs(distance) <= EPOCH_TOLERANCE || now - lastClockReport < CLOCK_REPORT_INTERVAL_MS) return;
  lastClockReport = now;
  toBackground({ type: 'problem', problem: 'clock_skew', detail: String(distance) });
}

// ---- the background -------------------------------------------------------------------------------------------------

/** When each epoch's key was last asked for: at most once per {@link EPOCH_REQUEST_RETRY_MS} each. */
const epochRequests = new Map<number, number>();
const EPOCH_REQUEST_RETRY_MS = 2_000;

/**
 * Asks the background for epoch keys we lack. Throttled per epoch: the background sends only epochs near its own
 * clock, so an epoch just outside it (a boundary crossed a moment apart) must not turn into a request loop.
 */
function requestEpochKeys(epochs: number[]): void {
  const now = Date.now();
  for (const [known, at] of epochRequests) if (now - at >= EPOCH_REQUEST_RETRY_MS) epochRequests.delete(known);
  const wanted = epochs.filter((e) => !epochRequests.has(e));
  if (wanted.length === 0) return;
  for (const e of wanted) epochRequests.set(e, now);
  toBackground({ type: 'epoch-keys-request', epochs: wanted });
}

/** Our view of the background's clock. */
const clock = (): number => Date.now() + clockOffset;

/** Forgets every key: the worker drops everything it would send and decrypts nothing. */
function dropKeys(): void {
  roomName = undefined;
  epoch = undefined;
  epochKeys.clear();
  quota.forgetSenders();
  clearTimeout(boundaryTimer);
  toWorker({ type: 'no-key' });
}

async function onEpochKeys(m: Extract<BackgroundToBridge, { type: 'epoch-keys' }>): Promise<void> {
  const imported: [number, CryptoKey][] = [];
  for (const { epoch: keyEpoch, key } of m.keys) {
    const bytes = base64ToBytes(key);
    try {
      if (bytes.length !== 16) return;
      imported.push([
        keyEpoch,
        await crypto.subtle.importKey('raw', asBufferSource(bytes), 'HKDF', false, ['deriveBits', 'deriveKey']),
      ]);
    } finally {
      wipe(bytes);
    }
  }
  // Another room key (a new passphrase, another room): nothing keyed before may be used again.
  if (m.room !== roomName) {
    if (roomName !== undefined) dropKeys();
    roomName = m.room;
  }
  clockOffset = m.now - Date.now();
  for (const [keyEpoch, key] of imported) epochKeys.set(keyEpoch, key);
  onBoundary();
  for (const request of pendingRequests.splice(0)) await answerKeyRequest(request);
}

/**
 * Runs at each epoch boundary (and whenever keys arrive): moves to the epoch of the background's clock, erases keys
 * outside the window, asks for the missing ones and sleeps until the next boundary. Late timers (a throttled
 * background tab) are harmless: receivers accept the neighbouring epochs.
 */
function onBoundary(): void {
  clearTimeout(boundaryTimer);
  if (roomName === undefined) return;
  const now = clock();
  const current = epochAt(now);
  const window = acceptedEpochs(current);
  for (const known of [...epochKeys.keys()]) if (!window.includes(known)) epochKeys.delete(known);
  requestEpochKeys(window.filter((e) => !epochKeys.has(e)));
  if (current !== epoch) {
    epoch = current;
    toWorker({ type: 'epoch', epoch });
  }
  boundaryTimer = setTimeout(onBoundary, msUntilNextEpoch(now) + 5);
}

async function onBackgroundMessage(untrustedMessage: unknown): Promise<void> {
  if (unsafeRealm) return; // never take a key into a frame the page may control
  // Blocked for the rest of this load, even if the user allows the site again meanwhile: its calls are closed.
  if (siteBlocked) return;
  const parsed = v.safeParse(BackgroundToBridgeSchema, untrustedMessage);
  if (!parsed.success) return; // our own background: a bug, which must not half-apply
  const message = parsed.output;
  switch (message.type) {
    case 'blocked':
      siteBlocked = true;
      dropKeys();
      blockPage();
      break;
    case 'epoch-keys':
      await onEpochKeys(message);
      break;
    case 'no-key':
      dropKeys();
      break;
    case 'settings':
      settings = { strict: message.strict, indicator: message.indicator };
      toWorker({ type: 'settings', strict: settings.strict });
      indicator.setEnabled(settings.indicator);
      break;
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
