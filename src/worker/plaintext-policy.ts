/**
 * @module What a receiver does with a frame that is not Framelock's: show it flagged as not encrypted, or drop it. A
 * track that delivered an authenticated frame never accepts plaintext again (an SFU or the site cannot inject media
 * into a protected stream), nor does a track in strict mode, nor one held while a replacing worker waits for `resume`.
 */

/**
 * - `pass`: shown, counted as unencrypted.
 * - `injected`: dropped: plaintext on a protected track (someone injects media), counted as unencrypted and reported.
 * - `held`: dropped: this worker replaced a stopped one and does not yet know whether the track was protected.
 * - `strict`: dropped: strict mode; still counted as unencrypted (it is who sends it).
 */
export type PlaintextVerdict = 'pass' | 'injected' | 'held' | 'strict';

/** Why a frame of each dropping verdict was dropped, as the counters' `lastError` says it. */
export const PLAINTEXT_DROPPED: Readonly<Record<Exclude<PlaintextVerdict, 'pass'>, string>> = {
  injected: 'plaintext on a protected track: dropped',
  held: 'plaintext held while Framelock restarts: dropped',
  strict: 'not end-to-end encrypted: dropped (strict mode)',
};

export class PlaintextPolicy {
  /** Set once a frame authenticated: from then on this track never accepts plaintext (an SFU cannot inject media). */
  #authenticated = false;
  /** Plaintext arrived on this authenticated track since the last snapshot (someone injects media): reported. */
  #injected = false;
  /** Drop plaintext even before the track was protected (strict mode). */
  strict = false;
  /**
   * Drop plaintext for now: this worker replaced a stopped one, and has not yet heard which tracks were protected
   * (the `resume` message). Cleared then; a track that was protected is marked with {@link markAuthenticated}.
   */
  hold = false;

  /** Whether this track has delivered an authenticated frame (here, or under a worker this one replaced). */
  get authenticated(): boolean {
    return this.#authenticated;
  }

  /** This track delivered an authenticated frame: it never accepts plaintext again. */
  markAuthenticated(): void {
    this.#authenticated = true;
  }

  /** What to do with a frame that is not Framelock's. */
  verdict(): PlaintextVerdict {
    if (this.#authenticated) {
      this.#injected = true;
      return 'injected';
    }
    if (this.hold) return 'held';
    return this.strict ? 'strict' : 'pass';
  }

  /** Whether plaintext was injected since the last call (each stats snapshot asks once). */
  takeInjected(): boolean {
    const injected = this.#injected;
    this.#injected = false;
    return injected;
  }
}
