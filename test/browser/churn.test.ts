/**
 * Renegotiation under load through a real SFU (issue 18): Debian's Janus with its unmodified videoroom demo, each
 * participant in its own Chromium profile with Framelock and the same passphrase, driven as people would.
 *
 * - Join/leave churn: two stable participants; a third joins and leaves again and again (the demo's Stop button, or
 *   the tab simply closed), and once a browser without Framelock joins too (the control: it never shows anyone's
 *   pattern, while its own, in clear, shows at the others).
 * - Simulcast: the subscription to a simulcast publisher is switched between substreams (videoroom `configure` with
 *   `substream`, by the page's own plugin handle and by a request to the server's API on that handle).
 * - ICE restart, with the test process's CPU saturated by busy worker threads: a publisher restarts ICE (janus.js
 *   `createOffer({ iceRestart: true })` and the demo's `configure`), and the server restarts ICE on a subscription
 *   (`configure` with `restart: true`, answered by the demo).
 * - A tab in the background while keys rotate (the rotation test build: 6-second epochs, a re-key every 5 s), in a
 *   Chromium that throttles hidden tabs' timers as Chrome does (puppeteer's flags that stop it are left out).
 *
 * Assertions are on decoded pixels of the tiles (the pattern, frames still presented) and on Framelock's own counters,
 * never on timings or log lines: how long things took is printed for the record.
 */
import { Worker } from 'node:worker_threads';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kidEpoch, kidParticipant } from '../../src/codecs';
import type { TransformStats } from '../../src/shared/messages';
import {
  createFakeMedia,
  expectNoRemotePattern,
  type FakeMedia,
  framelockTransforms,
  launchExtensionParticipant,
  launchPlainChromium,
  type PlainBrowser,
  waitForRemotePattern,
} from './call';
import {
  chromiumAvailable,
  type ExtensionBrowser,
  isCI,
  ROTATION_TEST_EXTENSION_PATH,
  sleep,
  waitFor,
  withTimeout,
} from './harness';
import { type Janus, janusAvailable, startJanus } from './janus';
import { encodedLayerWidths, joinVideoroom, namedTiles, tileFlowing, waitForTiles } from './videoroom';

const PASSPHRASE = 'correct horse battery staple';
/** Joins (and as many leaves) of the churn. */
const CHURN_JOINS = 6;
/** Substream switches of the simulcast subscription. */
const SWITCHES = 4;
/** Busy-loop threads while the ICE restarts run (the machine has 2 cores). */
const BUSY_THREADS = 2;
/** The rotation test build's epoch (vite.config.ts, ROTATION_TEST_EPOCH_MS). */
const EPOCH_MS = 6_000;
/** How long the tab stays in the background: more than three epochs, so three boundaries and several re-keys. */
const HIDDEN_MS = 4 * EPOCH_MS;

if (!janusAvailable && !isCI) {
  console.warn(
    '\n*** Janus is not installed: the churn tests (test/browser/churn.test.ts) are SKIPPED (apt-get install janus janus-demos libjs-janus-gateway). ***\n',
  );
}
if (!janusAvailable && isCI) {
  throw new Error('CI=true but Janus is not installed: .ci/run must install janus and janus-demos');
}

/** The tile `page` shows `name` in, once it has one. */
async function tileOf(page: Page, name: string, timeoutMs = 20_000): Promise<string> {
  const tile = await waitFor(async () => (await namedTiles(page)).find((t) => t.name === name), {
    description: `a tile for ${name}`,
    timeoutMs,
  });
  return tile.selector;
}

/**
 * Waits until `page` shows `name`'s pattern (decoded pixels) on a tile that presents new frames (a `<video>` keeps its
 * last picture when frames stop: the pattern alone could be an old frame). With the CPU saturated a second can pass
 * without a new frame, so "presents new frames" is waited for, not sampled once; the pattern is then checked again.
 */
async function expectDecodes(page: Page, name: string, timeoutMs = 20_000): Promise<void> {
  const selector = await tileOf(page, name, timeoutMs);
  await waitForRemotePattern(page, timeoutMs, { selector });
  await waitFor(() => tileFlowing(page, selector), {
    description: `${name}'s tile to present new frames`,
    timeoutMs: 10_000,
    intervalMs: 0,
  });
  await waitForRemotePattern(page, timeoutMs, { selector });
}

function receivers(list: TransformStats[]): TransformStats[] {
  return list.filter((s) => s.side === 'receive');
}

