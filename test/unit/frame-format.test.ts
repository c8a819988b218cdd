/**
 * Frame format v4 (src/codecs/format.ts, control-region.ts, protect.ts): the KID layout, the control region carried
 * by frames with an odd counter, the trailer measured from the frame's end, and frames of format v1-v3 told apart.
 * Real encoder frames through every codec framing and its depacketizers are in codecs.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  av1,
  CONTROL_PAYLOAD_MAX,
  checkControlRegion,
  type Framing,
  genericAudio,
  genericVideo,
  h264,
  h265,
  inspectFrame,
  isFramelockKid,
  isOlderFormatKid,
  kidEpoch,
  kidGeneration,
  kidParticipant,
  kidSenderId,
  kidTrack,
  makeControlRegion,
  makeKid,
  opus,
  protectFrame,
  readControlRegion,
  SUITE_FOR_KIND,
  senderIdOf,
  trailerLength,
  unprotectFrame,
  vp8,
  vp9,
} from '../../src/codecs';
import { findNalUnits } from '../../src/codecs/h26x';
import { SFrameContext } from '../../src/sframe';
import { hexToBytes } from '../../src/shared/bytes';

const baseKey = new Uint8Array(16).map((_, i) => 5 * i + 2);
const kid = makeKid(3, senderIdOf(0x5eed_1234_abcn, 7));

async function contexts(framing: Framing) {
  const suite = SUITE_FOR_KIND[framing.kind];
  const sender = new SFrameContext(suite);
  const receiver = new SFrameContext(suite);
  await sender.addKey(kid, baseKey);
  await receiver.addKey(kid, baseKey);
  return { sender, receiver };
}

async function protect(sender: SFrameContext, framing: Framing, frame: Uint8Array, control?: Uint8Array) {
  const sent = await protectFrame(sender, kid, framing, frame, control);
  if (sent.status !== 'protected') throw new Error('not protected');
  return sent.frame;
}

/** The counter of a protected frame, as the receiver reads it. */
function ctrOf(framing: Framing, frame: Uint8Array): number {
  const seen = inspectFrame(framing, frame);
  if (!seen.protected) throw new Error(`not ours: ${seen.found}`);
  return seen.found.ctr;
}

const region = (n: number, fill = 0x5a, msgId = 9, index = 1, last = 2) =>
  makeControlRegion(
    new Uint8Array(n).map((_, i) => (fill + i) & 0xff),
    msgId,
    index,
    last,
  );

/** A frame each framing parses as its own (not the generic fallback). */
const FRAMES: readonly [string, Framing, Uint8Array][] = [
  ['vp8 key', vp8, Uint8Array.from([0x50, 0x2b, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00, ...Array(40).fill(7)])],
  ['vp8 delta', vp8, Uint8Array.from([0x51, 0x11, 0x00, ...Array(30).fill(9)])],
  ['vp9', vp9, Uint8Array.from([0x86, 0x00, 0x40, 0x92, ...Array(30).fill(3)])],
  ['opus', opus, Uint8Array.from([0x78, ...Array(60).fill(0x42)])],
  ['opus dtx', opus, Uint8Array.from([0xf8])],
  ['h264', h264, Uint8Array.from([0, 0, 0, 1, 0x67, 0x42, 0x80, 0x1e, 0, 0, 1, 0x65, 0xe4, ...Array(30).fill(0x11)])],
  ['h265', h265, Uint8Array.from([0, 0, 0, 1, 0x26, 0x01, 0xe0, ...Array(30).fill(0x22)])],
  ['av1', av1, Uint8Array.from([0x12, 0x00, 0x0a, 0x03, 0x01, 0x02, 0x03, 0x32, 0x05, 1, 2, 3, 4, 5])],
  ['generic video', genericVideo, Uint8Array.from(Array(25).fill(0x33))],
  ['generic audio', genericAudio, Uint8Array.from(Array(25).fill(0x44))],
];

