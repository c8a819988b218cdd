/**
 * The control region of frame format v4 (src/worker/control-region.ts): the frozen vectors both ways, and random
 * regions and random bytes through the decoder, which must never throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/shared/bytes';
import {
  decodeRegion,
  encodeRegion,
  MAX_CHUNKS_PER_MESSAGE,
  MAX_REGION_PAYLOAD,
  REGION_OVERHEAD,
} from '../../src/worker/control-region';
import vectors from '../vectors/control-regions.json';

describe('control region vectors', () => {
  it.each(vectors.valid)('$name: encodes to the frozen bytes and decodes back', (v) => {
    const fields = { msgId: v.msgId, index: v.index, last: v.last, payload: hexToBytes(v.payload) };
    expect(bytesToHex(encodeRegion(fields))).toBe(v.region);
    expect(decodeRegion(hexToBytes(v.region))).toEqual(fields);
  });

  it.each(vectors.invalidRegions)('$name: does not decode', (v) => {
    expect(decodeRegion(hexToBytes(v.region))).toBeUndefined();
  });

  it.each(vectors.invalidEncodings)('$name: is refused with a RangeError', (v) => {
    const payload = new Uint8Array(v.payloadLength);
    expect(() => encodeRegion({ msgId: v.msgId, index: v.index, last: v.last, payload })).toThrow(RangeError);
  });
});

describe('control region', () => {
  it('has the limits of its one-byte fields', () => {
    expect([REGION_OVERHEAD, MAX_REGION_PAYLOAD, MAX_CHUNKS_PER_MESSAGE]).toEqual([4, 255, 256]);
  });

  it('refuses a payload that is not bytes with a TypeError', () => {
    const payload = [1, 2] as unknown as Uint8Array;
    expect(() => encodeRegion({ msgId: 0, index: 0, last: 0, payload })).toThrow(TypeError);
  });

  it('round-trips every valid region', () => {
    const region = fc
      .record({ msgId: fc.nat(255), last: fc.nat(255), payload: fc.uint8Array({ minLength: 1, maxLength: 255 }) })
      .chain((r) => fc.record({ index: fc.nat(r.last) }).map(({ index }) => ({ ...r, index })));
    fc.assert(
      fc.property(region, (r) => {
        const bytes = encodeRegion(r);
        expect(bytes.length).toBe(r.payload.length + REGION_OVERHEAD);
        expect(decodeRegion(bytes)).toEqual(r);
      }),
    );
  });

  it('reads a region only at its exact length, and never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const region = decodeRegion(bytes);
        if (region === undefined) return;
        expect(bytes.length).toBe(region.payload.length + REGION_OVERHEAD);
        expect(region.index).toBeLessThanOrEqual(region.last);
        expect(encodeRegion(region)).toEqual(bytes);
      }),
      { numRuns: 5_000 },
    );
  });

  it('hands out a copy of the payload, not a view of the frame', () => {
    const bytes = encodeRegion({ msgId: 1, index: 0, last: 0, payload: new Uint8Array([9, 9]) });
    const region = decodeRegion(bytes);
    bytes[0] = 0;
    expect(region?.payload).toEqual(new Uint8Array([9, 9]));
    expect(region?.payload.buffer).not.toBe(bytes.buffer);
  });
});
