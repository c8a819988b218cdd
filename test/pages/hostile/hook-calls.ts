/**
 * @module Hooks on Function.prototype.call / apply / bind and array iteration (also what WebIDL uses to read a
 * sequence, such as a transfer list): cheap checks for keys and ports passing by, with where they were called from.
 */
import { alarm, count, isMine, state } from './log.ts';
import { apply, errorStack, isArray } from './natives.ts';
import { replaceMethod } from './replace.ts';
import { brandOf } from './scan.ts';

/** Raises an alarm for a CryptoKey, or a port or worker not of the page's own, among the first `max` of `values`. */
function quickCheck(where: string, values: ArrayLike<unknown>, max: number): void {
  if (state.busy > 0) return;
  state.busy++;
  try {
    for (let i = 0; i < values.length && i < max; i++) {
      const brand = brandOf(values[i]);
      if (brand === 'CryptoKey') alarm('CryptoKey', where, `${i}: ${errorStack(3)}`);
      else if ((brand === 'MessagePort' || brand === 'Worker') && !isMine(values[i])) {
        alarm(`foreign ${brand}`, where, `${i}: ${errorStack(3)}`);
      }
    }
  } finally {
    state.busy--;
  }
}

export function hookCalls(): void {
  for (const name of ['call', 'apply', 'bind']) {
    replaceMethod(
      Function.prototype,
      name,
      (original) =>
        function (this: unknown, ...args: unknown[]) {
          count(`Function.prototype.${name}`);
          quickCheck(`Function.prototype.${name}`, args, 4);
          return apply(original, this, args);
        },
    );
  }
  replaceMethod(
    Array.prototype,
    Symbol.iterator,
    (original) =>
      function (this: unknown) {
        count('Array iterator');
        if (isArray(this)) quickCheck('Array iterator', this, 8);
        return apply(original, this, []);
      },
  );
}
