/**
 * @module AV1 (AV1 bitstream spec §5.3, RTP payload format "AV1 RTP", Chromium's packetizer). A frame is a sequence of
 * OBUs; packetizers and SFUs read each OBU's header and size, and depacketizers rebuild OBUs (dropping temporal
 * delimiters and rewriting size fields, possibly in another LEB128 length). What stays clear: every OBU header (and
 * extension), and sequence header OBUs whole (they hold no picture content; depacketizers use them to spot keyframes).
 * Payloads of all other OBUs are encrypted in place.
 *
 * ```
 * sender:    | TD | hdr size | seq header | hdr size | frame payload .............. |
 * protected:      | hdr size | seq header | hdr size'| ciphertext ...| trailer      |   size' = size + trailer
 *                                                                   (control region included)
 * metadata = for each OBU but temporal delimiters: header (has_size_field bit cleared) || [extension]
 *            || leb128(clear length) || leb128(ciphertext length) || clear bytes
 * ```
 * The sender writes every OBU with a minimal size field and drops temporal delimiters, as the RTP path would.
 */
import { TAG_LENGTH, trailerLength, trailerSize, writeTrailer } from './format';
import { type Framing, genericVideo, type ReceivedLayout, type SenderLayout } from './framing';
import { leb128Length, pushLeb128, readLeb128, writeLeb128 } from './leb128';

const OBU_SEQUENCE_HEADER = 1;
const OBU_TEMPORAL_DELIMITER = 2;
const HAS_SIZE_FIELD = 0x02;
const HAS_EXTENSION = 0x04;
const FORBIDDEN_BIT = 0x80;

interface Obu {
  /** Header byte with has_size_field set (what we write). */
  header: number;
  /** Extension byte or -1. */
  extension: number;
  type: number;
  payloadStart: number;
  payloadEnd: number;
}

/**
 * Parses an OBU sequence (low-overhead bitstream format); undefined if any OBU is malformed. With `requireSizes`,
 * every OBU must carry a size field, as every protected frame and every depacketized frame does: that makes a frame
 * protected whole by the generic fallback (random bytes) almost never parse as OBUs.
 */
export function parseObus(frame: Uint8Array, requireSizes = false): Obu[] | undefined {
  const obus: Obu[] = [];
  let i = 0;
  while (i < frame.length) {
    const header = frame[i] ?? 0;
    if (header & FORBIDDEN_BIT) return undefined;
    const hasExtension = (header & HAS_EXTENSION) !== 0;
    let at = i + 1;
    let extension = -1;
    if (hasExtension) {
      if (at >= frame.length) return undefined;
      extension = frame[at++] ?? 0;
    }
    let payloadEnd = frame.length;
    if (requireSizes && !(header & HAS_SIZE_FIELD)) return undefined;
    if (header & HAS_SIZE_FIELD) {
      const size = readLeb128(frame, at, frame.length);
      if (size === undefined || size.next + size.value > frame.length) return undefined;
      at = size.next;
      payloadEnd = at + size.value;
    }
    obus.push({ header: header | HAS_SIZE_FIELD, extension, type: (header >> 3) & 0x0f, payloadStart: at, payloadEnd });
    i = payloadEnd;
  }
  return obus.length > 0 ? obus : undefined;
}

interface PlannedObu {
  obu: Obu;
  clear: number;
  encrypted: number;
}

function describe(frame: Uint8Array, plan: readonly PlannedObu[]): Uint8Array {
  const out: number[] = [];
  for (const { obu, clear, encrypted } of plan) {
    out.push(obu.header & ~HAS_SIZE_FIELD);
    if (obu.extension >= 0) out.push(obu.extension);
    pushLeb128(out, clear);
    pushLeb128(out, encrypted);
    for (let i = 0; i < clear; i++) out.push(frame[obu.payloadStart + i] ?? 0);
  }
  return Uint8Array.from(out);
}

function planObu(obu: Obu, payloadLength: number): PlannedObu {
  const clear = obu.type === OBU_SEQUENCE_HEADER ? payloadLength : 0;
  return { obu, clear, encrypted: payloadLength - clear };
}

