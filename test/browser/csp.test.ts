/**
 * A site whose Content-Security-Policy blocks Framelock's worker (a Blob URL worker: DESIGN.md §2, residual risks).
 * The test server sends a CSP header with `?csp=<preset>` (test/server/csp-presets.ts). The user must be told plainly,
 * in Framelock's own UI, that calls on the site are not end-to-end encrypted (toolbar badge "!", the options page,
 * the tab's status), and media must fail closed: a peer without the key never sees or hears the camera in clear.
 */
import type { HTTPResponse, Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROBLEM_TEXT } from '../../src/options/problems';
import type { SiteProblem, TabStatus } from '../../src/shared/messages';
import type { HostileApi } from '../pages/hostile/api';
import { CSP_PRESETS } from '../server/csp-presets';
import { startTestServer, type TestServer } from '../server/test-server';
import {
  callStats,
  createFakeMedia,
  type DemoStats,
  expectNoRemotePattern,
  type FakeMedia,
  launchExtensionParticipant,
  launchPlainChromium,
  type PlainBrowser,
  startCall,
  waitForDemoState,
  waitForTransform,
} from './call';
import { chromiumAvailable, type ExtensionBrowser, waitFor } from './harness';
import { OPTIONS_PAGE } from './permissions';

const PASSPHRASE = 'correct horse battery staple';
/** How long a peer without the key is watched: several keyframe intervals. */
const NEGATIVE_WATCH_MS = 6_000;

interface TabView {
  tabId: number;
  badge: string;
  title: string;
  status: TabStatus | undefined;
}

/** The toolbar badge, its title and the stored status of the tab that runs `room`, read in the service worker. */
async function tabView(ext: ExtensionBrowser, room: string): Promise<TabView> {
  return ext.serviceWorker.evaluate(async (roomId: string) => {
    const tabs = await chrome.tabs.query({});
    const tab = tabs.find((t) => t.url?.includes(`room=${roomId}`));
    if (tab?.id === undefined) throw new Error(`no tab for room ${roomId}`);
    const key = `tab:${tab.id}`;
    return {
      tabId: tab.id,
      badge: await chrome.action.getBadgeText({ tabId: tab.id }),
      title: await chrome.action.getTitle({ tabId: tab.id }),
      status: (await chrome.storage.session.get(key))[key] as TabStatus | undefined,
    };
  }, room);
}

/** Waits until the tab of `room` has recorded `problem`, and returns what the extension shows for it. */
async function waitForProblem(ext: ExtensionBrowser, room: string, problem: SiteProblem): Promise<TabView> {
  return waitFor(
    async () => {
      const view = await tabView(ext, room);
      return view.status?.problems.includes(problem) && view.badge !== '' ? view : false;
    },
    { description: `the tab of room ${room} to record ${problem}`, timeoutMs: 15_000 },
  );
}

/** The problems the options page lists for `origin` (its row's `.problem` items), or undefined if it is not listed. */
async function optionsProblems(ext: ExtensionBrowser, origin: string): Promise<string[] | undefined> {
  const page = await ext.openExtensionPage(OPTIONS_PAGE);
  try {
    await page.waitForSelector('.site-origin');
    return await page.$$eval(
      '.site',
      (rows, wanted) => {
        const row = rows.find((r) => r.querySelector('.site-origin')?.textContent === wanted);
        return row ? [...row.querySelectorAll('.problem')].map((p) => p.textContent ?? '') : undefined;
      },
      origin,
    );
  } finally {
    await page.close();
  }
}

function room(): string {
  return `csp-${Math.random().toString(36).slice(2, 10)}`;
}

function sum(stats: DemoStats, kind: 'audio' | 'video', key: 'framesDecoded' | 'totalAudioEnergy'): number {
  return stats.inbound.filter((s) => s.kind === kind).reduce((total, s) => total + s[key], 0);
}

function sent(stats: DemoStats, kind: 'audio' | 'video'): number {
  return stats.outbound.filter((s) => s.kind === kind).reduce((total, s) => total + s.packetsSent, 0);
}

