/**
 * A call inside a cross-origin iframe runs in another origin, with its own enablement. When that origin is not
 * enabled, Framelock cannot protect it: the user must be told which origin to enable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TabStatus } from '../../src/shared/messages';
import { startTestServer, type TestServer } from '../server/test-server';
import { createFakeMedia, type FakeMedia, launchExtensionParticipant } from './call';
import { chromiumAvailable, type ExtensionBrowser, waitFor } from './harness';

describe.skipIf(!chromiumAvailable)('cross-origin call frames (headless Chromium, built extension)', () => {
  let server: TestServer;
  let media: FakeMedia;
  let alice: ExtensionBrowser;

  beforeAll(async () => {
    server = await startTestServer();
    media = await createFakeMedia();
    alice = await launchExtensionParticipant(server.url, 'correct horse battery staple', media);
  });

  afterAll(async () => {
    await alice?.close();
    await server?.close();
    await media?.cleanup();
  });

  it('names the origin of a camera-enabled iframe that is not enabled, and ignores other frames', async () => {
    const page = await alice.browser.newPage();
    await page.goto(`${server.url}/?room=frames-${Date.now()}&name=alice`);
    // Same server, another origin: localhost is not 127.0.0.1.
    const other = server.url.replace('127.0.0.1', 'localhost');
    await page.evaluate((src: string) => {
      const decorative = document.createElement('iframe');
      decorative.src = `${src}/blank.html?decorative`;
      document.body.append(decorative); // no camera or microphone: cannot hold a call
      const call = document.createElement('iframe');
      call.allow = 'camera; microphone';
      call.src = `${src}/blank.html?call`;
      document.body.append(call);
    }, other);
    const status = await waitFor(
      async () => {
        const all = (await alice.serviceWorker.evaluate(() => chrome.storage.session.get(null))) as Record<
          string,
          TabStatus
        >;
        return Object.values(all).find((s) => s.unprotectedFrames?.length);
      },
      { description: 'the tab status to name the unprotected frame', timeoutMs: 10_000 },
    );
    expect(status.unprotectedFrames).toEqual([new URL(other).origin]);
    expect(status.problems).toContain('cross_origin_frame');
    const badge = await alice.serviceWorker.evaluate(
      (tabId: number) => chrome.action.getBadgeText({ tabId }),
      status.tabId,
    );
    expect(badge).toBe('!');
    await page.close();
  });
});
