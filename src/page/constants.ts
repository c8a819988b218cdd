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
