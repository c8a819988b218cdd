/**
 * @module Which KID a sender's frames go out under, and the keys it asks for ahead. A KID is the epoch's low 4 bits and a
 * random 56-bit sender id (src/codecs/format.ts); the sender id is fresh per session, per re-key and whenever the
 * epoch goes backwards, and serves at most {@link EPOCHS_PER_SENDER_ID} epochs.
 */
import { makeKid } from '../codecs';
import type { MediaKind } from '../shared/messages/schema';
import { EPOCHS_PER_SENDER_ID } from './constants';
import type { SessionHost } from './session';

export class SenderKids {
  readonly #kind: MediaKind;
  /** The transform that asks for keys (the bridge budgets per transform). */
  readonly #endpoint: string;
  readonly #host: SessionHost;
  /** The KID of the last frame. */
  #kid: bigint | undefined;
  #senderId: bigint | undefined;
  #generation = -1;
  /** The newest epoch this sender sent in: a clock stepping back below it gets a fresh sender id. */
  #lastEpoch = -1;
  /** The epoch #senderId was drawn in: it serves {@link EPOCHS_PER_SENDER_ID} epochs, then a new one takes over. */
  #idSince = -1;
  /** The sender id that takes over after #senderId's last epoch, drawn early so its key is asked for ahead. */
  #nextSenderId: bigint | undefined;
  /** The epoch whose successor's key was last asked for ahead. */
  #preparedEpoch = -1;

  constructor(kind: MediaKind, endpoint: string, host: SessionHost) {
    this.#kind = kind;
    this.#endpoint = endpoint;
    this.#host = host;
  }

  /**
   * The KID for the current epoch: a fresh sender id per session, per re-key and whenever the epoch goes backwards
   * (a clock stepped back: that epoch's KID may have sent before, and its counter must never restart), the epoch in
   * its low bits.
   */
  current(epoch: number): bigint {
    const { keyring } = this.#host;
    // The common case, every frame of an epoch: nothing changed since the last frame.
    if (epoch === this.#lastEpoch && this.#generation === keyring.generation && this.#kid !== undefined) {
      return this.#kid;
    }
    if (this.#senderId === undefined || this.#generation !== keyring.generation || epoch < this.#lastEpoch) {
      this.#senderId = this.#host.randomSenderId();
      this.#generation = keyring.generation;
      this.#idSince = epoch;
      this.#nextSenderId = undefined;
    } else if (epoch >= this.#idSince + EPOCHS_PER_SENDER_ID) {
      // The KID holds the epoch mod 16: from here on this id would name KIDs it already used, which no context keys
      // twice. A new id (drawn, and keyed, ahead by prepare()) continues the track.
      this.#senderId = this.#nextSenderId ?? this.#host.randomSenderId();
      this.#idSince = epoch;
      this.#nextSenderId = undefined;
    }
    this.#lastEpoch = epoch;
    const kid = makeKid(epoch % 16, this.#senderId);
    if (kid !== this.#kid) {
      this.#kid = kid;
      keyring.ownKids.add(kid);
    }
    return kid;
  }

  /**
   * Once per epoch, from the frame path: asks now for the next epoch's key, so the switch at the boundary loses no
   * frame.
   */
  askAhead(epoch: number): void {
    if (this.#preparedEpoch === epoch) return;
    this.#preparedEpoch = epoch;
    this.#ensureNext(epoch);
  }

  /**
   * A new epoch began: asks ahead for the key of the next one, so the switch at the coming boundary loses no frame.
   * (The current epoch's key was asked for at the previous boundary.)
   */
  prepare(epoch: number): void {
    const { keyring } = this.#host;
    if (this.#senderId === undefined || this.#generation !== keyring.generation) return;
    if (epoch < this.#lastEpoch) return; // the next frame draws a new sender id
    keyring.ensure(this.#kind, makeKid(epoch % 16, this.#senderId), this.#endpoint);
    this.#ensureNext(epoch);
  }

  /** Asks for the key of the KID that sends in the epoch after `epoch`, and knows it as our own. */
  #ensureNext(epoch: number): void {
    const next = makeKid((epoch + 1) % 16, this.#idFor(epoch + 1));
    this.#host.keyring.ownKids.add(next);
    this.#host.keyring.ensure(this.#kind, next, this.#endpoint);
  }

  /** The sender id that will send in `epoch` (the current one, or the one that takes over after 16 epochs). */
  #idFor(epoch: number): bigint {
    if (epoch < this.#idSince + EPOCHS_PER_SENDER_ID) return this.#senderId as bigint;
    this.#nextSenderId ??= this.#host.randomSenderId();
    return this.#nextSenderId;
  }
}
