/**
 * @module Firefox for real-browser tests: Debian's Firefox ESR driven by puppeteer over WebDriver BiDi, with the
 * Firefox build of the extension (dist-firefox/, `vite build --mode firefox`) installed as a temporary add-on.
 *
 * What differs from Chromium, and how this works around it:
 *
 * - **The extension's own pages.** BiDi refuses to navigate a tab to a `moz-extension://` URL, and a web page may not
 *   either. Firefox is launched with `--remote-allow-system-access`, which lets BiDi evaluate in the browser's own
 *   window (`moz:scope: "chrome"`); {@link FirefoxExtension.openExtensionPage} opens the page in a new tab from there,
 *   as the browser itself opens an add-on's options page. Puppeteer then drives that tab like any other (its
 *   `page.url()` stays `about:blank`: puppeteer does not report navigations to extension pages).
 * - **The extension's origin** is `moz-extension://<uuid>/`, a random uuid per profile: the pref
 *   `extensions.webextensions.uuids` fixes it.
 * - **Host permissions.** With `extensions.webextOptionalPermissionPrompts` off, Firefox grants an optional permission
 *   the extension asks for during a user gesture without a prompt, so the options page's real code path runs
 *   unchanged (puppeteer's clicks are real input events).
 * - **Fake devices.** Firefox cannot capture from a file as Chromium does. Its fake microphone plays a 440 Hz sine
 *   (prefs), and {@link FIREFOX_FAKE_MEDIA} gives the camera the same quadrant pattern as Chromium's, drawn on a
 *   canvas: real tracks that Firefox encodes as it would a device's. (A WebAudio oscillator would be silent: a
 *   headless Firefox without a sound device never starts a live `AudioContext`.)
 * - **The background** is an event page, not a service worker: the tests read the tab status from an extension page.
 */

import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { FIREFOX_ADDON_ID } from '../../scripts/firefox-manifest';
import type { TabStatus, TransformStats } from '../../src/shared/messages';
import { isCI, REPO_ROOT, waitFor, withTimeout } from './harness';
import { PATTERN_COLOURS } from './media';
import { enableSiteThroughOptions } from './permissions';

export { FIREFOX_ADDON_ID } from '../../scripts/firefox-manifest';

/** Debian's Firefox ESR (`apt-get install firefox-esr`), or `FIREFOX_PATH`. */
export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
/**
 * Whether Firefox is there. Firefox suites are wrapped in `describe.skipIf(!firefoxAvailable)`; under CI a missing
 * Firefox is an error (thrown when this module is imported), as a missing Chromium is.
 */
export const firefoxAvailable: boolean = existsSync(FIREFOX_PATH);

if (!firefoxAvailable) {
  const howToInstall = 'Install it with `apt-get install -y firefox-esr`, or point FIREFOX_PATH at a Firefox binary.';
  if (isCI)
    throw new Error(`Firefox not found at ${FIREFOX_PATH}: the Firefox tests cannot run under CI. ${howToInstall}`);
  console.warn(`!!! Firefox not found at ${FIREFOX_PATH}: the Firefox tests are SKIPPED. ${howToInstall}`);
}
/** The Firefox build of the extension. */
export const FIREFOX_EXTENSION_PATH =
  process.env.FRAMELOCK_FIREFOX_EXTENSION_DIR ?? path.join(REPO_ROOT, 'dist-firefox');
/** The Firefox rotation test build (`vite build --mode firefox-rotation-test`: 6-second epochs, a re-key every 5 s). */
export const FIREFOX_ROTATION_TEST_EXTENSION_PATH = path.join(REPO_ROOT, 'dist-firefox-test');
/** The extension's uuid in every test profile: its pages are `moz-extension://<uuid>/...`. */
export const FIREFOX_EXTENSION_UUID = '5f8e2a1c-7b3d-4e6f-9a0b-1c2d3e4f5a6b';

