/**
 * Framelock frame format known-answer vectors (test/vectors/framelock-frames-v5.json): frozen bytes, made once per
 * format version, so a change to the AAD, the trailer, the control region, a codec's clear bytes or the key schedule
 * fails here even when sender and receiver change together.
 */
import { describe, expect, it } from 'vitest';
import { CODEC_ID, FORMAT_VERSION, inspectFrame, SUITE_FOR_KIND, unprotectFrame } from '../../src/codecs';
import { SFrameContext } from '../../src/sframe';
import { type FrameVector, hex, protectAt, readFrameVectors, V4_FRAME_VECTORS_FILE } from './frame-vectors';

const { formatVersion, vectors } = readFrameVectors();

async function receiver(v: FrameVector): Promise<SFrameContext> {
  const ctx = new SFrameContext(v.suite);
  await ctx.addKey(v.kid, v.baseKey);
  return ctx;
}

/** Bytes the counter takes in the SFrame header (RFC 9605 §4.3): 0 below 8. */
function ctrBytes(ctr: number): number {
  let length = 0;
  if (ctr >= 8) for (let v = ctr; v > 0; v = Math.floor(v / 256)) length++;
  return length;
}

describe('frozen frame vectors', () => {
  it('are this format version’s, and cover every codec path with its kind’s suite', () => {
    expect(formatVersion).toBe(FORMAT_VERSION);
    const paths = new Set(vectors.map((v) => `${v.framing.kind}/${v.stored.codec}/${v.suite}`));
    expect([...paths].sort()).toEqual([
      `audio/generic/${SUITE_FOR_KIND.audio}`,
      `audio/opus/${SUITE_FOR_KIND.audio}`,
      ...['av1', 'generic', 'h264', 'h265', 'vp8', 'vp9'].map((c) => `video/${c}/${SUITE_FOR_KIND.video}`),
    ]);
    const names = vectors.map((v) => v.stored.name);
    for (const needed of ['vp8-key', 'vp8-delta', 'vp9-key', 'vp9-delta', 'h264-key', 'h265-key', 'av1-key']) {
      expect(names).toContain(needed);
    }
    // Opus: speech, and the tiny DTX frames that are now protected too.
    expect(vectors.filter((v) => v.stored.codec === 'opus').map((v) => v.plaintext.length)).toEqual(
      expect.arrayContaining([1, 3, expect.any(Number)]),
    );
  });

  it('cover control regions: on every codec path, n = 1, mid sizes and 255, one escaped in H.264', () => {
    const withRegion = vectors.filter((v) => v.control !== undefined);
    const paths = new Set(withRegion.map((v) => `${v.framing.kind}/${v.stored.codec}`));
    expect([...paths].sort()).toEqual([
      'audio/generic',
      'audio/opus',
      ...['av1', 'generic', 'h264', 'h265', 'vp8', 'vp9'].map((c) => `video/${c}`),
    ]);
    const sizes = withRegion.map((v) => (v.control?.length ?? 0) - 4);
    expect(sizes).toEqual(expect.arrayContaining([1, 255]));
    expect(sizes.some((n) => n > 1 && n < 255)).toBe(true);
    // H.264: a region with 00 00 0x runs, escaped on the wire: more bytes to flip than the region has.
    expect(
      withRegion.some(
        (v) => v.stored.codec === 'h264' && (v.stored.flip.control?.length ?? 0) > (v.control?.length ?? 0),
      ),
    ).toBe(true);
  });

  it('cover both counter parities at every CTR length, a region exactly on the odd ones', () => {
    for (const v of vectors) expect(v.ctr % 2 === 1).toBe(v.control !== undefined);
    const seen = new Set(vectors.map((v) => `${ctrBytes(v.ctr)}/${v.ctr % 2}`));
    for (let length = 0; length <= 4; length++) {
      expect(seen).toContain(`${length}/0`);
      expect(seen).toContain(`${length}/1`);
    }
  });
});

describe.each(vectors.map((v) => [v.stored.name, v] as const))('%s', (_, v) => {
  it('protecting the plaintext gives exactly the frozen bytes', async () => {
    const { frame, codec } = await protectAt(v);
    expect(codec).toBe(v.stored.codec);
    expect(hex(frame)).toBe(v.stored.protected);
  });

  it('authenticates exactly the frozen metadata, the control region last', () => {
    const layout = v.framing.layout(v.plaintext);
    const metadata = [FORMAT_VERSION, CODEC_ID[layout.codec], ...layout.metadata, ...(v.control ?? [])];
    expect(hex(Uint8Array.from(metadata))).toBe(v.stored.metadata);
  });

  it('the frozen bytes decrypt, and show their control region raw', async () => {
    const seen = inspectFrame(v.framing, v.protected);
    expect(seen).toMatchObject({ protected: true, kid: v.kid, found: { ctr: v.ctr } });
    expect(seen.protected && seen.found.control).toEqual(v.control);
    const got = await unprotectFrame(await receiver(v), v.framing, v.protected);
    expect(got.status === 'decrypted' ? hex(got.frame) : got).toBe(hex(v.decrypted));
    expect(got).toMatchObject({ kid: v.kid, codec: v.stored.codec });
  });

  it('one flipped bit in the clear header, the trailer, the control region or the ciphertext: refused', async () => {
    const { flip } = v.stored;
    // Every class has a byte to flip, or the vector has no such bytes at all, for a stated reason:
    expect(flip.trailer.length).toBeGreaterThanOrEqual(17);
    expect(flip.control?.length ?? 0).toBeGreaterThanOrEqual(v.control?.length ?? 0);
    if (flip.clear.length === 0) expect(v.stored.codec).toBe('generic'); // protected whole: no clear byte
    if (flip.ciphertext.length === 0) expect(v.plaintext.length).toBe(1); // 1-byte Opus DTX: its TOC, all clear
    const ctx = await receiver(v);
    for (const [what, offsets] of Object.entries(flip)) {
      for (const offset of offsets) {
        expect(offset).toBeLessThan(v.protected.length);
        for (const bit of [0x01, 0x80]) {
          const altered = v.protected.slice();
          altered[offset] = (altered[offset] ?? 0) ^ bit;
          const got = await unprotectFrame(ctx, v.framing, altered);
          expect(got.status, `${what} byte ${offset}, bit ${bit}`).not.toBe('decrypted');
        }
      }
    }
    // The same receiver still takes the frame as it was sent: the refusals were the flips'.
    expect((await unprotectFrame(ctx, v.framing, v.protected)).status).toBe('decrypted');
  });
});

describe('format v4’s frozen frames (framelock-frames-v4.json), at a v5 receiver with their keys', () => {
  const older = readFrameVectors(V4_FRAME_VECTORS_FILE);

  it('are each reported as an older Framelock’s frame, never decrypted and never taken as plaintext', async () => {
    expect(older.formatVersion).toBe(4);
    expect(older.vectors.length).toBeGreaterThan(20);
    for (const v of older.vectors) {
      expect(inspectFrame(v.framing, v.protected), v.stored.name).toEqual({
        protected: false,
        found: 'older_format',
        kid: v.kid,
      });
      expect(await unprotectFrame(await receiver(v), v.framing, v.protected), v.stored.name).toEqual({
        status: 'failed',
        reason: 'older_format',
        kid: v.kid,
      });
    }
  });
});
