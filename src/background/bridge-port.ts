/**
 * @module The background's side of each content bridge (one runtime port per frame of an enabled site): it hands the
 * frame the epoch base keys of its room around the current epoch (and the next ones when the bridge asks, as epochs
 * pass), and collects the transform counters, the call, the data channels and the problems the frame reports into its
 * tab's status (tab-status.ts, which also sets the toolbar badge). A port from an origin that is not enabled gets no key.
 *
 * Nothing here needs the worker to stay alive: a bridge whose port broke (the service worker was stopped) reconnects,
 * and the keys come back from the room key in IndexedDB.
 *
 * The call chat passes through too, never stored: {@link postToTab} carries a side panel's messages to a tab's bridges,
 * and what the bridges say of their chat goes to the chat relay (src/background/chat-port.ts, {@link setChatRelay}).
 */
import browser from 'webextension-polyfill';
import { bytesToBase64, wipe } from '../shared/bytes';
import { acceptedEpochs, EPOCH_TOLERANCE, epochAt } from '../shared/epoch';
import {
  type BackgroundToBridge,
  BRIDGE_PORT_NAME,
  type BridgeRejectionReason,
  type BridgeToBackground,
  HELD_PROBLEMS,
  type HeldProblem,
  isHeldProblem,
  isSiteBlocked,
  SITES_REVISION_KEY,
  type SiteProblem,
} from '../shared/messages';
import { isNormalizedOrigin } from '../shared/origin';
import { parseBridgeMessage } from './bridge-messages';
import { clockNow } from './clock';
import { HELD_PROBLEM_TTL_MS, MAX_EPOCHS_AHEAD } from './constants';
import { epochKeyBytes, roomTagBytes } from './keys';
import { countRejection } from './rejections';
import { siteSharingScope } from './same-host';
import type { RoomRecord, SiteRecord } from './site-record';
import { addProblem, getSite, roomOf } from './sites';
import { tabStatusKey, updateTab } from './tab-status';

interface Connection {
  /** Names the connection to the chat relay ({@link BridgeChatSource}). */
  id: number;
  port: browser.Runtime.Port;
  origin: string;
  tabId: number | undefined;
  frameId: number;
  /** The document the bridge runs in (Chrome 106+): a new one in the top frame starts the tab's status afresh. */
  documentId: string | undefined;
  /** The port's messages are handled one after another, in the order they came. */
  queue: Promise<void>;
  /** The bridge reported a call and not yet its end: its end (or the bridge's) ends its chat for the side panels. */
  inCall?: boolean;
  /** The frame's transform worker stopped and no new one has taken over yet (`worker_stopped`). */
  workerStopped?: boolean;
  /** When the frame last reported each held problem that it still reports (`performance.now()`): see heldProblems. */
  held: Map<HeldProblem, number>;
}

const connections = new Set<Connection>();
let nextConnectionId = 1;

/** Where a bridge's chat news comes from: its tab and frame, and its connection (as {@link postToTab} names it). */
export interface BridgeChatSource {
  tabId: number;
  frameId: number;
  bridge: number;
}

/**
 * What a bridge said of its call's chat: its messages (`chat`), what became of a `chat-send` (`chat-result`), that its
 * transcript is gone (`ended`: its call ended, its site was turned off, or its page went away), and that the
 * connection itself closed (`gone`: it will answer nothing more).
 */
export type BridgeChatEvent =
  | Extract<BridgeToBackground, { type: 'chat' | 'chat-result' }>
  | { type: 'ended' }
  | { type: 'gone' };

type ChatRelay = (source: BridgeChatSource, event: BridgeChatEvent) => void;
let chatRelay: ChatRelay | undefined;

/** Hands every bridge's chat news to `relay` (src/background/chat-port.ts: one relay, set once). */
export function setChatRelay(relay: ChatRelay): void {
  chatRelay = relay;
}

function relayChat(connection: Connection, event: BridgeChatEvent): void {
  const { tabId, frameId, id } = connection;
  if (tabId !== undefined) chatRelay?.({ tabId, frameId, bridge: id }, event);
}

/** The frame's call, and its chat transcript with it, is gone (once per call): side panels hear `ended`. */
function chatEnded(connection: Connection): void {
  if (!connection.inCall) return;
  connection.inCall = false;
  relayChat(connection, { type: 'ended' });
}

/**
 * Posts `message` (a chat message of a side panel) to every bridge of tab `tabId`; returns the connections it went to,
 * as {@link BridgeChatSource.bridge} names them.
 */
