/**
 * The order chat messages are shown in (src/content/chat-order.ts): per sender by seq, a gap waited for 3 s, duplicates
 * dropped, and its memory bounded. Pure: time is passed in, in ms from 0.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChatOrder } from '../../src/content/chat-order';
import { CHAT_HOLD_MS } from '../../src/content/constants';

const A = 0xan;
const B = 0xbn;

/** An order whose items are `<sender>:<seq>`, added through {@link add}. */
function order(limits: ConstructorParameters<typeof ChatOrder>[0] = {}) {
  const o = new ChatOrder<bigint, string>(limits);
  const add = (sender: bigint, seq: number, now = 0) => o.add(sender, seq, `${sender.toString(16)}:${seq}`, now);
  return { o, add };
}

describe('ChatOrder', () => {
  it('releases a sender’s messages in seq order; the first seq seen starts it', () => {
    const { o, add } = order();
    expect(add(A, 41)).toEqual(['a:41']); // we joined late: 41 is where A starts for us
    expect(add(A, 42)).toEqual(['a:42']);
    expect(add(B, 0)).toEqual(['b:0']);
    expect(add(A, 44)).toEqual([]); // ahead of a gap: waits
    expect(add(A, 45)).toEqual([]);
    expect(add(B, 1)).toEqual(['b:1']); // other senders do not wait for A
    expect(add(A, 43)).toEqual(['a:43', 'a:44', 'a:45']);
    expect(o.held).toBe(0);
    expect(o.nextDue()).toBeUndefined();
  });

  it('drops duplicates: a seq released already, or one that waits already', () => {
    const { o, add } = order();
    expect(add(A, 0)).toEqual(['a:0']);
    expect(add(A, 0)).toEqual([]);
    expect(add(A, 2)).toEqual([]);
    expect(add(A, 2)).toEqual([]);
    expect(o.held).toBe(1);
    expect(add(A, 1)).toEqual(['a:1', 'a:2']);
    expect(add(A, 1)).toEqual([]);
    expect(add(A, 2)).toEqual([]);
  });

  it(`gives a gap up after ${CHAT_HOLD_MS} ms: what waited goes out in order, and a late one is then a duplicate`, () => {
    const { o, add } = order();
    add(A, 0, 0);
    expect(add(A, 3, 1_000)).toEqual([]);
    expect(add(A, 2, 1_500)).toEqual([]);
    expect(o.nextDue()).toBe(1_000 + CHAT_HOLD_MS); // the first to wait is due first
    expect(o.due(1_000 + CHAT_HOLD_MS - 1)).toEqual([]);
    expect(o.due(1_000 + CHAT_HOLD_MS)).toEqual(['a:2', 'a:3']); // 3's wait is over: 2 goes before it
    expect(o.nextDue()).toBeUndefined();
    expect(add(A, 1, 5_000)).toEqual([]); // too late: shown would be out of order
    expect(add(A, 4, 5_000)).toEqual(['a:4']);
  });

  it('gives up only the gaps whose wait is over', () => {
    const { o, add } = order();
    add(A, 0, 0);
    add(A, 2, 0); // waits for 1
    add(A, 5, 2_000); // waits for 3, 4
    expect(o.due(CHAT_HOLD_MS)).toEqual(['a:2']);
    expect(o.nextDue()).toBe(2_000 + CHAT_HOLD_MS);
    expect(add(A, 3, 3_500)).toEqual(['a:3']);
    expect(o.due(2_000 + CHAT_HOLD_MS)).toEqual(['a:5']);
    expect(add(A, 4, 6_000)).toEqual([]);
  });

  it('releases the messages of every sender that are due, each in its order', () => {
    const { o, add } = order();
    add(A, 0, 0);
    add(B, 10, 0);
    add(A, 2, 100);
    add(B, 13, 200);
    add(B, 12, 300);
    expect(o.due(10_000).sort()).toEqual(['a:2', 'b:12', 'b:13']);
  });

  it('forgets the sender heard from least recently past its bound, releasing what it had waiting', () => {
    const { o, add } = order({ maxSenders: 2 });
    add(A, 0);
    add(A, 2); // waits
    add(B, 0);
    add(A, 3); // A heard from last: B is now the least recent
    expect(add(0xcn, 0)).toEqual(['c:0']); // B is forgotten (nothing waited)
    // B starts again (the call drops real repeats itself); A, now the least recent, is forgotten: what it had waiting
    // goes out first, in order, rather than being lost.
    expect(add(B, 0)).toEqual(['a:2', 'a:3', 'b:0']);
    expect(o.held).toBe(0);
  });

  it('releases waiting messages in order when a forgotten sender had them', () => {
    const { add } = order({ maxSenders: 1 });
    add(A, 0);
    add(A, 3);
    add(A, 2);
    expect(add(B, 7)).toEqual(['a:2', 'a:3', 'b:7']);
  });

  it('holds at most maxHeld messages: past it the one due first goes out early, in its sender’s order', () => {
    const { o, add } = order({ maxHeld: 2 });
    add(A, 0, 0);
    add(B, 0, 0);
    expect(add(A, 5, 10)).toEqual([]);
    expect(add(B, 9, 20)).toEqual([]);
    expect(add(A, 3, 30)).toEqual(['a:3', 'a:5']); // A's 5 was due first: released, and 3 before it
    expect(o.held).toBe(1);
    expect(add(A, 4, 40)).toEqual([]); // a duplicate now
    expect(add(B, 8, 50)).toEqual([]);
    // 9 and 8 wait, 7 is one too many: the earliest due (9) goes out early, and 7 and 8 before it.
    expect(add(B, 7, 60)).toEqual(['b:7', 'b:8', 'b:9']);
  });

  it('clear() forgets everything', () => {
    const { o, add } = order();
    add(A, 0);
    add(A, 5);
    o.clear();
    expect(o.held).toBe(0);
    expect(o.nextDue()).toBeUndefined();
    expect(add(A, 5)).toEqual(['a:5']);
  });

  it('whatever arrives, in any order, with repeats: each message at most once, in order per sender, bounded', () => {
    const arrival = fc.array(
      fc.record({ sender: fc.constantFrom(A, B, 0xcn), seq: fc.nat(20), after: fc.nat(2_000) }),
      { maxLength: 200 },
    );
    fc.assert(
      fc.property(arrival, (arrivals) => {
        const o = new ChatOrder<bigint, [bigint, number]>({ maxHeld: 8, maxSenders: 2 });
        const shown: [bigint, number][] = [];
        let now = 0;
        for (const { sender, seq, after } of arrivals) {
          now += after;
          shown.push(...o.due(now), ...o.add(sender, seq, [sender, seq], now));
          expect(o.held).toBeLessThanOrEqual(8);
        }
        shown.push(...o.due(now + CHAT_HOLD_MS));
        expect(o.held).toBe(0);
        // Only what arrived is shown (a forgotten sender starts over, so a seq may be shown again after that).
        const arrived = new Set(arrivals.map(({ sender, seq }) => `${sender}:${seq}`));
        for (const [sender, seq] of shown) expect(arrived.has(`${sender}:${seq}`)).toBe(true);
      }),
    );
  });

  it('with every sender remembered: each message shown exactly once, in seq order per sender', () => {
    const arrival = fc.array(fc.record({ sender: fc.constantFrom(A, B), seq: fc.nat(30), after: fc.nat(500) }), {
      maxLength: 200,
    });
    fc.assert(
      fc.property(arrival, (arrivals) => {
        const o = new ChatOrder<bigint, [bigint, number]>();
        const shown: [bigint, number][] = [];
        let now = 0;
        for (const { sender, seq, after } of arrivals) {
          now += after;
          shown.push(...o.due(now), ...o.add(sender, seq, [sender, seq], now));
        }
        shown.push(...o.due(now + CHAT_HOLD_MS));
        for (const sender of [A, B]) {
          const seqs = shown.filter(([s]) => s === sender).map(([, seq]) => seq);
          expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
          expect(new Set(seqs).size).toBe(seqs.length);
          // The first seq seen and every later one above it that arrived is shown: nothing after the start is lost.
          const first = arrivals.find((a) => a.sender === sender)?.seq;
          if (first !== undefined) expect(seqs[0]).toBe(first);
        }
      }),
    );
  });
});
