/**
 * @module When a receiver asks its sender for a keyframe. A decoder that missed frames, or was fed frames that were not
 * ours, stays frozen until a keyframe comes; the request goes with the next frame that decrypts, and on video it is
 * repeated (at most once per {@link KEYFRAME_REQUEST_INTERVAL_MS}) until a keyframe decrypts, because a request can
 * be lost.
 */
import type { MediaKind } from '../shared/messages/schema';
import { FAILURES_BEFORE_KEYFRAME_REQUEST, KEYFRAME_REQUEST_INTERVAL_MS } from './constants';
import type { SessionHost } from './session';

export class KeyFrameRecovery {
  readonly #kind: MediaKind;
  readonly #host: SessionHost;
  readonly #now: () => number;
  /** Frames that failed or were dropped in a row, since the last one that decrypted. */
  #failureRun = 0;
  /**
   * The decoder needs a keyframe (frames were missed or garbled). On video it stays wanted until a keyframe decrypts:
   * asked for with decrypted frames and every second by {@link retry}, at most once a second, because a request can
   * be lost, and the decoder stays frozen until one is answered. On audio (no keyframes) one request.
   */
  #wanted = false;
  #lastRequest = -Infinity;

  constructor(kind: MediaKind, host: SessionHost, now: () => number) {
    this.#kind = kind;
    this.#host = host;
    this.#now = now;
  }

  /** A frame failed or was dropped: a run of {@link FAILURES_BEFORE_KEYFRAME_REQUEST} wants a keyframe after it. */
  missed(): void {
    this.#failureRun++;
  }

  /** The decoder missed frames or got some that were not ours: ask with the next frame that decrypts. */
  want(): void {
    this.#wanted = true;
  }

  /** A frame decrypted (`isKeyFrame`: a keyframe, which restarts the decoder): asks for a keyframe if one is wanted. */
  decrypted(isKeyFrame: boolean): void {
    // Frames were missed: the decoder waits for a keyframe. A request the rate limit holds back is kept, and sent
    // with a later frame once the limit allows: it is never lost (a lost one is the likely cause of the ~1.3 s
    // freezes the soak test saw at 2 of 18 sender-id rollovers).
    if (this.#failureRun >= FAILURES_BEFORE_KEYFRAME_REQUEST) this.#wanted = true;
    this.#failureRun = 0;
    if (!this.#wanted) return;
    // A keyframe restarts the decoder: nothing more to ask for.
    if (isKeyFrame) this.#wanted = false;
    else if (this.#request() && this.#kind === 'audio') this.#wanted = false;
  }

  /**
   * Called every second: asks again for a keyframe still wanted on an authenticated video track, even when no frame
   * arrives to carry the request (after our transform was put back, frames may wait for a keyframe before they reach
   * it).
   */
  retry(authenticated: boolean): void {
    if (this.#wanted && authenticated && this.#kind === 'video') this.#request();
  }

  /** Asks the sender for a keyframe, at most once per {@link KEYFRAME_REQUEST_INTERVAL_MS}. Returns whether it did. */
  #request(): boolean {
    const now = this.#now();
    if (now - this.#lastRequest < KEYFRAME_REQUEST_INTERVAL_MS) return false;
    this.#lastRequest = now;
    this.#host.requestKeyFrame();
    return true;
  }
}