export function postToTab(
  tabId: number,
  message: Extract<BackgroundToBridge, { type: 'chat-send' | 'chat-history' }>,
): number[] {
  const reached: number[] = [];
  for (const connection of connections) {
    if (connection.tabId !== tabId) continue;
    send(connection.port, message);
    reached.push(connection.id);
  }
  return reached;
}

function send(port: browser.Runtime.Port, message: BackgroundToBridge): void {
  try {
    port.postMessage(message);
  } catch {
    // the frame went away
  }
}

const tabRoomKey = (tabId: number) => `room:${tabId}`;

/** The room a tab chose (`tabs/select-room`), if it did. */
async function tabRoom(tabId: number | undefined): Promise<string | undefined> {
  if (tabId === undefined) return undefined;
  const value = (await browser.storage.session.get(tabRoomKey(tabId)))[tabRoomKey(tabId)];
  return typeof value === 'string' ? value : undefined;
}

/** Makes `room` the one tab `tabId` uses, and re-keys its frames. */
export async function selectTabRoom(tabId: number, room: string): Promise<void> {
  await browser.storage.session.set({ [tabRoomKey(tabId)]: room });
  for (const connection of connections) if (connection.tabId === tabId) await keyConnection(connection);
}

/** The site and room whose keys a connection gets: the tab's choice if the site still has it, else the active one. */
async function roomFor(connection: Connection): Promise<{ site?: SiteRecord; room?: RoomRecord }> {
  const site = await getSite(connection.origin);
  if (site === undefined) return {};
  const chosen = await tabRoom(connection.tabId);
  return { site, room: (chosen !== undefined ? roomOf(site, chosen) : undefined) ?? roomOf(site) };
}

/** What names a room key: a new passphrase (or another room) gives another name, and the bridge starts over. */
const roomName = (room: RoomRecord) => `${room.label}\u0000${room.keyedAt}`;

/** Sends the epoch base keys of `epochs` (those near the background's clock only). */
async function sendEpochKeys(connection: Connection, room: RoomRecord, epochs: readonly number[]): Promise<void> {
  const now = await clockNow();
  const current = epochAt(now);
  const wanted = [...new Set(epochs)].filter((e) => e >= current - EPOCH_TOLERANCE && e <= current + MAX_EPOCHS_AHEAD);
  const keys: { epoch: number; key: string }[] = [];
  for (const epoch of wanted) {
    const bytes = await epochKeyBytes(room.roomKey, epoch);
    try {
      keys.push({ epoch, key: bytesToBase64(bytes) });
    } finally {
      wipe(bytes);
    }
  }
  const tag = await roomTagBytes(room.roomKey);
  try {
    send(connection.port, { type: 'epoch-keys', room: roomName(room), roomTag: bytesToBase64(tag), now, keys });
  } finally {
    wipe(tag);
  }
}

/** Sends the connection the keys of its room around the current epoch, or tells it there are none. */
async function keyConnection(connection: Connection): Promise<void> {
  const { site, room } = await roomFor(connection);
  if (site === undefined && (await siteSharingScope(connection.origin)) !== undefined) {
    // Another port of an enabled site's host (Firefox): not this site. Its page's calls go as they would without us.
    send(connection.port, { type: 'stand-aside' });
    await dropFrame(connection, 'all');
    return;
  }
  if (site === undefined) {
    send(connection.port, { type: 'no-key' });
    // Its counters no longer describe protected media (and its further reports are refused): off the badge.
    await dropFrame(connection, 'all');
    // Its call ends with its keys, and the bridge's word of it would be refused (not enabled): a panel hears it here.
    chatEnded(connection);
    return;
  }
  send(connection.port, { type: 'settings', strict: site.strict ?? false, indicator: site.indicator ?? true });
  if (isSiteBlocked(site.problems)) {
    // A page of this site removed our encryption twice: no key, and no call, until the user allows them again.
    send(connection.port, { type: 'blocked' });
    await updateTab(connection, { problem: 'tampering_blocked' });
    return;
  }
  if (room === undefined) {
    send(connection.port, { type: 'no-key' });
    await recordProblem(connection, 'no_room_key');
    await updateTab(connection, { problem: 'no_room_key' });
    return;
  }
  const current = epochAt(await clockNow());
  await sendEpochKeys(connection, room, [...acceptedEpochs(current)]);
  await updateTab(connection, { room: room.label });
}