/** Sum of the tab's receivers' undecryptable counters. */
async function undecryptable(ext: ExtensionBrowser, room: number): Promise<number> {
  return receivers(await framelockTransforms(ext, String(room))).reduce((sum, s) => sum + s.undecryptable, 0);
}

/**
 * The tab's receivers that still get frames: their counters moved between two reports (the background keeps the last
 * report of a receiver whose sender left, so "every receiver" would include those).
 */
async function liveReceivers(ext: ExtensionBrowser, room: number): Promise<TransformStats[]> {
  const moved = (s: TransformStats) => s.protected + s.undecryptable + s.unencrypted + s.dropped;
  const before = receivers(await framelockTransforms(ext, String(room)));
  await sleep(2_500); // counters reach the background once a second
  const after = receivers(await framelockTransforms(ext, String(room)));
  return after.filter((s) => {
    const earlier = before.find((b) => b.id === s.id);
    return moved(s) > (earlier === undefined ? 0 : moved(earlier));
  });
}

/**
 * Waits until every live receiver of the tab decrypts (`encrypted`, and no new undecryptable frame over the last
 * reports), at least `count` of them; returns them.
 */
async function expectAllLiveEncrypted(ext: ExtensionBrowser, room: number, count: number): Promise<TransformStats[]> {
  let last: TransformStats[] = [];
  return waitFor(
    async () => {
      const first = new Map((await liveReceivers(ext, room)).map((s) => [s.id, s.undecryptable]));
      const live = (await liveReceivers(ext, room)).filter((s) => first.has(s.id));
      last = live;
      const ok =
        live.length >= count &&
        live.every((s) => s.status === 'encrypted' && s.undecryptable === first.get(s.id) && s.protected > 0);
      return ok ? live : undefined;
    },
    { description: `${count} live receivers, all encrypted`, timeoutMs: 30_000, intervalMs: 0 },
  ).catch(async (error: unknown) => {
    const line = (s: TransformStats) =>
      `${s.id} ${s.kind} ${s.status} (${s.protected} decrypted, ${s.undecryptable} undecryptable, ${s.lastError ?? '-'})`;
    const all = receivers(await framelockTransforms(ext, String(room)).catch(() => []));
    throw new Error(
      `${(error as Error).message}; live receivers: ${last.map(line).join('; ') || 'none'}; all receivers ` +
        `reported: ${all.map(line).join('; ') || 'none'}`,
    );
  });
}

/** The demo's subscription to `display` on `page`: Janus session and plugin handle, and its connection's ICE ufrags. */
async function subscriptionOf(page: Page, display: string) {
  return page.evaluate((name: string) => {
    type Feed = { rfdisplay: string; getId(): number; webrtcStuff: { pc: RTCPeerConnection } } | null;
    const w = window as unknown as { janus: { getSessionId(): number }; feeds: Feed[] };
    const feed = w.feeds.find((f) => f?.rfdisplay === name);
    if (!feed) throw new Error(`no subscription to ${name}`);
    const video = feed.webrtcStuff.pc.getTransceivers().find((t) => t.receiver.track.kind === 'video');
    const ufrag = (sdp: string | undefined) => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1] ?? '';
    return {
      session: w.janus.getSessionId(),
      handle: feed.getId(),
      mid: video?.mid ?? '',
      localUfrag: ufrag(feed.webrtcStuff.pc.localDescription?.sdp),
      remoteUfrag: ufrag(feed.webrtcStuff.pc.remoteDescription?.sdp),
      ice: feed.webrtcStuff.pc.iceConnectionState,
    };
  }, display);
}

/** The demo's publisher connection on `page` (`sfutest`): its ICE ufrags and state. */
async function publisherIce(page: Page) {
  return page.evaluate(() => {
    const pc = (window as unknown as { sfutest?: { webrtcStuff?: { pc?: RTCPeerConnection } } }).sfutest?.webrtcStuff
      ?.pc;
    const ufrag = (sdp: string | undefined) => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1] ?? '';
    return {
      localUfrag: ufrag(pc?.localDescription?.sdp),
      remoteUfrag: ufrag(pc?.remoteDescription?.sdp),
      ice: pc?.iceConnectionState ?? 'none',
      signaling: pc?.signalingState ?? 'none',
    };
  });
}

