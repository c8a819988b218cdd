/**
 * @module H.264 (ITU-T H.264, RFC 6184) and H.265 (ITU-T H.265, RFC 7798) in Annex B form, as WebRTC encoders emit.
 *
 * Per NAL unit, what stays clear:
 * - the start code and the NAL unit header (1 byte H.264, 2 bytes H.265): packetizers split and aggregate on them;
 * - parameter sets and delimiters whole (SPS/PPS/VPS, AUD, end of sequence/stream): depacketizers parse them and they
 *   carry no picture content;
 * - in slices, the slice header up to the PPS id (first_mb_in_slice, slice_type, pic_parameter_set_id for H.264;
 *   first_slice_segment_in_pic_flag, [no_output_of_prior_pics_flag], slice_pic_parameter_set_id for H.265): Chromium's
 *   depacketizer drops an IDR whose PPS id it cannot read;
 * - in every NAL unit but the last, its last byte: it is never 0x00 in a valid stream, so the escaped ciphertext before
 *   it can never end in a zero byte that a depacketizer would take for part of the next start code.
 * The rest is encrypted; ciphertext and trailer (with its control region, if any) are escaped (escape.ts) so no start
 * code can appear in them.
 *
 * A slice whose header does not parse (too short, or a ue(v) of more than 31 leading zeros) keeps only its NAL
 * header clear. The receiver must see that from the protected unit alone, where the sender's failing bits are
 * ciphertext (which would often parse), so the sender puts {@link OPAQUE_SLICE_MARKER} after the header: 40 zero bits
 * (escaped), on which the receiver's parse fails too whatever follows. A slice header that parses can never begin
 * with it, so the marker is unambiguous; it is authenticated (bit 0 of the unit's first metadata number) and removed
 * on decryption.
 *
 * ```
 * sender:    |00 00 00 01|hdr|slice hdr..pps_id| payload ........ |z|00 00 01|hdr| payload ............ |
 * protected: |00 00 00 01|hdr|slice hdr..pps_id| esc(ct1 || z)      |00 00 01|hdr| esc(ct2 || trailer)  |
 * unparsed:  |00 00 01|hdr|00 00 03 00 00 03 00| esc(ct || z)   (or esc(ct || trailer) in the last unit)
 * metadata = for each NAL unit: leb128(2 × clear length + marker) || leb128(ciphertext length) || clear bytes || [z]
 * ```
 * Start codes are not authenticated (depacketizers rewrite them, 3 or 4 bytes), nor are zero bytes between NAL units.
 */
import { concatBytes } from '../shared/bytes';
import { BitReader } from './bits';
import { escapeNal, isEscapeByte, trailingZeros, unescapeNal } from './escape';
import { TAG_LENGTH, trailerLength, trailerSize, writeTrailer } from './format';
import { type Framing, genericVideo, type ReceivedLayout, type SenderLayout } from './framing';
import { pushLeb128 } from './leb128';

/**
 * Follows the NAL header of a slice whose header does not parse: 00 00 00 00 00 with emulation prevention. 40 zero
 * bits make any slice header parse fail (H.264 first_mb_in_slice, H.265 after at most 2 flag bits
 * slice_pic_parameter_set_id: a ue(v) of 32 leading zeros), and an escaped NAL unit may hold it.
 */
export const OPAQUE_SLICE_MARKER: readonly number[] = [0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00];
/** Zero bytes that end the marker: the escaping state of the ciphertext after it. */
const MARKER_TRAILING_ZEROS = 1;
const MARKER_BYTES = Uint8Array.from(OPAQUE_SLICE_MARKER);

function hasMarker(bytes: Uint8Array, at: number, end: number): boolean {
  if (end - at < OPAQUE_SLICE_MARKER.length) return false;
  for (let i = 0; i < OPAQUE_SLICE_MARKER.length; i++) if (bytes[at + i] !== OPAQUE_SLICE_MARKER[i]) return false;
  return true;
}

