/**
 * @module The one error type SFrame decryption may raise (RFC 9605 §4.4.4 leaves failure reporting to the
 * application). Every "this frame is not acceptable" outcome is an SFrameError with a machine-readable reason, so the
 * frame path can drop, count and report it without ever seeing another error type.
 */

export type SFrameErrorReason =
  /** Fewer bytes than the header's config byte says it has (§4.3). */
  | 'header_truncated'
  /** A KID or CTR written in more bytes than needed, or in the extended form when the short one fits (§4.3). */
  | 'header_non_minimal'
  /** Shorter than header plus the suite's tag. */
  | 'frame_too_short'
  /** No key for this KID (never added, or retired). */
  | 'unknown_kid'
  /** The tag did not verify: wrong key, altered bytes or wrong metadata. */
  | 'auth_failure'
  /** A counter this receiver already accepted, or one older than its replay window. */
  | 'replay'
  /** The sender used the last counter 2^64-1 for this KID; it must move to a new KID instead of wrapping. */
  | 'counter_exhausted'
  /** Not bytes where bytes were due: a caller bug or a hostile message, refused like a bad frame. */
  | 'invalid_input'
  /** WebCrypto failed for a reason other than authentication (should not happen; reported, never thrown raw). */
  | 'crypto_failure';

export class SFrameError extends Error {
  readonly reason: SFrameErrorReason;

  constructor(reason: SFrameErrorReason, message?: string) {
    super(message ?? `SFrame: ${reason.replaceAll('_', ' ')}`);
    this.name = 'SFrameError';
    this.reason = reason;
  }
}