describe('KID layout v5', () => {
  it('keeps marker, generation, participant and track apart', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 15 }),
        fc.bigInt({ min: 0n, max: (1n << 44n) - 1n }),
        fc.integer({ min: 0, max: 4095 }),
        (gen, participant, track) => {
          const sender = senderIdOf(participant, track);
          const k = makeKid(gen, sender);
          expect(k >> 60n).toBe(0xdn);
          expect(isFramelockKid(k)).toBe(true);
          expect(isOlderFormatKid(k)).toBe(false);
          expect(kidGeneration(k)).toBe(gen);
          expect(kidEpoch(k)).toBe(gen);
          expect(kidSenderId(k)).toBe(sender);
          expect(kidParticipant(k)).toBe(participant);
          expect(kidTrack(k)).toBe(track);
        },
      ),
    );
    expect(makeKid(0xa, senderIdOf(0x123_4567_89abn, 0xcde))).toBe(0xda12_3456_789a_bcden);
  });

  it('refuses what does not fit', () => {
    expect(() => senderIdOf(1n << 44n, 0)).toThrow(RangeError);
    expect(() => senderIdOf(-1n, 0)).toThrow(RangeError);
    expect(() => senderIdOf(1n, 4096)).toThrow(RangeError);
    expect(() => senderIdOf(1n, -1)).toThrow(RangeError);
    expect(() => senderIdOf(1n, 1.5)).toThrow(RangeError);
    expect(() => makeKid(16, 1n)).toThrow(RangeError);
    expect(() => makeKid(0, 1n << 56n)).toThrow(RangeError);
  });

  it('tells a v1-v3 KID (marker 0b1011) and a v4 KID (0b1100) from ours and from anything else', () => {
    for (const older of [0xb1c0_ffee_5a12_3457n, 0xc1c0_ffee_5a12_3457n]) {
      expect(isOlderFormatKid(older)).toBe(true);
      expect(isFramelockKid(older)).toBe(false);
    }
    expect(isFramelockKid(0xd1c0_ffee_5a12_3457n)).toBe(true);
    expect(isOlderFormatKid(0xd1c0_ffee_5a12_3457n)).toBe(false);
    for (const other of [0xa1c0_ffee_5a12_3457n, 0xe1c0_ffee_5a12_3457n]) {
      expect(isOlderFormatKid(other)).toBe(false);
      expect(isFramelockKid(other)).toBe(false);
    }
  });
});

describe('control region', () => {
  it('is payload || msg id || index || last || n, and reads back', () => {
    expect([...makeControlRegion(Uint8Array.from([0xaa, 0xbb]), 7, 1, 3)]).toEqual([0xaa, 0xbb, 7, 1, 3, 2]);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        (payload, msgId, a, b) => {
          const [index, last] = a <= b ? [a, b] : [b, a];
          const r = makeControlRegion(payload, msgId, index, last);
          expect(r.length).toBe(payload.length + 4);
          expect(readControlRegion(r)).toEqual({ payload, msgId, index, last });
          expect(() => checkControlRegion(r)).not.toThrow();
        },
      ),
    );
  });

  it('refuses shapes a sender never writes', () => {
    expect(() => makeControlRegion(new Uint8Array(0), 0, 0, 0)).toThrow(RangeError);
    expect(() => makeControlRegion(new Uint8Array(CONTROL_PAYLOAD_MAX + 1), 0, 0, 0)).toThrow(RangeError);
    expect(() => makeControlRegion(new Uint8Array(1), 256, 0, 0)).toThrow(RangeError);
    expect(() => makeControlRegion(new Uint8Array(1), 0, 2, 1)).toThrow(RangeError);
    expect(() => makeControlRegion([1] as unknown as Uint8Array, 0, 0, 0)).toThrow(TypeError);
    for (const bad of [[], [1, 0, 0, 0, 0], [1, 0, 0, 0, 2], [1, 0, 2, 1, 1], [1, 2, 0, 0, 0, 1], [0, 0, 0, 1]]) {
      expect(readControlRegion(Uint8Array.from(bad))).toBeUndefined();
      expect(() => checkControlRegion(Uint8Array.from(bad))).toThrow(RangeError);
    }
    expect(() => checkControlRegion('region')).toThrow(TypeError);
  });
});