interface NalUnit {
  /** Start of the start code. */
  codeStart: number;
  /** First byte of the NAL unit header. */
  start: number;
  /** Past the last byte, trailing zero bytes excluded. */
  end: number;
}

/** Finds NAL units in an Annex B byte stream; undefined unless the stream begins with a start code. */
export function findNalUnits(frame: Uint8Array): NalUnit[] | undefined {
  const units: NalUnit[] = [];
  const n = frame.length;
  let codeStart = -1;
  let start = -1;
  // Jump between zero bytes with the native indexOf: a start code 00 00 01 begins at one of them.
  let i = frame.indexOf(0);
  while (i >= 0 && i + 2 < n) {
    if (frame[i + 1] !== 0) {
      i = frame.indexOf(0, i + 2);
      continue;
    }
    if (frame[i + 2] !== 1) {
      i++;
      continue;
    }
    // 00 00 01 at i: extend back over zero bytes (a 4-byte start code, or trailing zeros of the previous unit).
    let zeroRun = i;
    while (zeroRun > Math.max(start, 0) && frame[zeroRun - 1] === 0) zeroRun--;
    if (start >= 0) units.push({ codeStart, start, end: zeroRun });
    else if (zeroRun !== 0) return undefined; // bytes before the first start code: not Annex B
    codeStart = zeroRun;
    start = i + 3;
    i = frame.indexOf(0, start);
  }
  if (start < 0) return undefined;
  let end = n;
  while (end > start && frame[end - 1] === 0) end--;
  units.push({ codeStart, start, end });
  return units;
}

interface H26xRules {
  readonly name: 'h264' | 'h265';
  readonly headerLength: number;
  /**
   * Clear bytes of the NAL unit at bytes[start, end): prefix-determined, `end - start` when all of it stays clear;
   * undefined for a slice whose header does not parse (then only the NAL header stays clear, see the module doc).
   */
  clearLength(bytes: Uint8Array, start: number, end: number): number | undefined;
}

function sliceClearLength(reader: BitReader, start: number, steps: (r: BitReader) => boolean): number | undefined {
  return steps(reader) ? reader.consumedEnd - start : undefined;
}

export const H264_RULES: H26xRules = {
  name: 'h264',
  headerLength: 1,
  clearLength(bytes, start, end) {
    const type = (bytes[start] ?? 0) & 0x1f;
    // 7 SPS, 8 PPS, 9 AUD, 10 end of sequence, 11 end of stream, 13 SPS extension, 14 prefix, 15 subset SPS.
    if (
      type === 7 ||
      type === 8 ||
      type === 9 ||
      type === 10 ||
      type === 11 ||
      type === 13 ||
      type === 14 ||
      type === 15
    ) {
      return end - start;
    }
    if (type === 1 || type === 5) {
      const r = new BitReader(bytes, start + 1, end, true);
      return sliceClearLength(r, start, (s) => s.ue() !== undefined && s.ue() !== undefined && s.ue() !== undefined);
    }
    return Math.min(1, end - start);
  },
};

export const H265_RULES: H26xRules = {
  name: 'h265',
  headerLength: 2,
  clearLength(bytes, start, end) {
    const type = ((bytes[start] ?? 0) >> 1) & 0x3f;
    // 32 VPS, 33 SPS, 34 PPS, 35 AUD, 36 end of sequence, 37 end of bitstream.
    if (type >= 32 && type <= 37) return end - start;
    // VCL NAL unit types 0-9 and 16-21 carry slice segments.
    if (type <= 9 || (type >= 16 && type <= 21)) {
      const r = new BitReader(bytes, start + 2, end, true);
      const irap = type >= 16 && type <= 23;
      return sliceClearLength(
        r,
        start,
        (s) => s.bits(1) !== undefined && (!irap || s.bits(1) !== undefined) && s.ue() !== undefined,
      );
    }
    return Math.min(2, end - start);
  },
};

interface PlannedNal {
  unit: NalUnit;
  clear: number;
  encrypted: number;
  /** The kept last byte (non-last units with ciphertext), or -1. */
  suffix: number;
  /** A slice whose header did not parse, with ciphertext: {@link OPAQUE_SLICE_MARKER} follows the clear bytes. */
  marker: boolean;
}

