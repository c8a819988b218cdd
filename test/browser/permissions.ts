/**
 * Host permissions for real-browser tests, and enabling a site through the real options page.
 *
 * Headless Chromium cannot answer `chrome.permissions.request()`: no prompt can be shown, and no switch or DevTools
 * method accepts one, so the promise never settles. What works (DESIGN.md §5): launch once with a fresh profile,
 * close it, add the sites' match patterns to the extension's granted and active host permissions in the profile's
 * `Default/Preferences`, and launch again with the same profile. `permissions.request()` for those sites then
 * resolves `true` at once, so the options page's real code path (request, then `sites/enable`) runs unchanged.
 *
 * ```ts
 * const ext = await launchWithSiteGranted(['http://127.0.0.1:8080']);
 * await enableSiteThroughOptions(ext, 'http://127.0.0.1:8080', 'correct horse battery staple');
 * ```
 *
 * Never ship a build with broader host permissions to make a test pass.
 */
/// <reference types="chrome" />
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { matchPatternFor, normalizeOrigin } from '../../src/shared/origin';
import { type ExtensionBrowser, type LaunchOptions, launchWithExtension } from './harness';

/** The options page, relative to the extension root (`options_page` in the manifest). */
export const OPTIONS_PAGE = 'src/options/index.html';

/** Accessible names of the options page's controls, which tests (and people using screen readers) rely on. */
export const OPTIONS_CONTROLS = {
  site: '::-p-aria(Site[role="textbox"])',
  // A password field has no ARIA role: match an input by its name (the show/hide toggle is named "Show passphrase";
  // Firefox also names the field's <label> "Passphrase").
  passphrase: 'input::-p-aria([name="Passphrase"])',
  room: '::-p-aria(Room[role="textbox"])',
  generatePassphrase: '::-p-aria([name="Generate passphrase"][role="button"])',
  copyPassphrase: '::-p-aria([name="Copy passphrase"][role="button"])',
  showPassphrase: '::-p-aria([name="Show passphrase"][role="button"])',
  enable: '::-p-aria(Enable[role="button"])',
  /** Shown under a typed passphrase estimated weak: Enable refuses it until this is ticked (its name says the risk). */
  weakOverride:
    '::-p-aria([name="Use this weak passphrase anyway: anyone who records a call can guess it offline."][role="checkbox"])',
  disable: '::-p-aria(Disable[role="button"])',
  /** One per room not in use; its description is the room's name. */
  useRoom: '::-p-aria([name="Use this room"][role="button"])',
  /** One per room; its description is the room's name. */
  forgetRoom: '::-p-aria(Forget[role="button"])',
  /** One per site (in the site's "Settings" group); its description explains it. */
  strictMode: '::-p-aria([name="Strict mode"][role="checkbox"])',
  /** One per site (in the site's "Settings" group), on by default; its description explains it. */
  indicator: '::-p-aria([name="In-page indicator"][role="checkbox"])',
  /** The heading of the section on what Framelock protects and what it does not. */
  about: '::-p-aria([name="About Framelock"][role="heading"])',
} as const;

/**
 * How long enabling may take: Argon2id (about 0.4-1 s on a desktop core, several seconds on a slow, busy CI core),
 * plus the registration.
 */
const ENABLE_TIMEOUT_MS = 30_000;

/**
 * Launches Chromium with the extension and the host permissions of `origins` already granted, as if the user had
 * accepted the permission prompt for each. `origins` are site origins (`http://127.0.0.1:8080`,
 * `meet.example.org`): each is granted through the extension's own match pattern for it (`matchPatternFor`, port
 * included).
 *
 * @throws if an origin is not valid, the profile has no settings for the extension, or Chromium ignores the grant.
 */