describe.skipIf(!chromiumAvailable)('a site whose CSP blocks the worker (headless Chromium, built extension)', () => {
  let server: TestServer;
  let media: FakeMedia;
  let alice: ExtensionBrowser;
  let dave: PlainBrowser;
  const pages: Page[] = [];

  async function newPage(browser: { newPage(): Promise<Page> }): Promise<Page> {
    const page = await browser.newPage();
    pages.push(page);
    return page;
  }

  /** Opens the demo page as alice in `roomId` with `query`, and checks that the server sent the preset's policy. */
  async function openAlice(roomId: string, query: Record<string, string>): Promise<Page> {
    const page = await newPage(alice.browser);
    const url = new URL('/', server.url);
    for (const [key, value] of Object.entries({ room: roomId, name: 'alice', ...query })) {
      url.searchParams.set(key, value);
    }
    const response = (await page.goto(url.href, { waitUntil: 'load' })) as HTTPResponse;
    expect(response.headers()['content-security-policy']).toBe(CSP_PRESETS[query.csp ?? '']);
    return page;
  }

  beforeAll(async () => {
    server = await startTestServer();
    media = await createFakeMedia();
    alice = await launchExtensionParticipant(server.url, PASSPHRASE, media);
    dave = await launchPlainChromium({ media });
  });

  afterEach(async () => {
    // Each test's pages go: open calls and cameras would slow the next one down on 2 cores.
    for (const page of pages.splice(0)) await page.close().catch(() => undefined);
  });

  afterAll(async () => {
    await Promise.all([alice?.close(), dave?.close()]);
    await server?.close();
    await media?.cleanup();
  });

  it('no blob: workers at all: the page reports it, and the badge, the tab status and the options page say so', async () => {
    expect(await optionsProblems(alice, server.url)).toEqual([]);
    const roomId = room();
    await openAlice(roomId, { csp: 'no-blob-worker' });
    const view = await waitForProblem(alice, roomId, 'worker_blocked');
    expect(view.badge).toBe('!');
    expect(view.title).toMatch(/NOT end-to-end encrypted/);
    expect(view.status?.problems).toEqual(['worker_blocked']);
    expect(view.status?.origin).toBe(server.url);
    // The site itself remembers it: the options page tells the user in plain words.
    await waitFor(async () => (await optionsProblems(alice, server.url))?.includes(PROBLEM_TEXT.worker_blocked), {
      description: 'the options page to list the worker_blocked problem',
    });
    expect(await optionsProblems(alice, server.url)).toEqual([PROBLEM_TEXT.worker_blocked]);
  });

  it('a policy that restricts only worker-src: reported the same way', async () => {
    const roomId = room();
    await openAlice(roomId, { csp: 'worker-self' });
    const view = await waitForProblem(alice, roomId, 'worker_blocked');
    expect(view.badge).toBe('!');
    expect(view.status?.problems).toEqual(['worker_blocked']);
  });

  it('media fails closed: a peer without Framelock never sees or hears alice, whose connection sends no media', async () => {
    const call = await startCall({
      browsers: [await newPage(alice.browser), await newPage(dave.browser)],
      url: server.url,
      room: room(),
      query: { csp: 'no-blob-worker' },
    });
    // The connection itself comes up (Chromium reports a CSP-blocked worker asynchronously, after the page script
    // has attached its transforms): it carries nothing, since those transforms have no worker.
    await waitForDemoState(call.pages[0], ['connected'], 5_000);
    expect((await waitForProblem(alice, call.room, 'worker_blocked')).badge).toBe('!');
    await expectNoRemotePattern(call.pages[1], NEGATIVE_WATCH_MS);
    const daveStats = await callStats(call.pages[1]);
    const aliceStats = await callStats(call.pages[0]);
    const measured = JSON.stringify({ dave: daveStats, alice: aliceStats });
    expect(sum(daveStats, 'video', 'framesDecoded'), measured).toBe(0);
    expect(sum(daveStats, 'audio', 'totalAudioEnergy'), measured).toBe(0);
    expect(sent(aliceStats, 'video'), measured).toBe(0);
    expect(sent(aliceStats, 'audio'), measured).toBe(0);
    await call.hangUp();
  });

  it('a hostile page can neither silence the report nor take over the hand-off the blocked worker left open', async () => {
    // hostile-quiet.ts stops every `framelock:problem` event that reaches it. Chromium reports the blocked worker
    // asynchronously, before or after that script runs (it is fetched first); either way the report gets through.
    // (hostile.test.ts silences a report that comes surely after it.)
    const quietRoom = room();
    await openAlice(quietRoom, { csp: 'no-blob-worker', hostile: 'quiet' });
    expect((await waitForProblem(alice, quietRoom, 'worker_blocked')).badge).toBe('!');

    // hostile.js (test/pages/hostile/forge.ts) forges the page script's part of the hand-off: the bridge gives it no
    // nonce and no answer.
    const forgeRoom = room();
    const hostile = await openAlice(forgeRoom, { csp: 'no-blob-worker', hostile: '1' });
    await waitForProblem(alice, forgeRoom, 'worker_blocked');
    const forged = await hostile.evaluate(() =>
      (window as unknown as { __hostile: HostileApi }).__hostile.forge(3_000),
    );
    expect(forged).toMatchObject({ nonces: [], helloEvents: 0, portMessages: [] });
    const alarms = await hostile.evaluate(() => (window as unknown as { __hostile: HostileApi }).__hostile.alarms);
    expect(alarms).toEqual([]);
  });

  it('blob: workers allowed but scripts only from the site: the worker still loads, and calls are encrypted', async () => {
    const call = await startCall({
      browsers: [await newPage(alice.browser), await newPage(dave.browser)],
      url: server.url,
      room: room(),
      query: { csp: 'blob-worker-script-self' },
    });
    for (const kind of ['video', 'audio'] as const) {
      await waitForTransform(
        alice,
        call.room,
        `${kind} encrypted`,
        (s) => s.side === 'send' && s.kind === kind && s.protected > 10,
      );
    }
    await expectNoRemotePattern(call.pages[1], NEGATIVE_WATCH_MS);
    expect((await tabView(alice, call.room)).status?.problems).toEqual([]);
    await call.hangUp();
  });
});
