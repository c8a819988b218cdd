/**
 * What the popup says about a tab's data channels (issue 16 part 2; README "The site's own messages"): each channel as
 * "End-to-end encrypted", "Text encrypted with the room passphrase" or "Not end-to-end encrypted". Headless Chromium
 * cannot open the real popup, so its page is opened in a tab about the call's tab (`src/popup/index.html?tabId=<id>`),
 * as popup.test.ts does.
 *
 * The popup's channel lines are being added on another branch. Until the built popup has them, {@link expectChannelPopup}
 * says so on the console and checks nothing; once it has them, the checks run by themselves.
 * TODO(issue 16 part 2, popup): once the channel lines are on main, drop {@link popupShowsChannels} and check always.
 */
/// <reference types="chrome" />
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { DEFAULT_EXTENSION_PATH, type ExtensionBrowser, sleep, waitFor } from './harness';

const POPUP_PAGE = 'src/popup/index.html';

/** The popup's words for each state of a channel (README, "The site's own messages"). */
export const CHANNEL_WORDS = {
  e2e: 'End-to-end encrypted',
  passphrase: 'Text encrypted with the room passphrase',
  clear: 'Not end-to-end encrypted',
} as const;

export type ChannelWords = keyof typeof CHANNEL_WORDS;

/** Whether the built extension's popup has words for a channel that is not protected. */
export async function popupShowsChannels(): Promise<boolean> {
  const messages = await readFile(path.join(DEFAULT_EXTENSION_PATH, '_locales', 'en', 'messages.json'), 'utf8');
  return messages.includes(CHANNEL_WORDS.clear);
}

/** The id of the tab of `ext` whose URL contains `urlPart`. */
function tabIdOf(ext: ExtensionBrowser, urlPart: string): Promise<number> {
  return waitFor(
    () =>
      ext.serviceWorker.evaluate(
        async (part: string) => (await chrome.tabs.query({})).find((t) => t.url?.includes(part))?.id ?? null,
        urlPart,
      ),
    { description: `a tab at …${urlPart}` },
  );
}

/**
 * The popup about the tab of `ext` whose URL contains `urlPart` says its channel is `state`, and says no worse. On
 * `e2e` it must never say "Not end-to-end encrypted" (checked past the bridge's report interval, so a late report
 * would show); on `passphrase` neither.
 */
export async function expectChannelPopup(ext: ExtensionBrowser, urlPart: string, state: ChannelWords): Promise<void> {
  if (!(await popupShowsChannels())) {
    console.warn(`the built popup has no "${CHANNEL_WORDS.clear}" yet: its check of the channel (${state}) is skipped`);
    return;
  }
  const page = await ext.openExtensionPage(`${POPUP_PAGE}?tabId=${await tabIdOf(ext, urlPart)}`);
  const text = () => page.evaluate(() => document.body.textContent ?? '');
  try {
    await waitFor(async () => (await text()).includes(CHANNEL_WORDS[state]), {
      description: `the popup to say "${CHANNEL_WORDS[state]}"`,
      timeoutMs: 10_000,
    }).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}; it shows:\n${await text()}`);
    });
    if (state !== 'clear') {
      await sleep(2_000);
      expect(await text()).not.toContain(CHANNEL_WORDS.clear);
    }
    if (state === 'e2e') expect(await text()).not.toContain(CHANNEL_WORDS.passphrase);
  } finally {
    await page.close();
  }
}