/** A message to any Janus plugin handle through the server's HTTP API (what the server, or whoever runs it, can send). */
async function handleMessage(janus: Janus, session: number, handle: number, body: Record<string, unknown>) {
  const response = await fetch(`${janus.apiUrl}/${session}/${handle}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ janus: 'message', body, transaction: Math.random().toString(36).slice(2) }),
    signal: AbortSignal.timeout(10_000),
  });
  const answer = (await response.json()) as { janus: string; error?: unknown };
  if (answer.janus === 'error') throw new Error(`Janus: ${JSON.stringify(answer.error)}`);
}

/** Busy-loop threads in this process: the machine's cores stay saturated until `stop`, which says how much they spun. */
function saturateCpu(threads: number): { stop(): Promise<number> } {
  // (stop() may be called twice: the second call gets the first one's answer.)
  const code = `
    const { parentPort } = require('node:worker_threads');
    let spins = 0;
    let stop = false;
    parentPort.on('message', () => { stop = true; });
    const spin = () => {
      const until = Date.now() + 200;
      while (Date.now() < until) spins++;
      if (stop) parentPort.postMessage(spins);
      else setImmediate(spin);
    };
    spin();
  `;
  const workers = Array.from({ length: threads }, () => new Worker(code, { eval: true }));
  let stopped: Promise<number> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        const counts = await Promise.all(
          workers.map(
            (w) =>
              new Promise<number>((resolve) => {
                w.once('message', (n: number) => resolve(n));
                w.postMessage('stop');
              }),
          ),
        );
        await Promise.all(workers.map((w) => w.terminate()));
        return counts.reduce((a, b) => a + b, 0);
      })();
      return stopped;
    },
  };
}

describe.skipIf(!chromiumAvailable || !janusAvailable)(
  'renegotiation under load through Janus (videoroom demo)',
  () => {
    let janus: Janus;
    let media: FakeMedia;
    let alice: ExtensionBrowser;
    let bob: ExtensionBrowser;
    let carol: ExtensionBrowser;
    let plain: PlainBrowser;

    beforeAll(async () => {
      janus = await startJanus();
      media = await createFakeMedia();
      const origin = new URL(janus.demosUrl).origin;
      alice = await launchExtensionParticipant(origin, PASSPHRASE, media);
      bob = await launchExtensionParticipant(origin, PASSPHRASE, media);
      carol = await launchExtensionParticipant(origin, PASSPHRASE, media);
      plain = await launchPlainChromium({ media });
    }, 180_000);

    afterAll(async () => {
      await Promise.all([alice?.close(), bob?.close(), carol?.close(), plain?.close()]);
      await janus?.stop();
      await media?.cleanup();
    });

    it(`join/leave churn: ${CHURN_JOINS} joins and leaves; each newcomer and the stable two decode each other, nothing stays undecryptable`, async () => {
      const room = await janus.createRoom({ videocodec: 'vp8' });
      const pageA = await alice.browser.newPage();
      const pageB = await bob.browser.newPage();
      await joinVideoroom(janus, pageA, room, 'a');
      await joinVideoroom(janus, pageB, room, 'b');
      await expectDecodes(pageA, 'b');
      await expectDecodes(pageB, 'a');
      const started = Date.now();
      const peaks: number[] = [];
      const newcomerMs: number[] = [];
      for (let i = 0; i < CHURN_JOINS; i++) {
        const name = `c${i}`;
        const before = (await undecryptable(alice, room)) + (await undecryptable(bob, room));
        const joined = Date.now();
        const page = await carol.browser.newPage();
        await joinVideoroom(janus, page, room, name);
        // The control, once: a browser without Framelock joins with this newcomer. It never shows anyone's pattern,
        // while its own (in clear) shows at the others, so its tiles and media do work.
        const withPlain = i === 2;
        const plainPage = withPlain ? await plain.browser.newPage() : undefined;
        if (plainPage) await joinVideoroom(janus, plainPage, room, 'plain');
        // The newcomer decodes both stable ones, and they decode it.
        await expectDecodes(page, 'a');
        await expectDecodes(page, 'b');
        newcomerMs.push(Date.now() - joined);
        await expectDecodes(pageA, name);
        await expectDecodes(pageB, name);
        if (plainPage) {
          const tiles = await waitForTiles(plainPage, 3);
          expect(tiles.length).toBeGreaterThanOrEqual(3);
          for (const selector of tiles) await expectNoRemotePattern(plainPage, 2_000, { selector });
          await waitForRemotePattern(pageA, 20_000, { selector: await tileOf(pageA, 'plain') });
          await waitForRemotePattern(page, 20_000, { selector: await tileOf(page, 'plain') });
        }
        peaks.push((await undecryptable(alice, room)) + (await undecryptable(bob, room)) - before);
        // Leaving: the demo's Stop (which ends the Janus session, then reloads the demo) on even joins, the tab closed
        // on odd ones, as a person closes it (its `beforeunload` runs: janus.js ends its session there). (After Stop the
        // tab is closed once the reload is done: closing it during the reload can hang.)
        if (i % 2 === 0) {
          await Promise.all([
            page.waitForNavigation({ waitUntil: 'load', timeout: 15_000 }),
            page.locator('#start').click(),
          ]);
          await withTimeout(page.close(), 15_000, `${name}'s page to close`);
        } else {
          const closed = new Promise<void>((resolve) => page.once('close', () => resolve()));
          await page.close({ runBeforeUnload: true });
          await withTimeout(closed, 15_000, `${name}'s tab to close`);
        }
        if (plainPage) {
          const closed = new Promise<void>((resolve) => plainPage.once('close', () => resolve()));
          await plainPage.close({ runBeforeUnload: true });
          await withTimeout(closed, 15_000, "the plain browser's tab to close");
        }
        await waitFor(async () => ((await janus.listParticipants(room)).length === 2 ? true : undefined), {
          description: `the room down to 2 publishers after ${name} left`,
          timeoutMs: 20_000,
        });
      }
      const churnMs = Date.now() - started;
      // After the churn: the stable two still decode each other, and every receiver that still gets frames decrypts.
      await expectDecodes(pageA, 'b');
      await expectDecodes(pageB, 'a');
      const liveA = await expectAllLiveEncrypted(alice, room, 2);
      const liveB = await expectAllLiveEncrypted(bob, room, 2);
      // Only a and b publish now: their receivers are the live ones (audio and video of the other).
      expect(liveA.length).toBe(2);
      expect(liveB.length).toBe(2);
      const stale = [alice, bob].map(async (ext) => receivers(await framelockTransforms(ext, String(room))).length);
      console.log(
        `churn: ${CHURN_JOINS} joins and ${CHURN_JOINS} leaves in ${Math.round(churnMs / 1_000)} s; newcomer showed both ` +
          `stable ones after ${newcomerMs.join(', ')} ms (page opened to pattern); undecryptable frames at the stable ` +
          `two per join: ${peaks.join(', ')}; receivers reported in all: ${(await Promise.all(stale)).join(' / ')}, live ` +
          `at the end: ${liveA.length} / ${liveB.length}, all encrypted`,
      );
      await Promise.all([pageA.close(), pageB.close()]);
      await janus.destroyRoom(room);
    }, 300_000);

    it(`simulcast: the subscription is switched between substreams ${SWITCHES} times and the picture keeps decoding`, async () => {
      const room = await janus.createRoom({ videocodec: 'vp8' });
      const pageA = await alice.browser.newPage();
      const pageB = await bob.browser.newPage();
      await joinVideoroom(janus, pageA, room, 'a', { simulcast: 'yes' });
      await joinVideoroom(janus, pageB, room, 'b', { simulcast: 'yes' });
      await expectDecodes(pageB, 'a');
      await expectDecodes(pageA, 'b');
      const tile = await tileOf(pageB, 'a');
      const width = () =>
        pageB.evaluate((sel: string) => document.querySelector<HTMLVideoElement>(sel)?.videoWidth ?? 0, tile);
      // Alice's video as bob's Framelock receives it: before and after the switches.
      const videoReceiver = async () =>
        receivers(await framelockTransforms(bob, String(room))).filter((s) => s.kind === 'video' && s.protected > 0);
      const undecryptableBefore = await undecryptable(bob, room);
      // Which layers alice encodes depends on Chromium and its bandwidth estimate (at 640x480: 320 and 640 px once the
      // estimate allows): wait for two, then go down when the subscription is above the smallest, else up.
      const layers = await waitFor(async () => ((await encodedLayerWidths(pageA)).length >= 2 ? true : undefined), {
        description: 'alice to encode two simulcast layers',
        timeoutMs: 30_000,
      }).then(() => encodedLayerWidths(pageA));
      const widths: number[] = [await width()];
      for (let k = 0; k < SWITCHES; k++) {
        const from = widths.at(-1) as number;
        const tried: string[] = [];
        let switched: number | undefined;
        for (let attempt = 0; attempt < 4 && switched === undefined; attempt++) {
          const encoded = await encodedLayerWidths(pageA);
          const down = from > Math.min(...encoded);
          const substream = down ? 0 : 2;
          tried.push(`${down ? 'down' : 'up'} with ${encoded.join(' and ')} px encoded`);
          if (k % 2 === 0) {
            // The page's own plugin handle, as the demo's buttons do.
            await pageB.evaluate(
              (name: string, sub: number) => {
                type Feed = { rfdisplay: string; send(m: { message: Record<string, unknown> }): void } | null;
                const feed = (window as unknown as { feeds: Feed[] }).feeds.find((f) => f?.rfdisplay === name);
                feed?.send({ message: { request: 'configure', substream: sub } });
              },
              'a',
              substream,
            );
          } else {
            // The server's API on the same handle: nobody on the page asked.
            const sub = await subscriptionOf(pageB, 'a');
            await handleMessage(janus, sub.session, sub.handle, { request: 'configure', mid: sub.mid, substream });
          }
          switched = await waitFor(
            async () => {
              const w = await width();
              return w > 0 && (down ? w < from : w > from) ? w : undefined;
            },
            { description: `a ${down ? 'smaller' : 'larger'} picture after switch ${k + 1}`, timeoutMs: 8_000 },
          ).catch(() => undefined);
        }
        if (switched === undefined) {
          throw new Error(`switch ${k + 1}: the picture (${from} px wide) never changed size: ${tried.join('; ')}`);
        }
        widths.push(switched);
        // After each switch: the pattern, decoded from the new layer's protected frames, and frames still coming.
        await waitForRemotePattern(pageB, 15_000, { selector: tile });
        expect(await tileFlowing(pageB, tile)).toBe(true);
      }
      const [video] = await videoReceiver();
      expect(video?.status).toBe('encrypted');
      const undecryptableDuring = (await undecryptable(bob, room)) - undecryptableBefore;
      expect(undecryptableDuring, 'undecryptable frames at bob while the layers switched').toBe(0);
      await expectAllLiveEncrypted(bob, room, 2);
      console.log(
        `simulcast: alice encoded ${layers.join(' and ')} px; bob's picture went ${widths.join(' → ')} px over ` +
          `${SWITCHES} switches (page handle and server API alternately); ${video?.protected} frames decrypted, ` +
          `${undecryptableDuring} undecryptable`,
      );
      await Promise.all([pageA.close(), pageB.close()]);
      await janus.destroyRoom(room);
    }, 180_000);

    it(`ICE restarts (a publisher’s, then one the server starts on a subscription) with the CPU saturated by ${BUSY_THREADS} busy threads: media keeps decrypting`, async () => {
      const busy = saturateCpu(BUSY_THREADS);
      try {
        const room = await janus.createRoom({ videocodec: 'vp8' });
        const pageA = await alice.browser.newPage();
        const pageB = await bob.browser.newPage();
        await joinVideoroom(janus, pageA, room, 'a');
        await joinVideoroom(janus, pageB, room, 'b');
        await expectDecodes(pageB, 'a');
        await expectDecodes(pageA, 'b');
        const aliceAtBob = async () =>
          receivers(await framelockTransforms(bob, String(room)))
            .filter((s) => s.kind === 'video')
            .reduce((sum, s) => sum + s.protected, 0);

        // 1. Alice's publisher restarts ICE: janus.js offers with new ICE credentials, the demo's `configure` carries
        // it, and the demo applies Janus's answer.
        const before = await publisherIce(pageA);
        const decryptedBefore = await aliceAtBob();
        await pageA.evaluate(() => {
          type Handle = {
            createOffer(o: Record<string, unknown>): void;
            send(m: { message: Record<string, unknown>; jsep?: unknown }): void;
          };
          const handle = (window as unknown as { sfutest: Handle }).sfutest;
          handle.createOffer({
            iceRestart: true,
            success: (jsep: unknown) =>
              handle.send({ message: { request: 'configure', audio: true, video: true }, jsep }),
            error: (e: unknown) => console.error('ICE restart offer failed', e),
          });
        });
        const after = await waitFor(
          async () => {
            const now = await publisherIce(pageA);
            return now.remoteUfrag !== before.remoteUfrag &&
              now.localUfrag !== before.localUfrag &&
              now.signaling === 'stable' &&
              ['connected', 'completed'].includes(now.ice)
              ? now
              : undefined;
          },
          { description: "alice's publisher connection to restart ICE and reconnect", timeoutMs: 20_000 },
        );
        // Bob still decodes alice: pixels, frames presented, and Framelock decrypting more of her frames.
        await expectDecodes(pageB, 'a');
        await waitFor(async () => ((await aliceAtBob()) > decryptedBefore + 30 ? true : undefined), {
          description: "bob's Framelock to decrypt more of alice's video after her ICE restart",
          timeoutMs: 15_000,
        });

        // 2. The server restarts ICE on bob's subscription to alice (`configure` with `restart`): Janus sends a new
        // offer, which the demo answers.
        const sub = await subscriptionOf(pageB, 'a');
        await handleMessage(janus, sub.session, sub.handle, { request: 'configure', restart: true });
        const subAfter = await waitFor(
          async () => {
            const now = await subscriptionOf(pageB, 'a');
            return now.remoteUfrag !== sub.remoteUfrag &&
              now.localUfrag !== sub.localUfrag &&
              ['connected', 'completed'].includes(now.ice)
              ? now
              : undefined;
          },
          { description: "bob's subscription to alice to restart ICE and reconnect", timeoutMs: 20_000 },
        );
        const decryptedMid = await aliceAtBob();
        await expectDecodes(pageB, 'a');
        await waitFor(async () => ((await aliceAtBob()) > decryptedMid + 30 ? true : undefined), {
          description: "bob's Framelock to decrypt more of alice's video after the subscription's ICE restart",
          timeoutMs: 15_000,
        });
        // Alice still decodes bob, and both sides' live receivers all decrypt.
        await expectDecodes(pageA, 'b');
        const liveA = await expectAllLiveEncrypted(alice, room, 2);
        const liveB = await expectAllLiveEncrypted(bob, room, 2);
        const total = [...liveA, ...liveB].reduce((sum, s) => sum + s.undecryptable, 0);
        expect(total, 'undecryptable frames in the live receivers').toBe(0);
        const spins = await busy.stop();
        console.log(
          `ICE restart under load: publisher ufrag ${before.localUfrag}→${after.localUfrag} (server ` +
            `${before.remoteUfrag}→${after.remoteUfrag}), subscription server ufrag ${sub.remoteUfrag}→` +
            `${subAfter.remoteUfrag}; bob decrypted ${await aliceAtBob()} frames of alice's video; ${total} ` +
            `undecryptable; ${BUSY_THREADS} busy threads spun ${(spins / 1e6).toFixed(0)} M loops`,
        );
        await Promise.all([pageA.close(), pageB.close()]);
        await janus.destroyRoom(room);
      } finally {
        await busy.stop().catch(() => undefined);
      }
    }, 180_000);
  },
);

