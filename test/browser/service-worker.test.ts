/**
 * A site whose own service worker answers every request of its pages and their workers (test/pages/hostile-sw.ts and
 * hostile-sw-worker.ts): it puts its own code first in every script it sees, chrome-extension:// URLs included, and
 * reports every request and, from inside any worker its code reaches, every message that worker receives
 * (threat model: "the page's origin is more than its scripts"). With Framelock enabled on both sides the call must be
 * encrypted and decode, the service worker must see no request for anything of ours, and its code must run in no
 * worker of ours. The positive controls show that it does reach the page's own scripts and the page's own workers.
 */
import type { Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_SCRIPT_FILE, PAGE_SCRIPT_FILE } from '../../src/shared/built-paths';
import type { HostileSw, SwLog } from '../pages/hostile-sw';
import { startTestServer, type TestServer } from '../server/test-server';
import {
  createFakeMedia,
  type FakeMedia,
  launchExtensionParticipant,
  startCall,
  waitForProtectedCall,
  waitForRemotePattern,
} from './call';
import { chromiumAvailable, type ExtensionBrowser, waitFor } from './harness';

const PASSPHRASE = 'marigold-cascade 4 gently orbits obsidian';

type SwWindow = Window & { __sw: HostileSw };

function swLog(page: Page): Promise<SwLog> {
  return page.evaluate(() => (window as unknown as SwWindow).__sw.read());
}

describe.skipIf(!chromiumAvailable)('a site whose service worker rewrites every script it sees', () => {
  let server: TestServer;
  let media: FakeMedia;
  let alice: ExtensionBrowser;
  let bob: ExtensionBrowser;
  const pages: Page[] = [];

  async function newPage(ext: ExtensionBrowser): Promise<Page> {
    const page = await ext.browser.newPage();
    pages.push(page);
    return page;
  }

  /** Installs the site's service worker in `ext`'s profile (a first visit), so later loads are controlled from the start. */
  async function installServiceWorker(ext: ExtensionBrowser): Promise<void> {
    const page = await ext.browser.newPage();
    try {
      await page.goto(`${server.url}/blank.html?hostile=sw`, { waitUntil: 'load' });
      await page.evaluate(() => (window as unknown as SwWindow).__sw.ready());
    } finally {
      await page.close();
    }
  }

  beforeAll(async () => {
    server = await startTestServer();
    media = await createFakeMedia();
    alice = await launchExtensionParticipant(server.url, PASSPHRASE, media);
    bob = await launchExtensionParticipant(server.url, PASSPHRASE, media);
    await installServiceWorker(alice);
    await installServiceWorker(bob);
  });

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close().catch(() => undefined);
  });

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close()]);
    await server?.close();
    await media?.cleanup();
  });

  it('sees no request for our code, runs in no worker of ours, and the call is encrypted and decodes', async () => {
    const call = await startCall({
      browsers: [await newPage(alice), await newPage(bob)],
      url: server.url,
      query: { hostile: 'sw' },
    });
    for (const received of await waitForProtectedCall([alice, bob], call.room)) {
      expect(received.status).toBe('encrypted');
    }
    await Promise.all(call.pages.map((page) => waitForRemotePattern(page)));

    for (const [i, page] of call.pages.entries()) {
      const who = i === 0 ? 'alice' : 'bob';
      // Positive control: a worker of the page's own gets the service worker's code, which sees its messages.
      await page.evaluate(() => {
        const worker = (window as unknown as SwWindow).__sw.probeWorker();
        setTimeout(() => worker.postMessage({ type: 'probe', nonce: 'control' }), 200);
      });
      await waitFor(
        async () => (await swLog(page)).received.some((r) => r.name === 'page-probe' && r.keys.includes('nonce')),
        { description: `${who}: the service worker's code to see the probe worker's message`, timeoutMs: 10_000 },
      );
      const log = await swLog(page);
      const controlled = await page.evaluate(() => (window as unknown as SwWindow).__sw.controlled);
      expect(controlled, `${who}: the call page was controlled by the site's service worker`).toBe(true);
      // It rewrote the page's own scripts: its code ran in the page.
      expect(
        log.ran.some((r) => r.where === 'window'),
        who,
      ).toBe(true);
      expect(
        log.seen.some((r) => r.url.endsWith('/call.js')),
        who,
      ).toBe(true);
      // Nothing of ours went through it: no extension URL, no Blob URL, and its code ran in no worker but the probe.
      expect(
        log.seen.filter((r) => !r.url.startsWith(server.url)),
        who,
      ).toEqual([]);
      expect(
        log.ran.filter((r) => r.where === 'worker' && r.name !== 'page-probe'),
        who,
      ).toEqual([]);
      expect(
        log.received.filter((r) => r.name !== 'page-probe'),
        who,
      ).toEqual([]);
    }
    await call.hangUp();
  });

  it('nothing of ours is web-accessible: a page can neither load our scripts nor tell that Framelock is installed', async () => {
    const page = await newPage(alice);
    await page.goto(`${server.url}/blank.html`, { waitUntil: 'load' });
    for (const file of [PAGE_SCRIPT_FILE, BRIDGE_SCRIPT_FILE, 'manifest.json']) {
      const url = `chrome-extension://${alice.extensionId}/${file}`;
      const outcome = await page.evaluate(async (href: string) => {
        const viaFetch = await fetch(href).then(
          (r) => `status ${r.status}`,
          () => 'refused',
        );
        const viaScript = await new Promise<string>((resolve) => {
          const script = document.createElement('script');
          script.src = href;
          script.onload = () => resolve('loaded');
          script.onerror = () => resolve('refused');
          document.head.append(script);
        });
        return { viaFetch, viaScript };
      }, url);
      expect(outcome, file).toEqual({ viaFetch: 'refused', viaScript: 'refused' });
    }
  });
});
