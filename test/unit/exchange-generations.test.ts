/**
 * The per-sender key store (src/content/exchange/generations.ts) and the want list (src/content/exchange/wants.ts):
 * lookups by the KID's 4 bits, which received generations are taken, and what retiring reports.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_HELD_GENERATIONS,
  MAX_STRANGER_WANTS,
  MAX_WANTS,
  WANT_AFTER_MS,
  WANT_FORGET_MS,
} from '../../src/content/exchange/constants';
import { Generations, genBits } from '../../src/content/exchange/generations';
import { Wants } from '../../src/content/exchange/wants';
import { hkdfKey } from './exchange-fixtures';

const keys = await Promise.all(Array.from({ length: 40 }, (_, i) => hkdfKey(new Uint8Array(16).fill(i))));
const key = (gen: number) => keys[gen] as CryptoKey;

describe('Generations', () => {
  it('finds the newest generation with the KID’s 4 bits', () => {
    const g = new Generations();
    g.add(3, key(3));
    g.add(19, key(19));
    expect(genBits(19)).toBe(3);
    expect(g.byBits(3)).toBe(key(19));
    expect(g.byBits(4)).toBeUndefined();
    expect(genBits(-1)).toBe(15);
  });

  it('takes a received generation only if it is new and among the two newest', () => {
    const g = new Generations();
    expect(g.wouldTake(5)).toBe(true);
    g.add(5, key(5));
    expect(g.wouldTake(5)).toBe(false);
    expect(g.wouldTake(4)).toBe(true); // a re-send of the one still in use, after the next one came
    g.add(6, key(6));
    expect(g.wouldTake(4)).toBe(false); // older than both: a late copy or a replay
    expect(g.wouldTake(7)).toBe(true);
  });

  it('drops what is due, the oldest beyond the limit, and reports only bits no held generation shares', () => {
    const g = new Generations();
    for (const gen of [1, 2, 17]) g.add(gen, key(gen));
    g.retireOlderThan(17, 100);
    expect(g.dropDue(99)).toEqual([]);
    // 1 shares its bits with 17, which stays: its frame keys are 17's now, so only 2 is reported.
    expect(g.dropDue(100)).toEqual([2]);
    expect(g.list()).toEqual([17]);
    for (let gen = 20; gen < 20 + MAX_HELD_GENERATIONS; gen++) g.add(gen, key(gen));
    expect(g.dropDue(0)).toEqual([17]);
    expect(g.size).toBe(MAX_HELD_GENERATIONS);
    g.keepNewest(2, 50);
    expect(g.dropDue(50)).toEqual([20, 21]);
    expect(g.clear()).toEqual([23, 22]);
  });

  it('a retirement already due sooner is not put off', () => {
    const g = new Generations();
    g.add(1, key(1));
    g.add(2, key(2));
    g.retireOlderThan(2, 10);
    g.retireOlderThan(2, 20);
    expect(g.dropDue(10)).toEqual([1]);
  });
});

describe('Wants', () => {
  const known = () => true;

  it('due after WANT_AFTER_MS, named once per pid, forgotten when no longer reported or keyed', () => {
    const w = new Wants();
    w.note(7n, 1, 0);
    w.note(7n, 2, 0);
    expect(w.due(WANT_AFTER_MS - 1, known, 10)).toEqual([]);
    expect(w.unasked(WANT_AFTER_MS, known)).toBe(true);
    expect(w.due(WANT_AFTER_MS, known, 10)).toEqual([7n]);
    w.asked([7n]);
    expect(w.unasked(WANT_AFTER_MS, known)).toBe(false);
    w.note(7n, 1, 2_000);
    w.prune(2_000 + WANT_FORGET_MS, () => false);
    expect(w.due(2_000 + WANT_FORGET_MS, known, 10)).toEqual([7n]); // (7, 1) still reported
    w.prune(2_000 + WANT_FORGET_MS, (_, bits) => bits === 1);
    expect(w.due(2_000 + WANT_FORGET_MS, known, 10)).toEqual([]);
  });

  it('names strangers at once, only the MAX_STRANGER_WANTS seen last, and members only once due', () => {
    const w = new Wants();
    const member = (pid: bigint) => pid === 100n;
    w.note(100n, 0, 0);
    for (let i = 1; i <= MAX_STRANGER_WANTS + 2; i++) w.note(BigInt(i), 0, i);
    const now = MAX_STRANGER_WANTS + 2;
    // A stranger is named before WANT_AFTER_MS (it cannot be a key in flight: we know nothing of it).
    const strangers = w.due(now, member, 10);
    expect(strangers).toHaveLength(MAX_STRANGER_WANTS);
    expect(strangers).toEqual([6n, 5n, 4n, 3n].slice(0, MAX_STRANGER_WANTS));
    expect(strangers).not.toContain(100n);
    expect(w.due(WANT_AFTER_MS, member, 10)).toContain(100n);
  });

  it('keeps at most MAX_WANTS, the oldest forgotten first', () => {
    const w = new Wants();
    for (let i = 0; i <= MAX_WANTS; i++) w.note(BigInt(i), 0, 0);
    const due = w.due(WANT_AFTER_MS, known, 1_000);
    expect(due).toHaveLength(MAX_WANTS);
    expect(due).not.toContain(0n);
    w.forget(1n);
    expect(w.due(WANT_AFTER_MS, known, 1_000)).not.toContain(1n);
  });
});

describe('wants under a flood of junk pids', () => {
  it('never lets strangers push a member’s want out', () => {
    const w = new Wants();
    const member = (pid: bigint) => pid === 100n;
    w.note(100n, 0, 0);
    for (let i = 1; i <= 10 * MAX_WANTS; i++) w.note(BigInt(1_000 + i), 0, i, true);
    expect(w.due(WANT_AFTER_MS + 10 * MAX_WANTS, member, 1_000)).toContain(100n);
  });
});
