/**
 * Smoke test of the built extension (dist/) in real headless Chromium: it loads, its MV3 service worker runs, the
 * start-up self-test passes, and the worker comes back (and re-runs the self-test) after Chrome stops it.
 */
/// <reference types="chrome" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, type ExtensionBrowser, launchWithExtension, waitFor } from './harness';

/** What the background writes to `chrome.storage.session` under `selfTest` once its start-up self-test has run. */
interface SelfTestResult {
  ok: boolean;
  [detail: string]: unknown;
}

/** Polls `chrome.storage.session` (from inside the service worker) until the self-test result appears. */
function waitForSelfTest(ext: ExtensionBrowser): Promise<SelfTestResult> {
  return waitFor(
    async () => {
      const items = await ext.serviceWorker.evaluate(() => chrome.storage.session.get('selfTest'));
      return items.selfTest as SelfTestResult | undefined;
    },
    { description: 'the background to write `selfTest` to chrome.storage.session', timeoutMs: 10_000 },
  );
}

describe.skipIf(!chromiumAvailable)('extension smoke test (headless Chromium)', () => {
  let ext: ExtensionBrowser;

  beforeAll(async () => {
    ext = await launchWithExtension();
  });

  afterAll(async () => {
    await ext?.close();
  });

  it('loads the extension and runs its MV3 service worker', async () => {
    expect(ext.extensionId).toMatch(/^[a-p]{32}$/);
    const manifest = await ext.serviceWorker.evaluate(() => {
      const { name, manifest_version } = chrome.runtime.getManifest();
      return { name, manifest_version, id: chrome.runtime.id };
    });
    expect(manifest).toEqual({ name: 'Framelock', manifest_version: 3, id: ext.extensionId });
  });

  it('passes its start-up self-test', async () => {
    const result = await waitForSelfTest(ext);
    expect(result, `self-test result: ${JSON.stringify(result)}`).toMatchObject({ ok: true });
  });

  it('answers again after its service worker is stopped, and re-runs the self-test', async () => {
    await waitForSelfTest(ext);
    // Forget the result, so that seeing it again proves the worker really started over.
    await ext.serviceWorker.evaluate(() => chrome.storage.session.remove('selfTest'));

    await ext.stopServiceWorker();
    await ext.wakeServiceWorker();

    const name = await ext.serviceWorker.evaluate(() => chrome.runtime.getManifest().name);
    expect(name).toBe('Framelock');
    const result = await waitForSelfTest(ext);
    expect(result, `self-test result after restart: ${JSON.stringify(result)}`).toMatchObject({ ok: true });
  });
});
