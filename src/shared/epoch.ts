/**
 * @module Key epochs from wall-clock time (protocol v2). Every participant computes the epoch from its own clock, so
 * keys rotate at the same moment everywhere with no message exchanged:
 *
 * ```
 * epoch(t) = floor(t / EPOCH_MS)        t = ms since 1970-01-01T00:00:00Z (Date.now())
 * ```
 *
 * A receiver accepts frames of its own epoch and of the one before and after (so clocks that differ by less than
 * one epoch always interoperate, and a sender that switched a moment earlier or later is never cut off); anything
 * else is refused, so an SFU cannot replay a recording of an earlier epoch. Frames carry only `epoch mod 16` (the
 * KID's 4 epoch bits, docs/frame-format.md); {@link epochFromBits} maps them back into the window.
 *
 * `EPOCH_MS` is protocol: participants with different values never agree. Test builds (`vite build --mode
 * rotation-test`) shorten it so the browser tests can cross several boundaries; a shipped build never does.
 */

declare const __FRAMELOCK_EPOCH_MS__: number | undefined;

/** Protocol v2: 10 minutes. Short enough that a video sender's CTR stays within 2 bytes at 30 fps × 3 layers. */
export const PROTOCOL_EPOCH_MS = 600_000;

/** The epoch length this build uses: {@link PROTOCOL_EPOCH_MS}, except in test builds. */
export const EPOCH_MS: number =
  typeof __FRAMELOCK_EPOCH_MS__ === 'number' && __FRAMELOCK_EPOCH_MS__ > 0 ? __FRAMELOCK_EPOCH_MS__ : PROTOCOL_EPOCH_MS;

/** How many epochs on either side of a receiver's own it accepts. */
export const EPOCH_TOLERANCE = 1;

/** Epoch bits carried in every KID (KID layout, `src/codecs/format.ts`). */
const EPOCH_MODULUS = 16;

/** The epoch at `nowMs` (ms since the Unix epoch). */
export function epochAt(nowMs: number, epochMs: number = EPOCH_MS): number {
  return Math.floor(nowMs / epochMs);
}

/** Milliseconds from `nowMs` to the start of the next epoch (always > 0). */
export function msUntilNextEpoch(nowMs: number, epochMs: number = EPOCH_MS): number {
  return (epochAt(nowMs, epochMs) + 1) * epochMs - nowMs;
}

/** The epochs a receiver at `current` accepts, oldest first. */
export function acceptedEpochs(current: number): number[] {
  const epochs: number[] = [];
  for (let e = current - EPOCH_TOLERANCE; e <= current + EPOCH_TOLERANCE; e++) if (e >= 0) epochs.push(e);
  return epochs;
}

/** The epoch in {@link acceptedEpochs}(current) whose low 4 bits are `bits`, or undefined if none (refuse). */
export function epochFromBits(bits: number, current: number): number | undefined {
  return acceptedEpochs(current).find((e) => e % EPOCH_MODULUS === bits);
}

/**
 * How many epochs a sender is from us, judged by the 4 bits only: in -8..7 (a difference of 16 epochs or more wraps
 * and cannot be told apart; the key then differs, so its frames fail authentication instead).
 */
export function epochDistance(bits: number, current: number): number {
  return ((((bits - (current % EPOCH_MODULUS) + 8) % EPOCH_MODULUS) + EPOCH_MODULUS) % EPOCH_MODULUS) - 8;
}