/** Prefs every test Firefox gets. */
const BASE_PREFS: Record<string, unknown> = {
  // No prompt for getUserMedia, and autoplay of audio and WebAudio without a gesture (as Chromium's flags do).
  'media.navigator.permission.disabled': true,
  'media.autoplay.default': 0,
  'media.autoplay.block-webaudio': false,
  'media.autoplay.blocking_policy': 0,
  // Firefox's fake microphone (a sine; the camera is replaced by FIREFOX_FAKE_MEDIA), at the test tone's frequency.
  'media.navigator.streams.fake': true,
  'media.navigator.audio.fake_frequency': 440,
  // ICE over loopback, which is all a CI container may have.
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.peerconnection.ice.no_host': false,
  // No first-run pages, no update checks, no telemetry.
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.reportingpolicy.firstRun': false,
};

/**
 * A script evaluated before any of the page's (a BiDi preload script): `getUserMedia` answers with the test pattern
 * for video (640×480, 30 fps, the quadrants of {@link PATTERN_COLOURS} and a white block moving along the middle line,
 * as the Chromium fake capture file shows, drawn on a canvas) and Firefox's own fake microphone for audio, which
 * {@link BASE_PREFS} tune to the 440 Hz test tone. Self-contained: it runs in the page.
 */
export const FIREFOX_FAKE_MEDIA = `(() => {
  const colours = ${JSON.stringify(PATTERN_COLOURS)};
  const devices = navigator.mediaDevices;
  if (!devices) return;
  const native = devices.getUserMedia.bind(devices);
  let video;
  const rgb = (c) => 'rgb(' + c.r + ',' + c.g + ',' + c.b + ')';
  const makeVideo = () => {
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 480;
    const g = canvas.getContext('2d');
    let frame = 0;
    const draw = () => {
      g.fillStyle = rgb(colours.topLeft); g.fillRect(0, 0, 320, 240);
      g.fillStyle = rgb(colours.topRight); g.fillRect(320, 0, 320, 240);
      g.fillStyle = rgb(colours.bottomLeft); g.fillRect(0, 240, 320, 240);
      g.fillStyle = rgb(colours.bottomRight); g.fillRect(320, 240, 320, 240);
      const block = 32;
      g.fillStyle = '#fff';
      g.fillRect(Math.round(((640 - block) * (frame % 30)) / 29), 240 - block / 2, block, block);
      frame += 1;
    };
    draw();
    setInterval(draw, 1000 / 30);
    return canvas.captureStream(30).getVideoTracks()[0];
  };
  devices.getUserMedia = async (constraints) => {
    const wanted = constraints || {};
    if (!wanted.video) return native(constraints);
    const tracks = wanted.audio ? (await native({ audio: wanted.audio })).getAudioTracks() : [];
    video = video && video.readyState === 'live' ? video : makeVideo();
    return new MediaStream([video.clone(), ...tracks]);
  };
})();`;

export interface FirefoxLaunchOptions {
  /** Install the extension from here (default {@link FIREFOX_EXTENSION_PATH}); `null`: a Firefox without Framelock. */
  extensionPath?: string | null;
  /** Replace `getUserMedia` with the test pattern and tone on every page (default true). */
  fakeMedia?: boolean;
  /** More prefs. */
  prefs?: Record<string, unknown>;
}

export interface FirefoxSession {
  readonly browser: Browser;
  /** Whether Framelock is installed. */
  readonly withExtension: boolean;
  /** `moz-extension://<uuid>/<path>`. */
  extensionUrl(resourcePath?: string): string;
  /** Opens an extension page in a new tab (see the module comment) and waits for it to load. */
  openExtensionPage(resourcePath?: string): Promise<Page>;
  /** A new tab, with the fake media preload script if the session has it. */
  newPage(): Promise<Page>;
  /** Closes Firefox and removes the profile. Safe to call more than once. */
  close(): Promise<void>;
}

