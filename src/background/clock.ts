/**
 * @module The background's clock: the time epochs are computed from (`src/shared/epoch.ts`), and which the content
 * bridges follow. It is the system clock. Only test builds (`vite build --mode rotation-test`) can shift it, by
 * `storage.local.testClockOffsetMs`, so a browser test can play a participant whose clock is off; in a shipped build
 * that code is not even there (the `__FRAMELOCK_TEST_BUILD__` branches are removed at build time).
 */
import browser from 'webextension-polyfill';

declare const __FRAMELOCK_TEST_BUILD__: boolean | undefined;

const TEST_BUILD = typeof __FRAMELOCK_TEST_BUILD__ === 'boolean' && __FRAMELOCK_TEST_BUILD__;
const OFFSET_KEY = 'testClockOffsetMs';

let offset: Promise<number> = Promise.resolve(0);

if (TEST_BUILD) {
  const read = async (): Promise<number> => {
    const value = (await browser.storage.local.get(OFFSET_KEY))[OFFSET_KEY];
    return typeof value === 'number' && Number.isFinite(value) ? value : 0;
  };
  offset = read();
  browser.storage.onChanged.addListener((changes, area) => {
    if (area === 'local' && OFFSET_KEY in changes) offset = read();
  });
}

/** Milliseconds since the Unix epoch, as far as Framelock is concerned. */
export async function clockNow(): Promise<number> {
  return Date.now() + (await offset);
}
