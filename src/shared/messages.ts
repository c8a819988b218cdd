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
/** How long `sites/enable` with `waitForPermission` waits for the site's permission to be granted. */
export const PERMISSION_WAIT_MS = 60_000;
/** Longest room label, in code points after normalisation (`normalizeRoomLabel`). */
export const ROOM_LABEL_MAX_LENGTH = 64;

export type UiRequest =
  | { type: 'sites/list' }
  /**
   * Enable a site, or set the passphrase of one of its rooms (`room`: a label, "" or absent for the default room),
   * which becomes the site's active room. The UI must already hold the host permission (permissions.request needs a
   * user gesture), or set `waitForPermission`: the popup sends the request together with `permissions.request()`,
   * because Chrome may close the popup while its permission prompt is up, and the background then finishes alone
   * once the permission is granted (within {@link PERMISSION_WAIT_MS}).
   */
  | { type: 'sites/enable'; origin: Origin; passphrase: string; room?: string; waitForPermission?: boolean }
  /** Stop waiting for a permission the user refused (`sites/enable` with `waitForPermission`): nothing is enabled. */
  | { type: 'sites/cancel-enable'; origin: Origin }
  /** Turn a site off: its scripts go and every room key it had is erased. */
  | { type: 'sites/disable'; origin: Origin }
  /** Erase one room's key. */
  | { type: 'rooms/forget'; origin: Origin; room: string }
  /** Make a room the one the site's tabs use (unless a tab chose another). */
  | { type: 'rooms/select'; origin: Origin; room: string }
  /** Make a room the one this tab uses (until the tab closes). */
  | { type: 'tabs/select-room'; tabId: number; room: string }
  /** Change a site's settings (fields left out keep their value). */
  | { type: 'sites/settings'; origin: Origin; strict?: boolean; indicator?: boolean; rememberKeys?: boolean }
  /** Dismiss the notice that a site was turned off because its host permission was removed. */
  | { type: 'sites/dismiss-revoked'; origin: Origin }
  /**
   * Forget the problems a site's tabs ran into (the user read them). For `tampering_blocked` this is the user's
   * decision to allow the site's calls again, from its next page load: until then every page of the site is blocked.
   */
  | { type: 'sites/clear-problems'; origin: Origin }
  | { type: 'status/get' }
  /** How many messages each boundary refused, by reason (`RejectionCounts`): for diagnosis, not shown in the UI. */
  | { type: 'diagnostics/get' };

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
  field?: 'origin' | 'passphrase' | 'room';
}

/** A room as the UI sees it: never its key, only its safety words. */
export interface RoomInfo {
  /** Normalised label; "" is the default room. */
  label: string;
  /** When its passphrase was set, ms since the epoch. */
  keyedAt: number;
  /** Words everyone in the room reads aloud to check they typed the same passphrase (`safetyWords`). */
  safetyWords: string[];
}

export interface SiteInfo {
  origin: Origin;
  enabledAt: number;
  /** The rooms with a passphrase; empty means calls on this site carry no media until one is set. */
  rooms: RoomInfo[];
  /** The room the site's tabs use. */
  activeRoom: string;
  /** Strict mode: incoming media that is not end-to-end encrypted is dropped, not shown with a warning. Default off. */
  strict: boolean;
  /** Draw the in-page indicator (lock status and per-video markers) on this site's pages. Default on. */
  indicator: boolean;
  /**
   * Keep the room keys when the browser closes (default on): stored in the profile, where whoever can read its files
   * can read them. Off: in memory only (`storage.session`), and the passphrase is asked again after a restart.
   */
  rememberKeys: boolean;
  /** What we know about protecting calls on this site, from the tabs that ran it (worst first). */
  problems: SiteProblem[];
}