/** Launches headless Firefox ESR in a fresh profile, with the Firefox build of Framelock installed (by default). */
export async function launchFirefox(options: FirefoxLaunchOptions = {}): Promise<FirefoxSession> {
  if (!firefoxAvailable) {
    throw new Error(
      `Firefox not found at ${FIREFOX_PATH}: install it (apt-get install -y firefox-esr) or set FIREFOX_PATH.`,
    );
  }
  const extensionPath = options.extensionPath === undefined ? FIREFOX_EXTENSION_PATH : options.extensionPath;
  if (extensionPath !== null) checkFirefoxBuild(extensionPath);
  const fakeMedia = options.fakeMedia ?? true;
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'framelock-firefox-'));
  let browser: Browser | undefined;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX_PATH,
      headless: true,
      userDataDir,
      args: ['--remote-allow-system-access'],
      // FRAMELOCK_FIREFOX_CONSOLE=1 prints every console message (the page's, the content scripts', the background's).
      dumpio: process.env.FRAMELOCK_FIREFOX_CONSOLE === '1',
      extraPrefsFirefox: {
        ...BASE_PREFS,
        'extensions.webextensions.uuids': JSON.stringify({ [FIREFOX_ADDON_ID]: FIREFOX_EXTENSION_UUID }),
        'extensions.webextOptionalPermissionPrompts': false,
        ...(process.env.FRAMELOCK_FIREFOX_CONSOLE === '1'
          ? { 'devtools.console.stdout.content': true, 'devtools.console.stdout.chrome': true }
          : {}),
        ...options.prefs,
      },
    });
    if (extensionPath !== null) {
      const id = await browser.installExtension(path.resolve(extensionPath));
      if (id !== FIREFOX_ADDON_ID) throw new Error(`Firefox installed the add-on as ${id}, not ${FIREFOX_ADDON_ID}`);
    }
  } catch (error) {
    await browser?.close().catch(() => undefined);
    await rm(userDataDir, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
  const running = browser;
  let closed = false;

  const extensionUrl = (resourcePath = ''): string =>
    `moz-extension://${FIREFOX_EXTENSION_UUID}/${resourcePath.replace(/^\/+/, '')}`;

  const newPage = async (): Promise<Page> => {
    const page = await running.newPage();
    if (fakeMedia) await page.evaluateOnNewDocument(FIREFOX_FAKE_MEDIA);
    return page;
  };

  const openExtensionPage = async (resourcePath = 'src/popup/index.html'): Promise<Page> => {
    if (extensionPath === null) throw new Error('this Firefox has no Framelock');
    const url = extensionUrl(resourcePath);
    const before = new Set(await running.pages());
    await openTabFromChrome(running, url);
    const page = await waitFor(
      async () => {
        for (const candidate of await running.pages()) {
          if (before.has(candidate)) continue;
          const href = await candidate.evaluate(() => location.href).catch(() => '');
          if (href === url) return candidate;
        }
        return undefined;
      },
      { description: `Firefox to open ${url}`, timeoutMs: 15_000 },
    );
    await page.waitForFunction(() => document.readyState === 'complete', { timeout: 15_000 });
    return page;
  };

  return {
    browser: running,
    withExtension: extensionPath !== null,
    extensionUrl,
    openExtensionPage,
    newPage,
    async close() {
      if (closed) return;
      closed = true;
      const closedInTime = await withTimeout(running.close(), 10_000, 'Firefox to close').then(
        () => true,
        () => false,
      );
      if (!closedInTime) running.process()?.kill('SIGKILL');
      await rm(userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }).catch(() => undefined);
    },
  };
}

function checkFirefoxBuild(extensionPath: string): void {
  const file = path.join(extensionPath, 'manifest.json');
  if (!existsSync(file)) throw new Error(`No Firefox build at ${extensionPath}: run \`npm run build\` first.`);
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
    browser_specific_settings?: { gecko?: { id?: string } };
  };
  if (manifest.browser_specific_settings?.gecko?.id !== FIREFOX_ADDON_ID) {
    throw new Error(`${file} is not the Firefox build of Framelock (no gecko id ${FIREFOX_ADDON_ID})`);
  }
}

