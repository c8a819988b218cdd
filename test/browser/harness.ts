/**
 * Real-browser test harness: launches Debian's Chromium (headless) with the built extension from `dist/` loaded
 * unpacked, and hands back the browser, the extension's id and a handle on its background service worker.
 *
 * Typical use (vitest, project `browser`; run `npm run build` first):
 *
 * ```ts
 * import { chromiumAvailable, launchWithExtension, type ExtensionBrowser } from './harness';
 *
 * describe.skipIf(!chromiumAvailable)('my feature', () => {
 *   let ext: ExtensionBrowser;
 *   beforeAll(async () => { ext = await launchWithExtension(); });
 *   afterAll(async () => { await ext?.close(); });
 *
 *   it('does something', async () => {
 *     const name = await ext.serviceWorker.evaluate(() => chrome.runtime.getManifest().name);
 *     expect(name).toBe('Framelock');
 *   });
 * });
 * ```
 *
 * Notes for test authors:
 * - Functions passed to `evaluate` are serialised and run inside the browser: they cannot close over test-side
 *   variables (pass them as extra `evaluate` arguments) and can only return JSON-serialisable values.
 * - `serviceWorker` is the handle on the worker that is running *now*. Once the worker stops (see
 *   {@link ExtensionBrowser.stopServiceWorker}) every handle taken before is dead; after
 *   {@link ExtensionBrowser.wakeServiceWorker} the `serviceWorker` property returns the new one. Do not keep the
 *   handle in a variable across a stop.
 * - Code inside `evaluate` may use the `chrome.*` extension API types (referenced below); test-side code must not.
 * - Chromium is looked up at `$CHROMIUM_PATH`, else `/usr/bin/chromium` (Debian: `apt-get install -y chromium`).
 *   Without it, browser tests are skipped locally (use `describe.skipIf(!chromiumAvailable)`) but fail under CI.
 */
/// <reference types="chrome" />
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page, type Protocol, type Target, type WebWorker } from 'puppeteer-core';

/** Repository root (this file is `<root>/test/browser/harness.ts`). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where `npm run build` puts the unpacked extension. */
/** The built extension the tests load: `dist/`, unless FRAMELOCK_EXTENSION_DIR names another build. */
export const DEFAULT_EXTENSION_PATH = process.env.FRAMELOCK_EXTENSION_DIR ?? path.join(REPO_ROOT, 'dist');
/** The rotation test build (`vite build --mode rotation-test`): 6-second epochs and a clock tests can shift. */
export const ROTATION_TEST_EXTENSION_PATH = path.join(REPO_ROOT, 'dist-test');

/** The Chromium binary the tests drive. CI installs it with apt; puppeteer never downloads its own. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether we run under CI (`CI` set to anything but an empty string, `0` or `false`). */
export const isCI = ['', '0', 'false'].includes((process.env.CI ?? '').trim().toLowerCase()) === false;

/**
 * Whether the Chromium binary exists. Browser test suites must be wrapped in
 * `describe.skipIf(!chromiumAvailable)(...)`. Under CI a missing Chromium is an error instead (thrown when this module
 * is imported), so a broken CI image can never pass by silently skipping every browser test.
 */
export const chromiumAvailable: boolean = existsSync(CHROMIUM_PATH);

