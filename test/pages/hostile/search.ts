/**
 * @module Looks for a secret (the test's passphrase) everywhere the page can reach: every string reachable from
 * window, the page's HTML, the storage dump and every string the hooks saw.
 */
import type { SearchResult } from './api.ts';
import { H } from './log.ts';
import {
  apply,
  getDescriptor,
  getNames,
  getSymbols,
  isView,
  NativeWeakSet,
  push,
  tagOf,
  weakAdd,
  weakHas,
} from './natives.ts';

/**
 * Looks for `needle` in every string reachable from window (own and inherited enumerable-or-not data properties,
 * breadth first, bounded), in the page's HTML, in storage and in everything the hooks saw. Returns where it was found.
 */
export function search(needle: string, limit = 200_000): SearchResult {
  const hits: string[] = [];
  const seen = new NativeWeakSet<object>();
  const queue: [object, string][] = [[window, 'window']];
  let visited = 0;
  while (queue.length > 0 && visited < limit) {
    const [object, path] = queue.shift() as [object, string];
    visited++;
    let keys: (string | symbol)[];
    try {
      keys = [...getNames(object), ...getSymbols(object)];
    } catch {
      continue;
    }
    for (const key of keys) {
      let descriptor: PropertyDescriptor | undefined;
      try {
        descriptor = getDescriptor(object, key);
      } catch {
        continue;
      }
      if (!descriptor) continue;
      let value: unknown = descriptor.value;
      if (!('value' in descriptor)) {
        // Accessors are read on window itself only (document, location, storage...): elsewhere a getter may trap.
        if (object !== window || typeof descriptor.get !== 'function') continue;
        try {
          value = apply(descriptor.get, window, []);
        } catch {
          continue;
        }
      }
      const where = `${path}.${String(key)}`;
      if (typeof value === 'string') {
        if (value.includes(needle)) push(hits, where);
      } else if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
        if (apply(weakHas, seen, [value])) continue;
        apply(weakAdd, seen, [value]);
        if (isView(value) || tagOf(value) === 'ArrayBuffer') continue;
        push(queue, [value, where]);
      }
    }
  }
  if (document.documentElement.outerHTML.includes(needle)) push(hits, 'document.documentElement.outerHTML');
  if (JSON.stringify(H.storage ?? {}).includes(needle)) push(hits, '__hostile.storage');
  for (const text of H.strings) if (text.includes(needle)) push(hits, `a string the hooks saw: ${text.slice(0, 80)}`);
  return { hits, visited, exhausted: queue.length === 0 };
}
