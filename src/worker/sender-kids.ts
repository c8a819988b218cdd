/**
 * @module Which KID a sender's frames go out under (docs/keys.md, "The KID"): the call's sender key generation
 * (mod 16), our participant id and this sender's track number, drawn from the call's and never reused in it. While the
 * bridge has announced the next generation, its key is asked for ahead, so the switch loses no frame.
 *
 * A track serves one block of 16 generations (0-15, 16-31, ...) and the sender draws a new one for the next block: the
 * KID holds only the generation's low 4 bits, so a track kept past 16 generations would name a KID it used before, and
 * a KID is never keyed twice (its keys were retired with its generation, and its counter must never restart). The
 * next block's track is drawn when its first generation is announced, so its key too is asked for ahead.
 */
import { GENERATION_BITS, makeKid, senderIdOf } from '../codecs';
import type { MediaKind } from '../shared/messages/schema';
import type { CallState, SessionHost } from './session';

/** Generations one track serves: as many as the KID's generation bits tell apart. */
const GENERATIONS_PER_TRACK = 1 << GENERATION_BITS;

export class SenderKids {
  readonly #kind: MediaKind;
  /** The transform that asks for keys (the bridge budgets per transform). */
  readonly #endpoint: string;
  readonly #host: SessionHost;
  /** The KID of the last frame, and what it was built from. */
  #kid: bigint | undefined;
  #kidGeneration = -1;
  /** The call our track numbers belong to (a new call draws new ones). */
  #call = -1;
  /**
   * Our track number for each block of {@link GENERATIONS_PER_TRACK} generations of the call (undefined: they ran
   * out). Only the current block and the next one are kept: generations only go up.
   */
  readonly #tracks = new Map<number, number | undefined>();
  /** The next generation whose key was last asked for ahead. */
  #asked: number | undefined;

  constructor(kind: MediaKind, endpoint: string, host: SessionHost) {
    this.#kind = kind;
    this.#endpoint = endpoint;
    this.#host = host;
  }

  /** The KID for this frame, or undefined while there is no call (or its tracks ran out: see `SessionHost.newTrack`). */
  current(): bigint | undefined {
    const call = this.#host.call();
    if (call === undefined) return undefined;
    const generation = call.generation;
    // The common case, every frame of a generation: nothing changed since the last frame.
    if (call.number === this.#call && generation === this.#kidGeneration && this.#kid !== undefined) return this.#kid;
    this.#follow(call);
    const kid = this.#kidOf(call, generation);
    if (kid === undefined) return undefined;
    this.#kidGeneration = generation;
    this.#kid = kid;
    return kid;
  }

  /** From the frame path: asks for the next generation's key once, as soon as the bridge announced it. */
  askAhead(): void {
    const call = this.#host.call();
    const next = call?.next;
    if (call === undefined || next === undefined || next === this.#asked || call.number !== this.#call) return;
    this.#asked = next;
    const kid = this.#kidOf(call, next);
    if (kid !== undefined) this.#host.keyring.ensure(this.#kind, kid, this.#endpoint);
  }

  /** A new call: nothing of the last one (its tracks, what was asked ahead) is used again. */
  #follow(call: CallState): void {
    if (call.number === this.#call) return;
    this.#call = call.number;
    this.#tracks.clear();
    this.#asked = undefined;
  }

  /** Our KID for `generation` of the call, drawing the track of its block if it is the first; noted as our own. */
  #kidOf(call: CallState, generation: number): bigint | undefined {
    const block = Math.floor(generation / GENERATIONS_PER_TRACK);
    if (!this.#tracks.has(block)) {
      this.#tracks.set(block, this.#host.newTrack());
      for (const old of this.#tracks.keys()) if (old < block - 1) this.#tracks.delete(old);
    }
    const track = this.#tracks.get(block);
    if (track === undefined) return undefined;
    const kid = makeKid(generation % GENERATIONS_PER_TRACK, senderIdOf(call.participant, track));
    this.#host.keyring.ownKids.add(kid);
    return kid;
  }
}
