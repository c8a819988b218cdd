/**
 * What the popup's call panel shows, from the transform counters of one tab (`TabStatus.transforms`): one row per
 * local track ("Your media") and one row per remote sender ("Participants"), and the verdict over the tab, its data
 * channels included (channels.ts). Pure: no DOM, no extension APIs.
 *
 * A remote KID is `0b1100 | generation (4 bits) | participant id (44 bits) | track (12 bits)` (docs/frame-format.md):
 * its low 56 bits tell which KIDs of one receiver are the same sender across key generations (one row) and which are
 * different senders an SFU switched between on one track (one row each).
 */
import type { TabStatus, TransformStats } from '../shared/messages';
import { hasClearChannel } from './channels';

/**
 * What a row says: `blocked` is plaintext that strict mode dropped (not shown); `injected` is plaintext that arrived on
 * a track that had carried this participant's encrypted media, dropped too (someone else is putting media in it).
 */
export type RowStatus = 'encrypted' | 'undecryptable' | 'unencrypted' | 'blocked' | 'injected' | 'waiting';

export interface MediaRow {
  /** Stable across refreshes (the transform id, and the sender id when a receiver has several). */
  key: string;
  kind: 'audio' | 'video';
  status: RowStatus;
  /** Frames encrypted (send) or decrypted (receive). */
  protected: number;
  undecryptable: number;
  unencrypted: number;
  dropped: number;
  /** Our own frames seen on this receiver (an SFU or the site looped our media back). */
  echoed: number;
  /** Receive: the sender's clock is this many key epochs away from ours. */
  clockSkew?: number;
  /** RTP MIME type of the last frame, e.g. `video/VP8`. */
  codec?: string;
}

const SENDER_ID_MASK = (1n << 56n) - 1n;

/** The sender id (low 56 bits) of a decimal KID, or `undefined` if it is not one. */
export function senderIdOf(kid: string): bigint | undefined {
  if (!/^\d{1,20}$/.test(kid)) return undefined;
  return BigInt(kid) & SENDER_ID_MASK;
}

/** Transform ids are `<frameId>/<id>`: order by them, numbers as numbers, so rows never trade places. */
function byId(a: TransformStats, b: TransformStats): number {
  return a.id.localeCompare(b.id, 'en', { numeric: true });
}

function base(stats: TransformStats): Omit<MediaRow, 'key' | 'status'> {
  return {
    kind: stats.kind,
    protected: stats.protected,
    undecryptable: stats.undecryptable,
    unencrypted: stats.unencrypted,
    dropped: stats.dropped,
    echoed: stats.echoed,
    ...(stats.clockSkew !== undefined ? { clockSkew: stats.clockSkew } : {}),
    ...(stats.codec !== undefined ? { codec: stats.codec } : {}),
  };
}

/** Our own tracks: encrypting, or waiting for a key (nothing is sent meanwhile). */
export function sendRows(transforms: readonly TransformStats[]): MediaRow[] {
  return transforms
    .filter((s) => s.side === 'send')
    .sort(byId)
    .map((s) => ({ key: s.id, ...base(s), status: s.status === 'encrypted' ? 'encrypted' : 'waiting' }));
}

function receiveStatus(stats: TransformStats): RowStatus {
  if (stats.status === 'unencrypted' && stats.injected === true) return 'injected';
  if (stats.status === 'unencrypted' && stats.strict === true) return 'blocked';
  return stats.status;
}

/** Remote tracks: one row per receiver, or one per remote sender when a receiver saw several. */
export function receiveRows(transforms: readonly TransformStats[]): MediaRow[] {
  const rows: MediaRow[] = [];
  for (const stats of transforms.filter((s) => s.side === 'receive').sort(byId)) {
    const senders = new Map<bigint, { protected: number; undecryptable: number }>();
    for (const entry of stats.byKid ?? []) {
      const sender = senderIdOf(entry.kid);
      if (sender === undefined) continue;
      const counts = senders.get(sender) ?? { protected: 0, undecryptable: 0 };
      counts.protected += entry.protected;
      counts.undecryptable += entry.undecryptable;
      senders.set(sender, counts);
    }
    if (senders.size <= 1) {
      rows.push({ key: stats.id, ...base(stats), status: receiveStatus(stats) });
      continue;
    }
    // Several senders on one track: a row each (in id order), then the plaintext, if that is what arrives now.
    const common = base(stats);
    let first = true;
    for (const [sender, counts] of [...senders].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      rows.push({
        ...common,
        key: `${stats.id}#${sender.toString(16)}`,
        status: counts.protected > 0 ? 'encrypted' : counts.undecryptable > 0 ? 'undecryptable' : 'waiting',
        protected: counts.protected,
        undecryptable: counts.undecryptable,
        unencrypted: 0,
        dropped: 0,
        // The track's own notes go on its first row only.
        echoed: first ? stats.echoed : 0,
      });
      first = false;
    }
    if (stats.status === 'unencrypted') {
      rows.push({
        ...common,
        key: `${stats.id}#plain`,
        status: receiveStatus(stats),
        protected: 0,
        undecryptable: 0,
        echoed: 0,
      });
    }
  }
  return rows;
}

export type CallSummary =
  | 'none'
  | 'protected'
  | 'waiting'
  | 'unprotected'
  | 'blocked'
  | 'media-only'
  | 'text-unprotected'
  | 'text-only';

/**
 * The one-line verdict over a tab: `unprotected` if a problem leaves media unprotected or any remote media is not
 * decryptable or not encrypted (the badge's "!"). Then the site's own text messages (its data channels, channels.ts):
 * one that travels in clear makes it `media-only` if the media flows encrypted, else `text-unprotected` (it must never
 * read as "all encrypted"). Then `blocked` if the only unprotected media is plaintext strict mode dropped, `protected`
 * if media flows encrypted, `waiting` if tracks exist but nothing flows yet; without tracks, `text-only` if the tab
 * has data channels (each row says how they travel), else `none`.
 */
export function summarize(status: TabStatus | undefined, unprotectingProblem: boolean): CallSummary {
  const media = summarizeMedia(status?.transforms ?? [], unprotectingProblem);
  if (media === 'unprotected') return media;
  if (hasClearChannel(status)) return media === 'protected' ? 'media-only' : 'text-unprotected';
  if (media === 'none' && (status?.channels?.length ?? 0) > 0) return 'text-only';
  return media;
}

/** The verdict over the tab's media alone (its transforms), as it was before data channels. */
function summarizeMedia(
  transforms: readonly TransformStats[],
  unprotectingProblem: boolean,
): Extract<CallSummary, 'none' | 'protected' | 'waiting' | 'unprotected' | 'blocked'> {
  const troubled = receiveRows(transforms).filter((r) => r.status !== 'encrypted' && r.status !== 'waiting');
  if (unprotectingProblem || troubled.some((r) => r.status !== 'blocked')) return 'unprotected';
  if (troubled.length > 0) return 'blocked';
  if (transforms.length === 0) return 'none';
  return transforms.some((s) => s.status === 'encrypted') ? 'protected' : 'waiting';
}
