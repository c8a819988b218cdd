/**
 * @module Framelock frame format v5: the constants every participant must agree on, the KID layout and the trailer.
 * See docs/frame-format.md for the whole picture. Every magic number of the format lives here, with its reason.
 *
 * A protected frame keeps the codec's own layout (clear bytes in place, ciphertext in place of the protected bytes)
 * and carries the SFrame header and tag in a trailer, written backwards so it can be read from the last byte. A frame
 * whose counter is odd also carries a control region (control-region.ts) between the tag and the CTR:
 *
 * ```
 * +-------------------------------------+---------+-----------------+---------+---------------+--------+
 * | codec body: clear bytes and         |   tag   | control region  |   CTR   | KID (8 bytes) | config |
 * | ciphertext where the codec had them | Nt bytes| n + 4, odd CTR  | 0-8 B   |  big-endian   | 1 byte |
 * +-------------------------------------+---------+-----------------+---------+---------------+--------+
 *                                       '-------------------------- trailer ---------------------------'
 * AAD (RFC 9605 §4.4.3) = SFrame header (config || KID || CTR, §4.3) || FORMAT_VERSION (1 byte) || codec id
 *                         || the codec's canonical description of its clear bytes || control region (if any)
 * ```
 */
import { headerLengthFromConfig } from '../sframe';
import type { MediaKind } from '../shared/messages/schema';
import { controlRegionLength } from './control-region';

/**
 * The version byte in every frame's AAD: peers of different versions read none of each other's frames.
 * - 2: audio moved from suite 2 to 0xF001.
 * - 3: every audio frame of 1 byte or more is protected (v2 sent Opus frames of 1-3 bytes, DTX and comfort noise, in
 *   clear, and its receivers passed such frames unauthenticated); an H.264/H.265 slice whose header does not parse is
 *   encrypted after its NAL header, behind a marker (h26x.ts), where v2 left it all clear.
 * - 4: the KID marker is 0b1100 and the KID names a participant and a track; a frame with an odd counter carries a
 *   control region (control-region.ts) in its trailer, authenticated at the end of the AAD.
 * - 5: the KID marker is 0b1101; an Opus frame goes out as a code 3 packet whose frames are empty and whose padding
 *   holds the ciphertext and trailer (opus.ts), so that a decoder without the key plays silence, not noise.
 */
export const FORMAT_VERSION = 5;

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
 * KID layout (v4 and v5), 64 bits, always written in 8 bytes:
 * ```
 *  63  60 59  56 55                                  12 11          0
 * +------+------+--------------------------------------+-------------+
 * |0b1101| gen  |        participant id (44 bits)      | track (12)  |
 * +------+------+--------------------------------------+-------------+
 *               '------------- sender id (56 bits) -------------------'
 * ```
 * - The top nibble marks a Framelock v5 frame; 0b1100 ({@link V4_KID_MARKER}) marked version 4 and 0b1011
 *   ({@link OLDER_KID_MARKER}) versions 1 to 3, whose frames a receiver tells apart to say "another participant runs an
 *   older Framelock". The top bit also keeps the KID at 8
 *   bytes, so the header's config byte always reads 1 111 Y CCC: with the marker, 8 fixed bits a receiver checks
 *   before any crypto.
 * - gen: the sender key's generation mod 16 (the key epoch mod 16 until sender keys key media,
 *   docs/keys.md).
 * - participant id: 44 random bits per participant and call; track: the sender transform's number in that call
 *   (0..4095, never reused in a call; a new one every 16 generations, so that no KID comes back: src/worker/
 *   sender-kids.ts). Together, the sender id.
 */
