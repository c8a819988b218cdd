/**
 * @module The bridge's link to the background: one runtime port (`framelock-bridge`), reconnected when it drops (the
 * background's service worker may have been stopped), with a backoff. What the background sends is handed on
 * unchecked: the bridge checks it against its schema (src/content/start-bridge.ts).
 */
import type { BridgeToBackground } from '../shared/messages';
import { MAX_RECONNECT_MS, RECONNECT_MS } from './constants';
import type { Timers } from './timers';

/** What the bridge uses of a runtime port (`browser.runtime.connect`); tests pass a fake. */
export interface RuntimePort {
  postMessage(message: unknown): void;
  disconnect(): void;
  onMessage: { addListener(listener: (untrustedMessage: unknown) => void): void };
  onDisconnect: { addListener(listener: () => void): void };
}

export interface BackgroundLinkOptions {
  /** Opens a port to the background; throws when the extension was reloaded or removed. */
  connect(): RuntimePort;
  timers: Timers;
  onMessage(untrustedMessage: unknown): void;
  /** A port was opened (the first, or after a reconnect): what the background must hear at once is said again. */
  onConnect(): void;
  /** Disconnects and stops reconnecting (the bridge is torn down). */
  signal?: AbortSignal;
}

export class BackgroundLink {
  readonly #options: BackgroundLinkOptions;
  #port: RuntimePort | undefined;
  #reconnectDelay = RECONNECT_MS;
  #reconnectTimer: ReturnType<Timers['setTimeout']> | undefined;

  constructor(options: BackgroundLinkOptions) {
    this.#options = options;
    options.signal?.addEventListener(
      'abort',
      () => {
        options.timers.clearTimeout(this.#reconnectTimer);
        this.#port?.disconnect();
        this.#port = undefined;
      },
      { once: true },
    );
  }

  connect(): void {
    const { connect, timers, onMessage, onConnect, signal } = this.#options;
    if (signal?.aborted) return;
    let port: RuntimePort;
    try {
      port = connect();
    } catch {
      return; // the extension was reloaded or removed: this page keeps no keys
    }
    this.#port = port;
    port.onMessage.addListener((untrustedMessage) => {
      this.#reconnectDelay = RECONNECT_MS;
      onMessage(untrustedMessage);
    });
    onConnect();
    port.onDisconnect.addListener(() => {
      this.#port = undefined;
      this.#reconnectTimer = timers.setTimeout(() => this.connect(), this.#reconnectDelay);
      this.#reconnectDelay = Math.min(this.#reconnectDelay * 2, MAX_RECONNECT_MS);
    });
  }

  /** Posts to the background; nothing while disconnected (the next connect re-sends what matters). */
  post(message: BridgeToBackground): void {
    try {
      this.#port?.postMessage(message);
    } catch {
      // disconnected: the next connect re-sends what matters
    }
  }
}
