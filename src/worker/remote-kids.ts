/**
 * @module A receiver's bookkeeping of the remote KIDs it meets: how often each was sighted (a KID is believed only once
 * it recurs), the counts per KID its counters report, and which senders proved themselves here. Every map is
 * bounded, oldest forgotten first.
 */
import { dropOldest } from '../shared/collections';
import type { MediaKind } from '../shared/messages/schema';
import type { TransformStats } from '../shared/messages/stats';
import { MAX_KID_SIGHTINGS, MAX_KIDS_PER_TRACK, SIGHTINGS_TO_BELIEVE_KID } from './constants';
import type { SessionHost } from './session';

interface KidCounts {
  protected: number;
  undecryptable: number;
}

export class RemoteKids {
  readonly #kind: MediaKind;
  readonly #host: SessionHost;
  /** Counts per remote KID, most recently seen last. */
  readonly #byKid = new Map<bigint, KidCounts>();
  /** The last KID counted, and its entry in #byKid (every frame of a sender's epoch skips the map). */
  #lastKid: bigint | undefined;
  #lastKidEntry: KidCounts | undefined;
  /** How many frames carried each KID not yet keyed here (bounded, oldest forgotten first). */
  readonly #sightings = new Map<bigint, number>();
  /** The last KID sighted and the last sender noted: the same on almost every frame. */
  #lastSighted: bigint | undefined;
  #lastNoted: bigint | undefined;

  constructor(kind: MediaKind, host: SessionHost) {
    this.#kind = kind;
    this.#host = host;
  }

  /** Counts one more frame under `kid` and returns how many there were; forgets the key-less KID seen longest ago. */
  sight(kid: bigint): number {
    if (kid === this.#lastSighted) return SIGHTINGS_TO_BELIEVE_KID;
    const count = (this.#sightings.get(kid) ?? 0) + 1;
    this.#sightings.delete(kid);
    this.#sightings.set(kid, Math.min(count, SIGHTINGS_TO_BELIEVE_KID));
    if (this.#sightings.size > MAX_KID_SIGHTINGS) dropOldest(this.#sightings);
    this.#lastSighted = kid;
    return count;
  }

  /** Counts a frame under `kid` as decrypted or undecryptable, for the counters' `byKid`. */
  count(kid: bigint | undefined, outcome: 'protected' | 'undecryptable'): void {
    if (kid === undefined) return;
    // The common case: the same sender as the last frame, already the most recent entry.
    if (kid === this.#lastKid && this.#lastKidEntry !== undefined) {
      this.#lastKidEntry[outcome]++;
      return;
    }
    const entry = this.#byKid.get(kid) ?? { protected: 0, undecryptable: 0 };
    this.#lastKid = kid;
    this.#lastKidEntry = entry;
    entry[outcome]++;
    this.#byKid.delete(kid); // re-insert: most recent last
    this.#byKid.set(kid, entry);
    if (this.#byKid.size > MAX_KIDS_PER_TRACK) {
      const oldest = this.#byKid.keys().next().value as bigint;
      this.#byKid.delete(oldest);
      if (oldest === this.#lastKid) this.#lastKidEntry = undefined;
    }
  }

  /** The counts per KID for a stats snapshot, or undefined before any. */
  counts(): TransformStats['byKid'] {
    if (this.#byKid.size === 0) return undefined;
    return [...this.#byKid].map(([kid, counts]) => ({ kid: kid.toString(), ...counts }));
  }

  /**
   * A frame under `kid` decrypted: its sender is proven, and its keys stay until their generation retires
   * (src/worker/keyring.ts). The bridge sends a proven sender's next generation's keys as soon as it holds them.
   */
  noteSender(kid: bigint): void {
    if (kid === this.#lastNoted) return;
    this.#lastNoted = kid;
    this.#host.keyring.prove(this.#kind, kid);
  }
}
