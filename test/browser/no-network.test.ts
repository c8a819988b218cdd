/**
 * "It sends nothing to anyone but the call itself" (store/messages.en.json, `store_description`): the network during
 * a real encrypted call, watched through the Chrome DevTools Protocol in every target (./network-watch).
 *
 * 1. A control call between two Chromium profiles without Framelock, through the demo site: what its pages request,
 *    and where its WebRTC traffic goes (the ICE candidates of `getStats()`).
 * 2. The same call with Framelock in both profiles, enabled through the watched options page, with the popup opened
 *    (watched) during the call. The extension's service worker and pages must request nothing but the extension's
 *    own files (`chrome-extension://<id>/`, `data:`, `blob:`); the call pages (and their workers, Framelock's
 *    transform worker among them) must request the same set of URLs as in the control, Framelock's own files
 *    aside; and the call's remote candidates must each be the peer's own, at addresses the control used too.
 * 3. Negative controls, in the same browsers and with the same watcher: the service worker fetches a port this test
 *    listens on, and the call page sends a beacon, opens a WebSocket and starts a worker whose first statement
 *    fetches there; each is reported (and the helpers that judge the records name it).
 *
 * What a blocked request looks like: the extension's CSP (`connect-src 'none'`, manifest.json) refuses the service
 * worker's fetch before it leaves (the port is never reached, the promise rejects with "Failed to fetch"). CDP's
 * Network domain then reports nothing at all (no `requestWillBeSent`, no `loadingFailed`: Chromium 156); the Audits
 * domain reports a ContentSecurityPolicyIssue naming the `blockedURL` (and Log a `security` entry). The watcher
 * records that as a request with `blockedReason: 'csp'`: an attempt counts.
 *
 * Not covered: the service worker's first start at browser launch (before anyone can attach; it runs under watch
 * from before the site is enabled to the end, and must not restart), requests the browser makes for no page or
 * worker, and the side panel (not opened here).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CDPSession, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../../demo/server';
import {
  type Call,
  callArgs,
  callFrame,
  createFakeMedia,
  type DemoWindow,
  type FakeMedia,
  launchPlainChromium,
  type PlainBrowser,
  startCall,
  waitForProtectedCall,
  waitForRemotePattern,
} from './call';
import { chromiumAvailable, type ExtensionBrowser, sleep, waitFor } from './harness';
import { describeRecords, NetworkWatch, outsideExtension, siteRequests } from './network-watch';
import { enableSiteThroughOptions, launchWithSiteGranted, OPTIONS_PAGE } from './permissions';

const PASSPHRASE = 'correct horse battery staple';
const POPUP_PAGE = 'src/popup/index.html';
/** After hanging up, how long late requests (a last POST, an EventSource retry) get to show. */
const SETTLE_MS = 1_000;

/** An ICE candidate as `getStats()` reports it. */
interface Candidate {
  address: string;
  port: number;
  protocol: string;
  candidateType: string;
}

/** The ICE candidates of the call in `page`: its own, the peer's, and the remote one of the selected pair. */
interface IceRoute {
  local: Candidate[];
  remote: Candidate[];
  selectedRemote: Candidate | null;
}

function iceRoute(page: Page): Promise<IceRoute> {
  return callFrame(page).evaluate(async () => {
    const pc = (window as DemoWindow).demo?.pc;
    if (!pc) throw new Error('no window.demo.pc');
    const stats = [...(await pc.getStats()).values()] as Record<string, unknown>[];
    const candidate = (s: Record<string, unknown>) => ({
      address: String(s.address ?? ''),
      port: Number(s.port),
      protocol: String(s.protocol),
      candidateType: String(s.candidateType),
    });
    const byId = new Map(stats.map((s) => [s.id, s]));
    const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId !== undefined);
    const pair = byId.get(transport?.selectedCandidatePairId);
    const remote = byId.get(pair?.remoteCandidateId);
    return {
      local: stats.filter((s) => s.type === 'local-candidate').map(candidate),
      remote: stats.filter((s) => s.type === 'remote-candidate').map(candidate),
      selectedRemote: remote === undefined ? null : candidate(remote),
    };
  });
}

/**
 * Where a candidate is, without its port (which each run picks anew) or type: a candidate that a connectivity check
 * reaches before its signalling is `prflx` at first, so the type depends on timing, not on where traffic goes.
 */
