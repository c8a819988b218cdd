/**
 * @module Key serving: the bridge answers the worker's key requests (one KID each) with frame keys derived by RFC 9605
 * §4.4.2 from the sender key of the KID's participant and generation (docs/keys.md): ours, or one a member
 * wrapped to us in the call's exchange. They go to the worker as non-extractable `CryptoKey`s; no sender key ever
 * does. A KID of a sender whose key we lack waits (the call is told we want it), and is answered when keys come. New
 * senders are budgeted per transform (src/content/key-quota.ts), so junk KIDs cannot make us derive without bound.
 */
import { isFramelockKid, kidEpoch, kidParticipant, kidSenderId, makeKid, SUITE_FOR_KIND } from '../codecs';
import { deriveFrameKeys } from '../sframe';
import type { BridgeToWorker } from '../shared/messages';
import type { MediaKind } from '../shared/messages/schema';
import type { CallLink } from './call-link';
import { MAX_PENDING_REQUESTS, MAX_PRIMED_PARTICIPANTS, MAX_PRIMED_TRACKS } from './constants';
import type { KeyRequestQuota } from './key-quota';
import type { KeyRequest } from './worker-link';

export interface KeyServerOptions {
  /** The frame may be the page's (src/content/unsafe-realm.ts): it is served nothing. */
  unsafeRealm: boolean;
  call: Pick<CallLink, 'ensure' | 'participant' | 'senderKey' | 'want'>;
  /**
   * Which endpoint (sender or receiver transform) may get keys for which new sender: a budget per endpoint and a
   * ceiling for the frame, so that a track flooded with junk KIDs cannot starve the others.
   */
  quota: Pick<KeyRequestQuota, 'admit'>;
  /** Posts to the worker (`WorkerLink.post`: nothing before it proved the nonce). */
  toWorker(message: BridgeToWorker): void;
}

export class KeyServer {
  readonly #options: KeyServerOptions;
  /** Key requests waiting for a sender key, by KID and kind (at most {@link MAX_PENDING_REQUESTS}, oldest dropped). */
  readonly #pending = new Map<string, KeyRequest>();
  /**
   * The tracks of each remote participant the worker was given keys for (by kind and sender id, i.e. participant and
   * track), so that a new generation of theirs is keyed before their first frame under it: a frame missed there would
   * freeze the picture until the next keyframe. Bounded per participant and in all.
   */
  readonly #tracks = new Map<bigint, Map<string, { kind: MediaKind; senderId: bigint; endpoint: string }>>();

  constructor(options: KeyServerOptions) {
    this.#options = options;
  }

  /** Answers one key request of the worker: keys, a refusal, or later (when the sender's key comes). */
  async answer(request: KeyRequest): Promise<void> {
    const { unsafeRealm, call, quota, toWorker } = this.#options;
    const { kid, kind, endpoint } = request;
    if (unsafeRealm || !isFramelockKid(kid)) return;
    // The first key request of a page starts its call (the worker asks for its own senders' keys first).
    await call.ensure();
    const participant = kidParticipant(kid);
    const generation = kidEpoch(kid);
    const base = call.senderKey(participant, generation);
    if (base === undefined) {
      // Not yet: a newcomer's first frames come before its keys, a member's next generation before its switch.
      if (call.participant !== undefined && participant !== call.participant) {
        call.want(participant, generation);
        // Its track is keyed ahead as soon as a generation of its sender comes (`prime`), so the first frame under
        // it decrypts: this sender's frames so far are under a generation nobody gave us.
        this.#noteTrack(participant, kind, kidSenderId(kid), endpoint);
      }
      this.#wait(request);
      return;
    }
    this.#pending.delete(pendingKey(request));
    if (participant !== call.participant) {
      const admission = quota.admit(endpoint, kidSenderId(kid), kid);
      if (admission === 'endpoint_limit' || admission === 'frame_limit') {
        toWorker({ type: 'keys-refused', kid, kind, reason: 'rate' });
        return;
      }
    }
    const keys = await deriveFrameKeys(SUITE_FOR_KIND[kind], base, kid);
    // The generation may have been retired, or the call ended, while deriving: never hand out a key of either.
    if (call.senderKey(participant, generation) !== base) return;
    toWorker({ type: 'keys', kid, kind, keys });
    if (participant !== call.participant) this.#noteTrack(participant, kind, kidSenderId(kid), endpoint);
  }

  /**
   * A member's new sender key generation came (`CallHost.onMemberKey`): keys every track of theirs the worker
   * decrypts for that generation now, before their first frame under it (they switch a moment after sending it).
   */
  async prime(participant: bigint, generation: number): Promise<void> {
    const tracks = this.#tracks.get(participant);
    if (tracks === undefined) return;
    for (const { kind, senderId, endpoint } of [...tracks.values()]) {
      await this.answer({ type: 'keys-request', kid: makeKid(generation % 16, senderId), kind, endpoint });
    }
  }

  #noteTrack(participant: bigint, kind: MediaKind, senderId: bigint, endpoint: string): void {
    let tracks = this.#tracks.get(participant);
    if (tracks === undefined) {
      tracks = new Map();
      this.#tracks.set(participant, tracks);
      if (this.#tracks.size > MAX_PRIMED_PARTICIPANTS) this.#tracks.delete(this.#tracks.keys().next().value as bigint);
    }
    const key = `${kind}:${senderId}`;
    tracks.delete(key);
    tracks.set(key, { kind, senderId, endpoint });
    if (tracks.size > MAX_PRIMED_TRACKS) tracks.delete(tracks.keys().next().value as string);
  }

  /** The call ended: nothing of it is keyed ahead any more. */
  forgetCall(): void {
    this.#tracks.clear();
    this.#pending.clear();
  }

  /** Sender keys came (or went): answers the requests that waited, in order. */
  async answerPending(): Promise<void> {
    const waiting = [...this.#pending.values()];
    this.#pending.clear();
    for (const request of waiting) await this.answer(request);
  }

  /** Drops the waiting requests (they were a stopped worker's: the new one asks for what it needs). */
  forgetPending(): void {
    this.#pending.clear();
  }

  #wait(request: KeyRequest): void {
    const key = pendingKey(request);
    this.#pending.delete(key);
    this.#pending.set(key, request);
    if (this.#pending.size > MAX_PENDING_REQUESTS) this.#pending.delete(this.#pending.keys().next().value as string);
  }
}

function pendingKey({ kid, kind }: KeyRequest): string {
  return `${kind}:${kid}`;
}
