/**
 * @module Framelock frame format v3: the constants every participant must agree on, the KID layout and the trailer.
 * See docs/frame-format.md for the whole picture. Every magic number of the format lives here, with its reason.
 *
 * A protected frame keeps the codec's own layout (clear bytes in place, ciphertext in place of the protected bytes)
 * and carries the SFrame header and tag in a trailer, written backwards so it can be read from the last byte:
 *
 * ```
 * +------------------------------------------+---------+---------+---------------+--------+
 * | codec body: clear bytes and ciphertext    |   tag   |   CTR   | KID (8 bytes) | config |
 * | in the positions the codec had them       | Nt bytes| 0-8 B   |  big-endian   | 1 byte |
 * +------------------------------------------+---------+---------+---------------+--------+
 *                                            '------------------ trailer -------------------'
 * AAD (RFC 9605 §4.4.3) = SFrame header (config || KID || CTR, §4.3) || FORMAT_VERSION (1 byte) || codec id
 *                         || the codec's canonical description of its clear bytes
 * ```
 */
import { headerLengthFromConfig } from '../sframe';
import type { MediaKind } from '../shared/messages/schema';

/**
 * The version byte in every frame's AAD: peers of different versions read none of each other's frames.
 * - 2: audio moved from suite 2 to 0xF001.
 * - 3: every audio frame of 1 byte or more is protected (v2 sent Opus frames of 1-3 bytes, DTX and comfort noise, in
 *   clear, and its receivers passed such frames unauthenticated); an H.264/H.265 slice whose header does not parse is
 *   encrypted after its NAL header, behind a marker (h26x.ts), where v2 left it all clear.
 */
export const FORMAT_VERSION = 3;

/**
 * One cipher suite per media kind, fixed by the format version so receivers never guess (docs/frame-format.md has the
 * byte counts and the measurements behind the choice):
 * - video: AES_128_GCM_SHA256_128 (4): one WebCrypto call per frame and a full 128-bit tag, 25-27 bytes per frame.
 * - audio: FRAMELOCK_AES_128_GCM_SHA256_64 (0xF001, RFC 9605's private-use range): GCM's 16-byte tag would make audio
 *   frames 8 bytes heavier; a 64-bit tag keeps them at 17-20 bytes. Unlike suite 2 (AES-CTR + HMAC, also 64 bits) it
 *   takes one WebCrypto call per frame, not two: at 99 audio streams that halves the receive path's crypto calls.
 */
export const SUITE_FOR_KIND: Readonly<Record<MediaKind, 0xf001 | 4>> = { audio: 0xf001, video: 4 };

/** Tag length Nt of each kind's suite (RFC 9605 §4.5). */
export const TAG_LENGTH: Readonly<Record<MediaKind, number>> = { audio: 8, video: 16 };

/**
 * KID layout, 64 bits, always written in 8 bytes:
 * ```
 *  63    60 59  56 55                                                    0
 * +--------+------+-------------------------------------------------------+
 * | 0b1011 | epoch|              random sender id (56 bits)               |
 * +--------+------+-------------------------------------------------------+
 * ```
 * - The top nibble marks a Framelock frame (versions 1 to 3 share the layout). Its top bit also keeps the KID at 8 bytes, so the header's config
 *   byte always reads 1 111 Y CCC: together that is 8 fixed bits a receiver checks before any crypto.
 * - epoch: the key epoch mod 16 (the key hierarchy defines epochs; receivers accept only neighbours of their own).
 * - sender id: fresh and random per page load and track. 56 bits, not 48: with 300 tracks in one epoch, two share an
 *   id (and so a key and nonces) with probability C(300, 2) / 2^56 ≈ 2^-40.5; 48 bits would give 2^-32.5.
 */
export const KID_MARKER = 0xbn;
export const KID_BYTES = 8;
export const EPOCH_BITS = 4;
export const SENDER_ID_BITS = 56;
const SENDER_ID_MASK = (1n << BigInt(SENDER_ID_BITS)) - 1n;
const EPOCH_MASK = (1 << EPOCH_BITS) - 1;

/** Config byte bits that must match for our trailer: X = 1 and K = 7 (KID in 8 bytes), RFC 9605 §4.3. */
export const CONFIG_MASK = 0xf0;
export const CONFIG_EXPECTED = 0xf0;

const EPOCH_SHIFT = BigInt(SENDER_ID_BITS);
const MARKER_SHIFT = BigInt(SENDER_ID_BITS + EPOCH_BITS);

/** @throws RangeError for an epoch outside 0..15 or a sender id outside 56 bits. */
export function makeKid(epoch: number, senderId: bigint): bigint {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > EPOCH_MASK) throw new RangeError('epoch must be in 0..15');
  if (typeof senderId !== 'bigint' || senderId < 0n || senderId > SENDER_ID_MASK) {
    throw new RangeError('sender id must be a 56-bit bigint');
  }
  return (KID_MARKER << MARKER_SHIFT) | (BigInt(epoch) << EPOCH_SHIFT) | senderId;
}

export function isFramelockKid(kid: bigint): boolean {
  return kid >> MARKER_SHIFT === KID_MARKER;
}

export function kidEpoch(kid: bigint): number {
  return Number((kid >> EPOCH_SHIFT) & BigInt(EPOCH_MASK));
}

export function kidSenderId(kid: bigint): bigint {
  return kid & SENDER_ID_MASK;
}

/** Numeric codec ids, authenticated in the AAD so a frame can only be read with the framing it was written with. */
export const CODEC_ID = {
  generic: 0,
  vp8: 1,
  vp9: 2,
  h264: 3,
  h265: 4,
  av1: 5,
  opus: 6,
} as const;
export type CodecName = keyof typeof CODEC_ID;

/**
 * Trailer length implied by its last byte, or undefined if that byte is not a config byte of ours.
 * @param config the frame's last byte (raw, after any unescaping)
 */
export function trailerLength(config: number, tagLength: number): number | undefined {
  if ((config & CONFIG_MASK) !== CONFIG_EXPECTED) return undefined;
  return tagLength + headerLengthFromConfig(config);
}

/**
 * Writes tag || CTR || KID || config at `offset` from the SFrame header (config || KID || CTR) and tag.
 * Returns the offset after it.
 */
export function writeTrailer(out: Uint8Array, offset: number, header: Uint8Array, tag: Uint8Array): number {
  let at = offset;
  out.set(tag, at);
  at += tag.length;
  out.set(header.subarray(1 + KID_BYTES), at); // CTR
  at += header.length - 1 - KID_BYTES;
  out.set(header.subarray(1, 1 + KID_BYTES), at); // KID
  at += KID_BYTES;
  out[at++] = header[0] ?? 0; // config
  return at;
}

/** Splits a raw trailer back into the SFrame header (config || KID || CTR, §4.3) and the tag. */
export function readTrailer(trailer: Uint8Array, tagLength: number): { header: Uint8Array; tag: Uint8Array } {
  const headerLength = trailer.length - tagLength;
  const header = new Uint8Array(headerLength);
  const ctrLength = headerLength - 1 - KID_BYTES;
  header[0] = trailer[trailer.length - 1] ?? 0;
  header.set(trailer.subarray(tagLength + ctrLength, tagLength + ctrLength + KID_BYTES), 1);
  header.set(trailer.subarray(tagLength, tagLength + ctrLength), 1 + KID_BYTES);
  return { header, tag: trailer.subarray(0, tagLength) };
}