/**
 * What keeps calls on a site from being protected as the user expects, shown plainly to the user (worst first):
 * - `tampering_blocked`: the page removed Framelock's transform a second time, so Framelock closed its calls and
 *   blocks new ones, in every tab of the site and after reloads too, until the user allows calls again
 *   (`sites/clear-problems`): a page that reloads itself must not get two more attacks each time (fail closed).
 * - `encryption_removed`: the page removed Framelock's transform from a sender or receiver (through a native setter of
 *   another realm, which no guard of ours sees); Framelock attached its own again at once, but some media may have
 *   left unencrypted in between.
 * - `no_transform_api`: the browser has no RTCRtpScriptTransform (calls are blocked: fail closed).
 * - `worker_blocked`: the site's Content-Security-Policy blocked our worker (calls are blocked: fail closed).
 * - `cross_origin_frame`: a call may run in a cross-origin frame whose origin is not enabled (not protected).
 * - `unsafe_frame_call`: a call ran in such a frame (below): it gets no keys, so that call carries no media.
 * - `unsafe_frame`: the page has a frame its own scripts could reach before Framelock started there (a frame below a
 *   same-origin ancestor, a window opened by a same-origin page): its keys could be taken, so it gets none and any call
 *   in it carries no media (fail closed). Reported when such a frame starts, call or not, as a notice: most such
 *   frames never run a call (ads, widgets, editors). The page could also take that frame's `RTCPeerConnection` before
 *   Framelock patched it and call through it unprotected, which nothing on this side can see (the peers' Framelock
 *   shows that media as not encrypted); a page that wants its media in clear can send it over its own channel just as
 *   well (live capture by the page is outside what Framelock protects), so a warning here would say nothing more.
 * - `clock_skew`: media arrived keyed for an epoch more than one away from ours: our clock or the sender's is off by
 *   more than the tolerance (one epoch, 10 minutes), and that media cannot be decrypted until a clock is fixed.
 * - `no_room_key`: the site is enabled but its room has no passphrase (e.g. after an upgrade of the key derivation):
 *   calls carry no media until one is entered.
 * - `worker_stopped`: the page's transform worker stopped answering mid-call (it was killed, or crashed). Its
 *   transforms carry no media any more (Chromium does not send frames untransformed), so the call is broken, not
 *   leaking: the user is told, and the tab's counters of that frame are dropped so nothing says "protected".
 *   Framelock then starts a new worker by itself (at most `MAX_WORKER_RESTARTS` times per page load); the problem
 *   stays only when it could not.
 * - `worker_restarted`: the page's transform worker stopped and Framelock started a new one: the call carried no media
 *   for a few seconds and is protected again (with new sender keys). A notice: nothing left unprotected.
 * - `site_processing_bypassed`: the site set its own transform or encoded streams on a protected sender or receiver;
 *   Framelock kept its encryption, so the site's own media processing (its effects or its own encryption) does not
 *   run. A notice: media stays protected.
 */
export const SITE_PROBLEMS = [
  'tampering_blocked',
  'encryption_removed',
  'no_transform_api',
  'worker_blocked',
  'no_room_key',
  'clock_skew',
  'cross_origin_frame',
  'unsafe_frame_call',
  'unsafe_frame',
  'worker_stopped',
  'worker_restarted',
  'site_processing_bypassed',
] as const;
export type SiteProblem = (typeof SITE_PROBLEMS)[number];

/**
 * Whether a site with these problems has its calls blocked: one of its pages removed our encryption twice
 * (`tampering_blocked`), and the user has not allowed its calls again since (`sites/clear-problems`).
 */
export function isSiteBlocked(problems: readonly SiteProblem[]): boolean {
  return problems.includes('tampering_blocked');
}

/**
 * The `storage.session` key the background sets (to `Date.now()`) when a site's record changed: a problem recorded or
 * cleared, the site enabled, disabled or re-keyed. An open options page reads its sites again, so that what it shows
 * (a site just blocked for tampering, say) is never older than the change.
 */
export const SITES_REVISION_KEY = 'sites:revision';

/** Problems that mean some media on the page is not protected (a warning badge); the others are notices. */
export const UNPROTECTING_PROBLEMS: readonly SiteProblem[] = [
  'tampering_blocked',
  'encryption_removed',
  'no_transform_api',
  'worker_blocked',
  'no_room_key',
  'clock_skew',
  'cross_origin_frame',
  'unsafe_frame_call',
  'worker_stopped',
];

