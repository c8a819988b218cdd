/**
 * @module The status of each tab, kept in `storage.session` under `tab:<id>` (the service worker may stop at any time):
 * what its frames' transforms counted, each frame's call and data channels, the problems they ran into, its room. The
 * bridge ports write it ({@link updateTab}, which also updates the toolbar badge); the popup reads it (`status/get`,
 * {@link readTabStatuses}).
 */
import * as v from 'valibot';
import browser from 'webextension-polyfill';
import {
  type CallStatus,
  type DataChannelReport,
  type HeldProblem,
  isHeldProblem,
  type SiteProblem,
  type TabCall,
  type TabDataChannels,
  type TabStatus,
  TabStatusSchema,
  type TransformStats,
} from '../shared/messages';
import { updateBadge } from './badge';
import { MAX_TAB_CALLS, MAX_TAB_CHANNEL_FRAMES, MAX_TAB_TRANSFORMS, MAX_TAB_UNPROTECTED_FRAMES } from './constants';
import { withTabStatusLock } from './locks';
import { getSite } from './sites';

/** The `storage.session` key of a tab's status. */
export const tabStatusKey = (tabId: number) => `tab:${tabId}`;

type TabCallsListener = (tabId: number, count: number) => void;
let tabCallsListener: TabCallsListener | undefined;

/**
 * Tells `listener` how many frames of a tab have a call whenever that number changes (src/background/chat-port.ts:
 * one listener, set once). It runs under the tab's status lock, so it hears the changes of a tab in order, and never
 * between {@link readTabCalls} and what that does with the number.
 */
export function setTabCallsListener(listener: TabCallsListener): void {
  tabCallsListener = listener;
}

/** Runs `use` with how many frames of tab `tabId` have a call now, under the tab's status lock. Never rejects. */
export function readTabCalls(tabId: number, use: (count: number) => void): Promise<void> {
  return withTabStatusLock(tabId, async () => {
    const key = tabStatusKey(tabId);
    const status: unknown = (await browser.storage.session.get(key))[key];
    use(v.is(TabStatusSchema, status) ? (status.calls?.length ?? 0) : 0);
  }).catch(() => {
    // storage is gone with the worker: the panel's port goes with it too, and it opens again
  });
}

/** The frame a change comes from (a bridge port's connection). */
export interface StatusSource {
  /** Its tab; a frame outside a tab has no status. */
  tabId: number | undefined;
  /** Its site, the tab's origin when the tab has no status yet. */
  origin: string;
  /** Its frame: the transforms it reports are kept as `<frameId>/<id>`, its call with its frame id. */
  frameId: number;
  /** Its document (Chrome 106+), kept with its call and data channels: see {@link TabChange.documentGone}. */
  documentId?: string | undefined;
}

export type TabChange = {
  /** A new top-level document connected: counters of the previous page load no longer describe the tab. */
  document?: string;
  stats?: TransformStats[];
  problem?: SiteProblem;
  /** A problem that no longer holds for this tab (a new transform worker took over: `worker_stopped`). */
  solved?: SiteProblem;
  frameOrigin?: string;
  clockSkew?: number;
  room?: string;
  /**
   * Forget the frame's counters and its call (a tab with no status stays without one): `'all'`, its site is no longer
   * enabled, and its data channels go too; `'media'`, its transform worker stopped, and its data channels stay as last
   * reported (the bridge protects them, not the worker, and reports them again only when their counts change).
   */
  dropFrame?: 'all' | 'media';
  /** The frame's call now (docs/keys.md), or `null`: it has none any more. */
  call?: CallStatus | null;
  /** The frame's data channels now (src/shared/messages/data-channels.ts): they replace its last report; empty: none. */
  channels?: readonly DataChannelReport[];
  /**
   * The frame's document went away (its port closed: unloaded, reloaded, navigated): forget the call and data channels
   * it reported. Only that document's: another page may already have reported its own from the same frame.
   */
  documentGone?: true;
  /**
   * The held problems (`HELD_PROBLEMS`: true while a bridge keeps reporting them) that some frame of the tab reported
   * recently: they replace the held problems the tab had.
   */
  held?: readonly HeldProblem[];
};

/**
 * Applies `change` to the status of `source`'s tab, then shows it on the badge. Updates of one tab run one after
 * another (each is a read-modify-write of storage.session). Never rejects.
 */
export function updateTab(source: StatusSource, change: TabChange): Promise<void> {
  const { tabId } = source;
  if (tabId === undefined) return Promise.resolve();
  return withTabStatusLock(tabId, () => applyTabChange(source, tabId, change)).catch(() => {
    // the tab closed, or storage is gone with the worker: the next report writes a fresh status
  });
}

