/**
 * @module MSB-first bit reader for codec headers. For H.264/H.265 it skips emulation prevention bytes (ITU-T H.264
 * §7.4.1: a 0x03 after two zero bytes) and reports how many *escaped* bytes it consumed, which is what stays clear.
 * Reading past the end returns undefined rather than throwing: codec parsers then keep the whole unit clear.
 */

export class BitReader {
  readonly #bytes: Uint8Array;
  readonly #end: number;
  readonly #skipEmulationPrevention: boolean;
  /** Index of the next byte to load. */
  #next: number;
  #zeros = 0;
  #current = 0;
  /** Bits left in #current. */
  #bitsLeft = 0;

  constructor(bytes: Uint8Array, start: number, end: number, skipEmulationPrevention = false) {
    this.#bytes = bytes;
    this.#next = start;
    this.#end = end;
    this.#skipEmulationPrevention = skipEmulationPrevention;
  }

  /** Index just past the last byte that supplied a bit. */
  get consumedEnd(): number {
    return this.#next;
  }

  #load(): boolean {
    if (this.#next >= this.#end) return false;
    let byte = this.#bytes[this.#next++] ?? 0;
    if (this.#skipEmulationPrevention && this.#zeros >= 2 && byte === 0x03) {
      this.#zeros = 0;
      if (this.#next >= this.#end) return false;
      byte = this.#bytes[this.#next++] ?? 0;
    }
    this.#zeros = byte === 0 ? this.#zeros + 1 : 0;
    this.#current = byte;
    this.#bitsLeft = 8;
    return true;
  }

  /** Reads `count` (≤ 32) bits as an unsigned number, or undefined at the end of the data. */
  bits(count: number): number | undefined {
    let value = 0;
    for (let i = 0; i < count; i++) {
      if (this.#bitsLeft === 0 && !this.#load()) return undefined;
      this.#bitsLeft--;
      value = value * 2 + ((this.#current >> this.#bitsLeft) & 1);
    }
    return value;
  }

  /** Unsigned Exp-Golomb ue(v) (H.264 §9.1); undefined at the end of the data or for more than 31 leading zeros. */
  ue(): number | undefined {
    let leadingZeros = 0;
    for (;;) {
      const bit = this.bits(1);
      if (bit === undefined) return undefined;
      if (bit === 1) break;
      if (++leadingZeros > 31) return undefined;
    }
    const rest = this.bits(leadingZeros);
    return rest === undefined ? undefined : 2 ** leadingZeros - 1 + rest;
  }
}
