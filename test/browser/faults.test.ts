/**
 * Faults in a real call between Chromium profiles (demo site, built extension), judged by what the peers decode and
 * what the user is shown:
 *
 * - the transform worker dies mid-call (closed through DevTools: the page cannot reach it, but a crash, the browser
 *   or a bug can end it): media must stop rather than leave in clear, the user must be told, and ideally Framelock
 *   starts over;
 * - the path between the peers loses and reorders packets (a UDP relay between them, test/browser/relay.ts): the
 *   encrypted call keeps decoding video and audio, replay protection refuses no frame only because it came late, and
 *   the call recovers by itself when the loss stops.
 */
import type { Page } from 'puppeteer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../../demo/server';
import { summarize } from '../../src/popup/calls';
import { type TabStatus, type TransformStats, UNPROTECTING_PROBLEMS } from '../../src/shared/messages';
import {
  type Call,
  createFakeMedia,
  expectNoRemotePattern,
  type FakeMedia,
  framelockTransforms,
  launchExtensionParticipant,
  launchPlainChromium,
  measureAudio,
  type PlainBrowser,
  startCall,
  videoFlowing,
  waitForProtectedCall,
  waitForRemotePattern,
} from './call';
import { chromiumAvailable, type ExtensionBrowser, waitFor } from './harness';
import { type LossyRelay, startLossyRelay } from './relay';

const PASSPHRASE = 'correct horse battery staple';
/**
 * Tests of known bugs are expected to fail (`it.fails`) until the bug is fixed: then they fail the run, and the
 * `.fails` goes. `FRAMELOCK_SHOW_KNOWN_BUGS=1` runs them as plain tests, to read why they fail.
 */
const knownBug = process.env.FRAMELOCK_SHOW_KNOWN_BUGS ? it : it.fails;
/** How long a peer without the key is watched: several keyframe intervals. */
const NEGATIVE_WATCH_MS = 6_000;

/** The background's status of the tab that runs `room`, and its badge: what the popup and the toolbar show. */
async function shown(ext: ExtensionBrowser, room: string): Promise<{ status: TabStatus; badge: string }> {
  return ext.serviceWorker.evaluate(async (roomId: string) => {
    const tab = (await chrome.tabs.query({})).find((t) => t.url?.includes(`room=${roomId}`));
    if (tab?.id === undefined) throw new Error(`no tab runs room ${roomId}`);
    const key = `tab:${tab.id}`;
    const status = (await chrome.storage.session.get(key))[key] as TabStatus;
    return { status, badge: await chrome.action.getBadgeText({ tabId: tab.id }) };
  }, room) as Promise<{ status: TabStatus; badge: string }>;
}

/** The popup's one-line verdict for the tab that runs `room` (src/popup/calls.ts, as the popup computes it). */
async function verdict(ext: ExtensionBrowser, room: string): Promise<{ summary: string; badge: string }> {
  const { status, badge } = await shown(ext, room);
  const unprotecting = status.problems.some((p) => UNPROTECTING_PROBLEMS.includes(p));
  return { summary: summarize(status, unprotecting), badge };
}

/**
 * Ends Framelock's transform worker of `page` (the dedicated worker named `framelock`) from inside, as DevTools can:
 * `Target.closeTarget` does not close dedicated workers, and the page itself cannot reach ours.
 */
async function killTransformWorker(page: Page): Promise<void> {
  const cdp = await page.createCDPSession();
  try {
    const { targetInfos } = await cdp.send('Target.getTargets');
    const urls = new Set(targetInfos.filter((t) => t.type === 'worker' && t.title === 'framelock').map((t) => t.url));
    const ours = page.workers().filter((w) => urls.has(w.url()));
    expect(ours, 'the page has one Framelock worker').toHaveLength(1);
    const [worker] = ours;
    if (worker === undefined) return;
    await worker.evaluate(() => self.close()).catch(() => undefined);
    await waitFor(() => !page.workers().includes(worker), { description: 'the transform worker to be gone' });
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

/** Inbound RTP counters of the demo page's connection, by kind (what `demo.stats()` leaves out). */
async function inbound(page: Page): Promise<Record<'audio' | 'video', { packetsReceived: number; nackCount: number }>> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { demo: { pc: RTCPeerConnection } }).demo.pc;
    const out = { audio: { packetsReceived: 0, nackCount: 0 }, video: { packetsReceived: 0, nackCount: 0 } };
    for (const s of (await pc.getStats()).values()) {
      if (s.type !== 'inbound-rtp' || (s.kind !== 'audio' && s.kind !== 'video')) continue;
      const kind = s.kind as 'audio' | 'video';
      out[kind].packetsReceived += s.packetsReceived ?? 0;
      out[kind].nackCount += s.nackCount ?? 0;
    }
    return out;
  });
}

