/**
 * @module What keeps calls on a site from being protected, as the user is told (popup, options page, badge).
 */

/**
 * What keeps calls on a site from being protected as the user expects, shown plainly to the user (worst first):
 * - `tampering_blocked`: the page removed Framelock's transform a second time, so Framelock closed its calls and
 *   blocks new ones, in every tab of the site and after reloads too, until the user allows calls again
 *   (`sites/clear-problems`): a page that reloads itself must not get two more attacks each time (fail closed).
 * - `encryption_removed`: the page removed Framelock's transform from a sender or receiver (through a native setter of
 *   another realm, which no guard of ours sees); Framelock attached its own again at once, but some media may have
 *   left unencrypted in between.
 * - `no_transform_api`: the browser has no RTCRtpScriptTransform (calls are blocked: fail closed).
 * - `page_script_missing`: a frame of the site got Framelock's bridge but never the page script's hand-off (the
 *   bridge waits `HANDOFF_DEADLINE_MS`), so nothing patched that frame's RTCPeerConnection: a call there would go out
 *   unencrypted, and Framelock cannot stop it from the bridge. Never seen but in a Framelock bug (Firefox once refused
 *   the hello's detail); the user must not learn of it from a peer.
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
 * - `older_peer`: media arrived from a participant running an older Framelock (format v1-v3, whose keys come from the
 *   passphrase alone and are not forward secret). This version never reads or sends such media: that participant
 *   must update. Their media shows as cannot decrypt.
 * - `not_sending`: this tab receives protected media but sends none. The key exchange travels inside each
 *   participant's own media, so the others cannot send this participant their keys: keep a microphone on (muted is
 *   fine) or a camera.
 * - `site_processing_bypassed`: the site set its own transform or encoded streams on a protected sender or receiver;
 *   Framelock kept its encryption, so the site's own media processing (its effects or its own encryption) does not
 *   run. A notice: media stays protected.
 */
export const SITE_PROBLEMS = [
  'tampering_blocked',
  'encryption_removed',
  'no_transform_api',
  'page_script_missing',
  'worker_blocked',
  'no_room_key',
  'clock_skew',
  'cross_origin_frame',
  'unsafe_frame_call',
  'unsafe_frame',
  'worker_stopped',
  'worker_restarted',
  'older_peer',
  'not_sending',
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
  'page_script_missing',
  'worker_blocked',
  'no_room_key',
  'clock_skew',
  'cross_origin_frame',
  'unsafe_frame_call',
  'worker_stopped',
  'older_peer',
  'not_sending',
];
