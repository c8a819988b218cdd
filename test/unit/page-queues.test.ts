/**
 * The page script's bounded answers and in-order queues (src/page/answer.ts, src/page/in-order.ts), which keep a data
 * channel's messages in the page's order whatever the link does: answers in any order, at once, twice, late, never,
 * or by throwing. And the UTF-8 length send() counts (src/page/utf8-length.ts). Pure: timers are passed in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AnswerSource, answerWithin, type Timers } from '../../src/page/answer';
import { inOrder } from '../../src/page/in-order';
import { utf8Length } from '../../src/page/utf8-length';

/** Timers driven by hand: `advance(ms)` fires what is due. */
function manualTimers() {
  let now = 0;
  const due = new Map<number, { at: number; callback: () => void }>();
  let next = 0;
  const timers: Timers = {
    setTimeout(callback, ms) {
      due.set(++next, { at: now + ms, callback });
      return next;
    },
    clearTimeout(handle) {
      due.delete(handle as number);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [handle, timer] of [...due]) {
      if (timer.at <= now) {
        due.delete(handle);
        timer.callback();
      }
    }
  };
  return { timers, advance, pending: () => due.size };
}

describe('answerWithin', () => {
  function ask<T>(fallback: T, link: (answer: (value: T) => void) => void) {
    const { timers, advance, pending } = manualTimers();
    const taken: [T, AnswerSource][] = [];
    answerWithin(timers, 250, fallback, link, (value, source) => taken.push([value, source]));
    return { taken, advance, pending };
  }

  it('takes an answer given at once, synchronously, and sets no timer', () => {
    const { taken, pending } = ask<string | undefined>(undefined, (answer) => answer('line'));
    expect(taken).toEqual([['line', 'answered']]);
    expect(pending()).toBe(0);
  });

  it('takes the fallback when the link throws', () => {
    const { taken } = ask<boolean>(false, () => {
      throw new Error('link down');
    });
    expect(taken).toEqual([[false, 'threw']]);
  });

  it('takes the fallback at the deadline, and ignores the answer that comes later', () => {
    let late: ((value: string) => void) | undefined;
    const { taken, advance } = ask('fallback', (answer) => {
      late = answer;
    });
    advance(249);
    expect(taken).toEqual([]);
    advance(1);
    expect(taken).toEqual([['fallback', 'late']]);
    late?.('too late');
    expect(taken).toHaveLength(1);
  });

  it('takes only the first of two answers, and clears its timer', () => {
    let answer: ((value: number) => void) | undefined;
    const { taken, advance, pending } = ask(0, (a) => {
      answer = a;
    });
    answer?.(1);
    answer?.(2);
    expect(pending()).toBe(0);
    advance(1_000);
    expect(taken).toEqual([[1, 'answered']]);
  });
});

describe('inOrder', () => {
  /** A queue whose steps wait for the test to answer them: `answer(i, out)` finishes input `i`. */
  function queue(started = true) {
    const waiting = new Map<number, (out: string) => void>();
    const delivered: string[] = [];
    const processed: number[] = [];
    const q = inOrder<number, string>({
      process: (input, done) => {
        processed.push(input);
        waiting.set(input, done);
      },
      deliver: (out, input) => delivered.push(`${input}:${out}`),
    });
    if (started) q.start();
    const answer = (input: number, out = 'ok') => waiting.get(input)?.(out);
    return { q, delivered, processed, answer };
  }

  it('delivers in push order, whatever order the steps finish in', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }).chain((n) => fc.shuffledSubarray([...Array(n).keys()], { minLength: n })),
        (finishOrder) => {
          const { q, delivered, processed, answer } = queue();
          for (let i = 0; i < finishOrder.length; i++) q.push(i);
          expect(processed).toEqual([...finishOrder.keys()]); // asked in push order, all at once
          for (const i of finishOrder) answer(i);
          expect(delivered).toEqual([...finishOrder.keys()].map((i) => `${i}:ok`));
          expect(q.length).toBe(0);
        },
      ),
    );
  });

  it('holds everything until started, then processes it in order', () => {
    const { q, delivered, processed, answer } = queue(false);
    q.push(0);
    q.push(1);
    expect(processed).toEqual([]);
    expect(q.length).toBe(2);
    q.start();
    q.start();
    expect(processed).toEqual([0, 1]);
    answer(1);
    answer(0);
    expect(delivered).toEqual(['0:ok', '1:ok']);
  });

  it('handles steps that answer synchronously, and pushes made from inside deliver', () => {
    const delivered: number[] = [];
    const q = inOrder<number, number>({
      process: (input, done) => done(input),
      deliver: (out) => {
        delivered.push(out);
        if (out < 5) q.push(out + 1);
      },
    });
    q.start();
    q.push(0);
    expect(delivered).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('ignores a second answer for the same input', () => {
    const { q, delivered, answer } = queue();
    q.push(0);
    q.push(1);
    answer(1, 'first');
    answer(1, 'second');
    answer(0);
    expect(delivered).toEqual(['0:ok', '1:first']);
  });

  it('clear() drops what is not delivered, ignores its late answers, and goes on with new inputs', () => {
    const { q, delivered, answer } = queue();
    q.push(0);
    q.push(1);
    answer(0);
    expect(q.clear()).toBe(1);
    expect(q.length).toBe(0);
    answer(1, 'late');
    q.push(2);
    answer(2);
    expect(delivered).toEqual(['0:ok', '2:ok']);
  });

  it('keeps working when the page put setters on numeric keys of Object.prototype and Array.prototype', () => {
    // (No arrays in the test while the traps are set: its own bookkeeping would run into them.)
    let trapped = 0;
    const trap = () => {
      trapped++;
    };
    const keys = '012';
    for (const proto of [Object.prototype, Array.prototype]) {
      for (const key of keys) Object.defineProperty(proto, key, { set: trap, get: trap, configurable: true });
    }
    let delivered = '';
    try {
      const waiting = new Map<number, (out: string) => void>();
      const q = inOrder<number, string>({
        process: (input, done) => void waiting.set(input, done),
        deliver: (out, input) => {
          delivered += `${input}:${out} `;
        },
      });
      q.start();
      for (let i = 0; i < 3; i++) q.push(i);
      for (const i of [2, 0, 1]) waiting.get(i)?.('ok');
    } finally {
      for (const proto of [Object.prototype, Array.prototype]) {
        for (const key of keys) delete (proto as Record<string, unknown>)[key];
      }
    }
    expect(delivered).toBe('0:ok 1:ok 2:ok ');
    expect(trapped).toBe(0);
  });
});

describe('utf8Length', () => {
  it('counts what the native sends: UTF-8 bytes, a lone surrogate as U+FFFD', () => {
    expect(utf8Length('')).toBe(0);
    expect(utf8Length('abc')).toBe(3);
    expect(utf8Length('é✓😀')).toBe(2 + 3 + 4);
    expect(utf8Length('\ud83d')).toBe(3);
    expect(utf8Length('\ude00\ud83d')).toBe(6);
  });

  it('agrees with TextEncoder on any UTF-16 string', () => {
    const unit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 64 }), (text) => {
        expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
      }),
    );
  });
});
