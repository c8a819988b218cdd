/**
 * Call words and fingerprints (src/content/exchange/call-words.ts). Frozen words: exchange-known-answers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { callWords, compareBytes, fingerprint } from '../../src/content/exchange/call-words';
import { isListWord } from '../../src/shared/words';

const key = (fill: number) => new Uint8Array(32).fill(fill);
const tag = new Uint8Array(16).fill(0x42);

describe('call words', () => {
  it('five list words, whatever order the keys come in, duplicates counted once', async () => {
    const words = await callWords(tag, [key(1), key(2), key(3)]);
    expect(words).toHaveLength(5);
    expect(words.every(isListWord)).toBe(true);
    expect(await callWords(tag, [key(3), key(1), key(2)])).toEqual(words);
    expect(await callWords(tag, [key(3), key(1), key(2), key(1)])).toEqual(words);
  });

  it('change with any key, another key set or another room', async () => {
    const words = await callWords(tag, [key(1), key(2)]);
    expect(await callWords(tag, [key(1), key(4)])).not.toEqual(words);
    expect(await callWords(tag, [key(1)])).not.toEqual(words);
    expect(await callWords(new Uint8Array(16), [key(1), key(2)])).not.toEqual(words);
  });

  it('refuse a room tag or key of the wrong length', async () => {
    await expect(callWords(new Uint8Array(15), [key(1)])).rejects.toThrow(RangeError);
    await expect(callWords(tag, [new Uint8Array(31)])).rejects.toThrow(RangeError);
  });

  it('sort bytewise', () => {
    expect(compareBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBeLessThan(0);
    expect(compareBytes(Uint8Array.of(2), Uint8Array.of(1, 3))).toBeGreaterThan(0);
    expect(compareBytes(Uint8Array.of(0xff), Uint8Array.of(0x7f))).toBeGreaterThan(0);
    expect(compareBytes(Uint8Array.of(1), Uint8Array.of(1))).toBe(0);
  });
});

describe('fingerprint', () => {
  it('two list words per public key', async () => {
    const fp = await fingerprint(key(1));
    expect(fp.split(' ')).toHaveLength(2);
    expect(fp.split(' ').every(isListWord)).toBe(true);
    expect(await fingerprint(key(2))).not.toBe(fp);
    await expect(fingerprint(new Uint8Array(3))).rejects.toThrow(RangeError);
  });
});
