/**
 * @module Sealing exchange messages (STATE, and the chat's CHAT) under the epoch's control key (docs/keys.md, "STATE,
 * the exchange's one message"). Only holders of the passphrase (and room) hold the epoch base keys, so only they can
 * write or read a message: that is the membership proof. The epoch base keys themselves come from
 * src/content/epoch-schedule.ts.
 *
 * ```
 * control_key_e = HKDF-SHA256(ikm = epoch base key, salt = empty, info = "Framelock v4 control") → AES-128-GCM
 *
 * +-------------+-----------------+--------------------------------------------------+
 * | epoch mod   | nonce           | AES-128-GCM(control_key_e, nonce, plaintext,     |
 * | 256 (1)     | (12, random)    |   aad = "Framelock v4 control" ‖ epoch byte)     |
 * +-------------+-----------------+--------------------------------------------------+
 *                                   ciphertext ‖ 16-byte tag
 * ```
 *
 * The receiver maps the epoch byte into its window (previous, current, next: src/shared/epoch.ts) and refuses any
 * other: a message recorded in an earlier epoch cannot be replayed later.
 */
import { asBufferSource, concatBytes } from '../../shared/bytes';
import { acceptedEpochs } from '../../shared/epoch';
import {
  CONTROL_KEY_BITS,
  CONTROL_LABEL,
  EPOCH_BYTE_MODULUS,
  GCM_TAG_BYTES,
  MAX_SEALED_BYTES,
  NONCE_BYTES,
  SEALED_HEADER_BYTES,
} from './constants';

/**
 * The key labelled `label` of an epoch base key (a non-extractable HKDF key): a non-extractable AES-128-GCM key. The
 * control key is one (`CONTROL_LABEL`); the data channels' text key (src/content/data/text-key.ts) is another.
 */
export function deriveEpochKey(epochBaseKey: CryptoKey, label: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: asBufferSource(label) },
    epochBaseKey,
    { name: 'AES-GCM', length: CONTROL_KEY_BITS },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** The control key of an epoch base key (a non-extractable HKDF key): a non-extractable AES-128-GCM key. */
export function deriveControlKey(epochBaseKey: CryptoKey): Promise<CryptoKey> {
  return deriveEpochKey(epochBaseKey, CONTROL_LABEL);
}

/**
 * The keys labelled {@link EpochKeys.label} of the epochs in the window, derived once per epoch base key and dropped
 * with their epoch ({@link EpochKeys.prune}). A base key that changes for an epoch (another room) is derived afresh.
 * The label is also the start of the AAD of everything sealed under them.
 */
export class EpochKeys {
  readonly label: Uint8Array;
  readonly #keyOf: (epoch: number) => CryptoKey | undefined;
  readonly #cache = new Map<number, { base: CryptoKey; key: Promise<CryptoKey> }>();

  /** `keyOf`: the epoch base key of an epoch, if held (`EpochSchedule.keyOf`). */
  constructor(keyOf: (epoch: number) => CryptoKey | undefined, label: Uint8Array) {
    this.#keyOf = keyOf;
    this.label = label;
  }

