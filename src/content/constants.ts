/**
 * @module Timings and limits of the content bridge (src/content), each with the reason for its value. The protocol's
 * own numbers live with the protocol (`EPOCH_MS` and `EPOCH_TOLERANCE` in src/shared/epoch.ts, `MAX_WORKER_RESTARTS`
 * in src/shared/handshake.ts); these are the bridge's choices, which no other context needs to agree with.
 */

// ---- the hand-off and the worker ------------------------------------------------------------------------------------

/** Random bytes in a nonce: 16, written as the 32 hex digits the handshake's schema expects (src/shared/handshake.ts). */
export const NONCE_BYTES = 16;

/**
 * Both our scripts run at document_start, before any script of the page, and the page script hands the bridge its
 * ports as the first thing it does: within milliseconds of the bridge's start, whatever the page's size or load. No
 * hand-off after this long means the page script did not run in this frame (or its hello never crossed), so the
 * page's `RTCPeerConnection` is the browser's own and its calls would go out unencrypted: the bridge reports
 * `page_script_missing`. Generous, so that a machine busy for seconds never raises a false alarm.
 */
export const HANDOFF_DEADLINE_MS = 5_000;

/**
 * The worker reports every second. Silence this long means it is gone (killed, or crashed): its transforms then
 * carry no media (Chromium does not fall back to sending frames untransformed), and the user is told. A new worker
 * (asked for at once) gets as long to prove itself before the next one is asked for.
 */
export const WORKER_SILENCE_MS = 4_000;
/** How often the silence is checked: four times per silence, so a dead worker is noticed at most 1 s late. */
export const WORKER_CHECK_MS = WORKER_SILENCE_MS / 4;
/**
 * A check that runs this long after the previous one was itself held back (the page kept the main thread busy, a
 * frozen page, a machine asleep): the worker's silence proves nothing yet (src/content/worker-link.ts).
 */
export const HELD_BACK_CHECK_MS = 2 * WORKER_CHECK_MS;
/**
 * Receivers (by transform id) remembered as having delivered authenticated frames, to tell a worker that replaces a
 * stopped one (`resume`): as many as a `resume` may name (src/shared/messages/worker.ts). The oldest is forgotten first.
 */
export { MAX_RESUMED_RECEIVERS as MAX_AUTHENTICATED_RECEIVERS } from '../shared/messages/worker';

// ---- key serving and the epoch schedule -----------------------------------------------------------------------------

/**
 * Key requests kept while their epoch's key has not come yet (a worker that starts before the keys asks once per KID
 * it meets). Beyond this they are dropped: the worker asks again (its 2 s retry), so the queue stays small whatever
 * a worker sends.
 */
export const MAX_PENDING_REQUESTS = 64;
/** Bytes of an epoch base key: the `base_key` of the AES-128 suites (RFC 9605 §4.4.2); anything else is refused. */
export const EPOCH_KEY_BYTES = 16;
/**
 * Each epoch's key is asked for at most this often. The background sends only epochs near its own clock, so an epoch
 * just outside it (a boundary crossed a moment apart) must not turn into a request loop.
 */
export const EPOCH_REQUEST_RETRY_MS = 2_000;
/**
 * The boundary timer fires this long after the computed boundary, so that the clock surely reads the new epoch when
 * it runs (a timer and the clock round differently). Late timers are harmless: receivers accept the neighbours.
 */
export const BOUNDARY_SLACK_MS = 5;
/** A clock problem (`clock_skew`) is reported at most this often: the worker's counters repeat it every second. */
export const CLOCK_REPORT_INTERVAL_MS = 10_000;

// ---- the background -------------------------------------------------------------------------------------------------

/** Reconnect to the background (its service worker may have been stopped) after this long at first... */
export const RECONNECT_MS = 500;
/** ...doubling at each failed attempt up to this: a removed extension must not be retried in a tight loop. */
export const MAX_RECONNECT_MS = 60_000;
/** Refusals are reported at most this often (`RejectionTally`): a flood of bad messages is not a flood of reports. */
export const REJECTION_REPORT_INTERVAL_MS = 5_000;

// ---- the key-request quota (src/content/key-quota.ts) ---------------------------------------------------------------

/**
 * New senders one endpoint may get keys for at once. A receiver meets one new sender per peer page load, one more at
 * each sender-id rollover (every 16 epochs) and one per speaker an SFU switches onto it: 8 covers an SFU rotating a
 * track through 8 speakers at once. A flooding track gets 8 junk keys, then {@link ENDPOINT_REFILL_MS} paces it.
 */
export const ENDPOINT_BURST = 8;
/**
 * One more new sender per endpoint this often (20 a minute). It bounds how long a track that was flooded waits for
 * its real sender once the flood stops on it (an SFU switching the stream): at most this, plus the worker's 2 s retry.
 */
