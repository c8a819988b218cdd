/**
 * @module The worker's keys: one SFrameContext per media kind (the frame format fixes the suite per kind), fed with frame
 * keys by the bridge. The worker never holds a base key; it asks the bridge for each KID it needs, at most once per
 * KID while a request is outstanding. As epochs pass, keys older than the previous epoch are retired: their KIDs can
 * never be keyed again in this worker, so a replayed old frame is refused and a counter never restarts.
 */
import { kidEpoch, SUITE_FOR_KIND } from '../codecs';
import { type FrameKeys, SFrameContext } from '../sframe';
import { EPOCH_TOLERANCE, epochFromBits } from '../shared/epoch';

/** Why the bridge would not key a KID (see `BridgeToWorker`). */
export interface Refusal {
  reason: 'epoch' | 'rate';
  /** With `epoch`: how many epochs the KID's sender is from our clock. */
  distance?: number;
}

export type MediaKind = 'audio' | 'video';

/** How long a KID the bridge did not answer for stays refused before we ask again. */
const REQUEST_RETRY_MS = 2_000;

function freshContexts(): Record<MediaKind, SFrameContext> {
  return { audio: new SFrameContext(SUITE_FOR_KIND.audio), video: new SFrameContext(SUITE_FOR_KIND.video) };
}

export class Keyring {
  #contexts = freshContexts();
  /**
   * Bumped when all keys are dropped. Senders then draw a new KID: re-importing keys for an old sender KID would
   * restart its counter under the same key and reuse nonces.
   */
  #generation = 0;
  /** Our own sender KIDs, to recognise our media echoed back on a remote track. */
  readonly ownKids = new Set<bigint>();
  /** KIDs asked for and when, per kind. */
  readonly #requested: Record<MediaKind, Map<bigint, number>> = { audio: new Map(), video: new Map() };
  /** KIDs still waiting for keys, and since when (kept across retries). */
  readonly #firstAsked: Record<MediaKind, Map<bigint, number>> = { audio: new Map(), video: new Map() };
  /** The epoch of every KID keyed, per kind, to retire them as epochs pass. */
  readonly #epochs: Record<MediaKind, Map<bigint, number>> = { audio: new Map(), video: new Map() };
  /** KIDs the bridge refused, and why (forgotten when the request is retried, or at the next epoch). */
  readonly #refused: Record<MediaKind, Map<bigint, Refusal>> = { audio: new Map(), video: new Map() };
  readonly #request: (kid: bigint, kind: MediaKind) => void;
  readonly #now: () => number;

  constructor(request: (kid: bigint, kind: MediaKind) => void, now: () => number = () => Date.now()) {
    this.#request = request;
    this.#now = now;
  }

  get generation(): number {
    return this.#generation;
  }

  context(kind: MediaKind): SFrameContext {
    return this.#contexts[kind];
  }

  has(kind: MediaKind, kid: bigint): boolean {
    return this.#contexts[kind].hasKey(kid);
  }

  /**
   * The KID `ensure` last found keyed, per kind: a sender's every frame asks for the same one, and a BigInt-keyed map
   * lookup per frame is measurable. Forgotten whenever a key can go (advance, clear).
   */
  #lastKeyed: Record<MediaKind, bigint | undefined> = { audio: undefined, video: undefined };

  /** True if the key is there; otherwise asks the bridge for it (once per retry period) and returns false. */
  ensure(kind: MediaKind, kid: bigint): boolean {
    if (kid === this.#lastKeyed[kind]) return true;
    if (this.#contexts[kind].hasKey(kid)) {
      this.#lastKeyed[kind] = kid;
      return true;
    }
    const asked = this.#requested[kind].get(kid);
    const now = this.#now();
    if (!this.#firstAsked[kind].has(kid)) this.#firstAsked[kind].set(kid, now);
    if (asked === undefined || now - asked >= REQUEST_RETRY_MS) {
      this.#requested[kind].set(kid, now);
      this.#request(kid, kind);
    }
    return false;
  }

  /** When the key for `kid` was first asked for and is still missing, or undefined. */
  pendingSince(kind: MediaKind, kid: bigint): number | undefined {
    return this.#firstAsked[kind].get(kid);
  }

  /** Why the bridge refused `kid`, if it did. */
  refusal(kind: MediaKind, kid: bigint): Refusal | undefined {
    return this.#refused[kind].get(kid);
  }

  /** The bridge will not key `kid`: frames under it fail at once (no grace period) until a retry succeeds. */
  refuse(kind: MediaKind, kid: bigint, refusal: Refusal): void {
    this.#firstAsked[kind].delete(kid);
    this.#refused[kind].set(kid, refusal);
    if (this.#refused[kind].size > 256) this.#refused[kind].delete(this.#refused[kind].keys().next().value as bigint);
  }

  /**
   * Installs keys the bridge sent for `kid` of `epoch`. Returns false if they were refused (a KID retired or keyed
   * before, wrong shape, or an epoch already retired).
   */
  async install(kind: MediaKind, kid: bigint, keys: FrameKeys, epoch: number): Promise<boolean> {
    this.#requested[kind].delete(kid);
    this.#firstAsked[kind].delete(kid);
    this.#refused[kind].delete(kid);
    if (this.#contexts[kind].hasKey(kid)) return true;
    if (this.#oldestEpoch !== undefined && epoch < this.#oldestEpoch) return false;
    try {
      await this.#contexts[kind].importFrameKeys(kid, keys);
      this.#epochs[kind].set(kid, epoch);
      return true;
    } catch {
      return false;
    }
  }

  /** Epochs before this one are retired. */
  #oldestEpoch: number | undefined;

  /**
   * Moves to `epoch`: retires every key of an epoch before `epoch - 1` (their KIDs can never be keyed again) and
   * forgets refusals (the next attempt asks again). Returns how many keys were retired.
   */
  advance(epoch: number): number {
    // Not kept monotonic: after a clock stepped back, senders draw new ids (never-keyed KIDs) for the older epoch.
    this.#oldestEpoch = epoch - EPOCH_TOLERANCE;
    this.#lastKeyed = { audio: undefined, video: undefined };
    let retired = 0;
    for (const kind of ['audio', 'video'] as const) {
      for (const [kid, keyEpoch] of this.#epochs[kind]) {
        if (keyEpoch >= this.#oldestEpoch) continue;
        this.#contexts[kind].retireKey(kid);
        this.#epochs[kind].delete(kid);
        retired++;
      }
      this.#refused[kind].clear();
    }
    for (const kid of this.ownKids) if (epochFromBits(kidEpoch(kid), epoch) === undefined) this.ownKids.delete(kid);
    return retired;
  }

  /** How many keys are held now, per kind (for tests and stats). */
  keyCount(kind: MediaKind): number {
    return this.#epochs[kind].size;
  }

  /** Drops every key (the site was disabled or re-keyed): nothing is sent or decrypted until keys come back. */
  clear(): void {
    this.#contexts = freshContexts();
    this.#lastKeyed = { audio: undefined, video: undefined };
    for (const maps of [this.#requested, this.#firstAsked, this.#epochs, this.#refused]) {
      maps.audio.clear();
      maps.video.clear();
    }
    this.#oldestEpoch = undefined;
    this.ownKids.clear();
    this.#generation++;
  }
}