export type UiResponse<T extends UiRequest['type']> =
  | (T extends 'sites/list'
      ? { ok: true; sites: SiteInfo[]; revoked: RevokedSite[] }
      : T extends 'status/get'
        ? { ok: true; tabs: TabStatus[] }
        : T extends 'diagnostics/get'
          ? { ok: true; rejections: RejectionCounts }
          : { ok: true })
  | UiError;

// ---- rejected messages ------------------------------------------------------------------------------------------------

/**
 * Why a message that crossed a trust boundary was refused. The background counts each refusal (its own, and those
 * the content bridges report), so a hostile page, a confused build or another extension shows up as a number rather
 * than as nothing (`diagnostics/get`). docs/threat-model.md says which check each reason stands for.
 *
 * Background:
 * - `ui_sender`: a UI request from anything but the extension's own pages (a content script, another extension).
 * - `ui_invalid`: a UI request from our pages with a wrong shape, type, size or value.
 * - `runtime_sender`: a control message (`framelock/ping`, `framelock/self-test`) from anything but our pages.
 * - `runtime_unknown`: a runtime message of no type we know.
 * - `port_name`: a runtime port with a name that is not ours.
 * - `port_sender`: a bridge port from another extension, from outside a tab, or from a frame that is not http(s).
 * - `port_not_enabled`: a message on a bridge port whose origin is not (or no longer) enabled.
 * - `port_invalid`: a bridge message with a wrong shape, type, size or value.
 *
 * Content bridge (reported to the background in `rejections` messages):
 * - `worker_unproven`: a message on the worker port before the worker proved the nonce (or a wrong nonce).
 * - `worker_invalid`: a worker message with a wrong shape, type, size or value.
 * - `page_report_invalid`: a problem report of the page script with a wrong shape or a problem it never reports.
 */
export const REJECTION_REASONS = [
  'ui_sender',
  'ui_invalid',
  'runtime_sender',
  'runtime_unknown',
  'port_name',
  'port_sender',
  'port_not_enabled',
  'port_invalid',
  'worker_unproven',
  'worker_invalid',
  'page_report_invalid',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];
/** The reasons a content bridge counts and reports; the background accepts no others from it. */
export const BRIDGE_REJECTION_REASONS = ['worker_unproven', 'worker_invalid', 'page_report_invalid'] as const;
export type BridgeRejectionReason = (typeof BRIDGE_REJECTION_REASONS)[number];
/** Largest count per reason one `rejections` report may carry (the bridge caps, the background refuses larger). */
export const MAX_REPORTED_REJECTIONS = 1_000_000;

export interface RejectionCounts {
  /** Refusals per reason since `since` (every reason present, 0 if none). */
  counts: Record<RejectionReason, number>;
  /** Since when (ms since the epoch): the first refusal stored in this browser session, or now if none was. */
  since: number;
}

// ---- background ↔ content bridge ------------------------------------------------------------------------------------

export type BackgroundToBridge =
  /**
   * Epoch base keys of the frame's room (16 bytes each, base64), for the epochs around the background's clock.
   * `room` names the room key they come from (label and when its passphrase was set): when it changes, everything
   * keyed before is dropped. `now` is the background's clock (ms), which the bridge follows.
   */
  | { type: 'epoch-keys'; room: string; now: number; keys: { epoch: number; key: string }[] }
  /** The site is not enabled (or no longer), or its room has no key: the worker drops everything it would send. */
  | { type: 'no-key' }
  /** The site's settings (sent on connect and whenever they change). */
  | { type: 'settings'; strict: boolean; indicator: boolean }
  /**
   * The site removed our encryption before (`tampering_blocked`) and the user has not allowed its calls again: the
   * frame gets no key, and its page script closes every connection and refuses new ones for the rest of the load.
   */
  | { type: 'blocked' };