if (!chromiumAvailable) {
  const howToInstall =
    'Install it with `apt-get install -y chromium` (Debian/Ubuntu), or point CHROMIUM_PATH at a Chromium binary.';
  if (isCI) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: browser tests cannot run under CI. ${howToInstall}`);
  }
  const bar = '!'.repeat(100);
  console.warn(
    [
      bar,
      `!!! Chromium not found at ${CHROMIUM_PATH}: the real-browser tests (test/browser) are SKIPPED.`,
      `!!! ${howToInstall}`,
      '!!! CI runs them, so a change that passes here may still fail there.',
      bar,
    ].join('\n'),
  );
}

/** Timeouts (ms) used by the harness; generous because CI machines have 2 slow cores. */
export const TIMEOUTS = {
  /** Chromium start-up until the extension's service worker target shows up. */
  serviceWorkerStart: 30_000,
  /** A running service worker's first answer to `evaluate`. */
  serviceWorkerResponse: 10_000,
  /** Stopping the service worker until DevTools reports it stopped. */
  serviceWorkerStop: 10_000,
  /** Default for {@link waitFor}. */
  poll: 10_000,
} as const;

/**
 * Headless Chromium on these machines: no sandbox as root, no GPU, and nothing that reaches for the network (which is
 * closed here). Every launch in the repository (tests, bench, fixture generator) starts from these.
 */
export const HEADLESS_CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Arguments always passed to Chromium in tests (the extension's own `--load-extension` flags are added after these). */
export const BASE_CHROMIUM_ARGS: readonly string[] = [
  ...HEADLESS_CHROMIUM_ARGS,
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

export interface LaunchOptions {
  /** Directory of the unpacked extension (must contain manifest.json). Default: `<repo>/dist`. */
  extensionPath?: string;
  /** Extra Chromium command-line arguments, appended after the defaults. */
  args?: string[];
  /**
   * Defaults of {@link BASE_CHROMIUM_ARGS} to leave out: e.g. `--use-fake-ui-for-media-stream`, which answers
   * `getDisplayMedia` with a fake screen before `--auto-select-tab-capture-source-by-title` can pick a tab.
   */
  dropArgs?: readonly string[];
  /**
   * Chromium profile directory to use instead of a fresh temporary one (e.g. a profile prepared by an earlier launch
   * with `keepProfile`). It is removed on close like a temporary one, unless `keepProfile` is set.
   */
  userDataDir?: string;
  /** Keep the profile directory when the session closes (default: remove it). */
  keepProfile?: boolean;
  /**
   * Puppeteer default flags to leave out, besides `--disable-extensions`: e.g. `--disable-background-timer-throttling`
   * and `--disable-renderer-backgrounding`, so that a tab in the background is throttled as in a real Chrome.
   */
  ignoreDefaultArgs?: string[];
  /**
   * Environment variables for Chromium, over this process's (`undefined` removes one). On Linux Chromium takes its UI
   * language, and with it `chrome.i18n`'s, from `LANGUAGE`/`LANG`, not from `--lang` (see {@link uiLanguageEnv}).
   */
  env?: Record<string, string | undefined>;
}

export interface ExtensionBrowser {
  /** The puppeteer browser. Prefer {@link ExtensionBrowser.close} over `browser.close()`: it also removes the profile. */
  readonly browser: Browser;
  /** The extension's id (32 letters a–p), as in `chrome-extension://<id>/`. */
  readonly extensionId: string;
  /**
   * The extension's background service worker as currently running. Stale after
   * {@link ExtensionBrowser.stopServiceWorker} until {@link ExtensionBrowser.wakeServiceWorker} (or
   * {@link ExtensionBrowser.getServiceWorker}) returns a new one; read the property again after that.
   */
  readonly serviceWorker: WebWorker;
  /** Chromium profile directory; removed by {@link ExtensionBrowser.close} unless launched with `keepProfile`. */
  readonly userDataDir: string;
  /** Absolute path of the unpacked extension that was loaded. */
  readonly extensionPath: string;
  /** `chrome-extension://<id>/<path>` (leading slashes in `resourcePath` are ignored). */
  extensionUrl(resourcePath?: string): string;
  /** Opens a new tab at an extension URL (default: the always-present `manifest.json`) and waits for it to load. */
  openExtensionPage(resourcePath?: string): Promise<Page>;
  /**
   * Waits until the extension's service worker is running (it does not start it: see `wakeServiceWorker`) and
   * returns a fresh handle on it, which also becomes `serviceWorker`.
   */
  getServiceWorker(timeoutMs?: number): Promise<WebWorker>;
  /**
   * Stops the background service worker, as Chrome does when it goes idle, and waits until DevTools reports it
   * stopped. All its in-memory state is lost; `chrome.storage.session` survives.
   */
  stopServiceWorker(): Promise<void>;
  /**
   * Starts the service worker if it is stopped (by posting a message to it from an extension page, which does not
   * depend on any listener the extension registers) and returns a handle on the running worker.
   */
  wakeServiceWorker(timeoutMs?: number): Promise<WebWorker>;
  /** Closes the browser (killing it if it does not close) and removes the profile. Safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Polls `check` until it returns something other than `undefined`, `null` or `false`, and returns that. Errors
 * thrown by `check` count as "not yet" (the service worker may be restarting), but the last one is reported if the
 * wait times out.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options: { description: string; timeoutMs?: number; intervalMs?: number },
): Promise<T> {
  const { description, timeoutMs = TIMEOUTS.poll, intervalMs = 100 } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      // A check that never settles (a page.evaluate in a hung renderer, a request nobody answers) must not hang the
      // test past its deadline without saying what it waited for.
      const value = await withTimeout(
        Promise.resolve().then(check),
        Math.max(deadline - Date.now(), 0) + 5_000,
        'one check',
      );
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError === undefined ? '' : ` (last error: ${errorMessage(lastError)})`;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}${cause}`);
    }
    await sleep(intervalMs);
  }
}

/**
 * Launches headless Chromium with the extension loaded unpacked and waits for its background service worker.
 *
 * @throws if Chromium is missing, the extension is not built (`npm run build`), or its service worker does not start.
 */
export async function launchWithExtension(options: LaunchOptions = {}): Promise<ExtensionBrowser> {
  if (!chromiumAvailable) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) or set CHROMIUM_PATH. ` +
        'Guard browser suites with describe.skipIf(!chromiumAvailable).',
    );
  }
  const extensionPath = path.resolve(options.extensionPath ?? DEFAULT_EXTENSION_PATH);
  const swScriptPath = readServiceWorkerPath(extensionPath);
  const isOurServiceWorker = (target: Target, extensionId?: string): boolean => {
    if (target.type() !== 'service_worker') return false;
    const url = target.url();
    const prefix = extensionId === undefined ? 'chrome-extension://' : `chrome-extension://${extensionId}/`;
    return url.startsWith(prefix) && new URL(url).pathname === `/${swScriptPath}`;
  };

  const userDataDir = options.userDataDir ?? (await mkdtemp(path.join(tmpdir(), 'framelock-chromium-')));
  const keepProfile = options.keepProfile ?? false;
  let browser: Browser | undefined;
  try {
    browser = await puppeteer.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      userDataDir,
      // Puppeteer passes --disable-extensions by default, which would keep ours from loading.
      ignoreDefaultArgs: ['--disable-extensions', ...(options.ignoreDefaultArgs ?? [])],
      ...(options.env === undefined ? {} : { env: withEnv(options.env) }),
      args: [
        ...BASE_CHROMIUM_ARGS.filter((arg) => !options.dropArgs?.includes(arg)),
        `--load-extension=${extensionPath}`,
        `--disable-extensions-except=${extensionPath}`,
        ...(options.args ?? []),
      ],
    });

    const swTarget = await browser
      .waitForTarget((target) => isOurServiceWorker(target), { timeout: TIMEOUTS.serviceWorkerStart })
      .catch((error: unknown) => {
        const seen = browser?.targets().map((t) => `${t.type()} ${t.url() || '(no url)'}`) ?? [];
        throw new Error(
          `The extension's service worker (${swScriptPath}) did not start within ${TIMEOUTS.serviceWorkerStart} ms ` +
            `(${errorMessage(error)}). Did the extension in ${extensionPath} fail to load (a bad manifest, a missing ` +
            `file, an exception at the top level of the worker)? Targets seen: ${seen.join('; ') || 'none'}.`,
        );
      });
    const extensionId = new URL(swTarget.url()).host;
    const worker = await responsiveWorker(swTarget);
    return createSession(browser, extensionId, extensionPath, userDataDir, keepProfile, worker, (t) =>
      isOurServiceWorker(t, extensionId),
    );
  } catch (error) {
    await shutdown(browser, userDataDir, keepProfile);
    throw error;
  }
}

