/**
 * @module The chat panel's limits and timings, each with its reason.
 */

/**
 * How long a sent message waits for a bridge's answer before it is shown as not sent, in ms. The bridge answers as
 * soon as the call took the message or refused it (milliseconds); ten seconds covers a service worker that was
 * asleep and a busy machine, and is still short enough that nobody wonders for long whether a message left.
 */
export const REPLY_TIMEOUT_MS = 10_000;

/**
 * From how many UTF-8 bytes the message field shows its size: below it nobody needs to count; from it the limit
 * (4,096 bytes, `MAX_CHAT_TEXT_BYTES`) is a paragraph or two away, and the count says how far.
 */
export const COUNTER_FROM_BYTES = 3_500;

/**
 * How long the panel waits before opening its port again after it dropped (the service worker was stopped or
 * restarted, which closes every port), in ms, as the content bridge does (src/content/constants.ts)...
 */
export const RECONNECT_MS = 500;
/**
 * ...doubling at each failed attempt up to this: a background that keeps refusing is not asked in a tight loop, and a
 * person looking at the panel waits at most this long once it answers again.
 */
export const MAX_RECONNECT_MS = 5_000;

/**
 * At most this many messages in the panel's memory (oldest dropped): a bridge keeps at most 500 of a call, and a
 * panel left open across several calls of the tab keeps each ended call's messages too.
 */
export const MAX_PANEL_ENTRIES = 2_000;
