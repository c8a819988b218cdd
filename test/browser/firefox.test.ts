/**
 * Framelock in Firefox (Debian's Firefox ESR over WebDriver BiDi, the Firefox build in dist-firefox/), through the
 * demo site: Firefox calls Firefox, Firefox calls Chromium and Chromium calls Firefox (each offering once), and each
 * side must see the other's quadrant pattern and hear its 440 Hz tone while Framelock's own counters say every frame
 * was encrypted and decrypted. The negative controls: a Firefox with another passphrase, and a Firefox without
 * Framelock, never see the picture and are reported as such.
 */
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../../demo/server';
import type { TransformStats } from '../../src/shared/messages';
import {
  type Call,
  createFakeMedia,
  type DemoWindow,
  expectNoRemotePattern,
  type FakeMedia,
  launchExtensionParticipant,
  startCall,
  waitForProtectedCall,
  waitForRemotePattern,
} from './call';
import {
  type FirefoxSession,
  firefoxAvailable,
  firefoxBadge,
  firefoxSidebarUrl,
  firefoxTabStatus,
  firefoxTransforms,
  launchFirefox,
  launchFirefoxParticipant,
} from './firefox';
import { chromiumAvailable, type ExtensionBrowser, waitFor } from './harness';
import { enableSiteThroughOptions } from './permissions';
import { heardTone, isTestTone } from './tone';

const PASSPHRASE = 'correct horse battery staple';
const WRONG_PASSPHRASE = 'incorrect horse battery staple';
/** How long a receiver without the key is watched: several keyframe intervals. */
const NEGATIVE_WATCH_MS = 6_000;

/** Waits until Framelock in `session` encrypts audio and video and decrypts more than `min` frames of each. */
async function firefoxProtects(session: FirefoxSession, room: string, min = 10): Promise<TransformStats[]> {
  const status = await session.openExtensionPage('src/popup/index.html');
  try {
    return await waitFor(
      async () => {
        const transforms = await firefoxTransforms(status, room);
        const sent = (kind: string) => transforms.some((s) => s.side === 'send' && s.kind === kind && s.protected > 0);
        const received = transforms.filter((s) => s.side === 'receive' && s.protected > min);
        return sent('audio') && sent('video') && received.length >= 2 ? received : undefined;
      },
      { description: 'Firefox to encrypt and decrypt audio and video', timeoutMs: 20_000 },
    );
  } finally {
    await status.close().catch(() => undefined);
  }
}

/**
 * The colour of the in-page indicator's status pill (bottom right, src/content/indicator.ts), read from a screenshot:
 * Firefox's BiDi accessibility locator does not reach into the indicator's closed shadow root, as Chromium's does.
 */
async function indicatorPill(page: Page): Promise<'protected' | 'warning' | 'none'> {
  const png = await page.screenshot({ encoding: 'base64' });
  return page.evaluate(async (data: string) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
    context.drawImage(bitmap, 0, 0);
    const width = Math.min(400, bitmap.width);
    const height = Math.min(80, bitmap.height);
    const pixels = context.getImageData(bitmap.width - width, bitmap.height - height, width, height).data;
    // Wide enough for Firefox's colour management (#1b6e3a renders as about rgb(43, 120, 72) here).
    const near = (i: number, r: number, g: number, b: number) =>
      Math.abs((pixels[i] as number) - r) <= 24 &&
      Math.abs((pixels[i + 1] as number) - g) <= 24 &&
      Math.abs((pixels[i + 2] as number) - b) <= 24;
    let green = 0;
    let red = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (near(i, 0x1b, 0x6e, 0x3a)) green++;
      if (near(i, 0xb3, 0x26, 0x1e)) red++;
    }
    return green > 500 ? 'protected' : red > 500 ? 'warning' : 'none';
  }, png);
}

/** Waits until `page`'s indicator pill shows `state`. */
async function waitForPill(page: Page, state: 'protected' | 'warning'): Promise<void> {
  await waitFor(async () => (await indicatorPill(page)) === state, {
    description: `the in-page indicator to show "${state}"`,
    timeoutMs: 15_000,
  });
}

/** Both pages see the other's pattern and hear the tone. */
async function seeAndHear(call: Call): Promise<void> {
  await Promise.all(call.pages.map((page) => waitForRemotePattern(page)));
  for (const page of call.pages) {
    const tone = await heardTone(page);
    expect(isTestTone(tone), `heard ${JSON.stringify(tone)}`).toBe(true);
  }
}