function createSession(
  browser: Browser,
  extensionId: string,
  extensionPath: string,
  userDataDir: string,
  keepProfile: boolean,
  initialWorker: WebWorker,
  isOurServiceWorker: (target: Target) => boolean,
): ExtensionBrowser {
  let current = initialWorker;
  let closed = false;

  const extensionUrl = (resourcePath = ''): string =>
    `chrome-extension://${extensionId}/${resourcePath.replace(/^\/+/, '')}`;

  const openExtensionPage = async (resourcePath = 'manifest.json'): Promise<Page> => {
    const page = await browser.newPage();
    try {
      await page.goto(extensionUrl(resourcePath), { waitUntil: 'load' });
    } catch (error) {
      await page.close().catch(() => undefined);
      throw error;
    }
    return page;
  };

  const getServiceWorker = async (timeoutMs = TIMEOUTS.serviceWorkerStart): Promise<WebWorker> => {
    const target = await browser.waitForTarget(isOurServiceWorker, { timeout: timeoutMs }).catch((error: unknown) => {
      throw new Error(`The extension's service worker is not running (${errorMessage(error)}).`);
    });
    current = await responsiveWorker(target);
    return current;
  };

  const stopServiceWorker = async (): Promise<void> => {
    const target = browser.targets().find(isOurServiceWorker);
    if (target === undefined) return; // Not running: nothing to stop.
    const swUrl = target.url();
    // A DevTools session on any page sees the profile's service workers with their running status.
    const page = await browser.newPage();
    try {
      const cdp = await page.createCDPSession();
      let status = 'unknown';
      cdp.on('ServiceWorker.workerVersionUpdated', (event) => {
        for (const version of event.versions) {
          if (version.scriptURL === swUrl) status = version.runningStatus;
        }
      });
      await cdp.send('ServiceWorker.enable');
      // For a service worker, puppeteer's close() is Target.closeTarget + detach, on which Chromium stops the worker
      // (while DevTools is attached it would otherwise keep it alive). ServiceWorker.stopAllWorkers stops it too, but
      // leaves puppeteer's target and session attached to the dead worker, whose handle then hangs on evaluate().
      await (await target.worker())?.close();
      await waitFor(() => status === 'stopped', {
        description: `the service worker ${swUrl} to stop`,
        timeoutMs: TIMEOUTS.serviceWorkerStop,
        intervalMs: 20,
      }).catch((error: unknown) => {
        throw new Error(`${errorMessage(error)}; its last reported status was "${status}"`);
      });
      // Later lookups must not find the dead target.
      await waitFor(() => !browser.targets().includes(target), {
        description: 'puppeteer to drop the stopped service worker target',
        timeoutMs: TIMEOUTS.serviceWorkerStop,
        intervalMs: 20,
      });
      await cdp.send('ServiceWorker.disable').catch(() => undefined);
      await cdp.detach().catch(() => undefined);
    } finally {
      await page.close().catch(() => undefined);
    }
  };

  const wakeServiceWorker = async (timeoutMs = TIMEOUTS.serviceWorkerStart): Promise<WebWorker> => {
    if (browser.targets().some(isOurServiceWorker)) return getServiceWorker(timeoutMs);
    const page = await openExtensionPage('manifest.json');
    try {
      const started = browser.waitForTarget(isOurServiceWorker, { timeout: timeoutMs });
      started.catch(() => undefined); // Awaited below; don't let it reject unhandled if the evaluate throws first.
      // Posting to a stopped service worker makes the browser start it to deliver a `message` event (which the
      // extension need not listen to). An extension page shares the worker's origin, so it can reach it.
      await page.evaluate(async () => {
        const registration = await navigator.serviceWorker.getRegistration();
        const worker = registration?.active ?? registration?.waiting ?? registration?.installing;
        if (!worker) throw new Error('The extension origin has no service worker registration');
        worker.postMessage({ type: 'framelock/test-harness-wake' });
      });
      const target = await started.catch((error: unknown) => {
        throw new Error(`The extension's service worker did not start again (${errorMessage(error)}).`);
      });
      current = await responsiveWorker(target);
      return current;
    } finally {
      await page.close().catch(() => undefined);
    }
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await shutdown(browser, userDataDir, keepProfile);
  };

  return {
    browser,
    extensionId,
    get serviceWorker() {
      return current;
    },
    userDataDir,
    extensionPath,
    extensionUrl,
    openExtensionPage,
    getServiceWorker,
    stopServiceWorker,
    wakeServiceWorker,
    close,
  };
}

