import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeNal, isEscapeByte, unescapeNal } from '../../src/codecs/escape';
import { findNalUnits } from '../../src/codecs/h26x';

/** The escape rule written as plainly as possible, to check the fast version against (H.264 §7.4.1). */
function referenceEscape(src: Uint8Array, initialZeros: number): number[] {
  const out: number[] = [];
  let zeros = initialZeros;
  for (const byte of src) {
    if (zeros >= 2 && byte <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(byte);
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return out;
}

/** Bytes biased towards 0-3 so that escape sequences are common. */
const nalBytes = fc.uint8Array({ maxLength: 200 }).map((a) => a.map((b) => (b < 160 ? b & 0x03 : b)));

describe('emulation prevention', () => {
  it('matches the reference rule and round-trips', () => {
    fc.assert(
      fc.property(nalBytes, fc.integer({ min: 0, max: 2 }), (src, zeros) => {
        const escaped = escapeNal(src, zeros);
        expect([...escaped]).toEqual(referenceEscape(src, zeros));
        expect(unescapeNal(escaped, zeros)).toEqual(src);
      }),
      { numRuns: 3000 },
    );
  });

  it('never leaves a start code, and the local rule finds every escape byte', () => {
    fc.assert(
      fc.property(nalBytes, fc.integer({ min: 0, max: 2 }), (src, zeros) => {
        const prefix = new Uint8Array([0x41, ...new Array(zeros).fill(0)]);
        const escaped = escapeNal(src, zeros);
        const unit = new Uint8Array([...prefix, ...escaped]);
        for (let i = 0; i + 2 < unit.length; i++) {
          expect(unit[i] === 0 && unit[i + 1] === 0 && (unit[i + 2] ?? 9) <= 2).toBe(false);
        }
        // Escape bytes counted by the local rule (read backwards by the receiver) = bytes the escape added.
        let local = 0;
        for (let i = prefix.length; i < unit.length; i++) if (isEscapeByte(unit, 0, i)) local++;
        expect(local).toBe(escaped.length - src.length);
      }),
      { numRuns: 3000 },
    );
  });

  it('returns the input itself when nothing needs escaping', () => {
    const src = new Uint8Array([1, 2, 3, 0, 5, 0, 0, 9]);
    expect(escapeNal(src, 0)).toBe(src);
    expect(unescapeNal(src, 0)).toBe(src);
  });
});

describe('findNalUnits', () => {
  it('splits 3- and 4-byte start codes and drops trailing zeros', () => {
    const frame = new Uint8Array([0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 0, 1, 0x65, 4, 5, 0]);
    expect(findNalUnits(frame)).toEqual([
      { codeStart: 0, start: 4, end: 7 },
      { codeStart: 7, start: 10, end: 12 },
      { codeStart: 12, start: 17, end: 20 },
    ]);
  });

  it('refuses streams that do not start with a start code', () => {
    expect(findNalUnits(new Uint8Array([1, 0, 0, 1, 0x65]))).toBeUndefined();
    expect(findNalUnits(new Uint8Array([0, 0, 2, 0x65]))).toBeUndefined();
    expect(findNalUnits(new Uint8Array(0))).toBeUndefined();
  });
});
