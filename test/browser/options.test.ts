/**
 * The options page and the background's site management, through the real UI of the built extension in headless
 * Chromium: enabling a site (host permission, room key, content script registration), generated passphrases and
 * their notice, strength warnings, rooms and their safety words, input errors, disabling, a permission removed
 * outside Framelock, per-site settings, the About section, the sender check, and state surviving the service worker.
 */
/// <reference types="chrome" />

import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ElementHandle, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBLEM_TEXT } from '../../src/options/problems';
import type { SiteInfo } from '../../src/shared/messages';
import { GENERATED_PASSPHRASE_WORDS, generatePassphrase, isListWord, SAFETY_WORD_COUNT } from '../../src/shared/words';
import { chromiumAvailable, type ExtensionBrowser, waitFor } from './harness';
import {
  enableSiteThroughOptions,
  launchWithSiteGranted,
  OPTIONS_CONTROLS,
  OPTIONS_PAGE,
  sendFromExtensionPage,
  waitForPassphraseEstimate,
} from './permissions';

const PASSPHRASE = 'correct horse battery staple';

/** A room as the options page shows it. */
interface ShownRoom {
  name: string;
  inUse: boolean;
  words: string[];
}

/** The rooms the options page lists for `origin` (`undefined` if the site is not listed). */
function roomsShown(page: Page, origin: string): Promise<ShownRoom[] | undefined> {
  return page.$$eval(
    '.site',
    (sites, wanted) => {
      const site = sites.find((node) => node.getAttribute('data-origin') === wanted);
      if (site === undefined) return undefined;
      return [...site.querySelectorAll('.room')].map((room) => ({
        name: room.querySelector('.room-label')?.textContent ?? '',
        inUse: room.querySelector('.room-in-use')?.textContent === 'In use',
        words: (room.querySelector('.safety-words')?.textContent ?? '').split(' · '),
      }));
    },
    origin,
  );
}

/** The words of room `name` ("Default room" for the default room) of `origin` on the options page. */
async function wordsShown(page: Page, origin: string, name: string): Promise<string[]> {
  const room = (await roomsShown(page, origin))?.find((r) => r.name === name);
  if (room === undefined) throw new Error(`the options page lists no room ${name} for ${origin}`);
  return room.words;
}

/** The button matching `selector` in the row of room `name` of `origin`, found by its accessible description. */
async function roomButton(page: Page, selector: string, origin: string, name: string): Promise<ElementHandle<Element>> {
  for (const button of await page.$$(selector)) {
    const [owner, description] = await button.evaluate((node) => [
      node.closest('.site')?.getAttribute('data-origin'),
      document.getElementById(node.getAttribute('aria-describedby') ?? '')?.textContent,
    ]);
    if (owner === origin && description === name) return button;
    await button.dispose();
  }
  throw new Error(`no button ${selector} described by ${name} for ${origin}`);
}

/** The settings `origin`'s entry on the options page shows (`undefined` if the site is not listed). */
function settingsShown(page: Page, origin: string): Promise<{ strict: boolean; indicator: boolean } | undefined> {
  return page.$$eval(
    '.site',
    (sites, wanted) => {
      const site = sites.find((node) => node.getAttribute('data-origin') === wanted);
      if (site === undefined) return undefined;
      const box = (name: string) => site.querySelector<HTMLInputElement>(`input[type="checkbox"][name="${name}"]`);
      return { strict: box('strict')?.checked ?? false, indicator: box('indicator')?.checked ?? false };
    },
    origin,
  );
}

/** The checkbox matching `selector` (by its accessible name) in the entry of `origin`. */
async function settingBox(page: Page, selector: string, origin: string): Promise<ElementHandle<Element>> {
  await page.waitForSelector(selector);
  for (const box of await page.$$(selector)) {
    if ((await box.evaluate((node) => node.closest('.site')?.getAttribute('data-origin'))) === origin) return box;
    await box.dispose();
  }
  throw new Error(`no checkbox ${selector} for ${origin}`);
}

/** The text of the page's live region (not the form's strength warning, which is a live region too). */
const pageStatus = (page: Page): Promise<string> => page.$eval('#page-status', (node) => node.textContent ?? '');

const passphraseValue = (page: Page): Promise<string> =>
  page.$eval('#passphrase', (input) => (input as HTMLInputElement).value);

/** Waits until the form has enabled `origin` (it is listed, and the form cleared the passphrase), or shows an error. */
async function waitForEnabled(page: Page, origin: string): Promise<void> {
  await waitFor(
    async () => {
      const errors = await page.$$eval('.error', (nodes) => nodes.map((node) => node.textContent ?? ''));
      if (errors.length > 0) throw new Error(`the options page refused: ${errors.join(' / ')}`);
      return (await roomsShown(page, origin)) !== undefined && (await passphraseValue(page)) === '';
    },
    { description: `${origin} to be enabled`, timeoutMs: 30_000, intervalMs: 50 },
  );
}

/** `passphrase` with its first letter replaced by another one. */
function oneLetterOff(passphrase: string): string {
  return (passphrase.startsWith('a') ? 'b' : 'a') + passphrase.slice(1);
}

interface RegisteredScript {
  id: string;
  js?: string[];
  matches?: string[];
  world?: string;
  runAt?: string;
  allFrames?: boolean;
  matchOriginAsFallback?: boolean;
  persistAcrossSessions?: boolean;
}

