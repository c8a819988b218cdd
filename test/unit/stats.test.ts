import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { type TransformStats, TransformStatsListSchema, TransformStatsSchema } from '../../src/shared/messages';

const isTransformStats = (value: unknown) => v.is(TransformStatsSchema, value);
const isTransformStatsList = (value: unknown) => v.is(TransformStatsListSchema, value);

const valid: TransformStats = {
  id: 'receive-video-2',
  side: 'receive',
  kind: 'video',
  codec: 'video/VP8',
  kid: '13474079163564044288',
  protected: 10,
  unencrypted: 0,
  undecryptable: 1,
  dropped: 2,
  passthrough: 0,
  echoed: 0,
  status: 'encrypted',
  byKid: [{ kid: '13474079163564044288', protected: 10, undecryptable: 1 }],
};

describe('transform counters from the page side', () => {
  it('accepts what the worker sends', () => {
    expect(isTransformStats(valid)).toBe(true);
    expect(isTransformStatsList([valid, { ...valid, byKid: undefined }])).toBe(true);
  });

  it.each([
    ['no id', { ...valid, id: undefined }],
    ['a long id', { ...valid, id: 'x'.repeat(65) }],
    ['another side', { ...valid, side: 'both' }],
    ['another kind', { ...valid, kind: 'data' }],
    ['another status', { ...valid, status: 'fine' }],
    ['a negative count', { ...valid, dropped: -1 }],
    ['a fractional count', { ...valid, protected: 1.5 }],
    ['a string count', { ...valid, protected: '10' }],
    ['a huge lastError', { ...valid, lastError: 'x'.repeat(257) }],
    ['byKid not an array', { ...valid, byKid: {} }],
    ['too many KIDs', { ...valid, byKid: Array.from({ length: 17 }, () => valid.byKid?.[0]) }],
    ['a bad KID entry', { ...valid, byKid: [{ kid: 5, protected: 1, undecryptable: 0 }] }],
    ['a KID that is not decimal', { ...valid, kid: '0xdeadbeef' }],
    ['a KID over 20 digits', { ...valid, kid: '1'.repeat(21) }],
    ['an extra field (stored as it came otherwise)', { ...valid, junk: 'x'.repeat(1 << 20) }],
    ['an extra field in a KID entry', { ...valid, byKid: [{ kid: '1', protected: 1, undecryptable: 0, x: 1 }] }],
    ['a KID entry whose KID is not decimal', { ...valid, byKid: [{ kid: 'k', protected: 1, undecryptable: 0 }] }],
    ['an array', Object.assign([], valid)],
  ])('refuses %s', (_, value) => {
    expect(isTransformStats(value)).toBe(false);
    expect(isTransformStatsList([value])).toBe(false);
  });

  it('refuses non-arrays and oversized reports', () => {
    expect(isTransformStatsList(valid)).toBe(false);
    expect(isTransformStatsList(Array.from({ length: 257 }, () => valid))).toBe(false);
    expect(isTransformStatsList(null)).toBe(false);
  });
});
