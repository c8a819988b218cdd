/**
 * @module How the hostile page replaces a built-in: a method, a getter or a setter of an object, keeping the rest of
 * its descriptor, and never wrapping one of its own hooks again (the hooks are re-applied at every stage: main.ts).
 */
import { error } from './log.ts';
import { type AnyFunction, apply, defineProperty, getDescriptor, NativeWeakSet, weakAdd, weakHas } from './natives.ts';

/** Our hook functions (and replaced constructors), so that re-applying a hook never wraps one of ours again. */
export const hooks = new NativeWeakSet<object>();

/** Replaces `target[name]`, a method, with what `make` builds around the current one. */
export function replaceMethod(
  target: object | undefined,
  name: string | symbol,
  make: (original: AnyFunction) => AnyFunction,
): void {
  try {
    const descriptor = target ? getDescriptor(target, name) : undefined;
    if (!descriptor || typeof descriptor.value !== 'function' || apply(weakHas, hooks, [descriptor.value])) return;
    const hook = make(descriptor.value);
    apply(weakAdd, hooks, [hook]);
    defineProperty(target, name, { ...descriptor, value: hook });
  } catch (e) {
    error(`hook ${String(name)}`, e);
  }
}

/** Replaces the getter of `target[name]` with what `make` builds around the current one. */
export function replaceGetter(
  target: object | undefined,
  name: string,
  make: (original: AnyFunction) => AnyFunction,
): void {
  try {
    const descriptor = target ? getDescriptor(target, name) : undefined;
    if (!descriptor || typeof descriptor.get !== 'function' || apply(weakHas, hooks, [descriptor.get])) return;
    const hook = make(descriptor.get);
    apply(weakAdd, hooks, [hook]);
    defineProperty(target, name, { ...descriptor, get: hook });
  } catch (e) {
    error(`hook get ${name}`, e);
  }
}

/** Replaces the setter of `target[name]` with what `make` builds around the current one. */
export function replaceSetter(
  target: object | undefined,
  name: string,
  make: (original: AnyFunction) => AnyFunction,
): void {
  try {
    const descriptor = target ? getDescriptor(target, name) : undefined;
    if (!descriptor || typeof descriptor.set !== 'function' || apply(weakHas, hooks, [descriptor.set])) return;
    const hook = make(descriptor.set);
    apply(weakAdd, hooks, [hook]);
    defineProperty(target, name, { ...descriptor, set: hook });
  } catch (e) {
    error(`hook set ${name}`, e);
  }
}

/** A setter for an accessor we put on a prototype: assigning still makes an own property, as it would have. */
export function ownValue(name: string): (this: object, value: unknown) => void {
  return function (value) {
    defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true });
  };
}