export const KID_MARKER = 0xdn;
/** The KID marker of format version 4: its trailer is laid out as v5's (control regions on odd counters). */
export const V4_KID_MARKER = 0xcn;
/** The KID marker of format versions 1 to 3 (no control regions). */
export const OLDER_KID_MARKER = 0xbn;
export const KID_BYTES = 8;
export const GENERATION_BITS = 4;
export const PARTICIPANT_BITS = 44;
export const TRACK_BITS = 12;
export const SENDER_ID_BITS = PARTICIPANT_BITS + TRACK_BITS;
const SENDER_ID_MASK = (1n << BigInt(SENDER_ID_BITS)) - 1n;
const PARTICIPANT_MASK = (1n << BigInt(PARTICIPANT_BITS)) - 1n;
const TRACK_MASK = (1 << TRACK_BITS) - 1;
const GENERATION_MASK = (1 << GENERATION_BITS) - 1;

/** Config byte bits that must match for our trailer: X = 1 and K = 7 (KID in 8 bytes), RFC 9605 §4.3. */
export const CONFIG_MASK = 0xf0;
export const CONFIG_EXPECTED = 0xf0;

const GENERATION_SHIFT = BigInt(SENDER_ID_BITS);
const MARKER_SHIFT = BigInt(SENDER_ID_BITS + GENERATION_BITS);
const KID_MARKER_NIBBLE = Number(KID_MARKER);
const V4_KID_MARKER_NIBBLE = Number(V4_KID_MARKER);
const OLDER_KID_MARKER_NIBBLE = Number(OLDER_KID_MARKER);

/** @throws RangeError for a generation outside 0..15 or a sender id outside 56 bits. */
export function makeKid(generation: number, senderId: bigint): bigint {
  if (!Number.isInteger(generation) || generation < 0 || generation > GENERATION_MASK) {
    throw new RangeError('generation must be in 0..15');
  }
  if (typeof senderId !== 'bigint' || senderId < 0n || senderId > SENDER_ID_MASK) {
    throw new RangeError('sender id must be a 56-bit bigint');
  }
  return (KID_MARKER << MARKER_SHIFT) | (BigInt(generation) << GENERATION_SHIFT) | senderId;
}

/** The sender id of a participant's track. @throws RangeError outside 44 bits / 0..4095. */
export function senderIdOf(participant: bigint, track: number): bigint {
  if (typeof participant !== 'bigint' || participant < 0n || participant > PARTICIPANT_MASK) {
    throw new RangeError('participant id must be a 44-bit bigint');
  }
  if (!Number.isInteger(track) || track < 0 || track > TRACK_MASK) throw new RangeError('track must be in 0..4095');
  return (participant << BigInt(TRACK_BITS)) | BigInt(track);
}

/** A KID of this format version (marker 0b1101). */
export function isFramelockKid(kid: bigint): boolean {
  return kid >> MARKER_SHIFT === KID_MARKER;
}

/** A KID of format versions 1 to 4 (marker 0b1011 or 0b1100): a participant running an older Framelock. */
export function isOlderFormatKid(kid: bigint): boolean {
  const marker = kid >> MARKER_SHIFT;
  return marker === OLDER_KID_MARKER || marker === V4_KID_MARKER;
}

/** The 4 generation bits. */
export function kidGeneration(kid: bigint): number {
  return Number((kid >> GENERATION_SHIFT) & BigInt(GENERATION_MASK));
}

/** {@link kidGeneration} under its v3 name: while epoch keys key media, the generation bits are the epoch mod 16. */
export const kidEpoch = kidGeneration;

export function kidSenderId(kid: bigint): bigint {
  return kid & SENDER_ID_MASK;
}

export function kidParticipant(kid: bigint): bigint {
  return (kid >> BigInt(TRACK_BITS)) & PARTICIPANT_MASK;
}

export function kidTrack(kid: bigint): number {
  return Number(kid & BigInt(TRACK_MASK));
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
 * A byte of a received trailer counted from the frame's end (0: the config byte, the frame's last), after any
 * unescaping; undefined where the bytes run out. Framings that escape their trailer (h26x.ts) unescape lazily, as far
 * as {@link trailerLength} reads.
 */
export type TrailerByteReader = (fromEnd: number) => number | undefined;

