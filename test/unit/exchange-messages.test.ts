/**
 * The STATE message (src/content/exchange/messages.ts): what we encode decodes to the same, and anything malformed
 * decodes to undefined without throwing. Its frozen bytes are in exchange-known-answers.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_OTHERS,
  MAX_PID,
  MAX_SEALED_BYTES,
  MAX_STATE_BYTES,
  WORKER_MESSAGE_LIMIT,
} from '../../src/content/exchange/constants';
import { decodeState, encodeState, type State } from '../../src/content/exchange/messages';
import { writeUintBE } from '../../src/shared/bytes';

const key = (fill: number) => new Uint8Array(32).fill(fill);
const wrapped = (fill: number) => new Uint8Array(24).fill(fill);

const hello: State = { pid: 0x123456789abn, publicKey: key(7), gen: 3, want: [], wraps: [] };
const full: State = {
  pid: MAX_PID,
  publicKey: key(1),
  gen: 255,
  want: [1n, 2n],
  wraps: [
    { pid: 0n, wrapped: wrapped(0xaa) },
    { pid: 5n, wrapped: wrapped(0xbb) },
  ],
};

describe('encodeState / decodeState', () => {
  it('round-trips, at the drawn length', () => {
    for (const state of [hello, full]) {
      const bytes = encodeState(state);
      expect(bytes.length).toBe(1 + 6 + 32 + 1 + 1 + 6 * state.want.length + 2 + 30 * state.wraps.length);
      expect(bytes[0]).toBe(0x01);
      expect(decodeState(bytes)).toEqual(state);
    }
  });

  it('a STATE of the largest call fits the limit, and the worker’s 16 KiB', () => {
    const others = Array.from({ length: MAX_OTHERS }, (_, i) => BigInt(i + 1));
    const state: State = {
      pid: 0n,
      publicKey: key(2),
      gen: 0,
      want: others,
      wraps: others.map((pid) => ({ pid, wrapped: wrapped(3) })),
    };
    const bytes = encodeState(state);
    expect(bytes.length).toBe(MAX_STATE_BYTES);
    expect(MAX_SEALED_BYTES).toBeGreaterThanOrEqual(MAX_STATE_BYTES + 29);
    expect(MAX_SEALED_BYTES).toBeLessThanOrEqual(WORKER_MESSAGE_LIMIT);
    expect(decodeState(bytes)).toEqual(state);
  });

  it('refuses to encode what it could not decode', () => {
    const bad: Partial<State>[] = [
      { pid: MAX_PID + 1n },
      { pid: -1n },
      { publicKey: new Uint8Array(31) },
      { gen: 256 },
      { gen: 1.5 },
      { want: [1n, 1n] },
      { want: [hello.pid] },
      { want: [MAX_PID + 1n] },
      { wraps: [{ pid: 1n, wrapped: new Uint8Array(16) }] },
      { wraps: [{ pid: hello.pid, wrapped: wrapped(1) }] },
      { want: Array.from({ length: MAX_OTHERS + 1 }, (_, i) => BigInt(i + 1)) },
    ];
    for (const change of bad) expect(() => encodeState({ ...hello, ...change })).toThrow(RangeError);
  });

  it('decodes malformed bytes to undefined', () => {
    const good = encodeState(full);
    const withType = good.slice();
    withType[0] = 0x02;
    const highPid = good.slice();
    highPid[1] = 0x10; // a pid with one of its top 4 bits set
    const wantCount = good.slice();
    wantCount[40] = 3; // one more want than there are
    const wrapCount = good.slice();
    writeUintBE(wrapCount, 41 + 12, 2, 3n);
    const duplicateWrap = good.slice();
    duplicateWrap.set(duplicateWrap.subarray(55, 61), 55 + 30); // second recipient = first
    const selfWrap = good.slice();
    selfWrap.set(good.subarray(1, 7), 55); // a wrap to the sender itself
    const duplicateWant = good.slice();
    duplicateWant.set(good.subarray(41, 47), 47);
    const wantPidHigh = good.slice();
    wantPidHigh[41] = 0xf0;
    for (const bytes of [
      new Uint8Array(0),
      good.subarray(0, 42),
      good.subarray(0, good.length - 1),
      Uint8Array.from([...good, 0]), // a trailing byte
      withType,
      highPid,
      wantCount,
      wrapCount,
      duplicateWrap,
      selfWrap,
      duplicateWant,
      wantPidHigh,
      new Uint8Array(MAX_STATE_BYTES + 1),
    ]) {
      expect(decodeState(bytes)).toBeUndefined();
    }
  });

  it('never throws on any bytes, and whatever it decodes encodes back to the same bytes', () => {
    const good = encodeState(full);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          // Bytes near a valid STATE: a few positions changed, or cut.
          fc
            .tuple(fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(255)), { maxLength: 4 }), fc.nat(good.length))
            .map(([changes, cut]) => {
              const bytes = good.slice(0, cut === 0 ? good.length : cut);
              for (const [at, value] of changes) if (at < bytes.length) bytes[at] = value;
              return bytes;
            }),
        ),
        (bytes) => {
          const state = decodeState(bytes);
          if (state !== undefined) expect(encodeState(state)).toEqual(bytes);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
