/**
 * Every path by which a site hands media to an RTCPeerConnection, through the demo site between real Chromium
 * profiles with the built extension: `addTransceiver`, a track-less transceiver filled later with `replaceTrack`, a
 * call inside a same-origin iframe, `replaceTrack` to a screen-share-like canvas track, renegotiation with a second
 * video track, and transceivers that come from the remote offer. For each path:
 *
 * - positive: alice and bob (Framelock, same passphrase) see each other's picture, and Framelock's own counters show
 *   the transforms of that path encrypting and decrypting;
 * - negative: dave (plain Chromium, no Framelock) receives alice's video packets on that path but never shows her
 *   picture (camera pattern or canvas colour), so the path carries only protected frames.
 *
 * And the other side of "enabled only where the user enabled it": profiles with the extension but the demo site not
 * enabled call normally with nothing injected, and an enabled profile gets nothing injected into another origin of
 * the same server (localhost instead of 127.0.0.1).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Frame, Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../../demo/server';
import type { TabStatus, TransformStats } from '../../src/shared/messages';
import {
  type Call,
  callArgs,
  callFrame,
  callStats,
  createFakeMedia,
  type DemoStats,
  type DemoWindow,
  demoLog,
  type FakeMedia,
  framelockTransforms,
  launchExtensionParticipant,
  launchPlainChromium,
  measureAudio,
  type PlainBrowser,
  type StartCallOptions,
  startCall,
  videoFlowing,
  waitForRemotePattern,
  waitForTransform,
} from './call';
import {
  chromiumAvailable,
  DEFAULT_EXTENSION_PATH,
  type ExtensionBrowser,
  launchWithExtension,
  sleep,
  waitFor,
} from './harness';
import {
  describeSamples,
  PATTERN_COLOURS,
  patternMismatches,
  type Quadrant,
  type Rgb,
  SCREEN_COLOURS,
  samplePattern,
} from './media';
import { consoleOf, recordConsole } from './page-console';

const PASSPHRASE = 'correct horse battery staple';
/**
 * Requirements the extension does not meet yet, by decision or by bug: expected to fail (`it.fails`) until they hold,
 * then they fail the run and the `.fails` goes. `FRAMELOCK_SHOW_KNOWN_BUGS=1` runs them as plain tests, to read why.
 */
const knownGap = process.env.FRAMELOCK_SHOW_KNOWN_BUGS ? it : it.fails;
/** How long a receiver without the key is watched, once media flows: it keeps asking for (and getting) keyframes. */
const NEGATIVE_WATCH_MS = 5_000;
/** What `Function.prototype.toString` gives for Chromium's own RTCPeerConnection. */
const NATIVE_PC_SOURCE = 'function RTCPeerConnection() { [native code] }';

type Colours = Readonly<Record<Quadrant, Rgb>>;
/** What the far side must never show: the fake camera, and the demo's canvas "screen share". */
const ANY_PICTURE: readonly Colours[] = [PATTERN_COLOURS, SCREEN_COLOURS];

// ---- helpers ------------------------------------------------------------------------------------------------------

interface Watch {
  selector: string;
  colours: readonly Colours[];
}

/**
 * Samples every watched `<video>` of the call frame for `forMs` (or, with `until`, until it resolves true, failing
 * after `forMs`) and throws the moment one shows any of its pictures.
 */
async function expectNeverShows(
  page: Page,
  forMs: number,
  watches: Watch[],
  until?: { description: string; done: () => Promise<boolean> },
): Promise<void> {
  const deadline = Date.now() + forMs;
  for (;;) {
    for (const { selector, colours } of watches) {
      const samples = await samplePattern(callFrame(page), selector);
      for (const picture of colours) {
        if (patternMismatches(samples, picture).length === 0) {
          throw new Error(`${page.url()}: ${selector} showed a picture it must not: ${describeSamples(samples)}`);
        }
      }
    }
    if (until !== undefined && (await until.done())) return;
    if (Date.now() >= deadline) {
      if (until === undefined) return;
      throw new Error(`${page.url()}: timed out after ${forMs} ms waiting for ${until.description}`);
    }
    await sleep(200);
  }
}

