/**
 * The popup of the toolbar button, in headless Chromium with the built extension: a site enabled through the popup
 * itself (by the accessible names of its controls), then calls through the demo site, and for each what the popup's
 * call panel says about the call's tab and what the toolbar badge shows: all encrypted ("E2E"), a peer with another
 * passphrase (cannot decrypt, "!"), a peer without Framelock (NOT encrypted, "!"), and strict mode (blocked, and the
 * plain peer's video is never shown). Writes docs/screenshots/popup-light.png and popup-dark.png of the popup during
 * an encrypted call.
 *
 * Headless Chromium cannot open the real popup, so the test opens its page in a tab, about the call's tab:
 * `src/popup/index.html?tabId=<id>`.
 */
/// <reference types="chrome" />
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../server/test-server';
import {
  callArgs,
  createFakeMedia,
  expectNoRemotePattern,
  type FakeMedia,
  launchExtensionParticipant,
  launchPlainChromium,
  type PlainBrowser,
  startCall,
  waitForProtectedCall,
  waitForRemotePattern,
  waitForTransform,
} from './call';
import { chromiumAvailable, type ExtensionBrowser, REPO_ROOT, tabIdOf, waitFor } from './harness';
import { launchWithSiteGranted, sendFromExtensionPage } from './permissions';

const WRONG_PASSPHRASE = 'incorrect horse battery staple';
const POPUP_PAGE = 'src/popup/index.html';
const SCREENSHOTS = path.join(REPO_ROOT, 'docs', 'screenshots');

/** The popup's controls, by role and accessible name (as people using screen readers find them). */
const POPUP_CONTROLS = {
  switch: '::-p-aria([name="Encrypt calls on this site"][role="switch"])',
  generatePassphrase: '::-p-aria([name="Generate passphrase"][role="button"])',
  passphrase: '::-p-aria([name="Passphrase"])',
  enable: '::-p-aria([name="Enable"][role="button"])',
  reload: '::-p-aria([name="Reload the tab"][role="button"])',
  showQr: '::-p-aria([name="Show QR code"][role="button"])',
  // role="img" shows in Chromium's accessibility tree as "image".
  qr: '::-p-aria([name="QR code of the passphrase"][role="image"])',
  copyInvitation: '::-p-aria([name="Copy invitation"][role="button"])',
} as const;

/** What the popup's call panel shows. */
interface Panel {
  summary: string | null;
  sent: string[];
  received: string[];
  /** The problems and notices listed above the panel (named in failures). */
  problems: string[];
}

function readPanel(popup: Page): Promise<Panel> {
  return popup.evaluate(() => ({
    summary: document.querySelector('.summary')?.getAttribute('data-summary') ?? null,
    sent: [...document.querySelectorAll('[aria-labelledby="sent-heading"] .row')].map((r) => r.textContent ?? ''),
    received: [...document.querySelectorAll('[aria-labelledby="received-heading"] .row')].map(
      (r) => r.textContent ?? '',
    ),
    problems: [...document.querySelectorAll('.problem-block, .notice')].map((r) => r.textContent ?? ''),
  }));
}

