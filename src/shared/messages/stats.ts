/**
 * @module The counters of each transform, and a tab's status: the worker reports them to the bridge, the bridge to
 * the background, which keeps them for the popup.
 */

import * as v from 'valibot';
import { TabDataChannelsSchema } from './data-channels';
import { SITE_PROBLEMS } from './problems';
import { boundedString, CountSchema, MediaKindSchema, record } from './schema';

/** At most this many transforms per report (a page with more is not a call we can describe anyway). */
export const MAX_TRANSFORMS_PER_REPORT = 256;
/** A transform's counters name at most this many remote senders (the most recent). */
export const MAX_KIDS_PER_TRANSFORM = 16;

/** A KID as the worker writes it: `bigint.toString()` of a 64-bit value, at most 20 decimal digits. */
const DecimalKidSchema = v.pipe(v.string(), v.regex(/^\d{1,20}$/));

/**
 * Counters of one transform (one sender or receiver), as the worker keeps them. They cross two boundaries (worker →
 * bridge → background) and the worker runs in the page's origin, so both receivers check them; the background stores
 * a report as it arrived, so every string and array is bounded and no other field is allowed.
 */
export const TransformStatsSchema = record({
  id: boundedString(64),
  side: v.picklist(['send', 'receive']),
  kind: MediaKindSchema,
  /** The codec of the last frame (RTP MIME type). */
  codec: v.optional(boundedString(64)),
  /** Our KID (send) or the last remote KID seen (receive), as a decimal string. */
  kid: v.optional(DecimalKidSchema),
  /** Frames encrypted (send) or decrypted and passed on (receive). */
  protected: CountSchema,
  /** Receive: frames from a peer without Framelock (passed on unless the track was protected). */
  unencrypted: CountSchema,
  /** Receive: Framelock frames we could not decrypt (no key, altered, replayed). */
  undecryptable: CountSchema,
  /** Frames dropped for any reason (no key yet, failure, plaintext on a protected track). */
  dropped: CountSchema,
  /** Empty audio frames (0 bytes: nothing to protect or to play) passed as they are. */
  passthrough: CountSchema,
  /** Receive: our own sender KID seen on a remote track. */
  echoed: CountSchema,
  /** Last failure reason, if any. */
  lastError: v.optional(boundedString(256)),
  /** Receive: the last remote sender keyed for an epoch this many epochs from ours (a clock off by more than one). */
  clockSkew: v.optional(v.pipe(v.number(), v.integer(), v.minValue(-8), v.maxValue(8))),
  /** Receive: the id of the receiver's MediaStreamTrack, so the in-page indicator can find the `<video>` showing it. */
  trackId: v.optional(boundedString(64)),
  /** Receive: strict mode was on (plaintext dropped, not shown). */
  strict: v.optional(v.boolean()),
  /**
   * Receive: plaintext arrived on a track that had delivered authenticated frames (an SFU or the site putting other
   * media into a protected stream) since the last report. It was dropped, not shown, and counted as unencrypted.
   */
  injected: v.optional(v.boolean()),
  /** Receive: counts per remote KID (an SFU may switch senders on one track), the most recent 16 KIDs. */
  byKid: v.optional(
    v.pipe(
      v.array(record({ kid: DecimalKidSchema, protected: CountSchema, undecryptable: CountSchema })),
      v.maxLength(MAX_KIDS_PER_TRANSFORM),
    ),
  ),
  /** Receive: frames of a participant running an older Framelock (format v1-v3, without forward secrecy) arrived. */
  olderFormat: v.optional(v.boolean()),
  /** Receive: the status a person should see. */
  status: v.picklist(['encrypted', 'undecryptable', 'unencrypted', 'waiting']),
});
export type TransformStats = v.InferOutput<typeof TransformStatsSchema>;

/** One report's counters: one entry per transform of the frame. */
export const TransformStatsListSchema = v.pipe(v.array(TransformStatsSchema), v.maxLength(MAX_TRANSFORMS_PER_REPORT));

/** A participant as the per-call view names it: two words of its ephemeral public key's fingerprint. */
export const FingerprintSchema = v.pipe(v.string(), v.regex(/^[a-z]{3,8} [a-z]{3,8}$/));
/** At most this many other participants in one call view (src/content/exchange/constants.ts bounds members). */
export const MAX_CALL_MEMBERS = 256;

/**
 * One frame's call, as its bridge sees it (docs/keys.md): the per-call words (when there is at least one
 * other participant), our own fingerprint, and each other participant with whether we hold its current sender key.
 * `sending` is false while this participant has no sender that carries the key exchange (a listener: nobody can send it
 * keys).
 */
export const CallStatusSchema = record({
  words: v.optional(v.pipe(v.array(v.pipe(v.string(), v.regex(/^[a-z]{3,8}$/))), v.length(5))),
  you: FingerprintSchema,
  sending: v.boolean(),
  members: v.pipe(
    v.array(record({ fingerprint: FingerprintSchema, keyed: v.boolean() })),
    v.maxLength(MAX_CALL_MEMBERS),
  ),
});
export type CallStatus = v.InferOutput<typeof CallStatusSchema>;

/**
 * A frame's call as its tab's status keeps it: the frame (`frameId`) and its document (`documentId`, so that a page
 * that went away forgets its own call and never the one of the page that replaced it in the same frame).
 */
export const TabCallSchema = v.object({
  frameId: v.pipe(v.number(), v.safeInteger()),
  documentId: v.optional(v.string()),
  call: CallStatusSchema,
});
export type TabCall = v.InferOutput<typeof TabCallSchema>;

/**
 * What the background keeps of a tab (`storage.session`, `tab:<id>`) and shows in the popup. Only the background writes
 * it, from reports it checked; it is checked again when read back, because a stored value of an older version of the
 * extension may have another shape.
 */
export const TabStatusSchema = v.object({
  tabId: v.pipe(v.number(), v.safeInteger()),
  origin: v.string(),
  transforms: v.array(TransformStatsSchema),
  problems: v.array(v.picklist(SITE_PROBLEMS)),
  /** Origins of cross-origin frames on this tab that may hold a call and are not enabled: the user should enable them. */
  unprotectedFrames: v.optional(v.array(v.string())),
  /** With `clock_skew`: how many epochs the farthest sender seen was from our clock (signed, -8..7). */
  clockSkew: v.optional(v.number()),
  /** The call of each frame of the tab that has one (usually one), in frame id order. */
  calls: v.optional(v.array(TabCallSchema)),
  /** The data channels of each frame of the tab that reported some (data-channels.ts), in frame id order. */
  channels: v.optional(v.array(TabDataChannelsSchema)),
  /** The room this tab's frames are keyed for, when the site has one. */
  room: v.optional(v.string()),
  /** The top-level document these counters are from (a reload or navigation starts over). */
  document: v.optional(v.string()),
  updatedAt: v.number(),
});
export type TabStatus = v.InferOutput<typeof TabStatusSchema>;
