/**
 * Property/fuzz tests: random and mutated frames through the receiver. Most inputs are mutations of valid frames (some
 * with control regions), so they get past the header and reach the tag check; the test counts where each was
 * rejected to prove it.
 * Seeds: FUZZ_SEED=<n> replays a run; each run prints its seed, and fast-check prints seed and path on failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  av1,
  type Framing,
  h264,
  h265,
  makeControlRegion,
  makeKid,
  opus,
  protectFrame,
  SUITE_FOR_KIND,
  unprotectFrame,
  vp8,
  vp9,
} from '../../src/codecs';
import { parseObus } from '../../src/codecs/av1';
import { findNalUnits } from '../../src/codecs/h26x';
import { deriveFrameKeys, SFrameContext, SFrameError } from '../../src/sframe';
import { concatBytes } from '../../src/shared/bytes';
import { fixtures } from './fixtures';

const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
console.log(`fuzz seed: ${seed} (FUZZ_SEED=${seed} replays it)`);
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
/** Frames per codec path through the receiver (`npm run test:fuzz` sets 1,000,000). */
const CODEC_RUNS = Number(process.env.FUZZ_CODEC_RUNS ?? Math.max(200, Math.floor(RUNS / 4)));

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array };

/**
 * Positions are fractions of the length so one arbitrary fits frames of any size; unbiased, or fast-check's bias
 * towards small values would put most mutations on the first (header) byte.
 */
const position = fc.noBias(fc.integer({ min: 0, max: 999_999 })).map((n) => n / 1_000_000);
const mutation = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('flip' as const),
      at: position,
      bit: fc.integer({ min: 0, max: 7 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      at: position,
      value: fc.integer({ min: 0, max: 255 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('truncate' as const),
      keep: position,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      at: position,
      count: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: position,
      bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
    }),
  },
) as fc.Arbitrary<Mutation>;

function apply(frame: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out: Uint8Array = frame.slice();
  for (const m of mutations) {
    const at = (f: number) => Math.min(out.length - 1, Math.floor(f * out.length));
    switch (m.kind) {
      case 'flip':
        if (out.length > 0) out[at(m.at)] = (out[at(m.at)] ?? 0) ^ (1 << m.bit);
        break;
      case 'set':
        if (out.length > 0) out[at(m.at)] = m.value;
        break;
      case 'truncate':
        out = out.slice(0, Math.floor(m.keep * out.length));
        break;
      case 'append':
        out = concatBytes(out, m.bytes);
        break;
      case 'delete': {
        const i = Math.max(0, at(m.at));
        out = concatBytes(out.subarray(0, i), out.subarray(i + m.count));
        break;
      }
      case 'insert': {
        const i = Math.max(0, at(m.at));
        out = concatBytes(out.subarray(0, i), m.bytes, out.subarray(i));
        break;
      }
    }
  }
  return out;
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

describe('SFrameContext.decrypt under fuzzing', () => {
  it.each([1, 2, 3, 4, 5])(
    'suite %i: mutated frames are rejected with SFrameError, mostly at the tag check',
    async (suite) => {
      const sender = new SFrameContext(suite);
      const receiver = new SFrameContext(suite);
      const kids = [0x12n, 0xabcdef0123n];
      for (const kid of kids) {
        await sender.addKey(kid, new Uint8Array(16).fill(7));
        await receiver.addKey(kid, new Uint8Array(16).fill(7));
      }
      const frames: Uint8Array[] = [];
      for (let i = 0; i < 16; i++) {
        const plaintext = Uint8Array.from({ length: 1 + ((i * 97) % 1500) }, (_, j) => (j * 31 + i) & 0xff);
        frames.push(await sender.encrypt(kids[i % 2] as bigint, new Uint8Array([i]), plaintext));
      }
      const reasons = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: frames.length - 1 }),
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          async (index, mutations) => {
            const original = frames[index] as Uint8Array;
            const mutated = apply(original, mutations);
            if (equal(mutated, original)) return;
            try {
              await receiver.decrypt(new Uint8Array([index]), mutated);
              reasons.set('ACCEPTED', (reasons.get('ACCEPTED') ?? 0) + 1);
            } catch (error) {
              expect(error).toBeInstanceOf(SFrameError);
              const reason = (error as SFrameError).reason;
              reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
            }
            expect(reasons.get('ACCEPTED')).toBeUndefined();
          },
        ),
        { numRuns: RUNS, seed },
      );
      const total = [...reasons.values()].reduce((a, b) => a + b, 0);
      console.log(`suite ${suite}:`, Object.fromEntries(reasons));
      expect((reasons.get('auth_failure') ?? 0) / total).toBeGreaterThan(0.6);
    },
  );

  it('random bytes are rejected with SFrameError only', async () => {
    const receiver = new SFrameContext(4);
    await receiver.addKey(3n, new Uint8Array(16));
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 8 }), async (frame, metadata) => {
        await expect(receiver.decrypt(metadata, frame)).rejects.toBeInstanceOf(SFrameError);
      }),
      { numRuns: RUNS, seed },
    );
  });
});