describe('trailer length, read backwards', () => {
  /** A reader over `bytes` that records which bytes from the end were asked for. */
  const reader = (bytes: readonly number[]) => {
    const asked: number[] = [];
    const byteAt = (i: number) => {
      asked.push(i);
      return bytes[bytes.length - 1 - i];
    };
    return { byteAt, asked };
  };
  const kidBytes = [0xc3, 1, 2, 3, 4, 5, 6, 7];
  const tag = Array(16).fill(0xee);

  it('even CTR: tag and header only; odd: tag, region and header; v1-v3: never a region', () => {
    // config 1111 0 CCC: CTR in the config byte.
    expect(trailerLength(reader([...tag, ...kidBytes, 0xf2]).byteAt, 16)).toBe(16 + 9);
    const r = [...region(3)];
    expect(trailerLength(reader([...tag, ...r, ...kidBytes, 0xf3]).byteAt, 16)).toBe(16 + 7 + 9);
    // config 1111 1 001: a 2-byte CTR whose last byte (right before the KID) has the parity.
    expect(trailerLength(reader([...tag, 0x12, 0x34, ...kidBytes, 0xf9]).byteAt, 16)).toBe(16 + 11);
    expect(trailerLength(reader([...tag, ...r, 0x12, 0x35, ...kidBytes, 0xf9]).byteAt, 16)).toBe(16 + 7 + 11);
    const older = [0xb3, 1, 2, 3, 4, 5, 6, 7];
    expect(trailerLength(reader([...tag, ...older, 0xf3]).byteAt, 16)).toBe(16 + 9);
    expect(trailerLength(reader([...tag, 0x12, 0x35, ...older, 0xf9]).byteAt, 16)).toBe(16 + 11);
  });

  it('not ours: no config byte, no marker, a region never written, bytes missing', () => {
    expect(trailerLength(reader([...tag, ...kidBytes, 0x72]).byteAt, 16)).toBeUndefined();
    expect(trailerLength(reader([...tag, 0x13, 1, 2, 3, 4, 5, 6, 7, 0xf2]).byteAt, 16)).toBeUndefined();
    expect(trailerLength(reader([...tag, 9, 0, 0, 0, 0, ...kidBytes, 0xf3]).byteAt, 16)).toBeUndefined(); // n = 0
    expect(trailerLength(reader([...tag, 9, 0, 3, 2, 1, ...kidBytes, 0xf3]).byteAt, 16)).toBeUndefined(); // 3 > 2
    expect(trailerLength(reader([2, 1, ...kidBytes, 0xf3]).byteAt, 16)).toBeUndefined(); // index missing
    expect(trailerLength(reader([...kidBytes.slice(1), 0xf3]).byteAt, 16)).toBeUndefined();
    expect(trailerLength(reader([]).byteAt, 16)).toBeUndefined();
  });

  it('reads only bytes inside the trailer it measures (what lets H.26x unescape lazily)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (bytes) => {
        const { byteAt, asked } = reader([...bytes]);
        const total = trailerLength(byteAt, 8);
        if (total !== undefined) for (const i of asked) expect(i).toBeLessThan(total);
      }),
    );
  });
});

