/**
 * @module The bridge's private line to the page script: its reports port, handed over at document_start
 * (src/content/handoff.ts). Problem reports come in and go on to the background; the bridge's requests go out: a new
 * transform worker (`restart-worker`, with a fresh nonce) and `block`. The page never holds this port, so it can
 * neither forge nor silence what crosses it; what comes in is still checked (`parsePageReport`), because the page
 * script runs in the page's realm.
 *
 * The same port carries the page script's data requests (the site's own data-channel messages, issue 16 part 2;
 * src/shared/data-messages.ts): each, checked, goes to `onDataRequest`, whose one reply goes back with
 * {@link PageScriptLink.replyData}. They are answered in an unsafe realm too: there the frame has no keys, so every
 * answer is "no line, as it is", and the page's data channels work unprotected, without waiting on us.
 */
import { type DataReply, type DataRequest, parseDataRequest } from '../shared/data-messages';
import type { BridgeToPage } from '../shared/handshake';
import { type BridgeToBackground, UNPROTECTING_PROBLEMS } from '../shared/messages';
import { normalizeOrigin } from '../shared/origin';
import { parsePageReport, type RejectionTally } from './checks';
import type { BridgeIndicator } from './indicator';
import { portData } from './port-data';

export interface PageScriptLinkOptions {
  /** The frame may be the page's (src/content/unsafe-realm.ts): its reports mean nothing. */
  unsafeRealm: boolean;
  rejections: Pick<RejectionTally, 'count'>;
  indicator: Pick<BridgeIndicator, 'noteProblem'>;
  toBackground(message: BridgeToBackground): void;
  /** The port of the new worker that was asked for ({@link PageScriptLink.requestWorker}). */
  onWorkerPort(port: MessagePort): void;
  /** A data request of the page script, checked: answer it once with {@link PageScriptLink.replyData}. */
  onDataRequest?(request: DataRequest): void;
}

/** Whether an untrusted message claims to be a data request (its type starts with `data-`): never throws. */
function claimsData(untrusted: unknown): boolean {
  try {
    const type = (untrusted as { type?: unknown } | null)?.type;
    return typeof type === 'string' && type.startsWith('data-');
  } catch {
    return false;
  }
}

export class PageScriptLink {
  readonly #options: PageScriptLinkOptions;
  /** The page script's reports port: its problem reports come in, restart requests go out (the page never sees it). */
  #port: MessagePort | undefined;
  /** A new worker was asked for and its port has not come yet. */
  #awaitingWorkerPort = false;
  /**
   * The background said the site is blocked (`tampering_blocked`): the page script is told to close its calls (as
   * soon as its reports port is here, if it is not yet).
   */
  #blocked = false;
  /** Told to stand aside (see {@link PageScriptLink.standAside}); repeated to a port that comes later. */
  #standingAside = false;

  constructor(options: PageScriptLinkOptions) {
    this.#options = options;
  }

  /** Whether the reports port is here (requests can be sent). */
  get attached(): boolean {
    return this.#port !== undefined;
  }

  /** Takes the reports port of the hand-off. */
  attach(port: MessagePort): void {
    this.#port = port;
    port.onmessage = (e: MessageEvent) => this.#onMessage(portData(e.data), e.ports);
    if (this.#blocked) this.#post({ type: 'block' });
    if (this.#standingAside) this.#post({ type: 'stand-aside' });
  }

  /**
   * Tells the page script this frame is not an enabled site's (Firefox: another port of its host): new connections are
   * left as the browser makes them.
   */
  standAside(): void {
    this.#standingAside = true;
    this.#post({ type: 'stand-aside' });
  }

  /** Asks the page script to close the page's calls and refuse new ones (over the private port: the page cannot). */
  block(): void {
    this.#blocked = true;
    this.#post({ type: 'block' });
  }

  /**
   * Asks the page script for a new worker, which must repeat `nonce` (never through `window`: page scripts run by
   * now). Its port is accepted once, and only after this request.
   */
  requestWorker(nonce: string): void {
    this.#awaitingWorkerPort = true;
    this.#post({ type: 'restart-worker', nonce });
  }

  /** The one reply to a data request, with the bytes it moves (a fresh copy the bridge owns). */
  replyData(reply: DataReply, transfer: ArrayBuffer[] = []): void {
    this.#port?.postMessage(reply, transfer);
  }

  #post(request: BridgeToPage): void {
    this.#port?.postMessage(request);
  }

  /**
   * A message of the page script over its private port (the page cannot forge these): a problem report, or the port of
   * the new worker we asked for.
   */
  #onMessage(untrustedMessage: unknown, ports: readonly MessagePort[]): void {
    const { unsafeRealm, rejections, indicator, toBackground, onWorkerPort, onDataRequest } = this.#options;
    if (claimsData(untrustedMessage)) {
      const request = ports.length === 0 ? parseDataRequest(untrustedMessage) : undefined;
      if (request === undefined || onDataRequest === undefined) {
        rejections.count('page_report_invalid');
        for (const port of ports) port.close();
        return;
      }
      onDataRequest(request);
      return;
    }
    if (unsafeRealm) return; // the page may control the page script here: its reports mean nothing
    const parsed = parsePageReport(untrustedMessage, ports);
    if (!parsed.ok || ('type' in parsed.message && !this.#awaitingWorkerPort)) {
      rejections.count('page_report_invalid'); // a malformed message, or a worker port nobody asked for
      for (const port of ports) port.close();
      return;
    }
    if ('type' in parsed.message) {
      // Served keys only once the worker behind it repeats the fresh nonce (src/content/worker-link.ts), like the first.
      this.#awaitingWorkerPort = false;
      onWorkerPort(ports[0] as MessagePort);
      return;
    }
    const { problem } = parsed.message;
    const origin = 'origin' in parsed.message ? parsed.message.origin : undefined;
    const checked = origin === undefined ? undefined : normalizeOrigin(origin);
    toBackground({ type: 'problem', problem, ...(checked?.ok ? { detail: checked.origin } : {}) });
    if (UNPROTECTING_PROBLEMS.includes(problem)) indicator.noteProblem();
  }
}
