/**
 * Writes test/vectors/framelock-frames-v5.json: Framelock frame format v5 known-answer vectors, one per codec path
 * and cipher suite, frames with control regions (odd counters), and both counter parities at every CTR length. Run
 * ONCE per format version, check the output in, and never run it again to make a failing test pass: the point of the
 * file is that it does not follow the code. A deliberate format change gets a new FORMAT_VERSION and a new file
 * (test/vectors/README.md).
 *
 *   npx tsx test/vectors/generate-framelock-frames.ts
 *
 * Inputs are fixed here: frames cut from the real encoder output in test/fixtures/frames (so each codec's framing
 * sees real headers), a few synthetic ones for paths encoders rarely take, fixed keys, KIDs, counters and regions.
 */
import { existsSync, writeFileSync } from 'node:fs';
import {
  CODEC_ID,
  FORMAT_VERSION,
  framingForMimeType,
  makeControlRegion,
  makeKid,
  SUITE_FOR_KIND,
  senderIdOf,
  TAG_LENGTH,
} from '../../src/codecs';
import { parseObus } from '../../src/codecs/av1';
import { isEscapeByte } from '../../src/codecs/escape';
import { findNalUnits } from '../../src/codecs/h26x';
import { pushLeb128 } from '../../src/codecs/leb128';
import { inspectFrame, unprotectFrame } from '../../src/codecs/protect';
import { SFrameContext } from '../../src/sframe';
import { fixtures } from '../unit/fixtures';
import { FRAME_VECTORS_FILE, hex, protectAt, type StoredFrameVector } from '../unit/frame-vectors';

function fixtureFrame(name: string, type: 'key' | 'delta', nth = 0): Uint8Array {
  const frames = fixtures.find((f) => f.name === name)?.frames.filter((f) => f.type === type) ?? [];
  const frame = frames[nth]?.data;
  if (frame === undefined) throw new Error(`no ${type} frame ${nth} in ${name}`);
  return frame;
}

/** Annex B with every NAL unit but parameter sets cut to `max` bytes (start codes kept as the encoder wrote them). */
function shortenAnnexB(frame: Uint8Array, parameterSet: (firstByte: number) => boolean, max = 40): Uint8Array {
  const out: number[] = [];
  for (const u of findNalUnits(frame) ?? []) {
    out.push(...frame.subarray(u.codeStart, u.start));
    let end = parameterSet(frame[u.start] ?? 0) ? u.end : Math.min(u.end, u.start + max);
    while (end > u.start + 1 && frame[end - 1] === 0) end--; // a NAL unit never ends in a zero byte
    out.push(...frame.subarray(u.start, end));
  }
  return Uint8Array.from(out);
}

/** AV1 OBUs with every payload but the sequence header's cut to `max` bytes, sizes rewritten; TDs kept. */
function shortenAv1(frame: Uint8Array, max = 24): Uint8Array {
  const out: number[] = [];
  for (const o of parseObus(frame) ?? []) {
    out.push(o.header);
    if (o.extension >= 0) out.push(o.extension);
    const end = o.type === 1 ? o.payloadEnd : Math.min(o.payloadEnd, o.payloadStart + max);
    pushLeb128(out, end - o.payloadStart);
    out.push(...frame.subarray(o.payloadStart, end));
  }
  return Uint8Array.from(out);
}

const h264ParameterSet = (b: number) => [7, 8].includes(b & 0x1f);
const h265ParameterSet = (b: number) => [32, 33, 34].includes((b >> 1) & 0x3f);
const ascii = (text: string) => [...new TextEncoder().encode(text)];

interface Input {
  name: string;
  mime: string;
  plaintext: Uint8Array;
  /** Even without a control region, odd with one. */
  ctr: number;
  /** The control region's fields (odd counters). */
  control?: { payload: Uint8Array; msgId: number; index: number; last: number };
  note?: string;
}

/** A chunk payload of `n` bytes without a zero byte (no escaping in an H.26x trailer). */
const chunk = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => 1 + ((seed + 37 * i) % 255));