/** Sums a counter over the receivers of one kind. */
function received(transforms: TransformStats[], kind: 'audio' | 'video', counter: keyof TransformStats): number {
  return transforms
    .filter((s) => s.side === 'receive' && s.kind === kind)
    .reduce((sum, s) => sum + Number(s[counter] ?? 0), 0);
}

describe.skipIf(!chromiumAvailable)('faults (headless Chromium, built extension)', () => {
  let relay: LossyRelay;
  let server: DemoServer;
  let media: FakeMedia;
  let alice: ExtensionBrowser;
  let bob: ExtensionBrowser;
  let dave: PlainBrowser;
  let open: Call[] = [];

  /** A call between `first` and `second` (both through the relay; a clean path unless a test impairs it). */
  async function call(
    first: { browser: { newPage(): Promise<Page> } },
    second: { browser: { newPage(): Promise<Page> } },
  ): Promise<Call> {
    const started = await startCall({
      browsers: [await first.browser.newPage(), await second.browser.newPage()],
      url: server.url,
    });
    open.push(started);
    return started;
  }

  async function end(c: Call): Promise<void> {
    open = open.filter((x) => x !== c);
    await c.hangUp();
    await Promise.all(c.pages.map((p) => p.close().catch(() => undefined)));
  }

  beforeAll(async () => {
    relay = await startLossyRelay();
    server = await startDemoServer({ rewriteSignal: relay.rewriteSignal });
    media = await createFakeMedia();
    [alice, bob, dave] = await Promise.all([
      launchExtensionParticipant(server.url, PASSPHRASE, media),
      launchExtensionParticipant(server.url, PASSPHRASE, media),
      launchPlainChromium({ media }),
    ]);
  });

  afterEach(async () => {
    relay.impair(null);
  });

  afterAll(async () => {
    await Promise.all(open.map((c) => end(c)));
    await Promise.all([alice?.close(), bob?.close(), dave?.close()]);
    await server?.close();
    await relay?.close();
    await media?.cleanup();
  });

  describe('the transform worker dies mid-call', () => {
    it('fails closed: a peer without the key never shows alice, before or after her worker died', async () => {
      const c = await call(alice, dave);
      try {
        await waitForRemotePattern(c.pages[0]); // dave's plaintext reaches alice (flagged): her page works
        await waitFor(async () => (await inbound(c.pages[1])).video.packetsReceived > 30, {
          description: 'alice’s (encrypted) video to reach dave',
          timeoutMs: 15_000,
        });
        await expectNoRemotePattern(c.pages[1], 2_000);
        const before = await inbound(c.pages[1]);
        await killTransformWorker(c.pages[0]);
        // Chromium does not fall back to sending frames untransformed: whatever still reaches dave is no picture.
        await expectNoRemotePattern(c.pages[1], NEGATIVE_WATCH_MS);
        const after = await inbound(c.pages[1]);
        console.log(
          `worker killed: dave got ${after.video.packetsReceived - before.video.packetsReceived} video and ` +
            `${after.audio.packetsReceived - before.audio.packetsReceived} audio packets in the ${NEGATIVE_WATCH_MS} ms after`,
        );
      } finally {
        await end(c);
      }
    });

    describe('between two Framelock peers', () => {
      let c: Call;

      beforeAll(async () => {
        c = await call(alice, bob);
        await Promise.all(c.pages.map((p) => waitForRemotePattern(p)));
        await waitForProtectedCall([alice, bob], c.room);
        // Before: both say the call is protected.
        await waitFor(async () => (await verdict(alice, c.room)).badge === 'E2E', { description: 'alice’s badge E2E' });
        expect(await verdict(alice, c.room)).toEqual({ summary: 'protected', badge: 'E2E' });
        await killTransformWorker(c.pages[0]);
      });

      afterAll(async () => {
        await end(c);
      });

      // Media stops both ways (alice sends nothing; what bob sends her is not decrypted). The worker reports every
      // second; the bridge takes its silence as the worker gone and reports `worker_stopped`, and the background drops
      // that frame's counters: alice's badge and popup stop saying the call is protected.
      it('alice is told: her badge and popup stop saying the call is protected', async () => {
        const now = await waitFor(
          async () => {
            const seen = await verdict(alice, c.room);
            return seen.summary !== 'protected' && seen.badge !== 'E2E' ? seen : undefined;
          },
          { description: 'alice’s popup and badge to stop saying "protected"', timeoutMs: 8_000 },
        );
        expect(now.summary).toBe('unprotected');
        // In words: the worker stopped, and the page must be reloaded.
        expect((await shown(alice, c.room)).status.problems).toContain('worker_stopped');
      });

      // KNOWN BUG: nor does Framelock start over. Fix: once the bridge sees the counters stop, it asks the page script
      // (over the private reports port) to start a new worker; the page script makes it from its saved Blob URL, hands
      // the new worker's port to the bridge over that same private port (never through `window`, which the page sees
      // once its scripts run), and puts new transforms on every sender and receiver it attached (kept as WeakRefs),
      // through the native setter. The bridge then checks the new worker's nonce as it did the first one's.
      knownBug('KNOWN BUG: Framelock starts over: bob shows alice’s live picture again, decrypted', async () => {
        const decoded = async () => (await framelockTransforms(bob, c.room)).filter((s) => s.side === 'receive');
        const before = received(await decoded(), 'video', 'protected');
        await waitFor(async () => received(await decoded(), 'video', 'protected') > before + 30, {
          description: 'bob to decrypt alice’s video again',
          timeoutMs: 10_000,
        });
        expect(await videoFlowing(c.pages[1])).toBe(true);
        await waitForRemotePattern(c.pages[1]);
      });
    });
  });

  it('a lossy, reordering path (8 % of RTP lost, 10 % held back 20-60 ms): video and audio keep decoding, encrypted, no frame is refused for coming late, and the call recovers by itself', async () => {
    const c = await call(alice, bob);
    try {
      await Promise.all(c.pages.map((p) => waitForRemotePattern(p)));
      await waitForProtectedCall([alice, bob], c.room);
      const counters = () => Promise.all([framelockTransforms(alice, c.room), framelockTransforms(bob, c.room)]);
      const before = await counters();
      const rtpBefore = await Promise.all(c.pages.map((p) => inbound(p)));

      relay.impair({ loss: 0.08, reorder: 0.1, delayMs: [20, 60] });
      // Under loss both sides keep decoding: video in every 2.5-second window, and audio with sound in it.
      for (let window = 0; window < 4; window++) {
        const flowing = await Promise.all(c.pages.map((p) => videoFlowing(p, 2_500)));
        expect(flowing, `video decoded in window ${window + 1} (alice, bob)`).toEqual([true, true]);
      }
      for (const p of c.pages) expect((await measureAudio(p)).energyDelta).toBeGreaterThan(0);
      relay.impair(null);
      const during = await counters();
      const rtpDuring = await Promise.all(c.pages.map((p) => inbound(p)));

      // The path really was lossy and reordering, and WebRTC saw it: it asked for retransmissions.
      const path = relay.stats();
      expect(path.dropped).toBeGreaterThan(50);
      expect(path.delayed).toBeGreaterThan(50);
      for (const [i, rtp] of rtpDuring.entries()) {
        expect(rtp.video.nackCount, 'NACKs sent').toBeGreaterThan(rtpBefore[i]?.video.nackCount ?? 0);
      }
      for (const [i, now] of during.entries()) {
        const then = before[i] as TransformStats[];
        const who = i === 0 ? 'alice' : 'bob';
        for (const kind of ['audio', 'video'] as const) {
          // Every frame that arrived decrypted: no key problem, no tag failure.
          expect(received(now, kind, 'undecryptable'), `${who} ${kind} undecryptable`).toBe(
            received(then, kind, 'undecryptable'),
          );
          expect(received(now, kind, 'protected') - received(then, kind, 'protected')).toBeGreaterThan(100);
        }
        // An audio frame is one packet, never retransmitted: a drop here could only be a frame refused for coming
        // after a later one. (Video may drop a real duplicate: a packet that only came late is asked for again, and a
        // one-packet frame then arrives twice; the replay window refuses the second copy, as it must.)
        expect(received(now, 'audio', 'dropped'), `${who}: audio frames dropped under reordering`).toBe(
          received(then, 'audio', 'dropped'),
        );
      }
      console.log(
        `lossy path: ${path.dropped} RTP/RTCP datagrams dropped, ${path.delayed} held back; video frames dropped as ` +
          `duplicates: ${during.map((now, i) => received(now, 'video', 'dropped') - received(before[i] ?? [], 'video', 'dropped')).join(', ')} (alice, bob)`,
      );

      // The loss stopped: both show each other's live picture, say "protected", and never said otherwise.
      for (const p of c.pages) {
        await waitForRemotePattern(p);
        expect(await videoFlowing(p)).toBe(true);
      }
      for (const ext of [alice, bob]) {
        expect(await verdict(ext, c.room)).toEqual({ summary: 'protected', badge: 'E2E' });
        expect((await shown(ext, c.room)).status.problems).toEqual([]);
      }
    } finally {
      await end(c);
    }
  });
});
