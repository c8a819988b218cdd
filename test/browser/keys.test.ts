/**
 * The key lifecycle in real browsers, on the rotation test build (dist-test: 6-second epochs, a re-key every 5 s, a
 * clock the test can shift): calls that keep decrypting across epoch boundaries and re-keys, a passphrase changed and changed back mid-call, a
 * clock outside the tolerance, the service worker stopped mid-call, a reload that never reuses a KID, and what
 * IndexedDB holds.
 */
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../../demo/server';
import { kidEpoch, kidSenderId } from '../../src/codecs';
import type { TabStatus, TransformStats } from '../../src/shared/messages';
import {
  createFakeMedia,
  type FakeMedia,
  framelockTransforms,
  launchExtensionParticipant,
  startCall,
  videoFlowing,
  waitForProtectedCall,
  waitForRemotePattern,
  waitForTransform,
} from './call';
import { chromiumAvailable, type ExtensionBrowser, ROTATION_TEST_EXTENSION_PATH, waitFor } from './harness';
import { enableSiteThroughOptions, OPTIONS_PAGE } from './permissions';

/** The rotation test build's epoch (vite.config.ts, ROTATION_TEST_EPOCH_MS). */
const EPOCH_MS = 6_000;
const PASSPHRASE = 'correct horse battery staple';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the remote video of `page` stops (`false`) or keeps (`true`) being decoded. */
async function waitForVideoFlowing(page: Page, flowing: boolean, description: string): Promise<void> {
  await waitFor(async () => (await videoFlowing(page, 1_000)) === flowing, { description, timeoutMs: 20_000 });
}

/** The remote KIDs each of `ext`'s receivers of `room` saw, from its per-KID counters. */
async function receivedKids(
  ext: ExtensionBrowser,
  room: string,
): Promise<Map<bigint, { protected: number; undecryptable: number }>> {
  const kids = new Map<bigint, { protected: number; undecryptable: number }>();
  for (const s of await framelockTransforms(ext, room)) {
    if (s.side !== 'receive') continue;
    for (const entry of s.byKid ?? []) kids.set(BigInt(entry.kid), entry);
  }
  return kids;
}

function receivers(stats: TransformStats[]): TransformStats[] {
  return stats.filter((s) => s.side === 'receive');
}

async function tabStatus(ext: ExtensionBrowser, room: string): Promise<TabStatus | undefined> {
  return (await ext.serviceWorker.evaluate(async (roomId: string) => {
    const tabs = await chrome.tabs.query({});
    const tab = tabs.find((t) => t.url?.includes(`room=${roomId}`));
    return tab === undefined ? undefined : (await chrome.storage.session.get(`tab:${tab.id}`))[`tab:${tab.id}`];
  }, room)) as TabStatus | undefined;
}

