/**
 * The toolbar icon per tab (src/background/icon.ts, badge.ts) in real Chromium: when Chrome forgets a tab's icon, and
 * that the right one shows after each kind of navigation. Chrome has no `action.getIcon`, so the service worker's
 * `chrome.action.setIcon` is wrapped to record what Framelock sets (the polyfill looks it up at each call), and the
 * tab's badge colour, which the same reset clears and Framelock sets just before the icon, tells whether what was set
 * still holds.
 */
/// <reference types="chrome" />
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOLBAR_ICONS, type ToolbarState } from '../../src/background/icon';
import { startTestServer, type TestServer } from '../server/test-server';
import { chromiumAvailable, type ExtensionBrowser, waitFor } from './harness';
import { enableSiteThroughOptions, launchWithSiteGranted, sendFromExtensionPage } from './permissions';

const PASSPHRASE = 'correct horse battery staple';
/** The badge colour Framelock sets per tab when nothing is wrong (src/background/badge.ts). */
const PROTECTED_COLOR = [0x1b, 0x6e, 0x3a, 255];

interface TabButton {
  tabId: number;
  /** The tab's badge colour: Framelock's, or the default once Chrome forgot the tab's values. */
  color: number[];
  /** The last icon Framelock set for the tab, by state; undefined if none since the recorder started. */
  icon: ToolbarState | undefined;
  /** How many icons Framelock set for the tab. */
  sets: number;
}

