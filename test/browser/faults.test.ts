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
import type { Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { summarize } from '../../src/popup/calls';
import { MAX_WORKER_RESTARTS } from '../../src/shared/handshake';
import { type TabStatus, type TransformStats, UNPROTECTING_PROBLEMS } from '../../src/shared/messages';
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
  videoFlowing,
  waitForProtectedCall,
  waitForRemotePattern,
} from './call';
import { chromiumAvailable, type ExtensionBrowser, waitFor } from './harness';
import { type LossyRelay, startLossyRelay } from './relay';

const PASSPHRASE = 'correct horse battery staple';
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

/** Video frames the page decoded, all inbound streams. */
async function framesDecoded(page: Page): Promise<number> {
  return (await callStats(page)).inbound.filter((s) => s.kind === 'video').reduce((n, s) => n + s.framesDecoded, 0);
}

/** The KIDs of a participant's senders, as Framelock counts them (decimal). */
async function senderKids(ext: ExtensionBrowser, room: string): Promise<string[]> {
  return (await framelockTransforms(ext, room))
    .filter((s) => s.side === 'send')
    .map((s) => s.kid ?? '')
    .sort();
}

/** Sums a counter over the receivers of one kind. */
function received(transforms: TransformStats[], kind: 'audio' | 'video', counter: keyof TransformStats): number {
  return transforms
    .filter((s) => s.side === 'receive' && s.kind === kind)
    .reduce((sum, s) => sum + Number(s[counter] ?? 0), 0);
}

describe.skipIf(!chromiumAvailable)('faults (headless Chromium, built extension)', () => {
  let relay: LossyRelay;
  let server: TestServer;
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
    server = await startTestServer({ rewriteSignal: relay.rewriteSignal });
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
      let kidsBefore: string[];
      let workerUrl: string;
      /** When alice's worker was killed, and bob's decoded video frames then (Date.now(), framesDecoded). */
      let killed: { at: number; decoded: number };

      beforeAll(async () => {
        c = await call(alice, bob);
        await Promise.all(c.pages.map((p) => waitForRemotePattern(p)));
        await waitForProtectedCall([alice, bob], c.room);
        // Before: both say the call is protected.
        await waitFor(async () => (await verdict(alice, c.room)).badge === 'E2E', { description: 'alice’s badge E2E' });
        expect(await verdict(alice, c.room)).toEqual({ summary: 'protected', badge: 'E2E' });
        kidsBefore = await senderKids(alice, c.room);
        expect(kidsBefore.filter((k) => k !== '')).toHaveLength(2);
        killed = { at: Date.now(), decoded: await framesDecoded(c.pages[1]) };
        workerUrl = await killTransformWorker(c.pages[0]);
      });

      afterAll(async () => {
        await end(c);
      });

      /** Waits for a new Framelock worker in alice's page (it starts from the same Blob URL as the one that died). */
      async function newWorker(): Promise<void> {
        await waitFor(() => c.pages[0].workers().some((w) => w.url() === workerUrl), {
          description: 'a new transform worker in alice’s page',
          timeoutMs: 10_000,
        });
      }

      // Media stops both ways (alice sends nothing; what bob sends her is not decrypted). The worker reports every
      // second; the bridge takes 4 s of silence as the worker gone, reports `worker_stopped` (the background drops that
      // frame's counters), and asks the page script, over its private port, for a new worker with a fresh nonce. Once
      // that worker proves the nonce, the bridge reports `worker_restarted`, which replaces `worker_stopped`.
      it('bob shows alice’s live picture again, decrypted, under new KIDs: Framelock starts over by itself', async () => {
        // Bob's decoder stalls (alice sends nothing), then decodes again: the gap is the time to recover.
        let stalledAt: number | undefined;
        let last = killed.decoded;
        let lastChange = killed.at;
        const resumedAt = await waitFor(
          async () => {
            const now = Date.now();
            const decoded = await framesDecoded(c.pages[1]);
            if (decoded !== last) {
              if (stalledAt !== undefined && decoded > last) return now;
              last = decoded;
              lastChange = now;
            } else if (stalledAt === undefined && now - lastChange >= 1_000) {
              stalledAt = lastChange;
            }
            return false;
          },
          { description: 'bob to decode alice’s video again', timeoutMs: 15_000, intervalMs: 50 },
        );
        console.log(
          `worker killed: bob decoded alice’s video until ${(stalledAt ?? killed.at) - killed.at} ms after, and again ` +
            `${resumedAt - killed.at} ms after the kill`,
        );
        const decrypted = async () => received(await framelockTransforms(bob, c.room), 'video', 'protected');
        const before = await decrypted();
        await waitFor(async () => (await decrypted()) > before + 30, {
          description: 'bob to decrypt alice’s video again',
          timeoutMs: 10_000,
        });
        expect(await videoFlowing(c.pages[1])).toBe(true);
        await waitForRemotePattern(c.pages[1]);
        // The new worker's senders drew new sender ids: no KID (and so no key and counter) of the dead worker is reused.
        const kidsAfter = await senderKids(alice, c.room);
        expect(kidsAfter.filter((k) => k !== '')).toHaveLength(2);
        for (const kid of kidsAfter) expect(kidsBefore).not.toContain(kid);
        const bobSees = (await framelockTransforms(bob, c.room))
          .filter((s) => s.side === 'receive' && s.status === 'encrypted')
          .map((s) => s.kid);
        for (const kid of bobSees) expect(kidsAfter).toContain(kid);
        // Alice decodes bob again too.
        await waitForRemotePattern(c.pages[0]);
      });

      it('alice is told encryption stopped and started again: a notice, and her badge and popup say protected again', async () => {
        const status = await waitFor(
          async () => {
            const { status: now } = await shown(alice, c.room);
            return now.problems.includes('worker_restarted') ? now : undefined;
          },
          { description: 'alice’s tab status to say the worker was restarted', timeoutMs: 10_000 },
        );
        expect(status.problems).not.toContain('worker_stopped');
        await waitFor(async () => (await verdict(alice, c.room)).badge === 'E2E', { description: 'alice’s badge E2E' });
        expect(await verdict(alice, c.room)).toEqual({ summary: 'protected', badge: 'E2E' });
      });

      it(`starts over at most ${MAX_WORKER_RESTARTS} times per page load; then alice stays failed closed and is told`, async () => {
        // The first restart happened above; kill the new workers until none comes.
        for (let restart = 2; restart <= MAX_WORKER_RESTARTS; restart++) {
          await newWorker();
          await killTransformWorker(c.pages[0]);
        }
        await newWorker();
        await waitFor(async () => (await verdict(alice, c.room)).badge === 'E2E', { description: 'alice’s badge E2E' });
        await killTransformWorker(c.pages[0]);
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
        // No new worker comes, and bob shows no new picture of alice.
        const decoded = await framesDecoded(c.pages[1]);
        await new Promise((resolve) => setTimeout(resolve, 6_000));
        expect(c.pages[0].workers().filter((w) => w.url() === workerUrl)).toHaveLength(0);
        expect(await framesDecoded(c.pages[1])).toBeLessThanOrEqual(decoded + 5);
        expect((await shown(alice, c.room)).status.problems).toContain('worker_stopped');
        expect(await verdict(alice, c.room)).toEqual({ summary: 'unprotected', badge: '!' });
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
