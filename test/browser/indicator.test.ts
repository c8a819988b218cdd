/**
 * The in-page indicator in a real call: the lock status and the marker over the video of a participant who is not
 * protected, read from the accessibility tree (the indicator lives in a closed shadow root, which page script cannot
 * reach but the browser's accessibility tree can), its resistance to the site's CSS, its per-site switch, and the
 * screenshot the README shows (docs/screenshots/indicator.png).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../../demo/server';
import {
  callFrame,
  createFakeMedia,
  type FakeMedia,
  launchExtensionParticipant,
  launchPlainChromium,
  type PlainBrowser,
  startCall,
  waitForRemotePattern,
  waitForTransform,
} from './call';
import { chromiumAvailable, type ExtensionBrowser, REPO_ROOT, sleep, waitFor } from './harness';
import { OPTIONS_PAGE, sendFromExtensionPage } from './permissions';

const PASSPHRASE = 'correct horse battery staple';
const SCREENSHOTS = path.join(REPO_ROOT, 'docs/screenshots');

/** The accessible names of the indicator's parts (src/content/messages.en.json). */
const STATUS_PROTECTED = 'Framelock: End-to-end encrypted';
const STATUS_WARNING = 'Framelock: Some media is NOT end-to-end encrypted';
const MARKER_UNENCRYPTED = 'Framelock: NOT encrypted';

/** Whether the page's accessibility tree has a node named `name` (closed shadow roots included). */
async function hasNamed(page: Page, name: string): Promise<boolean> {
  const handle = await page.$(`::-p-aria([name="${name}"])`);
  const found = handle !== null;
  await handle?.dispose();
  return found;
}

async function waitForNamed(page: Page, name: string, present = true): Promise<void> {
  await waitFor(async () => (await hasNamed(page, name)) === present, {
    description: `${present ? '' : 'no '}"${name}" in the page`,
    timeoutMs: 15_000,
  });
}

describe.skipIf(!chromiumAvailable)('the in-page indicator (headless Chromium, built extension)', () => {
  let server: DemoServer;
  let media: FakeMedia;
  let alice: ExtensionBrowser;
  let bob: ExtensionBrowser;
  let dave: PlainBrowser;

  beforeAll(async () => {
    server = await startDemoServer();
    media = await createFakeMedia();
    alice = await launchExtensionParticipant(server.url, PASSPHRASE, media);
    bob = await launchExtensionParticipant(server.url, PASSPHRASE, media);
    dave = await launchPlainChromium({ media });
  });

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close(), dave?.close()]);
    await server?.close();
    await media?.cleanup();
  });

  it('says the call is end-to-end encrypted, whatever the site’s CSS, and puts no marker on protected tiles', async () => {
    const call = await startCall({
      browsers: [await alice.browser.newPage(), await bob.browser.newPage()],
      url: server.url,
    });
    await waitForRemotePattern(call.pages[0]);
    const page = call.pages[0];
    await waitForNamed(page, STATUS_PROTECTED);
    expect(await hasNamed(page, MARKER_UNENCRYPTED)).toBe(false);
    // On screen, in the bottom-right corner of the viewport.
    const status = await page.$(`::-p-aria([name="${STATUS_PROTECTED}"])`);
    const box = await status?.boundingBox();
    await status?.dispose();
    const viewport = page.viewport() ?? { width: 800, height: 600 };
    expect(box).toBeTruthy();
    expect(box!.x).toBeGreaterThan(viewport.width / 2);
    expect(box!.x + box!.width).toBeLessThanOrEqual(viewport.width);
    expect(box!.y + box!.height).toBeLessThanOrEqual(viewport.height);
    expect(box!.y).toBeGreaterThan(viewport.height / 2);
    // A site stylesheet that hides and restyles every element it names leaves the indicator as it was.
    await callFrame(page).addStyleTag({
      // (Not `html`: a site that hides its whole document hides everything in it, ours included.)
      content:
        'body *, div, [role], framelock-indicator { display: none !important; font-size: 40px !important; ' +
        'color: red !important; position: static !important }',
    });
    await sleep(1_500);
    expect(await hasNamed(page, STATUS_PROTECTED)).toBe(true);
    // Nothing of it takes room in the page: the host element has no size.
    const host = await page.evaluate(() => {
      const element = document.querySelector('framelock-indicator');
      const box = element?.getBoundingClientRect();
      return { present: element !== null, width: box?.width, height: box?.height, shadow: element?.shadowRoot ?? null };
    });
    expect(host).toEqual({ present: true, width: 0, height: 0, shadow: null }); // closed: no shadowRoot for the page
    await call.hangUp();
    await Promise.all(call.pages.map((p) => p.close()));
  });

  it('marks the tile of a participant without Framelock, and the screenshot shows it', async () => {
    const call = await startCall({
      browsers: [await alice.browser.newPage(), await dave.browser.newPage()],
      url: server.url,
    });
    const page = call.pages[0];
    await waitForRemotePattern(page); // Dave's plaintext is shown (not strict), flagged
    await waitForTransform(alice, call.room, 'unencrypted video from dave', (s) => s.status === 'unencrypted');
    await waitForNamed(page, STATUS_WARNING);
    await waitForNamed(page, MARKER_UNENCRYPTED);
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.setViewport({ width: 960, height: 600 });
    await sleep(500); // the marker follows the video's new position
    await page.screenshot({ path: path.join(SCREENSHOTS, 'indicator.png') });
    await call.hangUp();
    await Promise.all(call.pages.map((p) => p.close()));
  });

  it('is not drawn on a site whose indicator is switched off', async () => {
    const options = await alice.openExtensionPage(OPTIONS_PAGE);
    const origin = new URL(server.url).origin;
    expect(await sendFromExtensionPage(options, { type: 'sites/settings', origin, indicator: false })).toEqual({
      ok: true,
    });
    await options.close();
    const call = await startCall({
      browsers: [await alice.browser.newPage(), await dave.browser.newPage()],
      url: server.url,
    });
    const page = call.pages[0];
    await waitForTransform(alice, call.room, 'unencrypted video from dave', (s) => s.status === 'unencrypted');
    await sleep(1_500);
    expect(await hasNamed(page, STATUS_WARNING)).toBe(false);
    expect(await hasNamed(page, MARKER_UNENCRYPTED)).toBe(false);
    expect(await page.evaluate(() => document.querySelector('framelock-indicator'))).toBeNull();
    await call.hangUp();
  });
});