export const ENDPOINT_REFILL_MS = 3_000;
/**
 * New senders the whole frame may get keys for at once: a 100-participant call (audio and video each: 200 tracks)
 * keys everyone at once, as the old frame-wide limit (240 a minute) allowed.
 */
export const FRAME_BURST = 240;
/**
 * One more new sender for the whole frame this often (600 a minute, 10 a second). It only bounds CPU: one key
 * derivation (RFC 9605 §4.4.2: HKDF and the key imports) took 0.4 ms for video and 0.6 ms for audio on our 2-core
 * machines (Node 20, loaded), so 10 a second cost under 1 % of a core. Endpoint budgets keep a flood below it: a
 * flooding track gets at most 20 a minute, so it takes 30 tracks flooding at once to reach it.
 */
export const FRAME_REFILL_MS = 100;
/**
 * A sender granted keys that has not proven itself (no authenticated frame reported yet) is remembered this long: its
 * other epochs' KIDs are free meanwhile (a receiver asks for the next epoch's key right after the first frame
 * decrypts, before its counters reach us, which they do every second). After that it costs a token again.
 */
export const UNPROVEN_SENDER_TTL_MS = 10_000;
/** Unproven senders remembered per endpoint; the oldest is forgotten first (junk rotates out, proven senders stay). */
export const MAX_UNPROVEN_SENDERS_PER_ENDPOINT = 4;
/** Proven senders remembered per endpoint (as many KIDs as a receiver keeps counts for), least recently proven first out. */
export const MAX_PROVEN_SENDERS_PER_ENDPOINT = 16;
/**
 * Proven senders remembered for the whole frame: any endpoint keys them free (an SFU may move a known sender to
 * another track). 4,096 × 2 tracks covers any call we support; the least recently proven is forgotten first.
 */
export const MAX_PROVEN_SENDERS = 4_096;
/**
 * Endpoints tracked; the one that asked least recently is forgotten first (it starts over with a full budget, which
 * the frame's ceiling still bounds). 512 is twice the receivers the bridge remembers as authenticated.
 */
export const MAX_ENDPOINTS = 512;

// ---- the in-page indicator (src/content/indicator.ts) ---------------------------------------------------------------

/** A transform not reported for this long has ended (its worker session closed): the worker reports every second. */
export const TRANSFORM_STALE_MS = 5_000;
/** Track ids remembered with their first receiver, to notice an id that repeats (oldest forgotten first). */
export const MAX_TRACK_IDS = 4_096;

// --- The call (call-link.ts, docs/keys.md) ---

/**
 * A call ends when no transform ran in the frame for this long: its keys are erased and the next media starts a new
 * call. Long enough for a site that tears its connections down and builds them again (an ICE restart, a switch of
 * SFU) to stay in one call; short enough that a call the user left is over within a minute.
 */
export const CALL_IDLE_MS = 60_000;
/** The popup hears of a changed call at most this often: members come in bursts when a call starts. */
export const CALL_STATUS_INTERVAL_MS = 500;
/**
 * Remote participants whose tracks the key server keys ahead at each of their new generations (call members are at
 * most 256: src/content/exchange/constants.ts).
 */
export const MAX_PRIMED_PARTICIPANTS = 256;
/** Tracks per remote participant keyed ahead (audio, camera, screen, their simulcast layers share one track). */
export const MAX_PRIMED_TRACKS = 16;

// --- The call chat (chat-link.ts, chat-order.ts) ---

/**
 * A chat message that arrives ahead of a gap in its sender's `seq` waits this long for the missing ones, then is shown
 * anyway. A message lost with its chunks comes again 2 s after its sender's worker carried it (the exchange's repeat),
 * so 3 s covers one repeat plus the time a message takes through the streams; longer would leave a reader waiting for
 * a message that is never coming.
 */
export const CHAT_HOLD_MS = 3_000;
/** Senders whose order is tracked: as many as a call has members (src/content/exchange/constants.ts `MAX_MEMBERS`). */
export const MAX_CHAT_SENDERS = 256;
/**
 * Messages waiting behind gaps, over all senders: each up to ~4 KB of text, so at most ~256 KB held. Past it the one
 * due first is shown early: a member that skips seqs on purpose delays nobody's messages by more than it already can.
 */
export const MAX_CHAT_HELD = 64;
/**
 * Messages the transcript of a call keeps (memory only), the oldest dropped first: a long meeting's chat, and at most
 * ~2 MB of text. A panel opened later gets these (the panel itself keeps what it was shown).
 */
export const MAX_CHAT_TRANSCRIPT = 500;
