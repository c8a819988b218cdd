/**
 * @module SFrame header encoding, RFC 9605 §4.3.
 *
 * ```
 *  0 1 2 3 4 5 6 7
 * +-+-+-+-+-+-+-+-+---------------------------+---------------------------+
 * |X|  K  |Y|  C  |   KID... (length K+1)     |   CTR... (length C+1)     |
 * +-+-+-+-+-+-+-+-+---------------------------+---------------------------+
 * ```
 * X = 0: the KID is K itself (0..7); X = 1: the KID follows in K+1 bytes. Y likewise for CTR and C. Both values are
 * big-endian and at most 8 bytes, so up to 2^64 - 1. We always write the shortest form and refuse any other: the
 * header is authenticated as written, so two encodings of one (KID, CTR) would be two different frames.
 */
import { MAX_U64, minimalByteLength, readUintBE, writeUintBE } from '../shared/bytes';
import { SFrameError } from './errors';

export interface SFrameHeader {
  kid: bigint;
  ctr: bigint;
  /** Encoded length in bytes (1 to 17). */
  length: number;
}

/** @throws TypeError unless `value` is a bigint, RangeError unless it fits a header field (§4.3: [0, 2^64 - 1]). */
export function checkU64(name: string, value: unknown): asserts value is bigint {
  if (typeof value !== 'bigint') throw new TypeError(`${name} must be a bigint`);
  if (value < 0n || value > MAX_U64) throw new RangeError(`${name} must be in [0, 2^64 - 1]`);
}

/** Checks a KID given to the API: @throws TypeError unless a bigint, RangeError outside [0, 2^64 - 1] (§4.3). */
export function checkKid(kid: unknown): asserts kid is bigint {
  checkU64('kid', kid);
}

/** Length of the encoded header for (kid, ctr), without encoding it. */
export function headerLength(kid: bigint, ctr: bigint): number {
  return 1 + (kid < 8n ? 0 : minimalByteLength(kid)) + (ctr < 8n ? 0 : minimalByteLength(ctr));
}

/**
 * Writes the header for (kid, ctr) into `out` at `offset`; returns the number of bytes written.
 * @throws TypeError / RangeError if kid or ctr is not a bigint in [0, 2^64 - 1].
 */
export function writeHeader(out: Uint8Array, offset: number, kid: bigint, ctr: bigint): number {
  const kidLength = kid < 8n ? 0 : minimalByteLength(kid);
  const ctrLength = ctr < 8n ? 0 : minimalByteLength(ctr);
  const kidField = kidLength === 0 ? Number(kid) : 0x8 | (kidLength - 1);
  const ctrField = ctrLength === 0 ? Number(ctr) : 0x8 | (ctrLength - 1);
  out[offset] = (kidField << 4) | ctrField;
  writeUintBE(out, offset + 1, kidLength, kid);
  writeUintBE(out, offset + 1 + kidLength, ctrLength, ctr);
  return 1 + kidLength + ctrLength;
}

/** RFC 9605 §4.3. @throws TypeError / RangeError for a kid or ctr outside [0, 2^64 - 1]. */
export function encodeHeader(kid: bigint, ctr: bigint): Uint8Array {
  checkU64('kid', kid);
  checkU64('ctr', ctr);
  const out = new Uint8Array(headerLength(kid, ctr));
  writeHeader(out, 0, kid, ctr);
  return out;
}

/** Header length implied by a config byte alone (§4.3), so a frame can be split before it is parsed. */
export function headerLengthFromConfig(config: number): number {
  const kidLength = config & 0x80 ? ((config >> 4) & 0x7) + 1 : 0;
  const ctrLength = config & 0x08 ? (config & 0x7) + 1 : 0;
  return 1 + kidLength + ctrLength;
}

/**
 * Whether the extended KID or CTR field of `length` bytes at `offset` is in its shortest form (§4.3): no leading zero
 * byte, and a one-byte value of at least 8 (a smaller one fits the config byte's 3 bits). For parsers of headers laid
 * out elsewhere too (the Framelock trailer: src/codecs/protect.ts).
 */
export function isMinimalField(bytes: Uint8Array, offset: number, length: number): boolean {
  const first = bytes[offset] ?? 0;
  return first !== 0 && (length > 1 || first >= 8);
}

/**
 * Parses the header at the start of `frame` (RFC 9605 §4.3).
 * @throws SFrameError `header_truncated` if the bytes end inside the header, `header_non_minimal` for any encoding
 * other than the shortest one.
 */
export function decodeHeader(frame: Uint8Array): SFrameHeader {
  if (!(frame instanceof Uint8Array)) throw new SFrameError('header_truncated', 'SFrame: frame is not bytes');
  const config = frame[0];
  if (config === undefined) throw new SFrameError('header_truncated', 'SFrame: empty frame');
  const length = headerLengthFromConfig(config);
  if (frame.length < length) throw new SFrameError('header_truncated');
  let offset = 1;
  let kid: bigint;
  if (config & 0x80) {
    const kidLength = ((config >> 4) & 0x7) + 1;
    if (!isMinimalField(frame, offset, kidLength)) {
      throw new SFrameError('header_non_minimal', 'SFrame: KID with a leading zero byte, or < 8 in extended form');
    }
    kid = readUintBE(frame, offset, kidLength);
    offset += kidLength;
  } else {
    kid = BigInt((config >> 4) & 0x7);
  }
  let ctr: bigint;
  if (config & 0x08) {
    const ctrLength = (config & 0x7) + 1;
    if (!isMinimalField(frame, offset, ctrLength)) {
      throw new SFrameError('header_non_minimal', 'SFrame: CTR with a leading zero byte, or < 8 in extended form');
    }
    ctr = readUintBE(frame, offset, ctrLength);
  } else {
    ctr = BigInt(config & 0x7);
  }
  return { kid, ctr, length };
}