/** Waits until the popup's panel satisfies `test`; the failure names what it showed last. */
async function waitForPanel(popup: Page, description: string, test: (panel: Panel) => boolean): Promise<Panel> {
  let last: Panel | undefined;
  try {
    return await waitFor(
      async () => {
        last = await readPanel(popup);
        return test(last) && last;
      },
      { description: `the popup to show ${description}`, timeoutMs: 20_000, intervalMs: 250 },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; it showed ${JSON.stringify(last)}`);
  }
}

function badge(ext: ExtensionBrowser, tabId: number): Promise<string> {
  return ext.serviceWorker.evaluate((id: number) => chrome.action.getBadgeText({ tabId: id }), tabId);
}

async function waitForBadge(ext: ExtensionBrowser, tabId: number, text: string): Promise<void> {
  await waitFor(async () => (await badge(ext, tabId)) === text, { description: `the badge to read "${text}"` });
}

describe.skipIf(!chromiumAvailable)('the popup (headless Chromium, built extension)', () => {
  let server: TestServer;
  let media: FakeMedia;
  let alice: ExtensionBrowser;
  /** Alice's tab on the demo site: enabled through the popup, then every call of hers runs in it. */
  let aliceTab: Page;
  /** The passphrase the popup generated. */
  let passphrase = '';

  beforeAll(async () => {
    server = await startTestServer();
    media = await createFakeMedia();
    alice = await launchWithSiteGranted([server.url], { args: callArgs(media) });
  });

  afterAll(async () => {
    await alice?.close();
    await server?.close();
    await media?.cleanup();
  });

  /** Opens the popup about alice's tab of the call in `room`. */
  async function openPopup(room: string): Promise<{ popup: Page; tabId: number }> {
    const tabId = await tabIdOf(alice, `room=${room}`);
    const popup = await alice.openExtensionPage(`${POPUP_PAGE}?tabId=${tabId}`);
    await popup.setViewport({ width: 400, height: 720 });
    return { popup, tabId };
  }

  it('enables the demo site through the popup: the switch, "Generate passphrase", "Enable", then reload', async () => {
    aliceTab = await alice.browser.newPage();
    await aliceTab.goto(`${server.url}/blank.html`, { waitUntil: 'load' });
    const tabId = await tabIdOf(alice, '/blank.html');
    const popup = await alice.openExtensionPage(`${POPUP_PAGE}?tabId=${tabId}`);
    try {
      const toggle = await popup.locator(POPUP_CONTROLS.switch).waitHandle();
      expect(await toggle.evaluate((node) => node.getAttribute('aria-checked'))).toBe('false');
      await toggle.click();
      await popup.locator(POPUP_CONTROLS.generatePassphrase).click();
      passphrase = await popup.$eval('#passphrase', (input) => (input as HTMLInputElement).value);
      expect(passphrase.split(' ')).toHaveLength(12);
      await popup.locator(POPUP_CONTROLS.enable).click();
      await popup.locator(POPUP_CONTROLS.reload).setTimeout(30_000).wait();
      expect(await toggle.evaluate((node) => node.getAttribute('aria-checked'))).toBe('true');
      // The share offer follows, while the popup still holds the passphrase: a QR code of it, and an invitation.
      await popup.locator(POPUP_CONTROLS.showQr).click();
      await popup.locator(POPUP_CONTROLS.qr).wait();
      await popup.locator(POPUP_CONTROLS.copyInvitation).wait();

      const listed = (await sendFromExtensionPage(popup, { type: 'sites/list' })) as {
        sites: { origin: string; rooms: { label: string; safetyWords: string[] }[] }[];
      };
      const site = listed.sites.find((s) => s.origin === server.url);
      expect(site?.rooms.map((r) => r.label)).toEqual(['']);
      // The popup shows the room's safety words, as the background computed them.
      const words = await popup.$eval('.safety-words', (node) => node.textContent ?? '');
      expect(words).toBe(site?.rooms[0]?.safetyWords.join(' · '));

      // "Reload the tab" reloads the site's tab, so Framelock's scripts run in it.
      await Promise.all([
        aliceTab.waitForNavigation({ waitUntil: 'load' }),
        popup.locator(POPUP_CONTROLS.reload).click(),
      ]);
    } finally {
      await popup.close();
    }
  });

  it('an encrypted call: the popup says encrypted for both sides, the badge says E2E; screenshots', async () => {
    const bob = await launchExtensionParticipant(server.url, passphrase, media);
    try {
      const call = await startCall({ browsers: [aliceTab, await bob.browser.newPage()], url: server.url });
      await waitForProtectedCall([alice, bob], call.room);
      const { popup, tabId } = await openPopup(call.room);
      const panel = await waitForPanel(
        popup,
        'audio and video encrypted both ways',
        (p) =>
          p.summary === 'protected' &&
          p.sent.length === 2 &&
          p.received.length === 2 &&
          [...p.sent, ...p.received].every((row) => /Encrypt(ing|ed) ✓/.test(row)),
      );
      expect(panel.sent.join(' ')).toMatch(/Frames encrypted: [1-9]/);
      expect(panel.received.join(' ')).toMatch(/Frames decrypted: [1-9]/);
      await waitForBadge(alice, tabId, 'E2E');

      // The call's words: the same five on both sides, and each side lists the other by the fingerprint the other
      // shows as its own ("who is in it"), with its keys received.
      const bobTabId = await tabIdOf(bob, `room=${call.room}`);
      const bobPopup = await bob.openExtensionPage(`${POPUP_PAGE}?tabId=${bobTabId}`);
      const callView = (p: Page) =>
        waitFor(
          () =>
            p.evaluate(() => {
              const words = document.querySelector('.call-keys .call-words')?.textContent ?? '';
              const you = document.querySelector('.call-keys [data-self="true"]')?.textContent ?? '';
              const members = [...document.querySelectorAll('.call-keys .key-row[data-keyed]')].map((row) => ({
                fingerprint: row.querySelector('.fingerprint')?.textContent ?? '',
                keyed: row.getAttribute('data-keyed') === 'true',
              }));
              return words !== '' && members.length === 1 && members[0]?.keyed ? { words, you, members } : undefined;
            }),
          { description: 'the popup shows the call words and a keyed participant', timeoutMs: 15_000 },
        );
      const [aliceView, bobView] = [await callView(popup), await callView(bobPopup)];
      await bobPopup.close();
      expect(aliceView.words.split(/\s*·\s*|\s+/).filter(Boolean)).toHaveLength(5);
      expect(aliceView.words).toBe(bobView.words);
      expect(aliceView.you).toContain(bobView.members[0]?.fingerprint);
      expect(bobView.you).toContain(aliceView.members[0]?.fingerprint);

      await mkdir(SCREENSHOTS, { recursive: true });
      for (const scheme of ['light', 'dark'] as const) {
        await popup.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
        // Let counters settle into the frame, then take the popup's own box (its body is the popup's width).
        await new Promise((resolve) => setTimeout(resolve, 300));
        const body = await popup.$('body');
        await body?.screenshot({ path: path.join(SCREENSHOTS, `popup-${scheme}.png`) });
        await body?.dispose();
      }
      await popup.close();
      await call.hangUp();
    } finally {
      await bob.close();
    }
  });

  it('a participant who sends nothing is told that nobody can send it keys, and what to do', async () => {
    const bob = await launchExtensionParticipant(server.url, passphrase, media);
    try {
      // Bob only listens: his connection receives audio and video and sends none.
      const call = await startCall({
        browsers: [aliceTab, await bob.browser.newPage()],
        url: server.url,
        queries: [{}, { send: 'receiveOnly' }],
      });
      const bobTabId = await tabIdOf(bob, `room=${call.room}`);
      await waitForBadge(bob, bobTabId, '!');
      const popup = await bob.openExtensionPage(`${POPUP_PAGE}?tabId=${bobTabId}`);
      await popup.waitForFunction(
        () =>
          /not sending audio or video.*Turn your microphone on \(muted is fine\)/s.test(
            document.body.textContent ?? '',
          ),
        { timeout: 15_000 },
      );
      await popup.close();
      await call.hangUp();
    } finally {
      await bob.close();
    }
  });

  it('a peer with another passphrase: the popup says it cannot decrypt, the badge warns', async () => {
    const carol = await launchExtensionParticipant(server.url, WRONG_PASSPHRASE, media);
    try {
      const call = await startCall({ browsers: [aliceTab, await carol.browser.newPage()], url: server.url });
      await waitForTransform(
        alice,
        call.room,
        'video undecryptable',
        (s) => s.side === 'receive' && s.kind === 'video' && s.undecryptable > 0,
      );
      const { popup, tabId } = await openPopup(call.room);
      const panel = await waitForPanel(
        popup,
        '"Cannot decrypt (wrong passphrase?)"',
        (p) =>
          p.summary === 'unprotected' && p.received.some((row) => row.includes('Cannot decrypt (wrong passphrase?)')),
      );
      expect(panel.received.some((row) => row.includes('Encrypted ✓'))).toBe(false);
      await waitForBadge(alice, tabId, '!');
      await popup.close();
      await call.hangUp();
    } finally {
      await carol.close();
    }
  });

  describe('a peer without Framelock', () => {
    let dave: PlainBrowser;

    beforeAll(async () => {
      dave = await launchPlainChromium({ media });
    });

    afterAll(async () => {
      await dave?.close();
    });

    it('the popup says NOT encrypted, the badge warns', async () => {
      const call = await startCall({ browsers: [aliceTab, await dave.browser.newPage()], url: server.url });
      await waitForRemotePattern(aliceTab); // shown, but flagged
      const { popup, tabId } = await openPopup(call.room);
      await waitForPanel(
        popup,
        `"NOT encrypted (no Framelock, or the server's own)" for audio and video`,
        (p) =>
          p.summary === 'unprotected' &&
          p.received.length === 2 &&
          p.received.every((row) => row.includes("NOT encrypted (no Framelock, or the server's own)")),
      );
      await waitForBadge(alice, tabId, '!');
      await popup.close();
      await call.hangUp();
    });

    it('strict mode: the popup says blocked (strict mode), and the plain peer is never shown', async () => {
      const settings = await alice.openExtensionPage(POPUP_PAGE);
      try {
        const answer = await sendFromExtensionPage(settings, {
          type: 'sites/settings',
          origin: server.url,
          strict: true,
        });
        expect(answer).toEqual({ ok: true });
      } finally {
        await settings.close();
      }
      const call = await startCall({ browsers: [aliceTab, await dave.browser.newPage()], url: server.url });
      const { popup, tabId } = await openPopup(call.room);
      await waitForPanel(
        popup,
        '"blocked (strict mode)"',
        (p) =>
          p.summary === 'blocked' &&
          p.received.length === 2 &&
          p.received.every((row) => row.includes('NOT encrypted: blocked (strict mode)')),
      );
      await waitForBadge(alice, tabId, '!');
      await expectNoRemotePattern(aliceTab, 3_000);
      await popup.close();
      await call.hangUp();
    });
  });

  it('reads its state from the background when it opens, even after the service worker was stopped', async () => {
    const tabId = await tabIdOf(alice, server.url);
    const words = await waitFor(
      async () => {
        const page = await alice.openExtensionPage(POPUP_PAGE);
        try {
          const listed = (await sendFromExtensionPage(page, { type: 'sites/list' })) as {
            sites: { origin: string; rooms: { safetyWords: string[] }[] }[];
          };
          return listed.sites.find((s) => s.origin === server.url)?.rooms[0]?.safetyWords.join(' · ');
        } finally {
          await page.close();
        }
      },
      { description: 'the safety words' },
    );
    await alice.stopServiceWorker();
    const popup = await alice.openExtensionPage(`${POPUP_PAGE}?tabId=${tabId}`);
    try {
      const toggle = await popup.locator(POPUP_CONTROLS.switch).waitHandle();
      expect(await toggle.evaluate((node) => node.getAttribute('aria-checked'))).toBe('true');
      expect(await popup.$eval('.safety-words', (node) => node.textContent)).toBe(words);
      // The last call's counters come back too (storage.session outlives the worker). The panel settles as its
      // requests wake the worker (the site's record and the tab's status come in separate answers).
      await waitForPanel(popup, 'the last call, blocked', (p) => p.received.length > 0 && p.summary === 'blocked');
    } finally {
      await popup.close();
    }
  });
});
