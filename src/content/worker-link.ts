/**
 * @module The bridge's link to the page's transform worker: trust by nonce, the liveness watch, and restarts.
 *
 * The worker runs in the page's origin, so its port is not trusted until the worker behind it repeats the nonce: the
 * hand-off's for the first worker, a fresh one (sent over the page script's private port) for each new worker. Until
 * then nothing but that `hello` is accepted and nothing is posted to it. Once trusted, the worker reports every
 * second; silence means it is gone, and a new one is asked for, at most `MAX_WORKER_RESTARTS` times a page load.
 */
import { MAX_WORKER_RESTARTS } from '../shared/handshake';
import type { BridgeToBackground, BridgeToWorker, TransformStats, WorkerToBridge } from '../shared/messages';
import { parseWorkerMessage, type RejectionTally } from './checks';
import { HELD_BACK_CHECK_MS, MAX_AUTHENTICATED_RECEIVERS, WORKER_CHECK_MS, WORKER_SILENCE_MS } from './constants';
import type { BridgeIndicator } from './indicator';
import { sameNonce } from './nonce';
import { portData } from './port-data';
import type { Timers } from './timers';

export type KeyRequest = Extract<WorkerToBridge, { type: 'keys-request' }>;

/** What a worker link needs of the page script's private port (src/content/page-script-link.ts). */
export interface WorkerSource {
  /** Whether a new worker can be asked for (the reports port is here). */
  readonly attached: boolean;
  requestWorker(nonce: string): void;
}

export interface WorkerLinkOptions {
  /** The nonce of the document_start hand-off, which the first worker must repeat. */
  nonce: string;
  /** Draws the fresh nonce for each new worker (src/content/nonce.ts). */
  newNonce(): string;
  /** The frame may be the page's (src/content/unsafe-realm.ts): nothing at all is posted to its worker. */
  unsafeRealm: boolean;
  timers: Timers;
  rejections: Pick<RejectionTally, 'count'>;
  indicator: Pick<BridgeIndicator, 'noteProblem'>;
  page: WorkerSource;
  toBackground(message: BridgeToBackground): void;
  /** The worker proved the nonce: tell it what it needs before anything else (settings, the epoch). */
  onTrusted(): void;
  onKeyRequest(request: KeyRequest): Promise<void>;
  onStats(stats: TransformStats[]): void;
  /** The worker carried our control message `id` on every stream (docs/keys.md). */
  onControlSent(id: number): void;
  /** The worker reassembled a control message from a remote sender's frames: untrusted bytes. */
  onControlReceived(untrustedBytes: Uint8Array): Promise<void>;
  /** The stopped worker was let go: what was pending for it is dropped (the new one asks for what it needs). */
  onRestart(): void;
  /** Stops the liveness watch (the bridge is torn down). */
  signal?: AbortSignal;
}

export class WorkerLink {
  readonly #options: WorkerLinkOptions;
  #port: MessagePort | undefined;
  /** The nonce the worker on `#port` must repeat: the hand-off's, then a fresh one for each new worker. */
  #nonce: string;
  /** The worker proved it is ours (it knew the nonce). */
  #trusted = false;
  /** New workers asked for in this page load (at most MAX_WORKER_RESTARTS). */
  #restarts = 0;
  #lastMessage = 0;
  #lastCheck = 0;
  #stopped = false;
  /** No new worker may be asked for any more (the bound is reached): the user was told. */
  #gaveUp = false;
  /** The liveness watch (from the first worker's hello on). */
  #watch: ReturnType<Timers['setInterval']> | undefined;
  /**
   * Receivers (by transform id) that delivered authenticated frames: a worker that replaces a stopped one is told, so
   * that restarting our worker never reopens a protected track to plaintext. Bounded; the oldest is forgotten first.
   */
  readonly #authenticated = new Set<string>();

