/**
 * Epochs from wall-clock time (src/shared/epoch.ts), the KID layout they ride in, and the word lists
 * (src/shared/words.ts): generated passphrases and safety words.
 */

import { wordlist } from '@scure/bip39/wordlists/english.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isFramelockKid, kidEpoch, kidSenderId, makeKid } from '../../src/codecs';
import {
  acceptedEpochs,
  EPOCH_MS,
  EPOCH_TOLERANCE,
  epochAt,
  epochDistance,
  epochFromBits,
  msUntilNextEpoch,
  PROTOCOL_EPOCH_MS,
} from '../../src/shared/epoch';
import { GENERATED_PASSPHRASE_WORDS, generatePassphrase, isListWord, wordsFromBits } from '../../src/shared/words';

describe('epochs', () => {
  it('are 10-minute slices of Unix time in a shipped build, accepting one on either side', () => {
    expect(PROTOCOL_EPOCH_MS).toBe(600_000);
    expect(EPOCH_MS).toBe(PROTOCOL_EPOCH_MS); // unit tests run the shipped constants
    expect(EPOCH_TOLERANCE).toBe(1);
    const t = Date.UTC(2026, 10, 26, 12, 0, 0);
    expect(epochAt(t)).toBe(t / 600_000);
    expect(epochAt(t - 1)).toBe(t / 600_000 - 1);
    expect(epochAt(t + 599_999)).toBe(t / 600_000);
    expect(msUntilNextEpoch(t)).toBe(600_000);
    expect(msUntilNextEpoch(t - 1)).toBe(1);
    expect(acceptedEpochs(100)).toEqual([99, 100, 101]);
    expect(acceptedEpochs(0)).toEqual([0, 1]);
  });

  it('map a KID’s 4 epoch bits back into the window, and refuse the rest', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: -20, max: 20 }), (current, delta) => {
        const sender = current + delta;
        if (sender < 0) return;
        const found = epochFromBits(sender % 16, current);
        if (Math.abs(delta) <= 1) expect(found).toBe(sender);
        else if (Math.abs(delta) < 15) expect(found).toBeUndefined();
        // |delta| ≥ 15 may alias into the window: the key derived for the aliased epoch differs, so the frame then
        // fails authentication (tested in worker-session.test.ts).
        const distance = epochDistance(sender % 16, current);
        expect(distance).toBeGreaterThanOrEqual(-8);
        expect(distance).toBeLessThanOrEqual(7);
        if (delta >= -8 && delta <= 7) expect(distance).toBe(delta);
      }),
    );
  });

  it('under clock skew: two clocks less than one epoch apart always accept each other', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_700_000_000_000, max: 2_100_000_000_000 }),
        fc.integer({ min: -(PROTOCOL_EPOCH_MS - 1), max: PROTOCOL_EPOCH_MS - 1 }),
        (now, skew) => {
          const mine = epochAt(now);
          const theirs = epochAt(now + skew);
          expect(epochFromBits(theirs % 16, mine)).toBe(theirs);
        },
      ),
    );
    // Two epochs apart: refused, and the distance says by how much.
    const now = Date.UTC(2026, 10, 26, 12, 5);
    const ahead = epochAt(now + 2 * PROTOCOL_EPOCH_MS);
    expect(epochFromBits(ahead % 16, epochAt(now))).toBeUndefined();
    expect(epochDistance(ahead % 16, epochAt(now))).toBe(2);
  });
});

describe('KID layout', () => {
  it('keeps the marker, the epoch bits and a 56-bit sender id apart', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.bigInt({ min: 0n, max: (1n << 56n) - 1n }), (epoch, sender) => {
        const kid = makeKid(epoch, sender);
        expect(isFramelockKid(kid)).toBe(true);
        expect(kidEpoch(kid)).toBe(epoch);
        expect(kidSenderId(kid)).toBe(sender);
        expect(kid >> 60n).toBe(0xdn); // format v5's marker (test/unit/frame-format.test.ts has the rest)
      }),
    );
    expect(() => makeKid(16, 1n)).toThrow(RangeError);
    expect(() => makeKid(0, 1n << 56n)).toThrow(RangeError);
  });

  it('draws distinct sender ids: 100,000 random ids, no collision (chance of one ≈ 2^-23.8)', () => {
    const ids = new Set<bigint>();
    for (let i = 0; i < 100_000; i++) {
      const bytes = crypto.getRandomValues(new Uint8Array(7));
      ids.add(bytes.reduce((id, byte) => (id << 8n) | BigInt(byte), 0n));
    }
    expect(ids.size).toBe(100_000);
  });
});

describe('words', () => {
  it('reads 11 bits per word, big-endian', () => {
    // 00000000 00000000 00000100 → 00000000000 (index 0) 00000000001 (index 1) 00 (unused)
    const words = wordsFromBits(new Uint8Array([0x00, 0x00, 0x04]), 2);
    expect(words).toEqual(['abandon', 'ability']);
    // 10000000 00100000 00000000 → 10000000001 (1025) 00000000000 (0)
    expect(wordsFromBits(new Uint8Array([0x80, 0x20, 0x00]), 2)).toEqual([wordlist[1025], 'abandon']);
    expect(wordsFromBits(new Uint8Array([0xff, 0xff]), 1)).toEqual(['zoo']); // index 2047
    expect(() => wordsFromBits(new Uint8Array(1), 1)).toThrow(RangeError);
  });

  it('generates 12 list words (132 bits) from crypto.getRandomValues, all different each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const passphrase = generatePassphrase();
      const words = passphrase.split(' ');
      expect(words).toHaveLength(GENERATED_PASSPHRASE_WORDS);
      expect(words.every(isListWord)).toBe(true);
      seen.add(passphrase);
    }
    expect(seen.size).toBe(200);
  });

  it('spreads words evenly: a chi-square test over 200,000 random words', () => {
    const n = 200_000;
    const bytes = new Uint8Array(Math.ceil((n * 11) / 8));
    for (let at = 0; at < bytes.length; at += 65_536) crypto.getRandomValues(bytes.subarray(at, at + 65_536));
    const list = new Map<string, number>();
    for (const w of wordsFromBits(bytes, n)) list.set(w, (list.get(w) ?? 0) + 1);
    expect(list.size).toBe(2048); // every word shows up
    const counts = [...list.values()];
    const expected = n / 2048;
    const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 2047 degrees of freedom: mean 2047, sd ≈ 64; 2047 + 6 sd is ~1e-9 likely for a uniform source.
    expect(chi2).toBeLessThan(2047 + 6 * 64);
    expect(chi2).toBeGreaterThan(2047 - 6 * 64);
  });
});