function describe(frame: Uint8Array, plan: readonly PlannedNal[]): Uint8Array {
  const out: number[] = [];
  for (const nal of plan) {
    pushLeb128(out, 2 * nal.clear + (nal.marker ? 1 : 0));
    pushLeb128(out, nal.encrypted);
    for (let i = 0; i < nal.clear; i++) out.push(frame[nal.unit.start + i] ?? 0);
    if (nal.suffix >= 0) out.push(nal.suffix);
  }
  return Uint8Array.from(out);
}

function layout(rules: H26xRules, frame: Uint8Array): SenderLayout {
  const units = findNalUnits(frame);
  if (units === undefined) return genericVideo.layout(frame);
  const plan: PlannedNal[] = units.map((unit, index) => {
    const length = unit.end - unit.start;
    const parsed = rules.clearLength(frame, unit.start, unit.end);
    let clear = Math.min(parsed ?? rules.headerLength, length);
    const last = index === units.length - 1;
    if (last)
      return { unit, clear, encrypted: length - clear, suffix: -1, marker: parsed === undefined && length > clear };
    if (clear >= length - 1) clear = length;
    const encrypted = Math.max(0, length - 1 - clear);
    return {
      unit,
      clear,
      encrypted,
      suffix: encrypted > 0 ? (frame[unit.end - 1] ?? 0) : -1,
      marker: parsed === undefined && encrypted > 0,
    };
  });
  let plainLength = 0;
  for (const nal of plan) plainLength += nal.encrypted;
  const plaintext = new Uint8Array(plainLength);
  let offset = 0;
  for (const nal of plan) {
    const from = nal.unit.start + nal.clear;
    plaintext.set(frame.subarray(from, from + nal.encrypted), offset);
    offset += nal.encrypted;
  }
  return {
    codec: rules.name,
    metadata: describe(frame, plan),
    plaintext,
    write(ciphertext, header, tag, control) {
      const parts: Uint8Array[] = [];
      let at = 0;
      plan.forEach((nal, index) => {
        const { unit } = nal;
        parts.push(frame.subarray(unit.codeStart, unit.start + nal.clear));
        if (nal.marker) parts.push(MARKER_BYTES);
        const ct = ciphertext.subarray(at, at + nal.encrypted);
        at += nal.encrypted;
        const zeros = nal.marker ? MARKER_TRAILING_ZEROS : trailingZeros(frame, unit.start, unit.start + nal.clear);
        if (index === plan.length - 1) {
          const tail = new Uint8Array(ct.length + trailerSize(header, tag, control));
          tail.set(ct, 0);
          writeTrailer(tail, ct.length, header, tag, control);
          parts.push(escapeNal(tail, zeros));
        } else if (nal.encrypted > 0) {
          const tail = new Uint8Array(ct.length + 1);
          tail.set(ct, 0);
          tail[ct.length] = nal.suffix;
          parts.push(escapeNal(tail, zeros));
        }
      });
      return concatBytes(...parts);
    },
  };
}

/**
 * Reads the escaped trailer backwards from the end of the last NAL unit, unescaping lazily: only as many bytes as
 * trailerLength (format.ts) asks for to measure it, then the rest of it. Returns it raw, and where its escaped form
 * starts (including an escape byte the sender had to put right before it).
 */
function readEscapedTrailer(
  frame: Uint8Array,
  unit: NalUnit,
  tagLength: number,
): { trailer: Uint8Array; escapedStart: number } | undefined {
  /** Unescaped bytes from the end: raw[0] is the last. */
  const raw: number[] = [];
  let j = unit.end - 1;
  const byteAt = (fromEnd: number): number | undefined => {
    while (raw.length <= fromEnd) {
      if (j < unit.start) return undefined;
      if (isEscapeByte(frame, unit.start, j)) {
        j--;
        continue;
      }
      raw.push(frame[j] ?? 0);
      j--;
    }
    return raw[fromEnd];
  };
  const total = trailerLength(byteAt, tagLength);
  // trailerLength reads only inside the trailer it measures, so now raw holds exactly `total` bytes.
  if (total === undefined || byteAt(total - 1) === undefined || raw.length !== total) return undefined;
  let escapedStart = j + 1;
  if (escapedStart - 1 >= unit.start && isEscapeByte(frame, unit.start, escapedStart - 1)) escapedStart--;
  return { trailer: Uint8Array.from(raw.reverse()), escapedStart };
}

