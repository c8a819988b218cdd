/**
 * @module Words for people: generated passphrases and safety words, both from the BIP-39 English word list (2,048
 * words, 11 bits each; common, short, and no two share their first four letters, so they survive being read aloud,
 * misheard or typed in a hurry). The list is fixed by protocol v2: safety words must come out the same everywhere.
 */
import { wordlist } from '@scure/bip39/wordlists/english.js';

/** Bits one word carries. */
export const BITS_PER_WORD = 11;
/** Words in a generated passphrase: 12 × 11 = 132 bits of entropy (≥ 128). */
export const GENERATED_PASSPHRASE_WORDS = 12;
/** Safety words shown for a room key: 5 × 11 = 55 bits of its fingerprint. */
export const SAFETY_WORD_COUNT = 5;

if (wordlist.length !== 1 << BITS_PER_WORD) throw new Error('the BIP-39 word list must have 2048 words');

/**
 * The `count` words that the first `count × 11` bits of `bytes` (big-endian) select.
 *
 * @throws RangeError if `bytes` has fewer bits than that.
 */
export function wordsFromBits(bytes: Uint8Array, count: number): string[] {
  if (!Number.isSafeInteger(count) || count < 0 || bytes.length * 8 < count * BITS_PER_WORD) {
    throw new RangeError(`wordsFromBits: ${count} words need ${count * BITS_PER_WORD} bits`);
  }
  const words: string[] = [];
  let accumulator = 0;
  let bits = 0;
  let next = 0;
  while (words.length < count) {
    while (bits < BITS_PER_WORD) {
      accumulator = ((accumulator << 8) | (bytes[next++] as number)) & 0xffffff;
      bits += 8;
    }
    bits -= BITS_PER_WORD;
    words.push(wordlist[(accumulator >>> bits) & 0x7ff] as string);
  }
  return words;
}

/**
 * A fresh random passphrase of {@link GENERATED_PASSPHRASE_WORDS} lower-case words separated by single spaces
 * (132 bits from `crypto.getRandomValues`): easy to read aloud, paste or type, and far beyond offline guessing.
 */
export function generatePassphrase(
  random: (bytes: Uint8Array<ArrayBuffer>) => Uint8Array = (bytes) => crypto.getRandomValues(bytes),
): string {
  const bytes = random(new Uint8Array(Math.ceil((GENERATED_PASSPHRASE_WORDS * BITS_PER_WORD) / 8)));
  try {
    return wordsFromBits(bytes, GENERATED_PASSPHRASE_WORDS).join(' ');
  } finally {
    bytes.fill(0);
  }
}

/** Whether `word` is in the list (for tests and for recognising a generated passphrase). */
export function isListWord(word: string): boolean {
  return wordlist.includes(word);
}