describe.skipIf(!chromiumAvailable)('the key lifecycle (rotation test build, headless Chromium)', () => {
  let server: DemoServer;
  let media: FakeMedia;
  let alice: ExtensionBrowser;
  let bob: ExtensionBrowser;
  const pages: Page[] = [];

  async function page(browser: { newPage(): Promise<Page> }): Promise<Page> {
    const p = await browser.newPage();
    pages.push(p);
    return p;
  }

  beforeAll(async () => {
    server = await startDemoServer();
    media = await createFakeMedia();
    const launch = { extensionPath: ROTATION_TEST_EXTENSION_PATH };
    alice = await launchExtensionParticipant(server.url, PASSPHRASE, media, launch);
    bob = await launchExtensionParticipant(server.url, PASSPHRASE, media, launch);
  });

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close()]);
    await server?.close();
    await media?.cleanup();
  });

  it('keeps decoding across epoch boundaries and periodic re-keys, with no undecryptable frame', async () => {
    const call = await startCall({ browsers: [await page(alice.browser), await page(bob.browser)], url: server.url });
    await waitForProtectedCall([alice, bob], call.room);
    // Generations seen (a KID's 4 generation bits): the test build re-keys every 5 s, and its epochs (which seal the
    // exchange) last 6 s, so 3.5 epochs cross three epoch boundaries and several switches of each sender.
    const generations = new Set<number>();
    const dropped = async () =>
      (await Promise.all([alice, bob].map((ext) => framelockTransforms(ext, call.room))))
        .flat()
        .reduce((sum, s) => sum + s.dropped, 0);
    const droppedBefore = await dropped();
    const started = Date.now();
    // Watch 3.5 epochs: every receiver decrypts, and no frame ever fails.
    while (Date.now() - started < 3.5 * EPOCH_MS) {
      for (const ext of [alice, bob]) {
        for (const [kid] of await receivedKids(ext, call.room)) generations.add(kidEpoch(kid));
        for (const s of receivers(await framelockTransforms(ext, call.room))) {
          expect(s.undecryptable, `${s.kind} ${s.lastError ?? ''}`).toBe(0);
        }
      }
      await sleep(500);
    }
    expect(generations.size, `generations seen: ${[...generations]}`).toBeGreaterThanOrEqual(4);
    // The gap at a rotation is a benchmark figure, not an assertion: printed for the record.
    console.log(
      `rotation: ${generations.size} generations seen, ${(await dropped()) - droppedBefore} frames dropped in total`,
    );
    for (const p of call.pages) expect(await videoFlowing(p)).toBe(true);
    await Promise.all(call.pages.map((p) => waitForRemotePattern(p)));
    for (const s of receivers(await framelockTransforms(bob, call.room))) {
      expect(s.status).toBe('encrypted');
      expect(s.undecryptable).toBe(0);
    }
    await call.hangUp();
  });

  it('a passphrase changed on one side shows "cannot decrypt" on the other; changing it back restores the call', async () => {
    const call = await startCall({ browsers: [await page(alice.browser), await page(bob.browser)], url: server.url });
    await waitForProtectedCall([alice, bob], call.room);
    await enableSiteThroughOptions(bob, server.url, 'a different passphrase entirely');
    // Alice cannot decrypt Bob any more (and Bob cannot decrypt Alice): both say so, neither shows the other.
    for (const ext of [alice, bob]) {
      await waitForTransform(
        ext,
        call.room,
        'video undecryptable after the change',
        (s) => s.side === 'receive' && s.kind === 'video' && s.status === 'undecryptable',
      );
    }
    // A <video> keeps its last frame: what shows the change is that nothing new is decoded on either side.
    for (const p of call.pages) await waitForVideoFlowing(p, false, 'no more frames decoded after the change');
    await enableSiteThroughOptions(bob, server.url, PASSPHRASE);
    for (const ext of [alice, bob]) {
      await waitForTransform(
        ext,
        call.room,
        'video decrypted again',
        (s) => s.side === 'receive' && s.kind === 'video' && s.status === 'encrypted',
      );
    }
    for (const p of call.pages) await waitForVideoFlowing(p, true, 'frames decoded again');
    await Promise.all(call.pages.map((p) => waitForRemotePattern(p)));
    await call.hangUp();
  });

  it('keeps decrypting when the service worker is stopped mid-call, across epoch boundaries', async () => {
    const call = await startCall({ browsers: [await page(alice.browser), await page(bob.browser)], url: server.url });
    await waitForProtectedCall([alice, bob], call.room);
    for (const ext of [alice, bob]) await ext.stopServiceWorker();
    // Two boundaries: the bridges need the next epochs' keys from workers that start cold, from IndexedDB.
    await sleep(2 * EPOCH_MS + 1_000);
    for (const p of call.pages) expect(await videoFlowing(p)).toBe(true);
    await Promise.all(call.pages.map((p) => waitForRemotePattern(p)));
    for (const ext of [alice, bob]) {
      await ext.getServiceWorker();
      const before = receivers(await framelockTransforms(ext, call.room));
      await sleep(1_500);
      const after = receivers(await framelockTransforms(ext, call.room));
      for (const s of after) {
        const earlier = before.find((b) => b.id === s.id);
        expect(s.protected, `${s.kind} keeps decrypting`).toBeGreaterThan(earlier?.protected ?? 0);
        expect(s.undecryptable).toBe(0);
      }
    }
    await call.hangUp();
  });

  it('a reload resumes encryption under new KIDs: no sender id (so no key and nonce) is used twice', async () => {
    const first = await startCall({ browsers: [await page(alice.browser), await page(bob.browser)], url: server.url });
    await waitForProtectedCall([alice, bob], first.room, 30);
    const before = [...(await receivedKids(bob, first.room)).keys()].map(kidSenderId);
    // Reload both pages into the same room's successor (a new page load: a new worker, new senders).
    const second = await startCall({ browsers: first.pages, url: server.url });
    await waitForProtectedCall([alice, bob], second.room, 30);
    const after = [...(await receivedKids(bob, second.room)).keys()].map(kidSenderId);
    expect(before.length).toBeGreaterThanOrEqual(2); // audio and video
    expect(after.length).toBeGreaterThanOrEqual(2);
    for (const id of after) expect(before).not.toContain(id);
    // One sender id per track: audio and video never share one.
    const sendKids = (await framelockTransforms(alice, second.room)).filter((s) => s.side === 'send' && s.kid);
    expect(new Set(sendKids.map((s) => kidSenderId(BigInt(s.kid as string)))).size).toBe(sendKids.length);
    await second.hangUp();
  });

  it('tells a participant whose clock is off by more than the tolerance, and recovers when it is fixed', async () => {
    const call = await startCall({ browsers: [await page(alice.browser), await page(bob.browser)], url: server.url });
    await waitForProtectedCall([alice, bob], call.room);
    // Bob's clock jumps 3 epochs ahead (the test build's clock offset); his bridge follows it within one boundary.
    await bob.serviceWorker.evaluate((ms: number) => chrome.storage.local.set({ testClockOffsetMs: ms }), 3 * EPOCH_MS);
    const status = await waitFor(
      async () => {
        const s = await tabStatus(bob, call.room);
        return s?.problems.includes('clock_skew') ? s : undefined;
      },
      { description: "bob's tab reports clock_skew", timeoutMs: 4 * EPOCH_MS },
    );
    // -3 once both clocks settled; -2 while Alice's side had not crossed the boundary Bob's clock jumped past.
    expect(status.clockSkew).toBeLessThanOrEqual(-2);
    for (const p of call.pages) await waitForVideoFlowing(p, false, 'no frames decoded across the clock gap');
    // The options page says it in words.
    const options = await bob.openExtensionPage(OPTIONS_PAGE);
    await options.waitForFunction(() => /Your clock is off/.test(document.body.textContent ?? ''), { timeout: 10_000 });
    await options.close();
    await bob.serviceWorker.evaluate(() => chrome.storage.local.remove('testClockOffsetMs'));
    await waitForTransform(
      alice,
      call.room,
      'alice decrypts bob again',
      (s) => s.side === 'receive' && s.kind === 'video' && s.status === 'encrypted',
      4 * EPOCH_MS,
    );
    for (const p of call.pages) await waitForVideoFlowing(p, true, 'frames decoded again');
    await Promise.all(call.pages.map((p) => waitForRemotePattern(p)));
    await call.hangUp();
  });

  it('migrates a version 1 database: the PBKDF2 key is erased, the site stays enabled and asks for the passphrase', async () => {
    const ext = await launchExtensionParticipant(server.url, PASSPHRASE, media, {
      extensionPath: ROTATION_TEST_EXTENSION_PATH,
    });
    try {
      const origin = new URL(server.url).origin;
      // Replace the database with what version 1 of the extension stored: one PBKDF2-derived key per site.
      await ext.serviceWorker.evaluate(async (site: string) => {
        await new Promise<void>((resolve, reject) => {
          const request = indexedDB.deleteDatabase('framelock');
          request.onsuccess = () => resolve();
          request.onerror = () => reject(request.error);
        });
        const passphrase = await crypto.subtle.importKey('raw', new TextEncoder().encode('old'), 'PBKDF2', false, [
          'deriveBits',
        ]);
        const bits = await crypto.subtle.deriveBits(
          { name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(8), iterations: 1_000 },
          passphrase,
          256,
        );
        const roomKey = await crypto.subtle.importKey('raw', bits, 'HKDF', false, ['deriveBits']);
        await new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('framelock', 1);
          open.onupgradeneeded = () => {
            const sites = open.result.createObjectStore('sites', { keyPath: 'origin' });
            open.result.createObjectStore('revoked', { keyPath: 'origin' });
            sites.put({ origin: site, enabledAt: 1_700_000_000_000, roomKey, problems: ['cross_origin_frame'] });
          };
          open.onsuccess = () => {
            open.result.close();
            resolve();
          };
          open.onerror = () => reject(open.error);
        });
      }, origin);
      await ext.stopServiceWorker();
      const worker = await ext.wakeServiceWorker();
      const options = await ext.openExtensionPage(OPTIONS_PAGE);
      const sites = (await options.evaluate(() => chrome.runtime.sendMessage({ type: 'sites/list' }))) as {
        ok: boolean;
        sites: { origin: string; enabledAt: number; rooms: unknown[]; problems: string[] }[];
      };
      expect(sites.ok).toBe(true);
      expect(sites.sites).toEqual([
        expect.objectContaining({ origin, enabledAt: 1_700_000_000_000, rooms: [], problems: ['cross_origin_frame'] }),
      ]);
      const version = await worker.evaluate(async () => {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const open = indexedDB.open('framelock');
          open.onsuccess = () => resolve(open.result);
          open.onerror = () => reject(open.error);
        });
        db.close();
        return db.version;
      });
      expect(version).toBe(2);
      await options.waitForFunction(() => /no passphrase/i.test(document.body.textContent ?? ''), { timeout: 10_000 });
      await options.close();
    } finally {
      await ext.close();
    }
  });

  it('IndexedDB holds only non-extractable keys and never the passphrase; no storage area holds it either', async () => {
    const found = (await alice.serviceWorker.evaluate(async (passphrase: string) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open('framelock');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const keys: { extractable: boolean; algorithm: string; usages: string[] }[] = [];
      const strings: string[] = [];
      const binary: string[] = [];
      const walk = (value: unknown, where: string): void => {
        if (value instanceof CryptoKey) {
          keys.push({ extractable: value.extractable, algorithm: value.algorithm.name, usages: [...value.usages] });
        } else if (typeof value === 'string') {
          strings.push(value);
        } else if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
          binary.push(where);
        } else if (typeof value === 'object' && value !== null) {
          for (const [k, v] of Object.entries(value)) walk(v, `${where}.${k}`);
        }
      };
      for (const storeName of [...db.objectStoreNames]) {
        const records = await new Promise<unknown[]>((resolve, reject) => {
          const request = db.transaction(storeName).objectStore(storeName).getAll();
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
        for (const [i, record] of records.entries()) walk(record, `${storeName}[${i}]`);
      }
      const areas = {
        local: await chrome.storage.local.get(null),
        session: await chrome.storage.session.get(null),
        sync: await chrome.storage.sync.get(null),
      };
      const serialized = JSON.stringify(areas) + JSON.stringify(strings);
      return {
        version: db.version,
        stores: [...db.objectStoreNames],
        keys,
        binary,
        containsPassphrase: serialized.includes(passphrase),
        syncKeys: Object.keys(areas.sync),
      };
    }, PASSPHRASE)) as {
      version: number;
      stores: string[];
      keys: { extractable: boolean; algorithm: string; usages: string[] }[];
      binary: string[];
      containsPassphrase: boolean;
      syncKeys: string[];
    };
    expect(found.version).toBe(2);
    expect(found.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of found.keys)
      expect(key).toEqual({ extractable: false, algorithm: 'HKDF', usages: ['deriveBits'] });
    expect(found.binary).toEqual([]); // no raw bytes of any kind
    expect(found.containsPassphrase).toBe(false);
    expect(found.syncKeys).toEqual([]);
  });
});