function candidateAddress(c: Candidate): string {
  return `${c.protocol} ${c.address}`;
}

/** Where each page's call goes (its remote candidates, the selected one) that is not a candidate of the other page. */
function strayCandidates(routes: readonly IceRoute[]): string[] {
  const stray: string[] = [];
  routes.forEach((route, i) => {
    const peer = routes[1 - i];
    const own = new Set(peer?.local.map((c) => `${c.protocol} ${c.address}:${c.port}`));
    for (const c of [...route.remote, ...(route.selectedRemote === null ? [] : [route.selectedRemote])]) {
      if (!own.has(`${c.protocol} ${c.address}:${c.port}`)) stray.push(`page ${i}: ${JSON.stringify(c)}`);
    }
    if (route.selectedRemote === null) stray.push(`page ${i}: no selected candidate pair`);
  });
  return stray;
}

/** Waits until both pages have gathered all their candidates (they trickle), and reads where the call goes. */
async function settledRoutes(pages: readonly Page[]): Promise<IceRoute[]> {
  for (const page of pages) {
    await waitFor(
      () => callFrame(page).evaluate(() => (window as DemoWindow).demo?.pc?.iceGatheringState === 'complete'),
      {
        description: `${page.url()}: ICE gathering to complete`,
      },
    );
  }
  await sleep(500); // the last trickled candidates reach the peer through the signalling server
  return Promise.all(pages.map(iceRoute));
}

/** The call's URLs with its random room id replaced, so two calls compare. */
function roomless(room: string): (url: string) => string {
  return (url) => url.split(encodeURIComponent(room)).join('<room>');
}