function parse(rules: H26xRules, frame: Uint8Array): ReceivedLayout | undefined {
  const units = findNalUnits(frame);
  const lastUnit = units?.[units.length - 1];
  if (units === undefined || lastUnit === undefined) return undefined;
  const tagLength = TAG_LENGTH.video;
  const found = readEscapedTrailer(frame, lastUnit, tagLength);
  if (found === undefined) return undefined;
  const bodyUnits = units.map((unit, index) =>
    index === units.length - 1 ? { ...unit, end: found.escapedStart } : unit,
  );
  const plan: PlannedNal[] = [];
  const ciphertexts: Uint8Array[] = [];
  bodyUnits.forEach((unit, index) => {
    const length = unit.end - unit.start;
    const parsed = rules.clearLength(frame, unit.start, unit.end);
    let clear = Math.min(parsed ?? rules.headerLength, length);
    // Only a slice that does not parse here can carry the marker: one that parses began with a clear slice header.
    const marker = parsed === undefined && hasMarker(frame, unit.start + clear, unit.end);
    const last = index === bodyUnits.length - 1;
    if (!last && !marker && clear >= length - 1) clear = length;
    const from = unit.start + clear + (marker ? OPAQUE_SLICE_MARKER.length : 0);
    const zeros = marker ? MARKER_TRAILING_ZEROS : trailingZeros(frame, unit.start, unit.start + clear);
    const raw = from < unit.end ? unescapeNal(frame.subarray(from, unit.end), zeros) : new Uint8Array(0);
    if (last || raw.length === 0) {
      ciphertexts.push(raw);
      plan.push({ unit, clear, encrypted: raw.length, suffix: -1, marker });
    } else {
      ciphertexts.push(raw.subarray(0, raw.length - 1));
      plan.push({ unit, clear, encrypted: raw.length - 1, suffix: raw[raw.length - 1] ?? 0, marker });
    }
  });
  const { trailer } = found;
  let ctLength = 0;
  for (const ct of ciphertexts) ctLength += ct.length;
  const sealed = new Uint8Array(ctLength + tagLength);
  let at = 0;
  for (const ct of ciphertexts) {
    sealed.set(ct, at);
    at += ct.length;
  }
  sealed.set(trailer.subarray(0, tagLength), at);
  return {
    codec: rules.name,
    metadata: describe(frame, plan),
    trailer,
    sealed,
    restore(plaintext) {
      let length = 0;
      for (const nal of plan)
        length += nal.unit.start - nal.unit.codeStart + nal.clear + nal.encrypted + (nal.suffix >= 0 ? 1 : 0);
      const out = new Uint8Array(length);
      let o = 0;
      let p = 0;
      for (const nal of plan) {
        const { unit } = nal;
        out.set(frame.subarray(unit.codeStart, unit.start + nal.clear), o);
        o += unit.start + nal.clear - unit.codeStart;
        out.set(plaintext.subarray(p, p + nal.encrypted), o);
        o += nal.encrypted;
        p += nal.encrypted;
        if (nal.suffix >= 0) out[o++] = nal.suffix;
      }
      return out;
    },
  };
}

function h26xFraming(rules: H26xRules): Framing {
  return {
    name: rules.name,
    kind: 'video',
    layout: (frame) => layout(rules, frame),
    parse: (frame) => parse(rules, frame),
  };
}

export const h264 = h26xFraming(H264_RULES);
export const h265 = h26xFraming(H265_RULES);
