/**
 * Where room keys rest (issue 14, item 5). A non-extractable CryptoKey stored in IndexedDB cannot be read by script,
 * but Chromium writes its raw bytes into the profile's files: this test finds them there (the Argon2id output,
 * recomputed in Node from the passphrase). A site whose "Remember the keys when the browser closes" is off keeps its
 * keys in memory only: calls work, its key's bytes are nowhere in the profile after the browser closes, and after a
 * restart the site is still enabled but asks for its passphrase again.
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../../demo/server';
import { deriveRoomKeyBytes } from '../../src/background/keys';
import type { SiteInfo } from '../../src/shared/messages';
import { normalizeOrigin } from '../../src/shared/origin';
import {
  callArgs,
  createFakeMedia,
  type FakeMedia,
  launchExtensionParticipant,
  startCall,
  waitForProtectedCall,
} from './call';
import { chromiumAvailable, type ExtensionBrowser, launchWithExtension } from './harness';
import { enableSiteThroughOptions, OPTIONS_PAGE, sendFromExtensionPage } from './permissions';

const REMEMBERED = 'harbor-lantern 6 softly weaves cobalt';
const IN_MEMORY = 'juniper-meridian 3 calmly bends saffron';

/** Every file below `dir` that holds `needle`, as paths relative to `dir`. */
function filesHolding(dir: string, needle: Uint8Array): string[] {
  const found: string[] = [];
  const needleBuffer = Buffer.from(needle);
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      const full = path.join(folder, name);
      const info = statSync(full, { throwIfNoEntry: false });
      if (info === undefined) continue;
      if (info.isDirectory()) walk(full);
      else if (info.isFile() && info.size < 256 * 1024 * 1024 && readFileSync(full).includes(needleBuffer)) {
        found.push(path.relative(dir, full));
      }
    }
  };
  walk(dir);
  return found;
}

async function sites(ext: ExtensionBrowser): Promise<SiteInfo[]> {
  const page = await ext.openExtensionPage(OPTIONS_PAGE);
  try {
    const answer = (await sendFromExtensionPage(page, { type: 'sites/list' })) as { ok: boolean; sites: SiteInfo[] };
    expect(answer.ok).toBe(true);
    return answer.sites;
  } finally {
    await page.close();
  }
}

describe.skipIf(!chromiumAvailable)('room keys at rest (headless Chromium, built extension)', () => {
  let server: DemoServer;
  let media: FakeMedia;
  let origin: string;
  let alice: ExtensionBrowser | undefined;
  let bob: ExtensionBrowser | undefined;
  let profile: string | undefined;
  const pages: Page[] = [];

  beforeAll(async () => {
    server = await startDemoServer();
    media = await createFakeMedia();
    const normalized = normalizeOrigin(server.url);
    if (!normalized.ok) throw new Error(normalized.error);
    origin = normalized.origin;
  });

  afterAll(async () => {
    for (const page of pages) await page.close().catch(() => undefined);
    await alice?.close();
    await bob?.close();
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
    await server?.close();
    await media?.cleanup();
  });

  /** Closes alice's browser (her profile stays) and opens it again on the same profile. */
  async function restartAlice(): Promise<ExtensionBrowser> {
    await alice?.close();
    alice = await launchWithExtension({ userDataDir: profile, keepProfile: true, args: callArgs(media) });
    return alice;
  }

  it('remembered: the room key’s bytes are in the profile’s files; in memory only: nowhere, and asked again after a restart', async () => {
    alice = await launchExtensionParticipant(origin, REMEMBERED, media, { keepProfile: true });
    profile = alice.userDataDir;
    const rememberedKey = await deriveRoomKeyBytes(origin, '', REMEMBERED);
    const inMemoryKey = await deriveRoomKeyBytes(origin, '', IN_MEMORY);

    // 1. The default: remembered. After the browser closed, the key's bytes are in the profile (what the threat
    //    model says: whoever reads these files has the room key).
    await alice.close();
    expect(filesHolding(profile, rememberedKey).length, 'files holding the remembered key').toBeGreaterThan(0);

    // 2. "Remember the keys when the browser closes" off, through the options page: the stored keys are forgotten at
    //    once, and the site asks for its passphrase; entered again, it is kept in memory only, and calls work.
    await restartAlice();
    const options = await alice.openExtensionPage(OPTIONS_PAGE);
    pages.push(options);
    const box = await options.waitForSelector('input[name="rememberKeys"]');
    expect(await box?.evaluate((input) => (input as HTMLInputElement).checked)).toBe(true);
    await box?.click();
    await options.waitForFunction(() =>
      [...document.querySelectorAll('.settings-status')].some((n) => /kept in memory only/.test(n.textContent ?? '')),
    );
    expect((await sites(alice)).find((s) => s.origin === origin)).toMatchObject({ rememberKeys: false, rooms: [] });
    await enableSiteThroughOptions(alice, origin, IN_MEMORY);
    expect((await sites(alice)).find((s) => s.origin === origin)?.rooms.map((r) => r.label)).toEqual(['']);

    bob = await launchExtensionParticipant(origin, IN_MEMORY, media);
    const call = await startCall({
      browsers: [await alice.browser.newPage(), await bob.browser.newPage()],
      url: server.url,
    });
    pages.push(...call.pages);
    for (const received of await waitForProtectedCall([alice, bob], call.room)) {
      expect(received.status).toBe('encrypted');
    }
    await call.hangUp();

    // 3. The browser closes: nothing of the in-memory key is in the profile.
    await alice.close();
    expect(filesHolding(profile, inMemoryKey), 'files holding the in-memory key').toEqual([]);

    // 4. After a restart the site is still enabled, still in memory only, and has no key: the passphrase is asked.
    await restartAlice();
    const after = (await sites(alice)).find((s) => s.origin === origin);
    expect(after).toMatchObject({ rememberKeys: false, rooms: [] });
  });
});