/** Inbound video packets per RTP stream (by mid). */
function videoPackets(stats: DemoStats): Map<string, number> {
  const packets = new Map<string, number>();
  for (const s of stats.inbound) {
    if (s.kind === 'video') packets.set(s.mid ?? '?', (packets.get(s.mid ?? '?') ?? 0) + s.packetsReceived);
  }
  return packets;
}

/** What one transceiver of the call looks like from the page. */
interface TransceiverView {
  mid: string | null;
  kind: string;
  direction: string;
  currentDirection: string | null;
  /** The sender has a track. */
  sending: boolean;
  senderTransform: string | null;
  receiverTransform: string | null;
  /** Ids of the page's media elements that play this transceiver's receiver track. */
  feeds: string[];
}

interface InjectionView {
  /**
   * The page script's realm marker (`Symbol.for('framelock.page')`): checked only for its absence, since hardening may
   * hide it where we inject. Likewise `pcSource`: the patch disguises its toString as native.
   */
  marker: boolean;
  pcSource: string;
  localDescription: string | null;
  transceivers: TransceiverView[];
  senders: (string | null)[];
  receivers: (string | null)[];
}

/**
 * The call frame's view of its connection: whether our page script ran there, what `RTCPeerConnection` looks like,
 * and each sender's and receiver's `transform`. (In a patched realm, `getTransceivers` & co. themselves attach missing
 * transforms, so this view is supporting evidence; the frames the far side decodes are the authority.)
 */
function injectionView(frame: Frame): Promise<InjectionView> {
  return frame.evaluate(() => {
    const pc = (window as DemoWindow).demo?.pc ?? null;
    const media = [...document.querySelectorAll('video, audio')] as HTMLMediaElement[];
    const name = (t: object | null) => (t === null ? null : (t.constructor?.name ?? typeof t));
    return {
      marker: Symbol.for('framelock.page') in window,
      pcSource: RTCPeerConnection.toString(),
      localDescription: pc?.localDescription?.type ?? null,
      transceivers: (pc?.getTransceivers() ?? []).map((t) => ({
        mid: t.mid,
        kind: t.receiver.track.kind,
        direction: t.direction,
        currentDirection: t.currentDirection,
        sending: t.sender.track !== null,
        senderTransform: name(t.sender.transform),
        receiverTransform: name(t.receiver.transform),
        feeds: media
          .filter((m) => m.srcObject instanceof MediaStream && m.srcObject.getTracks().includes(t.receiver.track))
          .map((m) => m.id),
      })),
      senders: (pc?.getSenders() ?? []).map((s) => name(s.transform)),
      receivers: (pc?.getReceivers() ?? []).map((r) => name(r.transform)),
    };
  });
}

/** The page (its call frame) got no Framelock injection: no marker, the native RTCPeerConnection, no transforms. */
async function expectNoInjection(page: Page): Promise<void> {
  const view = await injectionView(callFrame(page));
  expect(view.marker).toBe(false);
  expect(view.pcSource).toBe(NATIVE_PC_SOURCE);
  expect(view.senders.length).toBeGreaterThan(0);
  expect(
    view.senders.every((t) => t === null),
    JSON.stringify(view),
  ).toBe(true);
  expect(
    view.receivers.every((t) => t === null),
    JSON.stringify(view),
  ).toBe(true);
}

/** Calls `demo.<method>()` in the call frame (iframe mode included). */
function demoCall(page: Page, method: 'replaceTrackWithCanvas' | 'addSecondVideoTrack'): Promise<string> {
  return callFrame(page).evaluate(async (m: 'replaceTrackWithCanvas' | 'addSecondVideoTrack') => {
    const demo = (window as DemoWindow).demo;
    if (!demo) throw new Error('no window.demo');
    return demo[m]();
  }, method);
}

/** Waits until the page plays a remote video number `index` (0-based, in arrival order), and returns its element id. */
async function remoteVideo(page: Page, index: number): Promise<string> {
  return waitFor(
    async () => {
      const ids = await callFrame(page).evaluate(() => (window as DemoWindow).demo?.remoteVideos ?? []);
      return ids[index];
    },
    { description: `remote video ${index + 1} on ${page.url()}`, timeoutMs: 15_000 },
  );
}

