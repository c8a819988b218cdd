/**
 * @module The page script ↔ transform worker channel. The page script (src/page) holds the only reference to the
 * Worker it made, so nothing else can post on it; but both ends run in the page's origin, and what the page script
 * builds passes through the page's realm, so the worker checks what arrives (src/worker/transform.ts).
 *
 * ```
 * page script ──PagePortHandoff──▶ worker      (worker.postMessage, once, with the bridge's port)
 * page script ──TransformOptions──▶ worker     (new RTCRtpScriptTransform(worker, options): transformer.options)
 * page script ◀──WorkerToPage── worker         (self.postMessage: a transform stopped, or asks to be renewed)
 * ```
 *
 * The page script does not check {@link WorkerToPage} with valibot: it runs beside the page's scripts, which may have
 * replaced the built-ins a schema check calls (Array.prototype.includes, RegExp.prototype.test), so it keeps a check of
 * its own on saved natives (src/page/patch.ts). This file gives it the type.
 */
import * as v from 'valibot';
import { boundedString, MediaKindSchema, record } from './schema';
import { TRANSFORM_ID_PATTERN } from './worker';

/** Longest receiver track id the page script passes: the counters carry it, and refuse longer (stats.ts). */
export const MAX_TRACK_ID_LENGTH = 64;

/** One transform's id: `<side>-<kind>-<n>`, as the page script names it (src/page/patch.ts). */
export const TransformIdSchema = v.pipe(v.string(), v.regex(TRANSFORM_ID_PATTERN));

/**
 * What the page script passes with each RTCRtpScriptTransform (`options`), and the worker reads as
 * `transformer.options`. A transform put back where the site removed ours gets the same options, id included, so the
 * worker goes on with the same session.
 */
export const TransformOptionsSchema = record({
  side: v.picklist(['send', 'receive']),
  kind: MediaKindSchema,
  /** The session this transform feeds. Optional: a transform without one gets `<side>-unnamed-<n>` in the worker. */
  id: v.optional(TransformIdSchema),
  /** Receive only: the receiver's MediaStreamTrack id, so the in-page indicator can find the `<video>` showing it. */
  trackId: v.optional(boundedString(MAX_TRACK_ID_LENGTH)),
});
export type TransformOptions = v.InferOutput<typeof TransformOptionsSchema>;

/**
 * The worker's messages to the page script:
 * - `null`: one of our transforms stopped. The page script checks that ours are all still attached (a site that
 *   replaced ours through another realm's setter is caught within milliseconds).
 * - a transform id: that session's transform was put back and gets no frames (src/worker/feed.ts): attach a fresh one.
 */
export const WorkerToPageSchema = v.union([v.null(), TransformIdSchema]);
export type WorkerToPage = v.InferOutput<typeof WorkerToPageSchema>;

/**
 * The page script's first message to a worker it made, with the worker's end of the bridge's channel as its only port.
 * `nonce` is the bridge's (32 hex digits): the worker repeats it to prove it is the worker the page script made.
 * `resumed`: this worker replaces a stopped one, so its receivers drop plaintext until the bridge says which tracks
 * were protected.
 */
export const PagePortHandoffSchema = record({
  type: v.literal('framelock/port'),
  nonce: boundedString(64),
  resumed: v.optional(v.boolean()),
});
export type PagePortHandoff = v.InferOutput<typeof PagePortHandoffSchema>;