export type BridgeToBackground =
  | { type: 'stats'; stats: TransformStats[] }
  /** Keys for epochs the bridge is about to need (the background sends only those near its own clock). */
  | { type: 'epoch-keys-request'; epochs: number[] }
  /** `detail`: the frame origin for `cross_origin_frame`; the distance in epochs (decimal) for `clock_skew`. */
  | { type: 'problem'; problem: SiteProblem; detail?: string }
  /** Messages the bridge refused since its last report, per reason (sent at most every few seconds). */
  | { type: 'rejections'; counts: Partial<Record<BridgeRejectionReason, number>> };

// ---- transform worker ↔ content bridge ------------------------------------------------------------------------------

/**
 * The id of one transform (a sender or receiver of the page): `<side>-<kind>-<n>` as the page script names it
 * (src/page/patch.ts), or `<side>-unnamed-<n>` for one that came without an id (src/worker/transform.ts). The worker
 * names the transform that needs a key in each key request; the bridge cannot trust the worker, so it checks this
 * shape and budgets new senders per id (src/content/key-quota.ts).
 */
export const TRANSFORM_ID_PATTERN = /^(?:send|receive)-(?:audio|video|unnamed)-[1-9][0-9]{0,8}$/;

export type WorkerToBridge =
  /** First message: the nonce the page script passed along, proving this worker is the one made at document_start. */
  | { type: 'hello'; nonce: string }
  /**
   * The worker needs frame keys for a KID (its own sender KID, or a remote one it saw), for the transform `endpoint`
   * (its id, {@link TRANSFORM_ID_PATTERN}): each endpoint has its own budget of new senders.
   */
  | { type: 'keys-request'; kid: bigint; kind: 'audio' | 'video'; endpoint: string }
  | { type: 'stats'; stats: TransformStats[] };

export type BridgeToWorker =
  /** Frame keys for a KID of `epoch` (the full epoch number the KID's 4 bits stand for). */
  | { type: 'keys'; kid: bigint; kind: 'audio' | 'video'; epoch: number; keys: FrameKeys }
  /**
   * A KID the bridge will not key: its epoch is outside the accepted window (`distance` epochs from ours, -8..7), or
   * the endpoint that asked (or the whole frame) has spent its budget of new senders for now (`rate`).
   */
  | { type: 'keys-refused'; kid: bigint; kind: 'audio' | 'video'; reason: 'epoch' | 'rate'; distance?: number }
  /** The current epoch (at every boundary); the worker moves its senders to it and erases keys older than epoch - 1. */
  | { type: 'epoch'; epoch: number }
  /** No key material at all (site disabled): send nothing, decrypt nothing. */
  | { type: 'no-key' }
  /** Strict mode on or off for every receiver (see `SiteInfo.strict`). */
  | { type: 'settings'; strict: boolean }
  /**
   * To a worker that replaced a stopped one, before anything else: the ids of the receivers that had delivered
   * authenticated frames under the stopped worker. They go on refusing plaintext (an SFU must not inject media into a
   * protected track because our worker restarted); until this message, a replacing worker's receivers drop plaintext.
   */
  | { type: 'resume'; authenticated: string[] };

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
  /** Empty audio frames (0 bytes: nothing to protect or to play) passed as they are. */
  passthrough: number;
  /** Receive: our own sender KID seen on a remote track. */
  echoed: number;
  /** Last failure reason, if any. */
  lastError?: string;
  /** Receive: the last remote sender keyed for an epoch this many epochs from ours (a clock off by more than one). */
  clockSkew?: number;
  /** Receive: the id of the receiver's MediaStreamTrack, so the in-page indicator can find the `<video>` showing it. */
  trackId?: string;
  /** Receive: strict mode was on (plaintext dropped, not shown). */
  strict?: boolean;
  /**
   * Receive: plaintext arrived on a track that had delivered authenticated frames (an SFU or the site putting other
   * media into a protected stream) since the last report. It was dropped, not shown, and counted as unencrypted.
   */
  injected?: boolean;
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
  /** With `clock_skew`: how many epochs the farthest sender seen was from our clock (signed, -8..7). */
  clockSkew?: number;
  /** The room this tab's frames are keyed for, when the site has one. */
  room?: string;
  /** The top-level document these counters are from (a reload or navigation starts over). */
  document?: string;
  updatedAt: number;
}