/** Answers a bridge that asks ahead for the keys of coming epochs (they must be near the background's clock). */
async function answerEpochKeysRequest(connection: Connection, epochs: readonly number[]): Promise<void> {
  const { site, room } = await roomFor(connection);
  if (site !== undefined && isSiteBlocked(site.problems)) {
    send(connection.port, { type: 'blocked' });
    return;
  }
  if (room === undefined) {
    send(connection.port, { type: 'no-key' });
    return;
  }
  await sendEpochKeys(connection, room, epochs);
}

/**
 * Re-keys (or un-keys) every open frame of `origin`, after its record changed (enabled with a new passphrase,
 * disabled, blocked or allowed again), and tells an open options page.
 */
export async function notifySiteChanged(origin: string): Promise<void> {
  await sitesChanged();
  for (const connection of connections) if (connection.origin === origin) await keyConnection(connection);
}

/**
 * The held problems (`HELD_PROBLEMS`, such as `not_sending`) that a frame of tab `tabId` reported within
 * {@link HELD_PROBLEM_TTL_MS}: the tab's status shows these and no others. A bridge repeats a held problem while it
 * holds and has no message that says it stopped, so silence is what clears it; a report older than that is forgotten
 * here. Counted over the open frames only: one that went away takes its reports along.
 *
 * Kept in memory: when the service worker restarts, what the tab showed clears at the frame's next report, and comes
 * back with the bridge's next repeat.
 */
function heldProblems(tabId: number | undefined): HeldProblem[] {
  const now = performance.now();
  const held = new Set<HeldProblem>();
  for (const connection of connections) {
    if (connection.tabId !== tabId) continue;
    for (const [problem, reportedAt] of connection.held) {
      if (now - reportedAt > HELD_PROBLEM_TTL_MS) connection.held.delete(problem);
      else held.add(problem);
    }
  }
  return HELD_PROBLEMS.filter((problem) => held.has(problem));
}

/**
 * Forgets the counters, call and held problems of `connection`'s frame: nothing it said describes media any more.
 * `'all'` (its site is off): its data channels too; `'media'` (its worker stopped): they stay (tab-status.ts).
 */
async function dropFrame(
  connection: Connection,
  what: 'all' | 'media',
  change: { problem?: SiteProblem } = {},
): Promise<void> {
  connection.held.clear();
  await updateTab(connection, { ...change, dropFrame: what, held: heldProblems(connection.tabId) });
}

/** Records a problem of the site of `connection`'s frame; if it is new there, an open options page shows it now. */
async function recordProblem(connection: Connection, problem: SiteProblem): Promise<void> {
  if (await addProblem(connection.origin, problem)) await sitesChanged();
}

/** Tells open extension pages that a site's record changed ({@link SITES_REVISION_KEY}). */
async function sitesChanged(): Promise<void> {
  await browser.storage.session.set({ [SITES_REVISION_KEY]: Date.now() });
}

/**
 * Handles a new runtime port. Only our content bridges may connect: our extension id, a frame of a tab, and an
 * http(s) origin that the browser reports (never one the page says). Anything else is disconnected and counted.
 */
export function handleBridgePort(port: browser.Runtime.Port): void {
  if (port.name !== BRIDGE_PORT_NAME) {
    countRejection('port_name');
    port.disconnect();
    return;
  }
  const sender = port.sender;
  // The origin comes from the browser, never from the page: sender.origin is the frame's (for about:blank and
  // srcdoc frames, the origin they inherit).
  // Chrome serialises it in the normal form already: anything else (an opaque origin's "null", which the lenient
  // `normalizeOrigin` would read as the host name "null") is not a frame we serve.
  const origin = senderOrigin(sender);
  const tabId = sender?.tab?.id;
  if (
    sender?.id !== browser.runtime.id ||
    !isNormalizedOrigin(origin) ||
    !Number.isSafeInteger(tabId) ||
    (tabId as number) < 0
  ) {
    countRejection('port_sender');
    port.disconnect();
    return;
  }
  const connection: Connection = {
    id: nextConnectionId++,
    port,
    origin,
    tabId,
    frameId: Number.isSafeInteger(sender.frameId) ? (sender.frameId as number) : 0,
    documentId: (sender as { documentId?: string }).documentId,
    queue: Promise.resolve(),
    held: new Map(),
  };
  connections.add(connection);
  if (connection.frameId === 0 && connection.documentId !== undefined) {
    void updateTab(connection, { document: connection.documentId });
  }
  port.onDisconnect.addListener(() => {
    connections.delete(connection);
    // The frame's page went away (or reloads): its call and held problems go with it, after what it sent before; so
    // does its chat transcript (the bridge's memory), and it answers no more chat-send.
    connection.queue = connection.queue.then(() => {
      chatEnded(connection);
      relayChat(connection, { type: 'gone' });
      return updateTab(connection, { documentGone: true, held: heldProblems(connection.tabId) });
    });
  });
  port.onMessage.addListener((message: unknown) => {
    connection.queue = connection.queue
      .then(() => onBridgeMessage(connection, message))
      .catch((error: unknown) => {
        console.error('Framelock: a bridge message failed', error);
      });
  });
  void keyConnection(connection);
}

