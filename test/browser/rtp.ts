/**
 * RTP on the Node side, for tests that look at what a media server forwards (Janus' `rtp_forward` copies each
 * publisher's RTP to local UDP ports): parse packets, collect them from UDP, and turn them back into encoded frames
 * that WebCodecs can decode (./rtp-decode). Pure Node: no browser.
 *
 * - {@link parseRtp} / {@link serializeRtp}: RFC 3550 fixed header, CSRCs, padding and the RFC 8285 one-byte and
 *   two-byte header extensions. RTCP (RFC 5761 §4: second byte 192-223) and malformed datagrams give `undefined`.
 * - {@link startRtpSink}: UDP sockets on 127.0.0.1 (ephemeral ports) that keep every RTP packet they receive.
 * - {@link depacketize}: VP8 (RFC 7741), VP9 (RFC 9628), H.264 (RFC 6184, packetization mode 1), AV1 (AV1 RTP
 *   payload format v1.0.0) and Opus (RFC 7587) back into frames, in sequence order (wrap-around and reordering
 *   tolerated, duplicates dropped), with frames that lost a packet dropped.
 * - {@link packetize}: the inverse, in the simplest valid way, for round-trip tests.
 *
 * Depacketized frames are what a decoder wants:
 * - VP8: the VP8 frame. VP9: the frame, or a superframe (with index) when a picture has several spatial layers.
 * - H.264: Annex B with 4-byte start codes. AV1: a temporal unit in the low-overhead bitstream format (every OBU with
 *   `obu_has_size_field` = 1 and a minimal size, starting with a temporal delimiter, as encoders emit it).
 * - Opus: the payload.
 */
import dgram from 'node:dgram';
import { concatBytes } from '../../src/shared/bytes';

export type RtpCodec = 'vp8' | 'vp9' | 'h264' | 'av1' | 'opus';
export type RtpVideoCodec = Exclude<RtpCodec, 'opus'>;
export type RtpMediaKind = 'audio' | 'video';

/** One RFC 8285 header extension element. */
export interface RtpHeaderExtension {
  id: number;
  data: Uint8Array;
}

export interface RtpPacket {
  payloadType: number;
  /** 16-bit sequence number. */
  sequence: number;
  /** 32-bit RTP timestamp (unsigned). */
  timestamp: number;
  /** 32-bit SSRC (unsigned). */
  ssrc: number;
  marker: boolean;
  /** The payload, without header, extension or padding. A view into the parsed buffer. */
  payload: Uint8Array;
  csrcs?: number[];
  /**
   * RFC 8285 elements, for profile 0xBEDE (one-byte) or 0x100X (two-byte). Empty for another profile: the extension
   * is skipped and its profile kept in {@link extensionProfile}.
   */
  extensions?: RtpHeaderExtension[];
  /** The header extension's 16-bit profile ("defined by profile"), when the X bit is set. */
  extensionProfile?: number;
  /** Padding bytes removed (P bit), including the count byte. */
  padding?: number;
}

/** One encoded frame (video: one picture / temporal unit; audio: one packet). */
export interface EncodedFrame {
  /** RTP timestamp shared by the frame's packets (90 kHz video, 48 kHz Opus). */
  timestamp: number;
  data: Uint8Array;
  keyframe: boolean;
  /** Every packet of the frame arrived and the payloads parsed (always true unless `keepIncomplete`). */
  complete: boolean;
}

const ONE_BYTE_PROFILE = 0xbede;
const TWO_BYTE_PROFILE_MASK = 0xfff0;
const TWO_BYTE_PROFILE = 0x1000;
const RTP_HEADER = 12;

/**
 * Parses one RTP packet (RFC 3550 §5.1). Returns undefined for RTCP (second byte 192-223, which covers SR, RR, SDES,
 * BYE, APP and the feedback/XR types: RFC 5761 §4), a version other than 2, or anything malformed (truncated header,
 * CSRC list or extension, bad padding count, extension elements running past the extension).
 */
export function parseRtp(buf: Uint8Array): RtpPacket | undefined {
  if (buf.length < RTP_HEADER) return undefined;
  const b0 = buf[0]!;
  const b1 = buf[1]!;
  if (b0 >> 6 !== 2) return undefined;
  if (b1 >= 192 && b1 <= 223) return undefined;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const cc = b0 & 0x0f;
  let offset = RTP_HEADER + 4 * cc;
  if (offset > buf.length) return undefined;
  let end = buf.length;
  let padding = 0;
  if (b0 & 0x20) {
    padding = buf[end - 1]!;
    if (padding === 0) return undefined;
    end -= padding;
  }
  if (end < offset) return undefined;
  const packet: RtpPacket = {
    payloadType: b1 & 0x7f,
    sequence: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    marker: (b1 & 0x80) !== 0,
    payload: buf.subarray(0, 0),
  };
  if (cc > 0) {
    packet.csrcs = [];
    for (let i = 0; i < cc; i++) packet.csrcs.push(view.getUint32(RTP_HEADER + 4 * i));
  }
  if (b0 & 0x10) {
    if (offset + 4 > end) return undefined;
    const profile = view.getUint16(offset);
    const extEnd = offset + 4 + 4 * view.getUint16(offset + 2);
    if (extEnd > end) return undefined;
    const elements = parseExtensionElements(buf, profile, offset + 4, extEnd);
    if (elements === undefined) return undefined;
    packet.extensionProfile = profile;
    packet.extensions = elements;
    offset = extEnd;
  }
  if (padding > 0) packet.padding = padding;
  packet.payload = buf.subarray(offset, end);
  return packet;
}

