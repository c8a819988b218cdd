import { describe, expect, it } from 'vitest';
import { MAX_RENEWALS, STARVED_AFTER_MS } from '../../src/worker/constants';
import { FeedCheck } from '../../src/worker/feed';

/** Runs the worker's one-second tick from `start` for `seconds`, with the frame count `frames(t)`; returns when it asked. */
function ticks(feed: FeedCheck, start: number, seconds: number, frames: (t: number) => number): number[] {
  const asked: number[] = [];
  for (let t = start; t <= start + seconds * 1_000; t += 1_000) if (feed.check(frames(t), t)) asked.push(t);
  return asked;
}

describe('FeedCheck (a transform put back must get frames again)', () => {
  it('asks nothing while frames come', () => {
    const feed = new FeedCheck(100, 0);
    expect(ticks(feed, 1_000, 60, (t) => 100 + t / 33)).toEqual([]);
  });

  it('asks for a fresh transform after a second without frames, then backs off, and stops after a few', () => {
    const feed = new FeedCheck(100, 0);
    const asked = ticks(feed, 1_000, 120, () => 100);
    expect(asked[0]).toBe(STARVED_AFTER_MS);
    // Each wait twice the last: 1, 2, 4, 8, 16 s after the same attach.
    expect(asked).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
    expect(asked).toHaveLength(MAX_RENEWALS);
  });

  it('a renewal’s transform carries the count on: its waits go on doubling from its own attach', () => {
    const first = new FeedCheck(100, 0);
    expect(ticks(first, 1_000, 0, () => 100)).toEqual([1_000]);
    const second = new FeedCheck(100, 1_050, first.renewals);
    // 2 s, then 4 s, then 8 s after its attach, each at the next tick.
    expect(ticks(second, 2_000, 10, () => 100)).toEqual([4_000, 6_000, 10_000]);
  });

  it('watches for good: frames that flowed after the restore, then stopped (the site’s late detach), ask again', () => {
    const feed = new FeedCheck(100, 0);
    // Frames flow for 5 s (Chromium hands ours what it held), then stop.
    const asked = ticks(feed, 1_000, 10, (t) => (t <= 5_000 ? 100 + t / 33 : 100 + 5_000 / 33));
    expect(asked).toEqual([6_000, 7_000, 9_000]);
  });

  it('frames coming again reset the backoff', () => {
    const feed = new FeedCheck(100, 0);
    expect(ticks(feed, 1_000, 1, () => 100)).toEqual([1_000, 2_000]);
    expect(feed.check(130, 5_000)).toBe(false);
    expect(feed.renewals).toBe(0);
    expect(ticks(feed, 6_000, 2, () => 130)).toEqual([6_000, 7_000]);
  });
});