/** The script URLs of the page's dedicated workers named `framelock` (Framelock's transform worker). */
async function framelockWorkers(page: Page): Promise<string[]> {
  const cdp = await page.createCDPSession();
  try {
    const { targetInfos } = await cdp.send('Target.getTargets');
    return targetInfos.filter((t) => t.type === 'worker' && t.title === 'framelock').map((t) => t.url);
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

/** A loopback HTTP server that only counts what reaches it (requests and WebSocket upgrades). */
interface Canary {
  url: string;
  hits: string[];
  close(): Promise<void>;
}

async function startCanary(): Promise<Canary> {
  const hits: string[] = [];
  const server: Server = createServer((request, response) => {
    hits.push(`${request.method} ${request.url}`);
    response.writeHead(204, { 'Access-Control-Allow-Origin': '*' }).end();
  });
  server.on('upgrade', (request, socket) => {
    hits.push(`upgrade ${request.url}`);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(!chromiumAvailable)('nothing leaves but the call (CDP on every target, built extension)', () => {
  let server: DemoServer;
  let media: FakeMedia;
  let canary: Canary;
  const participants: ExtensionBrowser[] = [];
  const watches: NetworkWatch[] = [];
  const serviceWorkers: CDPSession[] = [];
  let call: Call | undefined;
  /** What the call pages requested without Framelock. */
  let controlRequests = new Set<string>();

  beforeAll(async () => {
    [server, media, canary] = await Promise.all([startDemoServer(), createFakeMedia(), startCanary()]);
  });

  afterAll(async () => {
    await Promise.all(watches.map((watch) => watch.stop()));
    await Promise.all(participants.map((ext) => ext.close()));
    await server?.close();
    await canary?.close();
    await media?.cleanup();
  });

  it('a call with Framelock requests nothing but its own files, and the call pages what they request without it', async () => {
    // 1. The control: the same call between two profiles without the extension.
    const plain: PlainBrowser[] = await Promise.all([launchPlainChromium({ media }), launchPlainChromium({ media })]);
    let controlRoutes: IceRoute[];
    try {
      const controlWatch = new NetworkWatch();
      const pages = await Promise.all(
        plain.map(async ({ browser }) => {
          const page = await browser.newPage();
          await controlWatch.watchPage(page, 'site page');
          return page;
        }),
      );
      const plainCall = await startCall({ browsers: [pages[0] as Page, pages[1] as Page], url: server.url });
      await Promise.all(plainCall.pages.map((p) => waitForRemotePattern(p)));
      controlRoutes = await settledRoutes(plainCall.pages);
      await plainCall.hangUp();
      await sleep(SETTLE_MS);
      controlRequests = siteRequests(controlWatch.records, 'no-extension', roomless(plainCall.room));
      expect(strayCandidates(controlRoutes)).toEqual([]);
      // The watcher saw the site's own traffic: its script, its signalling stream and posts (so an empty watch cannot
      // pass for an equal one).
      expect([...controlRequests]).toEqual(
        expect.arrayContaining([
          `GET ${server.url}/call.js`,
          `GET ${server.url}/signal/<room>/alice`,
          `POST ${server.url}/signal/<room>/bob`,
        ]),
      );
    } finally {
      await Promise.all(plain.map((p) => p.close()));
    }

    // 2. Two profiles with Framelock, watched from before they enable the site (the options page) to after hang-up.
    participants.push(
      ...(await Promise.all([0, 1].map(() => launchWithSiteGranted([server.url], { args: callArgs(media) })))),
    );
    const watched = await Promise.all(
      participants.map(async (ext) => {
        const watch = new NetworkWatch();
        const serviceWorker = await watch.watchServiceWorker(ext.browser, ext.extensionId);
        const options = await ext.browser.newPage();
        await watch.watchPage(options, 'extension page');
        await options.goto(ext.extensionUrl(OPTIONS_PAGE), { waitUntil: 'load' });
        await enableSiteThroughOptions(ext, server.url, PASSPHRASE, { page: options });
        await options.close();
        return { watch, serviceWorker };
      }),
    );
    // In the participants' order (Promise.all keeps it).
    for (const { watch, serviceWorker } of watched) {
      watches.push(watch);
      serviceWorkers.push(serviceWorker);
    }
    const [alice, bob] = participants as [ExtensionBrowser, ExtensionBrowser];
    const [aliceWatch, bobWatch] = watches as [NetworkWatch, NetworkWatch];
    const callPages: [Page, Page] = [await alice.browser.newPage(), await bob.browser.newPage()];
    await aliceWatch.watchPage(callPages[0], 'site page');
    await bobWatch.watchPage(callPages[1], 'site page');
    call = await startCall({ browsers: callPages, url: server.url });
    await Promise.all(call.pages.map((p) => waitForRemotePattern(p)));
    await waitForProtectedCall(participants, call.room);

    // The popup, about the call's tab, while the call is encrypted.
    const tabId = await waitFor(
      () =>
        alice.serviceWorker.evaluate(
          async (room: string) => (await chrome.tabs.query({})).find((t) => t.url?.includes(room))?.id ?? null,
          call?.room ?? '',
        ),
      { description: "the call's tab" },
    );
    const popup = await alice.browser.newPage();
    await aliceWatch.watchPage(popup, 'extension page');
    await popup.goto(alice.extensionUrl(`${POPUP_PAGE}?tabId=${tabId}`), { waitUntil: 'load' });
    await popup.waitForSelector('.summary[data-summary="protected"]', { timeout: 20_000 });

    const routes = await settledRoutes(call.pages);
    const workers = await Promise.all(call.pages.map(framelockWorkers));
    await call.hangUp();
    await sleep(SETTLE_MS);
    const records = watches.flatMap((watch) => watch.records);

    // The extension's own contexts: nothing but its own files.
    expect(outsideExtension(records, alice.extensionId), describeRecords(records)).toEqual([]);
    // They ran under watch from end to end: the service worker never restarted (unwatched for a moment), every
    // transform worker was watched, and the extension pages were (their documents and scripts are recorded).
    for (const [i, ext] of participants.entries()) {
      expect(watches[i]?.serviceWorkerRestarted(ext.browser), 'the service worker restarted').toBe(false);
      expect(workers[i]?.length, 'one Framelock transform worker per call page').toBe(1);
      expect(watches[i]?.workers).toEqual(expect.arrayContaining(workers[i] ?? []));
    }
    // The transform worker requests nothing at all, not even the extension's files (its code comes inside the page
    // script: docs/threat-model.md).
    const fromTransformWorkers = records.filter((r) => workers.flat().includes(r.source));
    expect(fromTransformWorkers, describeRecords(fromTransformWorkers)).toEqual([]);
    const extensionPages = records.filter((r) => r.context === 'extension page' && r.type === 'Document');
    expect(extensionPages.map((r) => new URL(r.url).pathname).sort()).toEqual(
      [`/${OPTIONS_PAGE}`, `/${OPTIONS_PAGE}`, `/${POPUP_PAGE}`].sort(),
    );

    // The call pages: the same requests as without Framelock (whose own files come from the extension package).
    expect(siteRequests(records, alice.extensionId, roomless(call.room))).toEqual(controlRequests);
    // WebRTC: only to the peer's own candidates, at addresses the call without Framelock used too.
    expect(strayCandidates(routes)).toEqual([]);
    const controlAddresses = new Set(controlRoutes.flatMap((route) => route.remote.map(candidateAddress)));
    const addresses = routes.flatMap((route) => route.remote.map(candidateAddress));
    expect(addresses.length).toBeGreaterThan(0);
    expect(
      addresses.filter((address) => !controlAddresses.has(address)),
      `remote candidates with Framelock ${JSON.stringify(routes)}, without ${JSON.stringify(controlRoutes)}`,
    ).toEqual([]);
    expect(canary.hits).toEqual([]);
  });

  it('negative controls: a request of the service worker, a beacon, a WebSocket and a new worker are each caught', async () => {
    const [alice] = participants;
    const [aliceWatch] = watches;
    const [aliceServiceWorker] = serviceWorkers;
    if (call === undefined || alice === undefined || aliceWatch === undefined || aliceServiceWorker === undefined) {
      throw new Error('the call of the first test did not run');
    }

    // The service worker fetches the canary. The extension's CSP (connect-src 'none') refuses it before it leaves.
    // CDP's Network domain reports nothing of it (no requestWillBeSent, no loadingFailed: Chromium 156); the Audits
    // domain reports a ContentSecurityPolicyIssue with its blockedURL, which the watcher records as a request with
    // blockedReason 'csp'.
    const target = `${canary.url}/from-the-service-worker`;
    const { result } = await aliceServiceWorker.send('Runtime.evaluate', {
      expression: `fetch(${JSON.stringify(target)}).then((r) => 'answered ' + r.status, (e) => 'refused: ' + e)`,
      awaitPromise: true,
      returnByValue: true,
    });
    expect(result.value).toBe('refused: TypeError: Failed to fetch');
    const caught = await waitFor(
      () => outsideExtension(aliceWatch.records, alice.extensionId).find((r) => r.url === target),
      { description: "the watcher to report the service worker's fetch" },
    );
    expect(caught).toEqual({
      context: 'service worker',
      source: expect.stringMatching(/^chrome-extension:\/\/[a-p]{32}\//),
      kind: 'request',
      url: target,
      failure: { errorText: "refused by the CSP's connect-src", blockedReason: 'csp' },
    });
    expect(canary.hits, 'the blocked fetch never reached the port').toEqual([]);
    expect(outsideExtension(aliceWatch.records, alice.extensionId)).toEqual([caught]);

    // The call page (no CSP of its own) sends a beacon, opens a WebSocket, and starts a worker whose first statement
    // is a fetch: each shows as a request the call without Framelock never made.
    await callFrame(call.pages[0]).evaluate((base: string) => {
      navigator.sendBeacon(`${base}/beacon`, 'x');
      new WebSocket(`${base.replace(/^http/, 'ws')}/socket`);
      const code = `fetch(${JSON.stringify(`${base}/worker-start`)});`;
      new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
    }, canary.url);
    const expected = [
      `POST ${canary.url}/beacon`,
      `websocket ws${canary.url.slice(4)}/socket`,
      `GET ${canary.url}/worker-start`,
    ];
    const added = await waitFor(
      () => {
        const now = siteRequests(aliceWatch.records, alice.extensionId, roomless(call?.room ?? ''));
        const extra = [...now].filter((request) => !controlRequests.has(request));
        return extra.length >= expected.length && extra;
      },
      { description: 'the watcher to report the beacon, the WebSocket and the worker’s fetch' },
    );
    expect(added.sort()).toEqual(expected.sort());
    const ping = aliceWatch.records.find((r) => r.url === `${canary.url}/beacon`);
    expect(ping?.type).toBe('Ping');
    // The worker's very first statement was seen, from the worker's own session: watched from its start.
    const fromWorker = aliceWatch.records.find((r) => r.url === `${canary.url}/worker-start`);
    expect(fromWorker?.source).toMatch(/^blob:http:\/\/127\.0\.0\.1:\d+\//);
    expect(aliceWatch.workers).toContain(fromWorker?.source);
    await waitFor(() => canary.hits.length >= 3, { description: 'the canary to be reached three times' });
    expect(canary.hits.sort()).toEqual(['GET /worker-start', 'POST /beacon', 'upgrade /socket']);
  });
});
