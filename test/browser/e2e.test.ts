/**
 * End-to-end encrypted calls through the demo site between separate Chromium profiles: the built extension, the site
 * enabled through the real options page, the known fake picture and tone, and assertions on what the far side
 * decodes (pixels), with negative controls: a wrong passphrase and a participant without Framelock.
 */
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../../demo/server';
import {
  createFakeMedia,
  expectNoRemotePattern,
  type FakeMedia,
  launchExtensionParticipant,
  launchPlainChromium,
  measureAudio,
  type PlainBrowser,
  startCall,
  waitForProtectedCall,
  waitForRemotePattern,
  waitForTransform,
} from './call';
import { chromiumAvailable, type ExtensionBrowser } from './harness';

const PASSPHRASE = 'correct horse battery staple';
const WRONG_PASSPHRASE = 'incorrect horse battery staple';
/** How long a receiver without the key is watched: several keyframe intervals. */
const NEGATIVE_WATCH_MS = 6_000;

describe.skipIf(!chromiumAvailable)('end-to-end encrypted calls (headless Chromium, built extension)', () => {
  let server: DemoServer;
  let media: FakeMedia;
  let alice: ExtensionBrowser;
  let bob: ExtensionBrowser;
  const pages: Page[] = [];

  async function page(browser: { newPage(): Promise<Page> }): Promise<Page> {
    const p = await browser.newPage();
    pages.push(p);
    return p;
  }

  beforeAll(async () => {
    server = await startDemoServer();
    media = await createFakeMedia();
    alice = await launchExtensionParticipant(server.url, PASSPHRASE, media);
    bob = await launchExtensionParticipant(server.url, PASSPHRASE, media);
  });

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close()]);
    await server?.close();
    await media?.cleanup();
  });

  it('two profiles with the same passphrase see and hear each other, and Framelock encrypts and decrypts', async () => {
    const call = await startCall({ browsers: [await page(alice.browser), await page(bob.browser)], url: server.url });
    await Promise.all(call.pages.map((p) => waitForRemotePattern(p)));
    for (const p of call.pages) expect((await measureAudio(p)).flowing).toBe(true);
    for (const received of await waitForProtectedCall([alice, bob], call.room)) {
      expect(received.status).toBe('encrypted');
      expect(received.unencrypted).toBe(0);
    }
    await call.hangUp();
  });

  describe('negative controls', () => {
    let carol: ExtensionBrowser;
    let dave: PlainBrowser;

    beforeAll(async () => {
      carol = await launchExtensionParticipant(server.url, WRONG_PASSPHRASE, media);
      dave = await launchPlainChromium({ media });
    });

    afterAll(async () => {
      await Promise.all([carol?.close(), dave?.close()]);
    });

    it('a profile with another passphrase never shows the pattern and reports "cannot decrypt"', async () => {
      const call = await startCall({
        browsers: [await page(alice.browser), await page(carol.browser)],
        url: server.url,
      });
      await Promise.all(call.pages.map((p) => expectNoRemotePattern(p, NEGATIVE_WATCH_MS)));
      for (const ext of [alice, carol]) {
        const video = await waitForTransform(
          ext,
          call.room,
          'video undecryptable',
          (s) => s.side === 'receive' && s.kind === 'video' && s.undecryptable > 0,
        );
        expect(video.protected).toBe(0);
      }
      const carolVideo = await waitForTransform(
        carol,
        call.room,
        'carol: status undecryptable',
        (s) => s.side === 'receive' && s.kind === 'video',
      );
      expect(carolVideo.status).toBe('undecryptable');
      await call.hangUp();
    });

    it('a profile without Framelock never shows the encrypting peer, who flags its plaintext as not encrypted', async () => {
      const call = await startCall({
        browsers: [await page(alice.browser), await page(dave.browser)],
        url: server.url,
      });
      // Alice (encrypting) receives Dave's plaintext: shown, but flagged.
      await waitForRemotePattern(call.pages[0]);
      await expectNoRemotePattern(call.pages[1], NEGATIVE_WATCH_MS);
      const flagged = await waitForTransform(
        alice,
        call.room,
        'alice flags unencrypted video from dave',
        (s) => s.side === 'receive' && s.kind === 'video' && s.status === 'unencrypted' && s.unencrypted > 0,
      );
      expect(flagged.protected).toBe(0);
      await call.hangUp();
    });
  });
});