/** BiDi: opens `url` in a new tab of the browser window, from the window's own (chrome) scope. */
async function openTabFromChrome(browser: Browser, url: string): Promise<void> {
  const connection = (browser as unknown as { connection: BidiSend }).connection;
  const tree = (await connection.send('browsingContext.getTree', { 'moz:scope': 'chrome' })) as {
    result: { contexts: { context: string; url: string }[] };
  };
  const window = tree.result.contexts.find((context) => context.url === 'chrome://browser/content/browser.xhtml');
  if (window === undefined) throw new Error('no Firefox browser window in the chrome scope');
  const expression = `(() => {
    const w = Services.wm.getMostRecentWindow('navigator:browser');
    const tab = w.gBrowser.addTab(${JSON.stringify(url)}, {
      triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal(),
    });
    w.gBrowser.selectedTab = tab;
    return true;
  })()`;
  const reply = (await connection.send('script.evaluate', {
    expression,
    target: { context: window.context },
    awaitPromise: false,
  })) as { result: { type: string; exceptionDetails?: { text?: string } } };
  if (reply.result.type !== 'success') {
    throw new Error(`could not open ${url}: ${reply.result.exceptionDetails?.text ?? 'unknown error'}`);
  }
}

/**
 * The page Firefox's sidebar shows (an extension's `sidebar_action` panel), read in the browser window's chrome scope,
 * or undefined while the sidebar shows no extension page.
 */
export async function firefoxSidebarUrl(browser: Browser): Promise<string | undefined> {
  const connection = (browser as unknown as { connection: BidiSend }).connection;
  const tree = (await connection.send('browsingContext.getTree', { 'moz:scope': 'chrome' })) as {
    result: { contexts: { context: string; url: string; children?: { context: string; url: string }[] }[] };
  };
  const panels = tree.result.contexts
    .flatMap((window) => window.children ?? [])
    .find((child) => child.url === 'chrome://browser/content/webext-panels.xhtml');
  if (panels === undefined) return undefined;
  const reply = (await connection.send('script.evaluate', {
    expression: "document.getElementById('webext-panels-browser')?.currentURI?.spec ?? ''",
    target: { context: panels.context },
    awaitPromise: false,
  })) as { result: { type: string; result?: { value?: unknown } } };
  const url = reply.result.result?.value;
  return typeof url === 'string' && url !== '' ? url : undefined;
}

interface BidiSend {
  send(method: string, params: unknown): Promise<unknown>;
}

/**
 * The background's status of the first tab whose URL contains `urlPart` (what the popup and the badge show), read
 * from an extension page of `session` (kept open by the caller, e.g. from {@link FirefoxSession.openExtensionPage}).
 */
export async function firefoxTabStatus(extensionPage: Page, urlPart: string): Promise<TabStatus | null> {
  return extensionPage.evaluate(async (part: string) => {
    const api = (globalThis as unknown as { browser: typeof chrome }).browser;
    const tab = (await api.tabs.query({})).find((t) => t.url?.includes(part));
    if (tab?.id === undefined) return null;
    const key = `tab:${tab.id}`;
    return ((await api.storage.session.get(key))[key] as TabStatus | undefined) ?? null;
  }, urlPart) as Promise<TabStatus | null>;
}

/** The transforms of the tabs whose URL contains `urlPart`, as {@link firefoxTabStatus} reads them. */
export async function firefoxTransforms(extensionPage: Page, urlPart: string): Promise<TransformStats[]> {
  return (await firefoxTabStatus(extensionPage, urlPart))?.transforms ?? [];
}

/** The badge text of the first tab whose URL contains `urlPart`. */
export async function firefoxBadge(extensionPage: Page, urlPart: string): Promise<string | null> {
  return extensionPage.evaluate(async (part: string) => {
    const api = (globalThis as unknown as { browser: typeof chrome }).browser;
    const tab = (await api.tabs.query({})).find((t) => t.url?.includes(part));
    return tab?.id === undefined ? null : api.action.getBadgeText({ tabId: tab.id });
  }, urlPart);
}

/**
 * A Firefox with Framelock and `siteOrigin` enabled with `passphrase` through the real options page: a participant
 * who installed Framelock and set it up (the Firefox side of `launchExtensionParticipant`, test/browser/call.ts).
 */
export async function launchFirefoxParticipant(
  siteOrigin: string,
  passphrase: string,
  options: FirefoxLaunchOptions = {},
): Promise<FirefoxSession> {
  const session = await launchFirefox(options);
  try {
    await enableSiteThroughOptions(session, siteOrigin, passphrase);
    return session;
  } catch (error) {
    await session.close();
    throw error;
  }
}
