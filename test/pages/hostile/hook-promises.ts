/**
 * @module Hooks on promises in the page realm: every fulfilled value a page-visible `then` sees, every resolve() of a
 * page-made promise, and every object a promise is resolved with (the engine reads its `then`). A key handed from one
 * of Framelock's functions to another through a promise of the page realm would pass one of these.
 */
import { count, error, state } from './log.ts';
import {
  type AnyFunction,
  apply,
  construct,
  defineProperty,
  getDescriptor,
  NativePromise,
  NativeWeakSet,
  nativeThen,
  O,
  weakAdd,
  weakHas,
} from './natives.ts';
import { observe } from './observe.ts';
import { hooks, ownValue, replaceMethod } from './replace.ts';

export function hookPromises(): void {
  replaceMethod(
    Promise.prototype,
    'then',
    (original) =>
      function (this: Promise<unknown>, onFulfilled: unknown, onRejected: unknown) {
        const fulfilled =
          typeof onFulfilled === 'function'
            ? function (this: unknown, value: unknown) {
                observe('Promise.then value', value);
                return apply(onFulfilled, this, [value]);
              }
            : onFulfilled;
        const rejected =
          typeof onRejected === 'function'
            ? function (this: unknown, reason: unknown) {
                observe('Promise.then reason', reason);
                return apply(onRejected, this, [reason]);
              }
            : onRejected;
        return apply(original, this, [fulfilled, rejected]);
      },
  );
  for (const name of ['catch', 'finally']) {
    replaceMethod(
      Promise.prototype,
      name,
      (original) =>
        function (this: Promise<unknown>, ...args: unknown[]) {
          count(`Promise.${name}`);
          return apply(original, this, args);
        },
    );
  }
  for (const name of ['resolve', 'reject', 'all', 'allSettled', 'any', 'race']) {
    replaceMethod(
      NativePromise,
      name,
      (original) =>
        function (this: unknown, ...args: unknown[]) {
          observe(`Promise.${name}`, args);
          return apply(original, this, args);
        },
    );
  }
  if (!apply(weakHas, hooks, [window.Promise])) {
    const HostilePromise: PromiseConstructor = new Proxy(NativePromise, {
      construct(target, args, newTarget) {
        const executor = args[0] as unknown;
        if (typeof executor !== 'function') return construct(target, args, newTarget);
        return construct(
          target,
          [
            (resolve: AnyFunction, reject: AnyFunction) =>
              executor(
                (value: unknown) => {
                  observe('new Promise resolve', value);
                  return resolve(value);
                },
                (reason: unknown) => {
                  observe('new Promise reject', reason);
                  return reject(reason);
                },
              ),
          ],
          newTarget === HostilePromise ? target : newTarget,
        );
      },
    });
    apply(weakAdd, hooks, [HostilePromise]);
    defineProperty(window, 'Promise', { value: HostilePromise, writable: true, configurable: true });
  }
  // `await x` and every native then() read `constructor` of the promise: look at the value it settles with.
  const constructorDescriptor = getDescriptor(NativePromise.prototype, 'constructor');
  if (constructorDescriptor && 'value' in constructorDescriptor) {
    const watched = new NativeWeakSet<object>();
    const read = function (this: Promise<unknown>) {
      count('Promise.prototype.constructor');
      if (state.busy === 0 && !apply(weakHas, watched, [this])) {
        apply(weakAdd, watched, [this]);
        state.busy++;
        try {
          apply(nativeThen, this, [(value: unknown) => observe('awaited value', value), () => {}]);
        } catch (e) {
          error('Promise.prototype.constructor', e);
        } finally {
          state.busy--;
        }
      }
      return NativePromise;
    };
    apply(weakAdd, hooks, [read]);
    defineProperty(NativePromise.prototype, 'constructor', {
      get: read,
      set: ownValue('constructor'),
      configurable: true,
    });
  }
  if (!getDescriptor(O.prototype, 'then')) {
    const thenGetter = function (this: unknown) {
      if (this !== null && typeof this === 'object' && !(this instanceof NativePromise))
        observe('thenable check', this);
      return undefined;
    };
    apply(weakAdd, hooks, [thenGetter]);
    // The point: see every object a promise is resolved with (the engine reads its `then`).
    defineProperty(O.prototype, 'then', { get: thenGetter, set: ownValue('then'), configurable: true });
  }
}