/**
 * Returns puppeteer's handle on a service worker target once it answers `evaluate`. A worker whose script failed (an
 * uncaught exception at its top level) can leave a target whose `evaluate` never settles; this turns that hang into an
 * error that names the exception.
 */
async function responsiveWorker(target: Target): Promise<WebWorker> {
  const exceptions: string[] = [];
  const onException = (event: Protocol.Runtime.ExceptionThrownEvent): void => {
    const details = event.exceptionDetails;
    exceptions.push(details.exception?.description ?? details.text);
  };
  const answered = async (): Promise<WebWorker> => {
    const worker = await target.worker();
    if (worker === null) throw new Error(`puppeteer has no worker handle for ${target.url()}`);
    worker.client.on('Runtime.exceptionThrown', onException);
    try {
      await worker.evaluate(() => chrome.runtime.id);
      return worker;
    } finally {
      worker.client.off('Runtime.exceptionThrown', onException);
    }
  };
  try {
    return await withTimeout(
      answered(),
      TIMEOUTS.serviceWorkerResponse,
      `the service worker ${target.url()} to answer evaluate()`,
    );
  } catch (error) {
    const thrown = exceptions.length === 0 ? 'none seen' : exceptions.join(' | ');
    throw new Error(
      `${errorMessage(error)}. Uncaught exceptions in the worker: ${thrown}. (A worker whose script throws at its top ` +
        'level can be left half-dead, answering nothing.)',
    );
  }
}

