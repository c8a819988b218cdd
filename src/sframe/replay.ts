/**
 * @module Receiver-side replay window for one KID (RFC 9605 §7.5 leaves replay protection to the receiver).
 *
 * The window remembers which of the last `size` counters below the highest accepted one were seen. It is advanced
 * only by `accept`, which callers invoke after the tag verified, so a forged frame with a huge CTR cannot move the
 * window and silence the real sender.
 */

export class ReplayWindow {
  readonly size: number;
  readonly #sizeBig: bigint;
  #highest: bigint | undefined;
  /** One bit per counter, indexed by ctr mod size; slots above #highest are kept clear. */
  readonly #seen: Uint32Array;

  /** @throws RangeError unless size is a power of two between 32 and 65536. */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 32 || size > 65536 || (size & (size - 1)) !== 0) {
      throw new RangeError('ReplayWindow: size must be a power of two in [32, 65536]');
    }
    this.size = size;
    this.#sizeBig = BigInt(size);
    this.#seen = new Uint32Array(size / 32);
  }

  get highest(): bigint | undefined {
    return this.#highest;
  }

  /** True if `ctr` was already accepted or is older than the window: such a frame must be refused. */
  isReplay(ctr: bigint): boolean {
    const highest = this.#highest;
    if (highest === undefined || ctr > highest) return false;
    if (highest - ctr >= this.#sizeBig) return true;
    const slot = this.#slot(ctr);
    return ((this.#seen[slot >>> 5] ?? 0) & (1 << (slot & 31))) !== 0;
  }

  /** Records `ctr` as accepted. Call only for a frame whose tag verified and that `isReplay` let through. */
  accept(ctr: bigint): void {
    const highest = this.#highest;
    if (highest === undefined || ctr > highest) {
      const advance =
        highest === undefined ? this.size : Number(ctr - highest > BigInt(this.size) ? this.size : ctr - highest);
      if (advance >= this.size) {
        this.#seen.fill(0);
      } else {
        // Clear the slots of the counters we skip over: they now stand for counters not seen yet.
        for (let c = (highest as bigint) + 1n; c <= ctr; c++) this.#clear(this.#slot(c));
      }
      this.#highest = ctr;
    }
    const slot = this.#slot(ctr);
    this.#seen[slot >>> 5] = (this.#seen[slot >>> 5] ?? 0) | (1 << (slot & 31));
  }

  #slot(ctr: bigint): number {
    return Number(ctr & BigInt(this.size - 1));
  }

  #clear(slot: number): void {
    this.#seen[slot >>> 5] = (this.#seen[slot >>> 5] ?? 0) & ~(1 << (slot & 31));
  }
}
