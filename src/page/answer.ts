/**
 * @module Bounded answers: the page script asks the bridge (through a DataLink, data-link.ts) and must go on whatever
 * the link does. {@link answerWithin} turns a callback that may come once, twice, late, never, or never because the
 * call threw, into exactly one answer within a deadline. Pure: the timers are passed in (the page script's are the
 * natives saved at document_start).
 */

/** The timers {@link answerWithin} needs: `setTimeout` and `clearTimeout`, saved before the page ran. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** How an answer came: from the link, or the fallback because it threw or took longer than the deadline. */
export type AnswerSource = 'answered' | 'threw' | 'late';

/**
 * Calls `ask` with a one-shot `answer` callback, and `take` exactly once: with the first value `ask` answers within
 * `ms`, or with `fallback` if `ask` throws first or has not answered by then. Later answers are ignored. `take` runs
 * synchronously inside `ask` if the link answers synchronously.
 */
export function answerWithin<T>(
  timers: Timers,
  ms: number,
  fallback: T,
  ask: (answer: (value: T) => void) => void,
  take: (value: T, source: AnswerSource) => void,
): void {
  let settled = false;
  let timer: unknown;
  const settle = (value: T, source: AnswerSource) => {
    if (settled) return;
    settled = true;
    if (timer !== undefined) timers.clearTimeout(timer);
    take(value, source);
  };
  try {
    ask((value) => settle(value, 'answered'));
  } catch {
    settle(fallback, 'threw');
    return;
  }
  if (!settled) timer = timers.setTimeout(() => settle(fallback, 'late'), ms);
}