/**
 * The environment that makes Chromium on Linux run in `locale` (a `_locales` folder name: `de`, `pt_BR`), so that
 * `chrome.i18n` picks that language's messages. Checked with Debian's Chromium 156: `LANGUAGE` (or `LANG`) sets
 * `chrome.i18n.getUILanguage()` and `navigator.language`, while `--lang` is ignored; and only for a language whose
 * `.pak` is installed (Debian: `chromium-l10n`): without it Chromium silently stays in `en-US`. `LC_ALL` and
 * `LC_MESSAGES` would outrank `LANG`, so they are removed.
 */
export function uiLanguageEnv(locale: string): Record<string, string | undefined> {
  return { LANGUAGE: locale, LANG: `${locale}.UTF-8`, LC_ALL: undefined, LC_MESSAGES: undefined };
}

/** This process's environment with `changes` applied (`undefined` removes a variable). */
function withEnv(changes: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...process.env, ...changes })) {
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Reads `background.service_worker` from the built manifest, failing with a hint when there is no build. */
function readServiceWorkerPath(extensionPath: string): string {
  const manifestPath = path.join(extensionPath, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new Error(
      `No built extension at ${extensionPath} (${manifestPath} does not exist): run \`npm run build\` first.`,
    );
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { background?: { service_worker?: unknown } };
  const script = manifest.background?.service_worker;
  if (typeof script !== 'string' || script === '') {
    throw new Error(`${manifestPath} declares no background.service_worker: is this the built Framelock extension?`);
  }
  return script.replace(/^\/+/, '');
}

/** Closes the browser (SIGKILL if it hangs) and removes the profile directory (unless kept). Never throws. */
async function shutdown(browser: Browser | undefined, userDataDir: string, keepProfile = false): Promise<void> {
  if (browser !== undefined) {
    const closedInTime = await withTimeout(browser.close(), 10_000, 'Chromium to close').then(
      () => true,
      () => false,
    );
    if (!closedInTime) browser.process()?.kill('SIGKILL');
  }
  if (keepProfile) return;
  await rm(userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }).catch((error: unknown) => {
    console.warn(`Could not remove the temporary Chromium profile ${userDataDir}: ${errorMessage(error)}`);
  });
}

/** Resolves like `promise`, or rejects if it takes longer than `timeoutMs`. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, description: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The id of the tab of `ext` whose URL contains `urlPart`, from its service worker (waits for such a tab). */
export function tabIdOf(ext: ExtensionBrowser, urlPart: string): Promise<number> {
  return waitFor(
    () =>
      ext.serviceWorker.evaluate(
        async (part: string) => (await chrome.tabs.query({})).find((t) => t.url?.includes(part))?.id ?? null,
        urlPart,
      ),
    { description: `a tab at …${urlPart}` },
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
