/**
 * A hostile page (test/pages/hostile/main.ts, the page's first script with `?hostile=1`) against the key hand-off
 * (DESIGN.md §1-2): it replaces MessageEvent data/ports, postMessage on workers, ports and windows, addEventListener
 * and on* handlers, crypto.subtle, Promise (then, the constructor, thenables, `await`), Function.prototype.call/apply
 * and array iteration, re-applies its hooks at DOMContentLoaded, load and once the call connects, and records all it
 * sees. Two Framelock profiles with the same passphrase call each other through it: the call must work, encrypted, and
 * the page must never see a key, a port or nonce of the hand-off, or the passphrase. Then the page forges the hand-off,
 * attacks the transforms, and attacks them from other realms of its own.
 */
import type { Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TransformStats } from '../../src/shared/messages';
import type { ChildKind, HostileApi, HostileLog, PrehookResult, ReplacedNow } from '../pages/hostile/api';
import type { OwnWorkerLog } from '../pages/hostile-worker';
import { startTestServer, type TestServer } from '../server/test-server';
import {
  type Call,
  callStats,
  createFakeMedia,
  expectNoRemotePattern,
  type FakeMedia,
  framelockTransforms,
  killTransformWorker,
  launchExtensionParticipant,
  launchPlainChromium,
  measureAudio,
  type PlainBrowser,
  startCall,
  tabStatus,
  waitForDemoState,
  waitForProtectedCall,
  waitForRemotePattern,
  waitForTransform,
} from './call';
import { chromiumAvailable, type ExtensionBrowser, errorMessage, sleep, waitFor } from './harness';
import { OPTIONS_PAGE, sendFromExtensionPage } from './permissions';

/** Distinctive, so that finding it anywhere in the page means it leaked (no common words). */
const PASSPHRASE = 'tangerine-orbit 7 quietly folds ultraviolet';
/**
 * Tests of known bugs are expected to fail (`it.fails`) until the bug is fixed: then they fail the run, and the
 * `.fails` goes. `FRAMELOCK_SHOW_KNOWN_BUGS=1` runs them as plain tests, to read why they fail.
 */
const knownBug = process.env.FRAMELOCK_SHOW_KNOWN_BUGS ? it : it.fails;
/** How long a peer without the key is watched: several keyframe intervals. */
const NEGATIVE_WATCH_MS = 6_000;

type HostileWindow = Window & { __hostile: HostileApi };

async function hostileLog(page: Page): Promise<HostileLog> {
  return page.evaluate(() => {
    const h = (window as unknown as HostileWindow).__hostile;
    return JSON.parse(JSON.stringify(h)) as HostileLog;
  });
}

/** Alarms of the hostile page, for failure messages. */
function describeAlarms(log: HostileLog): string {
  return log.alarms.map((a) => `${a.kind} @ ${a.where} (${a.stage}): ${a.detail} ×${a.count}`).join('\n');
}

/** Sum of a counter over the transforms of one side and kind. */
function total(transforms: TransformStats[], side: 'send' | 'receive', kind: 'audio' | 'video'): number {
  return transforms.filter((s) => s.side === side && s.kind === kind).reduce((sum, s) => sum + s.protected, 0);
}

/** The problems in the tab status of the tab that runs `room` (what the popup and the badge show). */
async function tabProblems(ext: ExtensionBrowser, room: string): Promise<string[]> {
  return (await tabStatus(ext, `room=${room}`))?.problems ?? [];
}

/** Waits until the tab that runs `room` shows `problem`, and returns all its problems. */
function problemShown(ext: ExtensionBrowser, room: string, problem: string): Promise<string[]> {
  return waitFor(
    async () => {
      const problems = await tabProblems(ext, room);
      return problems.includes(problem) ? problems : false;
    },
    { description: `${problem} to reach the tab status` },
  );
}

/**
 * The page replaces every transform of alice's (2 senders, 2 receivers) with its own pass-through, through the untouched
 * native setter of a srcdoc frame it reaches before Framelock's page script runs there; then waits until Framelock has
 * put its own back on every one. Returns what the page's transforms got.
 *
 * `ready`: the page's transforms are built and running before the swap, so they take frames at once: the hardest case
 * for the restore, which lets a frame or so per sender out in about half the attacks (docs/threat-model.md). `own`: they
 * are built during the swap, and their new workers start only after Framelock has restored its own (none got a frame in
 * the measurements). Tests that assert what a keyless peer shows use `own`: with `ready`, a leaked frame is now and then
 * a keyframe (a keyless peer keeps asking for them), which that peer shows.
 */
async function replaceFromEarlyRealm(page: Page, replacement: 'own' | 'ready', busyMs = 0): Promise<ReplacedNow> {
  const attempt = await page.evaluate(
    (r: 'own' | 'ready', busy: number) =>
      (window as unknown as HostileWindow).__hostile.crossRealmClear(r, 'early', busy),
    replacement,
    busyMs,
  );
  // Nothing stopped the setter: right after the attempt, every endpoint carried the page's transform.
  expect(Object.values(attempt.kept), JSON.stringify(attempt)).toEqual([false, false, false, false]);
  return waitFor(
    async () => {
      const now = await page.evaluate(() => (window as unknown as HostileWindow).__hostile.replacedNow());
      const restored = now.endpoints.length === 4 && now.endpoints.every((e) => !e.stillReplaced && e.hasTransform);
      return restored ? now : false;
    },
    { description: 'Framelock to put its transforms back' },
  );
}