describe.each(FRAMES)('%s: a control region', (_, framing, frame) => {
  it.each([1, 77, 255])('of %i bytes rides an odd counter, is exposed raw and decrypts', async (n) => {
    const { sender, receiver } = await contexts(framing);
    const control = region(n, n === 1 ? 0 : 0xf0);
    const plain = await protect(sender, framing, frame);
    const withRegion = await protect(sender, framing, frame, control);
    const after = await protect(sender, framing, frame);
    expect([ctrOf(framing, plain), ctrOf(framing, withRegion), ctrOf(framing, after)]).toEqual([0, 1, 2]);
    // Exactly n + 4 bytes more than the same frame without, at a counter of the same header length.
    expect(withRegion.length - plain.length).toBeGreaterThanOrEqual(n + 4);
    // H.26x: escaping may add bytes; AV1: the last OBU's size field may grow by a byte.
    if (framing === opus) {
      // The region is Opus padding too: past 254 bytes of padding, its length takes one byte more.
      expect(withRegion.length - plain.length).toBeLessThanOrEqual(n + 5);
    } else if (framing !== h264 && framing !== h265 && framing !== av1) {
      expect(withRegion.length - plain.length).toBe(n + 4);
    }
    for (const [sent, expected] of [
      [plain, undefined],
      [withRegion, control],
      [after, undefined],
    ] as const) {
      const seen = inspectFrame(framing, sent);
      expect(seen.protected).toBe(true);
      if (!seen.protected) continue;
      expect(seen.found.control).toEqual(expected);
      const got = await unprotectFrame(receiver, framing, sent, seen);
      expect(got.status).toBe('decrypted');
      if (got.status === 'decrypted' && framing !== av1) expect(got.frame).toEqual(frame);
    }
  });

  it('altered, swapped or stripped region: refused', async () => {
    const { sender } = await contexts(framing);
    const control = region(12);
    const sent = await protect(sender, framing, frame, control);
    const seen = inspectFrame(framing, sent);
    if (!seen.protected) throw new Error('not ours');
    const at = findRegion(sent, control);
    expect(at).toBeGreaterThan(0);
    const variants: Uint8Array[] = [];
    for (let i = 0; i < control.length; i++) {
      const altered = sent.slice();
      altered[at + i] = (altered[at + i] ?? 0) ^ (i === control.length - 1 ? 0x01 : 0x80);
      variants.push(altered);
    }
    // Another well-formed region of the same length (msg id 10): parses, fails authentication.
    const swapped = sent.slice();
    swapped.set(region(12, 0x5a, 10), at);
    variants.push(swapped);
    // The region cut out: the counter still says there is one.
    variants.push(Uint8Array.from([...sent.subarray(0, at), ...sent.subarray(at + control.length)]));
    for (const variant of variants) {
      const { receiver } = await contexts(framing);
      const got = await unprotectFrame(receiver, framing, variant);
      expect(got.status).not.toBe('decrypted');
    }
    const { receiver } = await contexts(framing);
    expect(await unprotectFrame(receiver, framing, swapped)).toMatchObject({
      status: 'failed',
      reason: 'auth_failure',
    });
    expect((await unprotectFrame(receiver, framing, sent)).status).toBe('decrypted');
  });

  it('a truncated region or an n too large: not ours or failed, never a throw', async () => {
    const { sender } = await contexts(framing);
    const sent = await protect(sender, framing, frame, region(40));
    const at = findRegion(sent, region(40));
    const nAt = at + 43;
    for (const n of [0, 41, 200, 255]) {
      const bad = sent.slice();
      bad[nAt] = n;
      const { receiver } = await contexts(framing);
      const got = await unprotectFrame(receiver, framing, bad);
      expect(['clear', 'failed']).toContain(got.status);
    }
    for (let cut = 1; cut < 44; cut += 7) {
      const bad = Uint8Array.from([...sent.subarray(0, at), ...sent.subarray(at + cut)]);
      const { receiver } = await contexts(framing);
      expect(['clear', 'failed']).toContain((await unprotectFrame(receiver, framing, bad)).status);
    }
  });
});

/** Where the raw region sits in a protected frame (no escaping in these frames' regions but H.26x's, checked apart). */
function findRegion(frame: Uint8Array, control: Uint8Array): number {
  return Buffer.from(frame).indexOf(Buffer.from(control));
}

