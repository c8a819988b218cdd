/**
 * Keys and rotation in Firefox, on the Firefox rotation test build (dist-firefox-test: 6-second epochs, a re-key
 * every 5 s): a Firefox-Firefox call and a Firefox-Chromium call keep decoding across epoch boundaries and periodic
 * re-keys, every receiver decrypts under several sender key generations, and no frame fails to decrypt.
 */
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../../demo/server';
import { kidEpoch } from '../../src/codecs';
import type { TransformStats } from '../../src/shared/messages';
import {
  type Call,
  createFakeMedia,
  type FakeMedia,
  framelockTransforms,
  launchExtensionParticipant,
  startCall,
  waitForRemotePattern,
} from './call';
import {
  FIREFOX_ROTATION_TEST_EXTENSION_PATH,
  type FirefoxSession,
  firefoxAvailable,
  firefoxTransforms,
  launchFirefox,
} from './firefox';
import { chromiumAvailable, type ExtensionBrowser, ROTATION_TEST_EXTENSION_PATH, sleep, waitFor } from './harness';
import { enableSiteThroughOptions } from './permissions';

/** The rotation test builds' epoch (vite.config.ts, ROTATION_TEST_EPOCH_MS). */
const EPOCH_MS = 6_000;
const PASSPHRASE = 'correct horse battery staple';

type Reader = (room: string) => Promise<TransformStats[]>;

/**
 * Watches the call for 3.5 epochs: every receiver of every reader decrypts with no undecryptable frame, and the
 * received KIDs span at least four sender key generations. Then each page still shows the other's picture.
 */
async function keepsDecodingAcrossRotations(call: Call, readers: Reader[]): Promise<void> {
  const generations = new Set<number>();
  await waitFor(
    async () => {
      for (const read of readers) {
        const received = (await read(call.room)).filter((s) => s.side === 'receive' && s.protected > 10);
        if (received.length < 2) return false;
      }
      return true;
    },
    { description: 'every receiver to decrypt', timeoutMs: 20_000 },
  );
  const started = Date.now();
  while (Date.now() - started < 3.5 * EPOCH_MS) {
    for (const read of readers) {
      for (const s of await read(call.room)) {
        if (s.side !== 'receive') continue;
        expect(s.undecryptable, `${s.kind} ${s.lastError ?? ''}`).toBe(0);
        for (const entry of s.byKid ?? []) if (entry.protected > 0) generations.add(kidEpoch(BigInt(entry.kid)));
      }
    }
    await sleep(500);
  }
  expect(generations.size, `generations seen: ${[...generations]}`).toBeGreaterThanOrEqual(4);
  await Promise.all(call.pages.map((p) => waitForRemotePattern(p)));
  for (const read of readers) {
    for (const s of (await read(call.room)).filter((t) => t.side === 'receive')) expect(s.status).toBe('encrypted');
  }
}

describe.skipIf(!firefoxAvailable)('keys and rotation in Firefox (the Firefox rotation test build)', () => {
  let server: DemoServer;
  let foxes: FirefoxSession[] = [];
  let statusPages: Page[] = [];

  const reader =
    (statusPage: Page): Reader =>
    (room) =>
      firefoxTransforms(statusPage, room);

  beforeAll(async () => {
    server = await startDemoServer();
    for (let i = 0; i < 2; i++) {
      const fox = await launchFirefox({ extensionPath: FIREFOX_ROTATION_TEST_EXTENSION_PATH });
      foxes.push(fox);
      await enableSiteThroughOptions(fox, server.url, PASSPHRASE);
      statusPages.push(await fox.openExtensionPage('src/popup/index.html'));
    }
  });

  afterAll(async () => {
    await Promise.all(foxes.map((fox) => fox.close()));
    foxes = [];
    statusPages = [];
    await server?.close();
  });

  it('Firefox and Firefox keep decoding across epoch boundaries and re-keys', async () => {
    const [a, b] = foxes as [FirefoxSession, FirefoxSession];
    const call = await startCall({ browsers: [await a.newPage(), await b.newPage()], url: server.url });
    await keepsDecodingAcrossRotations(call, statusPages.map(reader));
    await call.hangUp();
  });

  describe.skipIf(!chromiumAvailable)('with Chromium', () => {
    let media: FakeMedia;
    let chrome: ExtensionBrowser;

    beforeAll(async () => {
      media = await createFakeMedia();
      chrome = await launchExtensionParticipant(server.url, PASSPHRASE, media, {
        extensionPath: ROTATION_TEST_EXTENSION_PATH,
      });
    });

    afterAll(async () => {
      await chrome?.close();
      await media?.cleanup();
    });

    it('Firefox and Chromium keep decoding across epoch boundaries and re-keys', async () => {
      const fox = foxes[0] as FirefoxSession;
      const call = await startCall({
        browsers: [await fox.newPage(), await chrome.browser.newPage()],
        url: server.url,
      });
      await keepsDecodingAcrossRotations(call, [
        reader(statusPages[0] as Page),
        (room) => framelockTransforms(chrome, room),
      ]);
      await call.hangUp();
    });
  });
});
