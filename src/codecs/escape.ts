/**
 * @module Emulation prevention for bytes we place inside H.264/H.265 NAL units (H.264 §7.4.1, H.265 §7.4.2).
 *
 * Ciphertext is random, so it would contain start codes (00 00 01) and make packetizers split the NAL unit. We escape
 * it exactly as encoders escape their own payload: after two zero bytes, a byte 0x00-0x03 is preceded by 0x03.
 * Unescaping removes every 0x03 that follows two zero bytes. The rule is local (whether a 0x03 is an escape depends
 * only on the two bytes before it), which lets the receiver also read an escaped trailer backwards from the end.
 */

/**
 * Positions in `src` where the escape rule fires: for escaping, bytes 0x00-0x03 after two zero bytes; for
 * unescaping, 0x03 bytes after two zero bytes. Ciphertext has a zero byte every 256 bytes on average, so this jumps
 * from zero byte to zero byte with the native indexOf instead of visiting every byte in JavaScript.
 */
function escapePositions(src: Uint8Array, initialZeros: number, removing: boolean): number[] {
  const positions: number[] = [];
  const n = src.length;
  let zeros = initialZeros;
  let i = 0;
  while (i < n) {
    const byte = src[i] ?? 0;
    if (zeros >= 2 && (removing ? byte === 0x03 : byte <= 0x03)) {
      positions.push(i);
      zeros = 0;
      if (removing) {
        i++;
        continue;
      }
    }
    if (byte === 0) {
      zeros++;
      i++;
      continue;
    }
    // A non-zero byte resets the run: nothing can fire before the next zero byte.
    zeros = 0;
    const next = src.indexOf(0, i + 1);
    if (next < 0) break;
    i = next;
  }
  return positions;
}

/**
 * Escapes `src` for a NAL unit in which `initialZeros` (0-2) zero bytes directly precede it.
 * Returns `src` itself when nothing needs escaping, else a new array with one 0x03 inserted per 00 00 0x run
 * (random data grows by about 1 byte per 4 MiB).
 */
export function escapeNal(src: Uint8Array, initialZeros: number): Uint8Array {
  const positions = escapePositions(src, initialZeros, false);
  if (positions.length === 0) return src;
  const out = new Uint8Array(src.length + positions.length);
  let from = 0;
  let o = 0;
  for (const at of positions) {
    out.set(src.subarray(from, at), o);
    o += at - from;
    out[o++] = 0x03;
    from = at;
  }
  out.set(src.subarray(from), o);
  return out;
}

/** Inverse of escapeNal with the same `initialZeros`. Returns `src` itself when it holds no escape byte. */
export function unescapeNal(src: Uint8Array, initialZeros: number): Uint8Array {
  const positions = escapePositions(src, initialZeros, true);
  if (positions.length === 0) return src;
  const out = new Uint8Array(src.length - positions.length);
  let from = 0;
  let o = 0;
  for (const at of positions) {
    out.set(src.subarray(from, at), o);
    o += at - from;
    from = at + 1;
  }
  out.set(src.subarray(from), o);
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
