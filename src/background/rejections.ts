/**
 * @module How many messages each trust boundary refused, per reason (`RejectionReason`): the background's own refusals
 * and those the content bridges report. A refused message is otherwise silent (an attacker learns nothing from an
 * answer), so these numbers are how a developer or a test sees that a page, a build or another extension sends what it
 * should not. `diagnostics/get` returns them; no UI shows them.
 *
 * The service worker may stop at any time, so the counts live in `storage.session` (only the extension's trusted
 * contexts can read it; it lasts as long as the browser session). Counting is synchronous and cheap; the writes are
 * batched (at most one per `REJECTIONS_FLUSH_MS`, constants.ts), so a flood of bad messages costs one write a second,
 * not one each.
 */
import browser from 'webextension-polyfill';
import { REJECTION_REASONS, type RejectionCounts, type RejectionReason } from '../shared/messages';
import { REJECTIONS_FLUSH_MS } from './constants';
import { withRejectionsLock } from './locks';

const STORAGE_KEY = 'rejections';

/** Counted since the last write. */
const pending = new Map<RejectionReason, number>();
let flushTimer: ReturnType<typeof setTimeout> | undefined;

/** Counts `n` refusals for `reason` (the bridges report several at once). */
export function countRejection(reason: RejectionReason, n = 1): void {
  if (!Number.isSafeInteger(n) || n <= 0) return;
  pending.set(reason, Math.min((pending.get(reason) ?? 0) + n, Number.MAX_SAFE_INTEGER));
  flushTimer ??= setTimeout(() => void flushRejections(), REJECTIONS_FLUSH_MS);
}

function zero(): Record<RejectionReason, number> {
  const counts = {} as Record<RejectionReason, number>;
  for (const reason of REJECTION_REASONS) counts[reason] = 0;
  return counts;
}

/** The stored counts, every reason present; anything unexpected in storage is read as 0. */
async function readStored(): Promise<RejectionCounts> {
  const stored = (await browser.storage.session.get(STORAGE_KEY))[STORAGE_KEY] as Partial<RejectionCounts> | undefined;
  const counts = zero();
  const storedCounts = (typeof stored?.counts === 'object' && stored.counts !== null ? stored.counts : {}) as Record<
    string,
    unknown
  >;
  for (const reason of REJECTION_REASONS) {
    const n = storedCounts[reason];
    if (Number.isSafeInteger(n) && (n as number) >= 0) counts[reason] = n as number;
  }
  const since = typeof stored?.since === 'number' && Number.isFinite(stored.since) ? stored.since : Date.now();
  return { counts, since };
}

/** Writes what was counted since the last write. Never throws (storage may be gone with the worker). */
export function flushRejections(): Promise<void> {
  clearTimeout(flushTimer);
  flushTimer = undefined;
  // Writes run one after another (locks.ts): each is a read-modify-write of storage.session.
  return withRejectionsLock(async () => {
    if (pending.size === 0) return;
    const batch = new Map(pending);
    pending.clear();
    try {
      const stored = await readStored();
      for (const [reason, n] of batch) {
        stored.counts[reason] = Math.min(stored.counts[reason] + n, Number.MAX_SAFE_INTEGER);
      }
      await browser.storage.session.set({ [STORAGE_KEY]: stored });
    } catch (error) {
      console.error('Framelock: could not store the rejection counts', error);
    }
  });
}

/** Every count so far, the ones not yet written included. */
export async function rejectionCounts(): Promise<RejectionCounts> {
  await flushRejections();
  return readStored();
}
