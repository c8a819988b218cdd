/**
 * `npm start`: Framelock end to end on this machine. It builds the extension, starts the demo call site
 * (demo/server.ts), opens Chromium with the extension in a fresh profile, enables the demo site with a passphrase
 * through the real options page, and has two participants (alice and bob, two tabs of that profile) call each other
 * with a known fake camera picture and tone. Then it prints, for each participant, how many frames Framelock
 * encrypted and decrypted, saves a screenshot of each, and exits non-zero unless both decrypted frames.
 *
 * Headed (a window you can watch, until Ctrl-C) when DISPLAY or WAYLAND_DISPLAY is set; otherwise headless for about
 * eight seconds. Environment: CHROMIUM_PATH (default /usr/bin/chromium), PORT (demo server port, default: any free).
 */
/// <reference types="chrome" />
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { startDemoServer } from '../demo/server';
import type { TabStatus, TransformStats } from '../src/shared/messages';
import { matchPatternFor } from '../src/shared/origin';

const PASSPHRASE = 'correct horse battery staple';
const HEADLESS_RUN_MS = 8_000;
const HEADED_REPORT_EVERY_MS = 5_000;
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const DIST = path.join(REPO_ROOT, 'dist');
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HEADED = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);

const print = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const step = (line: string): void => print(`▸ ${line}`);

/** What one participant's tab did, from Framelock's counters. */
interface ParticipantReport {
  name: string;
  tabId?: number;
  encrypted: Record<'audio' | 'video', number>;
  decrypted: Record<'audio' | 'video', number>;
  undecryptable: number;
  unencrypted: number;
  dropped: number;
  statuses: string[];
  errors: string[];
  seesPattern: boolean;
  screenshot: string;
  page: PageView | undefined;
}

async function main(): Promise<number> {
  if (!existsSync(CHROMIUM_PATH)) {
    print(`Chromium not found at ${CHROMIUM_PATH}.`);
    print('  Debian/Ubuntu:  sudo apt-get install -y chromium');
    print('  Elsewhere:      CHROMIUM_PATH=/path/to/chromium npm start');
    return 1;
  }
  // Loaded only now: the test helpers warn about a missing Chromium when imported.
  const { createFakeMedia, callArgs, startCall, callFrame } = await import('../test/browser/call');
  const { samplePattern, showsPattern } = await import('../test/browser/media');
  const { enableSiteThroughOptions, grantHostPermissions, launchExtensionProfile } = await import(
    './extension-profile'
  );

  step('Building the extension (npm run build)');
  const build = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (build.status !== 0) {
    print('The build failed: see above.');
    return 1;
  }

  const server = await startDemoServer({ port: Number(process.env.PORT ?? 0) });
  const origin = server.url;
  step(`Demo call site at ${origin}`);
  const media = await createFakeMedia();
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'framelock-start-profile-'));
  const shotsDir = await mkdtemp(path.join(tmpdir(), 'framelock-start-'));
  const cleanups: (() => Promise<unknown>)[] = [
    () => server.close(),
    () => media.cleanup(),
    () => rm(userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }),
  ];
  try {
    const launch = (headless: boolean) =>
      launchExtensionProfile({
        chromiumPath: CHROMIUM_PATH,
        extensionPath: DIST,
        userDataDir,
        headless,
        args: callArgs(media),
      });

    step('Preparing a Chromium profile with Framelock and permission for the demo site');
    const first = await launch(true);
    await first.browser.close();
    // Exactly the pattern the options page will ask for.
    await grantHostPermissions(userDataDir, first.extensionId, [matchPatternFor(origin)]);

    step(`Starting Chromium (${HEADED ? 'headed' : 'headless'}) with ${CHROMIUM_PATH}`);
    const profile = await launch(!HEADED);
    cleanups.unshift(() => profile.browser.close().catch(() => profile.browser.process()?.kill('SIGKILL')));

    step(`Enabling ${origin} with the passphrase "${PASSPHRASE}" through the options page`);
    const options = await enableSiteThroughOptions(profile, origin, PASSPHRASE);

    step('alice and bob join the call');
    const pages: [Page, Page] = [await profile.browser.newPage(), await profile.browser.newPage()];
    const call = await startCall({ browsers: pages, url: origin, room: 'framelock-demo' });
    print(`  alice: ${call.urls[0]}`);
    print(`  bob:   ${call.urls[1]}`);
    step('Connected');

    const report = async (): Promise<ParticipantReport[]> => {
      const counters = await readCounters(options);
      return Promise.all(
        (['alice', 'bob'] as const).map(async (name, i) => {
          const page = pages[i] as Page;
          const status = counters.find((c) => c.url === page.url())?.status;
          const samples = await samplePattern(callFrame(page), '#remote').catch(() => undefined);
          const rtp = await inspectCall(page);
          const screenshot = path.join(shotsDir, `${name}.png`);
          await page.bringToFront().catch(() => undefined);
          await page.screenshot({ path: screenshot, fullPage: true });
          return summarise(name, status, samples !== undefined && showsPattern(samples), screenshot, rtp);
        }),
      );
    };

    let reports: ParticipantReport[];
    if (HEADED) {
      print('Running: watch the two tabs. Ctrl-C to stop.');
      const stopped = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      for (;;) {
        const tick = await Promise.race([stopped.then(() => 'stop'), sleep(HEADED_REPORT_EVERY_MS)]);
        reports = await report();
        print();
        printReports(reports);
        if (tick === 'stop') break;
      }
    } else {
      print(`Running for ${HEADLESS_RUN_MS / 1000} s…`);
      await sleep(HEADLESS_RUN_MS);
      reports = await report();
      print();
      printReports(reports);
    }
    return verdict(reports, await readCounters(options));
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}

