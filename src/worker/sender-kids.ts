/**
 * @module Which KID a sender's frames go out under (docs/forward-secrecy.md, "KID"): the call's sender key generation
 * (mod 16), our participant id and this sender's track number, drawn once per call and never reused in it. While the
 * bridge has announced the next generation, its key is asked for ahead, so the switch loses no frame.
 */
import { makeKid, senderIdOf } from '../codecs';
import type { MediaKind } from '../shared/messages/schema';
import type { SessionHost } from './session';

export class SenderKids {
  readonly #kind: MediaKind;
  /** The transform that asks for keys (the bridge budgets per transform). */
  readonly #endpoint: string;
  readonly #host: SessionHost;
  /** The KID of the last frame, and what it was built from. */
  #kid: bigint | undefined;
  #kidGeneration = -1;
  /** The call our track number belongs to (a new call draws a new one). */
  #call = -1;
  #track: number | undefined;
  /** The next generation whose key was last asked for ahead. */
  #asked: number | undefined;

  constructor(kind: MediaKind, endpoint: string, host: SessionHost) {
    this.#kind = kind;
    this.#endpoint = endpoint;
    this.#host = host;
  }

  /** The KID for this frame, or undefined while there is no call (or its tracks ran out: see `SessionHost.newTrack`). */
  current(): bigint | undefined {
    const host = this.#host;
    const call = host.call();
    if (call === undefined) return undefined;
    const generation = call.generation;
    // The common case, every frame of a generation: nothing changed since the last frame.
    if (call.number === this.#call && generation === this.#kidGeneration && this.#kid !== undefined) return this.#kid;
    if (call.number !== this.#call) {
      this.#call = call.number;
      this.#track = host.newTrack();
      this.#asked = undefined;
    }
    if (this.#track === undefined) return undefined;
    this.#kidGeneration = generation;
    this.#kid = makeKid(generation % 16, senderIdOf(call.participant, this.#track));
    host.keyring.ownKids.add(this.#kid);
    return this.#kid;
  }

  /** From the frame path: asks for the next generation's key once, as soon as the bridge announced it. */
  askAhead(): void {
    const call = this.#host.call();
    const next = call?.next;
    if (call === undefined || next === undefined || next === this.#asked || this.#track === undefined) return;
    if (call.number !== this.#call) return;
    this.#asked = next;
    const kid = makeKid(next % 16, senderIdOf(call.participant, this.#track));
    this.#host.keyring.ownKids.add(kid);
    this.#host.keyring.ensure(this.#kind, kid, this.#endpoint);
  }
}