const INPUTS: Input[] = [
  { name: 'vp8-key', mime: 'video/VP8', plaintext: fixtureFrame('vp8-320x180', 'key').subarray(0, 48), ctr: 0 },
  { name: 'vp8-delta', mime: 'video/VP8', plaintext: fixtureFrame('vp8-320x180', 'delta', 3).subarray(0, 40), ctr: 6 },
  { name: 'vp9-key', mime: 'video/VP9', plaintext: fixtureFrame('vp9-320x180', 'key').subarray(0, 48), ctr: 8 },
  { name: 'vp9-delta', mime: 'video/VP9', plaintext: fixtureFrame('vp9-320x180', 'delta').subarray(0, 40), ctr: 254 },
  {
    name: 'h264-key',
    mime: 'video/H264',
    plaintext: shortenAnnexB(fixtureFrame('h264-320x180', 'key'), h264ParameterSet),
    ctr: 256,
    note: 'SPS and PPS whole, IDR slice cut to 40 bytes',
  },
  {
    name: 'h264-delta-3-byte-start-codes',
    mime: 'video/H264',
    plaintext: shortenAnnexB(fixtureFrame('h264-4slices-320x180', 'delta'), h264ParameterSet, 24),
    ctr: 1000,
    note: 'x264, four slices, 3-byte start codes between them',
  },
  {
    name: 'h264-unparseable-slice',
    mime: 'video/H264',
    plaintext: Uint8Array.from([
      ...[0, 0, 0, 1, 0x41, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, ...ascii('slice header too many zeros')],
      ...[0, 0, 1, 0x41, 0xe4, ...ascii('a slice that parses')],
    ]),
    ctr: 10,
    note: 'synthetic: a slice whose header does not parse (48 zero bits), then one that does: the opaque-slice marker',
  },
  {
    name: 'h265-key',
    mime: 'video/H265',
    plaintext: shortenAnnexB(fixtureFrame('h265-320x180', 'key'), h265ParameterSet),
    ctr: 65_534,
    note: 'VPS, SPS and PPS whole, other NAL units cut to 40 bytes',
  },
  {
    name: 'h265-delta',
    mime: 'video/H265',
    plaintext: shortenAnnexB(fixtureFrame('h265-320x180', 'delta', 2), h265ParameterSet),
    ctr: 65_536,
  },
  {
    name: 'av1-key',
    mime: 'video/AV1',
    plaintext: shortenAv1(fixtureFrame('av1-320x180', 'key')),
    ctr: 2,
    note: 'temporal delimiter, sequence header whole, frame OBU cut to 24 bytes; the sender drops the TD',
  },
  { name: 'av1-delta', mime: 'video/AV1', plaintext: shortenAv1(fixtureFrame('av1-320x180', 'delta', 4)), ctr: 300 },
  {
    name: 'generic-video',
    mime: 'video/H266',
    plaintext: Uint8Array.from(ascii('a codec Framelock does not know')),
    ctr: 12,
    note: 'unknown video codec: protected whole, no clear byte',
  },
  {
    name: 'opus',
    mime: 'audio/opus',
    plaintext: fixtureFrame('opus-48k', 'key', 10),
    ctr: 0,
  },
  {
    name: 'opus-dtx-1-byte',
    mime: 'audio/opus',
    plaintext: Uint8Array.from([0xf8]),
    ctr: 50,
    note: 'Opus DTX: the TOC byte alone; sent as a code 3 packet of one empty frame, TOC and count authenticated',
  },
  {
    name: 'opus-comfort-noise-3-bytes',
    mime: 'audio/opus',
    plaintext: Uint8Array.from([0xf8, 0xff, 0xfe]),
    ctr: 16_777_216,
    note: 'CELT silence frame sent during DTX; a 4-byte counter (audio overhead 21 bytes, past 2^24 counters)',
  },
  {
    name: 'opus-two-frames-code-1',
    mime: 'audio/opus',
    plaintext: Uint8Array.from([0xf9, ...Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 0xff)]),
    ctr: 4,
    note: 'code 1 (two 20 ms frames): sent as code 3 with M = 2; the whole packet, its TOC too, is the plaintext',
  },
  {
    name: 'opus-code-3-one-frame',
    mime: 'audio/opus',
    plaintext: Uint8Array.from([0x7b, 0x01, ...Array.from({ length: 30 }, (_, i) => (i * 91 + 5) & 0xff)]),
    ctr: 6,
    note: 'code 3 with one frame: count byte v = 1, M = 1; the whole packet is the plaintext',
  },
  {
    name: 'opus-invalid-frame-count',
    mime: 'audio/opus',
    plaintext: Uint8Array.from([0xfb, 0x00, 0x42, 0x42]),
    ctr: 8,
    note: 'not a valid Opus packet (code 3, 0 frames): protected whole as one empty frame (v = 1, M = 1)',
  },
  {
    name: 'opus-padding-over-254',
    mime: 'audio/opus',
    plaintext: Uint8Array.from([0xfc, ...Array.from({ length: 299 }, (_, i) => (i * 13 + 7) & 0xff)]),
    ctr: 10,
    note: 'a 300-byte packet (120 kbit/s at 20 ms): 316 bytes of padding take two padding-length bytes (255, 62)',
  },
  {
    name: 'generic-audio',
    mime: 'audio/PCMU',
    plaintext: Uint8Array.from({ length: 40 }, (_, i) => 0xff - i),
    ctr: 2,
    note: 'G.711: protected whole, no clear byte',
  },
  // Frames with a control region: odd counters, at every CTR length, n = 1, mid sizes and 255.
  {
    name: 'vp8-delta-control-1',
    mime: 'video/VP8',
    plaintext: fixtureFrame('vp8-320x180', 'delta', 4).subarray(0, 40),
    ctr: 7,
    control: { payload: Uint8Array.from([0x42]), msgId: 0, index: 0, last: 0 },
    note: 'a one-chunk message of one byte; CTR in the config byte',
  },
  {
    name: 'vp9-key-control-100',
    mime: 'video/VP9',
    plaintext: fixtureFrame('vp9-320x180', 'key').subarray(0, 48),
    ctr: 255,
    control: { payload: chunk(100, 1), msgId: 200, index: 3, last: 7 },
  },
  {
    name: 'h264-key-control-escaped',
    mime: 'video/H264',
    plaintext: shortenAnnexB(fixtureFrame('h264-320x180', 'key'), h264ParameterSet),
    ctr: 65_537,
    control: {
      payload: Uint8Array.from([0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x02, 0x00, 0x00, 0x03, ...chunk(29, 2)]),
      msgId: 0,
      index: 0,
      last: 0,
    },
    note: 'the region holds 00 00 0x runs: escaped on the wire (03 inserted), read back raw; a 3-byte counter',
  },
  {
    name: 'h265-delta-control-255',
    mime: 'video/H265',
    plaintext: shortenAnnexB(fixtureFrame('h265-320x180', 'delta', 2), h265ParameterSet),
    ctr: 65_535,
    control: { payload: chunk(255, 3), msgId: 255, index: 255, last: 255 },
    note: 'the largest region: 259 bytes; a 2-byte counter',
  },
  {
    name: 'av1-key-control-1',
    mime: 'video/AV1',
    plaintext: shortenAv1(fixtureFrame('av1-320x180', 'key')),
    ctr: 3,
    control: { payload: Uint8Array.from([0xa5]), msgId: 1, index: 0, last: 1 },
    note: 'the region counts in the last OBU size field',
  },
  {
    name: 'generic-video-control-77',
    mime: 'video/H266',
    plaintext: Uint8Array.from(ascii('a codec Framelock does not know')),
    ctr: 13,
    control: { payload: chunk(77, 4), msgId: 17, index: 1, last: 1 },
  },
  {
    name: 'opus-control-120',
    mime: 'audio/opus',
    plaintext: fixtureFrame('opus-48k', 'key', 11),
    ctr: 1001,
    control: { payload: chunk(120, 5), msgId: 2, index: 5, last: 9 },
    note: 'the most an audio frame carries (docs/keys.md)',
  },
  {
    name: 'opus-dtx-control-255',
    mime: 'audio/opus',
    plaintext: Uint8Array.from([0xf8]),
    ctr: 16_777_217,
    control: { payload: chunk(255, 6), msgId: 3, index: 0, last: 0 },
    note: 'a 1-byte DTX frame with the largest region; a 4-byte counter',
  },
  {
    name: 'generic-audio-control-1',
    mime: 'audio/PCMU',
    plaintext: Uint8Array.from({ length: 40 }, (_, i) => 0xff - i),
    ctr: 1,
    control: { payload: Uint8Array.from([0x01]), msgId: 4, index: 0, last: 0 },
  },
];

