/**
 * @module Byte helpers shared by every context. Pure: no DOM, no extension APIs.
 */

import { concatBytes as nobleConcatBytes } from '@noble/hashes/utils.js';

/** 2^64 - 1, the largest KID or CTR RFC 9605 can encode (§4.3: up to 8 bytes). */
export const MAX_U64 = (1n << 64n) - 1n;

/**
 * 2^53 - 1 as a BigInt: values up to here convert to Number exactly, which keeps per-frame work (header bytes, nonces,
 * the replay window) off BigInt arithmetic. Every real counter is below it (2^53 frames is millions of years).
 */
export const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Hex and concatenation from @noble/hashes (audited, and already how our tests check the key schedule), re-exported
 * under the names every context imports from here. `hexToBytes` throws RangeError for a string that is not
 * even-length hex (TypeError for a non-string); `concatBytes` throws TypeError for a part that is not bytes.
 */
export { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
/** Typed as a plain `Uint8Array` (noble's result type pins the buffer to ArrayBuffer, which callers' `let`s inherit). */
export const concatBytes: (...parts: Uint8Array[]) => Uint8Array = nobleConcatBytes;

/** Number of bytes needed to write `value` big-endian without leading zero bytes (0 for 0n). */
export function minimalByteLength(value: bigint): number {
  if (value <= MAX_SAFE) {
    let length = 0;
    for (let v = Number(value); v > 0; v = Math.floor(v / 256)) length++;
    return length;
  }
  let length = 0;
  for (let v = value; v > 0n; v >>= 8n) length++;
  return length;
}

/** Writes `value` big-endian into `out[offset, offset + length)`. The caller guarantees it fits. */
export function writeUintBE(out: Uint8Array, offset: number, length: number, value: bigint): void {
  if (value <= MAX_SAFE) {
    // Number arithmetic: one BigInt conversion instead of one BigInt operation per byte (hot: every frame header).
    let v = Number(value);
    for (let i = offset + length - 1; i >= offset; i--) {
      out[i] = v % 256;
      v = Math.floor(v / 256);
    }
    return;
  }
  let v = value;
  for (let i = offset + length - 1; i >= offset; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** Reads `length` (≤ 8) bytes big-endian. The caller guarantees they exist. */
export function readUintBE(bytes: Uint8Array, offset: number, length: number): bigint {
  // Exact in doubles: up to 6 bytes in one Number, 7-8 bytes as two halves joined with two BigInt operations.
  let n = 0;
  const split = Math.max(0, length - 4);
  if (length <= 6) {
    for (let i = 0; i < length; i++) n = n * 256 + (bytes[offset + i] ?? 0);
    return BigInt(n);
  }
  for (let i = 0; i < split; i++) n = n * 256 + (bytes[offset + i] ?? 0);
  let low = 0;
  for (let i = split; i < length; i++) low = low * 256 + (bytes[offset + i] ?? 0);
  return (BigInt(n) << 32n) | BigInt(low);
}

export function u64BE(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  writeUintBE(out, 0, 8, value);
  return out;
}

/**
 * Compares two byte strings in time that depends only on their lengths, never on where they differ, so a forger
 * cannot learn a tag byte by byte from timing (RFC 9605 §4.5.1 leaves the comparison to us).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** Overwrites secret bytes once they are no longer needed (best effort: JS engines may have copied them). */
export function wipe(bytes: Uint8Array): void {
  bytes.fill(0);
}

/** WebCrypto wants BufferSource backed by an ArrayBuffer; TS 5.7+ types Uint8Array<ArrayBufferLike>. */
export function asBufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
