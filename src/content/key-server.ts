/**
 * @module Key serving: the bridge answers the worker's key requests (one KID each) with frame keys derived from the
 * epoch base keys (RFC 9605 §4.4.2), posted as non-extractable `CryptoKey`s: no base or KDF key ever goes to the
 * worker. A KID must carry the Framelock marker and an epoch within one of the bridge's clock, else it is refused;
 * new senders are budgeted (src/content/key-quota.ts). Requests that come before their epoch's key wait for it.
 */
import { isFramelockKid, kidEpoch, kidSenderId, SUITE_FOR_KIND } from '../codecs';
import { deriveFrameKeys } from '../sframe';
import { epochDistance, epochFromBits } from '../shared/epoch';
import type { BridgeToWorker } from '../shared/messages';
import { MAX_PENDING_REQUESTS } from './constants';
import type { EpochSchedule } from './epoch-schedule';
import type { KeyRequestQuota } from './key-quota';
import type { KeyRequest } from './worker-link';

export interface KeyServerOptions {
  /** The frame may be the page's (src/content/unsafe-realm.ts): it is served nothing. */
  unsafeRealm: boolean;
  epochs: Pick<EpochSchedule, 'room' | 'epoch' | 'keyOf' | 'requestKeys'>;
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
  /** Key requests waiting for an epoch key (at most {@link MAX_PENDING_REQUESTS}). */
  readonly #pending: KeyRequest[] = [];

  constructor(options: KeyServerOptions) {
    this.#options = options;
  }

  /** Answers one key request of the worker: keys, a refusal, or later (when its epoch's key comes). */
  async answer(request: KeyRequest): Promise<void> {
    const { unsafeRealm, epochs, quota, toWorker } = this.#options;
    const { kid, kind, endpoint } = request;
    if (unsafeRealm || !isFramelockKid(kid)) return;
    const current = epochs.epoch;
    if (current === undefined) {
      this.#wait(request);
      return;
    }
    const bits = kidEpoch(kid);
    const keyEpoch = epochFromBits(bits, current);
    if (keyEpoch === undefined) {
      // Outside the window: an old recording replayed, or a clock (ours or the sender's) off by more than one epoch.
      const distance = epochDistance(bits, current);
      // The clock problem is reported once the worker saw this KID recur (its stats carry clockSkew): one frame under a
      // far epoch may be plaintext that only looks like a trailer.
      toWorker({ type: 'keys-refused', kid, kind, reason: 'epoch', distance });
      return;
    }
    const base = epochs.keyOf(keyEpoch);
    if (base === undefined) {
      // The background has not sent that epoch's key yet (it was asleep): ask, and answer when it comes.
      this.#wait(request);
      epochs.requestKeys([keyEpoch]);
      return;
    }
    const admission = quota.admit(endpoint, kidSenderId(kid), kid);
    if (admission === 'endpoint_limit' || admission === 'frame_limit') {
      toWorker({ type: 'keys-refused', kid, kind, reason: 'rate' });
      return;
    }
    const room = epochs.room;
    const keys = await deriveFrameKeys(SUITE_FOR_KIND[kind], base, kid);
    // The room may have changed while deriving: never hand out a key of a room we left. (The same room's keys may
    // have been re-sent meanwhile, e.g. after the background restarted: those are the same keys.)
    if (epochs.room !== room) return;
    toWorker({ type: 'keys', kid, kind, epoch: keyEpoch, keys });
  }

  /** Epoch keys came: answers the requests that waited for them, in order. */
  async answerPending(): Promise<void> {
    for (const request of this.#pending.splice(0)) await this.answer(request);
  }

  /** Drops the waiting requests (they were a stopped worker's: the new one asks for what it needs). */
  forgetPending(): void {
    this.#pending.length = 0;
  }

  #wait(request: KeyRequest): void {
    if (this.#pending.length < MAX_PENDING_REQUESTS) this.#pending.push(request);
  }
}