const BASE_KEYS = {
  video: '000102030405060708090a0b0c0d0e0f',
  audio: 'f0e0d0c0b0a090807060504030201000',
};

function ctrLength(ctr: number): number {
  if (ctr < 8) return 0;
  let length = 0;
  for (let v = ctr; v > 0; v = Math.floor(v / 256)) length++;
  return length;
}

/**
 * Positions in `frame` of the trailer's raw bytes, first to last, with the escape bytes H.26x put among them (each
 * counted with the raw byte it precedes).
 */
function trailerPositions(frame: Uint8Array, codec: string, total: number): number[][] {
  if (codec !== 'h264' && codec !== 'h265') {
    return Array.from({ length: total }, (_, i) => [frame.length - total + i]);
  }
  const units = findNalUnits(frame) ?? [];
  const last = units[units.length - 1];
  if (last === undefined) throw new Error('no NAL unit');
  const raw: number[][] = [];
  for (let j = last.end - 1; raw.length < total; j--) {
    if (isEscapeByte(frame, last.start, j)) raw[raw.length - 1]?.push(j); // before the raw byte pushed last
    else raw.push([j]);
  }
  // An escape byte right before the trailer belongs to it too (it escapes the trailer's first byte).
  const first = Math.min(...(raw[raw.length - 1] ?? []));
  if (isEscapeByte(frame, last.start, first - 1)) raw[raw.length - 1]?.push(first - 1);
  return raw.reverse().map((p) => p.sort((a, b) => a - b));
}

