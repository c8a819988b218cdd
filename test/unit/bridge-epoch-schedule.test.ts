/**
 * The content bridge's epoch schedule (src/content/epoch-schedule.ts) on its own, on fake timers: which epoch keys it
 * keeps and for how long, whose clock it follows, and what it refuses to take.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type EpochKeys, EpochSchedule } from '../../src/content/epoch-schedule';
import { systemTimers } from '../../src/content/timers';
import { bytesToBase64 } from '../../src/shared/bytes';
import { EPOCH_MS } from '../../src/shared/epoch';
import { epochKeys, START_EPOCH, useBridgeTimers } from './bridge-fakes';

const E = START_EPOCH;

function schedule() {
  const events: unknown[] = [];
  const teardown = new AbortController();
  const epochs = new EpochSchedule({
    timers: systemTimers,
    signal: teardown.signal,
    requestKeys: (wanted) => events.push({ request: wanted }),
    onEpoch: (epoch) => events.push({ epoch }),
    onDrop: () => events.push('drop'),
  });
  return { epochs, events, teardown };
}

beforeEach(() => {
  useBridgeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('EpochSchedule', () => {
  it('keeps the keys of the window around its clock only, as non-extractable HKDF keys', async () => {
    const { epochs, events } = schedule();
    expect(await epochs.accept(epochKeys('room-a') as EpochKeys)).toBe(true);
    expect(epochs.epoch).toBe(E);
    expect(epochs.room).toBe('room-a');
    const key = epochs.keyOf(E);
    expect(key?.extractable).toBe(false);
    expect(key?.algorithm.name).toBe('HKDF');

    vi.advanceTimersByTime(EPOCH_MS);
    expect(epochs.epoch).toBe(E + 1);
    expect(epochs.keyOf(E - 1)).toBeUndefined(); // erased as it fell out of the window
    expect(epochs.keyOf(E)).toBeDefined();
    expect(events).toEqual([{ epoch: E }, { request: [E + 2] }, { epoch: E + 1 }]);
  });

  it("follows the background's clock, not ours", async () => {
    const { epochs } = schedule();
    await epochs.accept(epochKeys('room-a', Date.now() - 2 * EPOCH_MS) as EpochKeys);
    expect(epochs.epoch).toBe(E - 2);
    vi.advanceTimersByTime(EPOCH_MS - 1_000 + 4);
    expect(epochs.epoch).toBe(E - 2);
    vi.advanceTimersByTime(1); // the boundary by the background's clock, plus the slack
    expect(epochs.epoch).toBe(E - 1);
  });

  it('takes nothing from a message with a key of another length', async () => {
    const { epochs, events } = schedule();
    const message = epochKeys('room-a') as EpochKeys;
    const short = { epoch: E + 1, key: bytesToBase64(new Uint8Array(15)) };
    expect(await epochs.accept({ ...message, keys: [...message.keys.slice(0, 2), short] })).toBe(false);
    expect(epochs.room).toBeUndefined();
    expect(epochs.epoch).toBeUndefined();
    expect(epochs.keyOf(E)).toBeUndefined();
    expect(events).toEqual([]);
  });

  it("drops everything on another room's keys, and stops at drop()", async () => {
    const { epochs, events } = schedule();
    await epochs.accept(epochKeys('room-a') as EpochKeys);
    await epochs.accept(epochKeys('room-b', Date.now(), [E]) as EpochKeys);
    expect(events).toEqual([{ epoch: E }, 'drop', { request: [E - 1, E + 1] }, { epoch: E }]);
    expect(epochs.keyOf(E + 1)).toBeUndefined();
    epochs.drop();
    expect(epochs.room).toBeUndefined();
    expect(epochs.keyOf(E)).toBeUndefined();
    vi.advanceTimersByTime(3 * EPOCH_MS);
    expect(events.at(-1)).toBe('drop');
  });
});