/**
 * Makes an RTCPeerConnection in `page` and keeps it (`window.__made`): 'made', or the name of the error it threw
 * (a blocked site's page refuses with NotSupportedError).
 */
function newConnection(page: Page): Promise<string> {
  return page.evaluate(() => {
    try {
      (window as unknown as { __made: RTCPeerConnection[] }).__made ??= [];
      (window as unknown as { __made: RTCPeerConnection[] }).__made.push(new RTCPeerConnection());
      return 'made';
    } catch (error) {
      return (error as DOMException).name;
    }
  });
}

/**
 * The page of a blocked site: every connection it made is closed, and new ones are refused (the block comes from the
 * background a moment after the page starts, so a connection made before it must be closed when it comes).
 */
async function expectBlocked(page: Page): Promise<void> {
  await waitFor(async () => (await newConnection(page)) === 'NotSupportedError', {
    description: `${page.url()} to refuse new connections`,
  });
  const open = await page.evaluate(
    () =>
      ((window as unknown as { __made?: RTCPeerConnection[] }).__made ?? []).filter(
        (pc) => pc.signalingState !== 'closed',
      ).length,
  );
  expect(open, 'connections of the blocked page still open').toBe(0);
}

/** Waits until the page decodes more remote video frames (a frozen last frame would still show the pattern). */
async function decodesVideo(page: Page): Promise<void> {
  const decoded = async () =>
    (await callStats(page)).inbound.filter((s) => s.kind === 'video').reduce((n, s) => n + s.framesDecoded, 0);
  const before = await decoded();
  await waitFor(async () => (await decoded()) > before + 5, {
    description: `${page.url()} to decode more video`,
    timeoutMs: 10_000,
  });
}

/** Waits until Framelock's counters of `ext` for `room` grow past `before` (encrypting or decrypting goes on). */
async function countersGrow(
  ext: ExtensionBrowser,
  room: string,
  side: 'send' | 'receive',
  kind: 'audio' | 'video',
  before: number,
): Promise<number> {
  try {
    return await waitFor(
      async () => {
        const now = total(await framelockTransforms(ext, room), side, kind);
        return now > before + 10 ? now : false;
      },
      { description: `${side} ${kind} counters to grow past ${before}`, timeoutMs: 15_000 },
    );
  } catch (error) {
    // Say where the frames stopped: every transform of that side of the call, as its worker last reported it.
    const stats = await framelockTransforms(ext, room).catch(() => []);
    throw new Error(`${errorMessage(error)}; transforms now: ${JSON.stringify(stats)}`);
  }
}

/** What test/pages/hostile-worker.ts keeps on `window.__ownWorker`, with `now`: what its `check()` says now. */
type OwnWorkerSnapshot = Omit<OwnWorkerLog, 'check'> & { now: ReturnType<OwnWorkerLog['check']> };

type OwnWorkerWindow = Window & { __ownWorker: OwnWorkerLog };

async function ownWorkerLog(page: Page): Promise<OwnWorkerSnapshot> {
  return page.evaluate(() => {
    const log = (window as unknown as OwnWorkerWindow).__ownWorker;
    return JSON.parse(JSON.stringify({ ...log, now: log.check() })) as OwnWorkerSnapshot;
  });
}

/** Inbound video packets of the page, all streams. */
async function videoPacketsIn(page: Page): Promise<number> {
  return (await callStats(page)).inbound.filter((s) => s.kind === 'video').reduce((n, s) => n + s.packetsReceived, 0);
}

