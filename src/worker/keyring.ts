/**
 * @module The worker's keys: one SFrameContext per media kind (the frame format fixes the suite per kind), fed with frame
 * keys by the bridge. The worker never holds a sender key; it asks the bridge for each KID it needs, at most once per
 * KID while a request is outstanding. When the bridge retires a sender key generation (a re-key replaced it), the
 * frame keys of its KIDs are retired: they can never be keyed again in this worker, so a replayed old frame is
 * refused and a counter never restarts.
 *
 * Keys of a remote sender that never authenticated a frame here (the junk KIDs of a key-request flood, issue 14 §3)
 * are dropped again: after {@link UNPROVEN_KEY_TTL_MS}, or when the transform that asked for them holds more than
 * {@link MAX_UNPROVEN_KEYS_PER_ENDPOINT}. A sender whose frame authenticated is proven (`prove`): its keys stay until
 * their generation retires, and junk never pushes them out.
 */
import { kidEpoch, kidParticipant, kidSenderId, SUITE_FOR_KIND } from '../codecs';
import { type FrameKeys, SFrameContext } from '../sframe';
import { dropOldest } from '../shared/collections';
import type { MediaKind } from '../shared/messages/schema';
import {
  FORGET_REQUEST_MS,
  MAX_OUTSTANDING_REQUESTS,
  MAX_PROVEN_SENDERS,
  MAX_REFUSALS,
  MAX_UNPROVEN_KEYS_PER_ENDPOINT,
  REQUEST_RETRY_MS,
  UNPROVEN_KEY_TTL_MS,
} from './constants';

