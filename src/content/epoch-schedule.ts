/**
 * @module The bridge's epoch schedule: the epoch base keys of the previous, current and next epoch (src/shared/epoch.ts),
 * kept as non-extractable HKDF keys in this isolated realm, and the epoch by the background's clock. At every epoch
 * boundary it moves on: it tells the worker the new epoch, erases the key that fell out of the window and asks the
 * background for the one that came in. A key of another room drops everything keyed before.
 */
import { asBufferSource, base64ToBytes, wipe } from '../shared/bytes';
import { acceptedEpochs, epochAt, msUntilNextEpoch } from '../shared/epoch';
import type { BackgroundToBridge } from '../shared/messages';
import { BOUNDARY_SLACK_MS, EPOCH_KEY_BYTES, EPOCH_REQUEST_RETRY_MS } from './constants';
import type { TimerHandle, Timers } from './timers';

export type EpochKeys = Extract<BackgroundToBridge, { type: 'epoch-keys' }>;

export interface EpochScheduleOptions {
  timers: Timers;
  /** Asks the background for these epochs' keys (`epoch-keys-request`). */
  requestKeys(epochs: number[]): void;
  /** The current epoch changed (the worker is told). */
  onEpoch(epoch: number): void;
  /** Every key was forgotten: nothing keyed before may be used again (the worker is told `no-key`). */
  onDrop(): void;
  /** Stops the boundary timer (the bridge is torn down). */
  signal?: AbortSignal;
}

export class EpochSchedule {
  readonly #options: EpochScheduleOptions;
  /** Which room key the epoch keys come from (`BackgroundToBridge`); undefined: no key. */
  #room: string | undefined;
  /** The room's tag for the per-call words (16 bytes), with the keys. */
  #roomTag: Uint8Array | undefined;
  /** Epoch base keys of the window around `#epoch`, as non-extractable HKDF keys. */
  readonly #keys = new Map<number, CryptoKey>();
  /** The current epoch by the background's clock; undefined until keys came. */
  #epoch: number | undefined;
  /** The background's clock minus ours (ms): we follow its clock. */
  #clockOffset = 0;
  #boundaryTimer: TimerHandle | undefined;
  /** When each epoch's key was last asked for: at most once per {@link EPOCH_REQUEST_RETRY_MS} each. */
  readonly #requested = new Map<number, number>();

  constructor(options: EpochScheduleOptions) {
    this.#options = options;
    options.signal?.addEventListener('abort', () => options.timers.clearTimeout(this.#boundaryTimer), { once: true });
  }

  /** The room the keys come from; undefined while there is no key. */
  get room(): string | undefined {
    return this.#room;
  }

  /** The room's tag (16 bytes) for the per-call words; undefined while there is no key. */
  get roomTag(): Uint8Array | undefined {
    return this.#roomTag;
  }

  /** The current epoch by the background's clock; undefined until keys came. */
  get epoch(): number | undefined {
    return this.#epoch;
  }

  /** The base key of `epoch`, if it is in the window and came. */
  keyOf(epoch: number): CryptoKey | undefined {
    return this.#keys.get(epoch);
  }

  /**
   * Takes the background's epoch keys: each of exactly
   * {@link EPOCH_KEY_BYTES}, imported non-extractable, its bytes wiped. Returns false (and takes nothing) if one is
   * of another length.
   */
  async accept(m: EpochKeys): Promise<boolean> {
    const imported: [number, CryptoKey][] = [];
    for (const { epoch, key } of m.keys) {
      const bytes = base64ToBytes(key);
      try {
        if (bytes.length !== EPOCH_KEY_BYTES) return false;
        imported.push([
          epoch,
          await crypto.subtle.importKey('raw', asBufferSource(bytes), 'HKDF', false, ['deriveBits', 'deriveKey']),
        ]);
      } finally {
        wipe(bytes);
      }
    }
    const roomTag = base64ToBytes(m.roomTag);
    if (roomTag.length !== EPOCH_KEY_BYTES) return false;
    // Another room key (a new passphrase, another room): nothing keyed before may be used again.
    if (m.room !== this.#room) {
      if (this.#room !== undefined) this.drop();
      this.#room = m.room;
    }
    this.#roomTag = roomTag;
    this.#clockOffset = m.now - this.#options.timers.now();
    for (const [epoch, key] of imported) this.#keys.set(epoch, key);
    this.#onBoundary();
    return true;
  }

  /** Forgets every key (`dropKeys`): the worker drops everything it would send and decrypts nothing. */
  drop(): void {
    this.#room = undefined;
    this.#roomTag = undefined;
    this.#epoch = undefined;
    this.#keys.clear();
    this.#options.timers.clearTimeout(this.#boundaryTimer);
    this.#options.onDrop();
  }

  /**
   * Asks the background for epoch keys we lack. Throttled per epoch: the background sends only epochs near its own
   * clock, so an epoch just outside it (a boundary crossed a moment apart) must not turn into a request loop.
   */
  requestKeys(epochs: number[]): void {
    const now = this.#options.timers.now();
    for (const [known, at] of this.#requested) if (now - at >= EPOCH_REQUEST_RETRY_MS) this.#requested.delete(known);
    const wanted = epochs.filter((e) => !this.#requested.has(e));
    if (wanted.length === 0) return;
    for (const e of wanted) this.#requested.set(e, now);
    this.#options.requestKeys(wanted);
  }

  /** Our view of the background's clock. */
  #clock(): number {
    return this.#options.timers.now() + this.#clockOffset;
  }

  /**
   * Runs at each epoch boundary (and whenever keys arrive): moves to the epoch of the background's clock, erases keys
   * outside the window, asks for the missing ones and sleeps until the next boundary. Late timers (a throttled
   * background tab) are harmless: receivers accept the neighbouring epochs.
   */
  #onBoundary(): void {
    const { timers, onEpoch } = this.#options;
    timers.clearTimeout(this.#boundaryTimer);
    if (this.#room === undefined) return;
    const now = this.#clock();
    const current = epochAt(now);
    const accepted = acceptedEpochs(current);
    for (const known of [...this.#keys.keys()]) if (!accepted.includes(known)) this.#keys.delete(known);
    this.requestKeys(accepted.filter((e) => !this.#keys.has(e)));
    if (current !== this.#epoch) {
      this.#epoch = current;
      onEpoch(current);
    }
    this.#boundaryTimer = timers.setTimeout(() => this.#onBoundary(), msUntilNextEpoch(now) + BOUNDARY_SLACK_MS);
  }
}