describe('protectFrame with a control region', () => {
  it('refuses a region of the wrong shape, before any counter is spent', async () => {
    const { sender, receiver } = await contexts(vp8);
    const frame = FRAMES[1]?.[2] as Uint8Array;
    for (const bad of [new Uint8Array(0), Uint8Array.from([1, 0, 0, 0, 2]), Uint8Array.from([1, 0, 3, 2, 1])]) {
      await expect(protectFrame(sender, kid, vp8, frame, bad)).rejects.toBeInstanceOf(RangeError);
    }
    await expect(protectFrame(sender, kid, vp8, frame, [1, 0, 0, 0, 1] as never)).rejects.toBeInstanceOf(TypeError);
    const sent = await protect(sender, vp8, frame);
    expect(ctrOf(vp8, sent)).toBe(0);
    expect((await unprotectFrame(receiver, vp8, sent)).status).toBe('decrypted');
  });

  it('an empty audio frame carries no region: unprotected, and no counter spent', async () => {
    const { sender } = await contexts(opus);
    expect(await protectFrame(sender, kid, opus, new Uint8Array(0), region(3))).toMatchObject({
      status: 'unprotected',
      reason: 'empty',
    });
    expect(ctrOf(opus, await protect(sender, opus, Uint8Array.from([0xf8]), region(3)))).toBe(1);
  });

  it('the region is copied: changing it after the call changes nothing sent', async () => {
    const { sender, receiver } = await contexts(vp8);
    const control = region(8);
    const sending = protectFrame(sender, kid, vp8, FRAMES[1]?.[2] as Uint8Array, control);
    const original = control.slice();
    control.fill(0);
    const sent = await sending;
    const seen = inspectFrame(vp8, sent.frame);
    expect(seen.protected && seen.found.control).toEqual(original);
    expect((await unprotectFrame(receiver, vp8, sent.frame)).status).toBe('decrypted');
  });

  it('a region on a counter above 2^53 (the BigInt paths on both sides)', async () => {
    const { sender, receiver } = await contexts(vp8);
    const frame = FRAMES[1]?.[2] as Uint8Array;
    await sender.seal(kid, new Uint8Array(0), new Uint8Array(0), { ctr: 2n ** 53n + 4n });
    const control = region(9);
    const sent = await protect(sender, vp8, frame, control);
    const seen = inspectFrame(vp8, sent);
    expect(seen).toMatchObject({ protected: true, found: { ctr: -1, bigCtr: 2n ** 53n + 5n, control } });
    expect(await unprotectFrame(receiver, vp8, sent, seen)).toMatchObject({ status: 'decrypted', frame });
    const altered = sent.slice();
    const at = findRegion(sent, control);
    altered[at] = (altered[at] ?? 0) ^ 1;
    expect((await unprotectFrame(receiver, vp8, altered)).status).toBe('failed');
  });

  it('counters: a region iff odd, never reused, never back, across header lengths', async () => {
    const { sender, receiver } = await contexts(vp8);
    const frame = FRAMES[1]?.[2] as Uint8Array;
    let last = -1; // across runs: one sender, one KID
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }), async (withRegion) => {
        for (const has of withRegion) {
          const sent = await protect(sender, vp8, frame, has ? region(5) : undefined);
          const seen = inspectFrame(vp8, sent);
          if (!seen.protected) throw new Error('not ours');
          const ctr = seen.found.ctr;
          expect(ctr % 2).toBe(has ? 1 : 0);
          expect(seen.found.control !== undefined).toBe(has);
          expect(ctr).toBeGreaterThan(last);
          expect(ctr - last).toBeLessThanOrEqual(2);
          last = ctr;
          expect((await unprotectFrame(receiver, vp8, sent, seen)).status).toBe('decrypted');
        }
      }),
      { numRuns: 20 },
    );
  });
});

