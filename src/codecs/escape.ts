/**
 * @module Emulation prevention for bytes we place inside H.264/H.265 NAL units (H.264 §7.4.1, H.265 §7.4.2).
 *
 * Ciphertext is random, so it would contain start codes (00 00 01) and make packetizers split the NAL unit. We escape
 * it exactly as encoders escape their own payload: after two zero bytes, a byte 0x00-0x03 is preceded by 0x03.
 * Unescaping removes every 0x03 that follows two zero bytes. The rule is local (whether a 0x03 is an escape depends
 * only on the two bytes before it), which lets the receiver also read an escaped trailer backwards from the end.
 */

/**
 * Escapes `src` for a NAL unit in which `initialZeros` (0-2) zero bytes directly precede it.
 * Returns a new array; one 0x03 is inserted per 00 00 0x run, so random data grows by about 3 bytes per 16 MiB.
 */
export function escapeNal(src: Uint8Array, initialZeros: number): Uint8Array {
  let zeros = initialZeros;
  let inserts = 0;
  for (let i = 0; i < src.length; i++) {
    const byte = src[i] ?? 0;
    if (zeros >= 2 && byte <= 0x03) {
      inserts++;
      zeros = 0;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  if (inserts === 0) return src;
  const out = new Uint8Array(src.length + inserts);
  zeros = initialZeros;
  let o = 0;
  for (let i = 0; i < src.length; i++) {
    const byte = src[i] ?? 0;
    if (zeros >= 2 && byte <= 0x03) {
      out[o++] = 0x03;
      zeros = 0;
    }
    out[o++] = byte;
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return out;
}

/** Inverse of escapeNal with the same `initialZeros`. */
export function unescapeNal(src: Uint8Array, initialZeros: number): Uint8Array {
  let zeros = initialZeros;
  let removals = 0;
  for (let i = 0; i < src.length; i++) {
    const byte = src[i] ?? 0;
    if (zeros >= 2 && byte === 0x03) {
      removals++;
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  if (removals === 0) return src;
  const out = new Uint8Array(src.length - removals);
  zeros = initialZeros;
  let o = 0;
  for (let i = 0; i < src.length; i++) {
    const byte = src[i] ?? 0;
    if (zeros >= 2 && byte === 0x03) {
      zeros = 0;
      continue;
    }
    out[o++] = byte;
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return out;
}

/** Zero bytes (0-2) at the end of `bytes[start, end)`: the escaping state after a clear prefix. */
export function trailingZeros(bytes: Uint8Array, start: number, end: number): number {
  if (end - 1 >= start && bytes[end - 1] === 0) return end - 2 >= start && bytes[end - 2] === 0 ? 2 : 1;
  return 0;
}

/** True if the byte at `index` of an escaped NAL unit is an emulation prevention byte (the local rule). */
export function isEscapeByte(bytes: Uint8Array, start: number, index: number): boolean {
  return index - 2 >= start && bytes[index] === 0x03 && bytes[index - 1] === 0 && bytes[index - 2] === 0;
}
