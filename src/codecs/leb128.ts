/**
 * @module Unsigned LEB128, as AV1 writes OBU sizes (AV1 spec §4.10.5) and as our canonical metadata writes lengths.
 */

/** Appends `value` (a non-negative safe integer) to `out`. */
export function pushLeb128(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

export function leb128Length(value: number): number {
  let length = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) length++;
  return length;
}

/** Writes `value` minimally at `offset`; returns the new offset. */
export function writeLeb128(out: Uint8Array, offset: number, value: number): number {
  let v = value;
  let i = offset;
  while (v >= 0x80) {
    out[i++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[i++] = v;
  return i;
}

/**
 * Reads a LEB128 value of at most 8 bytes (AV1's limit) at `offset`. Returns undefined if it runs past `end`, is
 * longer than 8 bytes, or exceeds 2^32 - 1 (no frame is that large).
 */
export function readLeb128(
  bytes: Uint8Array,
  offset: number,
  end: number,
): { value: number; next: number } | undefined {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const at = offset + i;
    if (at >= end) return undefined;
    const byte = bytes[at] ?? 0;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return value > 0xffffffff ? undefined : { value, next: at + 1 };
  }
  return undefined;
}