describe.skipIf(!firefoxAvailable)('Framelock in Firefox ESR (the Firefox build, over WebDriver BiDi)', () => {
  let server: DemoServer;
  let fox: FirefoxSession;
  let fox2: FirefoxSession;
  const pages: Page[] = [];

  async function page(browser: { newPage(): Promise<Page> }): Promise<Page> {
    const p = await browser.newPage();
    pages.push(p);
    return p;
  }

  beforeAll(async () => {
    server = await startDemoServer();
    fox = await launchFirefoxParticipant(server.url, PASSPHRASE);
    fox2 = await launchFirefoxParticipant(server.url, PASSPHRASE);
  });

  afterAll(async () => {
    await Promise.all([fox?.close(), fox2?.close()]);
    await server?.close();
  });

  it('two Firefox users with the same passphrase see and hear each other, every frame encrypted', async () => {
    const call = await startCall({ browsers: [await page(fox), await page(fox2)], url: server.url });
    await seeAndHear(call);
    // The in-page indicator says so on both pages.
    for (const p of call.pages) await waitForPill(p, 'protected');
    for (const session of [fox, fox2]) {
      for (const received of await firefoxProtects(session, call.room)) {
        expect(received.status).toBe('encrypted');
        expect(received.unencrypted).toBe(0);
      }
    }
    const status = await fox.openExtensionPage('src/popup/index.html');
    expect(await firefoxBadge(status, call.room)).toBe('E2E');
    // The popup about the call's tab offers the call chat, and opens it in Firefox's sidebar, for that tab.
    const tabId = await waitFor(
      async () => {
        const tab = await firefoxTabStatus(status, call.room);
        return tab?.calls?.length ? tab.tabId : undefined;
      },
      { description: 'the call to be listed' },
    );
    await status.close();
    const popup = await fox.openExtensionPage(`src/popup/index.html?tabId=${tabId}`);
    await popup.locator('::-p-aria([name="Open chat"][role="button"])').click();
    const chat = fox.extensionUrl(`src/sidepanel/index.html?tabId=${tabId}`);
    // The sidebar's browser shows about:blank until the panel loads: wait for the chat, and say what it showed.
    let shown: string | undefined;
    await waitFor(
      async () => {
        shown = await firefoxSidebarUrl(fox.browser);
        return shown === chat;
      },
      { description: `the sidebar to show ${chat} (last: ${shown})` },
    );
    await call.hangUp();
  });

  describe.skipIf(!chromiumAvailable)('with Chromium', () => {
    let media: FakeMedia;
    let chrome: ExtensionBrowser;

    beforeAll(async () => {
      media = await createFakeMedia();
      chrome = await launchExtensionParticipant(server.url, PASSPHRASE, media);
    });

    afterAll(async () => {
      await chrome?.close();
      await media?.cleanup();
    });

    it.each([
      ['Chromium offers, Firefox answers', 'firefox-first'],
      ['Firefox offers, Chromium answers', 'chromium-first'],
    ] as const)('%s: each sees and hears the other, encrypted end to end', async (_, order) => {
      const foxPage = await page(fox);
      const chromePage = await page(chrome.browser);
      const browsers: [Page, Page] = order === 'firefox-first' ? [foxPage, chromePage] : [chromePage, foxPage];
      const call = await startCall({ browsers, url: server.url });
      await seeAndHear(call);
      for (const received of await firefoxProtects(fox, call.room)) expect(received.status).toBe('encrypted');
      for (const received of await waitForProtectedCall([chrome], call.room)) {
        expect(received.status).toBe('encrypted');
        expect(received.unencrypted).toBe(0);
      }
      await call.hangUp();
    });
  });

  describe("another port of an enabled site's host (Firefox gives an extension the whole host)", () => {
    let other: DemoServer;

    beforeAll(async () => {
      other = await startDemoServer();
    });

    afterAll(async () => {
      await other?.close();
    });

    it('Framelock stands aside there: the call works as without it, and nothing is reported as protected', async () => {
      expect(new URL(other.url).hostname).toBe(new URL(server.url).hostname);
      const call = await startCall({ browsers: [await page(fox), await page(fox2)], url: other.url });
      await seeAndHear(call);
      const status = await fox.openExtensionPage('src/popup/index.html');
      // The frame's bridge connected and was told to stand aside: no transform reports, no badge.
      expect(await firefoxTransforms(status, call.room)).toEqual([]);
      expect(await firefoxBadge(status, call.room)).toBe('');
      // The popup about that tab shows the site as not enabled (its switch is off).
      const tabId = (await firefoxTabStatus(status, call.room))?.tabId;
      expect(tabId).toBeTypeOf('number');
      await status.close();
      const popup = await fox.openExtensionPage(`src/popup/index.html?tabId=${tabId}`);
      const toggle = await popup.waitForSelector('::-p-aria([name="Encrypt calls on this site"][role="switch"])');
      expect(await toggle?.evaluate((node) => node.getAttribute('aria-checked'))).toBe('false');
      await popup.close();
      await call.hangUp();
    });

    it('enabling it too is refused, and says why', async () => {
      await expect(enableSiteThroughOptions(fox, other.url, PASSPHRASE)).rejects.toThrow(/Firefox cannot keep/);
      // The refused form must not take back the host permission the enabled site holds too (it would turn it off).
      const page = await fox.openExtensionPage('src/popup/index.html');
      const host = `http://${new URL(server.url).hostname}/*`;
      const held = await page.evaluate(
        (origins: string[]) =>
          (globalThis as unknown as { browser: typeof chrome }).browser.permissions.contains({ origins }),
        [host],
      );
      expect(held).toBe(true);
      await page.close();
    });
  });

  it('a browser without encoded transforms: the call never starts, and Framelock says what to use instead', async () => {
    // Firefox with RTCRtpScriptTransform turned off stands in for an old browser (or Safari before 15.4).
    const old = await launchFirefox({ prefs: { 'media.peerconnection.scripttransform.enabled': false } });
    try {
      await enableSiteThroughOptions(old, server.url, PASSPHRASE);
      const tab = await old.newPage();
      await tab.goto(`${server.url}/?room=old-browser&name=alice`);
      expect(
        await tab.evaluate(() => typeof (window as { RTCRtpScriptTransform?: unknown }).RTCRtpScriptTransform),
      ).toBe('undefined');
      const state = await tab.waitForFunction(() => (window as DemoWindow).demo?.error ?? false, { timeout: 15_000 });
      // The site's own error: building a connection was refused, so nothing was sent in clear.
      expect(String(await state.jsonValue())).toMatch(/cannot be end-to-end encrypted/);
      const popup = await old.openExtensionPage('src/popup/index.html');
      const statusOf = await waitFor(async () => (await firefoxTabStatus(popup, 'old-browser'))?.problems, {
        description: 'the tab to report its problem',
      });
      expect(statusOf).toContain('no_transform_api');
      await popup.close();
      // The options page lists the site's problem in words that say what to use instead.
      const options = await old.openExtensionPage('src/options/index.html');
      await options.waitForFunction(() => /Firefox 140 or later/.test(document.body.textContent ?? ''), {
        timeout: 10_000,
      });
      await options.close();
    } finally {
      await old.close();
    }
  });

  describe('negative controls', () => {
    let wrong: FirefoxSession;
    let plain: FirefoxSession;

    beforeAll(async () => {
      wrong = await launchFirefoxParticipant(server.url, WRONG_PASSPHRASE);
      plain = await launchFirefox({ extensionPath: null });
    });

    afterAll(async () => {
      await Promise.all([wrong?.close(), plain?.close()]);
    });

    it('a Firefox with another passphrase never shows the picture, and Framelock says it cannot decrypt', async () => {
      const call = await startCall({ browsers: [await page(fox), await page(wrong)], url: server.url });
      await Promise.all(call.pages.map((p) => expectNoRemotePattern(p, NEGATIVE_WATCH_MS)));
      const status = await wrong.openExtensionPage('src/popup/index.html');
      const receivers = await waitFor(
        async () => {
          const transforms = await firefoxTransforms(status, call.room);
          const received = transforms.filter((s) => s.side === 'receive');
          return received.length >= 2 && received.every((s) => s.status === 'undecryptable') ? received : undefined;
        },
        { description: 'the receivers to say "undecryptable"', timeoutMs: 20_000 },
      );
      for (const received of receivers) expect(received.protected).toBe(0);
      await status.close();
      await call.hangUp();
    });

    it('a Firefox without Framelock never shows the picture; Framelock sees its frames unencrypted', async () => {
      const call = await startCall({ browsers: [await page(fox), await page(plain)], url: server.url });
      // The peer without Framelock gets only ciphertext; ours gets its plaintext and says so, in the page too.
      await expectNoRemotePattern(call.pages[1], NEGATIVE_WATCH_MS);
      await waitForPill(call.pages[0], 'warning');
      // Without strict mode, ours plays the peer's unencrypted picture (and says so): the control for strict mode.
      await waitForRemotePattern(call.pages[0]);
      expect(await indicatorPill(call.pages[1])).toBe('none');
      const status = await fox.openExtensionPage('src/popup/index.html');
      await waitFor(
        async () => {
          const transforms = await firefoxTransforms(status, call.room);
          const received = transforms.filter((s) => s.side === 'receive');
          return received.length >= 2 && received.every((s) => s.status === 'unencrypted' && s.protected === 0);
        },
        { description: 'the receivers to say "unencrypted"', timeoutMs: 20_000 },
      );
      await status.close();
      await call.hangUp();
    });

    it('strict mode: a Firefox that turned it on never plays the unencrypted peer, which it would otherwise show', async () => {
      const options = await fox2.openExtensionPage('src/options/index.html');
      const box = await options.waitForSelector(`.site[data-origin="${server.url}"] input[name="strict"]`);
      await box?.click();
      await options.waitForFunction(
        (origin: string) =>
          /^Saved: strict mode is on/.test(
            document.querySelector(`.site[data-origin="${origin}"] .settings-status`)?.textContent ?? '',
          ),
        { timeout: 10_000 },
        server.url,
      );
      await options.close();
      const call = await startCall({ browsers: [await page(fox2), await page(plain)], url: server.url });
      await expectNoRemotePattern(call.pages[0], NEGATIVE_WATCH_MS);
      const status = await fox2.openExtensionPage('src/popup/index.html');
      const received = (await firefoxTransforms(status, call.room)).filter((s) => s.side === 'receive');
      expect(received.length).toBeGreaterThan(0);
      for (const receiver of received) expect(receiver.protected).toBe(0);
      await status.close();
      await call.hangUp();
    });
  });
});