/** All `tab:<id>` statuses the background keeps (every tab, whatever its URL). */
async function allTabStatuses(ext: ExtensionBrowser): Promise<TabStatus[]> {
  return (await ext.serviceWorker.evaluate(async () => {
    const all = await chrome.storage.session.get(null);
    return Object.entries(all)
      .filter(([key]) => key.startsWith('tab:'))
      .map(([, value]) => value);
  })) as TabStatus[];
}

/** The frames of the tab running `room`, as the extension numbers them (needs the site's host permission). */
async function tabFrames(ext: ExtensionBrowser, room: string): Promise<{ frameId: number; url: string }[]> {
  return ext.serviceWorker.evaluate(async (roomId: string) => {
    const tab = (await chrome.tabs.query({})).find((t) => t.url?.includes(`room=${roomId}`));
    if (tab?.id === undefined) throw new Error(`no tab runs room ${roomId}`);
    const results = await chrome.scripting.executeScript({
      target: { tabId: tab.id, allFrames: true },
      func: () => location.href,
    });
    return results.map((r) => ({ frameId: r.frameId, url: String(r.result) }));
  }, room);
}

/** The extension's frame id of the call's iframe (`iframe=1`) in the tab running `room`, as a string. */
async function iframeId(ext: ExtensionBrowser, room: string): Promise<string> {
  const frames = await tabFrames(ext, room);
  const framed = frames.filter((f) => new URL(f.url).searchParams.get('framed') === '1');
  if (framed.length !== 1 || framed[0]?.frameId === 0) {
    throw new Error(`expected one call iframe below the top frame, got ${JSON.stringify(frames)}`);
  }
  return String(framed[0]?.frameId);
}

/** The frame id (as the background prefixes it: `<frameId>/<transform id>`) that reported a transform. */
function reportingFrame(stats: TransformStats): string {
  return stats.id.split('/')[0] ?? '';
}

/** The background's status of the tab(s) running `room` (counters and problems). */
async function tabStatuses(ext: ExtensionBrowser, room: string): Promise<TabStatus[]> {
  return (await ext.serviceWorker.evaluate(async (roomId: string) => {
    const tabs = await chrome.tabs.query({});
    const keys = tabs.filter((t) => t.url?.includes(`room=${roomId}`)).map((t) => `tab:${t.id}`);
    return Object.values(await chrome.storage.session.get(keys));
  }, room)) as TabStatus[];
}

/**
 * Why a failure may say nothing about the extension: `dist/` (which every test browser loads unpacked) was rebuilt
 * since `since`, e.g. by `npm run build` in another checkout's test run sharing this folder. Pages then load missing
 * or different scripts: no injection (media in clear) or a page script of another build.
 */
function distRebuiltSince(since: number): string {
  const files = ['manifest.json', 'src/page/main.js', 'src/content/bridge.js'];
  const changed = files.filter((file) => {
    try {
      return statSync(path.join(DEFAULT_EXTENSION_PATH, file)).mtimeMs > since;
    } catch {
      return true;
    }
  });
  return changed.length === 0
    ? ''
    : `\n!!! dist/ changed while this test ran (${changed.join(', ')}): rebuilt under the running browsers, so this ` +
        'failure may be an artifact of the rebuild rather than of the extension.';
}

