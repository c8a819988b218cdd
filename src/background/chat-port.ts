/**
 * @module The background's side of the side panel's chat (runtime port `framelock-chat`; docs/architecture.md, "The
 * call chat"): it relays, it keeps nothing. A panel opens the port, says which tab it shows (`open`), then sends
 * messages (`send`); the background forwards them to every content bridge of that tab (bridge-port.ts
 * {@link postToTab}) and relays what the bridges say of their chat to every panel of that tab, with how many frames
 * of the tab have a call.
 *
 * ```
 *  side panel ──open {tabId}──▶ here ──chat-history──▶ each bridge of the tab   (and `calls` back to the panel)
 *             ──send {id,…}──▶      ──chat-send────▶ each bridge of the tab
 *             ◀──entries───────     ◀──chat─────────  a bridge
 *             ◀──result (one per id: the bridges' answers combined)──◀──chat-result── each bridge
 *             ◀──ended─────────     ◀──call (ended) / its site turned off / its page gone
 *             ◀──calls─────────     ◀──tab status (tab-status.ts)
 * ```
 *
 * Nothing of the chat is written anywhere (no `storage.session`, no IndexedDB, no log): a message exists in the
 * bridge's memory (the transcript of its call), in an open panel's, and here only while it is relayed.
 *
 * Only the extension's own pages may open the port: our id and a URL under our base URL (a content script has our id
 * but the site's URL, another extension another id). Whether it is in a tab says nothing: the side panel is in none,
 * but the same page detached into a tab, or the popup's, is ours just as well. Anything else is disconnected and
 * counted as `chat_port_sender`. Messages of the wrong shape or out of turn are counted as `chat_port_invalid`.
 */
import * as v from 'valibot';
import browser from 'webextension-polyfill';
import {
  type BackgroundToPanel,
  CHAT_PORT_NAME,
  type ChatSendResult,
  type PanelToBackground,
  PanelToBackgroundSchema,
} from '../shared/messages';
import { type BridgeChatEvent, type BridgeChatSource, postToTab, setChatRelay } from './bridge-port';
import { CHAT_SEND_TIMEOUT_MS, MAX_PENDING_CHAT_SENDS } from './constants';
import { countRejection } from './rejections';
import { readTabCalls, setTabCallsListener } from './tab-status';
import { isExtensionPageSender } from './ui-request-check';

interface Panel {
  port: browser.Runtime.Port;
  /** The tab it shows, once it said (`open`). */
  tabId?: number;
  /** The frames with a call it was last told (`calls`): told again only when that changes. */
  calls?: number;
}

/**
 * A panel's message on its way: forwarded to every bridge of the tab, which each answer. One `sent` answers the panel
 * at once; otherwise it hears the most telling answer once every bridge answered (or went away, or
 * {@link CHAT_SEND_TIMEOUT_MS} passed): a frame without a call answers `ended`, the one with the call says why not.
 */
interface PendingSend {
  tabId: number;
  id: string;
  /** The bridges (bridge-port.ts connection ids) that have not answered yet. */
  awaiting: Set<number>;
  best: ChatSendResult | undefined;
  timer: ReturnType<typeof setTimeout>;
}

const panels = new Set<Panel>();
/** By `<tabId> <id>`. */
const pendingSends = new Map<string, PendingSend>();
const pendingKey = (tabId: number, id: string) => `${tabId} ${id}`;

function post(panel: Panel, message: BackgroundToPanel): void {
  try {
    panel.port.postMessage(message);
  } catch {
    // the panel closed
  }
}

/** Posts `message` to every panel that shows tab `tabId`. */
function postToPanels(tabId: number, message: BackgroundToPanel): void {
  for (const panel of panels) if (panel.tabId === tabId) post(panel, message);
}

/** Tells `panel` how many frames of its tab have a call, if that is news to it. */
function tellCalls(panel: Panel, count: number): void {
  if (panel.calls === count) return;
  panel.calls = count;
  post(panel, { type: 'calls', count });
}

/**
 * Handles a new runtime port named {@link CHAT_PORT_NAME} (src/background/index.ts dispatches by name). Refused unless
 * it comes from one of the extension's own pages.
 */
