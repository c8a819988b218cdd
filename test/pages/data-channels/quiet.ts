/**
 * @module What the test page's own code does, set apart: the fake link (the bridge's stand-in), the tap and the site's
 * message handlers run `quietly`, so that the built-in hooks of hooks.ts record only what the patch calls. The depth
 * lives on a global symbol: the tap is a script of its own, with its own copy of this module.
 */
const KEY = Symbol.for('framelock.test.quiet');
const realm = globalThis as Record<symbol, { depth: number } | undefined>;
const box = realm[KEY] ?? { depth: 0 };
realm[KEY] = box;

/** Whether code running now is the test's own (inside {@link quietly}). */
export function isQuiet(): boolean {
  return box.depth > 0;
}

/** Runs `work` as the test's own code. */
export function quietly<T>(work: () => T): T {
  box.depth++;
  try {
    return work();
  } finally {
    box.depth--;
  }
}