describe('H.264 and H.265: a region with bytes that need start-code escaping', () => {
  const zeros = makeControlRegion(Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0]), 0, 0, 0);
  it.each([
    ['h264', h264, FRAMES[5]?.[2] as Uint8Array],
    ['h265', h265, FRAMES[6]?.[2] as Uint8Array],
  ] as const)('%s: escaped on the wire, read back raw', async (_, framing, frame) => {
    const { sender, receiver } = await contexts(framing);
    const sent = await protect(sender, framing, frame, zeros);
    const units = findNalUnits(sent) ?? [];
    expect(units.length).toBe(findNalUnits(frame)?.length);
    for (const u of units) {
      for (let k = u.start; k + 2 < u.end; k++) {
        expect(sent[k] === 0 && sent[k + 1] === 0 && (sent[k + 2] ?? 9) <= 2, `emulated start code at ${k}`).toBe(
          false,
        );
      }
    }
    expect(findRegion(sent, zeros)).toBe(-1); // escaped: not there as is
    const seen = inspectFrame(framing, sent);
    expect(seen.protected && seen.found.control).toEqual(zeros);
    expect(await unprotectFrame(receiver, framing, sent, seen)).toMatchObject({ status: 'decrypted', frame });
  });
});

describe('frames of format v1-v3 (KID marker 0b1011)', () => {
  // Frozen v3 vectors (test/vectors/framelock-frames.json until d120a09): real frames of the older format, odd and
  // even counters, prefix and escaped framings.
  const V3 = [
    {
      framing: vp8,
      ctr: 7,
      kid: 0xb1c0_ffee_5a12_3457n,
      hex:
        '910900386acf7bb39f21e0cb3eba746d7b602c62c8f5c7df98a8aae9a458ee075048aaf07355c7f90cd25a8cbb643fd9aebc7f6a93' +
        'bd6353b1c0ffee5a123457f7',
    },
    {
      framing: h264,
      ctr: 9,
      kid: 0xb6c0_ffee_5a12_345cn,
      hex:
        '000000014100000300000300b777c3128d84f478bf522a0b1ec48e89fb2db754fca2f5b21c80d2c1d2ecd938547300000141e4f9d253' +
        '67b7639846ef7591d8b827df5bdffe8bb1e5357bf03152464e5aa61c120fe74f09b6c0ffee5a12345cf8',
    },
    {
      framing: opus,
      ctr: 0,
      kid: 0xbcc0_ffee_5a12_3462n,
      hex:
        '78970998fc496008b596d848935640946758d1d0df8715d27c697bb3da59367b59a7640c99ea2e7519ca5af1c832cee20709dd659f08' +
        '976a462f5c23a2f4214eb80b0aa50e49797ba7acf05c114a49d6b8bb51199da2f88cd63d7dbcc0ffee5a123462f0',
    },
    {
      framing: genericAudio,
      ctr: 1,
      kid: 0xbfc0_ffee_5a12_3465n,
      hex: 'eeddbb6fa0dcd26e71400aa65c00c6ee819a8044e886040587ef2f8f41575e8997e39ee14796f1265ffe55c660c364ddbfc0ffee5a123465f1',
    },
  ];

  it.each(V3)('$framing.name, CTR $ctr: reported as an older format, with its KID', async ({ framing, kid, hex }) => {
    const frame = hexToBytes(hex);
    expect(inspectFrame(framing, frame)).toEqual({ protected: false, found: 'older_format', kid });
    const receiver = new SFrameContext(SUITE_FOR_KIND[framing.kind]);
    expect(await unprotectFrame(receiver, framing, frame)).toEqual({ status: 'failed', reason: 'older_format', kid });
  });

  it('a v4 frame whose KID is given the old marker reads as an older format, its trailer measured as v3 did', async () => {
    const { sender } = await contexts(vp8);
    const frame = FRAMES[1]?.[2] as Uint8Array;
    for (const control of [undefined, region(30)]) {
      const older = (await protect(sender, vp8, frame, control)).slice();
      older[older.length - 9] = ((older[older.length - 9] ?? 0) & 0x0f) | 0xb0;
      const seen = inspectFrame(vp8, older);
      expect(seen).toMatchObject({ protected: false, found: 'older_format' });
      expect(seen.found === 'older_format' && isOlderFormatKid(seen.kid)).toBe(true);
    }
  });
});
