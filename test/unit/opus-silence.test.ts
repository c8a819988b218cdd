/**
 * Format v5's Opus layout (src/codecs/opus.ts): a protected Opus frame is a valid Opus packet whose frames are all
 * empty, so a decoder without the key conceals them (silence) instead of decoding ciphertext (noise). Checked with a
 * packet parser written here from RFC 6716 §3.2 and libopus's opus_packet_parse, independent of the code under test;
 * the real decoders (Chromium's, Firefox's, Janus's audiobridge) are checked by test/browser/opus-silence.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  makeKid,
  opus,
  protectFrame,
  SUITE_FOR_KIND,
  senderIdOf,
  TAG_LENGTH,
  trailerLength,
  unprotectFrame,
} from '../../src/codecs';
import { SFrameContext } from '../../src/sframe';
import { fixtures } from './fixtures';

interface ParsedPacket {
  frameSizes: number[];
  /** 48 kHz samples the packet lasts. */
  samples: number;
}

/** Samples per frame at 48 kHz for a TOC (RFC 6716 §3.1 table 2). */
function samplesPerFrame(toc: number): number {
  const config = toc >> 3;
  if (config < 12) return [480, 960, 1920, 2880][config & 3] ?? 0;
  if (config < 16) return (config & 1) === 1 ? 960 : 480;
  return [120, 240, 480, 960][config & 3] ?? 0;
}

/** RFC 6716 §3.2's frame length coding: 1 byte below 252, else 2. */
function frameLength(bytes: Uint8Array, at: number): [number, number] | undefined {
  const first = bytes[at];
  if (first === undefined) return undefined;
  if (first < 252) return [first, 1];
  const second = bytes[at + 1];
  return second === undefined ? undefined : [first + 4 * second, 2];
}

/** Parses an Opus packet as a decoder does (RFC 6716 §3.2, requirements R1-R7); undefined when it is invalid. */
function parseOpusPacket(packet: Uint8Array): ParsedPacket | undefined {
  const toc = packet[0];
  if (toc === undefined) return undefined;
  const per = samplesPerFrame(toc);
  let at = 1;
  let left = packet.length - 1;
  const code = toc & 3;
  let sizes: number[];
  if (code === 0) {
    sizes = [left];
  } else if (code === 1) {
    if (left % 2 !== 0) return undefined;
    sizes = [left / 2, left / 2];
  } else if (code === 2) {
    const first = frameLength(packet, at);
    if (first === undefined) return undefined;
    left -= first[1];
    at += first[1];
    if (first[0] > left) return undefined;
    sizes = [first[0], left - first[0]];
  } else {
    const ch = packet[at++];
    left--;
    if (ch === undefined) return undefined;
    const count = ch & 0x3f;
    if (count === 0 || count * per > 5760) return undefined;
    if (ch & 0x40) {
      let byte: number;
      do {
        byte = packet[at++] ?? -1;
        if (byte < 0) return undefined;
        left--;
        left -= byte === 255 ? 254 : byte;
      } while (byte === 255);
    }
    if (left < 0) return undefined;
    if (ch & 0x80) {
      sizes = [];
      let last = left;
      for (let i = 0; i < count - 1; i++) {
        const size = frameLength(packet, at);
        if (size === undefined) return undefined;
        at += size[1];
        left -= size[1];
        if (size[0] > left) return undefined;
        sizes.push(size[0]);
        last -= size[1] + size[0];
      }
      if (last < 0) return undefined;
      sizes.push(last);
    } else {
      if (left % count !== 0) return undefined;
      sizes = Array(count).fill(left / count);
    }
  }
  if (sizes.some((s) => s > 1275)) return undefined;
  if (sizes.length * per > 5760) return undefined;
  return { frameSizes: sizes, samples: sizes.length * per };
}

const kid = makeKid(3, senderIdOf(0x5a5_a5a5_a5a5n, 7));
async function contexts(): Promise<{ sender: SFrameContext; receiver: SFrameContext }> {
  const key = crypto.getRandomValues(new Uint8Array(16));
  const sender = new SFrameContext(SUITE_FOR_KIND.audio);
  const receiver = new SFrameContext(SUITE_FOR_KIND.audio);
  await sender.addKey(kid, key);
  await receiver.addKey(kid, key);
  return { sender, receiver };
}

/** A valid Opus packet of any code, from fast-check. */
const validPacket = fc
  .record({
    config: fc.integer({ min: 0, max: 31 }),
    stereo: fc.boolean(),
    code: fc.integer({ min: 0, max: 3 }),
    sizes: fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 6 }),
    fill: fc.integer({ min: 0, max: 255 }),
  })
  .map(({ config, stereo, code, sizes, fill }) => {
    const toc = (config << 3) | (stereo ? 4 : 0) | code;
    const per = samplesPerFrame(toc);
    const body = (n: number) => Array.from({ length: n }, (_, i) => (fill + i * 31) & 0xff);
    if (code === 0) return Uint8Array.from([toc, ...body(sizes[0] ?? 0)]);
    if (code === 1) return Uint8Array.from([toc, ...body(2 * Math.min(sizes[0] ?? 0, 251))]);
    if (code === 2) {
      const first = Math.min(sizes[0] ?? 0, 251);
      return Uint8Array.from([toc, first, ...body(first + (sizes[1] ?? 0))]);
    }
    const count = Math.max(1, Math.min(sizes.length, Math.floor(5760 / per)));
    const each = Math.min(sizes[0] ?? 0, 200);
    return Uint8Array.from([toc, count, ...body(each * count)]); // CBR, no padding
  })
  .filter((packet) => parseOpusPacket(packet) !== undefined);

