/**
 * @module Receiver-side replay window for one KID (RFC 9605 §7.5 leaves replay protection to the receiver).
 *
 * The window remembers which of the last `size` counters below the highest accepted one were seen. It is advanced
 * only by `accept`, which callers invoke after the tag verified, so a forged frame with a huge CTR cannot move the
 * window and silence the real sender.
 *
 * Counters are 64-bit. Every real one fits a double exactly (2^53 frames is millions of years of video), so the window
 * keeps its highest counter as a Number and the per-frame path (`isReplayAt`, `acceptAt`) does no BigInt work; a
 * counter above 2^53 - 1, which only a peer that wants to test us would send, takes the BigInt path.
 */
import { MAX_SAFE } from '../shared/bytes';

export class ReplayWindow {
  readonly size: number;
  /** The highest accepted counter while it is at most 2^53 - 1; -1 before the first. */
  #highest = -1;
  /** The highest accepted counter once it is above 2^53 - 1 (then #highest is unused). */
  #highestBig: bigint | undefined;
  /** One bit per counter, indexed by ctr mod size; slots above the highest are kept clear. */
  readonly #seen: Uint32Array;

  /** @throws RangeError unless size is a power of two between 32 and 65536. */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 32 || size > 65536 || (size & (size - 1)) !== 0) {
      throw new RangeError('ReplayWindow: size must be a power of two in [32, 65536]');
    }
    this.size = size;
    this.#seen = new Uint32Array(size / 32);
  }

  get highest(): bigint | undefined {
    if (this.#highestBig !== undefined) return this.#highestBig;
    return this.#highest < 0 ? undefined : BigInt(this.#highest);
  }

  /** True if `ctr` was already accepted or is older than the window: such a frame must be refused. */
  isReplay(ctr: bigint): boolean {
    return ctr <= MAX_SAFE ? this.isReplayAt(Number(ctr)) : this.#isReplayBig(ctr);
  }

  /** Records `ctr` as accepted. Call only for a frame whose tag verified and that `isReplay` let through. */
  accept(ctr: bigint): void {
    if (ctr <= MAX_SAFE) this.acceptAt(Number(ctr));
    else this.#acceptBig(ctr);
  }

  /** {@link isReplay} for a counter that is a safe integer. */
  isReplayAt(ctr: number): boolean {
    if (this.#highestBig !== undefined) return this.#isReplayBig(BigInt(ctr));
    const highest = this.#highest;
    if (ctr > highest) return false;
    if (highest - ctr >= this.size) return true;
    const slot = ctr % this.size;
    return ((this.#seen[slot >>> 5] ?? 0) & (1 << (slot & 31))) !== 0;
  }

  /** {@link accept} for a counter that is a safe integer. */
  acceptAt(ctr: number): void {
    if (this.#highestBig !== undefined) {
      this.#acceptBig(BigInt(ctr));
      return;
    }
    const highest = this.#highest;
    if (ctr > highest) {
      const advance = highest < 0 ? this.size : Math.min(this.size, ctr - highest);
      if (advance >= this.size) {
        this.#seen.fill(0);
      } else {
        // Clear the slots of the counters we skip over: they now stand for counters not seen yet.
        for (let c = highest + 1; c <= ctr; c++) this.#clear(c % this.size);
      }
      this.#highest = ctr;
    }
    this.#set(ctr % this.size);
  }

  #isReplayBig(ctr: bigint): boolean {
    const highest = this.highest;
    if (highest === undefined || ctr > highest) return false;
    if (highest - ctr >= BigInt(this.size)) return true;
    const slot = this.#slotBig(ctr);
    return ((this.#seen[slot >>> 5] ?? 0) & (1 << (slot & 31))) !== 0;
  }

  #acceptBig(ctr: bigint): void {
    const highest = this.highest;
    if (highest === undefined || ctr > highest) {
      const size = BigInt(this.size);
      if (highest === undefined || ctr - highest >= size) {
        this.#seen.fill(0);
      } else {
        for (let c = highest + 1n; c <= ctr; c++) this.#clear(this.#slotBig(c));
      }
      if (ctr <= MAX_SAFE) {
        this.#highest = Number(ctr);
        this.#highestBig = undefined;
      } else {
        this.#highestBig = ctr;
      }
    }
    this.#set(this.#slotBig(ctr));
  }

  #slotBig(ctr: bigint): number {
    return Number(ctr & BigInt(this.size - 1));
  }

  #set(slot: number): void {
    this.#seen[slot >>> 5] = (this.#seen[slot >>> 5] ?? 0) | (1 << (slot & 31));
  }

  #clear(slot: number): void {
    this.#seen[slot >>> 5] = (this.#seen[slot >>> 5] ?? 0) & ~(1 << (slot & 31));
  }
}