/** The frame's origin as the browser reports it (`sender.origin`, Chrome 80+), else its URL's. */
function senderOrigin(sender: browser.Runtime.MessageSender | undefined): string {
  const origin = (sender as { origin?: unknown } | undefined)?.origin;
  if (typeof origin === 'string') return origin;
  try {
    return sender?.url ? new URL(sender.url).origin : '';
  } catch {
    return '';
  }
}

/**
 * One message of a bridge: checked (shape, size, type: bridge-messages.ts), then accepted only while the bridge's
 * origin is enabled (a tab opened before the site was disabled keeps its bridge, and reports, until it reloads).
 */
async function onBridgeMessage(connection: Connection, message: unknown): Promise<void> {
  const m = parseBridgeMessage(message, EPOCH_TOLERANCE);
  if (m === undefined) {
    countRejection('port_invalid');
    return;
  }
  if ((await getSite(connection.origin)) === undefined) {
    countRejection('port_not_enabled');
    return;
  }
  switch (m.type) {
    case 'stats':
      // Each report also lets the held problems nobody repeats lapse.
      await updateTab(connection, { stats: m.stats, held: heldProblems(connection.tabId) });
      return;
    case 'call':
      // A call that ended takes along the held problems it had (they describe that call).
      if (m.call === undefined) {
        connection.held.clear();
        chatEnded(connection); // and its chat transcript with it
      } else {
        connection.inCall = true;
      }
      await updateTab(connection, { call: m.call ?? null, held: heldProblems(connection.tabId) });
      return;
    case 'data-channels':
      await updateTab(connection, { channels: m.channels });
      return;
    case 'chat':
    case 'chat-result':
      relayChat(connection, m);
      return;
    case 'epoch-keys-request':
      await answerEpochKeysRequest(connection, m.epochs);
      return;
    case 'rejections':
      for (const [reason, n] of Object.entries(m.counts)) countRejection(reason as BridgeRejectionReason, n);
      return;
    case 'problem': {
      if (m.problem === 'clock_skew') {
        const distance = Number(m.detail);
        await recordProblem(connection, 'clock_skew');
        await updateTab(connection, { problem: 'clock_skew', clockSkew: distance });
        return;
      }
      if (m.problem === 'worker_stopped') {
        // This page load's problem, not the site's: its counters no longer describe any media (none flows).
        connection.workerStopped = true;
        await dropFrame(connection, 'media', { problem: 'worker_stopped' });
        return;
      }
      if (m.problem === 'worker_restarted') {
        // A new worker took over in this frame: encryption did not stop for good, so the tab keeps a notice, and its
        // counters say "protected" again once they flow. `worker_stopped` stays while another frame's worker is gone.
        connection.workerStopped = false;
        const othersStopped = [...connections].some(
          (c) => c !== connection && c.tabId === connection.tabId && c.workerStopped === true,
        );
        await updateTab(connection, {
          problem: 'worker_restarted',
          ...(othersStopped ? {} : { solved: 'worker_stopped' }),
        });
        return;
      }
      if (isHeldProblem(m.problem)) {
        // True while the bridge repeats it (HELD_PROBLEMS): the tab's, never recorded in the site's record.
        connection.held.set(m.problem, performance.now());
        await updateTab(connection, { held: heldProblems(connection.tabId) });
        return;
      }
      const frame = m.problem === 'cross_origin_frame' ? m.detail : undefined;
      // A frame origin that is enabled is protected by its own scripts: nothing to report.
      if (frame !== undefined && (await getSite(frame)) !== undefined) return;
      await recordProblem(connection, m.problem);
      await updateTab(connection, { problem: m.problem, ...(frame !== undefined ? { frameOrigin: frame } : {}) });
      // A site that fights our encryption in one tab is the same site in the others: block them all now.
      if (m.problem === 'tampering_blocked') await notifySiteChanged(connection.origin);
      return;
    }
  }
}

// A closed tab's status and room choice go with it.
browser.tabs?.onRemoved.addListener(
  (tabId) => void browser.storage.session.remove([tabStatusKey(tabId), tabRoomKey(tabId)]),
);
