/**
 * @module Disguised Proxies: every patch of the page script replaces a native function (method, getter or setter) with
 * a Proxy of it that looks native to the site. V8 prints a Proxy of a function as `function () { [native code] }` (no
 * name): Function.prototype.toString is itself proxied to print the native's source for ours, so the site sees
 * `function addTrack() { [native code] }` as before.
 */
import { natives as N } from './natives';

const { apply } = N;

/** Our Proxies, each mapped to the native function it stands for. */
const disguises = new N.WeakMap<object, unknown>();

function disguise<T extends object>(proxy: T, native: unknown): T {
  // A Proxy of one of ours (two patches of one method, the later wrapping the earlier's Proxy) stands for the native
  // too, or its toString would print the nameless Proxy.
  const original = apply(N.weakMapGet, disguises, [native]) ?? native;
  apply(N.weakMapSet, disguises, [proxy, original]);
  return proxy;
}

let toStringPatched = false;
function patchToString(): void {
  if (toStringPatched) return;
  toStringPatched = true;
  const native = N.functionToString;
  const descriptor = N.getDescriptor(Function.prototype, 'toString');
  if (descriptor === undefined) return;
  const proxy = new N.Proxy(
    native,
    bare({
      apply(target, thisArg, args) {
        const original = apply(N.weakMapGet, disguises, [thisArg]);
        return apply(target, original ?? thisArg, args);
      },
    }),
  );
  disguise(proxy, native);
  N.defineProperty(Function.prototype, 'toString', { ...descriptor, value: proxy });
}

/**
 * `handler` without a prototype. A Proxy looks up every trap on its handler, on each operation: one it lacks (`get`,
 * `has`, `apply`, `getPrototypeOf`...) would be looked up on Object.prototype, where the page can define it, and be
 * called with our Proxy's target, the native function itself (the native `transform` setter, past the guard).
 */
function bare<T extends object>(handler: ProxyHandler<T>): ProxyHandler<T> {
  N.setPrototypeOf(handler, null);
  return handler;
}

/** A Proxy of a native function that looks like it (toString included), with only the traps of `handler`. */
export function proxyOf<T extends object>(native: T, handler: ProxyHandler<T>): T {
  patchToString();
  return disguise(new N.Proxy(native, bare(handler)), native);
}