/**
 * Length of the trailer that ends the frame, from its last bytes read backwards, or undefined when they are not a
 * trailer of ours. Reads the config byte (the header's length), the KID's first byte (its marker), the CTR's parity (the
 * config byte's low bits when Y = 0, else the CTR's last byte, right before the KID) and, for an odd CTR, the region's
 * last three bytes (n, last, index: control-region.ts). A frame of format v4 (marker 0b1100) is measured as v5's; one of
 * v1-v3 (marker 0b1011) has no region whatever its CTR: its trailer is measured as those versions wrote it, so that a
 * receiver can report either as an older format's.
 * A region a sender never writes (n = 0, index > last) or one that does not fit gives undefined: not our frame.
 */
export function trailerLength(byteAt: TrailerByteReader, tagLength: number): number | undefined {
  const config = byteAt(0);
  if (config === undefined || (config & CONFIG_MASK) !== CONFIG_EXPECTED) return undefined;
  const headerLength = headerLengthFromConfig(config);
  const kidFirst = byteAt(KID_BYTES);
  if (kidFirst === undefined) return undefined;
  const marker = kidFirst >> 4;
  if (marker === OLDER_KID_MARKER_NIBBLE) return tagLength + headerLength;
  if (marker !== KID_MARKER_NIBBLE && marker !== V4_KID_MARKER_NIBBLE) return undefined;
  const ctrLast = config & 0x08 ? byteAt(KID_BYTES + 1) : config;
  if (ctrLast === undefined) return undefined;
  if ((ctrLast & 1) === 0) return tagLength + headerLength;
  const region = controlRegionLength((i) => byteAt(headerLength + i));
  return region === undefined ? undefined : tagLength + region + headerLength;
}

/** Bytes of the trailer that `writeTrailer` writes for this header, tag and control region. */
export function trailerSize(header: Uint8Array, tag: Uint8Array, control: Uint8Array | undefined): number {
  return tag.length + (control?.length ?? 0) + header.length;
}

/**
 * Writes tag || control region || CTR || KID || config at `offset` from the SFrame header (config || KID || CTR), the
 * tag and, on a frame with an odd counter, the control region (exactly the bytes authenticated at the end of the AAD).
 * Returns the offset after it.
 */
export function writeTrailer(
  out: Uint8Array,
  offset: number,
  header: Uint8Array,
  tag: Uint8Array,
  control?: Uint8Array,
): number {
  let at = offset;
  out.set(tag, at);
  at += tag.length;
  if (control !== undefined) {
    out.set(control, at);
    at += control.length;
  }
  out.set(header.subarray(1 + KID_BYTES), at); // CTR
  at += header.length - 1 - KID_BYTES;
  out.set(header.subarray(1, 1 + KID_BYTES), at); // KID
  at += KID_BYTES;
  out[at++] = header[0] ?? 0; // config
  return at;
}

/** Where the CTR starts in a raw trailer (its length from the config byte, the trailer's last). */
export function trailerCtrStart(trailer: Uint8Array): number {
  const config = trailer[trailer.length - 1] ?? 0;
  return trailer.length - headerLengthFromConfig(config);
}

/**
 * Splits a raw trailer (as {@link trailerLength} measured it) back into the SFrame header (config || KID || CTR,
 * §4.3), the tag and the control region (undefined when there is none).
 */
export function readTrailer(
  trailer: Uint8Array,
  tagLength: number,
): { header: Uint8Array; tag: Uint8Array; control: Uint8Array | undefined } {
  const ctrStart = trailerCtrStart(trailer);
  const kidStart = trailer.length - 1 - KID_BYTES;
  const header = new Uint8Array(trailer.length - ctrStart);
  header[0] = trailer[trailer.length - 1] ?? 0;
  header.set(trailer.subarray(kidStart, kidStart + KID_BYTES), 1);
  header.set(trailer.subarray(ctrStart, kidStart), 1 + KID_BYTES);
  const control = ctrStart > tagLength ? trailer.subarray(tagLength, ctrStart) : undefined;
  return { header, tag: trailer.subarray(0, tagLength), control };
}
