/**
 * @module The sender keys held for one sender (ourselves or a member), by generation: the one it sends under, the
 * next one before the switch, and replaced ones until their grace ends. Frames name a generation by its low 4 bits
 * only (the KID's `gen`), so a lookup by bits takes the newest generation held with those bits.
 */
import { GEN_BITS_MODULUS, GEN_BYTE_MODULUS, MAX_HELD_GENERATIONS } from './constants';

/**
 * A gen byte's full number (STATE and CHAT carry generations mod 256): the one nearest to `reference` (within
 * -128..127 of it) with that byte.
 */
export function fullGen(reference: number, byte: number): number {
  let diff = (((byte - reference) % GEN_BYTE_MODULUS) + GEN_BYTE_MODULUS) % GEN_BYTE_MODULUS;
  if (diff >= GEN_BYTE_MODULUS / 2) diff -= GEN_BYTE_MODULUS;
  return reference + diff;
}

/** A generation's low 4 bits, as its frames' KIDs carry them. */
export function genBits(gen: number): number {
  return ((gen % GEN_BITS_MODULUS) + GEN_BITS_MODULUS) % GEN_BITS_MODULUS;
}

interface Held {
  key: CryptoKey;
  /** When it is dropped; undefined while it is one of the sender's live generations. */
  retireAt: number | undefined;
}

export class Generations {
  readonly #held = new Map<number, Held>();

  get size(): number {
    return this.#held.size;
  }

  has(gen: number): boolean {
    return this.#held.has(gen);
  }

  get(gen: number): CryptoKey | undefined {
    return this.#held.get(gen)?.key;
  }

  /** The generations held, newest first. */
  list(): number[] {
    return [...this.#held.keys()].sort((a, b) => b - a);
  }

  /** The key of the newest generation held whose low 4 bits are `bits`. */
  byBits(bits: number): CryptoKey | undefined {
    for (const gen of this.list()) if (genBits(gen) === bits) return this.#held.get(gen)?.key;
    return undefined;
  }

  /**
   * Whether a received key of `gen` is worth taking: not held yet, and it would be one of the two newest (a late copy
   * of an older one, or a replay, is not).
   */
  wouldTake(gen: number): boolean {
    if (this.#held.has(gen)) return false;
    const second = this.list()[1];
    return second === undefined || gen > second;
  }

  add(gen: number, key: CryptoKey): void {
    this.#held.set(gen, { key, retireAt: undefined });
  }

  /** Every generation older than `gen` is dropped at `at` (or sooner, if it was already due sooner). */
  retireOlderThan(gen: number, at: number): void {
    for (const [g, held] of this.#held) if (g < gen) held.retireAt = Math.min(held.retireAt ?? at, at);
  }

  /** Every generation but the `count` newest is dropped at `at` (or sooner). */
  keepNewest(count: number, at: number): void {
    const keep = this.list()[count - 1];
    if (keep !== undefined) this.retireOlderThan(keep, at);
  }

  /**
   * Drops the generations due by `now`, and the oldest beyond {@link MAX_HELD_GENERATIONS} at once. Returns those whose
   * frame keys can go: not those that share their 4 bits with a generation still held (its frame keys are the newer
   * one's).
   */
  dropDue(now: number): number[] {
    const dropped: number[] = [];
    for (const [gen, held] of this.#held) if (held.retireAt !== undefined && held.retireAt <= now) dropped.push(gen);
    for (const gen of dropped) this.#held.delete(gen);
    const oldestFirst = this.list().reverse();
    while (this.#held.size > MAX_HELD_GENERATIONS) {
      const gen = oldestFirst.shift() as number;
      this.#held.delete(gen);
      dropped.push(gen);
    }
    const stillHeld = new Set(this.list().map(genBits));
    return dropped.filter((gen) => !stillHeld.has(genBits(gen)));
  }

  /** Drops everything; returns the generations dropped. */
  clear(): number[] {
    const all = this.list();
    this.#held.clear();
    return all;
  }
}