async function build(input: Input, index: number): Promise<StoredFrameVector> {
  const framing = framingForMimeType(input.mime);
  if (framing === undefined) throw new Error(input.mime);
  if (input.ctr % 2 !== (input.control ? 1 : 0)) throw new Error(`${input.name}: odd counters carry a region`);
  const kind = framing.kind;
  const suite = SUITE_FOR_KIND[kind];
  // No zero byte in the KID: in H.26x frames a trailer with 00 00 runs would be escaped.
  const kid = makeKid(index % 16, senderIdOf(0xc0f_fee5_a123n, 0x456 + index));
  const baseKey = Uint8Array.from(Buffer.from(BASE_KEYS[kind], 'hex'));
  const c = input.control;
  const control = c && makeControlRegion(c.payload, c.msgId, c.index, c.last);
  const v = { suite, baseKey, kid, ctr: input.ctr, framing, plaintext: input.plaintext, control };
  const { frame, codec } = await protectAt(v);
  const layout = framing.layout(input.plaintext);
  const metadata = Uint8Array.from([FORMAT_VERSION, CODEC_ID[layout.codec], ...layout.metadata, ...(control ?? [])]);
  // What the receiver gets back (checks the vector before it is written).
  const seen = inspectFrame(framing, frame);
  if (!seen.protected || hex(seen.found.control ?? new Uint8Array(0)) !== hex(control ?? new Uint8Array(0))) {
    throw new Error(`${input.name}: region not read back`);
  }
  const receiver = new SFrameContext(suite);
  await receiver.addKey(kid, baseKey);
  const got = await unprotectFrame(receiver, framing, frame);
  if (got.status !== 'decrypted') throw new Error(`${input.name}: does not decrypt`);

  const tagLength = TAG_LENGTH[kind];
  const regionLength = control?.length ?? 0;
  const total = tagLength + regionLength + 1 + 8 + ctrLength(input.ctr);
  const positions = trailerPositions(frame, codec, total);
  const escapes = positions.reduce((sum, p) => sum + p.length - 1, 0);
  if (escapes > 0 && !input.name.endsWith('-escaped')) {
    throw new Error(`${input.name}: escape bytes in the trailer, choose another ctr or payload`);
  }
  if (input.name.endsWith('-escaped') && escapes === 0) throw new Error(`${input.name}: nothing escaped`);
  const trailerStart = Math.min(...(positions[0] ?? []));
  const isRegion = (i: number) => i >= tagLength && i < tagLength + regionLength;
  const trailer = positions.flatMap((p, i) => (isRegion(i) ? [] : p));
  const inRegion = positions.flatMap((p, i) => (isRegion(i) ? p : []));
  let clear: number[] = [];
  let ciphertext: number[] = [];
  if (codec === 'h264' || codec === 'h265') {
    const first = findNalUnits(frame)?.[0];
    clear = first ? [first.start] : [];
    ciphertext = [trailerStart - 1];
  } else if (codec === 'av1') {
    clear = [0];
    ciphertext = [trailerStart - 1];
  } else if (codec === 'opus') {
    // TOC', count and the first padding-length byte are clear; the ciphertext (if any) ends right before the trailer.
    clear = [0, 1, 2];
    ciphertext = layout.plaintext.length > 0 ? [trailerStart - 1] : [];
  } else {
    const prefix = layout.metadata[0] ?? 0; // prefix framings: leb128(clear length) first, < 128 here
    clear = prefix > 0 ? [0] : [];
    ciphertext = input.plaintext.length > prefix ? [prefix] : [];
  }
  const stored: StoredFrameVector = {
    name: input.name,
    mime_type: input.mime,
    codec,
    cipher_suite: suite,
    base_key: BASE_KEYS[kind],
    kid: kid.toString(16).padStart(16, '0'),
    ctr: input.ctr,
    plaintext: hex(input.plaintext),
    ...(control ? { control: hex(control) } : {}),
    metadata: hex(metadata),
    protected: hex(frame),
    flip: { clear, ciphertext, trailer, ...(control ? { control: inRegion } : {}) },
  };
  if (hex(got.frame) !== stored.plaintext) stored.decrypted = hex(got.frame);
  if (input.note) stored.note = input.note;
  return stored;
}

// Frozen: a file of this version is never written twice, and a new version gets a new file.
if (!FRAME_VECTORS_FILE.pathname.endsWith(`-v${FORMAT_VERSION}.json`)) {
  throw new Error(`${FRAME_VECTORS_FILE.pathname} is not the file of format version ${FORMAT_VERSION}`);
}
if (existsSync(FRAME_VECTORS_FILE)) throw new Error(`${FRAME_VECTORS_FILE.pathname} exists and is frozen`);
const vectors: StoredFrameVector[] = [];
for (const [i, input] of INPUTS.entries()) vectors.push(await build(input, i));
const file = {
  description:
    'Framelock frame format known-answer vectors (docs/frame-format.md). Made once by ' +
    'test/vectors/generate-framelock-frames.ts; frozen: see test/vectors/README.md.',
  format_version: FORMAT_VERSION,
  vectors,
} satisfies { format_version: number; vectors: StoredFrameVector[] } & Record<string, unknown>;
writeFileSync(FRAME_VECTORS_FILE, `${JSON.stringify(file, null, 2)}\n`);
console.log(`wrote ${vectors.length} vectors to ${FRAME_VECTORS_FILE.pathname}`);