/** Writes OBUs from the plan; `payloadOf(i)` supplies each OBU's payload, `extra` bytes go at the end of the last. */
function writeObus(
  plan: readonly PlannedObu[],
  payloadOf: (index: number) => Uint8Array[],
  extra: number,
): {
  out: Uint8Array;
  extraAt: number;
} {
  let length = 0;
  const sizes = plan.map(({ clear, encrypted }, index) => clear + encrypted + (index === plan.length - 1 ? extra : 0));
  plan.forEach(({ obu }, index) => {
    const size = sizes[index] ?? 0;
    length += 1 + (obu.extension >= 0 ? 1 : 0) + leb128Length(size) + size;
  });
  const out = new Uint8Array(length);
  let o = 0;
  plan.forEach(({ obu }, index) => {
    out[o++] = obu.header;
    if (obu.extension >= 0) out[o++] = obu.extension;
    o = writeLeb128(out, o, sizes[index] ?? 0);
    for (const part of payloadOf(index)) {
      out.set(part, o);
      o += part.length;
    }
  });
  return { out, extraAt: o };
}

function layout(frame: Uint8Array): SenderLayout {
  const obus = parseObus(frame)?.filter((obu) => obu.type !== OBU_TEMPORAL_DELIMITER);
  if (obus === undefined || obus.length === 0) return genericVideo.layout(frame);
  const plan = obus.map((obu) => planObu(obu, obu.payloadEnd - obu.payloadStart));
  let plainLength = 0;
  for (const p of plan) plainLength += p.encrypted;
  const plaintext = new Uint8Array(plainLength);
  let offset = 0;
  for (const { obu, clear, encrypted } of plan) {
    plaintext.set(frame.subarray(obu.payloadStart + clear, obu.payloadStart + clear + encrypted), offset);
    offset += encrypted;
  }
  return {
    codec: 'av1',
    metadata: describe(frame, plan),
    plaintext,
    write(ciphertext, header, tag, control) {
      const starts: number[] = [];
      let at = 0;
      for (const p of plan) {
        starts.push(at);
        at += p.encrypted;
      }
      const { out, extraAt } = writeObus(
        plan,
        (index) => {
          const p = plan[index] as PlannedObu;
          const ctStart = starts[index] ?? 0;
          return [
            frame.subarray(p.obu.payloadStart, p.obu.payloadStart + p.clear),
            ciphertext.subarray(ctStart, ctStart + p.encrypted),
          ];
        },
        trailerSize(header, tag, control),
      );
      writeTrailer(out, extraAt, header, tag, control);
      return out;
    },
  };
}

function parse(frame: Uint8Array): ReceivedLayout | undefined {
  const tagLength = TAG_LENGTH.video;
  const end = frame.length;
  const total = trailerLength((i) => frame[end - 1 - i], tagLength);
  if (total === undefined || end < total) return undefined;
  const obus = parseObus(frame, true)?.filter((obu) => obu.type !== OBU_TEMPORAL_DELIMITER);
  const last = obus?.[obus.length - 1];
  if (obus === undefined || last === undefined) return undefined;
  // The trailer sits at the end of the last OBU's payload.
  if (last.payloadEnd !== frame.length || last.payloadEnd - last.payloadStart < total) return undefined;
  const plan = obus.map((obu, index) =>
    planObu(obu, obu.payloadEnd - obu.payloadStart - (index === obus.length - 1 ? total : 0)),
  );
  const trailer = frame.subarray(frame.length - total);
  let ctLength = 0;
  for (const p of plan) ctLength += p.encrypted;
  const sealed = new Uint8Array(ctLength + tagLength);
  let at = 0;
  for (const { obu, clear, encrypted } of plan) {
    sealed.set(frame.subarray(obu.payloadStart + clear, obu.payloadStart + clear + encrypted), at);
    at += encrypted;
  }
  sealed.set(trailer.subarray(0, tagLength), at);
  return {
    codec: 'av1',
    metadata: describe(frame, plan),
    trailer,
    sealed,
    restore(plaintext) {
      let ptAt = 0;
      return writeObus(
        plan,
        (index) => {
          const p = plan[index] as PlannedObu;
          const pt = plaintext.subarray(ptAt, ptAt + p.encrypted);
          ptAt += p.encrypted;
          return [frame.subarray(p.obu.payloadStart, p.obu.payloadStart + p.clear), pt];
        },
        0,
      ).out;
    },
  };
}

export const av1: Framing = { name: 'av1', kind: 'video', layout, parse };