interface TabCounters {
  tabId: number;
  url?: string;
  status: TabStatus;
}

/**
 * Framelock's per-tab status from `chrome.storage.session` (keys `tab:<tabId>`, written by the background), with each
 * tab's URL to tell alice from bob. Read through the open options page: storage.session is shared by the extension's
 * own contexts, and unlike the service worker the page does not go to sleep.
 */
async function readCounters(options: Page): Promise<TabCounters[]> {
  return options.evaluate(async () => {
    const items = await chrome.storage.session.get(null);
    const tabs = await chrome.tabs.query({});
    return Object.entries(items)
      .filter(([key]) => /^tab:\d+$/.test(key))
      .map(([key, status]) => {
        const tabId = Number(key.slice(4));
        return { tabId, url: tabs.find((tab) => tab.id === tabId)?.url, status: status as TabStatus };
      });
  });
}

/** What the page itself sees of its call: transforms on its senders and receivers, and frames it decoded. */
interface PageView {
  transforms: number;
  endpoints: number;
  videoFramesDecoded: number;
  audioPacketsReceived: number;
}

async function inspectCall(page: Page): Promise<PageView | undefined> {
  const { callFrame } = await import('../test/browser/call');
  return callFrame(page)
    .evaluate(async () => {
      const pc = (window as { demo?: { pc?: RTCPeerConnection } }).demo?.pc;
      if (!pc) return undefined;
      const endpoints = [...pc.getSenders(), ...pc.getReceivers()].filter((e) => e.track !== null);
      let videoFramesDecoded = 0;
      let audioPacketsReceived = 0;
      for (const s of (await pc.getStats()).values()) {
        if (s.type === 'inbound-rtp' && s.kind === 'video') videoFramesDecoded += s.framesDecoded ?? 0;
        if (s.type === 'inbound-rtp' && s.kind === 'audio') audioPacketsReceived += s.packetsReceived ?? 0;
      }
      return {
        transforms: endpoints.filter((e) => (e as { transform?: unknown }).transform).length,
        endpoints: endpoints.length,
        videoFramesDecoded,
        audioPacketsReceived,
      };
    })
    .catch(() => undefined);
}

function summarise(
  name: string,
  status: TabStatus | undefined,
  seesPattern: boolean,
  screenshot: string,
  page: PageView | undefined,
): ParticipantReport {
  const transforms: TransformStats[] = status?.transforms ?? [];
  const sum = (side: 'send' | 'receive', kind: 'audio' | 'video', key: 'protected'): number =>
    transforms.filter((t) => t.side === side && t.kind === kind).reduce((total, t) => total + t[key], 0);
  const total = (key: 'undecryptable' | 'unencrypted' | 'dropped'): number =>
    transforms.filter((t) => t.side === 'receive').reduce((acc, t) => acc + t[key], 0);
  return {
    name,
    ...(status === undefined ? {} : { tabId: status.tabId }),
    encrypted: { audio: sum('send', 'audio', 'protected'), video: sum('send', 'video', 'protected') },
    decrypted: { audio: sum('receive', 'audio', 'protected'), video: sum('receive', 'video', 'protected') },
    undecryptable: total('undecryptable'),
    unencrypted: total('unencrypted'),
    dropped: transforms.reduce((acc, t) => acc + t.dropped, 0),
    statuses: transforms.filter((t) => t.side === 'receive').map((t) => `${t.kind} ${t.status}`),
    errors: [...new Set(transforms.flatMap((t) => (t.lastError === undefined ? [] : [`${t.kind}: ${t.lastError}`])))],
    seesPattern,
    screenshot,
    page,
  };
}

function printReports(reports: ParticipantReport[]): void {
  for (const r of reports) {
    print(`${r.name}${r.tabId === undefined ? ' (no Framelock status for this tab)' : ` (tab ${r.tabId})`}`);
    print(`  encrypted  video ${r.encrypted.video}, audio ${r.encrypted.audio} frames`);
    print(`  decrypted  video ${r.decrypted.video}, audio ${r.decrypted.audio} frames`);
    print(`  undecryptable ${r.undecryptable}, unencrypted ${r.unencrypted}, dropped ${r.dropped}`);
    if (r.statuses.length > 0) print(`  receiving: ${r.statuses.join(', ')}`);
    for (const error of r.errors) print(`  last error: ${error}`);
    if (r.page !== undefined) {
      print(`  in the page: RTCRtpScriptTransform on ${r.page.transforms} of ${r.page.endpoints} senders/receivers`);
      print(
        `  the page decoded ${r.page.videoFramesDecoded} video frames and received ${r.page.audioPacketsReceived} audio packets`,
      );
    }
    print(`  sees the other's camera picture: ${r.seesPattern ? 'yes' : 'no'}`);
    print(`  screenshot: ${r.screenshot}`);
  }
}

function verdict(reports: ParticipantReport[], counters: TabCounters[]): number {
  print();
  if (counters.length === 0) {
    const attached = reports.reduce((sum, r) => sum + (r.page?.transforms ?? 0), 0);
    print(
      attached === 0
        ? 'FAIL: no Framelock counters: the page script did not run (no tab:<id> status in chrome.storage.session, ' +
            'and no transform on the pages’ senders or receivers).'
        : `FAIL: no Framelock counters: the page script ran (transforms on ${attached} senders/receivers) but no ` +
            'status reached the background (no tab:<id> key in chrome.storage.session).',
    );
    return 1;
  }
  const silent = reports.filter((r) => r.decrypted.audio + r.decrypted.video === 0);
  if (silent.length > 0) {
    print(`FAIL: no frame was decrypted by ${silent.map((r) => r.name).join(' and ')}.`);
    return 1;
  }
  print('OK: both participants decrypted each other’s frames.');
  return 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    print(`npm start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
