/**
 * @module The panel's runtime port to the background ("framelock-chat"): opened with `open` for the panel's tab, and
 * opened again (with `open` again) whenever it drops, since the service worker may be stopped or restarted at any
 * time. Every message the port delivers is checked (protocol.ts) before the panel reads it; anything else is ignored.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import { MAX_RECONNECT_MS, RECONNECT_MS } from './constants';
import { type BackgroundToPanel, CHAT_PORT_NAME, type PanelToBackground, parseBackgroundMessage } from './protocol';

export interface ChatPort {
  /** Whether a port is open now (it may still drop before a message gets through). */
  connected: boolean;
  /** Posts `message` on the open port: `false` if there is none, or it dropped. */
  post(message: PanelToBackground): boolean;
}

/** The port for tab `tabId` (none without a tab); `onMessage` gets each message of the background that is valid. */
export function useChatPort(tabId: number | undefined, onMessage: (message: BackgroundToPanel) => void): ChatPort {
  const [connected, setConnected] = useState(false);
  const port = useRef<ReturnType<typeof browser.runtime.connect> | undefined>(undefined);
  const handler = useRef(onMessage);
  handler.current = onMessage;

  useEffect(() => {
    if (tabId === undefined) return;
    const open: PanelToBackground = { type: 'open', tabId };
    const teardown = new AbortController();
    let delay = RECONNECT_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const retry = (): void => {
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, MAX_RECONNECT_MS);
    };

    function connect(): void {
      if (teardown.signal.aborted) return;
      let opened: ReturnType<typeof browser.runtime.connect>;
      try {
        opened = browser.runtime.connect({ name: CHAT_PORT_NAME });
        opened.onMessage.addListener((untrustedMessage: unknown) => {
          if (port.current !== opened) return;
          delay = RECONNECT_MS; // the background answers: a later drop is retried soon again
          const message = parseBackgroundMessage(untrustedMessage);
          if (message === undefined) {
            console.warn('Framelock chat: ignored a message of the background that is not one of this channel');
            return;
          }
          handler.current(message);
        });
        opened.onDisconnect.addListener(() => {
          if (port.current !== opened) return;
          port.current = undefined;
          setConnected(false);
          retry();
        });
        opened.postMessage(open);
      } catch {
        port.current = undefined;
        setConnected(false);
        retry();
        return;
      }
      port.current = opened;
      setConnected(true);
    }

    connect();
    teardown.signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        const current = port.current;
        port.current = undefined;
        current?.disconnect();
      },
      { once: true },
    );
    return () => teardown.abort();
  }, [tabId]);

  return {
    connected,
    post(message) {
      const open = port.current;
      if (open === undefined) return false;
      try {
        open.postMessage(message);
        return true;
      } catch {
        return false; // dropped: its onDisconnect reconnects
      }
    },
  };
}
