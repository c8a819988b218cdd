/**
 * @module Notices a transform of ours that was put back and gets no frames. When the page script puts ours back where
 * the site had attached its own transform (src/page/watch.ts), Chromium 156 detaches the site's transform on the
 * site's worker thread and attaches ours on ours. Both hand the sender's (or receiver's) one frame callback over: if
 * the site's worker runs the detach after ours ran the attach (it was busy, or only slower), the detach clears the
 * callback ours had just set, and no frame reaches ours again. Nothing leaks (with no callback the browser drops or
 * holds the frames), but that media stops for good: measured in the hostile suite, with the site's transform worker
 * busy for a second.
 *
 * A fresh transform of ours attached over ours does not race: both run on our worker, in order. So a session that was
 * fed before the restore and then gets nothing for a second asks the page script for a fresh transform, with a
 * backoff, a few times (the site's worker may still be busy, and a sender may stop sending for its own reasons).
 */

import { MAX_RENEWALS, STARVED_AFTER_MS } from './constants';

/**
 * Watches a session whose transform was put back, for the rest of its life: the site's worker can run its late detach
 * whenever it is free, after frames flowed for a while (Chromium hands ours the frames it held meanwhile first).
 */
export class FeedCheck {
  /** The session's frame count at the last check that saw it grow (or when the transform was attached). */
  #frames: number;
  /** When the count last grew, or the transform now feeding the session was attached. */
  #fedAt: number;
  /** Requests made since the session was last fed. */
  #renewals: number;

  /** `renewals`: requests already made since the session was last fed (a renewal's transform carries them on). */
  constructor(frames: number, now: number, renewals = 0) {
    this.#frames = frames;
    this.#fedAt = now;
    this.#renewals = renewals;
  }

  get renewals(): number {
    return this.#renewals;
  }

  /** Whether the page script should attach a fresh transform now (the request is counted). */
  check(frames: number, now: number): boolean {
    if (frames !== this.#frames) {
      this.#frames = frames;
      this.#fedAt = now;
      this.#renewals = 0;
      return false;
    }
    if (this.#renewals >= MAX_RENEWALS) return false;
    if (now - this.#fedAt < STARVED_AFTER_MS * 2 ** this.#renewals) return false;
    this.#renewals++;
    return true;
  }
}
