/**
 * Framelock frame format known-answer vectors (test/vectors/framelock-frames.json): frozen bytes, made once per format
 * version, so a change to the AAD, the trailer, a codec's clear bytes or the key schedule fails here even when sender
 * and receiver change together.
 */
import { describe, expect, it } from 'vitest';
import { CODEC_ID, FORMAT_VERSION, SUITE_FOR_KIND, unprotectFrame } from '../../src/codecs';
import { SFrameContext } from '../../src/sframe';
import { type FrameVector, hex, protectAt, readFrameVectors } from './frame-vectors';

const { formatVersion, vectors } = readFrameVectors();

async function receiver(v: FrameVector): Promise<SFrameContext> {
  const ctx = new SFrameContext(v.suite);
  await ctx.addKey(v.kid, v.baseKey);
  return ctx;
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
});

describe.each(vectors.map((v) => [v.stored.name, v] as const))('%s', (_, v) => {
  it('protecting the plaintext gives exactly the frozen bytes', async () => {
    const { frame, codec } = await protectAt(v);
    expect(codec).toBe(v.stored.codec);
    expect(hex(frame)).toBe(v.stored.protected);
  });

  it('authenticates exactly the frozen metadata', () => {
    const layout = v.framing.layout(v.plaintext);
    expect(hex(Uint8Array.from([FORMAT_VERSION, CODEC_ID[layout.codec], ...layout.metadata]))).toBe(v.stored.metadata);
  });

  it('the frozen bytes decrypt', async () => {
    const got = await unprotectFrame(await receiver(v), v.framing, v.protected);
    expect(got.status === 'decrypted' ? hex(got.frame) : got).toBe(hex(v.decrypted));
    expect(got).toMatchObject({ kid: v.kid, codec: v.stored.codec });
  });

  it('one flipped bit in the clear header, the trailer or the ciphertext: refused', async () => {
    const { flip } = v.stored;
    // Every class has a byte to flip, or the vector has no such bytes at all, for a stated reason:
    expect(flip.trailer.length).toBeGreaterThanOrEqual(17);
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
