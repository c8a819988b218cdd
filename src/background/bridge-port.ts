/**
 * The background's side of each content bridge (one runtime port per frame of an enabled site): it hands the frame
 * its site's epoch base key, collects the transform counters the worker reports, and turns them into the toolbar
 * badge and the status the UI shows. A port from an origin that is not enabled gets no key.
 */
import browser from 'webextension-polyfill';
import { bytesToBase64, wipe } from '../shared/bytes';
import {
  type BackgroundToBridge,
  SITE_PROBLEMS,
  type SiteProblem,
  type TabStatus,
  type TransformStats,
  UNPROTECTING_PROBLEMS,
} from '../shared/messages';
import { normalizeOrigin } from '../shared/origin';
import { isTransformStatsList } from '../shared/stats';
import { epochKeyBytes } from './keys';
import { addProblem, getSite } from './sites';

export const BRIDGE_PORT_NAME = 'framelock-bridge';
/** Until the key lifecycle lands, every site runs in epoch 0. */
const CURRENT_EPOCH = 0;

interface Connection {
  port: browser.Runtime.Port;
  origin: string;
  tabId: number | undefined;
  frameId: number;
}

const connections = new Set<Connection>();

function send(port: browser.Runtime.Port, message: BackgroundToBridge): void {
  try {
    port.postMessage(message);
  } catch {
    // the frame went away
  }
}

/** Sends the connection its key, or tells it there is none. */
async function keyConnection(connection: Connection): Promise<void> {
  const site = await getSite(connection.origin);
  if (site === undefined) {
    send(connection.port, { type: 'no-key' });
    return;
  }
  const bytes = await epochKeyBytes(site.roomKey, CURRENT_EPOCH);
  try {
    send(connection.port, { type: 'epoch-key', epoch: CURRENT_EPOCH, key: bytesToBase64(bytes) });
  } finally {
    wipe(bytes);
  }
}

/** Re-keys (or un-keys) every open frame of `origin`: after enabling with a new passphrase, or disabling. */
export async function notifySiteChanged(origin: string): Promise<void> {
  for (const connection of connections) if (connection.origin === origin) await keyConnection(connection);
}

// ---- status per tab, kept in storage.session (the service worker may stop at any time) -----------------------------

const tabKey = (tabId: number) => `tab:${tabId}`;

type TabChange = { stats?: TransformStats[]; problem?: SiteProblem; frameOrigin?: string };

/** One chain of updates per tab: each is a read-modify-write of storage.session, so two at once could lose one. */
const tabUpdates = new Map<number, Promise<void>>();

function updateTab(connection: Connection, change: TabChange): Promise<void> {
  const { tabId } = connection;
  if (tabId === undefined) return Promise.resolve();
  const next = (tabUpdates.get(tabId) ?? Promise.resolve())
    .then(() => applyTabChange(connection, tabId, change))
    .catch(() => {
      // the tab closed, or storage is gone with the worker: the next report writes a fresh status
    });
  tabUpdates.set(tabId, next);
  void next.then(() => {
    if (tabUpdates.get(tabId) === next) tabUpdates.delete(tabId);
  });
  return next;
}

async function applyTabChange(connection: Connection, tabId: number, change: TabChange): Promise<void> {
  const key = tabKey(tabId);
  const previous = (await browser.storage.session.get(key))[key] as TabStatus | undefined;
  const status: TabStatus = previous ?? {
    tabId,
    origin: connection.origin,
    transforms: [],
    problems: [],
    updatedAt: 0,
  };
  if (change.stats) {
    const prefix = `${connection.frameId}/`;
    const fresh = change.stats.map((s) => ({ ...s, id: `${prefix}${s.id}` }));
    const freshIds = new Set(fresh.map((s) => s.id));
    status.transforms = [...status.transforms.filter((s) => !freshIds.has(s.id)), ...fresh].slice(-64);
  }
  if (change.problem && !status.problems.includes(change.problem)) status.problems.push(change.problem);
  if (change.frameOrigin !== undefined) {
    const frames = status.unprotectedFrames ?? [];
    if (!frames.includes(change.frameOrigin) && frames.length < 16) frames.push(change.frameOrigin);
    status.unprotectedFrames = frames;
  }
  status.updatedAt = Date.now();
  await browser.storage.session.set({ [key]: status });
  await updateBadge(tabId, status);
}

async function updateBadge(tabId: number, status: TabStatus): Promise<void> {
  const receiving = status.transforms.filter((s) => s.side === 'receive');
  const warning =
    status.problems.some((p) => UNPROTECTING_PROBLEMS.includes(p)) ||
    receiving.some((s) => s.status === 'unencrypted' || s.status === 'undecryptable');
  const protectedNow = status.transforms.some((s) => s.status === 'encrypted');
  const text = warning ? '!' : protectedNow ? 'E2E' : '';
  try {
    // Title and colour first: whoever sees the new badge text also finds the words that explain it.
    await browser.action.setTitle({
      tabId,
      title: warning
        ? 'Framelock: some media on this page is NOT end-to-end encrypted'
        : protectedNow
          ? 'Framelock: calls on this page are end-to-end encrypted'
          : 'Framelock',
    });
    await browser.action.setBadgeBackgroundColor({ tabId, color: warning ? '#b3261e' : '#1b6e3a' });
    await browser.action.setBadgeText({ tabId, text });
  } catch {
    // the tab closed
  }
}

/** Handles a new runtime port; ignores ports that are not a bridge's. */
export function handleBridgePort(port: browser.Runtime.Port): void {
  if (port.name !== BRIDGE_PORT_NAME) return;
  const sender = port.sender;
  // The origin comes from the browser, never from the page: sender.origin is the frame's (for about:blank and
  // srcdoc frames, the origin they inherit).
  const claimed =
    (sender as { origin?: string } | undefined)?.origin ?? (sender?.url ? new URL(sender.url).origin : '');
  const normalized = normalizeOrigin(claimed);
  if (sender?.id !== browser.runtime.id || !normalized.ok) {
    port.disconnect();
    return;
  }
  const connection: Connection = {
    port,
    origin: normalized.origin,
    tabId: sender.tab?.id,
    frameId: sender.frameId ?? 0,
  };
  connections.add(connection);
  port.onDisconnect.addListener(() => connections.delete(connection));
  port.onMessage.addListener((message: unknown) => {
    const m = message as { type?: unknown; stats?: unknown; problem?: unknown; detail?: unknown };
    if (m?.type === 'stats' && isTransformStatsList(m.stats)) {
      void updateTab(connection, { stats: m.stats });
    } else if (m?.type === 'problem' && (SITE_PROBLEMS as readonly unknown[]).includes(m.problem)) {
      const problem = m.problem as SiteProblem;
      const frame =
        problem === 'cross_origin_frame' && typeof m.detail === 'string' ? normalizeOrigin(m.detail) : undefined;
      // A frame origin that is enabled is protected by its own scripts: nothing to report.
      void (async () => {
        if (frame?.ok && (await getSite(frame.origin)) !== undefined) return;
        await addProblem(connection.origin, problem);
        await updateTab(connection, { problem, ...(frame?.ok ? { frameOrigin: frame.origin } : {}) });
      })();
    }
  });
  void keyConnection(connection);
}

browser.tabs?.onRemoved.addListener((tabId) => void browser.storage.session.remove(tabKey(tabId)));