export async function launchWithSiteGranted(
  origins: readonly string[],
  options: Omit<LaunchOptions, 'userDataDir'> = {},
): Promise<ExtensionBrowser> {
  const patterns = origins.map((input) => {
    const result = normalizeOrigin(input);
    if (!result.ok) throw new Error(`launchWithSiteGranted: ${JSON.stringify(input)}: ${result.error}`);
    return matchPatternFor(result.origin);
  });

  // 1. A first run creates the profile and records the extension (id, paths, permissions) in its Preferences.
  const first = await launchWithExtension({ ...options, keepProfile: true });
  const { extensionId, userDataDir } = first;
  await first.close();

  try {
    // 2. Grant the patterns, as Chrome itself records an accepted permissions.request().
    await grantInPreferences(userDataDir, extensionId, patterns);
    // 3. The second run reads them back.
    const ext = await launchWithExtension({ ...options, userDataDir });
    try {
      const granted = await ext.serviceWorker.evaluate(
        (wanted: string[]) => chrome.permissions.contains({ origins: wanted }),
        patterns,
      );
      if (!granted) {
        throw new Error(
          `Chromium ignored the host permissions written to ${userDataDir}/Default/Preferences ` +
            `(${patterns.join(', ')}): has the way it stores extension permissions changed?`,
        );
      }
      return ext;
    } catch (error) {
      await ext.close();
      throw error;
    }
  } catch (error) {
    if (!options.keepProfile) await rm(userDataDir, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
}

/** Adds `patterns` to the extension's active and granted explicit host permissions in `<profile>/Default/Preferences`. */
async function grantInPreferences(
  userDataDir: string,
  extensionId: string,
  patterns: readonly string[],
): Promise<void> {
  const file = path.join(userDataDir, 'Default', 'Preferences');
  const preferences = JSON.parse(await readFile(file, 'utf8')) as {
    extensions?: { settings?: Record<string, Record<string, unknown>> };
  };
  const settings = preferences.extensions?.settings?.[extensionId];
  if (settings === undefined) {
    throw new Error(`${file} has no extensions.settings.${extensionId}: did the first launch load the extension?`);
  }
  for (const key of ['active_permissions', 'granted_permissions']) {
    const permissions = (settings[key] ?? {}) as { explicit_host?: unknown };
    const current = Array.isArray(permissions.explicit_host) ? (permissions.explicit_host as string[]) : [];
    permissions.explicit_host = [...new Set([...current, ...patterns])];
    settings[key] = permissions;
  }
  await writeFile(file, JSON.stringify(preferences));
}

/**
 * Waits until the form on `page` (options page or popup) shows a strength estimate of the typed passphrase (or says it
 * is generated), as a person sees the strength line fill in: until then Enable refuses a typed passphrase, because the
 * estimator (zxcvbn, ~1.7 MB) may still be loading and the rule fails closed.
 *
 * @returns the strength line.
 */
export async function waitForPassphraseEstimate(page: Page, timeoutMs = 20_000): Promise<string> {
  const line = await page.waitForFunction(
    () => {
      const text = document.getElementById('passphrase-strength')?.textContent ?? '';
      return /^Strength: (weak|strong|could not be estimated)/.test(text) ? text : false;
    },
    { timeout: timeoutMs, polling: 50 },
  );
  return (await line.jsonValue()) as string;
}

export interface EnableThroughOptionsOptions {
  /** An options page to use (left open). Default: open a new one, and close it afterwards. */
  page?: Page;
  /** The room to type into "Room". Default: none (the field is left empty: the site's default room). */
  room?: string;
}

/**
 * Enables `origin` with `passphrase` (in `options.room`, if given) through the real options page, as a person
 * would: types into "Site", "Room" and "Passphrase", waits for the passphrase's strength estimate, clicks "Enable",
 * and waits until the site is listed among the
 * enabled sites and the form has cleared the passphrase. Enabling a site that is enabled already sets the
 * passphrase of one of its rooms (and makes it the room in use). The site's permission must be granted already
 * (see {@link launchWithSiteGranted}), or the permission request never settles.
 *
 * @returns the normalised origin as listed.
 * @throws with the page's own message if it shows an error instead.
 */
export async function enableSiteThroughOptions(
  ext: Pick<ExtensionBrowser, 'openExtensionPage'>,
  origin: string,
  passphrase: string,
  options: EnableThroughOptionsOptions = {},
): Promise<string> {
  const normalized = normalizeOrigin(origin);
  if (!normalized.ok) throw new Error(`enableSiteThroughOptions: ${JSON.stringify(origin)}: ${normalized.error}`);
  const page = options.page ?? (await ext.openExtensionPage(OPTIONS_PAGE));
  try {
    await page.locator(OPTIONS_CONTROLS.site).fill(origin);
    await fillOrClear(page, OPTIONS_CONTROLS.room, options.room ?? '');
    await page.locator(OPTIONS_CONTROLS.passphrase).fill(passphrase);
    // A typed passphrase enables only once estimated (and strong: a weak one is refused, and the outcome below says so).
    await waitForPassphraseEstimate(page);
    await page.locator(OPTIONS_CONTROLS.enable).click();
    const outcome = await page.waitForFunction(
      (expected: string) => {
        const listed = [...document.querySelectorAll('.site-origin')].some((node) => node.textContent === expected);
        // The form clears the passphrase once the site is enabled: both together mean "done".
        const cleared = (document.getElementById('passphrase') as HTMLInputElement | null)?.value === '';
        if (listed && cleared) return { ok: true as const };
        const errors = [...document.querySelectorAll('.error')].map((node) => node.textContent ?? '');
        return errors.length > 0 ? { ok: false as const, errors } : false;
      },
      { timeout: ENABLE_TIMEOUT_MS, polling: 50 },
      normalized.origin,
    );
    const result = (await outcome.jsonValue()) as { ok: true } | { ok: false; errors: string[] };
    if (!result.ok) {
      throw new Error(`The options page refused to enable ${origin}: ${result.errors.join(' / ')}`);
    }
    return normalized.origin;
  } finally {
    if (options.page === undefined) await page.close().catch(() => undefined);
  }
}

/**
 * Sets a text field to `value` as a person would; for "" (which `locator.fill` leaves as it is), selects everything
 * in the field and deletes it.
 */
async function fillOrClear(page: Page, selector: string, value: string): Promise<void> {
  if (value !== '') {
    await page.locator(selector).fill(value);
    return;
  }
  const field = await page.locator(selector).waitHandle();
  try {
    if ((await field.evaluate((input) => (input as HTMLInputElement).value)) === '') return;
    await field.click();
    await page.keyboard.down('Control');
    await page.keyboard.press('KeyA');
    await page.keyboard.up('Control');
    await page.keyboard.press('Backspace');
  } finally {
    await field.dispose();
  }
}

/** Sends a UI request from an extension page (as the options page does) and returns the background's answer. */
export async function sendFromExtensionPage(page: Page, message: unknown): Promise<unknown> {
  return page.evaluate((m: unknown) => chrome.runtime.sendMessage(m), message);
}