export function handleChatPort(port: browser.Runtime.Port): void {
  const sender = port.sender;
  if (
    port.name !== CHAT_PORT_NAME ||
    sender === undefined ||
    !isExtensionPageSender(sender, browser.runtime.id, browser.runtime.getURL(''))
  ) {
    countRejection('chat_port_sender');
    port.disconnect();
    return;
  }
  const panel: Panel = { port };
  panels.add(panel);
  port.onDisconnect.addListener(() => panels.delete(panel));
  port.onMessage.addListener((untrustedMessage: unknown) => {
    const parsed = v.safeParse(PanelToBackgroundSchema, untrustedMessage);
    if (!parsed.success) {
      countRejection('chat_port_invalid');
      return;
    }
    onPanelMessage(panel, parsed.output);
  });
}

function onPanelMessage(panel: Panel, message: PanelToBackground): void {
  switch (message.type) {
    case 'open':
      if (panel.tabId !== undefined) {
        countRejection('chat_port_invalid'); // one tab per port: a panel that shows another opens another port
        return;
      }
      open(panel, message.tabId);
      return;
    case 'send':
      if (panel.tabId === undefined) {
        countRejection('chat_port_invalid'); // which tab?
        return;
      }
      send(panel.tabId, message.id, message.text, message.name);
      return;
  }
}

/**
 * A panel shows tab `tabId` from now on: it hears how many frames have a call, and each bridge of the tab sends the
 * transcript of its call (every bridge: a second panel of the tab gets the same history, which replaces nothing new).
 */
function open(panel: Panel, tabId: number): void {
  panel.tabId = tabId;
  void readTabCalls(tabId, (count) => {
    if (panels.has(panel)) tellCalls(panel, count);
  });
  postToTab(tabId, { type: 'chat-history' });
}

/** Forwards a panel's message to the tab's bridges, and waits for their answers. */
function send(tabId: number, id: string, text: string, name: string): void {
  const key = pendingKey(tabId, id);
  if (pendingSends.has(key)) {
    countRejection('chat_port_invalid'); // an id already on its way: its one answer could not tell them apart
    return;
  }
  if ([...pendingSends.values()].filter((p) => p.tabId === tabId).length >= MAX_PENDING_CHAT_SENDS) {
    postToPanels(tabId, { type: 'result', id, result: 'busy' });
    return;
  }
  const reached = postToTab(tabId, { type: 'chat-send', id, text, name });
  if (reached.length === 0) {
    postToPanels(tabId, { type: 'result', id, result: 'ended' }); // no bridge in the tab: no call
    return;
  }
  pendingSends.set(key, {
    tabId,
    id,
    awaiting: new Set(reached),
    best: undefined,
    timer: setTimeout(() => answer(key), CHAT_SEND_TIMEOUT_MS),
  });
}

/** Tells the panels of its tab what became of a pending message: its best answer, `ended` if none came. */
function answer(key: string): void {
  const pending = pendingSends.get(key);
  if (pending === undefined) return;
  pendingSends.delete(key);
  clearTimeout(pending.timer);
  postToPanels(pending.tabId, { type: 'result', id: pending.id, result: pending.best ?? 'ended' });
}

/** What a bridge said of its chat (bridge-port.ts, after its checks): relayed to the panels of its tab. */
function relayFromBridge(source: BridgeChatSource, event: BridgeChatEvent): void {
  const { tabId, frameId, bridge } = source;
  switch (event.type) {
    case 'chat':
      postToPanels(tabId, { type: 'entries', frameId, entries: event.entries, replace: event.replace });
      return;
    case 'ended':
      postToPanels(tabId, { type: 'ended', frameId });
      return;
    case 'chat-result': {
      const key = pendingKey(tabId, event.id);
      const pending = pendingSends.get(key);
      // Only an answer it was asked for, once: a bridge cannot answer for another, or for a message of another tab.
      if (pending === undefined || !pending.awaiting.delete(bridge)) return;
      // `ended` is the answer of every frame without a call: any other says more.
      if (pending.best === undefined || pending.best === 'ended') pending.best = event.result;
      if (event.result === 'sent' || pending.awaiting.size === 0) answer(key);
      return;
    }
    case 'gone':
      for (const [key, pending] of pendingSends) {
        if (pending.tabId === tabId && pending.awaiting.delete(bridge) && pending.awaiting.size === 0) answer(key);
      }
      return;
  }
}

setChatRelay(relayFromBridge);
setTabCallsListener((tabId, count) => {
  for (const panel of panels) if (panel.tabId === tabId) tellCalls(panel, count);
});
