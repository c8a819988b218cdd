/**
 * A Chromium profile with the built extension loaded and a site enabled the way a person would: the host permission
 * is pre-granted in the profile (Chromium cannot answer a permission prompt headless; DESIGN.md §5 "Granting a site
 * in tests"), then the real options page enables the site, and its own `permissions.request()` resolves at once.
 *
 * Used by `npm start` (scripts/start.ts), which may run headed: test/browser/permissions.ts does the same for the
 * tests, but through the test harness, which is headless only. The options page's control names come from there.
 */
/// <reference types="chrome" />
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { OPTIONS_CONTROLS } from '../test/browser/permissions';

export interface ExtensionProfileOptions {
  chromiumPath: string;
  /** The unpacked extension (dist/). */
  extensionPath: string;
  /** Profile directory (kept: the caller removes it). */
  userDataDir: string;
  headless: boolean;
  /** Extra Chromium arguments. */
  args?: string[];
}

export interface ExtensionProfile {
  browser: Browser;
  extensionId: string;
  extensionPath: string;
}

/** Arguments for every launch: no first-run noise, fake devices without a prompt, autoplay allowed. */
const CHROMIUM_ARGS = [
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

/** Launches Chromium with the extension and waits for its service worker, whose URL names the extension id. */
export async function launchExtensionProfile(options: ExtensionProfileOptions): Promise<ExtensionProfile> {
  const { extensionPath } = options;
  const browser = await puppeteer.launch({
    executablePath: options.chromiumPath,
    headless: options.headless,
    userDataDir: options.userDataDir,
    defaultViewport: options.headless ? { width: 1000, height: 800 } : null,
    // Puppeteer passes --disable-extensions by default, which would keep ours from loading.
    ignoreDefaultArgs: ['--disable-extensions'],
    args: [
      ...CHROMIUM_ARGS,
      ...(options.headless ? ['--no-sandbox', '--disable-gpu'] : []),
      `--load-extension=${extensionPath}`,
      `--disable-extensions-except=${extensionPath}`,
      ...(options.args ?? []),
    ],
  });
  try {
    const worker = await browser.waitForTarget(
      (target) => target.type() === 'service_worker' && target.url().startsWith('chrome-extension://'),
      { timeout: 30_000 },
    );
    return { browser, extensionId: new URL(worker.url()).host, extensionPath };
  } catch (error) {
    await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
    throw new Error(`The extension in ${extensionPath} did not start its service worker: ${String(error)}`);
  }
}

/**
 * Records host permissions as already granted to the extension in a profile Chromium is *not* running (it rewrites
 * `Preferences` on exit): `extensions.settings.<id>.{active,granted}_permissions.explicit_host`.
 *
 * @throws if the profile has never loaded the extension (launch it once first).
 */
export async function grantHostPermissions(
  userDataDir: string,
  extensionId: string,
  patterns: string[],
): Promise<void> {
  const file = path.join(userDataDir, 'Default', 'Preferences');
  const preferences = JSON.parse(await readFile(file, 'utf8')) as {
    extensions?: { settings?: Record<string, Record<string, { explicit_host?: string[] } | undefined>> };
  };
  const settings = preferences.extensions?.settings?.[extensionId];
  if (settings === undefined) throw new Error(`${file} has no settings for extension ${extensionId}`);
  for (const key of ['active_permissions', 'granted_permissions']) {
    const permissions = settings[key] ?? {};
    permissions.explicit_host = [...new Set([...(permissions.explicit_host ?? []), ...patterns])];
    settings[key] = permissions;
  }
  await writeFile(file, JSON.stringify(preferences));
}

/**
 * Enables `origin` with `passphrase` through the extension's options page, as a person would: fills the fields
 * labelled "Site" and "Passphrase", waits for the passphrase's strength estimate, clicks "Enable", and waits until the
 * background lists the site. The passphrase must be strong (zxcvbn score 4): the form refuses a weak one.
 *
 * @returns the options page (left open).
 * @throws with the page's visible error, if any, when the site is not enabled within `timeoutMs`.
 */
export async function enableSiteThroughOptions(
  profile: ExtensionProfile,
  origin: string,
  passphrase: string,
  timeoutMs = 20_000,
): Promise<Page> {
  const manifest = JSON.parse(await readFile(path.join(profile.extensionPath, 'manifest.json'), 'utf8')) as {
    options_page?: string;
  };
  if (manifest.options_page === undefined) throw new Error(`${profile.extensionPath} has no options page`);
  const page = await profile.browser.newPage();
  await page.goto(`chrome-extension://${profile.extensionId}/${manifest.options_page}`, { waitUntil: 'load' });
  await page.locator(OPTIONS_CONTROLS.site).fill(origin);
  await page.locator(OPTIONS_CONTROLS.passphrase).fill(passphrase);
  // Enable refuses a typed passphrase until the form has estimated its strength (and refuses a weak one outright):
  // wait for the estimate, as a person sees the strength line fill in.
  await page.waitForFunction(
    () => /^Strength: (weak|strong)/.test(document.getElementById('passphrase-strength')?.textContent ?? ''),
    { timeout: timeoutMs, polling: 50 },
  );
  await page.locator(OPTIONS_CONTROLS.enable).click();
  const enabled = await page
    .waitForFunction(
      async (wanted: string) => {
        const response = await chrome.runtime.sendMessage({ type: 'sites/list' });
        return (response?.sites ?? []).some((site: { origin: string }) => site.origin === wanted);
      },
      { timeout: timeoutMs, polling: 250 },
      origin,
    )
    .then(
      () => true,
      () => false,
    );
  if (!enabled) {
    const shown = await page.evaluate(() =>
      [...document.querySelectorAll('.error, [role="alert"]')].map((e) => e.textContent?.trim()).join(' | '),
    );
    throw new Error(
      `The options page did not enable ${origin} within ${timeoutMs} ms. It shows: ${shown || 'no error'}`,
    );
  }
  return page;
}