describe('Opus frames protected by format v5, as a decoder without the key reads them', () => {
  it('the parser written here reads the real encoder frames as valid packets (it is a real parser)', () => {
    const real = fixtures.filter((f) => f.codec === 'opus').flatMap((f) => f.frames.map((x) => x.data));
    expect(real.length).toBeGreaterThan(50);
    for (const frame of real.filter((f) => f.length > 0)) {
      const parsed = parseOpusPacket(frame);
      expect(parsed).toBeDefined();
      expect(parsed?.samples).toBe(960); // libwebrtc: 20 ms packets
    }
    expect(parseOpusPacket(Uint8Array.from([0xfb, 0x00]))).toBeUndefined(); // code 3 with 0 frames
    expect(parseOpusPacket(Uint8Array.from([0xf9, 1, 2, 3]))).toBeUndefined(); // code 1, odd length
  });

  it('every real encoder frame becomes a valid packet of empty frames lasting as long, and decrypts back', async () => {
    const { sender, receiver } = await contexts();
    const real = fixtures.filter((f) => f.codec === 'opus').flatMap((f) => f.frames.map((x) => x.data));
    for (const frame of real.filter((f) => f.length > 0)) {
      const sent = await protectFrame(sender, kid, opus, frame);
      if (sent.status !== 'protected') throw new Error('not protected');
      const seen = parseOpusPacket(sent.frame);
      expect(seen).toBeDefined();
      expect(seen?.frameSizes.every((size) => size === 0)).toBe(true);
      expect(seen?.samples).toBe(parseOpusPacket(frame)?.samples);
      // Mode, bandwidth, frame size and stereo stay readable (an SFU's audio-level or codec checks).
      expect((sent.frame[0] ?? 0) >> 2).toBe((frame[0] ?? 0) >> 2);
      const got = await unprotectFrame(receiver, opus, sent.frame);
      expect(got).toMatchObject({ status: 'decrypted', frame });
    }
  });

  it('any valid packet, of any code: the same, for every counter length and with a control region', async () => {
    const { sender, receiver } = await contexts();
    await fc.assert(
      fc.asyncProperty(validPacket, fc.boolean(), async (packet, withRegion) => {
        const region = withRegion ? Uint8Array.from([...Array(120).fill(0x5c), 1, 0, 0, 120]) : undefined;
        const sent = await protectFrame(sender, kid, opus, packet, region);
        if (sent.status !== 'protected') throw new Error('not protected');
        const seen = parseOpusPacket(sent.frame);
        expect(seen).toBeDefined();
        expect(seen?.frameSizes.every((size) => size === 0)).toBe(true);
        expect(seen?.samples).toBe(parseOpusPacket(packet)?.samples);
        expect(await unprotectFrame(receiver, opus, sent.frame)).toMatchObject({ status: 'decrypted', frame: packet });
      }),
      { numRuns: 300 },
    );
  });

  it('costs 2 bytes more than format v4 up to 254 bytes of padding (speech), one more per 254 bytes after', async () => {
    const { sender } = await contexts();
    for (const length of [1, 3, 60, 120, 200, 236, 237, 238, 300, 490, 491, 492]) {
      const packet = Uint8Array.from({ length }, (_, i) => (i === 0 ? 0xfc : i & 0xff));
      const sent = await protectFrame(sender, kid, opus, packet);
      if (sent.status !== 'protected') throw new Error('not protected');
      const out = sent.frame;
      const trailer = trailerLength((i) => out[out.length - 1 - i], TAG_LENGTH.audio) ?? Number.NaN;
      // Format v4 sent the TOC, the ciphertext (length - 1 bytes) and the trailer: `length + trailer` bytes.
      const padding = length - 1 + trailer;
      expect(out.length - (length + trailer), `${length}-byte packet`).toBe(
        padding <= 254 ? 2 : padding <= 508 ? 3 : 4,
      );
    }
  });

  it('a shape no sender writes is not read as a protected Opus frame', async () => {
    const { sender, receiver } = await contexts();
    const sent = await protectFrame(sender, kid, opus, Uint8Array.from([0x78, ...Array(60).fill(0x42)]));
    if (sent.status !== 'protected') throw new Error('not protected');
    const frame = sent.frame;
    const variants: Array<[string, Uint8Array]> = [
      ['code 0 TOC', Uint8Array.from([(frame[0] ?? 0) & 0xfc, ...frame.subarray(1)])],
      ['no padding flag', Uint8Array.from([frame[0] ?? 0, (frame[1] ?? 0) & ~0x40, ...frame.subarray(2)])],
      ['0 frames', Uint8Array.from([frame[0] ?? 0, 0x40, ...frame.subarray(2)])],
      ['padding one short', Uint8Array.from([frame[0] ?? 0, frame[1] ?? 0, (frame[2] ?? 0) - 1, ...frame.subarray(3)])],
    ];
    // 254 bytes of padding: 254, never 255 0.
    for (let length = 220; length < 260; length++) {
      const packet = Uint8Array.from({ length }, (_, i) => (i === 0 ? 0xfc : i & 0xff));
      const at254 = await protectFrame(sender, kid, opus, packet);
      if (at254.status !== 'protected' || at254.frame[2] !== 254) continue;
      const f = at254.frame;
      expect(await unprotectFrame(receiver, opus, f)).toMatchObject({ status: 'decrypted' });
      variants.push(['non-minimal length', Uint8Array.from([f[0] ?? 0, f[1] ?? 0, 255, 0, ...f.subarray(3)])]);
      break;
    }
    expect(variants.map(([name]) => name)).toContain('non-minimal length');
    for (const [name, bad] of variants) {
      const got = await unprotectFrame(receiver, opus, bad);
      expect(got.status, name).not.toBe('decrypted');
    }
  });
});
