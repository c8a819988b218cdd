/**
 * @module What people compare to know nobody sits between them (docs/keys.md, "Per-call words").
 *
 * ```
 * call words  = 5 words of SHA-256("Framelock v4 call words" ‖ room tag (16) ‖ pub_1 ‖ pub_2 ‖ ... ‖ pub_n)
 *               pub_i: every member's public key and our own, sorted bytewise, each once
 * fingerprint = 2 words of SHA-256("Framelock v4 participant" ‖ pub)
 * ```
 *
 * Everyone who saw the same set of public keys in the same room reads the same five words. A man in the middle who
 * knows the passphrase (so can seal messages) and gives each side his own public key instead of the other's makes
 * the sets differ, hence the words (except with probability 2^-55). Fingerprints only tell the people of one call
 * apart in the popup; they prove nothing alone.
 */
import { asBufferSource, concatBytes } from '../../shared/bytes';
import { wordsFromBits } from '../../shared/words';
import {
  CALL_WORD_COUNT,
  CALL_WORDS_LABEL,
  FINGERPRINT_WORD_COUNT,
  PARTICIPANT_LABEL,
  PUBLIC_KEY_BYTES,
  ROOM_TAG_BYTES,
} from './constants';

/** Bytewise order (shorter first when one is a prefix of the other: never, all keys are 32 bytes). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', asBufferSource(data)));
}

/**
 * The call's five words for a room tag and the public keys of everyone in the call (ourselves included; the order
 * does not matter, duplicates count once).
 *
 * @throws RangeError if the room tag is not 16 bytes or a key not 32.
 */
export async function callWords(roomTag: Uint8Array, publicKeys: readonly Uint8Array[]): Promise<string[]> {
  if (roomTag.length !== ROOM_TAG_BYTES) throw new RangeError('call words: the room tag must be 16 bytes');
  if (publicKeys.some((k) => k.length !== PUBLIC_KEY_BYTES)) throw new RangeError('call words: keys are 32 bytes');
  const sorted = [...publicKeys].sort(compareBytes);
  const unique = sorted.filter((key, i) => i === 0 || compareBytes(key, sorted[i - 1] as Uint8Array) !== 0);
  return wordsFromBits(await sha256(concatBytes(CALL_WORDS_LABEL, roomTag, ...unique)), CALL_WORD_COUNT);
}

/**
 * A participant's two-word fingerprint, words joined by a space.
 *
 * @throws RangeError if the key is not 32 bytes.
 */
export async function fingerprint(publicKey: Uint8Array): Promise<string> {
  if (publicKey.length !== PUBLIC_KEY_BYTES) throw new RangeError('fingerprint: keys are 32 bytes');
  return wordsFromBits(await sha256(concatBytes(PARTICIPANT_LABEL, publicKey)), FINGERPRINT_WORD_COUNT).join(' ');
}