describe.skipIf(!chromiumAvailable || !janusAvailable)(
  'a call tab in the background while keys rotate (rotation test build, Janus)',
  () => {
    let janus: Janus;
    let media: FakeMedia;
    /** Its tab goes to the background; its Chromium throttles hidden tabs as Chrome does. */
    let hidden: ExtensionBrowser;
    let front: ExtensionBrowser;

    beforeAll(async () => {
      janus = await startJanus();
      media = await createFakeMedia();
      const origin = new URL(janus.demosUrl).origin;
      hidden = await launchExtensionParticipant(origin, PASSPHRASE, media, {
        extensionPath: ROTATION_TEST_EXTENSION_PATH,
        ignoreDefaultArgs: [
          '--disable-background-timer-throttling',
          '--disable-backgrounding-occluded-windows',
          '--disable-renderer-backgrounding',
        ],
      });
      front = await launchExtensionParticipant(origin, PASSPHRASE, media, {
        extensionPath: ROTATION_TEST_EXTENSION_PATH,
      });
    }, 180_000);

    afterAll(async () => {
      await Promise.all([hidden?.close(), front?.close()]);
      await janus?.stop();
      await media?.cleanup();
    });

    it('its tab hidden for 4 epochs: the other keeps decoding it throughout, and back in front its receivers decrypt', async () => {
      const room = await janus.createRoom({ videocodec: 'vp8' });
      const pageH = await hidden.browser.newPage();
      const pageF = await front.browser.newPage();
      await joinVideoroom(janus, pageH, room, 'h');
      await joinVideoroom(janus, pageF, room, 'f');
      await expectDecodes(pageF, 'h');
      await expectDecodes(pageH, 'f');
      /** The generations of `ext`'s remote senders its receivers decrypted, by participant. */
      const generations = async (ext: ExtensionBrowser): Promise<Set<string>> => {
        const out = new Set<string>();
        for (const s of receivers(await framelockTransforms(ext, String(room)))) {
          for (const k of s.byKid ?? []) {
            if (k.protected > 0) out.add(`${kidParticipant(BigInt(k.kid))}:${kidEpoch(BigInt(k.kid))}`);
          }
        }
        return out;
      };
      const undecryptableBefore = [await undecryptable(front, room), await undecryptable(hidden, room)];
      const gensBefore = [await generations(front), await generations(hidden)];

      // Another tab to the front: the call tab is hidden, and its timers are throttled (a 50 ms interval counted).
      await pageH.evaluate(() => {
        const w = window as unknown as { churnTicks: number };
        w.churnTicks = 0;
        setInterval(() => {
          w.churnTicks++;
        }, 50);
      });
      const other = await hidden.browser.newPage();
      await other.goto(janus.demosUrl, { waitUntil: 'load' });
      await other.bringToFront();
      await waitFor(async () => (await pageH.evaluate(() => document.visibilityState)) === 'hidden', {
        description: 'the call tab to be hidden',
      });
      const ticksAt = await pageH.evaluate(() => (window as unknown as { churnTicks: number }).churnTicks);
      const hiddenAt = Date.now();
      const epochAt = Math.floor(hiddenAt / EPOCH_MS);
      let probes = 0;
      // Throughout: the front participant decodes the hidden one's pattern, with frames presented.
      while (Date.now() - hiddenAt < HIDDEN_MS) {
        await expectDecodes(pageF, 'h', 10_000);
        expect(await pageH.evaluate(() => document.visibilityState)).toBe('hidden');
        probes++;
        await sleep(1_000);
      }
      const hiddenMs = Date.now() - hiddenAt;
      const ticks = (await pageH.evaluate(() => (window as unknown as { churnTicks: number }).churnTicks)) - ticksAt;
      const epochsCrossed = Math.floor(Date.now() / EPOCH_MS) - epochAt;
      const gensHidden = [await generations(front), await generations(hidden)];
      // Back to the front.
      await pageH.bringToFront();
      await waitFor(async () => (await pageH.evaluate(() => document.visibilityState)) === 'visible', {
        description: 'the call tab visible again',
      });
      await expectDecodes(pageH, 'f');
      await expectDecodes(pageF, 'h');
      const liveH = await expectAllLiveEncrypted(hidden, room, 2);
      const liveF = await expectAllLiveEncrypted(front, room, 2);
      const undecryptableDuring = [
        (await undecryptable(front, room)) - (undecryptableBefore[0] as number),
        (await undecryptable(hidden, room)) - (undecryptableBefore[1] as number),
      ];
      const newGens = gensHidden.map((set, i) => [...set].filter((g) => !gensBefore[i]?.has(g)).length);
      console.log(
        `background tab: hidden ${Math.round(hiddenMs / 1_000)} s (${epochsCrossed} epoch boundaries), a 50 ms interval ` +
          `ran ${ticks} times there (${((ticks * 1_000) / hiddenMs).toFixed(1)}/s); new sender generations decrypted ` +
          `while hidden: ${newGens[0]} at the front one, ${newGens[1]} at the hidden one; undecryptable frames ` +
          `${undecryptableDuring.join(' / ')}; ${probes} pattern checks at the front one; live receivers ` +
          `${liveF.length} / ${liveH.length}, all encrypted`,
      );
      // The tab really was throttled (Chrome aligns hidden tabs' timers to once a second), and keys really rotated.
      expect(ticks * 50).toBeLessThan(hiddenMs / 2);
      expect(epochsCrossed).toBeGreaterThanOrEqual(3);
      expect(
        newGens[0],
        'generations of the hidden one decrypted at the front one while hidden',
      ).toBeGreaterThanOrEqual(2);
      expect(
        newGens[1],
        'generations of the front one decrypted at the hidden one while hidden',
      ).toBeGreaterThanOrEqual(2);
      expect(undecryptableDuring, 'undecryptable frames while the tab was hidden and after').toEqual([0, 0]);
      await Promise.all([other.close(), pageH.close(), pageF.close()]);
      await janus.destroyRoom(room);
    }, 180_000);
  },
);