/** Why the bridge would not key a KID (see `BridgeToWorker`). */
export interface Refusal {
  reason: 'epoch' | 'rate';
  /** With `epoch`: how many epochs the KID's sender is from our clock. */
  distance?: number;
}

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
  /** KIDs asked for, when last and by which transform (the bridge budgets per transform), per kind. */
  readonly #requested: Record<MediaKind, Map<bigint, { at: number; endpoint: string }>> = {
    audio: new Map(),
    video: new Map(),
  };
  /** KIDs still waiting for keys, and since when (kept across retries). */
  readonly #firstAsked: Record<MediaKind, Map<bigint, number>> = { audio: new Map(), video: new Map() };
  /** Every KID keyed, per kind (to retire them by sender generation, and to count them). */
  readonly #keyed: Record<MediaKind, Set<bigint>> = { audio: new Set(), video: new Set() };
  /** KIDs the bridge refused, and why (forgotten when the request is retried, or at the next retirement). */
  readonly #refused: Record<MediaKind, Map<bigint, Refusal>> = { audio: new Map(), video: new Map() };
  /** Keys held for senders that proved nothing yet: the transform that asked, and when they came (oldest first). */
  readonly #unproven: Record<MediaKind, Map<bigint, { endpoint: string; at: number }>> = {
    audio: new Map(),
    video: new Map(),
  };
  /** Sender ids whose frames authenticated here (least recently proven first). */
  readonly #proven = new Set<bigint>();
  readonly #request: (kid: bigint, kind: MediaKind, endpoint: string) => void;
  readonly #now: () => number;

  constructor(request: (kid: bigint, kind: MediaKind, endpoint: string) => void, now: () => number = () => Date.now()) {
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

  /**
   * True if the key is there; otherwise asks the bridge for it on behalf of the transform `endpoint` (once per retry
   * period) and returns false.
   */
  ensure(kind: MediaKind, kid: bigint, endpoint: string): boolean {
    if (kid === this.#lastKeyed[kind]) return true;
    if (this.#contexts[kind].hasKey(kid)) {
      this.#lastKeyed[kind] = kid;
      return true;
    }
    const requested = this.#requested[kind];
    const asked = requested.get(kid);
    const now = this.#now();
    if (!this.#firstAsked[kind].has(kid)) {
      this.#firstAsked[kind].set(kid, now);
      if (this.#firstAsked[kind].size > MAX_OUTSTANDING_REQUESTS) dropOldest(this.#firstAsked[kind]);
    }
    if (asked === undefined || now - asked.at >= REQUEST_RETRY_MS) {
      requested.delete(kid); // re-inserted: most recently asked last
      requested.set(kid, { at: now, endpoint });
      if (requested.size > MAX_OUTSTANDING_REQUESTS) dropOldest(requested);
      this.#request(kid, kind, endpoint);
    }
    return false;
  }

  /**
   * A frame under `kid` authenticated: its sender is proven, and its keys (of every generation) are never dropped as junk.
   * Call it once per KID change, not per frame.
   */
  prove(kind: MediaKind, kid: bigint): void {
    this.#unproven[kind].delete(kid);
    const sender = kidSenderId(kid);
    this.#proven.delete(sender);
    this.#proven.add(sender);
    if (this.#proven.size > MAX_PROVEN_SENDERS) dropOldest(this.#proven);
    // Its other KIDs (the next generation's, asked ahead) are proven with it.
    for (const other of ['audio', 'video'] as const) {
      for (const held of this.#unproven[other].keys()) {
        if (kidSenderId(held) === sender) this.#unproven[other].delete(held);
      }
    }
  }

  /**
   * Drops keys whose sender proved nothing for {@link UNPROVEN_KEY_TTL_MS}, and forgets requests not repeated for
   * {@link FORGET_REQUEST_MS}. Called every second. Returns how many keys were dropped.
   */
  sweep(): number {
    const now = this.#now();
    let dropped = 0;
    for (const kind of ['audio', 'video'] as const) {
      for (const [kid, { at }] of this.#unproven[kind]) {
        if (now - at < UNPROVEN_KEY_TTL_MS) break; // oldest first: the rest are younger
        if (this.#discard(kind, kid)) dropped++;
      }
      for (const [kid, { at }] of this.#requested[kind]) {
        if (now - at < FORGET_REQUEST_MS) break;
        this.#requested[kind].delete(kid);
        this.#firstAsked[kind].delete(kid);
      }
    }
    return dropped;
  }

  /** How many keys of unproven senders are held now, per kind (for tests). */
  unprovenCount(kind: MediaKind): number {
    return this.#unproven[kind].size;
  }

  /** Drops the key of an unproven sender as if it had never come (a later frame may ask again). */
  #discard(kind: MediaKind, kid: bigint): boolean {
    this.#unproven[kind].delete(kid);
    // A key that opened a frame is kept: that frame authenticated (its prove() call is on its way).
    if (!this.#contexts[kind].discardUnusedKey(kid)) return false;
    this.#keyed[kind].delete(kid);
    if (this.#lastKeyed[kind] === kid) this.#lastKeyed[kind] = undefined;
    return true;
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
    if (this.#refused[kind].size > MAX_REFUSALS) dropOldest(this.#refused[kind]);
  }

  /**
   * Installs keys the bridge sent for `kid`. Returns false if they were refused (a KID retired or keyed before, or of
   * the wrong shape).
   */
  async install(kind: MediaKind, kid: bigint, keys: FrameKeys): Promise<boolean> {
    const endpoint = this.#requested[kind].get(kid)?.endpoint;
    this.#requested[kind].delete(kid);
    this.#firstAsked[kind].delete(kid);
    this.#refused[kind].delete(kid);
    if (this.#contexts[kind].hasKey(kid)) return true;
    try {
      await this.#contexts[kind].importFrameKeys(kid, keys);
      this.#keyed[kind].add(kid);
    } catch {
      return false;
    }
    if (!this.ownKids.has(kid) && !this.#proven.has(kidSenderId(kid))) this.#holdUnproven(kind, kid, endpoint ?? '');
    return true;
  }

  /** Keeps `kid`'s key as unproven, dropping the oldest unproven key of `endpoint` beyond its share. */
  #holdUnproven(kind: MediaKind, kid: bigint, endpoint: string): void {
    const unproven = this.#unproven[kind];
    unproven.set(kid, { endpoint, at: this.#now() });
    let held = 0;
    for (const entry of unproven.values()) if (entry.endpoint === endpoint) held++;
    for (const [other, entry] of unproven) {
      if (held <= MAX_UNPROVEN_KEYS_PER_ENDPOINT) break;
      if (entry.endpoint !== endpoint) continue;
      this.#discard(kind, other);
      held--;
    }
  }

  /**
   * A sender key generation is over (docs/keys.md, "When keys change"): retires the frame keys of every KID of
   * `participant` whose generation bits are `generation`'s (their KIDs can never be keyed again here) and forgets
   * refusals. Returns how many keys were retired.
   */
  retire(participant: bigint, generation: number): number {
    const bits = generation % 16;
    this.#lastKeyed = { audio: undefined, video: undefined };
    let retired = 0;
    for (const kind of ['audio', 'video'] as const) {
      for (const kid of this.#keyed[kind]) {
        if (kidParticipant(kid) !== participant || kidEpoch(kid) !== bits) continue;
        this.#contexts[kind].retireKey(kid);
        this.#keyed[kind].delete(kid);
        this.#unproven[kind].delete(kid);
        this.ownKids.delete(kid);
        retired++;
      }
      this.#refused[kind].clear();
    }
    return retired;
  }

  /** How many keys are held now, per kind (for tests and stats). */
  keyCount(kind: MediaKind): number {
    return this.#keyed[kind].size;
  }

  /** Drops every key (the site was disabled or re-keyed): nothing is sent or decrypted until keys come back. */
  clear(): void {
    this.#contexts = freshContexts();
    this.#lastKeyed = { audio: undefined, video: undefined };
    for (const maps of [this.#requested, this.#firstAsked, this.#keyed, this.#refused, this.#unproven]) {
      maps.audio.clear();
      maps.video.clear();
    }
    this.#proven.clear();
    this.ownKids.clear();
    this.#generation++;
  }
}
