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
import { concatBytes } from '../../shared/bytes';
import { NONCE_BYTES } from '../exchange/constants';
import { deriveEpochKey, EpochKeys, open, sealWith } from '../exchange/seal';
import { MAX_SEALED_TEXT_BYTES, MAX_TEXT_BYTES, TEXT_LABEL, TEXT_TYPE } from './constants';

const utf8 = new TextEncoder();
/** Refuses invalid UTF-8 (only a holder of the key could seal it), and keeps a leading BOM as text. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text key of an epoch base key (a non-extractable HKDF key): a non-extractable AES-128-GCM key. */
export function deriveTextKey(epochBaseKey: CryptoKey): Promise<CryptoKey> {
  return deriveEpochKey(epochBaseKey, TEXT_LABEL);
}

/**
 * The text keys of the epochs in the window, derived once per epoch base key and dropped with their epoch (the
 * exchange's `EpochKeys` under the text label, as `ControlKeys` is under the control label).
 */
export class TextKeys extends EpochKeys {
  /** `keyOf`: the epoch base key of an epoch, if held (`EpochSchedule.keyOf`). */
  constructor(keyOf: (epoch: number) => CryptoKey | undefined) {
    super(keyOf, TEXT_LABEL);
  }
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
  const bytes = textBytes(text);
  if (bytes === undefined) throw new RangeError('TEXT: the text is too long');
  return sealWith(textKey, epoch, nonce, concatBytes(Uint8Array.of(TEXT_TYPE), bytes), TEXT_LABEL);
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
  const opened = await open(untrusted, currentEpoch, keys, MAX_SEALED_TEXT_BYTES);
  if (opened === undefined || opened.plaintext[0] !== TEXT_TYPE) return undefined;
  try {
    return { epoch: opened.epoch, text: strictUtf8.decode(opened.plaintext.subarray(1)) };
  } catch {
    return undefined; // TextDecoder's fatal mode: not UTF-8
  }
}
