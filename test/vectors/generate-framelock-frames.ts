/**
 * Writes test/vectors/framelock-frames.json: Framelock frame format known-answer vectors, one per codec path and
 * cipher suite. Run ONCE per format version, check the output in, and never run it again to make a failing test
 * pass: the point of the file is that it does not follow the code. A deliberate format change gets a new
 * FORMAT_VERSION and a new file (test/vectors/README.md).
 *
 *   npx tsx test/vectors/generate-framelock-frames.ts
 *
 * Inputs are fixed here: frames cut from the real encoder output in test/fixtures/frames (so each codec's framing
 * sees real headers), a few synthetic ones for paths encoders rarely take, fixed keys, KIDs and counters.
 */
import { writeFileSync } from 'node:fs';
import { CODEC_ID, FORMAT_VERSION, makeKid, SUITE_FOR_KIND, TAG_LENGTH } from '../../src/codecs';
import { parseObus } from '../../src/codecs/av1';
import { findNalUnits } from '../../src/codecs/h26x';
import { pushLeb128 } from '../../src/codecs/leb128';
import { unprotectFrame } from '../../src/codecs/protect';
import { SFrameContext } from '../../src/sframe';
import { fixtures } from '../unit/fixtures';
import { FRAME_VECTORS_FILE, hex, protectAt, type StoredFrameVector } from '../unit/frame-vectors';
import { framingForMimeType } from '../../src/codecs';

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
  ctr: number;
  note?: string;
}

const INPUTS: Input[] = [
  { name: 'vp8-key', mime: 'video/VP8', plaintext: fixtureFrame('vp8-320x180', 'key').subarray(0, 48), ctr: 0 },
  { name: 'vp8-delta', mime: 'video/VP8', plaintext: fixtureFrame('vp8-320x180', 'delta', 3).subarray(0, 40), ctr: 7 },
  { name: 'vp9-key', mime: 'video/VP9', plaintext: fixtureFrame('vp9-320x180', 'key').subarray(0, 48), ctr: 8 },
  { name: 'vp9-delta', mime: 'video/VP9', plaintext: fixtureFrame('vp9-320x180', 'delta').subarray(0, 40), ctr: 255 },
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
    ctr: 9,
    note: 'synthetic: a slice whose header does not parse (48 zero bits), then one that does: the opaque-slice marker',
  },
  {
    name: 'h265-key',
    mime: 'video/H265',
    plaintext: shortenAnnexB(fixtureFrame('h265-320x180', 'key'), h265ParameterSet),
    ctr: 65_535,
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
    ctr: 3,
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
    note: 'Opus DTX: the TOC byte alone, authenticated; nothing to encrypt',
  },
  {
    name: 'opus-comfort-noise-3-bytes',
    mime: 'audio/opus',
    plaintext: Uint8Array.from([0xf8, 0xff, 0xfe]),
    ctr: 16_777_216,
    note: 'CELT silence frame sent during DTX; a 4-byte counter (audio overhead 21 bytes, past 2^24 frames)',
  },
  {
    name: 'generic-audio',
    mime: 'audio/PCMU',
    plaintext: Uint8Array.from({ length: 40 }, (_, i) => 0xff - i),
    ctr: 1,
    note: 'G.711: protected whole, no clear byte',
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

async function build(input: Input, index: number): Promise<StoredFrameVector> {
  const framing = framingForMimeType(input.mime);
  if (framing === undefined) throw new Error(input.mime);
  const kind = framing.kind;
  const suite = SUITE_FOR_KIND[kind];
  // No zero byte in the KID: in H.26x frames a trailer with 00 00 runs would be escaped (see below).
  const kid = makeKid(index % 16, 0xc0_ffee_5a12_3456n + BigInt(index));
  const baseKey = Uint8Array.from(Buffer.from(BASE_KEYS[kind], 'hex'));
  const v = { suite, baseKey, kid, ctr: input.ctr, framing, plaintext: input.plaintext };
  const { frame, codec } = await protectAt(v);
  const layout = framing.layout(input.plaintext);
  const metadata = Uint8Array.from([FORMAT_VERSION, CODEC_ID[layout.codec], ...layout.metadata]);
  // What the receiver gets back (checks the vector before it is written).
  const receiver = new SFrameContext(suite);
  await receiver.addKey(kid, baseKey);
  const got = await unprotectFrame(receiver, framing, frame);
  if (got.status !== 'decrypted') throw new Error(`${input.name}: does not decrypt`);

  const trailer = TAG_LENGTH[kind] + 1 + 8 + ctrLength(input.ctr);
  const trailerStart = frame.length - trailer;
  for (let i = trailerStart - 2; i + 2 < frame.length; i++) {
    if ((codec === 'h264' || codec === 'h265') && frame[i] === 0 && frame[i + 1] === 0 && frame[i + 2] === 3) {
      // An escaped trailer would make "the last N bytes" not the trailer: pick another counter.
      throw new Error(`${input.name}: escape bytes in the trailer, choose another ctr`);
    }
  }
  let clear: number[] = [];
  let ciphertext: number[] = [];
  if (codec === 'h264' || codec === 'h265') {
    const first = findNalUnits(frame)?.[0];
    clear = first ? [first.start] : [];
    ciphertext = [trailerStart - 1];
  } else if (codec === 'av1') {
    clear = [0];
    ciphertext = [trailerStart - 1];
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
    metadata: hex(metadata),
    protected: hex(frame),
    flip: { clear, ciphertext, trailer: Array.from({ length: trailer }, (_, i) => trailerStart + i) },
  };
  if (hex(got.frame) !== stored.plaintext) stored.decrypted = hex(got.frame);
  if (input.note) stored.note = input.note;
  return stored;
}

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