function parseExtensionElements(
  buf: Uint8Array,
  profile: number,
  start: number,
  end: number,
): RtpHeaderExtension[] | undefined {
  const elements: RtpHeaderExtension[] = [];
  if (profile === ONE_BYTE_PROFILE) {
    let i = start;
    while (i < end) {
      const b = buf[i]!;
      if (b === 0) {
        i++; // padding
        continue;
      }
      const id = b >> 4;
      if (id === 15) break; // reserved: stop parsing (RFC 8285 §4.2)
      const length = (b & 0x0f) + 1;
      if (i + 1 + length > end) return undefined;
      elements.push({ id, data: buf.subarray(i + 1, i + 1 + length) });
      i += 1 + length;
    }
  } else if ((profile & TWO_BYTE_PROFILE_MASK) === TWO_BYTE_PROFILE) {
    let i = start;
    while (i < end) {
      const id = buf[i]!;
      if (id === 0) {
        i++; // padding
        continue;
      }
      if (i + 2 > end) return undefined;
      const length = buf[i + 1]!;
      if (i + 2 + length > end) return undefined;
      elements.push({ id, data: buf.subarray(i + 2, i + 2 + length) });
      i += 2 + length;
    }
  }
  return elements;
}

/**
 * Writes `packet` as an RTP datagram: CSRCs, header extensions (one-byte form when every element fits it, else
 * two-byte; `extensionProfile` alone writes an empty extension of that profile) and `padding` bytes (≥ 1, the last
 * one the count).
 */
