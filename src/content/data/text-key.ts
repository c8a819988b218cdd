/**
 * @module The epoch's text key, and the TEXT it seals into a relayed text field (docs/frame-format.md §2.8; the
 * profiles, e.g. textroom.ts, put it in and take it out). For connections that are not protected: a server terminates
 * the data channel and relays a text field of what it parses, so the text is sealed for everyone holding the
 * passphrase and room, not for one peer.
 *
 * ```
 * text_key_e = HKDF-SHA256(ikm = epoch base key, salt = empty, info = "Framelock v4 text")  → AES-128-GCM
 *
 * +-------------+-----------------+--------------------------------------------------------------+
 * | epoch mod   | nonce           | AES-128-GCM(text_key_e, nonce, 0x04 ‖ text (UTF-8),          |
 * | 256 (1)     | (12, random)    |   aad = "Framelock v4 text" ‖ epoch byte) ‖ tag (16)         |
 * +-------------+-----------------+--------------------------------------------------------------+
 * ```
 *
 * The same layout as the exchange's control seal (src/content/exchange/seal.ts) under another key: a receiver maps
 * the epoch byte into its window (previous, current, next) and opens a text sealed in any of those epochs. Derived
 * from the passphrase, so **not forward secret**: whoever learns the passphrase and kept the server's traffic reads
 * the texts of those epochs. A text names neither its sender nor its recipients, and carries no sequence number: the
 * relay says who sent it and can replay, reorder or drop texts within the window (docs/threat-model.md).
 */
import { asBufferSource, concatBytes } from '../../shared/bytes';
import { acceptedEpochs } from '../../shared/epoch';
import { EPOCH_BYTE_MODULUS, GCM_TAG_BYTES, NONCE_BYTES, SEALED_HEADER_BYTES } from '../exchange/constants';
import { MAX_SEALED_TEXT_BYTES, MAX_TEXT_BYTES, TEXT_LABEL, TEXT_TYPE } from './constants';

/** A text key: AES-128, as the control key. */
const TEXT_KEY_BITS = 128;

const utf8 = new TextEncoder();
/** Refuses invalid UTF-8 (only a holder of the key could seal it), and keeps a leading BOM as text. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text key of an epoch base key (a non-extractable HKDF key): a non-extractable AES-128-GCM key. */
export function deriveTextKey(epochBaseKey: CryptoKey): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: asBufferSource(TEXT_LABEL) },
    epochBaseKey,
    { name: 'AES-GCM', length: TEXT_KEY_BITS },
    false,
    ['encrypt', 'decrypt'],
  );
}

/**
 * The text keys of the epochs in the window, derived once per epoch base key and dropped with their epoch
 * ({@link TextKeys.prune}). A base key that changes for an epoch (another room) is derived afresh. The exchange's
 * `ControlKeys` does the same for control keys.
 */
export class TextKeys {
  readonly #keyOf: (epoch: number) => CryptoKey | undefined;
  readonly #cache = new Map<number, { base: CryptoKey; text: Promise<CryptoKey> }>();

  /** `keyOf`: the epoch base key of an epoch, if held (`EpochSchedule.keyOf`). */
  constructor(keyOf: (epoch: number) => CryptoKey | undefined) {
    this.#keyOf = keyOf;
  }

