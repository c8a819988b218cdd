/**
 * A site with its own end-to-end encryption: Janus's unmodified e2etest.html, an echo test whose page encrypts its
 * media itself (Insertable Streams: `createEncodedStreams()` on every sender and receiver, a key the user types).
 *
 * What Framelock does there (docs/compatibility.md, "Sites that process media themselves"): it keeps its own transform
 * on every sender and receiver and the site's own processing does not run, and it tells the user so. It never stands
 * aside: a site that could switch Framelock off by setting a transform of its own would be a site that could send
 * its users' media in clear. The checks:
 * - control without Framelock: the site's own encryption works (the echoed picture shows after the site's decrypt);
 * - with Framelock: the call still works (the echoed picture shows, decrypted by Framelock as our own media echoed
 *   back, so what the server got and returned was Framelock's ciphertext), nothing fails, and the popup's notice says
 *   the site's own processing does not run.
 */
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFakeMedia,
  type FakeMedia,
  framelockTransforms,
  launchExtensionParticipant,
  launchPlainChromium,
  type PlainBrowser,
  tabStatus,
  waitForRemotePattern,
} from './call';
import { chromiumAvailable, type ExtensionBrowser, isCI, waitFor } from './harness';
import { type Janus, janusAvailable, startJanus } from './janus';

const PASSPHRASE = 'correct horse battery staple';
const SITE_KEY = 'mysecret';
const ECHO = '#videoright video';

if (isCI && (!chromiumAvailable || !janusAvailable)) {
  throw new Error('CI must run the site-E2EE tests: Chromium or Janus is missing');
}

/** Opens e2etest.html, starts it, types the site's own key into its prompt and waits for the echoed video. */
async function startEchoWithSiteKey(janus: Janus, page: Page, tag: string): Promise<void> {
  // (`room` is not the e2etest's: it only tags the tab, so the tab status can be found by URL.)
  await page.goto(janus.demoUrl('e2etest.html', { room: tag }), { waitUntil: 'load' });
  await page.locator('#start').click();
  await page.locator('.bootbox-input').fill(SITE_KEY);
  await page.locator('.bootbox-accept').click();
  await page.waitForSelector(ECHO, { timeout: 20_000 });
}

/** Whether the page set up its own Insertable Streams (the site's encryption), from janus.js's own state. */
function siteUsesEncodedStreams(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const w = window as unknown as { echotest?: { webrtcStuff?: { insertableStreams?: boolean; pc?: unknown } } };
    return w.echotest?.webrtcStuff?.insertableStreams === true;
  });
}

describe.skipIf(!chromiumAvailable || !janusAvailable)('a site with its own E2EE (Janus e2etest, unmodified)', () => {
  let janus: Janus;
  let media: FakeMedia;
  let framelock: ExtensionBrowser;
  let plain: PlainBrowser;

  beforeAll(async () => {
    janus = await startJanus();
    media = await createFakeMedia();
    framelock = await launchExtensionParticipant(new URL(janus.demosUrl).origin, PASSPHRASE, media);
    plain = await launchPlainChromium({ media });
  });

  afterAll(async () => {
    await Promise.all([framelock?.close(), plain?.close()]);
    await janus?.stop();
    await media?.cleanup();
  });

  it('control, without Framelock: the site’s own encryption runs, and its echo decodes to the pattern', async () => {
    const page = await plain.browser.newPage();
    await startEchoWithSiteKey(janus, page, 'site-e2ee-plain');
    expect(await siteUsesEncodedStreams(page)).toBe(true);
    await waitForRemotePattern(page, 20_000, { selector: ECHO });
    await page.close();
  });

  it('with Framelock: Framelock’s encryption stays, the call works, and the popup says the site’s own does not run', async () => {
    const page = await framelock.browser.newPage();
    await startEchoWithSiteKey(janus, page, 'site-e2ee-framelock');
    expect(await siteUsesEncodedStreams(page)).toBe(true);
    await waitForRemotePattern(page, 20_000, { selector: ECHO });
    // Every receiver decrypts Framelock frames (our own, echoed back): what the server got and returned was ours.
    const received = await waitFor(
      async () => {
        const list = (await framelockTransforms(framelock, 'site-e2ee-framelock')).filter(
          (s) => s.side === 'receive' && s.echoed > 0,
        );
        return list.length >= 2 ? list : undefined;
      },
      { description: 'echoed audio and video receivers', timeoutMs: 15_000 },
    );
    for (const s of received) {
      expect(s.status, `${s.kind}`).toBe('encrypted');
      expect(s.undecryptable).toBe(0);
      expect(s.unencrypted).toBe(0);
      expect(s.protected).toBeGreaterThan(0);
    }
    const sent = (await framelockTransforms(framelock, 'site-e2ee-framelock')).filter((s) => s.side === 'send');
    expect(sent.map((s) => s.kind).sort()).toEqual(['audio', 'video']);
    for (const s of sent) expect(s.protected).toBeGreaterThan(0);
    // The user is told: the site's own processing (here, its own encryption) does not run.
    const problems = await waitFor(
      async () => {
        const list = (await tabStatus(framelock, 'site-e2ee-framelock'))?.problems ?? [];
        return list.includes('site_processing_bypassed') ? list : undefined;
      },
      { description: 'the site_processing_bypassed notice', timeoutMs: 10_000 },
    );
    expect(problems).toContain('site_processing_bypassed');
    await page.close();
  });
});