describe.skipIf(!chromiumAvailable)('a hostile page (headless Chromium, built extension)', () => {
  let server: TestServer;
  let media: FakeMedia;
  let alice: ExtensionBrowser;
  let bob: ExtensionBrowser;
  const pages: Page[] = [];

  async function newPage(browser: { newPage(): Promise<Page> }): Promise<Page> {
    const page = await browser.newPage();
    pages.push(page);
    return page;
  }

  /** Alice (hostile page) calls bob (hostile page too, unless `bobQuery` says otherwise), both with Framelock. */
  async function hostileCall(): Promise<Call> {
    const call = await startCall({
      browsers: [await newPage(alice.browser), await newPage(bob.browser)],
      url: server.url,
      query: { hostile: '1' },
    });
    await Promise.all(call.pages.map((p) => waitForRemotePattern(p)));
    return call;
  }

  beforeAll(async () => {
    server = await startTestServer();
    media = await createFakeMedia();
    alice = await launchExtensionParticipant(server.url, PASSPHRASE, media);
    bob = await launchExtensionParticipant(server.url, PASSPHRASE, media);
  });

  afterEach(async () => {
    // Each test's pages go: open calls and cameras would slow the next one down on 2 cores.
    for (const page of pages.splice(0)) await page.close().catch(() => undefined);
  });

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close()]);
    await server?.close();
    await media?.cleanup();
  });

  it('hooks every built-in before the call, yet sees no key, port, nonce or passphrase, and the call works', async () => {
    const call = await hostileCall();
    for (const p of call.pages) expect((await measureAudio(p)).flowing).toBe(true);
    for (const received of await waitForProtectedCall([alice, bob], call.room)) {
      expect(received.status).toBe('encrypted');
    }

    for (const [i, page] of call.pages.entries()) {
      // The page reached every stage (hooks re-applied after load and once connected, transforms walked).
      await page.waitForFunction(() => (window as unknown as HostileWindow).__hostile.stage === 'connected');
      await page.evaluate(() => (window as unknown as HostileWindow).__hostile.dumpStorage());
      const search = await page.evaluate(
        (needle: string) => (window as unknown as HostileWindow).__hostile.search(needle),
        PASSPHRASE,
      );
      const log = await hostileLog(page);
      const who = i === 0 ? 'alice' : 'bob';

      expect(log.stages, who).toEqual(['first-script', 'DOMContentLoaded', 'load', 'connected']);
      expect(log.errors, who).toEqual([]);
      // The hooks were live: the page's own messages, promises and listeners went through them.
      for (const hook of [
        'MessageEvent.data',
        'Promise.then value',
        'awaited value',
        'addEventListener',
        'thenable check',
      ]) {
        expect(log.counts[hook] ?? 0, `${who}: hook ${hook} never ran`).toBeGreaterThan(0);
      }
      // Nothing Framelock must keep from the page: no CryptoKey, no foreign port or worker, no hand-off message or
      // field (nonce, keys, KIDs as BigInt), no key-sized bytes, no `framelock:` event.
      expect(log.alarms, `${who}:\n${describeAlarms(log)}`).toEqual([]);
      expect(log.framelockEvents, who).toEqual([]);
      expect(log.stringsDropped, who).toBe(0);
      // The passphrase is nowhere: not in any string the hooks saw, the DOM, storage or anything reachable from window.
      expect(search.hits, who).toEqual([]);
      expect(search.exhausted, who).toBe(true);
      expect(search.visited, who).toBeGreaterThan(1_000);
      expect(log.strings.some((s) => s.includes(PASSPHRASE))).toBe(false);
      // The patch looks native to the page.
      for (const [name, source] of Object.entries(log.natives)) {
        if (name.endsWith('configurable')) continue;
        expect(source, `${who}: ${name}`).toMatch(/^function [\w ]*\(\) \{ \[native code\] \}$/);
      }
      // Our transforms hold nothing the page can read: no own properties, nothing beyond the standard interface.
      expect(log.transforms.map((t) => `${t.side}-${t.kind}`).sort(), who).toEqual([
        'receiver-audio',
        'receiver-video',
        'sender-audio',
        'sender-video',
      ]);
      for (const transform of log.transforms) {
        expect(transform.tag).toBe('RTCRtpScriptTransform');
        const own = transform.properties.filter((p) => p.startsWith('RTCRtpScriptTransform.'));
        expect(own.map((p) => p.split(':')[0])).toEqual([
          'RTCRtpScriptTransform.constructor',
          'RTCRtpScriptTransform.Symbol(Symbol.toStringTag)',
        ]);
      }
    }
    await call.hangUp();
  });

  it('forges the hand-off after load (page hello, bridge hello, its own ports, junk): it gets nothing back, and the call goes on', async () => {
    const call = await hostileCall();
    const before = total(await framelockTransforms(bob, call.room), 'receive', 'video');
    const forged = await call.pages[0].evaluate(() => (window as unknown as HostileWindow).__hostile.forge(3_000));
    // No nonce, no answer on any port it handed over, whatever it posted there.
    expect(forged.nonces).toEqual([]);
    expect(forged.helloEvents).toBe(0);
    expect(forged.portMessages).toEqual([]);
    expect(forged.posted.length).toBeGreaterThan(5);
    const log = await hostileLog(call.pages[0]);
    expect(log.alarms, describeAlarms(log)).toEqual([]);
    expect(log.errors).toEqual([]);
    // The call still works: bob keeps decrypting alice's video, and shows it.
    await countersGrow(bob, call.room, 'receive', 'video', before);
    await decodesVideo(call.pages[1]);
    await waitForRemotePattern(call.pages[1]);
    await call.hangUp();
  });

  it('cannot start a new worker of ours, and when ours dies, sees neither the fresh nonce nor the new ports, and the call recovers', async () => {
    const call = await hostileCall();
    const alicePage = call.pages[0];
    await alicePage.waitForFunction(() => (window as unknown as HostileWindow).__hostile.stage === 'connected');
    const workers = () => alicePage.workers().map((w) => w.url());
    const first = workers();
    // A page that blocks its main thread (where the bridge's check runs too) longer than the silence that means a dead
    // worker: the worker's counters queued meanwhile count, and ours is not replaced.
    await alicePage.evaluate(() => {
      const end = Date.now() + 6_000;
      while (Date.now() < end) {
        // busy
      }
    });
    // Everything the page can say (hellos, its own ports and messages on window, junk) starts no worker.
    const forged = await alicePage.evaluate(() => (window as unknown as HostileWindow).__hostile.forge(5_000));
    expect(forged.posted.length).toBeGreaterThan(5);
    expect(workers()).toEqual(first);
    const problems = await tabProblems(alice, call.room);
    expect(problems).not.toContain('worker_restarted');
    expect(problems).not.toContain('worker_stopped');

    // Our worker dies (DevTools closes it, as a crash would): the bridge asks the page script for a new one, while the
    // page's hooks on every built-in (array iteration, MessageEvent data and ports, postMessage…) are live.
    const before = total(await framelockTransforms(bob, call.room), 'receive', 'video');
    await killTransformWorker(alicePage);
    await problemShown(alice, call.room, 'worker_restarted');
    await countersGrow(bob, call.room, 'receive', 'video', before);
    await decodesVideo(call.pages[1]);
    await waitForRemotePattern(call.pages[1]);
    const log = await hostileLog(alicePage);
    expect(log.alarms, describeAlarms(log)).toEqual([]);
    expect(log.framelockEvents).toEqual([]);
    expect(log.errors).toEqual([]);
    expect(log.counts['Array iterator'] ?? 0, 'the page’s array iterator hook ran').toBeGreaterThan(0);
    await call.hangUp();
  });

  it('cannot clear or replace our transforms by assignment, with its own transform, or by redefining the property', async () => {
    const call = await hostileCall();
    const sentBefore = total(await framelockTransforms(alice, call.room), 'send', 'video');
    const receivedBefore = total(await framelockTransforms(bob, call.room), 'receive', 'video');
    const attacks = await call.pages[0].evaluate(() =>
      (window as unknown as HostileWindow).__hostile.attackTransforms(),
    );
    const keptAll = 'kept sender:true sender:true receiver:true receiver:true';
    expect(attacks['set null']).toBe(keptAll);
    expect(attacks['set own transform']).toBe(keptAll);
    expect(attacks['redefine RTCRtpSender.prototype.transform']).toMatch(/^threw TypeError/);
    expect(attacks['delete RTCRtpSender.prototype.transform']).toBe('false');
    // Framelock keeps encrypting and bob keeps decrypting; the page's own transform workers never get a frame.
    await countersGrow(alice, call.room, 'send', 'video', sentBefore);
    await countersGrow(bob, call.room, 'receive', 'video', receivedBefore);
    await decodesVideo(call.pages[1]);
    await waitForRemotePattern(call.pages[1]);
    const own = await call.pages[0].evaluate(
      () =>
        (window as unknown as HostileWindow).__hostile.attacks.ownTransformFrames as Record<string, { frames: number }>,
    );
    expect(Object.values(own).map((o) => o.frames)).toEqual([0, 0, 0, 0]);
    // Framelock told its own UI (not the page) that the site tried to process protected media.
    expect(await tabProblems(alice, call.room)).toContain('site_processing_bypassed');
    await call.hangUp();
  });

  it('replaces our transforms through a child realm’s untouched setter: Framelock puts them back, the call goes on encrypted, and the user is told', async () => {
    const call = await hostileCall();
    await waitForProtectedCall([alice, bob], call.room);
    const ids = (await framelockTransforms(alice, call.room)).map((s) => s.id).sort();
    const sent = total(await framelockTransforms(alice, call.room), 'send', 'video');
    const received = total(await framelockTransforms(bob, call.room), 'receive', 'video');
    const bobReceived = total(await framelockTransforms(alice, call.room), 'receive', 'video');
    await replaceFromEarlyRealm(call.pages[0], 'ready');
    // Alice encrypts and bob decrypts again; alice's receivers decrypt bob again; both show the other, audio flows.
    await countersGrow(alice, call.room, 'send', 'video', sent);
    await countersGrow(bob, call.room, 'receive', 'video', received);
    await countersGrow(alice, call.room, 'receive', 'video', bobReceived);
    for (const page of call.pages) {
      await decodesVideo(page);
      await waitForRemotePattern(page);
      expect((await measureAudio(page)).flowing).toBe(true);
    }
    for (const receiver of await waitForProtectedCall([alice, bob], call.room)) {
      expect(receiver.status).toBe('encrypted');
    }
    // The restored transforms went on with the same sessions (same ids, so the same KIDs and counters).
    expect((await framelockTransforms(alice, call.room)).map((s) => s.id).sort()).toEqual(ids);
    // Framelock told its own UI (not the page); once is not enough to block the page's calls.
    const problems = await problemShown(alice, call.room, 'encryption_removed');
    expect(problems).not.toContain('tampering_blocked');
    await call.hangUp();
  });

  it('puts ours back while the site’s transform workers are busy (Chromium then detaches the site’s late, and leaves ours without frames): Framelock attaches fresh ones, and media flows again both ways, encrypted', async () => {
    const BUSY_MS = 2_000;
    const call = await hostileCall();
    await waitForProtectedCall([alice, bob], call.room);
    await replaceFromEarlyRealm(call.pages[0], 'ready', BUSY_MS);
    // Past the site's busy workers: their late detach has run, and cut the frames off from the transforms put back.
    await sleep(BUSY_MS + 1_000);
    const aliceNow = await framelockTransforms(alice, call.room);
    const bobNow = await framelockTransforms(bob, call.room);
    // Every one of alice's four transforms is fed again (the two directions and both kinds), and decrypts or encrypts.
    await countersGrow(alice, call.room, 'send', 'video', total(aliceNow, 'send', 'video'));
    await countersGrow(alice, call.room, 'send', 'audio', total(aliceNow, 'send', 'audio'));
    await countersGrow(alice, call.room, 'receive', 'video', total(aliceNow, 'receive', 'video'));
    await countersGrow(alice, call.room, 'receive', 'audio', total(aliceNow, 'receive', 'audio'));
    await countersGrow(bob, call.room, 'receive', 'video', total(bobNow, 'receive', 'video'));
    await countersGrow(bob, call.room, 'receive', 'audio', total(bobNow, 'receive', 'audio'));
    for (const page of call.pages) {
      await decodesVideo(page);
      await waitForRemotePattern(page);
      const audio = await measureAudio(page);
      expect(audio.energyDelta, JSON.stringify(audio)).toBeGreaterThan(0);
    }
    for (const receiver of await waitForProtectedCall([alice, bob], call.room)) {
      expect(receiver.status).toBe('encrypted');
    }
    await call.hangUp();
  });

  it('cannot silence Framelock’s reports: a page that stops every framelock:problem event is still reported', async () => {
    const page = await newPage(alice.browser);
    const roomId = `quiet-${Math.random().toString(36).slice(2, 10)}`;
    await page.goto(`${server.url}/?room=${roomId}&name=alice&hostile=quiet`, { waitUntil: 'load' });
    await waitForDemoState(page, ['waiting'], 10_000);
    // The page clears a protected sender's transform: Framelock keeps its own and reports it, past the page's listener.
    await page.evaluate(() => {
      const demo = (window as unknown as { demo: { pc: RTCPeerConnection } }).demo;
      for (const sender of demo.pc.getSenders()) sender.transform = null;
    });
    const quiet = await page.evaluate(() => (window as unknown as { __quiet: string[] }).__quiet);
    // Reports travel over a private port now: the page does not even see them.
    expect(quiet).toEqual([]);
    expect(await problemShown(alice, roomId, 'site_processing_bypassed')).toEqual(['site_processing_bypassed']);
  });

  describe('with a peer who has no Framelock', () => {
    let dave: PlainBrowser;

    beforeAll(async () => {
      dave = await launchPlainChromium({ media });
    });

    afterAll(async () => {
      await dave?.close();
    });

    async function callDave(): Promise<Call> {
      const call = await startCall({
        browsers: [await newPage(alice.browser), await newPage(dave.browser)],
        url: server.url,
        query: { hostile: '1' },
      });
      // Alice's page is up and connected: dave's picture reaches her (flagged as not encrypted).
      await waitForRemotePattern(call.pages[0]);
      return call;
    }

    it('after the page’s attempts on the transforms, the keyless peer still never sees alice', async () => {
      const call = await callDave();
      await expectNoRemotePattern(call.pages[1], 2_000);
      await call.pages[0].evaluate(() => (window as unknown as HostileWindow).__hostile.attackTransforms());
      await expectNoRemotePattern(call.pages[1], NEGATIVE_WATCH_MS);
      await call.hangUp();
    });

    // The setter of another realm of the same page (a fresh about:blank frame, where Framelock's page script runs too)
    // refuses too: a sender that already carries a transform keeps it, whichever realm's setter is called.
    it('another realm’s transform setter cannot replace our transforms either', async () => {
      const call = await callDave();
      await expectNoRemotePattern(call.pages[1], 2_000);
      const attempt = await call.pages[0].evaluate(() =>
        (window as unknown as HostileWindow).__hostile.crossRealmClear('own', 'blank'),
      );
      expect(attempt.kept, JSON.stringify(attempt)).toEqual({
        'sender-audio': true,
        'sender-video': true,
        'receiver-audio': true,
        'receiver-video': true,
      });
      await expectNoRemotePattern(call.pages[1], NEGATIVE_WATCH_MS);
      await call.hangUp();
    });

    // The untouched native setter of a srcdoc frame the page reaches before Framelock's page script runs there: no guard
    // stands in the way, so it replaces our transforms. Framelock notices within milliseconds (src/page/watch.ts), puts
    // its own back before the page's transforms run, and tells the user.
    it('a setter taken from a child realm before Framelock runs there replaces our transforms only for a moment: dave never sees alice, and the user is told', async () => {
      const call = await callDave();
      await expectNoRemotePattern(call.pages[1], 2_000);
      const sent = total(await framelockTransforms(alice, call.room), 'send', 'video');
      await replaceFromEarlyRealm(call.pages[0], 'own');
      await expectNoRemotePattern(call.pages[1], NEGATIVE_WATCH_MS);
      // Framelock encrypts alice's video again.
      await countersGrow(alice, call.room, 'send', 'video', sent);
      expect(await problemShown(alice, call.room, 'encryption_removed')).not.toContain('tampering_blocked');
      await call.hangUp();
    });

    it('a page that does it again gets its calls closed and new ones refused, in every tab of the site and after reloads, until the user allows calls again', async () => {
      const origin = new URL(server.url).origin;
      // Another tab of the same site, open before the attack, with no call in it yet.
      const bystander = await newPage(alice.browser);
      const bystanderRoom = `bystander-${Math.random().toString(36).slice(2, 10)}`;
      await bystander.goto(`${server.url}/blank.html?room=${bystanderRoom}`, { waitUntil: 'load' });
      expect(await newConnection(bystander)).toBe('made');
      const options = await alice.openExtensionPage(OPTIONS_PAGE);
      try {
        const call = await callDave();
        await expectNoRemotePattern(call.pages[1], 2_000);
        await replaceFromEarlyRealm(call.pages[0], 'own');
        await problemShown(alice, call.room, 'encryption_removed');
        await call.pages[0].evaluate(() =>
          (window as unknown as HostileWindow).__hostile.crossRealmClear('own', 'early'),
        );
        const problems = await problemShown(alice, call.room, 'tampering_blocked');
        expect(problems).toContain('encryption_removed');
        // Alice's connection is closed, and the page cannot make another.
        await waitFor(
          () =>
            call.pages[0].evaluate(
              () => (window as unknown as { demo: { pc: RTCPeerConnection } }).demo.pc.signalingState === 'closed',
            ),
          { description: "alice's connection to close" },
        );
        expect(await newConnection(call.pages[0])).toBe('NotSupportedError');
        await expectNoRemotePattern(call.pages[1], NEGATIVE_WATCH_MS);
        await call.hangUp();

        // The other tab of the site is blocked at once, and stays blocked when it reloads: a page that reloads itself
        // gets no new attempts.
        await expectBlocked(bystander);
        await problemShown(alice, bystanderRoom, 'tampering_blocked');
        await bystander.reload({ waitUntil: 'load' });
        await expectBlocked(bystander);
        await problemShown(alice, bystanderRoom, 'tampering_blocked');

        // The user allows the site's calls again on the options page (opened now: it lists the site's problems as they
        // are when it loads): from the next load, calls are protected again.
        // (In front: puppeteer's waitForSelector polls on animation frames, which a background tab does not get.)
        await options.bringToFront();
        await options.reload({ waitUntil: 'load' });
        const allow = await options.waitForSelector(
          `.site[data-origin="${origin}"] ::-p-text(Allow calls on this site again and clear these problems)`,
        );
        await allow?.click();
        await options.waitForSelector(`.site[data-origin="${origin}"] .site-ok`);
        await bystander.reload({ waitUntil: 'load' });
        expect(await newConnection(bystander)).toBe('made');
        const again = await callDave();
        const sent = total(await framelockTransforms(alice, again.room), 'send', 'video');
        await countersGrow(alice, again.room, 'send', 'video', sent);
        await expectNoRemotePattern(again.pages[1], 2_000);
        expect(await tabProblems(alice, again.room)).not.toContain('tampering_blocked');
        await again.hangUp();
      } finally {
        // Later tests call on the same site.
        await sendFromExtensionPage(options, { type: 'sites/clear-problems', origin });
        await options.close();
      }
    });

    /**
     * Alice's page, with `query` (a hostile script), calls dave's plain page; returns once alice's video reaches dave,
     * so that "dave shows nothing" is about media that arrives.
     */
    async function callDaveFrom(query: Record<string, string>): Promise<Call> {
      const call = await startCall({
        browsers: [await newPage(alice.browser), await newPage(dave.browser)],
        url: server.url,
        queries: [query, {}],
      });
      await waitFor(async () => (await videoPacketsIn(call.pages[1])) > 30, {
        description: 'alice’s video to reach dave',
        timeoutMs: 15_000,
      });
      return call;
    }

    /** Dave never shows alice's picture, while her video keeps arriving (at least 3 packets a second; ~30 do). */
    async function expectDaveSeesNothing(call: Call): Promise<void> {
      const before = await videoPacketsIn(call.pages[1]);
      await expectNoRemotePattern(call.pages[1], NEGATIVE_WATCH_MS);
      const received = (await videoPacketsIn(call.pages[1])) - before;
      expect(received, 'video packets dave received while watched').toBeGreaterThanOrEqual(
        (3 * NEGATIVE_WATCH_MS) / 1_000,
      );
    }

    // test/pages/hostile-worker.ts: the page makes a transform worker of its own (a pass-through that counts the
    // frames it gets: any frame it gets is a frame in clear), or takes the legacy encoded streams, and tries to run it
    // on the call's senders and receivers before Framelock's transforms can. ('set own transform' above covers the
    // same after the call connected.)
    describe('a page that processes the media itself, with its own worker or encoded streams', () => {
      /** Alice's page got not one frame, in any transform or streams of its own, and nothing threw. */
      async function expectPageGotNoFrame(page: Page): Promise<OwnWorkerSnapshot> {
        const log = await ownWorkerLog(page);
        expect(log.errors).toEqual([]);
        expect(Object.keys(log.frames).length).toBeGreaterThan(0);
        expect(log.frames).toEqual(Object.fromEntries(Object.keys(log.frames).map((key) => [key, 0])));
        // Every sender and receiver carries a transform that is not the page's: Framelock's.
        expect(log.now.length).toBeGreaterThanOrEqual(4);
        expect(log.now.filter((endpoint) => endpoint.carries !== 'other')).toEqual([]);
        return log;
      }

      for (const send of ['addTrack', 'addTransceiver'] as const) {
        it(`send=${send}: its own transform on every sender and receiver, whenever it gets one before media flows: refused and reported, and dave sees nothing`, async () => {
          const call = await callDaveFrom({ hostile: 'worker', worker: 'patched', send });
          const sent = total(await framelockTransforms(alice, call.room), 'send', 'video');
          await expectDaveSeesNothing(call);
          const log = await expectPageGotNoFrame(call.pages[0]);
          // It tried right after addTrack / addTransceiver, on negotiationneeded, in its first track listener, and
          // after each description.
          expect(new Set(log.attempts.map((a) => `${a.where}: ${a.side}`))).toEqual(
            new Set([
              `after ${send}: sender`,
              ...(send === 'addTransceiver' ? ['after addTransceiver: receiver'] : []),
              'negotiationneeded: sender',
              'track event: receiver',
              'after setRemoteDescription: sender',
              'after setRemoteDescription: receiver',
              'after setLocalDescription: sender',
              'after setLocalDescription: receiver',
            ]),
          );
          expect(log.attempts.filter((a) => a.stuck)).toEqual([]);
          await countersGrow(alice, call.room, 'send', 'video', sent);
          expect(await tabProblems(alice, call.room)).toContain('site_processing_bypassed');
          await call.hangUp();
        });
      }

      it('its own transform on a transceiver Framelock has not seen yet (a child realm’s native addTransceiver): Framelock’s replaces it before media flows, and dave sees nothing', async () => {
        const call = await callDaveFrom({ hostile: 'worker', worker: 'early' });
        const sent = total(await framelockTransforms(alice, call.room), 'send', 'video');
        await expectDaveSeesNothing(call);
        const log = await expectPageGotNoFrame(call.pages[0]);
        // The page's transform was on both senders first: Framelock found them at its next sweep.
        expect(log.early).toEqual({ reached: true, patchedWhenReached: false });
        expect(log.attempts.map((a) => `${a.kind}: ${a.stuck}`)).toEqual(['audio: true', 'video: true']);
        await countersGrow(alice, call.room, 'send', 'video', sent);
        await call.hangUp();
      });

      // Chromium 156: a connection made with `encodedInsertableStreams: true` still runs Framelock's transforms, and
      // streams the page takes from a sender, before or after Framelock's transform went on, get no frame. (Receivers
      // whose streams the page took after ours get no frame either, ours included: the site broke its own receiving,
      // which is a notice, not a leak.)
      it('encoded streams (encodedInsertableStreams: true) taken after Framelock’s transforms went on: they get no frame, reported, and dave sees nothing', async () => {
        const call = await callDaveFrom({ hostile: 'worker', worker: 'streams-after' });
        const sent = total(await framelockTransforms(alice, call.room), 'send', 'video');
        await expectDaveSeesNothing(call);
        const log = await expectPageGotNoFrame(call.pages[0]);
        expect(log.attempts.map((a) => `${a.side} ${a.kind}: ${a.stuck}`).sort()).toEqual([
          'receiver audio: true',
          'receiver video: true',
          'sender audio: true',
          'sender video: true',
        ]);
        await countersGrow(alice, call.room, 'send', 'video', sent);
        expect(await tabProblems(alice, call.room)).toContain('site_processing_bypassed');
        await call.hangUp();
      });

      it('encoded streams taken before Framelock saw the sender (a child realm’s native addTransceiver): Framelock’s transform still gets every frame, and dave sees nothing', async () => {
        const call = await callDaveFrom({ hostile: 'worker', worker: 'streams-before' });
        const sent = total(await framelockTransforms(alice, call.room), 'send', 'video');
        await expectDaveSeesNothing(call);
        const log = await expectPageGotNoFrame(call.pages[0]);
        expect(log.early).toEqual({ reached: true, patchedWhenReached: false });
        expect(log.attempts.map((a) => `${a.kind}: ${a.stuck}`)).toEqual(['audio: true', 'video: true']);
        await countersGrow(alice, call.room, 'send', 'video', sent);
        await call.hangUp();
      });

      // KNOWN BUG, the one above seen wider: the page takes the whole RTCPeerConnection (its constructor and every
      // method) from a srcdoc frame before Framelock's page script runs there, and calls with it. Framelock never sees
      // that connection: no transform, no counters (the tab shows no call at all; its badge says "!" only because the
      // srcdoc frame is reported as `unsafe_frame`), and the page's own worker gets alice's frames in clear and sends
      // them on: dave shows her. Guarding the setter cannot fix this; the page script
      // must reach every same-origin realm before the page does (or the page's access to child realms must be
      // patched: contentWindow, frames[], window.open...). Make it a plain `it` then.
      knownBug(
        'KNOWN BUG: nor a connection made with a child realm’s RTCPeerConnection taken before Framelock runs there',
        async () => {
          const call = await callDaveFrom({ hostile: 'worker', worker: 'early-pc' });
          try {
            await expectDaveSeesNothing(call);
            // If no picture reached dave, it is because Framelock protected that connection too.
            expect(total(await framelockTransforms(alice, call.room), 'send', 'video')).toBeGreaterThan(0);
          } finally {
            await call.hangUp();
          }
        },
      );

      // What the known bug above leaves the user: the leak is not silent. Bob's Framelock shows alice's media as not
      // encrypted, and alice's own tab says a frame of the page could not be protected.
      it('a connection made with a child realm’s RTCPeerConnection taken before Framelock runs there is shown: bob’s Framelock flags alice’s media not encrypted, and alice is told', async () => {
        const call = await startCall({
          browsers: [await newPage(alice.browser), await newPage(bob.browser)],
          url: server.url,
          queries: [{ hostile: 'worker', worker: 'early-pc' }, {}],
        });
        const log = await ownWorkerLog(call.pages[0]);
        expect(log.early).toEqual({ reached: true, patchedWhenReached: false });
        for (const kind of ['audio', 'video'] as const) {
          const flagged = await waitForTransform(bob, call.room, `bob's ${kind} receiver to flag alice`, (s) => {
            return s.side === 'receive' && s.kind === kind && s.status === 'unencrypted';
          });
          expect(flagged.protected).toBe(0);
          expect(flagged.unencrypted).toBeGreaterThan(0);
        }
        // Alice's page shows no Framelock-protected sender for it (Framelock never saw that connection), but her tab
        // carries the notice.
        expect(total(await framelockTransforms(alice, call.room), 'send', 'video')).toBe(0);
        expect(await problemShown(alice, call.room, 'unsafe_frame')).toContain('unsafe_frame');
        await call.hangUp();
      });
    });

    it('event handlers that all throw (connection, tracks, streams, window errors) do not keep Framelock from attaching: the call works encrypted, and dave sees nothing', async () => {
      const good = await startCall({
        browsers: [await newPage(alice.browser), await newPage(bob.browser)],
        url: server.url,
        query: { hostile: 'throwing' },
      });
      await Promise.all(good.pages.map((p) => waitForRemotePattern(p)));
      for (const p of good.pages) expect((await measureAudio(p)).flowing).toBe(true);
      for (const received of await waitForProtectedCall([alice, bob], good.room)) {
        expect(received.status).toBe('encrypted');
      }
      const thrown = await good.pages[0].evaluate(
        () => (window as unknown as { __throwing: { thrown: Record<string, number>; errors: number } }).__throwing,
      );
      for (const where of [
        'ontrack',
        'track listener',
        'track listener (tracks)',
        'onnegotiationneeded',
        'negotiationneeded listener',
        'onicecandidate',
        'onconnectionstatechange',
        'onsignalingstatechange',
        'unmute handler',
      ]) {
        expect(thrown.thrown[where] ?? 0, `${where} never threw`).toBeGreaterThan(0);
      }
      expect(thrown.errors, 'window.onerror saw the errors').toBeGreaterThan(0);
      await good.hangUp();

      const bad = await callDaveFrom({ hostile: 'throwing' });
      await waitForRemotePattern(bad.pages[0]); // dave's plaintext reaches alice (flagged): her page works
      await expectDaveSeesNothing(bad);
      await bad.hangUp();
    });
  });

  // "Before our script": a same-origin browsing context the page opens (srcdoc, a same-origin URL or a blob: document
  // in an iframe, or window.open) can be reached by the page before Framelock's page script runs in it. The page can
  // replace built-ins there first and watch the hand-off (it then reads a nonce that is worthless in that frame), but
  // the bridge serves no keys in such a frame: its calls carry no media, and the user is told.
  it('a same-origin child realm the page reaches first gets no keys, and is reported', async () => {
    const page = await newPage(alice.browser);
    // The test server puts hostile.js first in blank.html's <head> too.
    await page.goto(`${server.url}/blank.html?hostile=1`, { waitUntil: 'load' });
    const results: PrehookResult[] = [];
    for (const kind of ['srcdoc', 'src', 'blob', 'popup'] as const) {
      results.push(
        await page.evaluate(
          (k: ChildKind) => (window as unknown as HostileWindow).__hostile.prehookChild(k, 3_000),
          kind,
        ),
      );
    }
    const log = await hostileLog(page);
    expect(results.every((r) => r.reached)).toBe(true);
    // Nothing ever came back from the bridge to the port the page sat on, and no key or key message was seen.
    expect(results.map((r) => r.fromBridge)).toEqual([0, 0, 0, 0]);
    const keyAlarms = log.alarms.filter(
      (a) => a.where.startsWith('child realm') && /CryptoKey|keys|epoch|\bkey\b/i.test(`${a.kind} ${a.detail}`),
    );
    expect(keyAlarms, describeAlarms(log)).toEqual([]);
    const reported = await waitFor(
      () =>
        alice.serviceWorker.evaluate(async () => {
          const all = (await chrome.storage.session.get(null)) as Record<string, { problems?: string[] }>;
          return Object.values(all).some((status) => status.problems?.includes('unsafe_frame'));
        }),
      { description: 'the unsafe frame to be reported', timeoutMs: 10_000 },
    );
    expect(reported).toBe(true);
  });
});