/** Start code lengths are not authenticated (depacketizers rewrite them): compare H.26x frames with 4-byte codes. */
function normalise(framing: Framing, frame: Uint8Array): Uint8Array {
  if (framing === av1) {
    // Temporal delimiters and size-field encodings are not authenticated either (depacketizers drop and rewrite them).
    const parts: number[] = [];
    for (const o of parseObus(frame)?.filter((x) => x.type !== 2) ?? []) {
      parts.push(o.header, ...(o.extension >= 0 ? [o.extension] : []), o.payloadEnd - o.payloadStart, 0xff);
      parts.push(...frame.subarray(o.payloadStart, o.payloadEnd));
    }
    return Uint8Array.from(parts);
  }
  if (framing !== h264 && framing !== h265) return frame;
  const parts: number[] = [];
  for (const u of findNalUnits(frame) ?? []) parts.push(0, 0, 0, 1, ...frame.subarray(u.start, u.end));
  return Uint8Array.from(parts);
}

const FRAMINGS = { vp8, vp9, h264, h265, av1, opus } as const;

describe('unprotectFrame under fuzzing: never throws, never yields altered media', () => {
  const byCodec = new Map<string, (typeof fixtures)[number]>();
  for (const f of fixtures) if (!byCodec.has(f.codec)) byCodec.set(f.codec, f);

  it.each([...byCodec.values()].map((f) => [f.codec, f] as const))(
    '%s',
    async (codec, fixture) => {
      const framing = FRAMINGS[codec];
      const suite = SUITE_FOR_KIND[framing.kind];
      const kid = makeKid(1, 0xfeedface1234n);
      const sender = new SFrameContext(suite);
      await sender.addKey(kid, new Uint8Array(16).fill(9));
      const originals = fixture.frames.filter((f) => f.data.length > 3).slice(0, 12);
      const sent: { plain: Uint8Array; wire: Uint8Array }[] = [];
      for (const [i, { data }] of originals.entries()) {
        // Every third frame carries a control region (odd counter), of 1 to 201 bytes with zero runs in it.
        const n = 1 + ((i * 67) % 201);
        const control =
          i % 3 === 2
            ? makeControlRegion(
                new Uint8Array(n).map((_, j) => (j % 4 < 2 ? 0 : j)),
                i,
                0,
                1,
              )
            : undefined;
        sent.push({ plain: data, wire: (await protectFrame(sender, kid, framing, data, control)).frame });
      }
      const keys = await deriveFrameKeys(suite, new Uint8Array(16).fill(9), kid);
      const statuses = new Map<string, number>();
      let runs = 0;
      let heapAfterWarmUp = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: sent.length - 1 }),
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          async (index, mutations) => {
            // A fresh receiver each time, so a mutation that only rewrites what is not authenticated may decrypt.
            if (++runs === Math.min(10_000, Math.floor(CODEC_RUNS / 10)))
              heapAfterWarmUp = process.memoryUsage().heapUsed;
            const receiver = new SFrameContext(suite);
            await receiver.importFrameKeys(kid, keys);
            const item = sent[index] as (typeof sent)[number];
            const mutated = apply(item.wire, mutations);
            const got = await unprotectFrame(receiver, framing, mutated);
            const key =
              got.status === 'failed'
                ? `failed:${got.reason}`
                : got.status === 'clear'
                  ? `clear:${got.reason}`
                  : got.status;
            statuses.set(key, (statuses.get(key) ?? 0) + 1);
            if (got.status === 'decrypted') {
              // Only allowed if what comes out is exactly what was sent (up to the unauthenticated start code lengths).
              expect(equal(normalise(framing, got.frame), normalise(framing, item.plain))).toBe(true);
            }
          },
        ),
        { numRuns: CODEC_RUNS, seed },
      );
      const heapGrowth = heapAfterWarmUp > 0 ? process.memoryUsage().heapUsed - heapAfterWarmUp : 0;
      console.log(
        `${codec}: ${runs} frames, heap ${(heapGrowth / 2 ** 20).toFixed(1)} MiB after warm-up:`,
        Object.fromEntries(statuses),
      );
      // Memory stays flat: no per-frame state survives a frame (a leak of even 100 bytes a frame shows at 1M frames).
      if (runs >= 100_000) expect(heapGrowth).toBeLessThan(64 * 2 ** 20);
      const total = [...statuses.values()].reduce((a, b) => a + b, 0);
      expect((statuses.get('failed:auth_failure') ?? 0) / total).toBeGreaterThan(0.5);
    },
    Math.max(60_000, CODEC_RUNS),
  );
});
