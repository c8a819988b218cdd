/**
 * @module Messages between execution contexts, one discriminated union per direction. Everything that arrives from a
 * less trusted context is validated at runtime by its receiver (see the `parse*` functions next to each receiver);
 * these types say what a valid message looks like.
 *
 * ```
 * options / popup ──UiRequest──▶ background          (chrome.runtime.sendMessage, JSON)
 * content bridge ◀──BackgroundToBridge── background   (runtime port "framelock-bridge", JSON: bytes as base64)
 * content bridge ──BridgeToBackground──▶ background
 * transform worker ──WorkerToBridge──▶ bridge         (private MessagePort, structured clone)
 * transform worker ◀──BridgeToWorker── bridge
 * ```
 */
import type { FrameKeys } from '../sframe';

/** An origin as the user enabled it, normalised: scheme://host[:port], lower case, no path. */
export type Origin = string;

// ---- UI (options page, popup) → background ------------------------------------------------------------------------

/** Bounds of `sites/enable`'s passphrase, in UTF-16 code units (checked by the UI, and again by the background). */
export const PASSPHRASE_LENGTH = { min: 1, max: 1024 } as const;

export type UiRequest =
  | { type: 'sites/list' }
  /** Enable (or re-key) a site. The UI must already hold the host permission (permissions.request needs a user gesture). */
  | { type: 'sites/enable'; origin: Origin; passphrase: string }
  | { type: 'sites/disable'; origin: Origin }
  /** Dismiss the notice that a site was turned off because its host permission was removed. */
  | { type: 'sites/dismiss-revoked'; origin: Origin }
  | { type: 'status/get' };

/** A site Framelock turned off because its host permission disappeared (removed in Chrome's extension settings). */
export interface RevokedSite {
  origin: Origin;
  /** When Framelock noticed, ms since the epoch. */
  at: number;
}

/** Any request can fail (a sender that is not an extension page, a malformed field, a storage error). */
export interface UiError {
  ok: false;
  error: string;
  /** The form field the error is about, when there is one. */
  field?: 'origin' | 'passphrase';
}

export interface SiteInfo {
  origin: Origin;
  /** Epoch 0 only until the key lifecycle lands. */
  enabledAt: number;
  /** What we know about protecting calls on this site, from the tabs that ran it (worst first). */
  problems: SiteProblem[];
}

/**
 * What keeps calls on a site from being protected as the user expects, shown plainly to the user:
 * - `no_transform_api`: the browser has no RTCRtpScriptTransform (calls are blocked: fail closed).
 * - `worker_blocked`: the site's Content-Security-Policy blocked our worker (calls are blocked: fail closed).
 * - `cross_origin_frame`: a call may run in a cross-origin frame whose origin is not enabled (not protected).
 * - `unsafe_frame`: a call ran in a frame that page script could reach before Framelock started there (a frame below
 *   a same-origin ancestor, a window opened by a same-origin page): its keys could be taken, so it gets none and its
 *   calls carry no media (fail closed).
 * - `site_processing_bypassed`: the site set its own transform or encoded streams on a protected sender or receiver;
 *   Framelock kept its encryption, so the site's own media processing (its effects or its own encryption) does not
 *   run. A notice: media stays protected.
 */
export const SITE_PROBLEMS = [
  'no_transform_api',
  'worker_blocked',
  'cross_origin_frame',
  'unsafe_frame',
  'site_processing_bypassed',
] as const;
export type SiteProblem = (typeof SITE_PROBLEMS)[number];

/** Problems that mean some media on the page is not protected (a warning badge); the others are notices. */
export const UNPROTECTING_PROBLEMS: readonly SiteProblem[] = [
  'no_transform_api',
  'worker_blocked',
  'cross_origin_frame',
  'unsafe_frame',
];

export type UiResponse<T extends UiRequest['type']> =
  | (T extends 'sites/list'
      ? { ok: true; sites: SiteInfo[]; revoked: RevokedSite[] }
      : T extends 'status/get'
        ? { ok: true; tabs: TabStatus[] }
        : { ok: true })
  | UiError;

// ---- background ↔ content bridge ------------------------------------------------------------------------------------

export type BackgroundToBridge =
  /** The epoch base key for this site (16 bytes, base64). Sent once the site is enabled and keyed. */
  | { type: 'epoch-key'; epoch: number; key: string }
  /** The site is not enabled (or no longer): the bridge tells the worker to drop everything it would send. */
  | { type: 'no-key' };

export type BridgeToBackground =
  | { type: 'stats'; stats: TransformStats[] }
  | { type: 'problem'; problem: SiteProblem; detail?: string };

// ---- transform worker ↔ content bridge ------------------------------------------------------------------------------

export type WorkerToBridge =
  /** First message: the nonce the page script passed along, proving this worker is the one made at document_start. */
  | { type: 'hello'; nonce: string }
  /** The worker needs frame keys for a KID (its own sender KID, or a remote one it saw). */
  | { type: 'keys-request'; kid: bigint; kind: 'audio' | 'video' }
  | { type: 'stats'; stats: TransformStats[] };

export type BridgeToWorker =
  | { type: 'keys'; kid: bigint; kind: 'audio' | 'video'; keys: FrameKeys }
  | { type: 'epoch'; epoch: number }
  /** No key material at all (site disabled): send nothing, decrypt nothing. */
  | { type: 'no-key' };

/** Counters of one transform (one sender or receiver), as the worker keeps them. */
export interface TransformStats {
  id: string;
  side: 'send' | 'receive';
  kind: 'audio' | 'video';
  /** The codec of the last frame (RTP MIME type). */
  codec?: string;
  /** Our KID (send) or the last remote KID seen (receive), as a decimal string. */
  kid?: string;
  /** Frames encrypted (send) or decrypted and passed on (receive). */
  protected: number;
  /** Receive: frames from a peer without Framelock (passed on unless the track was protected). */
  unencrypted: number;
  /** Receive: Framelock frames we could not decrypt (no key, altered, replayed). */
  undecryptable: number;
  /** Frames dropped for any reason (no key yet, failure, plaintext on a protected track). */
  dropped: number;
  /** Opus DTX / tiny frames passed as they are. */
  passthrough: number;
  /** Receive: our own sender KID seen on a remote track. */
  echoed: number;
  /** Last failure reason, if any. */
  lastError?: string;
  /** Receive: counts per remote KID (an SFU may switch senders on one track), the most recent 16 KIDs. */
  byKid?: { kid: string; protected: number; undecryptable: number }[];
  /** Receive: the status a person should see. */
  status: 'encrypted' | 'undecryptable' | 'unencrypted' | 'waiting';
}

export interface TabStatus {
  tabId: number;
  origin: Origin;
  transforms: TransformStats[];
  problems: SiteProblem[];
  /** Origins of cross-origin frames on this tab that may hold a call and are not enabled: the user should enable them. */
  unprotectedFrames?: Origin[];
  updatedAt: number;
}