export function serializeRtp(packet: RtpPacket): Uint8Array {
  const csrcs = packet.csrcs ?? [];
  if (csrcs.length > 15) throw new RangeError('at most 15 CSRCs');
  const extensions = packet.extensions ?? [];
  let extBody: Uint8Array | undefined;
  let profile = packet.extensionProfile ?? ONE_BYTE_PROFILE;
  if (extensions.length > 0) {
    const oneByte = extensions.every((e) => e.id >= 1 && e.id <= 14 && e.data.length >= 1 && e.data.length <= 16);
    const bytes: number[] = [];
    for (const e of extensions) {
      if (oneByte) bytes.push((e.id << 4) | (e.data.length - 1));
      else {
        if (e.id < 1 || e.id > 255 || e.data.length > 255) throw new RangeError(`extension ${e.id} cannot be written`);
        bytes.push(e.id, e.data.length);
      }
      bytes.push(...e.data);
    }
    while (bytes.length % 4 !== 0) bytes.push(0);
    extBody = Uint8Array.from(bytes);
    profile = oneByte ? ONE_BYTE_PROFILE : TWO_BYTE_PROFILE;
  } else if (packet.extensionProfile !== undefined) {
    extBody = new Uint8Array(0);
  }
  const padding = packet.padding ?? 0;
  if (padding < 0 || padding > 255) throw new RangeError('padding must be 0-255');
  const length = RTP_HEADER + 4 * csrcs.length + (extBody ? 4 + extBody.length : 0) + packet.payload.length + padding;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out[0] = 0x80 | (padding > 0 ? 0x20 : 0) | (extBody ? 0x10 : 0) | csrcs.length;
  out[1] = (packet.marker ? 0x80 : 0) | (packet.payloadType & 0x7f);
  view.setUint16(2, packet.sequence & 0xffff);
  view.setUint32(4, packet.timestamp >>> 0);
  view.setUint32(8, packet.ssrc >>> 0);
  let offset = RTP_HEADER;
  for (const csrc of csrcs) {
    view.setUint32(offset, csrc >>> 0);
    offset += 4;
  }
  if (extBody) {
    view.setUint16(offset, profile);
    view.setUint16(offset + 2, extBody.length / 4);
    out.set(extBody, offset + 4);
    offset += 4 + extBody.length;
  }
  out.set(packet.payload, offset);
  if (padding > 0) out[length - 1] = padding;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// UDP sink

export interface RtpSinkOptions {
  /** Address to bind, default 127.0.0.1. */
  host?: string;
  /** Video sockets (simulcast substreams: Janus' `video_port`, `video_port_2`, `video_port_3`), 1-3, default 1. */
  videoStreams?: number;
}

export interface RtpSink {
  host: string;
  audioPort: number;
  /** Same as `videoPorts[0]`. */
  videoPort: number;
  videoPorts: number[];
  /** RTP packets received so far, in arrival order (a copy). `stream` picks a simulcast socket, default 0. */
  packets(kind: RtpMediaKind, stream?: number): RtpPacket[];
  /** Datagrams that were not RTP (RTCP or malformed). */
  rejected(kind: RtpMediaKind, stream?: number): number;
  /** Resolves with {@link packets} once at least `count` have arrived; rejects after `timeoutMs` (default 10 s). */
  waitForPackets(kind: RtpMediaKind, count: number, timeoutMs?: number, stream?: number): Promise<RtpPacket[]>;
  /** Forgets everything received so far (e.g. between an unprotected and a protected phase). */
  clear(): void;
  close(): Promise<void>;
}

interface SinkSocket {
  socket: dgram.Socket;
  port: number;
  packets: RtpPacket[];
  rejected: number;
}

async function bindSocket(host: string): Promise<SinkSocket> {
  const socket = dgram.createSocket('udp4');
  const sink: SinkSocket = { socket, port: 0, packets: [], rejected: 0 };
  socket.on('message', (message: Buffer) => {
    // Copy: the packet keeps views into this buffer.
    const packet = parseRtp(new Uint8Array(message));
    if (packet) sink.packets.push(packet);
    else sink.rejected++;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', (error) => console.warn(`RTP sink ${host}:${sink.port}: ${error.message}`));
  sink.port = socket.address().port;
  return sink;
}

/** Binds one audio and 1-3 video UDP sockets on ephemeral ports and keeps every RTP packet they receive. */
export async function startRtpSink(options: RtpSinkOptions = {}): Promise<RtpSink> {
  const host = options.host ?? '127.0.0.1';
  const videoStreams = options.videoStreams ?? 1;
  if (!Number.isInteger(videoStreams) || videoStreams < 1 || videoStreams > 3) {
    throw new RangeError(`videoStreams must be 1-3, got ${videoStreams}`);
  }
  const sockets: SinkSocket[] = [];
  try {
    for (let i = 0; i < 1 + videoStreams; i++) sockets.push(await bindSocket(host));
  } catch (error) {
    for (const s of sockets) s.socket.close();
    throw error;
  }
  const [audio, ...video] = sockets as [SinkSocket, ...SinkSocket[]];
  const pick = (kind: RtpMediaKind, stream = 0): SinkSocket => {
    const s = kind === 'audio' ? (stream === 0 ? audio : undefined) : video[stream];
    if (s === undefined) throw new RangeError(`no ${kind} stream ${stream}`);
    return s;
  };
  let closed = false;
  return {
    host,
    audioPort: audio.port,
    videoPort: video[0]!.port,
    videoPorts: video.map((s) => s.port),
    packets: (kind, stream) => pick(kind, stream).packets.slice(),
    rejected: (kind, stream) => pick(kind, stream).rejected,
    async waitForPackets(kind, count, timeoutMs = 10_000, stream = 0) {
      const s = pick(kind, stream);
      const deadline = Date.now() + timeoutMs;
      while (s.packets.length < count) {
        if (Date.now() > deadline) {
          throw new Error(`RTP sink: ${s.packets.length} of ${count} ${kind} packets after ${timeoutMs} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return s.packets.slice();
    },
    clear() {
      for (const s of sockets) {
        s.packets.length = 0;
        s.rejected = 0;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.socket.close(() => resolve()))));
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Ordering

interface Ordered {
  packet: RtpPacket;
  /** Sequence number unwrapped to a 32-bit-safe running count. */
  ext: number;
}

/** Packets in sequence order, unwrapping 16-bit wrap-around relative to the highest seen; duplicates dropped. */
export function sortBySequence(packets: readonly RtpPacket[]): RtpPacket[] {
  return order(packets).map((o) => o.packet);
}

function order(packets: readonly RtpPacket[]): Ordered[] {
  const out: Ordered[] = [];
  let highest: number | undefined;
  for (const packet of packets) {
    let ext: number;
    if (highest === undefined) ext = packet.sequence;
    else {
      const delta = ((packet.sequence - (highest & 0xffff) + 0x18000) & 0xffff) - 0x8000;
      ext = highest + delta;
    }
    if (highest === undefined || ext > highest) highest = ext;
    out.push({ packet, ext });
  }
  out.sort((a, b) => a.ext - b.ext);
  return out.filter((o, i) => i === 0 || o.ext !== out[i - 1]!.ext);
}

// ---------------------------------------------------------------------------------------------------------------
// Small byte helpers

function leb128(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    out.push(byte);
  } while (v > 0);
  return out;
}

/** Reads an unsigned LEB128 (at most 8 bytes, AV1 §4.10.5); undefined if truncated. */
function readLeb128(buf: Uint8Array, start: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const byte = buf[start + i];
    if (byte === undefined) return undefined;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return { value, next: start + i + 1 };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Codec helpers shared by packetizers, depacketizers and tests

/**
 * NAL units of an Annex B byte stream, without start codes (zero bytes before a start code belong to it).
 */
export function splitAnnexB(data: Uint8Array): Uint8Array[] {
  const starts: { codeStart: number; nalStart: number }[] = [];
  for (let i = 0; i + 2 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      let codeStart = i;
      while (codeStart > 0 && data[codeStart - 1] === 0) codeStart--;
      starts.push({ codeStart, nalStart: i + 3 });
      i += 2;
    }
  }
  const nals: Uint8Array[] = [];
  starts.forEach((s, k) => {
    const end = starts[k + 1]?.codeStart ?? data.length;
    if (end > s.nalStart) nals.push(data.subarray(s.nalStart, end));
  });
  return nals;
}

const START_CODE = Uint8Array.of(0, 0, 0, 1);

/** Annex B with 4-byte start codes. */
export function joinAnnexB(nals: readonly Uint8Array[]): Uint8Array {
  return concatBytes(...nals.flatMap((n) => [START_CODE, n]));
}

/** One AV1 OBU of a low-overhead bitstream. */
export interface Av1Obu {
  type: number;
  /** The header byte as found (`obu_has_size_field` may be either). */
  header: number;
  /** The extension byte, if `obu_extension_flag`. */
  extension?: number;
  payload: Uint8Array;
}

/**
 * Parses a sequence of OBUs. An OBU without `obu_has_size_field` takes the rest of the data (only valid last).
 * Undefined if truncated or the forbidden bit is set.
 */
export function parseAv1Obus(data: Uint8Array): Av1Obu[] | undefined {
  const obus: Av1Obu[] = [];
  let i = 0;
  while (i < data.length) {
    const header = data[i]!;
    if (header & 0x80) return undefined;
    let next = i + 1;
    let extension: number | undefined;
    if (header & 0x04) {
      extension = data[next];
      if (extension === undefined) return undefined;
      next++;
    }
    let end = data.length;
    if (header & 0x02) {
      const size = readLeb128(data, next);
      if (size === undefined || size.next + size.value > data.length) return undefined;
      next = size.next;
      end = next + size.value;
    }
    obus.push({
      type: (header >> 3) & 0x0f,
      header,
      ...(extension !== undefined ? { extension } : {}),
      payload: data.subarray(next, end),
    });
    i = end;
  }
  return obus;
}

/** Writes OBUs in the low-overhead format: `obu_has_size_field` = 1 and a minimal LEB128 size. */
export function writeAv1Obus(obus: readonly Av1Obu[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const obu of obus) {
    const head = [obu.header | 0x02];
    if (obu.extension !== undefined) head.push(obu.extension);
    head.push(...leb128(obu.payload.length));
    parts.push(Uint8Array.from(head), obu.payload);
  }
  return concatBytes(...parts);
}

const AV1_OBU_SEQUENCE_HEADER = 1;
const AV1_OBU_TEMPORAL_DELIMITER = 2;
const AV1_OBU_TILE_LIST = 8;
const AV1_TEMPORAL_DELIMITER = Uint8Array.of(0x12, 0x00);

/** Whether an encoded frame is a keyframe, from its own bytes (undefined when it cannot tell). */
export function isKeyframe(codec: RtpCodec, data: Uint8Array): boolean | undefined {
  switch (codec) {
    case 'vp8':
      return data.length === 0 ? undefined : (data[0]! & 0x01) === 0;
    case 'vp9': {
      const header = vp9Header(data);
      return header?.keyframe;
    }
    case 'h264':
      return splitAnnexB(data).some((n) => (n[0]! & 0x1f) === 5);
    case 'av1':
      return parseAv1Obus(data)?.some((o) => o.type === AV1_OBU_SEQUENCE_HEADER);
    case 'opus':
      return true;
  }
}

/** What the VP9 uncompressed header says (frame size only for keyframes). */
export function vp9Header(
  data: Uint8Array,
): { profile: number; keyframe: boolean; showExisting: boolean; width?: number; height?: number } | undefined {
  let bit = 0;
  const read = (n: number): number | undefined => {
    let v = 0;
    for (let k = 0; k < n; k++, bit++) {
      const byte = data[bit >> 3];
      if (byte === undefined) return undefined;
      v = v * 2 + ((byte >> (7 - (bit & 7))) & 1);
    }
    return v;
  };
  if (read(2) !== 2) return undefined;
  const low = read(1) ?? 0;
  const high = read(1) ?? 0;
  const profile = (high << 1) | low;
  if (profile === 3) read(1);
  const showExisting = read(1);
  if (showExisting === undefined) return undefined;
  if (showExisting === 1) return { profile, keyframe: false, showExisting: true };
  const frameType = read(1);
  if (frameType === undefined) return undefined;
  if (frameType !== 0) return { profile, keyframe: false, showExisting: false };
  read(2); // show_frame, error_resilient_mode
  if (read(24) !== 0x498342) return undefined;
  if (profile >= 2) read(1);
  const colourSpace = read(3);
  if (colourSpace !== 7) {
    read(1);
    if (profile === 1 || profile === 3) read(3);
  } else if (profile === 1 || profile === 3) read(1);
  const w = read(16);
  const h = read(16);
  if (w === undefined || h === undefined) return { profile, keyframe: true, showExisting: false };
  return { profile, keyframe: true, showExisting: false, width: w + 1, height: h + 1 };
}

/** Builds a VP9 superframe (frames + superframe index, VP9 bitstream spec Annex B). One frame is returned as is. */
export function vp9Superframe(frames: readonly Uint8Array[]): Uint8Array {
  if (frames.length === 1) return frames[0]!;
  if (frames.length < 1 || frames.length > 8) throw new RangeError('a superframe holds 1-8 frames');
  const largest = Math.max(...frames.map((f) => f.length));
  const mag = largest < 1 << 8 ? 1 : largest < 1 << 16 ? 2 : largest < 1 << 24 ? 3 : 4;
  const marker = 0xc0 | ((mag - 1) << 3) | (frames.length - 1);
  const index: number[] = [marker];
  for (const f of frames) for (let b = 0; b < mag; b++) index.push((f.length >>> (8 * b)) & 0xff);
  index.push(marker);
  return concatBytes(...frames, Uint8Array.from(index));
}

// ---------------------------------------------------------------------------------------------------------------
// Depacketizers

/** What a codec's assembler makes of one frame's packets (in order, all present). */
interface Assembled {
  data: Uint8Array;
  keyframe: boolean;
  /** False if a payload did not parse or the frame's own structure shows a missing piece. */
  ok: boolean;
}

interface CodecRtp {
  /** Whether the packet can be the first of a frame (undefined when the payload does not parse). */
  startsFrame(payload: Uint8Array): boolean | undefined;
  /** Whether the start flag is explicit (VP8, VP9): if not, a frame after a gap is assumed to have lost its start. */
  explicitStart: boolean;
  assemble(payloads: readonly Uint8Array[]): Assembled;
}

interface Vp8Descriptor {
  start: boolean;
  partition: number;
  headerLength: number;
}

function vp8Descriptor(p: Uint8Array): Vp8Descriptor | undefined {
  const b0 = p[0];
  if (b0 === undefined) return undefined;
  let i = 1;
  if (b0 & 0x80) {
    const x = p[i++];
    if (x === undefined) return undefined;
    if (x & 0x80) {
      const pid = p[i];
      if (pid === undefined) return undefined;
      i += pid & 0x80 ? 2 : 1;
    }
    if (x & 0x40) i++; // TL0PICIDX
    if (x & 0x30) i++; // TID|Y|KEYIDX
  }
  if (i >= p.length) return undefined; // no VP8 payload
  return { start: (b0 & 0x10) !== 0, partition: b0 & 0x07, headerLength: i };
}

const VP8: CodecRtp = {
  explicitStart: true,
  startsFrame(payload) {
    const d = vp8Descriptor(payload);
    return d === undefined ? undefined : d.start && d.partition === 0;
  },
  assemble(payloads) {
    const parts: Uint8Array[] = [];
    let ok = true;
    for (const p of payloads) {
      const d = vp8Descriptor(p);
      if (d === undefined) {
        ok = false;
        continue;
      }
      parts.push(p.subarray(d.headerLength));
    }
    const data = concatBytes(...parts);
    return { data, keyframe: data.length > 0 && (data[0]! & 0x01) === 0, ok };
  },
};

interface Vp9Descriptor {
  predicted: boolean;
  begin: boolean;
  end: boolean;
  spatialId: number;
  headerLength: number;
}

function vp9Descriptor(p: Uint8Array): Vp9Descriptor | undefined {
  const b0 = p[0];
  if (b0 === undefined) return undefined;
  const [I, P, L, F, B, E, V] = [0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02].map((m) => (b0 & m) !== 0) as boolean[];
  let i = 1;
  const next = (): number => {
    const v = p[i++];
    if (v === undefined) throw new RangeError('truncated');
    return v;
  };
  let spatialId = 0;
  try {
    if (I) {
      if (next() & 0x80) next(); // 15-bit picture id
    }
    if (L) {
      spatialId = (next() >> 1) & 0x07; // TID(3) U SID(3) D
      if (!F) next(); // TL0PICIDX (non-flexible mode)
    }
    if (F && P) {
      for (let k = 0; k < 3; k++) if ((next() & 0x01) === 0) break; // P_DIFF(7) N
    }
    if (V) {
      const ss = next(); // N_S(3) Y G RES(3)
      const layers = (ss >> 5) + 1;
      if (ss & 0x10) for (let k = 0; k < 4 * layers; k++) next(); // WIDTH, HEIGHT per layer
      if (ss & 0x08) {
        const groups = next();
        for (let g = 0; g < groups; g++) {
          const refs = (next() >> 2) & 0x03; // TID(3) U R(2) RES(2)
          for (let r = 0; r < refs; r++) next();
        }
      }
    }
  } catch {
    return undefined;
  }
  if (i > p.length) return undefined;
  return { predicted: !!P, begin: !!B, end: !!E, spatialId, headerLength: i };
}

const VP9: CodecRtp = {
  explicitStart: true,
  startsFrame(payload) {
    return vp9Descriptor(payload)?.begin;
  },
  assemble(payloads) {
    // A picture is one layer frame per spatial layer, each from a packet with B to one with E.
    const layerFrames: Uint8Array[][] = [];
    let ok = true;
    let open = false;
    let keyframe = false;
    payloads.forEach((p, k) => {
      const d = vp9Descriptor(p);
      if (d === undefined) {
        ok = false;
        return;
      }
      if (k === 0) keyframe = d.begin && !d.predicted;
      if (d.begin) {
        if (open) ok = false; // previous layer frame never ended
        layerFrames.push([]);
        open = true;
      } else if (!open) ok = false;
      layerFrames.at(-1)?.push(p.subarray(d.headerLength));
      if (d.end) open = false;
    });
    if (open || layerFrames.length === 0 || layerFrames.length > 8) ok = false;
    const frames = layerFrames.map((parts) => concatBytes(...parts)).filter((f) => f.length > 0);
    return { data: frames.length === 0 ? new Uint8Array(0) : vp9Superframe(frames.slice(0, 8)), keyframe, ok };
  },
};

const H264_STAP_A = 24;
const H264_FU_A = 28;

const H264: CodecRtp = {
  explicitStart: false,
  startsFrame(payload) {
    const t = (payload[0] ?? 0) & 0x1f;
    if (payload.length === 0) return undefined;
    if (t === H264_FU_A) return payload.length >= 2 && (payload[1]! & 0x80) !== 0;
    return true;
  },
  assemble(payloads) {
    const nals: Uint8Array[] = [];
    let fu: Uint8Array[] | undefined;
    let ok = true;
    for (const p of payloads) {
      const type = (p[0] ?? 0) & 0x1f;
      if (p.length === 0) ok = false;
      else if (type >= 1 && type <= 23) {
        if (fu) ok = false;
        fu = undefined;
        nals.push(p);
      } else if (type === H264_STAP_A) {
        if (fu) ok = false;
        fu = undefined;
        let i = 1;
        while (i + 2 <= p.length) {
          const size = (p[i]! << 8) | p[i + 1]!;
          i += 2;
          if (size === 0 || i + size > p.length) break;
          nals.push(p.subarray(i, i + size));
          i += size;
        }
        if (i !== p.length) ok = false;
      } else if (type === H264_FU_A && p.length >= 3) {
        const fuHeader = p[1]!;
        if (fuHeader & 0x80) {
          if (fu) ok = false;
          fu = [Uint8Array.of((p[0]! & 0xe0) | (fuHeader & 0x1f))];
        } else if (!fu) {
          ok = false;
          continue;
        }
        fu.push(p.subarray(2));
        if (fuHeader & 0x40) {
          nals.push(concatBytes(...fu));
          fu = undefined;
        }
      } else ok = false; // STAP-B, MTAP, FU-B (not in packetization mode 1), reserved, or a truncated FU-A
    }
    if (fu) ok = false;
    return { data: joinAnnexB(nals), keyframe: nals.some((n) => (n[0]! & 0x1f) === 5), ok };
  },
};

const AV1: CodecRtp = {
  explicitStart: false,
  startsFrame(payload) {
    return payload.length === 0 ? undefined : (payload[0]! & 0x80) === 0;
  },
  assemble(payloads) {
    const obus: Av1Obu[] = [];
    let ok = true;
    let keyframe = false;
    let fragment: Uint8Array[] | undefined;
    const finish = (element: Uint8Array): void => {
      if (element.length === 0) return;
      const parsed = parseAv1Obus(element);
      // An element is one OBU; with obu_has_size_field its size must match.
      if (parsed === undefined || parsed.length !== 1) {
        ok = false;
        return;
      }
      const obu = parsed[0]!;
      if (obu.type === AV1_OBU_TEMPORAL_DELIMITER || obu.type === AV1_OBU_TILE_LIST) return;
      if (obu.type === AV1_OBU_SEQUENCE_HEADER) keyframe = true;
      obus.push(obu);
    };
    payloads.forEach((p, k) => {
      const aggregation = p[0];
      if (aggregation === undefined) {
        ok = false;
        return;
      }
      const Z = (aggregation & 0x80) !== 0;
      const Y = (aggregation & 0x40) !== 0;
      const W = (aggregation >> 4) & 0x03;
      if (k === 0 && aggregation & 0x08) keyframe = true; // N: first packet of a coded video sequence
      const elements: Uint8Array[] = [];
      let i = 1;
      while (i < p.length) {
        const last = W !== 0 && elements.length === W - 1;
        if (last) {
          elements.push(p.subarray(i));
          i = p.length;
          break;
        }
        const size = readLeb128(p, i);
        if (size === undefined || size.next + size.value > p.length) {
          ok = false;
          return;
        }
        elements.push(p.subarray(size.next, size.next + size.value));
        i = size.next + size.value;
      }
      if (W !== 0 && elements.length !== W) ok = false;
      elements.forEach((element, e) => {
        const continues = e === 0 && Z;
        const continued = e === elements.length - 1 && Y;
        if (continues) {
          if (!fragment) ok = false;
          else fragment.push(element);
        } else if (fragment) {
          ok = false; // a fragment was never finished
          fragment = undefined;
        }
        if (!continues && !continued) finish(element);
        else if (!continues && continued) fragment = [element];
        else if (continues && !continued && fragment) {
          finish(concatBytes(...fragment));
          fragment = undefined;
        }
      });
      if (elements.length === 0 && (Z || Y)) ok = false;
    });
    if (fragment) ok = false;
    return { data: concatBytes(AV1_TEMPORAL_DELIMITER, writeAv1Obus(obus)), keyframe, ok };
  },
};

const VIDEO_RTP: Readonly<Record<RtpVideoCodec, CodecRtp>> = { vp8: VP8, vp9: VP9, h264: H264, av1: AV1 };

export interface DepacketizeOptions {
  /** Only packets of this SSRC (default: the SSRC with the most packets, so stray streams are ignored). */
  ssrc?: number;
  /** Only packets of this payload type (default: all). */
  payloadType?: number;
  /** Keep frames that lost packets, with `complete: false` and whatever could be assembled (default false). */
  keepIncomplete?: boolean;
  /**
   * After a dropped frame or any gap in sequence numbers (a whole frame may be gone), also drop frames until the next
   * complete keyframe: what a decoder can use. Default false.
   */
  skipToKeyframeAfterLoss?: boolean;
}

function selectStream(packets: readonly RtpPacket[], options: DepacketizeOptions): RtpPacket[] {
  let selected = packets.filter((p) => options.payloadType === undefined || p.payloadType === options.payloadType);
  let ssrc = options.ssrc;
  if (ssrc === undefined) {
    const counts = new Map<number, number>();
    for (const p of selected) counts.set(p.ssrc, (counts.get(p.ssrc) ?? 0) + 1);
    let best = -1;
    for (const [s, n] of counts) {
      if (n > best) {
        best = n;
        ssrc = s;
      }
    }
  }
  selected = selected.filter((p) => p.ssrc === ssrc);
  return selected;
}

/**
 * Encoded frames from RTP packets of one stream, in sequence order. Packets are sorted (16-bit wrap-around
 * unwrapped), duplicates dropped, and grouped by RTP timestamp. A video frame is complete when its sequence numbers
 * are contiguous, its last packet has the marker bit, its first packet can start a frame (VP8 S=1 and PID=0, VP9 B,
 * H.264 not an FU-A continuation, AV1 Z=0; for H.264 and AV1, which have no explicit start flag, also: no packet
 * is missing just before it, unless it is the single lost end of a frame without marker), and every payload parses. Incomplete frames are dropped unless `keepIncomplete`. Empty
 * payloads (padding-only probes) are ignored for video. Opus: one frame per packet.
 */
export function depacketize(
  codec: RtpCodec,
  packets: readonly RtpPacket[],
  options: DepacketizeOptions = {},
): EncodedFrame[] {
  const ordered = order(selectStream(packets, options));
  if (codec === 'opus') {
    return ordered.map(({ packet }) => ({
      timestamp: packet.timestamp,
      data: packet.payload,
      keyframe: true,
      complete: true,
    }));
  }
  const rtp = VIDEO_RTP[codec];
  const media = ordered.filter((o) => o.packet.payload.length > 0);
  const groups: Ordered[][] = [];
  for (const o of media) {
    const current = groups.at(-1);
    if (current && current[0]!.packet.timestamp === o.packet.timestamp) current.push(o);
    else groups.push([o]);
  }
  const frames: EncodedFrame[] = [];
  let previousLast: Ordered | undefined;
  let waitingForKey = false;
  for (const group of groups) {
    const first = group[0]!;
    const last = group.at(-1)!;
    const contiguous = last.ext - first.ext === group.length - 1;
    const starts = rtp.startsFrame(first.packet.payload) === true;
    // Without an explicit start flag, a gap before the frame may have taken its start. One missing packet after a
    // frame that did not end (no marker) was that frame's end; a longer gap is ambiguous.
    const gap = previousLast === undefined ? 0 : first.ext - previousLast.ext - 1;
    const predecessorOk = rtp.explicitStart || gap === 0 || (gap === 1 && !previousLast?.packet.marker);
    previousLast = last;
    const assembled = rtp.assemble(group.map((o) => o.packet.payload));
    const complete = contiguous && last.packet.marker && starts && predecessorOk && assembled.ok;
    // A gap before this frame may have been whole frames: a decoder needs a keyframe after it too.
    if (options.skipToKeyframeAfterLoss && (gap > 0 || !complete)) waitingForKey = true;
    if (!complete) {
      if (!options.keepIncomplete) continue;
    } else if (waitingForKey) {
      if (!assembled.keyframe) continue;
      waitingForKey = false;
    }
    frames.push({ timestamp: first.packet.timestamp, data: assembled.data, keyframe: assembled.keyframe, complete });
  }
  return frames;
}

// ---------------------------------------------------------------------------------------------------------------
// Packetizers

export interface PacketizeOptions {
  /** Largest RTP packet (12-byte header + payload), default 1200. */
  mtu?: number;
  /** Default: vp8 96, vp9 98, h264 102, av1 45, opus 111. */
  payloadType?: number;
  ssrc?: number;
  /** First sequence number, default 1000 (wraps at 65536). */
  sequenceStart?: number;
  /** RTP timestamp of the first frame without its own `timestamp`, default 0. */
  timestampStart?: number;
  /** RTP timestamp step between frames without their own `timestamp`: default 3000 (video, 30 fps), 960 (Opus). */
  timestampStep?: number;
}

/** A frame to packetize: `keyframe` defaults to what the bytes say; `timestamp` to start + index × step. */
export interface FrameToPacketize {
  data: Uint8Array;
  keyframe?: boolean;
  timestamp?: number;
}

const DEFAULT_PAYLOAD_TYPES: Readonly<Record<RtpCodec, number>> = { vp8: 96, vp9: 98, h264: 102, av1: 45, opus: 111 };

/**
 * RTP packets for `frames`, in the simplest valid way for each payload format:
 * - VP8: X=1, I=1 with a 15-bit picture ID, S=1 on the first packet, PID 0.
 * - VP9: flexible mode (F=1) with a 15-bit picture ID, layer indices (all zero), one reference index (P_DIFF 1) on
 *   inter frames, and a scalability structure (one layer, its size when the keyframe header gives it) on keyframes.
 * - H.264: single NAL unit packets, STAP-A for NAL units that fit together (SPS + PPS), FU-A for large ones.
 * - AV1: temporal delimiters dropped, `obu_has_size_field` cleared, OBUs aggregated with LEB128 element sizes and
 *   fragmented across packets (Z/Y); W = the element count when it is at most 3 (last element without size), else 0;
 *   N on the first packet of a keyframe.
 * - Opus: one packet per frame, marker on the first.
 * The marker bit is set on the last packet of each video frame.
 * @throws RangeError if the MTU leaves no room for payload, or an AV1 frame does not parse.
 */
export function packetize(
  codec: RtpCodec,
  frames: readonly FrameToPacketize[],
  options: PacketizeOptions = {},
): RtpPacket[] {
  const mtu = options.mtu ?? 1200;
  const maxPayload = mtu - RTP_HEADER;
  if (maxPayload < 8) throw new RangeError(`mtu ${mtu} is too small`);
  const payloadType = options.payloadType ?? DEFAULT_PAYLOAD_TYPES[codec];
  const ssrc = options.ssrc ?? 0x1234_5678;
  const step = options.timestampStep ?? (codec === 'opus' ? 960 : 3000);
  let sequence = options.sequenceStart ?? 1000;
  const packets: RtpPacket[] = [];
  frames.forEach((frame, index) => {
    const timestamp = (frame.timestamp ?? (options.timestampStart ?? 0) + index * step) >>> 0;
    const keyframe = frame.keyframe ?? isKeyframe(codec, frame.data) ?? false;
    const payloads = payloadsFor(codec, frame.data, keyframe, index, maxPayload);
    payloads.forEach((payload, k) => {
      packets.push({
        payloadType,
        sequence: sequence & 0xffff,
        timestamp,
        ssrc,
        marker: codec === 'opus' ? index === 0 : k === payloads.length - 1,
        payload,
      });
      sequence++;
    });
  });
  return packets;
}

function chunks(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  if (out.length === 0) out.push(data.subarray(0, 0));
  return out;
}

function payloadsFor(
  codec: RtpCodec,
  data: Uint8Array,
  keyframe: boolean,
  index: number,
  maxPayload: number,
): Uint8Array[] {
  const pictureId = (0x1234 + index) & 0x7fff;
  switch (codec) {
    case 'opus':
      return [data];
    case 'vp8':
      return chunks(data, maxPayload - 4).map((chunk, k) =>
        concatBytes(Uint8Array.of(k === 0 ? 0x90 : 0x80, 0x80, 0x80 | (pictureId >> 8), pictureId & 0xff), chunk),
      );
    case 'vp9': {
      const header = vp9Header(data);
      const ss: number[] = [];
      if (keyframe) {
        if (header?.width !== undefined && header.height !== undefined) {
          ss.push(0x10, header.width >> 8, header.width & 0xff, header.height >> 8, header.height & 0xff);
        } else ss.push(0x00);
      }
      const parts = chunks(data, maxPayload - 5 - ss.length);
      return parts.map((chunk, k) => {
        const first = k === 0;
        const b0 =
          0x80 | // I
          (keyframe ? 0 : 0x40) | // P
          0x20 | // L
          0x10 | // F
          (first ? 0x08 : 0) | // B
          (k === parts.length - 1 ? 0x04 : 0) | // E
          (first && keyframe ? 0x02 : 0); // V
        const head = [b0, 0x80 | (pictureId >> 8), pictureId & 0xff, 0x00];
        if (!keyframe) head.push(0x01 << 1); // P_DIFF 1, N 0
        if (first && keyframe) head.push(...ss);
        return concatBytes(Uint8Array.from(head), chunk);
      });
    }
    case 'h264':
      return h264Payloads(splitAnnexB(data), maxPayload);
    case 'av1':
      return av1Payloads(data, keyframe, maxPayload);
  }
}

function h264Payloads(nals: readonly Uint8Array[], maxPayload: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let pending: Uint8Array[] = [];
  let pendingSize = 1;
  const flush = (): void => {
    if (pending.length === 1) out.push(pending[0]!);
    else if (pending.length > 1) {
      let f = 0;
      let nri = 0;
      for (const n of pending) {
        f |= n[0]! & 0x80;
        nri = Math.max(nri, n[0]! & 0x60);
      }
      const parts: Uint8Array[] = [Uint8Array.of(f | nri | H264_STAP_A)];
      for (const n of pending) parts.push(Uint8Array.of(n.length >> 8, n.length & 0xff), n);
      out.push(concatBytes(...parts));
    }
    pending = [];
    pendingSize = 1;
  };
  for (const nal of nals) {
    if (nal.length > maxPayload) {
      flush();
      const header = nal[0]!;
      const body = chunks(nal.subarray(1), maxPayload - 2);
      body.forEach((chunk, k) => {
        const fuHeader = (k === 0 ? 0x80 : 0) | (k === body.length - 1 ? 0x40 : 0) | (header & 0x1f);
        out.push(concatBytes(Uint8Array.of((header & 0xe0) | H264_FU_A, fuHeader), chunk));
      });
      continue;
    }
    if (pendingSize + 2 + nal.length > maxPayload) flush();
    pending.push(nal);
    pendingSize += 2 + nal.length;
  }
  flush();
  return out;
}

function av1Payloads(data: Uint8Array, keyframe: boolean, maxPayload: number): Uint8Array[] {
  const obus = parseAv1Obus(data);
  if (obus === undefined) throw new RangeError('AV1 frame does not parse as OBUs');
  const elements = obus
    .filter((o) => o.type !== AV1_OBU_TEMPORAL_DELIMITER && o.type !== AV1_OBU_TILE_LIST)
    .map((o) =>
      concatBytes(
        Uint8Array.from(o.extension === undefined ? [o.header & ~0x02] : [o.header & ~0x02, o.extension]),
        o.payload,
      ),
    );
  interface Element {
    bytes: Uint8Array;
  }
  interface Packet {
    z: boolean;
    y: boolean;
    elements: Element[];
    size: number;
  }
  const packets: Packet[] = [];
  let current: Packet = { z: false, y: false, elements: [], size: 1 };
  const newPacket = (z: boolean): void => {
    packets.push(current);
    current = { z, y: false, elements: [], size: 1 };
  };
  for (const element of elements) {
    let rest = element;
    let continuing = false;
    while (rest.length > 0) {
      const space = maxPayload - current.size;
      const room = space - leb128(space).length;
      if (room < 1) {
        newPacket(continuing);
        continue;
      }
      const take = Math.min(rest.length, room);
      current.elements.push({ bytes: rest.subarray(0, take) });
      current.size += leb128(take).length + take;
      rest = rest.subarray(take);
      if (rest.length > 0) {
        current.y = true;
        continuing = true;
        newPacket(true);
      }
    }
  }
  if (current.elements.length > 0 || packets.length === 0) packets.push(current);
  return packets.map((p, k) => {
    const w = p.elements.length <= 3 ? p.elements.length : 0;
    const aggregation = (p.z ? 0x80 : 0) | (p.y ? 0x40 : 0) | (w << 4) | (k === 0 && keyframe ? 0x08 : 0);
    const parts: Uint8Array[] = [Uint8Array.of(aggregation)];
    p.elements.forEach((e, i) => {
      if (!(w !== 0 && i === p.elements.length - 1)) parts.push(Uint8Array.from(leb128(e.bytes.length)));
      parts.push(e.bytes);
    });
    return concatBytes(...parts);
  });
}
