/**
 * @module The page script's timings and limits, each with its reason. (How many times a stopped worker is replaced,
 * `MAX_WORKER_RESTARTS`, is the bridge's and the page script's shared rule: src/shared/handshake.ts.)
 */

/**
 * The check that finds our encryption removed for the second time closes the page's calls (watch.ts restores ours
 * each time, but a removal may let a frame or two out before the restore; a site that does it again is not confused,
 * it is fighting Framelock, and every round is another chance for plaintext).
 */
export const REMOVALS_BEFORE_BLOCK = 2;

/**
 * How often every watched sender and receiver is checked, whatever happens: a fallback in case a browser version stops
 * ending detached transforms' streams, which is what tells us at once (watch.ts).
 */
export const CHECK_INTERVAL_MS = 500;

/**
 * How long createOffer / createAnswer / setLocalDescription() wait for the bridge's HELLO line, and a remote line's
 * check may hold a connection's first messages: the design's 250 ms (issue 16 part 2). Past it the description goes out
 * without our line, or the remote line counts as refused: the connection is "not end-to-end encrypted", and the call
 * goes on.
 */
export const LINE_ANSWER_MS = 250;

/**
 * How long one message waits for the bridge to seal or open it (or a text profile to rewrite it) before it is dropped
 * (sealing, opening) or passed on as it is (a text profile, on a connection that is not protected). The bridge answers
 * in about a millisecond; this only bounds a bridge that stopped answering, whose messages would otherwise hold every
 * later one of the channel forever.
 */
export const DATA_ANSWER_MS = 2_000;

/**
 * How long the answerer of a protected connection waits for the offerer's confirmation that it seals too (the
 * offerer sends it as each channel opens; it comes in a round trip): past it, or at a clear message from the offerer,
 * the connection is not protected. Meanwhile what the page sends waits. Without this wait, an answer line lost on its
 * way to the offerer (a server that rewrites SDP, a bridge past its deadline) would leave one end sealing and the
 * other in clear: every message refused, the site broken.
 */
export const CONFIRM_WAIT_MS = 3_000;

/** The most often one data channel's state is reported (its first report, and its last on close, go at once). */
export const CHANNEL_REPORT_INTERVAL_MS = 1_000;

/**
 * What sealing adds to a message on a protected connection (the data-channel envelope, docs/frame-format.md §2.8):
 * 0xF1, the flags byte, the 2-byte stream id, the 8-byte counter, and AES-GCM's 16-byte tag. send() refuses a message
 * the native would refuse once sealed (over the SCTP transport's maxMessageSize), as the native does, at once.
 * (test/unit/data-messages.test.ts holds it and {@link ENVELOPE_MARKER} equal to src/content/data/constants.ts.)
 */
export const SEAL_OVERHEAD_BYTES = 1 + 1 + 2 + 8 + 16;

/** The first byte of every envelope: what tells the answerer, awaiting confirmation, that the offerer seals. */
export const ENVELOPE_MARKER = 0xf1;

/**
 * Chromium refuses a send that would take a channel's buffered amount past 16 MiB ("RTCDataChannel send queue is
 * full", OperationError; measured on Chromium 156). send() refuses as the native would, counting what it still holds.
 */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/**
 * A string containing this may be a chat message a text profile seals (the textroom profile's requests name
 * `"textroom"`): if the bridge does not answer in time, it is dropped rather than sent unexamined, in clear. Other
 * strings go as they are, so a stalled bridge never breaks a site's signalling.
 */
export const PROFILED_HINT = '"textroom"';
