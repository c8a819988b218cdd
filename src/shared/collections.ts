/**
 * Small helpers for the bounded, insertion-ordered collections every context keeps (least recently used first).
 */

/** Deletes the first (oldest) entry of an insertion-ordered Map or Set; nothing when it is empty. */
export function dropOldest<K>(collection: { keys(): IterableIterator<K>; delete(key: K): boolean }): void {
  const first = collection.keys().next();
  if (!first.done) collection.delete(first.value);
}