  /** The text key of `epoch`, or undefined without its base key (or if deriving fails). Never throws. */
  async get(epoch: number): Promise<CryptoKey | undefined> {
    const base = this.#keyOf(epoch);
    if (base === undefined) return undefined;
    let entry = this.#cache.get(epoch);
    if (entry?.base !== base) {
      entry = { base, text: deriveTextKey(base) };
      this.#cache.set(epoch, entry);
    }
    try {
      return await entry.text;
    } catch {
      if (this.#cache.get(epoch) === entry) this.#cache.delete(epoch);
      return undefined;
    }
  }

  /** Drops the text keys of epochs outside the window around `current`. */
  prune(current: number): void {
    const window = acceptedEpochs(current);
    for (const epoch of [...this.#cache.keys()]) if (!window.includes(epoch)) this.#cache.delete(epoch);
  }

  /** Drops every text key (the room's keys are gone). */
  clear(): void {
    this.#cache.clear();
  }
}

function aad(epochByte: number): Uint8Array<ArrayBuffer> {
  return asBufferSource(concatBytes(TEXT_LABEL, Uint8Array.of(epochByte)));
}

/** The UTF-8 bytes of a text to seal, or undefined if longer than {@link MAX_TEXT_BYTES}. */
export function textBytes(text: string): Uint8Array | undefined {
  const bytes = utf8.encode(text);
  return bytes.length > MAX_TEXT_BYTES ? undefined : bytes;
}

/**
 * Seals `text` for `epoch` under its text key with the given nonce. The nonce must never repeat under a key:
 * {@link sealText} draws it at random; this form exists for the frozen vectors.
 *
 * @throws RangeError if the nonce is not 12 bytes, the epoch not a non-negative integer, or the text longer than
 *   {@link MAX_TEXT_BYTES} as UTF-8.
 */
export async function sealTextWith(
  textKey: CryptoKey,
  epoch: number,
  nonce: Uint8Array,
  text: string,
): Promise<Uint8Array> {
  if (nonce.length !== NONCE_BYTES) throw new RangeError('TEXT: the nonce must be 12 bytes');
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError('TEXT: bad epoch');
  const bytes = textBytes(text);
  if (bytes === undefined) throw new RangeError('TEXT: the text is too long');
  const epochByte = epoch % EPOCH_BYTE_MODULUS;
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: asBufferSource(nonce), additionalData: aad(epochByte), tagLength: GCM_TAG_BYTES * 8 },
    textKey,
    asBufferSource(concatBytes(Uint8Array.of(TEXT_TYPE), bytes)),
  );
  return concatBytes(Uint8Array.of(epochByte), nonce, new Uint8Array(ciphertext));
}

/**
 * Seals `text` for `epoch` with a fresh random nonce (96 random bits per text, as the control seal). Undefined without
 * the epoch's key or for a text longer than {@link MAX_TEXT_BYTES}. Never throws.
 */
export async function sealText(
  text: string,
  epoch: number,
  keys: TextKeys,
  random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n)),
): Promise<Uint8Array | undefined> {
  try {
    const key = await keys.get(epoch);
    if (key === undefined) return undefined;
    return await sealTextWith(key, epoch, random(NONCE_BYTES), text);
  } catch {
    return undefined;
  }
}

/** An opened TEXT: the epoch it was sealed for (in the window) and the text. */
export interface OpenedText {
  epoch: number;
  text: string;
}

/**
 * Opens a sealed TEXT from untrusted bytes: its epoch byte must map into the window around `currentEpoch`, the epoch's
 * key must be held, the tag verify, the type be TEXT's and the text valid UTF-8 of at most {@link MAX_TEXT_BYTES}.
 * Undefined otherwise. Never throws.
 */
export async function openText(
  untrusted: Uint8Array,
  currentEpoch: number,
  keys: TextKeys,
): Promise<OpenedText | undefined> {
  if (untrusted.length < SEALED_HEADER_BYTES + 1 + GCM_TAG_BYTES || untrusted.length > MAX_SEALED_TEXT_BYTES) {
    return undefined;
  }
  const epochByte = untrusted[0] as number;
  const epoch = acceptedEpochs(currentEpoch).find((e) => e % EPOCH_BYTE_MODULUS === epochByte);
  if (epoch === undefined) return undefined;
  try {
    const key = await keys.get(epoch);
    if (key === undefined) return undefined;
    const plaintext = new Uint8Array(
      await crypto.subtle.decrypt(
        {
          name: 'AES-GCM',
          iv: untrusted.slice(1, SEALED_HEADER_BYTES),
          additionalData: aad(epochByte),
          tagLength: GCM_TAG_BYTES * 8,
        },
        key,
        asBufferSource(untrusted.subarray(SEALED_HEADER_BYTES)),
      ),
    );
    if (plaintext[0] !== TEXT_TYPE) return undefined;
    return { epoch, text: strictUtf8.decode(plaintext.subarray(1)) };
  } catch {
    return undefined; // the tag, or TextDecoder's fatal mode: not UTF-8
  }
}