describe.skipIf(!chromiumAvailable)('every patched path carries only protected media (headless Chromium)', () => {
  let server: DemoServer;
  let media: FakeMedia;
  let alice: ExtensionBrowser;
  let bob: ExtensionBrowser;
  let dave: PlainBrowser;
  /** When the browsers loaded dist/ (see {@link distRebuiltSince}). */
  let launched = 0;
  let open: Page[] = [];
  let calls: Call[] = [];

  /** Opens a page in each browser and starts a call (the first joins first, the second makes the offer). */
  async function call(
    first: { browser: { newPage(): Promise<Page> } },
    second: { browser: { newPage(): Promise<Page> } },
    options: Omit<StartCallOptions, 'browsers' | 'url'> & { url?: string } = {},
  ): Promise<Call> {
    const pages: [Page, Page] = [await first.browser.newPage(), await second.browser.newPage()];
    for (const page of pages) recordConsole(page);
    open.push(...pages);
    const started = await startCall({ ...options, url: options.url ?? server.url, browsers: pages });
    calls.push(started);
    return started;
  }

  /**
   * Hangs up and closes both pages. Done before the next call: with a call still holding a camera track it no longer
   * sends (after replaceTrack to the canvas), a second tab of the same profile encodes no camera video at all, with
   * or without Framelock (Chromium's fake capture device).
   */
  async function end(c: Call): Promise<void> {
    await c.hangUp();
    await Promise.all(c.pages.map((p) => p.close().catch(() => undefined)));
    calls = calls.filter((x) => x !== c);
    open = open.filter((p) => !c.pages.includes(p));
  }

  /**
   * Both pages of alice and bob's call show the other's camera. On failure the error also carries Framelock's counters
   * and the RTP counters of both sides, to tell "nothing sent" from "sent but not decrypted".
   */
  async function bothSeeEachOther(c: Call): Promise<void> {
    const waits = await Promise.allSettled(c.pages.map((p) => waitForRemotePattern(p)));
    const failed = waits.filter((w): w is PromiseRejectedResult => w.status === 'rejected');
    if (failed.length === 0) return;
    const sides = await Promise.all(
      ([alice, bob] as const).map(async (ext, i) => {
        const page = c.pages[i] as Page;
        const statuses = await tabStatuses(ext, c.room).catch((e: unknown) => String(e));
        const stats = await callStats(page).catch((e: unknown) => String(e));
        return (
          `${i === 0 ? 'alice' : 'bob'}: tab status ${JSON.stringify(statuses)}\n  stats ${JSON.stringify(stats)}\n` +
          `  console:\n${consoleOf(page)}`
        );
      }),
    );
    throw new Error(
      `${failed.map((f) => String(f.reason)).join('\n')}\n--- counters ---\n${sides.join('\n')}${distRebuiltSince(launched)}`,
    );
  }

  /** Alice and bob both encrypt and decrypt `kinds`, and neither sees unencrypted or undecryptable frames. */
  async function expectProtectedBothWays(room: string, kinds: ('audio' | 'video')[] = ['video', 'audio']) {
    for (const ext of [alice, bob]) {
      for (const kind of kinds) {
        await waitForTransform(
          ext,
          room,
          `${kind} encrypted`,
          (s) => s.side === 'send' && s.kind === kind && s.protected > 0,
        );
        const received = await waitForTransform(
          ext,
          room,
          `${kind} decrypted`,
          (s) => s.side === 'receive' && s.kind === kind && s.protected > 10,
        );
        expect(received.status).toBe('encrypted');
      }
      const all = await framelockTransforms(ext, room);
      expect(
        all.filter((s) => s.unencrypted > 0 || s.undecryptable > 0),
        JSON.stringify(all),
      ).toEqual([]);
    }
  }

  /**
   * Dave (no Framelock) receives alice's video packets on `streams` RTP streams but never shows her pictures, while
   * alice's send transforms keep encrypting. The watch starts once packets arrive (watching already), then lasts
   * `forMs`, during which every stream must keep receiving: "no picture" must not just mean "no media".
   */
  async function expectDaveSeesNothing(
    davePage: Page,
    room: string,
    watches: Watch[],
    { streams = 1, forMs = NEGATIVE_WATCH_MS }: { streams?: number; forMs?: number } = {},
  ): Promise<void> {
    const flowing = async () =>
      [...videoPackets(await callStats(davePage)).values()].filter((packets) => packets > 0).length >= streams;
    await expectNeverShows(davePage, 15_000, watches, {
      description: `dave to receive video packets on ${streams} stream(s)`,
      done: flowing,
    }).catch(async (error: unknown) => {
      const stats = await callStats(davePage).catch((e: unknown) => String(e));
      throw new Error(
        `${(error as Error).message}\ndave's stats: ${JSON.stringify(stats)}\nalice's transforms: ` +
          `${JSON.stringify(await framelockTransforms(alice, room))}\n--- dave's log ---\n${await demoLog(davePage)}` +
          `\n--- dave's console ---\n${consoleOf(davePage)}${distRebuiltSince(launched)}`,
      );
    });
    const before = videoPackets(await callStats(davePage));
    await expectNeverShows(davePage, forMs, watches);
    const after = videoPackets(await callStats(davePage));
    const receiving = [...after].filter(([, packets]) => packets > 0);
    expect(receiving.length, `dave's inbound video ${JSON.stringify([...after])}`).toBeGreaterThanOrEqual(streams);
    // Media kept flowing through the whole watch (≥ 3 packets a second; ~30 flow), not just a few at its start.
    for (const [mid, packets] of receiving) {
      expect(
        packets - (before.get(mid) ?? 0),
        `video packets dave received on mid ${mid} during the watch`,
      ).toBeGreaterThanOrEqual(Math.floor((3 * forMs) / 1000));
    }
    await waitForTransform(
      alice,
      room,
      'alice encrypts video',
      (s) => s.side === 'send' && s.kind === 'video' && s.protected > 0,
    );
  }

  beforeAll(async () => {
    server = await startDemoServer();
    media = await createFakeMedia();
    launched = Date.now();
    [alice, bob, dave] = await Promise.all([
      launchExtensionParticipant(server.url, PASSPHRASE, media),
      launchExtensionParticipant(server.url, PASSPHRASE, media),
      launchPlainChromium({ media }),
    ]);
  });

  afterEach(async () => {
    await Promise.all(calls.map((c) => c.hangUp()));
    await Promise.all(open.map((p) => p.close().catch(() => undefined)));
    calls = [];
    open = [];
  });

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close(), dave?.close()]);
    await server?.close();
    await media?.cleanup();
  });

  for (const send of ['addTransceiver', 'transceiverThenReplace'] as const) {
    it(`send=${send}: protected with the key, never shown without it`, async () => {
      const query = { send };
      const good = await call(alice, bob, { query });
      await bothSeeEachOther(good);
      await expectProtectedBothWays(good.room);
      for (const p of good.pages) {
        const view = await injectionView(callFrame(p));
        const video = view.transceivers.filter((t) => t.kind === 'video');
        // Every transceiver carrying video either way has our transform on that side.
        for (const t of video) {
          if (t.currentDirection?.includes('send'))
            expect(t.senderTransform, JSON.stringify(t)).toBe('RTCRtpScriptTransform');
          if (t.currentDirection?.includes('recv'))
            expect(t.receiverTransform, JSON.stringify(t)).toBe('RTCRtpScriptTransform');
        }
        expect(
          video.some((t) => t.sending && t.currentDirection?.includes('send')),
          JSON.stringify(video),
        ).toBe(true);
      }

      await end(good);

      const bad = await call(alice, dave, { query });
      await waitForRemotePattern(bad.pages[0]); // dave's plaintext reaches alice: the call itself works
      await expectDaveSeesNothing(bad.pages[1], bad.room, [{ selector: '#remote', colours: ANY_PICTURE }]);
    });
  }

  it('iframe=1: a call in a same-origin iframe never carries plaintext: dave never shows it', async () => {
    const query = { iframe: '1' };
    const bad = await call(alice, dave, { query });
    expect(callFrame(bad.pages[0]), 'the call runs in the iframe').not.toBe(bad.pages[0].mainFrame());
    await waitForRemotePattern(bad.pages[0]); // dave's plaintext reaches alice: the call itself works
    await expectNeverShows(bad.pages[1], NEGATIVE_WATCH_MS, [{ selector: '#remote', colours: ANY_PICTURE }]);
    // Alice's camera goes through the transform of the page script injected into the iframe (not the top frame).
    const frameId = await iframeId(alice, bad.room);
    const sender = await waitForTransform(
      alice,
      bad.room,
      "the iframe's video sender handles frames",
      (s) => s.side === 'send' && s.kind === 'video' && (s.protected > 0 || s.dropped > 30),
    );
    expect(reportingFrame(sender)).toBe(frameId);
    if (sender.protected > 0) {
      // Protected: ciphertext reaches dave, who never shows it.
      await expectDaveSeesNothing(bad.pages[1], bad.room, [{ selector: '#remote', colours: ANY_PICTURE }]);
    } else {
      // Fail closed (the bridge serves no keys to a frame the page could reach first, `unsafe_frame`): our transform
      // drops every frame, so nothing reaches dave, and the tab says why.
      const statuses = await tabStatuses(alice, bad.room);
      expect(
        statuses.flatMap((s) => s.problems),
        JSON.stringify(statuses),
      ).toContain('unsafe_frame');
      const sends = (await framelockTransforms(alice, bad.room)).filter((s) => s.side === 'send');
      expect(sends.length, JSON.stringify(sends)).toBeGreaterThan(0);
      expect(
        sends.filter((s) => s.protected > 0 || s.passthrough > 0),
        JSON.stringify(sends),
      ).toEqual([]);
      const packets = [...videoPackets(await callStats(bad.pages[1])).values()].reduce((a, b) => a + b, 0);
      expect(packets, 'dave received no video at all').toBe(0);
    }
  });

  // The issue asks for this; since db8feeb ("Close three holes a hostile page test found") the bridge serves no keys to
  // frames below a same-origin ancestor (`unsafe_frame`, docs/architecture.md), so such calls carry no media at all.
  // A deliberate trade-off until the page's reach into a child realm before document_start is closed another way.
  knownGap(
    'iframe=1: with the key, a call in a same-origin iframe shows the pattern (script injected there)',
    async () => {
      const good = await call(alice, bob, { query: { iframe: '1' } });
      for (const p of good.pages) expect(callFrame(p), 'the call runs in the iframe').not.toBe(p.mainFrame());
      await bothSeeEachOther(good);
      await expectProtectedBothWays(good.room);
      for (const [ext, p] of [
        [alice, good.pages[0]],
        [bob, good.pages[1]],
      ] as const) {
        const frameId = await iframeId(ext, good.room);
        const transforms = await framelockTransforms(ext, good.room);
        expect(new Set(transforms.map(reportingFrame)), 'every transform was reported by the iframe').toEqual(
          new Set([frameId]),
        );
        const view = await injectionView(callFrame(p));
        expect(view.senders.length).toBeGreaterThan(0);
        expect(
          view.senders.every((t) => t === 'RTCRtpScriptTransform'),
          JSON.stringify(view.senders),
        ).toBe(true);
        expect(
          view.receivers.every((t) => t === 'RTCRtpScriptTransform'),
          JSON.stringify(view.receivers),
        ).toBe(true);
      }
    },
  );

  it('replaceTrack to a canvas ("screen share"): the same transform protects it, and dave never shows it', async () => {
    const good = await call(alice, bob);
    await bothSeeEachOther(good);
    const sendBefore = await waitForTransform(
      alice,
      good.room,
      'alice encrypts camera video',
      (s) => s.side === 'send' && s.kind === 'video' && s.protected > 0,
    );
    const receiveBefore = await waitForTransform(
      bob,
      good.room,
      'bob decrypts camera video',
      (s) => s.side === 'receive' && s.kind === 'video' && s.protected > 0,
    );
    await demoCall(good.pages[0], 'replaceTrackWithCanvas');
    await waitForRemotePattern(good.pages[1], undefined, { colours: SCREEN_COLOURS });
    expect(await videoFlowing(good.pages[1]), 'bob keeps decoding the canvas').toBe(true);
    // The sender kept its transform across replaceTrack (same id, still counting), and bob's receiver still decrypts.
    await waitForTransform(
      alice,
      good.room,
      'alice encrypts the canvas with the same transform',
      (s) => s.id === sendBefore.id && s.protected > sendBefore.protected + 30 && s.status === 'encrypted',
    );
    await waitForTransform(
      bob,
      good.room,
      'bob decrypts the canvas with the same transform',
      (s) => s.id === receiveBefore.id && s.protected > receiveBefore.protected + 30 && s.status === 'encrypted',
    );
    const sends = (await framelockTransforms(alice, good.room)).filter((s) => s.side === 'send' && s.kind === 'video');
    expect(sends.map((s) => s.id)).toEqual([sendBefore.id]);
    for (const ext of [alice, bob]) {
      const all = await framelockTransforms(ext, good.room);
      expect(
        all.filter((s) => s.unencrypted > 0 || s.undecryptable > 0),
        JSON.stringify(all),
      ).toEqual([]);
    }

    await end(good);

    const bad = await call(alice, dave);
    await waitForRemotePattern(bad.pages[0]);
    await expectDaveSeesNothing(bad.pages[1], bad.room, [{ selector: '#remote', colours: ANY_PICTURE }], {
      forMs: 2_000,
    });
    await demoCall(bad.pages[0], 'replaceTrackWithCanvas');
    await expectDaveSeesNothing(bad.pages[1], bad.room, [{ selector: '#remote', colours: ANY_PICTURE }]);
  });

  it('renegotiation with a second video track: protected on its own transforms, and dave never shows it', async () => {
    const good = await call(alice, bob);
    await bothSeeEachOther(good);
    await demoCall(good.pages[0], 'addSecondVideoTrack');
    const second = await remoteVideo(good.pages[1], 1);
    await waitForRemotePattern(good.pages[1], undefined, { selector: `#${second}`, colours: SCREEN_COLOURS });
    await waitForRemotePattern(good.pages[1]); // the camera goes on
    await waitFor(
      async () =>
        (await framelockTransforms(bob, good.room)).filter(
          (s) => s.side === 'receive' && s.kind === 'video' && s.protected > 10,
        ).length >= 2,
      { description: 'bob decrypts two video tracks', timeoutMs: 15_000 },
    );
    await waitFor(
      async () =>
        (await framelockTransforms(alice, good.room)).filter(
          (s) => s.side === 'send' && s.kind === 'video' && s.protected > 10,
        ).length >= 2,
      { description: 'alice encrypts two video tracks', timeoutMs: 15_000 },
    );
    for (const ext of [alice, bob]) {
      const all = await framelockTransforms(ext, good.room);
      expect(
        all.filter((s) => s.unencrypted > 0 || s.undecryptable > 0),
        JSON.stringify(all),
      ).toEqual([]);
    }
    const view = await injectionView(callFrame(good.pages[1]));
    const feeding = view.transceivers.find((t) => t.feeds.includes(second));
    expect(feeding?.receiverTransform, JSON.stringify(view.transceivers)).toBe('RTCRtpScriptTransform');

    await end(good);

    const bad = await call(alice, dave);
    await waitForRemotePattern(bad.pages[0]);
    await demoCall(bad.pages[0], 'addSecondVideoTrack');
    const daveSecond = await remoteVideo(bad.pages[1], 1);
    await expectDaveSeesNothing(
      bad.pages[1],
      bad.room,
      [
        { selector: '#remote', colours: ANY_PICTURE },
        { selector: `#${daveSecond}`, colours: ANY_PICTURE },
      ],
      { streams: 2 },
    );
  });

  it('transceivers from the remote offer: the answerer’s senders and receivers carry transforms that work', async () => {
    // startCall: bob (second to join) makes the offer, alice answers. With addTrack, alice's transceivers are
    // associated with bob's offered m-lines; with addTransceiver, her receivers of bob's media are transceivers that
    // setRemoteDescription(offer) created.
    for (const send of ['addTrack', 'addTransceiver'] as const) {
      const good = await call(alice, bob, { query: { send } });
      await bothSeeEachOther(good);
      await expectProtectedBothWays(good.room);
      const view = await injectionView(callFrame(good.pages[0]));
      const bobView = await injectionView(callFrame(good.pages[1]));
      const details = `${send}: alice ${JSON.stringify(view)}; bob ${JSON.stringify(bobView)}`;
      // Alice answered bob's offer: the m-lines she uses were made by bob.
      const bobMids = new Set(bobView.transceivers.map((t) => t.mid));
      const offered = view.transceivers.filter((t) => t.mid !== null && ['0', '1'].includes(t.mid));
      expect(
        offered.every((t) => bobMids.has(t.mid)),
        details,
      ).toBe(true);
      expect(offered.map((t) => t.kind).sort(), details).toEqual(['audio', 'video']);
      for (const t of offered) {
        expect(t.receiverTransform, details).toBe('RTCRtpScriptTransform');
        expect(t.senderTransform, details).toBe('RTCRtpScriptTransform');
      }
      // Bob's picture reaches alice's screen through a receiver of one of these offered m-lines, decrypted.
      const shown = offered.find((t) => t.feeds.includes('remote'));
      expect(shown?.kind, details).toBe('video');
      if (send === 'addTrack') {
        expect(view.localDescription, details).toBe('answer');
        // Her own camera rides the offered m-line too.
        expect(shown?.sending && shown.currentDirection, details).toBe('sendrecv');
      } else {
        // A transceiver the remote offer created: it has no track of hers.
        expect(shown?.sending, details).toBe(false);
      }
      const decrypting = (await framelockTransforms(alice, good.room)).filter(
        (s) => s.side === 'receive' && s.protected > 10,
      );
      expect(decrypting.map((s) => s.kind).sort(), details).toEqual(['audio', 'video']);

      await end(good);

      const bad = await call(alice, dave, { query: { send } });
      await waitForRemotePattern(bad.pages[0]);
      await expectDaveSeesNothing(bad.pages[1], bad.room, [{ selector: '#remote', colours: ANY_PICTURE }]);
      await end(bad);
    }
  });

  describe('where Framelock is not enabled', () => {
    it('a site not enabled gets no injection and its calls work normally', async () => {
      const [carol, erin] = await Promise.all([
        launchWithExtension({ args: callArgs(media) }),
        launchWithExtension({ args: callArgs(media) }),
      ]);
      try {
        const plain = await call(carol, erin);
        await Promise.all(plain.pages.map((p) => waitForRemotePattern(p)));
        for (const p of plain.pages) expect((await measureAudio(p)).flowing).toBe(true);
        // The canvas paths work in clear too (and this is what dave would show if a path leaked plaintext).
        await demoCall(plain.pages[0], 'addSecondVideoTrack');
        await demoCall(plain.pages[1], 'replaceTrackWithCanvas');
        const second = await remoteVideo(plain.pages[1], 1);
        await waitForRemotePattern(plain.pages[1], undefined, { selector: `#${second}`, colours: SCREEN_COLOURS });
        await waitForRemotePattern(plain.pages[0], undefined, { colours: SCREEN_COLOURS });
        for (const ext of [carol, erin]) {
          expect(await ext.serviceWorker.evaluate(() => chrome.scripting.getRegisteredContentScripts())).toEqual([]);
          expect(await allTabStatuses(ext)).toEqual([]);
        }
        for (const p of plain.pages) {
          await expectNoInjection(p);
        }
      } finally {
        await Promise.all([carol.close(), erin.close()]);
      }
    });

    it('an enabled profile injects nothing into another origin of the same server', async () => {
      const other = `http://localhost:${server.port}`;
      expect(new URL(other).origin).not.toBe(new URL(server.url).origin);
      const plain = await call(alice, bob, { url: other });
      await Promise.all(plain.pages.map((p) => waitForRemotePattern(p)));
      for (const ext of [alice, bob]) {
        const statuses = await allTabStatuses(ext);
        expect(statuses.filter((s) => s.origin === other)).toEqual([]);
        const scripts = await ext.serviceWorker.evaluate(() => chrome.scripting.getRegisteredContentScripts());
        expect(scripts.flatMap((s) => s.matches ?? [])).toEqual(
          expect.not.arrayContaining([expect.stringContaining('localhost')]),
        );
      }
      for (const p of plain.pages) {
        await expectNoInjection(p);
      }
      // Control: the same profiles on the enabled origin are injected.
      const enabled = await call(alice, bob);
      const view = await injectionView(callFrame(enabled.pages[0]));
      expect(view.senders.length).toBeGreaterThan(0);
      expect(
        view.senders.every((t) => t === 'RTCRtpScriptTransform'),
        JSON.stringify(view),
      ).toBe(true);
    });
  });
});
