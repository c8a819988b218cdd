/**
 * @module The scripts of the test pages (test/pages/): TypeScript, type-checked with the tests (tsconfig.test.json),
 * and bundled here into what a page loads with `<script src>`: one self-contained classic script each (no module, no
 * import), so that `?hostile=` can put one first in <head> where it runs synchronously before any other page script.
 * Built with vite's `build` API, as scripts/injected-scripts.ts builds the extension's injected scripts, once per
 * process and only when a page first asks for one.
 */
import { fileURLToPath } from 'node:url';
import { bundleClassicScript } from '../../scripts/injected-scripts.ts';

const PAGES_DIR = fileURLToPath(new URL('../pages/', import.meta.url));

/** URL path → entry module under test/pages/. */
export const PAGE_SCRIPTS: Readonly<Record<string, string>> = {
  /** `?hostile=1`: hooks every built-in and attacks the hand-off, the transforms and child realms. */
  '/hostile.js': 'hostile/main.ts',
  '/hostile-quiet.js': 'hostile-quiet.ts',
  '/hostile-throwing.js': 'hostile-throwing.ts',
  '/hostile-worker.js': 'hostile-worker.ts',
  '/hostile-sw.js': 'hostile-sw.ts',
  /** Not a page script: the service worker hostile-sw.ts registers (at the root, to control the whole site). */
  '/hostile-sw-worker.js': 'hostile-sw-worker.ts',
  /** `/data-channels.html`: records what the browser's data channels carry, below the patch (first). */
  '/data-channels-tap.js': 'data-channels/tap.ts',
  /** `/data-channels.html`: the page script's patch with a fake data link, and the test's helpers. */
  '/data-channels.js': 'data-channels/main.ts',
};

const built = new Map<string, Promise<string>>();

/** The bundled script served at `pathname`, or undefined if no page script lives there. Built once, then cached. */
export function pageScript(pathname: string): Promise<string> | undefined {
  const entry = Object.hasOwn(PAGE_SCRIPTS, pathname) ? PAGE_SCRIPTS[pathname] : undefined;
  if (entry === undefined) return undefined;
  let script = built.get(entry);
  if (script === undefined) {
    script = bundlePageScript(entry);
    // A failed build is not cached: the next request tries again (after the file is fixed, in watch-like use).
    script.catch(() => built.delete(entry));
    built.set(entry, script);
  }
  return script;
}

/**
 * Bundles `entry` as one classic script, as the extension's own are built. Not minified, so that a test's failure
 * points at readable code. And not strict: vite wraps modules in `"use strict"` by default, but a page's own script is
 * sloppy, and the attacks count on it (a `delete` of a non-configurable property is false there, not a TypeError).
 */
function bundlePageScript(entry: string): Promise<string> {
  return bundleClassicScript(entry, { root: PAGES_DIR, minify: false, strict: false });
}