describe.skipIf(!chromiumAvailable)('the toolbar icon per tab (headless Chromium)', () => {
  let server: TestServer;
  let ext: ExtensionBrowser;
  let page: Page;
  /** The enabled site, and the same server under another origin that is not enabled. */
  let enabled: string;
  let other: string;
  let defaultColor: number[];
  let pageTabId: number;

  /** Wraps `chrome.action.setIcon` in the service worker to record each icon set (tab, 16 px path). */
  async function recordIcons(): Promise<void> {
    await ext.serviceWorker.evaluate(() => {
      const g = globalThis as { iconLog?: { tabId?: number; path?: string }[] };
      if (g.iconLog) return;
      g.iconLog = [];
      const log = g.iconLog;
      const setIcon = chrome.action.setIcon.bind(chrome.action);
      chrome.action.setIcon = ((details: chrome.action.TabIconDetails, ...rest: unknown[]) => {
        const path = details.path as Record<string, string> | undefined;
        log.push({ tabId: details.tabId ?? undefined, path: path?.['16'] });
        return (setIcon as (...args: unknown[]) => unknown)(details, ...rest);
      }) as typeof chrome.action.setIcon;
    });
  }

  /** The ids of the open tabs (their URLs are hidden from the extension where it has no host permission). */
  const tabIds = () =>
    ext.serviceWorker.evaluate(async () => (await chrome.tabs.query({})).map((t) => t.id ?? chrome.tabs.TAB_ID_NONE));

  async function tabButton(): Promise<TabButton> {
    const view = await ext.serviceWorker.evaluate(async (tabId: number) => {
      const log = (globalThis as { iconLog?: { tabId?: number; path?: string }[] }).iconLog;
      if (log === undefined) throw new Error('the service worker restarted: the recorder is gone');
      const mine = log.filter((entry) => entry.tabId === tabId);
      return {
        tabId,
        color: await chrome.action.getBadgeBackgroundColor({ tabId }),
        path: mine.at(-1)?.path,
        sets: mine.length,
      };
    }, pageTabId);
    const state = (Object.keys(TOOLBAR_ICONS) as ToolbarState[]).find((s) => TOOLBAR_ICONS[s][16] === view.path);
    return { tabId: view.tabId, color: view.color, icon: state, sets: view.sets };
  }

  /** Waits until the tab shows Framelock's values (not reset since) with `icon` as the last icon set. */
  function waitForIcon(icon: ToolbarState): Promise<TabButton> {
    return waitFor(
      async () => {
        const button = await tabButton();
        return button.icon === icon && String(button.color) === String(PROTECTED_COLOR) ? button : false;
      },
      { description: `the tab to show the ${icon} icon`, timeoutMs: 10_000 },
    );
  }

  beforeAll(async () => {
    server = await startTestServer();
    enabled = new URL(server.url).origin;
    other = enabled.replace('127.0.0.1', 'localhost');
    ext = await launchWithSiteGranted([enabled]);
    await enableSiteThroughOptions(ext, enabled, PASSPHRASE);
    await recordIcons();
    defaultColor = await ext.serviceWorker.evaluate(() => chrome.action.getBadgeBackgroundColor({}));
    const before = await tabIds();
    page = await ext.browser.newPage();
    const opened = (await tabIds()).filter((id) => !before.includes(id));
    if (opened.length !== 1 || opened[0] === undefined) throw new Error(`new tabs: ${opened.join(', ')}`);
    pageTabId = opened[0];
  });

  afterAll(async () => {
    await ext?.close();
    await server?.close();
  });

  it('declares the off icon as the default: what a tab Framelock never set shows', async () => {
    const defaults = await ext.serviceWorker.evaluate(() => chrome.runtime.getManifest().action?.default_icon);
    expect(defaults).toEqual(TOOLBAR_ICONS.off);
    await page.goto(`${other}/blank.html`, { waitUntil: 'load' });
    const button = await tabButton();
    expect(button.sets).toBe(0);
    expect(button.color).toEqual(defaultColor);
    expect(defaultColor).not.toEqual(PROTECTED_COLOR);
  });

  it('shows "on" once a page of an enabled site loads (its bridge connects after Chrome reset the tab)', async () => {
    await page.goto(`${enabled}/blank.html`, { waitUntil: 'load' });
    await waitForIcon('on');
  });

  it('keeps it through a same-document navigation (Chrome resets a tab only when a new document commits)', async () => {
    await waitForIcon('on');
    // A per-tab value Framelock never sets: only a reset takes it away.
    const marker = [1, 2, 3, 255];
    const markerOf = () =>
      ext.serviceWorker.evaluate((tabId: number) => chrome.action.getBadgeTextColor({ tabId }), pageTabId);
    await ext.serviceWorker.evaluate(
      (tabId: number, color: number[]) =>
        chrome.action.setBadgeTextColor({ tabId, color: color as [number, number, number, number] }),
      pageTabId,
      marker,
    );
    expect(await markerOf()).toEqual(marker);
    await page.evaluate(() => {
      location.hash = '#elsewhere';
      history.pushState(null, '', '/blank.html?pushed=1');
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await markerOf(), 'not reset').toEqual(marker);
    expect(await tabButton()).toMatchObject({ icon: 'on', color: PROTECTED_COLOR });
    // A new document (a reload) resets it.
    await page.reload({ waitUntil: 'load' });
    expect(await markerOf(), 'reset').not.toEqual(marker);
    await waitForIcon('on');
  });

  it('is reset by Chrome on a navigation to a site that is not enabled, and nothing sets it again', async () => {
    await page.goto(`${other}/blank.html?from=enabled`, { waitUntil: 'load' });
    // The old page's bridge disconnects around the commit: wait for anything it might still set.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const button = await tabButton();
    expect(button.color, 'the tab shows the defaults (the off icon) again').toEqual(defaultColor);
  });

  it('shows "on" again after a navigation back and after a reload', async () => {
    await page.goto(`${enabled}/blank.html?back=1`, { waitUntil: 'load' });
    const back = await waitForIcon('on');
    await page.reload({ waitUntil: 'load' });
    await waitFor(async () => ((await tabButton()).sets > back.sets ? true : false), {
      description: 'the reloaded page to set its icon',
      timeoutMs: 10_000,
    });
    await waitForIcon('on');
  });

  it('shows "off" in an open tab of the site once the site is disabled, and "on" once it is enabled again', async () => {
    await waitForIcon('on');
    const options = await ext.openExtensionPage('src/options/index.html');
    try {
      expect(await sendFromExtensionPage(options, { type: 'sites/disable', origin: enabled })).toMatchObject({
        ok: true,
      });
    } finally {
      await options.close();
    }
    await waitForIcon('off');
    await enableSiteThroughOptions(ext, enabled, PASSPHRASE);
    await page.reload({ waitUntil: 'load' });
    await waitForIcon('on');
  });
});
