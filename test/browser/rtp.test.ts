/**
 * The RTP toolkit (./rtp, ./rtp-decode) that checks what a media server forwards: parse, sink, packetize /
 * depacketize round trips on the real encoded fixtures, loss and reordering; then, in headless Chromium, WebCodecs
 * decoding of round-tripped frames: the fixtures (which show colour bars, a grey ramp and a counter, not the quadrant
 * pattern: test/fixtures/README.md) decode without error to a non-blank picture, the quadrant pattern encoded in the
 * page decodes to `showsPattern`, and the same frames scrambled or protected by Framelock do not.
 */
import dgram from 'node:dgram';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { av1, type Framing, h264, makeKid, opus, protectFrame, SUITE_FOR_KIND, vp8, vp9 } from '../../src/codecs';
import { SFrameContext } from '../../src/sframe';
import { type FrameFixture, fixtures } from '../unit/fixtures';
import { launchPlainChromium, type PlainBrowser } from './call';
import { chromiumAvailable } from './harness';
import { describeSamples, patternMismatches, showsPattern } from './media';
import {
  type Av1Obu,
  depacketize,
  type EncodedFrame,
  joinAnnexB,
  packetize,
  parseAv1Obus,
  parseRtp,
  type RtpCodec,
  type RtpPacket,
  type RtpVideoCodec,
  serializeRtp,
  sortBySequence,
  splitAnnexB,
  startRtpSink,
  vp9Superframe,
  writeAv1Obus,
} from './rtp';
import { decodeAudio, decodeVideo, encodeTestPattern, estimateTone, videoCodecString } from './rtp-decode';

const hex = (s: string): Uint8Array =>
  Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (b) => parseInt(b, 16));

type RtpFixture = FrameFixture & { codec: RtpCodec };
const rtpFixtures = fixtures.filter((f): f is RtpFixture => f.codec !== 'h265');

/** What a decoder should get back after an RTP round trip of `data`. */
function canonical(codec: RtpCodec, data: Uint8Array): Uint8Array {
  if (codec === 'h264') return joinAnnexB(splitAnnexB(data));
  if (codec === 'av1') {
    const obus = parseAv1Obus(data)?.filter((o) => o.type !== 2) ?? [];
    return Uint8Array.from([0x12, 0x00, ...writeAv1Obus(obus)]);
  }
  return data;
}

/** Through bytes on the wire and back. */
function wire(packets: readonly RtpPacket[]): RtpPacket[] {
  return packets.map((p) => {
    const parsed = parseRtp(serializeRtp(p));
    if (parsed === undefined) throw new Error(`packet ${p.sequence} did not parse`);
    return parsed;
  });
}