/** A local HTTP site on 127.0.0.1 (any free port). */
async function startSite(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_request, response) => {
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end('<!doctype html><title>site</title><p>A site</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(!chromiumAvailable)('options page and site enablement (headless Chromium)', () => {
  let ext: ExtensionBrowser;
  let granted: Awaited<ReturnType<typeof startSite>>;
  let notGranted: Awaited<ReturnType<typeof startSite>>;

  beforeAll(async () => {
    granted = await startSite();
    notGranted = await startSite();
    ext = await launchWithSiteGranted([
      granted.origin,
      'https://meet.example.org',
      'https://disable.example.org',
      'https://revoked.example.org',
      'http://[::1]:8443',
      'https://generate.example.org',
      'https://words.example.org',
      'https://rooms.example.org',
      'https://weak.example.org',
      'https://settings.example.org',
    ]);
  });

  afterAll(async () => {
    await ext?.close();
    await granted?.close();
    await notGranted?.close();
  });

  const registeredScripts = (): Promise<RegisteredScript[]> =>
    ext.serviceWorker.evaluate(async () =>
      (await chrome.scripting.getRegisteredContentScripts()).sort((a, b) => (a.id < b.id ? -1 : 1)),
    );

  const scriptsOf = async (origin: string): Promise<RegisteredScript[]> =>
    (await registeredScripts()).filter((script) => script.id.endsWith(`:${origin}`));

  const hasPermission = (pattern: string): Promise<boolean> =>
    ext.serviceWorker.evaluate((p: string) => chrome.permissions.contains({ origins: [p] }), pattern);

  const listedOrigins = (page: Page): Promise<string[]> =>
    page.$$eval('.site-origin', (nodes) => nodes.map((node) => node.textContent ?? ''));

  async function withOptionsPage<T>(run: (page: Page) => Promise<T>): Promise<T> {
    const page = await ext.openExtensionPage(OPTIONS_PAGE);
    try {
      return await run(page);
    } finally {
      await page.close();
    }
  }

  async function siteList(browser: ExtensionBrowser = ext): Promise<{ ok: boolean; sites: SiteInfo[] }> {
    const page = await browser.openExtensionPage(OPTIONS_PAGE);
    try {
      return (await sendFromExtensionPage(page, { type: 'sites/list' })) as { ok: boolean; sites: SiteInfo[] };
    } finally {
      await page.close();
    }
  }

  async function siteInfo(origin: string, browser: ExtensionBrowser = ext): Promise<SiteInfo | undefined> {
    return (await siteList(browser)).sites.find((site) => site.origin === origin);
  }

  it('enabling a granted site lists it and registers its two content scripts', async () => {
    await withOptionsPage(async (page) => {
      const how = await page.$eval('.how', (node) => node.textContent ?? '');
      expect(how).toMatch(/out of band/);
      expect(how).toMatch(/never sees the passphrase/);

      const origin = await enableSiteThroughOptions(ext, 'HTTPS://Meet.Example.org/', PASSPHRASE, { page });
      expect(origin).toBe('https://meet.example.org');
      expect(await listedOrigins(page)).toContain('https://meet.example.org');
      expect(await passphraseValue(page)).toBe('');
      expect(await pageStatus(page)).toMatch(/Framelock is on for https:\/\/meet\.example\.org/);
      // Its default room, in use, with the safety words the background derived from its key.
      const rooms = await roomsShown(page, 'https://meet.example.org');
      expect(rooms).toEqual([{ name: 'Default room', inUse: true, words: expect.any(Array) }]);
      expect((await siteInfo('https://meet.example.org'))?.rooms[0]?.safetyWords).toEqual(rooms?.[0]?.words);
    });

    const scripts = await scriptsOf('https://meet.example.org');
    const common = {
      matches: ['https://meet.example.org:443/*'],
      runAt: 'document_start',
      allFrames: true,
      matchOriginAsFallback: true,
      persistAcrossSessions: true,
    };
    expect(scripts).toEqual([
      { ...common, id: '0-bridge:https://meet.example.org', world: 'ISOLATED', js: [expect.any(String)] },
      { ...common, id: '1-page:https://meet.example.org', world: 'MAIN', js: [expect.any(String)] },
    ]);
    const [bridgeJs, pageJs] = scripts.map((script) => script.js?.[0] ?? '');
    expect(bridgeJs).not.toBe(pageJs);
    for (const file of [bridgeJs, pageJs]) {
      expect(existsSync(path.join(ext.extensionPath, file ?? '')), `${file} is in the build`).toBe(true);
    }

    const list = await siteList();
    expect(list.ok).toBe(true);
    expect(list.sites).toContainEqual({
      origin: 'https://meet.example.org',
      enabledAt: expect.any(Number),
      rooms: [{ label: '', keyedAt: expect.any(Number), safetyWords: expect.any(Array) }],
      activeRoom: '',
      strict: false,
      indicator: true,
      rememberKeys: true,
      problems: [],
    });
    const words = list.sites.find((site) => site.origin === 'https://meet.example.org')?.rooms[0]?.safetyWords ?? [];
    expect(words).toHaveLength(SAFETY_WORD_COUNT);
    expect(words.every(isListWord), words.join(' ')).toBe(true);
  });

  it('bad input shows a message next to each offending field and enables nothing', async () => {
    const scriptsBefore = await registeredScripts();
    // Origins, enabledAt and problems: a re-key would change enabledAt.
    const sitesBefore = (await siteList()).sites;

    await withOptionsPage(async (page) => {
      const fieldState = (id: string) =>
        page.$eval(`#${id}`, (input) => {
          const describedBy = (input.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
          return {
            invalid: input.getAttribute('aria-invalid'),
            description: describedBy.map((ref) => document.getElementById(ref)?.textContent ?? '').join(' | '),
            focused: document.activeElement === input,
          };
        });

      // A path, and no passphrase: both fields are flagged, focus goes to the first.
      await page.locator(OPTIONS_CONTROLS.site).fill('https://meet.example.org/room/42');
      await page.locator(OPTIONS_CONTROLS.enable).click();
      let site = await fieldState('site');
      let passphrase = await fieldState('passphrase');
      expect(site).toMatchObject({ invalid: 'true', focused: true });
      expect(site.description).toMatch(/without a path/);
      expect(passphrase.invalid).toBe('true');
      expect(passphrase.description).toMatch(/Enter a passphrase/);

      // Not an origin at all.
      await page.locator(OPTIONS_CONTROLS.site).fill('meet.example.org:abc');
      await page.locator(OPTIONS_CONTROLS.passphrase).fill(PASSPHRASE);
      // Enable goes ahead with a typed passphrase only once it is estimated (and strong).
      await waitForPassphraseEstimate(page);
      await page.locator(OPTIONS_CONTROLS.enable).click();
      site = await fieldState('site');
      passphrase = await fieldState('passphrase');
      expect(site).toMatchObject({ invalid: 'true', focused: true });
      expect(site.description).toMatch(/Not a site address/);
      expect(passphrase.invalid).toBeNull();
      expect(passphrase.description).not.toMatch(/Enter a passphrase/);

      // A room name that is too long: only the room is flagged.
      await page.locator(OPTIONS_CONTROLS.site).fill('https://meet.example.org');
      await page.locator(OPTIONS_CONTROLS.room).fill('r'.repeat(65));
      await page.locator(OPTIONS_CONTROLS.enable).click();
      const room = await fieldState('room');
      expect(room).toMatchObject({ invalid: 'true', focused: true });
      expect(room.description).toMatch(/too long \(at most 64 characters\)/);
      expect((await fieldState('site')).invalid).toBeNull();
      await page.locator(OPTIONS_CONTROLS.room).fill('standup');

      // Other schemes and wildcards.
      for (const [input, message] of [
        ['ftp://meet.example.org', /Only http:\/\/ and https:\/\//],
        ['https://*.example.org', /Wildcards/],
      ] as const) {
        await page.locator(OPTIONS_CONTROLS.site).fill(input);
        await page.locator(OPTIONS_CONTROLS.enable).click();
        expect((await fieldState('site')).description, input).toMatch(message);
      }

      // A good site, an empty passphrase: only the passphrase is flagged, and it gets the focus.
      await page.locator(OPTIONS_CONTROLS.site).fill('https://meet.example.org');
      // (locator.fill('') leaves the value as it is: clear the field as a person would.)
      await page.locator(OPTIONS_CONTROLS.passphrase).click();
      await page.keyboard.down('Control');
      await page.keyboard.press('KeyA');
      await page.keyboard.up('Control');
      await page.keyboard.press('Backspace');
      expect(await page.$eval('#passphrase', (input) => (input as HTMLInputElement).value)).toBe('');
      await page.locator(OPTIONS_CONTROLS.enable).click();
      site = await fieldState('site');
      passphrase = await fieldState('passphrase');
      expect(site.invalid).toBeNull();
      expect(passphrase).toMatchObject({ invalid: 'true', focused: true });
      expect(passphrase.description).toMatch(/Enter a passphrase/);
    });

    expect(await registeredScripts()).toEqual(scriptsBefore);
    expect((await siteList()).sites).toEqual(sitesBefore);
  });

  it('Disable unregisters the scripts, forgets the site and removes its permission', async () => {
    const origin = 'https://disable.example.org';
    const pattern = 'https://disable.example.org:443/*';
    await withOptionsPage(async (page) => {
      await enableSiteThroughOptions(ext, origin, PASSPHRASE, { page });
      expect(await scriptsOf(origin)).toHaveLength(2);

      // Every Disable button is named just "Disable"; the site it belongs to is its description.
      const buttons = await page.$$(OPTIONS_CONTROLS.disable);
      expect(buttons.length).toBeGreaterThanOrEqual(2);
      const owners = await Promise.all(
        buttons.map((button) =>
          button.evaluate((node) => document.getElementById(node.getAttribute('aria-describedby') ?? '')?.textContent),
        ),
      );
      const index = owners.indexOf(origin);
      expect(index, `a Disable button described by ${origin}`).toBeGreaterThanOrEqual(0);
      await buttons[index]?.click();

      await waitFor(async () => !(await listedOrigins(page)).includes(origin), {
        description: `${origin} to leave the list`,
      });
      await waitFor(async () => /Framelock is off for https:\/\/disable\.example\.org/.test(await pageStatus(page)), {
        description: 'the status to say the site is off',
      });
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('sites-heading');
    });

    expect(await scriptsOf(origin)).toEqual([]);
    expect(await hasPermission(pattern)).toBe(false);
    expect((await siteList()).sites.map((s) => s.origin)).not.toContain(origin);
    // The other site is untouched.
    expect(await scriptsOf('https://meet.example.org')).toHaveLength(2);
  });

  it('turns a site off when its permission is removed outside Framelock, and says so', async () => {
    const origin = 'https://revoked.example.org';
    await withOptionsPage(async (page) => {
      await enableSiteThroughOptions(ext, origin, PASSPHRASE, { page });
      expect(await scriptsOf(origin)).toHaveLength(2);

      // What removing the site in chrome://extensions does.
      await ext.serviceWorker.evaluate(() =>
        chrome.permissions.remove({ origins: ['https://revoked.example.org:443/*'] }),
      );

      await waitFor(async () => (await scriptsOf(origin)).length === 0, {
        description: `the scripts of ${origin} to be unregistered`,
      });
      const notice = await page.waitForSelector('.notice', { timeout: 10_000 });
      expect(await notice?.evaluate((node) => node.textContent)).toMatch(
        /Framelock was turned off for https:\/\/revoked\.example\.org because its permission/,
      );
      expect(await listedOrigins(page)).not.toContain(origin);

      await page.locator('::-p-aria(Dismiss[role="button"])').click();
      await waitFor(async () => (await page.$('.notice')) === null, { description: 'the notice to go away' });
    });
    expect((await siteList()).sites.map((s) => s.origin)).not.toContain(origin);
  });

  it('shows each site problem in plain words', async () => {
    // Problems come from tabs of the site (bridge-port.ts); write one straight into the store here.
    await ext.serviceWorker.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const opening = indexedDB.open('framelock');
        opening.onsuccess = () => resolve(opening.result);
        opening.onerror = () => reject(opening.error);
      });
      await new Promise<void>((resolve, reject) => {
        const transaction = db.transaction('sites', 'readwrite');
        const store = transaction.objectStore('sites');
        const reading = store.get('https://meet.example.org');
        reading.onsuccess = () => store.put({ ...reading.result, problems: ['no_transform_api', 'worker_blocked'] });
        transaction.oncomplete = () => resolve();
        transaction.onerror = () => reject(transaction.error);
      });
      db.close();
    });
    await withOptionsPage(async (page) => {
      await page.waitForSelector('.problem');
      const problems = await page.$$eval('.problem', (nodes) => nodes.map((node) => node.textContent));
      expect(problems).toEqual([PROBLEM_TEXT.no_transform_api, PROBLEM_TEXT.worker_blocked]);
    });
  });

  it('can be used with the keyboard alone, with a visible focus', async () => {
    await withOptionsPage(async (page) => {
      for (let i = 0; i < 20 && (await page.evaluate(() => document.activeElement?.id)) !== 'site'; i++) {
        await page.keyboard.press('Tab');
      }
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('site');
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
      expect(outline).not.toBe('none');

      const focused = () =>
        page.evaluate(() => ({
          id: document.activeElement?.id,
          text: document.activeElement?.textContent,
          pressed: document.activeElement?.getAttribute('aria-pressed') ?? undefined,
        }));
      await page.keyboard.type('http://[::1]:8443');
      await page.keyboard.press('Tab');
      expect((await focused()).id).toBe('room');
      await page.keyboard.press('Tab');
      expect((await focused()).text).toBe('Generate passphrase');
      await page.keyboard.press('Tab');
      expect((await focused()).id).toBe('passphrase');
      await page.keyboard.type(PASSPHRASE);
      // Enable goes ahead with a typed passphrase once its strength estimate is in (shown as it arrives).
      await waitForPassphraseEstimate(page);
      await page.keyboard.press('Tab');
      expect(await focused()).toMatchObject({ text: 'Show passphrase', pressed: 'false' });
      await page.keyboard.press('Space');
      expect(await page.$eval('#passphrase', (input) => (input as HTMLInputElement).type)).toBe('text');
      await page.keyboard.press('Tab');
      expect((await focused()).text).toBe('Copy passphrase');
      await page.keyboard.press('Tab');
      expect((await focused()).text).toBe('Enable');
      await page.keyboard.press('Enter');

      await waitFor(async () => (await listedOrigins(page)).includes('http://[::1]:8443'), {
        description: 'the IPv6 site to be listed',
        timeoutMs: 30_000,
      });
      expect(await page.$eval('#passphrase', (input) => (input as HTMLInputElement).type)).toBe('password');
    });
    expect((await scriptsOf('http://[::1]:8443')).map((script) => script.matches)).toEqual([
      ['http://[::1]:8443/*'],
      ['http://[::1]:8443/*'],
    ]);
  });

  it('"Generate passphrase" fills 12 random words, says they are not stored, and enabling shows 5 safety words', async () => {
    const origin = 'https://generate.example.org';
    // The clipboard needs a permission Chrome would grant the focused options page after a click.
    await ext.browser
      .defaultBrowserContext()
      .overridePermissions(ext.extensionUrl('').slice(0, -1), ['clipboard-read', 'clipboard-sanitized-write']);
    await withOptionsPage(async (page) => {
      await page.bringToFront();
      await page.locator(OPTIONS_CONTROLS.site).fill(origin);
      expect(await page.$('#generated-notice')).toBeNull();
      await page.locator(OPTIONS_CONTROLS.generatePassphrase).click();

      const first = await passphraseValue(page);
      expect(first).toMatch(/^[a-z]+( [a-z]+)*$/);
      expect(first.split(' ')).toHaveLength(GENERATED_PASSPHRASE_WORDS);
      expect(first.split(' ').every(isListWord), 'every word is a BIP-39 word').toBe(true);
      // Shown, so it can be read out or copied.
      expect(await page.$eval('#passphrase', (input) => (input as HTMLInputElement).type)).toBe('text');
      expect(await page.$eval(OPTIONS_CONTROLS.showPassphrase, (button) => button.getAttribute('aria-pressed'))).toBe(
        'true',
      );
      const notice = await page.$eval('#generated-notice', (node) => node.textContent ?? '');
      expect(notice).toMatch(/Copy this passphrase now/);
      expect(notice).toMatch(/does not store it, and cannot show it again/);
      expect(notice).toMatch(/through another channel than this site/);
      expect(notice).toMatch(/never in the site’s own chat/);
      expect(await page.$eval('#passphrase', (input) => input.getAttribute('aria-describedby'))).toMatch(
        /generated-notice/,
      );
      expect(await page.$eval('#passphrase-strength', (node) => node.textContent)).toBe(
        'Strength: strong (generated, 132 bits).',
      );
      expect(await page.$eval('#passphrase-warning', (node) => node.textContent)).toBe('');

      // Every click makes a new one.
      await page.locator(OPTIONS_CONTROLS.generatePassphrase).click();
      const passphrase = await passphraseValue(page);
      expect(passphrase).not.toBe(first);
      expect(passphrase.split(' ')).toHaveLength(GENERATED_PASSPHRASE_WORDS);

      await page.locator(OPTIONS_CONTROLS.copyPassphrase).click();
      await waitFor(async () => /Copied/.test(await pageStatus(page)), { description: 'the page to say Copied' });
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(passphrase);

      await page.locator(OPTIONS_CONTROLS.enable).click();
      await waitForEnabled(page, origin);
      // The secret is gone from the page, and so is the notice about it.
      expect(await page.$('#generated-notice')).toBeNull();
      expect(await page.$eval('#passphrase', (input) => (input as HTMLInputElement).type)).toBe('password');
      expect(await page.$eval('#passphrase-strength', (node) => node.textContent)).toBe('');

      const rooms = await roomsShown(page, origin);
      expect(rooms).toEqual([{ name: 'Default room', inUse: true, words: expect.any(Array) }]);
      const words = rooms?.[0]?.words ?? [];
      expect(words).toHaveLength(SAFETY_WORD_COUNT);
      expect(words.every(isListWord), words.join(' ')).toBe(true);
      expect((await siteInfo(origin))?.rooms).toEqual([{ label: '', keyedAt: expect.any(Number), safetyWords: words }]);
      expect(await page.$eval('.site[data-origin="https://generate.example.org"]', (node) => node.textContent)).toMatch(
        /Room words are the same for everyone with the same passphrase and room/,
      );
    });
  });

  it('the same site, passphrase and room give the same safety words in another profile; any difference, others', async () => {
    const origin = 'https://words.example.org';
    const passphrase = generatePassphrase();
    const almost = oneLetterOff(passphrase);
    const words = await withOptionsPage(async (page) => {
      await enableSiteThroughOptions(ext, origin, passphrase, { page, room: 'Team A' });
      return wordsShown(page, origin, 'team a');
    });
    expect(words).toHaveLength(SAFETY_WORD_COUNT);

    const other = await launchWithSiteGranted([origin]);
    try {
      const page = await other.openExtensionPage(OPTIONS_PAGE);
      try {
        // Another person, another browser: the room name typed differently, but the same once normalised.
        await enableSiteThroughOptions(other, origin, passphrase, { page, room: '  TEAM   a ' });
        expect(await wordsShown(page, origin, 'team a')).toEqual(words);

        // Another room with the same passphrase.
        await enableSiteThroughOptions(other, origin, passphrase, { page, room: 'Team B' });
        const teamB = await wordsShown(page, origin, 'team b');
        expect(teamB).toHaveLength(SAFETY_WORD_COUNT);
        expect(teamB).not.toEqual(words);

        // The same room with a passphrase one letter off.
        await enableSiteThroughOptions(other, origin, almost, { page, room: 'Team A' });
        const mistyped = await wordsShown(page, origin, 'team a');
        expect(mistyped).toHaveLength(SAFETY_WORD_COUNT);
        expect(mistyped).not.toEqual(words);
        expect(mistyped).not.toEqual(teamB);
      } finally {
        await page.close();
      }
      expect((await siteInfo(origin, other))?.rooms.map((room) => room.label).sort()).toEqual(['team a', 'team b']);
    } finally {
      await other.close();
    }
  });

  it('lists two rooms of one site: "Use this room" switches the room in use, "Forget" erases one', async () => {
    const origin = 'https://rooms.example.org';
    await withOptionsPage(async (page) => {
      await enableSiteThroughOptions(ext, origin, generatePassphrase(), { page });
      await enableSiteThroughOptions(ext, origin, generatePassphrase(), { page, room: 'Standup' });
      expect(await pageStatus(page)).toMatch(
        /The passphrase of room “standup” on https:\/\/rooms\.example\.org is set/,
      );

      // The room enabled last is in use; each room has its own words.
      let rooms = await roomsShown(page, origin);
      expect(rooms?.map(({ name, inUse }) => ({ name, inUse }))).toEqual([
        { name: 'Default room', inUse: false },
        { name: 'standup', inUse: true },
      ]);
      expect(rooms?.[0]?.words).not.toEqual(rooms?.[1]?.words);
      expect((await siteInfo(origin))?.activeRoom).toBe('standup');
      // Only rooms not in use can be switched to.
      await expect(roomButton(page, OPTIONS_CONTROLS.useRoom, origin, 'standup')).rejects.toThrow(/no button/);

      await (await roomButton(page, OPTIONS_CONTROLS.useRoom, origin, 'Default room')).click();
      await waitFor(async () => (await roomsShown(page, origin))?.[0]?.inUse, {
        description: 'the default room to be in use',
      });
      rooms = await roomsShown(page, origin);
      expect(rooms?.map((room) => room.inUse)).toEqual([true, false]);
      expect((await siteInfo(origin))?.activeRoom).toBe('');
      expect(await pageStatus(page)).toMatch(/The default room is in use on https:\/\/rooms\.example\.org now/);
      // The button that had focus is gone: focus is on the room's name.
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Default room');

      await (await roomButton(page, OPTIONS_CONTROLS.forgetRoom, origin, 'standup')).click();
      await waitFor(async () => (await roomsShown(page, origin))?.length === 1, {
        description: 'the standup room to leave the list',
      });
      expect((await roomsShown(page, origin))?.map((room) => room.name)).toEqual(['Default room']);
      expect((await siteInfo(origin))?.rooms.map((room) => room.label)).toEqual(['']);
      expect(await pageStatus(page)).toMatch(/Forgot room “standup” on https:\/\/rooms\.example\.org/);

      // Without any room the site stays enabled, and the page says its calls carry no media.
      await (await roomButton(page, OPTIONS_CONTROLS.forgetRoom, origin, 'Default room')).click();
      await waitFor(async () => (await roomsShown(page, origin))?.length === 0, {
        description: 'the last room to leave the list',
      });
      expect(
        await page.$eval('.site[data-origin="https://rooms.example.org"] .no-room', (node) => node.textContent),
      ).toMatch(/No passphrase is set for this site, so calls on it carry no media until you enter one above/);
      expect(await siteInfo(origin)).toMatchObject({ rooms: [], activeRoom: '' });
    });
  });

  it('warns about a weak typed passphrase (loading the estimator only then), not about a generated one', async () => {
    // Watch what the page loads from the start.
    const page = await ext.browser.newPage();
    try {
      const requested: string[] = [];
      page.on('request', (request) => void requested.push(request.url()));
      await page.goto(ext.extensionUrl(OPTIONS_PAGE), { waitUntil: 'load' });
      await page.waitForSelector('#passphrase');
      const estimatorLoaded = () => requested.some((url) => /\/assets\/strength-[^/]*\.js$/.test(url));
      const strength = () => page.$eval('#passphrase-strength', (node) => node.textContent ?? '');
      const warning = () => page.$eval('#passphrase-warning', (node) => node.textContent ?? '');

      expect(estimatorLoaded()).toBe(false);
      expect(await strength()).toBe('');

      await page.locator(OPTIONS_CONTROLS.passphrase).fill('password1');
      await waitFor(async () => /easy to guess/.test(await warning()), { description: 'the weak passphrase warning' });
      expect(estimatorLoaded()).toBe(true);
      expect(await strength()).toMatch(/^Strength: weak\. Someone with a recording of a call could guess it in /);
      expect(await warning()).toMatch(/Anyone who records a call can test guesses offline/);
      expect(await warning()).toMatch(/Use “Generate passphrase”, or at least five random words/);
      expect(await page.$eval('#passphrase-warning', (node) => node.getAttribute('role'))).toBe('status');

      // A long typed passphrase is fine.
      await page.locator(OPTIONS_CONTROLS.passphrase).fill('tangerine quarrel bicycle mosaic lantern');
      await waitFor(async () => /^Strength: strong/.test(await strength()), { description: 'a strong estimate' });
      expect(await warning()).toBe('');

      // Back to weak, then generated: no warning, no estimate needed.
      await page.locator(OPTIONS_CONTROLS.passphrase).fill('password1');
      await waitFor(async () => /easy to guess/.test(await warning()), { description: 'the warning again' });
      await page.locator(OPTIONS_CONTROLS.generatePassphrase).click();
      expect(await strength()).toBe('Strength: strong (generated, 132 bits).');
      expect(await warning()).toBe('');
      // Changed by hand, it is a typed passphrase again (and still a strong one).
      await page.locator(OPTIONS_CONTROLS.passphrase).click();
      await page.keyboard.press('End');
      await page.keyboard.type('x');
      await waitFor(async () => /^Strength: strong\. /.test(await strength()), {
        description: 'an estimate of the edited passphrase',
      });
      expect(await warning()).toBe('');
      expect(await page.$('#generated-notice')).toBeNull();
    } finally {
      await page.close();
    }
  });

  it('a weak typed passphrase ("sunshine1") does not enable on the first click; the labelled override does', async () => {
    const origin = 'https://weak.example.org';
    await withOptionsPage(async (page) => {
      await page.locator(OPTIONS_CONTROLS.site).fill(origin);
      await page.locator(OPTIONS_CONTROLS.passphrase).fill('sunshine1');
      expect(await waitForPassphraseEstimate(page)).toMatch(/^Strength: weak\./);
      await page.locator(OPTIONS_CONTROLS.enable).click();

      const error = () => page.$eval('#passphrase', (input) => input.getAttribute('aria-invalid'));
      await waitFor(async () => (await error()) === 'true', { description: 'the refusal' });
      expect(await page.$eval('#passphrase-error', (node) => node.textContent)).toMatch(
        /^Not enabled: this passphrase is too easy to guess\. Anyone who records a call can test guesses offline/,
      );
      // Longer than deriving a key and registering scripts takes: nothing was enabled, nothing registered.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(await siteInfo(origin)).toBeUndefined();
      expect(await scriptsOf(origin)).toEqual([]);
      expect(await page.$eval('#passphrase', (input) => (input as HTMLInputElement).value)).toBe('sunshine1');

      // The user takes the risk knowingly: tick the override, whose name says what it is, then Enable.
      await page.locator(OPTIONS_CONTROLS.weakOverride).click();
      await page.locator(OPTIONS_CONTROLS.enable).click();
      await waitFor(async () => (await siteInfo(origin)) !== undefined, {
        description: `${origin} enabled with the override`,
        timeoutMs: 30_000,
      });
      expect((await siteInfo(origin))?.rooms).toHaveLength(1);
    });
  });

  it('strict mode and the in-page indicator are saved per site, across reloads and a stopped service worker', async () => {
    const origin = 'https://settings.example.org';
    const settingsStatus = (page: Page) =>
      page.$eval(`.site[data-origin="${origin}"] .settings-status`, (node) => node.textContent ?? '');
    await withOptionsPage(async (page) => {
      await enableSiteThroughOptions(ext, origin, PASSPHRASE, { page });
      // The defaults: strict mode off, the indicator on.
      expect(await settingsShown(page, origin)).toEqual({ strict: false, indicator: true });
      expect(await siteInfo(origin)).toMatchObject({ strict: false, indicator: true });

      // Each box is labelled and explained.
      const strict = await settingBox(page, OPTIONS_CONTROLS.strictMode, origin);
      const explanation = (box: ElementHandle<Element>) =>
        box.evaluate((node) => document.getElementById(node.getAttribute('aria-describedby') ?? '')?.textContent);
      expect(await explanation(strict)).toMatch(/^Drop all incoming audio and video that is not end-to-end encrypted/);
      await strict.click();
      await waitFor(async () => (await siteInfo(origin))?.strict === true, { description: 'strict mode to be saved' });
      await waitFor(async () => /^Saved: strict mode is on/.test(await settingsStatus(page)), {
        description: 'the page to say strict mode is on',
      });
      expect(await settingsShown(page, origin)).toEqual({ strict: true, indicator: true });

      // With the keyboard: Space on the focused box; the focus stays on it, visibly.
      const indicator = await settingBox(page, OPTIONS_CONTROLS.indicator, origin);
      expect(await explanation(indicator)).toMatch(/remove or fake .* toolbar badge and its popup are the authority/);
      await indicator.focus();
      await page.keyboard.press('Space');
      await waitFor(async () => (await siteInfo(origin))?.indicator === false, {
        description: 'the indicator setting to be saved',
      });
      await waitFor(async () => /^Saved: the in-page indicator is off/.test(await settingsStatus(page)), {
        description: 'the page to say the indicator is off',
      });
      expect(await settingsShown(page, origin)).toEqual({ strict: true, indicator: false });
      expect(await indicator.evaluate((node) => document.activeElement === node)).toBe(true);
      expect(await indicator.evaluate((node) => getComputedStyle(node).outlineStyle)).not.toBe('none');

      // Another site keeps its own settings.
      expect(await settingsShown(page, 'https://meet.example.org')).toEqual({ strict: false, indicator: true });

      // Reloading the page shows what was stored.
      await page.reload({ waitUntil: 'load' });
      await page.waitForSelector(`.site[data-origin="${origin}"] input[name="strict"]`);
      expect(await settingsShown(page, origin)).toEqual({ strict: true, indicator: false });
    });

    await ext.stopServiceWorker();
    await ext.wakeServiceWorker();

    expect(await siteInfo(origin)).toMatchObject({ strict: true, indicator: false });
    await withOptionsPage(async (page) => {
      await page.waitForSelector(`.site[data-origin="${origin}"] input[name="strict"]`);
      expect(await settingsShown(page, origin)).toEqual({ strict: true, indicator: false });

      // And back: off is saved too.
      await (await settingBox(page, OPTIONS_CONTROLS.strictMode, origin)).click();
      await waitFor(async () => (await siteInfo(origin))?.strict === false, {
        description: 'strict mode off to be saved',
      });
      await page.reload({ waitUntil: 'load' });
      await page.waitForSelector(`.site[data-origin="${origin}"] input[name="strict"]`);
      expect(await settingsShown(page, origin)).toEqual({ strict: false, indicator: false });
    });
  });

  it('says what Framelock protects and what it does not (About), with every string from the locale', async () => {
    await withOptionsPage(async (page) => {
      const heading = await page.waitForSelector(OPTIONS_CONTROLS.about);
      expect(await heading?.evaluate((node) => node.tagName)).toBe('H2');
      const about = await page.$eval('section.about', (node) => node.textContent ?? '');
      expect(about).toMatch(/the media server that relays the call \(SFU\)/);
      expect(about).toMatch(/the site's code can capture it/);
      expect(about).toMatch(/who talks when/);
      expect(about).toMatch(/any participant can pretend to be another/);
      expect(about).toMatch(/each call's keys are erased when it ends \(forward secrecy\)/);
      expect(about).toMatch(/server-side recording, transcription, live captions, noise suppression/);
      expect(about).toMatch(/remove it or fake it\. Framelock's toolbar badge and its popup are the authority/);
      // The full threat model ships with the extension, and the link opens it.
      const href = await page.$eval('section.about a[href$="threat-model.html"]', (a) => (a as HTMLAnchorElement).href);
      const doc = await page.browser().newPage();
      try {
        await doc.goto(href);
        expect(await doc.$eval('h1', (h) => h.textContent)).toMatch(/threat model/i);
      } finally {
        await doc.close();
      }

      // chrome.i18n answered every message: no missing one shows as ⟦key⟧.
      await page.waitForSelector('.site');
      expect(await page.evaluate(() => document.body.textContent)).not.toContain('⟦');
      expect(await page.title()).toBe('Framelock options');
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    });
  });

  it('Chrome holds the host permission for exactly the granted port', async () => {
    // Why matchPatternFor writes the port: the grant for one port is no grant for another port of the same host.
    expect(await hasPermission(`${granted.origin}/*`)).toBe(true);
    expect(await hasPermission(`${notGranted.origin}/*`)).toBe(false);
    expect(await hasPermission('http://127.0.0.1/*')).toBe(false);
    expect(await hasPermission('https://meet.example.org:8443/*')).toBe(false);
  });

  it('refuses UI requests from a content script (our id, but a web page URL)', async () => {
    const page = await ext.browser.newPage();
    try {
      await page.goto(`${granted.origin}/`);
      const answers = await ext.serviceWorker.evaluate(async (url: string) => {
        const [tab] = (await chrome.tabs.query({})).filter((t) => t.url === url);
        if (tab?.id === undefined) throw new Error(`no tab at ${url}`);
        const [result] = await chrome.scripting.executeScript({
          target: { tabId: tab.id },
          world: 'ISOLATED',
          func: async (origin: string) => [
            await chrome.runtime.sendMessage({ type: 'sites/enable', origin, passphrase: 'x' }),
            await chrome.runtime.sendMessage({ type: 'sites/list' }),
            await chrome.runtime.sendMessage({ type: 'status/get' }),
          ],
          args: [new URL(url).origin],
        });
        return result?.result;
      }, `${granted.origin}/`);
      expect(answers).toEqual([
        { ok: false, error: expect.stringMatching(/only Framelock's own pages/) },
        { ok: false, error: expect.stringMatching(/only Framelock's own pages/) },
        { ok: false, error: expect.stringMatching(/only Framelock's own pages/) },
      ]);
    } finally {
      await page.close();
    }
    expect(await scriptsOf(granted.origin)).toEqual([]);
  });

  it('answers malformed requests from its own pages with an error', async () => {
    await withOptionsPage(async (page) => {
      expect(
        await sendFromExtensionPage(page, { type: 'sites/enable', origin: 'https://x.org/path', passphrase: 'p' }),
      ).toMatchObject({ ok: false, field: 'origin', error: expect.stringMatching(/without a path/) });
      expect(
        await sendFromExtensionPage(page, { type: 'sites/enable', origin: 'https://meet.example.org', passphrase: '' }),
      ).toMatchObject({ ok: false, field: 'passphrase' });
      expect(
        await sendFromExtensionPage(page, {
          type: 'sites/enable',
          origin: 'https://meet.example.org',
          passphrase: 'x'.repeat(1025),
        }),
      ).toMatchObject({ ok: false, field: 'passphrase' });
      // The background checks the permission itself; the page cannot skip the prompt.
      expect(
        await sendFromExtensionPage(page, { type: 'sites/enable', origin: notGranted.origin, passphrase: 'p' }),
      ).toEqual({ ok: false, field: 'origin', error: `Framelock needs permission for ${notGranted.origin}` });
    });
    expect(await scriptsOf(notGranted.origin)).toEqual([]);
  });

  it('reports tab status kept in storage.session', async () => {
    const status = {
      tabId: 4242,
      origin: 'https://meet.example.org',
      transforms: [],
      problems: ['worker_blocked'],
      updatedAt: 1,
    };
    await ext.serviceWorker.evaluate((s: typeof status) => chrome.storage.session.set({ 'tab:4242': s }), status);
    try {
      const answer = await withOptionsPage((page) => sendFromExtensionPage(page, { type: 'status/get' }));
      expect(answer).toMatchObject({ ok: true, tabs: expect.arrayContaining([status]) });
    } finally {
      await ext.serviceWorker.evaluate(() => chrome.storage.session.remove('tab:4242'));
    }
  });

  it('repairs the registrations when the service worker starts', async () => {
    const [bridge] = await scriptsOf('https://meet.example.org');
    // An interrupted registration (a site without its scripts), and scripts of a site that is not enabled.
    await ext.serviceWorker.evaluate(async (js: string[]) => {
      await chrome.scripting.unregisterContentScripts({ ids: ['1-page:https://meet.example.org'] });
      await chrome.scripting.registerContentScripts([
        { id: '0-bridge:https://stray.example.org', js, matches: ['https://stray.example.org:443/*'] },
      ]);
    }, bridge?.js ?? []);
    expect(await scriptsOf('https://meet.example.org')).toHaveLength(1);

    await ext.stopServiceWorker();
    await ext.wakeServiceWorker();

    await waitFor(
      async () =>
        (await scriptsOf('https://meet.example.org')).length === 2 &&
        (await scriptsOf('https://stray.example.org')).length === 0,
      { description: 'start-up reconciliation to restore the missing script and drop the stray one' },
    );
    expect((await scriptsOf('https://meet.example.org')).map((script) => script.id)).toEqual([
      '0-bridge:https://meet.example.org',
      '1-page:https://meet.example.org',
    ]);
  });

  it('keeps enabled sites when the service worker stops (state is in IndexedDB)', async () => {
    const before = await siteList();
    expect(before.sites.map((s) => s.origin)).toContain('https://meet.example.org');

    await ext.stopServiceWorker();
    await ext.wakeServiceWorker();

    const after = await siteList();
    expect(after).toEqual(before);
    expect(await scriptsOf('https://meet.example.org')).toHaveLength(2);
    await withOptionsPage(async (page) => {
      await page.waitForSelector('.site-origin');
      expect(await listedOrigins(page)).toContain('https://meet.example.org');
    });
  });
});
