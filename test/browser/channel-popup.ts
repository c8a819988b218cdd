/**
 * What the popup says about a tab's data channels (issue 16 part 2; src/popup/DataChannels.tsx): under "Text
 * messages", one row per channel with the site's label, "End-to-end encrypted", "Text encrypted with the room
 * passphrase…" or "Not end-to-end encrypted", and how many messages went each way. Headless Chromium cannot open the
 * real popup, so its page is opened in a tab about the call's tab (`src/popup/index.html?tabId=<id>`), as
 * popup.test.ts does.
 */
/// <reference types="chrome" />
import type { Page } from 'puppeteer-core';
import { expect } from 'vitest';
import { type ExtensionBrowser, sleep, tabIdOf, waitFor } from './harness';

const POPUP_PAGE = 'src/popup/index.html';

/** The popup's words for each state of a channel. */
export const CHANNEL_WORDS = {
  e2e: 'End-to-end encrypted',
  passphrase: 'Text encrypted with the room passphrase',
  clear: 'Not end-to-end encrypted',
} as const;

export type ChannelWords = keyof typeof CHANNEL_WORDS;

/** One row of the popup's "Text messages", as shown. */
export interface ChannelRowView {
  label: string;
  state: string;
  status: string;
  sent: number;
  received: number;
  /** "1 message refused", "3 messages refused", or ''. */
  note: string;
}

/** The rows of the popup's "Text messages" (none: the popup shows no data channel). */
export function channelRows(popup: Page): Promise<ChannelRowView[]> {
  return popup.evaluate(() => {
    const count = (text: string, word: string): number =>
      Number((new RegExp(`${word}: ([0-9][0-9,.\\s]*)`).exec(text)?.[1] ?? '-1').replace(/[^0-9]/g, ''));
    return [...document.querySelectorAll('[aria-labelledby="text-heading"] li.channel')].map((row) => {
      const counts = row.querySelector('.row-counts')?.textContent ?? '';
      return {
        label: row.querySelector('.channel-label')?.textContent ?? '',
        state: row.getAttribute('data-state') ?? '',
        status: row.querySelector('.row-status')?.textContent ?? '',
        sent: count(counts, 'Sent'),
        received: count(counts, 'Received'),
        note: row.querySelector('.row-note')?.textContent ?? '',
      };
    });
  });
}

/**
 * The popup about the tab of `ext` whose URL contains `urlPart` shows the channel `label` as `state`, in its words, with
 * none refused, and still does 2 s later (past the bridge's report interval: a protected channel never turns into a
 * clear one); with `sent` and `received`, those are its counts then. Returns the row.
 */
export async function expectChannelPopup(
  ext: ExtensionBrowser,
  urlPart: string,
  expected: { label: string; state: ChannelWords; sent?: number; received?: number },
): Promise<ChannelRowView> {
  const popup = await ext.openExtensionPage(`${POPUP_PAGE}?tabId=${await tabIdOf(ext, urlPart)}`);
  const { label, state, sent, received } = expected;
  const matching = async (): Promise<ChannelRowView | undefined> =>
    (await channelRows(popup)).find((r) => r.label === label && r.state === state);
  try {
    await waitFor(matching, {
      description: `the popup to show channel "${label}" as ${state}`,
      timeoutMs: 10_000,
    }).catch(async (error: unknown) => {
      const rows = await channelRows(popup);
      const text = await popup.evaluate(() => document.body.textContent ?? '');
      throw new Error(`${(error as Error).message}; its rows: ${JSON.stringify(rows)}; its text: ${text}`);
    });
    await sleep(2_000);
    const rows = (await channelRows(popup)).filter((r) => r.label === label);
    expect(rows, `the popup's rows for "${label}"`).toHaveLength(1);
    const row = rows[0] as ChannelRowView;
    expect(row.state).toBe(state);
    expect(row.status).toContain(CHANNEL_WORDS[state]);
    expect(row.note).toBe('');
    if (sent !== undefined) expect(row.sent, `messages sent on "${label}", as the popup counts them`).toBe(sent);
    if (received !== undefined) {
      expect(row.received, `messages received on "${label}", as the popup counts them`).toBe(received);
    }
    return row;
  } finally {
    await popup.close();
  }
}