  constructor(options: WorkerLinkOptions) {
    this.#options = options;
    this.#nonce = options.nonce;
    options.signal?.addEventListener('abort', () => options.timers.clearInterval(this.#watch), { once: true });
  }

  /**
   * Takes the port of a worker (the hand-off's, or a new worker's): from now on only this port is heard, and only
   * after its worker repeats the current nonce.
   */
  attach(port: MessagePort): void {
    this.#port = port;
    port.onmessage = (e: MessageEvent) => {
      // Only the current worker's port: a stopped worker's messages still queued mean nothing.
      if (port === this.#port) void this.#onMessage(portData(e.data));
    };
  }

  /** Posts to the worker: nothing before it proved the nonce, nothing at all in an unsafe realm (the page may hold the port). */
  post(message: BridgeToWorker): void {
    if (this.#trusted && !this.#options.unsafeRealm) this.#port?.postMessage(message);
  }

  /** A receiver delivered authenticated frames (its counters say so): a new worker will be told (`resume`). */
  noteAuthenticated(id: string): void {
    if (this.#authenticated.has(id)) return;
    this.#authenticated.add(id);
    if (this.#authenticated.size > MAX_AUTHENTICATED_RECEIVERS) {
      this.#authenticated.delete(this.#authenticated.values().next().value as string);
    }
  }

  /** A message on the worker's port: before the worker proved the nonce, only its hello counts. */
  async #onMessage(untrustedMessage: unknown): Promise<void> {
    const { rejections, onKeyRequest, onStats, onControlSent, onControlReceived } = this.#options;
    const checked = parseWorkerMessage(untrustedMessage);
    if (!checked.ok) {
      rejections.count(this.#trusted ? checked.reason : 'worker_unproven');
      return;
    }
    const m = checked.message;
    if (!this.#trusted) {
      this.#onHello(m);
      return;
    }
    this.#lastMessage = this.#options.timers.now();
    if (m.type === 'keys-request') {
      await onKeyRequest(m);
    } else if (m.type === 'stats') {
      onStats(m.stats);
    } else if (m.type === 'control-sent') {
      onControlSent(m.id);
    } else if (m.type === 'control-received') {
      await onControlReceived(m.bytes);
    } else {
      rejections.count('worker_invalid'); // a second hello: the worker says it once
    }
  }

  /**
   * The first message must prove the worker is the one our page script made before any page script ran (or, for a
   * new worker, the one it made when we asked, with the fresh nonce only the page script's private port carried).
   */
  #onHello(m: WorkerToBridge): void {
    const { timers, toBackground, onTrusted, rejections } = this.#options;
    if (m.type !== 'hello' || !sameNonce(m.nonce, this.#nonce)) {
      rejections.count('worker_unproven');
      return;
    }
    this.#trusted = true;
    this.#lastMessage = timers.now();
    this.#lastCheck = this.#lastMessage;
    this.#watch ??= timers.setInterval(() => this.#checkAlive(), WORKER_CHECK_MS);
    // A worker that replaced a stopped one learns first which receivers were protected: they go on refusing
    // plaintext (until then it drops all plaintext).
    if (this.#stopped) this.post({ type: 'resume', authenticated: [...this.#authenticated] });
    onTrusted();
    if (this.#stopped) {
      // A new worker took over: media flows again (new sender KIDs, keyframes on their first key). The background
      // turns `worker_stopped` into the notice `worker_restarted`.
      this.#stopped = false;
      toBackground({ type: 'problem', problem: 'worker_restarted' });
    }
  }

  /** Runs every WORKER_CHECK_MS from the first hello on: silence means the worker is gone. */
  #checkAlive(): void {
    const now = this.#options.timers.now();
    // This check itself was held back (the page kept the main thread busy, a frozen page, a machine asleep): the
    // worker's counters may be waiting behind it in the queue, or the worker was held back as well, so its silence
    // proves nothing yet. It gets a full period from now: a page that blocks its own thread must not make us replace a
    // live worker. (Chromium 156 ran the queued counters before this timer after a 6 s block in
    // test/browser/hostile.test.ts, but the order of the two task sources is not specified.)
    if (now - this.#lastCheck > HELD_BACK_CHECK_MS) this.#lastMessage = Math.max(this.#lastMessage, now);
    this.#lastCheck = now;
    if (now - this.#lastMessage < WORKER_SILENCE_MS) return;
    if (!this.#stopped) {
      this.#stopped = true;
      this.#options.toBackground({ type: 'problem', problem: 'worker_stopped' });
    }
    if (!this.#restart() && !this.#gaveUp) {
      this.#gaveUp = true;
      this.#options.indicator.noteProblem();
    }
  }

  /**
   * Asks the page script for a new worker over the private reports port, with a fresh nonce. The stopped worker's
   * port is closed first: from now on only the new one may speak, and only after it repeats the new nonce. Returns false when no new worker may be asked for (the bound is reached).
   */
  #restart(): boolean {
    const { page, unsafeRealm, timers, newNonce, onRestart } = this.#options;
    if (this.#restarts >= MAX_WORKER_RESTARTS || !page.attached || unsafeRealm) return false;
    this.#restarts++;
    this.#port?.close();
    this.#port = undefined;
    this.#trusted = false;
    onRestart();
    this.#nonce = newNonce();
    this.#lastMessage = timers.now();
    page.requestWorker(this.#nonce);
    return true;
  }
}