  /** The key of `epoch`, or undefined without its base key (or if deriving fails). Never throws. */
  async get(epoch: number): Promise<CryptoKey | undefined> {
    const base = this.#keyOf(epoch);
    if (base === undefined) return undefined;
    let entry = this.#cache.get(epoch);
    if (entry?.base !== base) {
      entry = { base, key: deriveEpochKey(base, this.label) };
      this.#cache.set(epoch, entry);
    }
    try {
      return await entry.key;
    } catch {
      if (this.#cache.get(epoch) === entry) this.#cache.delete(epoch);
      return undefined;
    }
  }

  /** Drops the keys of epochs outside the window around `current`. */
  prune(current: number): void {
    const window = acceptedEpochs(current);
    for (const epoch of [...this.#cache.keys()]) if (!window.includes(epoch)) this.#cache.delete(epoch);
  }

  /** Drops every key (the call is over, or the room's keys are gone). */
  clear(): void {
    this.#cache.clear();
  }
}

/** The control keys of the epochs in the window: they seal the key exchange's messages. */
export class ControlKeys extends EpochKeys {
  constructor(keyOf: (epoch: number) => CryptoKey | undefined) {
    super(keyOf, CONTROL_LABEL);
  }
}

function aad(label: Uint8Array, epochByte: number): Uint8Array<ArrayBuffer> {
  return asBufferSource(concatBytes(label, Uint8Array.of(epochByte)));
}

/**
 * Seals `plaintext` for `epoch` under `key` (the epoch's key labelled `label`: the control key by default) with the
 * given nonce. The nonce must never repeat under a key: {@link seal} draws it at random; this form exists for the
 * frozen vectors.
 *
 * @throws RangeError if the nonce is not 12 bytes or the epoch not a non-negative integer.
 */
export async function sealWith(
  key: CryptoKey,
  epoch: number,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  label: Uint8Array = CONTROL_LABEL,
): Promise<Uint8Array> {
  if (nonce.length !== NONCE_BYTES) throw new RangeError('seal: the nonce must be 12 bytes');
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError('seal: bad epoch');
  const epochByte = epoch % EPOCH_BYTE_MODULUS;
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: asBufferSource(nonce), additionalData: aad(label, epochByte), tagLength: GCM_TAG_BYTES * 8 },
    key,
    asBufferSource(plaintext),
  );
  return concatBytes(Uint8Array.of(epochByte), nonce, new Uint8Array(ciphertext));
}

/**
 * Seals `plaintext` for `epoch` with a fresh random nonce (96 random bits per message: a collision is a birthday
 * bound over far fewer messages than an epoch could carry). Undefined without the epoch's key. Never throws.
 */
export async function seal(
  plaintext: Uint8Array,
  epoch: number,
  keys: EpochKeys,
  random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n)),
): Promise<Uint8Array | undefined> {
  try {
    const key = await keys.get(epoch);
    if (key === undefined) return undefined;
    return await sealWith(key, epoch, random(NONCE_BYTES), plaintext, keys.label);
  } catch {
    return undefined;
  }
}

export interface Opened {
  /** The epoch the message was sealed for, within the window. */
  epoch: number;
  /** The sealed message's nonce: random per message, so it names the message (to drop copies). */
  nonce: Uint8Array;
  plaintext: Uint8Array;
}

/**
 * How many epochs from `currentEpoch` a sealed message says it was sealed in, when that is outside the window we
 * accept (previous, current, next): -128..127 by its epoch byte, nearest first. Undefined for a message inside the
 * window or too short to carry an epoch byte. Unauthenticated: one such message proves nothing (it may be junk);
 * the caller believes a distance only when it recurs.
 */
export function farEpochDistance(untrusted: Uint8Array, currentEpoch: number): number | undefined {
  if (untrusted.length < SEALED_HEADER_BYTES + GCM_TAG_BYTES) return undefined;
  const byte = untrusted[0] as number;
  let distance = (((byte - currentEpoch) % EPOCH_BYTE_MODULUS) + EPOCH_BYTE_MODULUS) % EPOCH_BYTE_MODULUS;
  if (distance >= EPOCH_BYTE_MODULUS / 2) distance -= EPOCH_BYTE_MODULUS;
  return Math.abs(distance) <= 1 ? undefined : distance;
}

/**
 * Opens a sealed message from untrusted bytes: at most `maxBytes` long, its epoch byte must map into the window around
 * `currentEpoch`, the epoch's key (of `keys`' label) must be held, and the tag must verify. Undefined otherwise. Never
 * throws.
 */
export async function open(
  untrusted: Uint8Array,
  currentEpoch: number,
  keys: EpochKeys,
  maxBytes: number = MAX_SEALED_BYTES,
): Promise<Opened | undefined> {
  if (untrusted.length < SEALED_HEADER_BYTES + GCM_TAG_BYTES || untrusted.length > maxBytes) return undefined;
  const epochByte = untrusted[0] as number;
  const epoch = acceptedEpochs(currentEpoch).find((e) => e % EPOCH_BYTE_MODULUS === epochByte);
  if (epoch === undefined) return undefined;
  try {
    const key = await keys.get(epoch);
    if (key === undefined) return undefined;
    const nonce = untrusted.slice(1, SEALED_HEADER_BYTES);
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: nonce, additionalData: aad(keys.label, epochByte), tagLength: GCM_TAG_BYTES * 8 },
      key,
      asBufferSource(untrusted.subarray(SEALED_HEADER_BYTES)),
    );
    return { epoch, nonce, plaintext: new Uint8Array(plaintext) };
  } catch {
    return undefined;
  }
}