/** Deterministic shuffle (LCG). */
function shuffle<T>(items: readonly T[], seed = 7): T[] {
  const out = items.slice();
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function roundTrip(codec: RtpCodec, frames: readonly { data: Uint8Array; keyframe?: boolean }[], mtu = 1200) {
  return depacketize(codec, wire(packetize(codec, frames, { mtu })));
}

const fixtureFrames = (f: RtpFixture) => f.frames.map((x) => ({ data: x.data, keyframe: x.type === 'key' }));

describe('parseRtp / serializeRtp', () => {
  it('parses a minimal packet', () => {
    const p = parseRtp(hex('80e0 fffe 01020304 a1b2c3d4 dead beef'));
    expect(p).toEqual({
      payloadType: 96,
      sequence: 0xfffe,
      timestamp: 0x01020304,
      ssrc: 0xa1b2c3d4,
      marker: true,
      payload: hex('deadbeef'),
    });
  });

  it('skips CSRCs, a one-byte header extension and padding', () => {
    const bytes = hex(
      'b2 6f 0001 00000064 00000005' + // V=2 P X CC=2, PT 111
        '11111111 22222222' + // CSRCs
        'bede 0002 10 aa 00 32 bbccdd 00' + // id 1 (1 byte), padding, id 3 (3 bytes), padding
        '0102 0304' + // payload
        '00 00 03', // 3 bytes of padding
    );
    const p = parseRtp(bytes);
    expect(p?.csrcs).toEqual([0x11111111, 0x22222222]);
    expect(p?.extensionProfile).toBe(0xbede);
    expect(p?.extensions).toEqual([
      { id: 1, data: hex('aa') },
      { id: 3, data: hex('bbccdd') },
    ]);
    expect(p?.padding).toBe(3);
    expect(p?.payload).toEqual(hex('01020304'));
    expect(p?.payloadType).toBe(111);
  });

  it('parses two-byte header extensions and skips unknown profiles', () => {
    const two = parseRtp(hex('9060 0002 00000000 00000001 1000 0002 14 00 00 21 03 aabbcc 77'));
    expect(two?.extensions).toEqual([
      { id: 0x14, data: new Uint8Array(0) },
      { id: 0x21, data: hex('aabbcc') },
    ]);
    expect(two?.payload).toEqual(hex('77'));
    const other = parseRtp(hex('9060 0002 00000000 00000001 abcd 0001 01020304 77'));
    expect(other?.extensionProfile).toBe(0xabcd);
    expect(other?.extensions).toEqual([]);
    expect(other?.payload).toEqual(hex('77'));
  });

  it('stops at the reserved one-byte id 15', () => {
    const p = parseRtp(hex('9060 0002 00000000 00000001 bede 0001 10aa f0 00 55'));
    expect(p?.extensions).toEqual([{ id: 1, data: hex('aa') }]);
    expect(p?.payload).toEqual(hex('55'));
  });

  it('rejects RTCP and malformed datagrams', () => {
    const sr = hex('80c8 0006 a1b2c3d4 0000000000000000 00000000 00000000 00000000');
    expect(parseRtp(sr)).toBeUndefined(); // SR (200)
    for (const pt of [192, 200, 201, 202, 203, 204, 205, 206, 207, 223]) {
      expect(parseRtp(hex(`80${pt.toString(16)} 0001 00000000 00000001 00`))).toBeUndefined();
    }
    expect(parseRtp(hex('80e0 0001 00000000 00000001'))?.payload.length).toBe(0); // PT 96 with marker: RTP
    expect(parseRtp(hex('8060 0001 00000000 000000'))).toBeUndefined(); // 11 bytes
    expect(parseRtp(hex('4060 0001 00000000 00000001 00'))).toBeUndefined(); // version 1
    expect(parseRtp(hex('8360 0001 00000000 00000001 11111111'))).toBeUndefined(); // CC=3, one CSRC
    expect(parseRtp(hex('9060 0001 00000000 00000001 bede 0002 10aa0000'))).toBeUndefined(); // extension too long
    expect(parseRtp(hex('9060 0001 00000000 00000001 bede 0001 13aa0000'))).toBeUndefined(); // element overruns
    expect(parseRtp(hex('a060 0001 00000000 00000001 0102 00'))).toBeUndefined(); // padding count 0
    expect(parseRtp(hex('a060 0001 00000000 00000001 0102 09'))).toBeUndefined(); // padding past the header
  });

  it('round-trips any packet through bytes', () => {
    const element = fc.record({
      id: fc.integer({ min: 1, max: 14 }),
      data: fc.uint8Array({ minLength: 1, maxLength: 16 }),
    });
    fc.assert(
      fc.property(
        fc.record({
          payloadType: fc.integer({ min: 0, max: 127 }).filter((pt) => pt < 64 || pt > 95),
          sequence: fc.integer({ min: 0, max: 0xffff }),
          timestamp: fc.integer({ min: 0, max: 0xffff_ffff }),
          ssrc: fc.integer({ min: 0, max: 0xffff_ffff }),
          marker: fc.boolean(),
          payload: fc.uint8Array({ maxLength: 64 }),
          csrcs: fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 15 }),
          extensions: fc.array(element, { maxLength: 4 }),
          padding: fc.integer({ min: 0, max: 255 }),
        }),
        (packet) => {
          const parsed = parseRtp(serializeRtp(packet));
          const { csrcs, extensions, padding, ...rest } = packet;
          expect(parsed).toMatchObject(rest);
          expect(parsed?.csrcs ?? []).toEqual(csrcs);
          expect(parsed?.extensions ?? []).toEqual(extensions);
          expect(parsed?.padding ?? 0).toBe(padding);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('sequence order', () => {
  it('sorts across the 16-bit wrap-around and drops duplicates', () => {
    const at = (sequence: number): RtpPacket => ({
      payloadType: 96,
      sequence,
      timestamp: 0,
      ssrc: 1,
      marker: false,
      payload: new Uint8Array(0),
    });
    const sorted = sortBySequence([65534, 1, 65535, 0, 2, 65533, 0, 1].map(at)).map((p) => p.sequence);
    expect(sorted).toEqual([65533, 65534, 65535, 0, 1, 2]);
  });

  it.each(['vp8', 'h264', 'av1', 'opus'] as const)('%s frames survive a wrap-around', (codec) => {
    const fixture = rtpFixtures.find((f) => f.codec === codec)!;
    const frames = fixtureFrames(fixture);
    const packets = packetize(codec, frames, { sequenceStart: 65_520, timestampStart: 0xffff_f000, mtu: 400 });
    expect(packets.some((p) => p.sequence < 100)).toBe(true);
    const got = depacketize(codec, wire(shuffle(packets)));
    expect(got.map((f) => f.data)).toEqual(frames.map((f) => canonical(codec, f.data)));
  });
});

describe('packetize → depacketize round trips (real encoded fixtures)', () => {
  const cases = rtpFixtures.flatMap((f) => [1200, 300].map((mtu) => [f.name, mtu, f] as const));

  it.each(cases)('%s, MTU %i', (_name, mtu, fixture) => {
    const frames = fixtureFrames(fixture);
    const packets = packetize(fixture.codec, frames, { mtu });
    expect(Math.max(...packets.map((p) => serializeRtp(p).length))).toBeLessThanOrEqual(mtu);
    const got = depacketize(fixture.codec, wire(packets));
    expect(got).toHaveLength(frames.length);
    got.forEach((frame, i) => {
      expect(frame.complete).toBe(true);
      expect(frame.keyframe, `frame ${i}`).toBe(fixture.codec === 'opus' || frames[i]!.keyframe);
      expect(frame.timestamp).toBe(i * (fixture.codec === 'opus' ? 960 : 3000));
    });
    expect(got.map((f) => f.data)).toEqual(frames.map((f) => canonical(fixture.codec, f.data)));
  });

  it('uses every H.264 packet type: single NAL, STAP-A (SPS + PPS) and FU-A', () => {
    const fixture = rtpFixtures.find((f) => f.name === 'h264-320x180')!;
    const types = new Set(packetize('h264', fixtureFrames(fixture), { mtu: 300 }).map((p) => p.payload[0]! & 0x1f));
    expect([...types].sort((a, b) => a - b)).toEqual([1, 24, 28]);
  });

  it('fragments AV1 OBUs (Z/Y) and uses W = 1-3 and 0', () => {
    const fixture = rtpFixtures.find((f) => f.name === 'av1-320x180')!;
    const packets = packetize('av1', fixtureFrames(fixture), { mtu: 300 });
    const headers = packets.map((p) => p.payload[0]!);
    expect(headers.some((h) => h & 0x80)).toBe(true);
    expect(headers.some((h) => h & 0x40)).toBe(true);
    expect(headers.filter((h) => h & 0x08)).toHaveLength(2); // N on both keyframes
    const ws = new Set(headers.map((h) => (h >> 4) & 3));
    expect(ws.has(1) || ws.has(2)).toBe(true);
    // Many small OBUs in one packet: W = 0 (every element with a size).
    const many = writeAv1Obus(
      [1, 2, 3, 4].map((k): Av1Obu => ({ type: 5, header: 5 << 3, payload: new Uint8Array(k).fill(k) })),
    );
    const [packet] = packetize('av1', [{ data: many, keyframe: false }]);
    expect((packet!.payload[0]! >> 4) & 3).toBe(0);
    expect(depacketize('av1', [packet!])[0]?.data).toEqual(Uint8Array.from([0x12, 0x00, ...many]));
  });
});

describe('loss, reordering and stream selection', () => {
  const vp8Fixture = rtpFixtures.find((f) => f.name === 'vp8-320x180')!;
  const frames = fixtureFrames(vp8Fixture);

  it('reordered packets give the same frames', () => {
    for (const codec of ['vp8', 'vp9', 'h264', 'av1'] as const) {
      const fixture = rtpFixtures.find((f) => f.codec === codec)!;
      const packets = packetize(codec, fixtureFrames(fixture), { mtu: 300 });
      expect(depacketize(codec, shuffle(packets, 99))).toEqual(depacketize(codec, packets));
    }
  });

  it.each(['vp8', 'vp9', 'h264', 'av1'] as const)('%s: a frame that lost a packet is dropped', (codec) => {
    const fixture = rtpFixtures.find((f) => f.codec === codec)!;
    const source = fixtureFrames(fixture);
    const packets = packetize(codec, source, { mtu: 120 });
    // Frame 3's packets: lose the first, a middle one or the last (marker) in turn.
    const frame3 = packets.filter((p) => p.timestamp === 3 * 3000);
    expect(frame3.length).toBeGreaterThanOrEqual(2);
    for (const lost of [frame3[0]!, frame3[Math.floor(frame3.length / 2)]!, frame3.at(-1)!]) {
      const got = depacketize(
        codec,
        packets.filter((p) => p !== lost),
      );
      expect(got.map((f) => f.timestamp / 3000)).toEqual([...source.keys()].filter((i) => i !== 3));
      const kept = depacketize(
        codec,
        packets.filter((p) => p !== lost),
        { keepIncomplete: true },
      );
      expect(kept.find((f) => f.timestamp === 9000)?.complete).toBe(false);
    }
  });

  it('skipToKeyframeAfterLoss drops the rest of the group of pictures, also after a frame lost whole', () => {
    const packets = packetize('vp8', frames, { mtu: 300 });
    const expected = [0, 1, 2, ...Array.from({ length: 15 }, (_, i) => 15 + i)];
    const firstOf3 = packets.find((p) => p.timestamp === 3 * 3000)!;
    for (const kept of [packets.filter((p) => p !== firstOf3), packets.filter((p) => p.timestamp !== 3 * 3000)]) {
      const got = depacketize('vp8', kept, { skipToKeyframeAfterLoss: true });
      expect(got.map((f) => f.timestamp / 3000)).toEqual(expected);
      // Without the option, only the damaged frame goes (VP8 cannot see a frame that vanished whole).
      expect(depacketize('vp8', kept).length).toBeGreaterThanOrEqual(frames.length - 1);
    }
  });

  it('a capture that starts mid-frame drops the partial frame', () => {
    const packets = packetize('vp8', frames, { mtu: 100 });
    const firstOfFrame1 = packets.findIndex((p) => p.timestamp === 3000);
    const got = depacketize('vp8', packets.slice(firstOfFrame1 + 1));
    expect(got[0]?.timestamp).toBe(2 * 3000);
  });

  it('follows the SSRC with the most packets, or the one asked for; padding-only probes are ignored', () => {
    const main = packetize('vp8', frames);
    const stray = packetize('vp8', frames.slice(0, 2), { ssrc: 42, sequenceStart: 7 });
    const probe: RtpPacket = { ...main[0]!, sequence: 999, payload: new Uint8Array(0), padding: 200 };
    const mixed = shuffle([...main, ...stray, probe]);
    expect(depacketize('vp8', mixed)).toHaveLength(frames.length);
    expect(depacketize('vp8', mixed, { ssrc: 42 })).toHaveLength(2);
    expect(depacketize('vp8', mixed, { payloadType: 100 })).toHaveLength(0);
  });

  it('Opus: one frame per packet, in order, empty payloads kept', () => {
    const dtx = rtpFixtures.find((f) => f.name === 'opus-48k-webrtc-dtx')!;
    const source = fixtureFrames(dtx);
    expect(source.some((f) => f.data.length === 0)).toBe(true);
    const got = depacketize('opus', shuffle(packetize('opus', source)));
    expect(got.map((f) => f.data)).toEqual(source.map((f) => f.data));
  });
});

describe('payload formats by hand', () => {
  const rtp = (payload: Uint8Array, sequence: number, marker: boolean, timestamp = 0): RtpPacket => ({
    payloadType: 96,
    sequence,
    timestamp,
    ssrc: 1,
    marker,
    payload,
  });

  it('VP8: 7-bit picture ID, TL0PICIDX and TID/KEYIDX are skipped; keyframe from the P bit', () => {
    const key = hex('10 02 9d 01 2a'); // P bit 0
    const got = depacketize('vp8', [
      rtp(Uint8Array.from([0x90, 0xe0, 0x05, 0x07, 0x40, ...key.subarray(0, 2)]), 1, false), // X, I (7-bit), L, T
      rtp(Uint8Array.from([0x80, 0x10, 0xab, ...key.subarray(2)]), 2, true), // X, K only
    ]);
    expect(got).toEqual([{ timestamp: 0, data: key, keyframe: true, complete: true }]);
    // S=1 but PID 1: a later partition, not a frame start.
    expect(depacketize('vp8', [rtp(hex('11 00 00'), 1, true)])).toEqual([]);
  });

  it('VP9: two spatial layers make a superframe; non-flexible mode and a full scalability structure parse', () => {
    const layer0 = hex('82 49 83 42 00 01 02');
    const layer1 = hex('86 00 40 11 22');
    // Non-flexible (F=0): I (15-bit), L with TL0PICIDX; V with 2 layers' sizes and a 1-entry group with 2 refs.
    const ss = [0x38, 0x01, 0x40, 0x00, 0xf0, 0x02, 0x80, 0x01, 0xe0, 0x01, 0x08, 0x01, 0x02];
    const got = depacketize('vp9', [
      rtp(Uint8Array.from([0xaa, 0x81, 0x23, 0x00, 0x05, ...ss, ...layer0.subarray(0, 3)]), 10, false), // I L B V
      rtp(Uint8Array.from([0xa4, 0x81, 0x23, 0x00, 0x05, ...layer0.subarray(3)]), 11, false), // I L E
      rtp(Uint8Array.from([0xac, 0x81, 0x23, 0x02, 0x05, ...layer1]), 12, true), // I L B E, SID 1
    ]);
    expect(got).toHaveLength(1);
    expect(got[0]?.keyframe).toBe(true);
    expect(got[0]?.data).toEqual(vp9Superframe([layer0, layer1]));
    expect([...got[0]!.data.subarray(-4)]).toEqual([0xc1, 7, 5, 0xc1]); // 1-byte sizes, 2 frames
  });

  it('VP9: flexible-mode reference indices are skipped', () => {
    const frame = hex('86 00 40 11 22');
    const got = depacketize('vp9', [rtp(Uint8Array.from([0xdc, 0x81, 0x23, 0x03, 0x04, ...frame]), 1, true)]);
    // I P F B E; P_DIFF 1 with N=1, then P_DIFF 2 with N=0.
    expect(got[0]).toEqual({ timestamp: 0, data: frame, keyframe: false, complete: true });
  });

  it('H.264: STAP-A and FU-A rebuild NAL units with 4-byte start codes; an unfinished FU-A drops the frame', () => {
    const sps = hex('67 42 e0 1f aa');
    const pps = hex('68 ce 3c 80');
    const idr = hex('65 88 84 00 11 22 33 44');
    const stap = Uint8Array.from([0x78, 0, sps.length, ...sps, 0, pps.length, ...pps]);
    const fuStart = Uint8Array.from([0x7c, 0x85, ...idr.subarray(1, 4)]);
    const fuEnd = Uint8Array.from([0x7c, 0x45, ...idr.subarray(4)]);
    const got = depacketize('h264', [rtp(stap, 1, false), rtp(fuStart, 2, false), rtp(fuEnd, 3, true)]);
    expect(got).toEqual([{ timestamp: 0, data: joinAnnexB([sps, pps, idr]), keyframe: true, complete: true }]);
    const fuMiddle = Uint8Array.from([0x7c, 0x05, 0x00]);
    expect(depacketize('h264', [rtp(stap, 1, false), rtp(fuStart, 2, false), rtp(fuMiddle, 3, true)])).toEqual([]);
    // A frame whose first packet is an FU-A continuation lost its start.
    expect(depacketize('h264', [rtp(fuEnd, 3, true)])).toEqual([]);
  });

  it('AV1: OBUs that keep obu_has_size_field, W=2, fragments and a dangling fragment', () => {
    const sh = Uint8Array.of(0x0a, 2, 0xaa, 0xbb); // sequence header with size field
    const frameObu = Uint8Array.of(0x30, 1, 2, 3, 4, 5, 6); // OBU_FRAME without size field
    // Packet 1: W=2, N: [leb(4) sh] [frame part 1 (no size)], Y. Packet 2: Z, W=1: [frame part 2].
    const p1 = Uint8Array.from([0x40 | 0x20 | 0x08, 4, ...sh, ...frameObu.subarray(0, 3)]);
    const p2 = Uint8Array.from([0x80 | 0x10, ...frameObu.subarray(3)]);
    const got = depacketize('av1', [rtp(p1, 1, false), rtp(p2, 2, true)]);
    expect(got).toEqual([
      {
        timestamp: 0,
        data: Uint8Array.of(0x12, 0x00, 0x0a, 2, 0xaa, 0xbb, 0x32, 6, 1, 2, 3, 4, 5, 6),
        keyframe: true,
        complete: true,
      },
    ]);
    // The continuation never comes: incomplete (and the next frame starts with Z, so it is dropped too).
    expect(depacketize('av1', [rtp(p1, 1, true), rtp(p2, 2, true, 3000)])).toEqual([]);
  });
});

describe('estimateTone', () => {
  it('finds a sine and tells it from noise', () => {
    const sine = Float32Array.from({ length: 48_000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 48_000));
    const tone = estimateTone(sine)!;
    expect(Math.abs(tone.hz - 440)).toBeLessThan(0.5);
    expect(tone.purity).toBeGreaterThan(0.95);
    expect(tone.rms).toBeCloseTo(0.5 / Math.SQRT2, 2);
    let s = 1;
    const noise = Float32Array.from({ length: 48_000 }, () => {
      s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
      return s / 2 ** 30 - 1;
    });
    expect(estimateTone(noise)!.purity).toBeLessThan(0.05);
    expect(estimateTone(new Float32Array(48_000))).toBeUndefined();
  });
});

describe('startRtpSink', () => {
  it('collects RTP from UDP per port and counts what is not RTP', async () => {
    const sink = await startRtpSink({ videoStreams: 3 });
    const client = dgram.createSocket('udp4');
    try {
      expect(new Set([sink.audioPort, ...sink.videoPorts]).size).toBe(4);
      expect(sink.videoPort).toBe(sink.videoPorts[0]);
      const fixture = rtpFixtures.find((f) => f.name === 'vp8-320x180')!;
      const video = packetize('vp8', fixtureFrames(fixture));
      const audio = packetize('opus', fixtureFrames(rtpFixtures.find((f) => f.name === 'opus-48k')!));
      const send = (bytes: Uint8Array, port: number) =>
        new Promise<void>((resolve, reject) =>
          client.send(bytes, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
        );
      for (const p of video) await send(serializeRtp(p), sink.videoPort);
      for (const p of audio) await send(serializeRtp(p), sink.audioPort);
      await send(serializeRtp(video[0]!), sink.videoPorts[2]!);
      await send(hex('80c8 0006 a1b2c3d4 0000000000000000 00000000 00000000 00000000'), sink.videoPort);
      const got = await sink.waitForPackets('video', video.length);
      await sink.waitForPackets('audio', audio.length);
      await sink.waitForPackets('video', 1, 5_000, 2);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(sink.rejected('video')).toBe(1);
      expect(sink.packets('video', 1)).toHaveLength(0);
      expect(depacketize('vp8', got).map((f) => f.data)).toEqual(fixture.frames.map((f) => f.data));
      expect(depacketize('opus', sink.packets('audio'))).toHaveLength(audio.length);
      sink.clear();
      expect(sink.packets('video')).toHaveLength(0);
      await expect(sink.waitForPackets('audio', 1, 100)).rejects.toThrow(/0 of 1 audio/);
    } finally {
      client.close();
      await sink.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Browser: WebCodecs decoding

const FRAMINGS: Record<RtpCodec, Framing> = { vp8, vp9, h264, av1, opus };

/** A mask that is the same on every run. */
function mask(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let s = seed;
  for (let i = 0; i < length; i++) {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    out[i] = s >>> 16;
  }
  return out;
}

function xorFrom(data: Uint8Array, clear: number, seed: number): Uint8Array {
  const out = data.slice();
  const m = mask(out.length, seed);
  for (let i = clear; i < out.length; i++) out[i] = out[i]! ^ m[i]!;
  return out;
}

/**
 * "Encryption" that keeps the codec's header clear, as an SFrame sender with codec-aware framing does: VP8 10 bytes
 * (keyframe) / 3 bytes, VP9 10 / 3, Opus the TOC byte, H.264 parameter sets whole and the first 2 bytes of every
 * other NAL unit, AV1 OBU headers and sequence headers whole and the first 2 payload bytes of every other OBU.
 */
function scramble(codec: RtpCodec, data: Uint8Array, keyframe: boolean, seed: number): Uint8Array {
  switch (codec) {
    case 'vp8':
    case 'vp9':
      return xorFrom(data, keyframe ? 10 : 3, seed);
    case 'opus':
      return xorFrom(data, 1, seed);
    case 'h264':
      return joinAnnexB(
        splitAnnexB(data).map((nal, k) => {
          const type = nal[0]! & 0x1f;
          return type === 7 || type === 8 ? nal : xorFrom(nal, 2, seed + k);
        }),
      );
    case 'av1':
      return writeAv1Obus(
        (parseAv1Obus(data) ?? []).map((obu, k) =>
          obu.type === 1 || obu.type === 2 ? obu : { ...obu, payload: xorFrom(obu.payload, 2, seed + k) },
        ),
      );
  }
}

async function framelockProtect(codec: RtpCodec, frames: readonly { data: Uint8Array; keyframe: boolean }[]) {
  const framing = FRAMINGS[codec];
  const ctx = new SFrameContext(SUITE_FOR_KIND[framing.kind]);
  const kid = makeKid(1, 0x42n);
  await ctx.addKey(
    kid,
    new Uint8Array(16).map((_, i) => 7 * i + 3),
  );
  const out: { data: Uint8Array; keyframe: boolean }[] = [];
  for (const f of frames) {
    const result = await protectFrame(ctx, kid, framing, f.data);
    out.push({ data: result.frame, keyframe: f.keyframe });
  }
  return out;
}

const BLANK_PAGE = '<!doctype html><meta charset="utf-8"><title>rtp</title>';

describe.skipIf(!chromiumAvailable)('WebCodecs decoding of depacketized RTP (headless Chromium)', () => {
  let chromium: PlainBrowser;
  let server: http.Server;
  let page: Page;

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(BLANK_PAGE);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    chromium = await launchPlainChromium();
    page = await chromium.browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(await page.evaluate(() => isSecureContext && typeof VideoDecoder === 'function')).toBe(true);
  });

  afterAll(async () => {
    await chromium?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  const videoFixtures = rtpFixtures.filter(
    (f): f is RtpFixture & { codec: RtpVideoCodec } => f.codec !== 'opus' && f.name !== 'h264-4slices-320x180',
  );

  it.each(videoFixtures.map((f) => [f.name, f] as const))(
    '%s decodes every frame after an RTP round trip (MTU 1000)',
    async (_name, fixture) => {
      const frames = roundTrip(fixture.codec, fixtureFrames(fixture), 1000);
      expect(frames).toHaveLength(fixture.frames.length);
      const result = await decodeVideo(page, fixture.codec, frames);
      expect(result.errors).toEqual([]);
      expect(result.decoded).toBe(fixture.frames.length);
      // The fixtures show colour bars, a grey ramp and a counter: a picture of the right size, far from flat.
      const [w, h] = fixture.name.split('-').at(-1)!.split('x').map(Number);
      expect([result.samples?.width, result.samples?.height]).toEqual([w, h]);
      const spread = result.overall!.stdDev;
      expect(Math.max(spread.r, spread.g, spread.b)).toBeGreaterThan(40);
      expect(showsPattern(result.samples!)).toBe(false);
    },
  );

  it('x264 with 4 slices per frame decodes too (Annex B, 3-byte start codes in the source)', async () => {
    const fixture = rtpFixtures.find((f) => f.name === 'h264-4slices-320x180')!;
    const frames = roundTrip('h264', fixtureFrames(fixture), 1000);
    expect(videoCodecString('h264', frames)).toMatch(/^avc1\.[0-9a-f]{6}$/);
    const result = await decodeVideo(page, 'h264', frames);
    expect(result.errors).toEqual([]);
    expect(result.decoded).toBe(fixture.frames.length);
  });

  it('Opus: the 440 Hz fixture decodes to a 440 Hz tone', async () => {
    const fixture = rtpFixtures.find((f) => f.name === 'opus-48k')!;
    const result = await decodeAudio(page, roundTrip('opus', fixtureFrames(fixture)));
    expect(result.errors).toEqual([]);
    expect(result.decoded).toBe(fixture.frames.length);
    expect(Math.abs(result.toneHz! - 440)).toBeLessThan(2);
    expect(result.tonePurity).toBeGreaterThan(0.5);
    expect(result.rms).toBeGreaterThan(0.1);
  });

  it('Opus: scrambled or Framelock-protected payloads do not give the tone', async () => {
    const fixture = rtpFixtures.find((f) => f.name === 'opus-48k')!;
    const clear = fixtureFrames(fixture);
    const variants = {
      scrambled: clear.map((f, i) => ({ data: scramble('opus', f.data, true, 1000 + i), keyframe: true })),
      framelock: await framelockProtect('opus', clear),
    };
    for (const [name, frames] of Object.entries(variants)) {
      const result = await decodeAudio(page, roundTrip('opus', frames));
      const tone = result.toneHz !== undefined && Math.abs(result.toneHz - 440) < 5 && (result.tonePurity ?? 0) > 0.5;
      console.log(
        `opus ${name}: decoded ${result.decoded}/${result.fed}, errors ${result.errors.length}` +
          ` (${result.errors[0] ?? '-'}), tone ${result.toneHz} Hz purity ${result.tonePurity?.toFixed(3)}` +
          ` rms ${result.rms?.toFixed(3)}`,
      );
      expect(tone, name).toBe(false);
    }
  });

  describe.each(['vp8', 'vp9', 'h264', 'av1'] as const)('%s quadrant pattern', (codec) => {
    let clear: { data: Uint8Array; keyframe: boolean; timestamp: number }[];

    beforeAll(async () => {
      clear = await encodeTestPattern(page, codec, { width: 320, height: 240, frames: 12, keyframeInterval: 6 });
    });

    it('shows the pattern after packetize → UDP-shaped bytes → reordered → depacketize', async () => {
      expect(clear[0]?.keyframe).toBe(true);
      const frames: EncodedFrame[] = depacketize(codec, shuffle(wire(packetize(codec, clear, { mtu: 500 }))));
      expect(frames).toHaveLength(clear.length);
      const result = await decodeVideo(page, codec, frames, { width: 320, height: 240 });
      expect(result.errors).toEqual([]);
      expect(result.decoded).toBe(clear.length);
      expect(patternMismatches(result.samples!), describeSamples(result.samples!)).toEqual([]);
    });

    it('does not show it when the payload after the codec header is XOR-scrambled', async () => {
      const scrambled = clear.map((f, i) => ({ ...f, data: scramble(codec, f.data, f.keyframe, 100 + i) }));
      const result = await decodeVideo(page, codec, roundTrip(codec, scrambled, 500), { width: 320, height: 240 });
      console.log(
        `${codec} scrambled: fed ${result.fed}, decoded ${result.decoded}, errors ${result.errors.length}` +
          ` (${result.errors[0] ?? '-'})${result.samples ? `, last: ${describeSamples(result.samples)}` : ''}`,
      );
      // Fed, or refused at decode() (Chromium checks that an AV1 `key` chunk is a keyframe: DataError).
      expect(result.fed + result.errors.length).toBeGreaterThan(0);
      expect(result.samples !== undefined && showsPattern(result.samples)).toBe(false);
    });

    it('does not show it when the frames are protected by Framelock (SFrame)', async () => {
      const protectedFrames = await framelockProtect(codec, clear);
      const result = await decodeVideo(page, codec, roundTrip(codec, protectedFrames, 500), {
        width: 320,
        height: 240,
      });
      console.log(
        `${codec} framelock: fed ${result.fed}, decoded ${result.decoded}, errors ${result.errors.length}` +
          ` (${result.errors[0] ?? '-'})${result.samples ? `, last: ${describeSamples(result.samples)}` : ''}`,
      );
      // Fed, or refused at decode() (Chromium checks that an AV1 `key` chunk is a keyframe: DataError).
      expect(result.fed + result.errors.length).toBeGreaterThan(0);
      expect(result.samples !== undefined && showsPattern(result.samples)).toBe(false);
    });
  });
});