async function applyTabChange(source: StatusSource, tabId: number, change: TabChange): Promise<void> {
  const key = tabStatusKey(tabId);
  let previous = (await browser.storage.session.get(key))[key] as TabStatus | undefined;
  const callsBefore = previous?.calls?.length ?? 0;
  if (change.document !== undefined && previous?.document !== change.document) previous = undefined;
  if (change.documentGone && source.frameId === 0 && previous !== undefined && isStatusDocument(previous, source)) {
    // The page the status describes went away (navigated, reloaded, closed), and its frames with it. The browser
    // resets the tab's button when the next page commits, which may be before this: showing the old page's status now
    // would put its badge and icon on the next page (test/browser/toolbar-icon.test.ts). Its status goes instead; the
    // next page's bridge, if it has one, shows its own.
    await browser.storage.session.remove(key);
    if (callsBefore > 0) tabCallsListener?.(tabId, 0);
    return;
  }
  // What only forgets needs no status where there is none.
  const forgetsOnly =
    change.dropFrame !== undefined || change.documentGone || change.call === null || change.channels?.length === 0;
  if (forgetsOnly && previous === undefined) return;
  const status: TabStatus = previous ?? {
    tabId,
    origin: source.origin,
    transforms: [],
    problems: [],
    updatedAt: 0,
  };
  if (change.dropFrame) {
    const prefix = `${source.frameId}/`;
    status.transforms = status.transforms.filter((s) => !s.id.startsWith(prefix));
  }
  if (change.dropFrame || change.documentGone || change.call !== undefined) {
    status.calls = nextCalls(status.calls ?? [], source, change);
    if (status.calls.length === 0) delete status.calls;
  }
  if (change.dropFrame === 'all' || change.documentGone || change.channels !== undefined) {
    status.channels = nextChannels(status.channels ?? [], source, change);
    if (status.channels.length === 0) delete status.channels;
  }
  if (change.stats) {
    const prefix = `${source.frameId}/`;
    const fresh = change.stats.map((s) => ({ ...s, id: `${prefix}${s.id}` }));
    const freshIds = new Set(fresh.map((s) => s.id));
    status.transforms = [...status.transforms.filter((s) => !freshIds.has(s.id)), ...fresh].slice(-MAX_TAB_TRANSFORMS);
  }
  if (change.document !== undefined) status.document = change.document;
  if (change.solved) status.problems = status.problems.filter((p) => p !== change.solved);
  if (change.problem && !status.problems.includes(change.problem)) status.problems.push(change.problem);
  if (change.held !== undefined) {
    // In place: a problem that stays keeps its place in the list.
    const held = change.held;
    status.problems = status.problems.filter((p) => !isHeldProblem(p) || held.includes(p));
    for (const problem of held) if (!status.problems.includes(problem)) status.problems.push(problem);
  }
  if (change.room !== undefined) {
    status.room = change.room;
    // Keyed again: a missing key is no longer a problem of this tab.
    status.problems = status.problems.filter((p) => p !== 'no_room_key');
  }
  if (change.clockSkew !== undefined && Math.abs(change.clockSkew) >= Math.abs(status.clockSkew ?? 0)) {
    status.clockSkew = change.clockSkew;
  }
  if (change.frameOrigin !== undefined) {
    const frames = status.unprotectedFrames ?? [];
    if (!frames.includes(change.frameOrigin) && frames.length < MAX_TAB_UNPROTECTED_FRAMES) {
      frames.push(change.frameOrigin);
    }
    status.unprotectedFrames = frames;
  }
  status.updatedAt = Date.now();
  await browser.storage.session.set({ [key]: status });
  const callsAfter = status.calls?.length ?? 0;
  if (callsAfter !== callsBefore) tabCallsListener?.(tabId, callsAfter);
  await updateBadge(tabId, status, await isEnabled(status.origin));
}

/** Whether `origin` is an enabled site; false when the sites cannot be read (the icon then says "off"). */
async function isEnabled(origin: string): Promise<boolean> {
  try {
    return (await getSite(origin)) !== undefined;
  } catch {
    return false;
  }
}

/** Whether `status` is that of `source`'s document (Chrome names documents; Firefox does not, so never there). */
function isStatusDocument(status: TabStatus, source: StatusSource): boolean {
  return source.documentId !== undefined && status.document === source.documentId;
}

/** The tab's calls once `change` from `source`'s frame is applied: one per frame, in frame id order, at most a few. */
function nextCalls(calls: readonly TabCall[], source: StatusSource, change: TabChange): TabCall[] {
  const call = change.dropFrame || change.documentGone ? undefined : (change.call ?? undefined);
  return replaceFrameEntry(calls, source, change, call && { ...frameOf(source), call }, MAX_TAB_CALLS);
}

/**
 * The tab's data channels once `change` from `source`'s frame is applied: one entry per frame that has some, with its
 * latest report (a report replaces the frame's last one; without channels, the frame has none).
 */
function nextChannels(entries: readonly TabDataChannels[], source: StatusSource, change: TabChange): TabDataChannels[] {
  const channels = change.channels ?? [];
  const entry = channels.length > 0 ? { ...frameOf(source), channels: [...channels] } : undefined;
  return replaceFrameEntry(entries, source, change, entry, MAX_TAB_CHANNEL_FRAMES);
}

/** How a frame's entry names its frame and document. */
function frameOf({ frameId, documentId }: StatusSource): { frameId: number; documentId?: string } {
  return { frameId, ...(documentId !== undefined ? { documentId } : {}) };
}

/**
 * A tab's per-frame entries (calls, data channels) with `entry` in place of what `source`'s frame had, or without it
 * when `entry` is undefined: one per frame, in frame id order, at most `max`. A document that went away takes only its
 * own entry along (the page that replaced it in the frame may have reported its own already).
 */
function replaceFrameEntry<T extends { frameId: number; documentId?: string | undefined }>(
  entries: readonly T[],
  source: StatusSource,
  change: TabChange,
  entry: T | undefined,
  max: number,
): T[] {
  const replaced = (e: T) =>
    e.frameId === source.frameId && (!change.documentGone || e.documentId === source.documentId);
  const kept = entries.filter((e) => !replaced(e));
  if (entry === undefined) return kept;
  return [...kept, entry].sort((a, b) => a.frameId - b.frameId).slice(0, max);
}

/** Every tab's status, by tab id; an entry that is not a valid {@link TabStatus} is left out. */
export async function readTabStatuses(): Promise<TabStatus[]> {
  const items = await browser.storage.session.get(null);
  return Object.entries(items)
    .filter(([key, value]) => /^tab:\d+$/.test(key) && v.is(TabStatusSchema, value))
    .map(([, value]) => value as TabStatus)
    .sort((a, b) => a.tabId - b.tabId);
}
