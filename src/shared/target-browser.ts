/**
 * @module Which browser this build is for: `vite build --mode firefox` defines `__FRAMELOCK_BROWSER__` as
 * `"firefox"`; every other build (and the unit tests, which define nothing) is Chrome's. Only what the two browsers
 * do differently reads it (docs/architecture.md, "Firefox"); the build removes the other browser's branch.
 */
declare const __FRAMELOCK_BROWSER__: string | undefined;

export type TargetBrowser = 'chrome' | 'firefox';

export const TARGET_BROWSER: TargetBrowser =
  typeof __FRAMELOCK_BROWSER__ === 'string' && __FRAMELOCK_BROWSER__ === 'firefox' ? 'firefox' : 'chrome';

/** The browser's name as its maker writes it, in every language: what messages say where the build's browser acts. */
export const TARGET_BROWSER_NAME: string = TARGET_BROWSER === 'firefox' ? 'Firefox' : 'Chrome';
