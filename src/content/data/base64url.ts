/**
 * @module Base64url without padding (RFC 4648 §5, §3.2), for the SDP line and the sealed text field. Decoding is
 * strict: only the 64 characters of the URL-safe alphabet, no padding, no length that leaves a lone character, and the
 * unused low bits of the last character zero (RFC 4648 §3.5). Each byte string then has exactly one encoding, so a
 * changed character can never decode to the same bytes.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Each character code's 6-bit value, or -1. */
const VALUES = (() => {
  const values = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) values[ALPHABET.charCodeAt(i)] = i;
  return values;
})();

/** True if `text` is made only of base64url characters (possibly empty). */
export function isBase64url(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || (VALUES[code] as number) < 0) return false;
  }
  return true;
}

export function bytesToBase64url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out +=
      ALPHABET.charAt(n >>> 18) +
      ALPHABET.charAt((n >>> 12) & 63) +
      ALPHABET.charAt((n >>> 6) & 63) +
      ALPHABET.charAt(n & 63);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    out += ALPHABET.charAt(n >>> 18) + ALPHABET.charAt((n >>> 12) & 63);
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += ALPHABET.charAt(n >>> 18) + ALPHABET.charAt((n >>> 12) & 63) + ALPHABET.charAt((n >>> 6) & 63);
  }
  return out;
}

/**
 * The bytes of an untrusted base64url string, or undefined: a character outside the alphabet (padding included), a
 * length of 1 mod 4, or non-zero unused bits in the last character. Never throws.
 */
export function base64urlToBytes(untrusted: string): Uint8Array | undefined {
  const length = untrusted.length;
  if (length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((length * 3) / 4));
  let bits = 0;
  let buffered = 0;
  let at = 0;
  for (let i = 0; i < length; i++) {
    const code = untrusted.charCodeAt(i);
    const value = code < 128 ? (VALUES[code] as number) : -1;
    if (value < 0) return undefined;
    buffered = ((buffered << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (buffered >>> bits) & 0xff;
    }
  }
  // RFC 4648 §3.5: the pad bits of the last character must be zero (else two strings would name one byte string).
  if ((buffered & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}
