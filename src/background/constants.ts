/**
 * @module The background's timings and limits, each with its reason. Protocol constants (Argon2id parameters, HKDF
 * labels, key lengths) are not here: they live with the derivation they define (keys.ts), because changing one is a
 * new protocol version, not a tuning.
 */
import { EPOCH_TOLERANCE } from '../shared/epoch';
import { HELD_PROBLEM_REPEAT_MS } from '../shared/messages';

/**
 * How long `sites/enable` with `waitForPermission` waits for the site's permission (declared with the message, in
 * src/shared/messages/ui.ts, because the popup's behaviour depends on it).
 */
export { PERMISSION_WAIT_MS } from '../shared/messages';

/**
 * How often that wait asks whether the permission was granted. Each poll calls an extension API, which also keeps the
 * service worker from being stopped as idle meanwhile; a quarter second feels immediate to a user who just clicked
 * "Allow", and costs nothing.
 */
export const PERMISSION_POLL_MS = 250;

/**
 * Rooms one site may hold. Each room is a stored key and a row of safety words in the options page: more than a few
 * dozen is no longer a list a person reads, and the bound keeps a site record small.
 */
export const MAX_ROOMS_PER_SITE = 16;

/**
 * How many "turned off because its permission was removed" notices are kept (oldest dropped first): enough for a user
 * who removed permissions in bulk to see what happened, without the store growing forever.
 */
export const MAX_REVOKED = 20;

/**
 * Refusals are counted in memory and written to `storage.session` at most once per this delay, so a flood of bad
 * messages costs one write a second, not one each.
 */
export const REJECTIONS_FLUSH_MS = 1_000;

/**
 * A bridge may ask ahead for keys up to this many epochs past the background's current one: the epochs receivers
 * accept ({@link EPOCH_TOLERANCE} either side) and one more, for a bridge that crossed an epoch boundary a moment
 * before the background did. Further ahead would hand out keys of epochs that have not begun.
 */
export const MAX_EPOCHS_AHEAD = EPOCH_TOLERANCE + 1;

/**
 * Transform counters kept per tab (the newest ones): a call has a few senders and receivers per participant, and the
 * bound keeps a page that creates transforms in a loop from growing `storage.session` without end.
 */
export const MAX_TAB_TRANSFORMS = 64;

/**
 * Calls kept per tab: one per frame that reported one (usually one frame, rarely more than a few), and the bound keeps
 * a page with many frames from growing `storage.session` without end (each call lists up to `MAX_CALL_MEMBERS`).
 */
export const MAX_TAB_CALLS = 8;

/**
 * Frames whose data channels a tab keeps, as {@link MAX_TAB_CALLS} for calls: usually one frame has any. Each frame
 * lists at most `MAX_REPORTED_DATA_CHANNELS` (64, with labels of at most 128 characters), so a page with many frames
 * keeps at most 512 channels in `storage.session`.
 */
export const MAX_TAB_CHANNEL_FRAMES = 8;

/**
 * A held problem (`not_sending`, `older_peer`) stays in a tab's status this long after a frame last reported it: the
 * bridge repeats it every {@link HELD_PROBLEM_REPEAT_MS} while it holds, so two repeats may be missed (a busy
 * renderer, a service worker that was waking up) before the popup stops showing it.
 */
export const HELD_PROBLEM_TTL_MS = 2.5 * HELD_PROBLEM_REPEAT_MS;

/** Distinct unprotected frame origins listed per tab: the popup shows them, and a page could invent any number. */
export const MAX_TAB_UNPROTECTED_FRAMES = 16;

/**
 * Longest piece of an untrusted request that an error message repeats back (an unknown type, the names of unexpected
 * fields): enough to recognise a bug, never a way to make the UI show a page of text.
 */
export const ECHO_TYPE_MAX_LENGTH = 64;
export const ECHO_FIELDS_MAX_LENGTH = 200;
/** Same for the origin a damaged site record claims, in the console message that reports it. */
export const ECHO_ORIGIN_MAX_LENGTH = 300;

/**
 * A side panel's chat message waits this long for the answers of its tab's bridges (src/background/chat-port.ts),
 * then the panel hears the best answer so far (`ended` if none): a bridge answers within milliseconds (one encryption
 * and a hand-off to its worker), so only a frame that hangs or went away unseen is waited for this long, and the panel
 * is never left with a message marked "sending".
 */
export const CHAT_SEND_TIMEOUT_MS = 10_000;

/**
 * A side panel's chat messages on their way per tab, at once; more are answered `busy` at once. The call itself takes
 * at most 4 into its worker's outbox (and answers `busy` past that): this only bounds what the background holds for
 * a panel that sends in a loop.
 */
export const MAX_PENDING_CHAT_SENDS = 16;
