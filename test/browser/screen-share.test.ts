/**
 * Screen sharing on a page written as call sites write it (test/pages/screen-share.html, on the test server: camera
 * from getUserMedia, the demo's signalling, perfect negotiation, a "Share screen" button that calls getDisplayMedia),
 * issue 18. The shared surface is a real tab, captured deterministically in headless Chromium:
 *
 * - `--auto-select-tab-capture-source-by-title=Framelock share target` picks the tab test/pages/share-target.html
 *   (four solid quadrants in ROTATED_COLOURS, never mistaken for the camera's pattern, and a CSS-animated block);
 * - the harness's `--use-fake-ui-for-media-stream` must be left out for that sharer: with it, Chromium answers
 *   getDisplayMedia with its fake screen device (`screen:-3:0`, an all-zero frame) whatever the other flags say;
 *   camera and microphone are then granted to the site with puppeteer's `overridePermissions`, and
 *   `--use-fake-device-for-media-stream` still plays the test pattern and tone as the camera and microphone.
 *   (`--auto-select-desktop-capture-source=<title>` picks the same tab; `--enable-usermedia-screen-capturing` changes
 *   nothing.)
 *
 * Checked, each time with Framelock on both ends (same passphrase: the receiver decodes the shared tab, Framelock's
 * counters encrypt and decrypt it) and against a receiver without Framelock (it receives video packets and never shows
 * the screen or the camera): the screen alone; beside the camera (its own stream, a renegotiation); replaceTrack
 * camera → screen → camera; contentHint `detail` and `motion`; 1920×1080 at 5 fps. A control between two profiles
 * without Framelock shows that the page, the capture and the detector work. The tab's audio: see its test.
 */
import type { Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TransformStats } from '../../src/shared/messages';
import { startTestServer, type TestServer } from '../server/test-server';
import {
  createFakeMedia,
  type FakeMedia,
  framelockTransforms,
  launchExtensionParticipant,
  launchPlainChromium,
  type PlainBrowser,
  tabBadge,
  waitForTransform,
} from './call';
import { chromiumAvailable, type ExtensionBrowser, sleep, waitFor } from './harness';
import {
  describeSamples,
  PATTERN_COLOURS,
  patternMismatches,
  type Quadrant,
  type Rgb,
  ROTATED_COLOURS,
  samplePattern,
} from './media';
import { heardTone } from './tone';

const PASSPHRASE = 'correct horse battery staple screen';
/** The shared tab's title (test/pages/share-target.html), which Chromium's auto-select flag looks for. */
const SHARE_TARGET_TITLE = 'Framelock share target';
/** What a sharer's Chromium needs: pick that tab, and no fake UI (which would hand out a fake screen instead). */
const SHARER = {
  args: [`--auto-select-tab-capture-source-by-title=${SHARE_TARGET_TITLE}`],
  dropArgs: ['--use-fake-ui-for-media-stream'],
} as const;
/** What the shared tab shows. */
const SCREEN = ROTATED_COLOURS;
const CAMERA = PATTERN_COLOURS;
/** How long a receiver without the key is watched once video reaches it. */
const NEGATIVE_WATCH_MS = 5_000;

type Colours = Readonly<Record<Quadrant, Rgb>>;

interface ShareApp {
  state: string;
  error: string | null;
  log: string[];
  remotes: string[];
  shares: number;
  screen: MediaStream | null;
  pc: RTCPeerConnection | null;
  stats(): Promise<PageStats>;
}
type ShareWindow = Window & { app?: ShareApp };

interface PageStats {
  inbound: {
    kind: string;
    mid?: string;
    packetsReceived: number;
    framesDecoded: number;
    frameWidth: number;
    frameHeight: number;
    framesPerSecond: number;
    totalAudioEnergy: number;
  }[];
  outbound: {
    kind: string;
    mid?: string;
    packetsSent: number;
    framesEncoded: number;
    frameWidth: number;
    frameHeight: number;
    framesPerSecond: number;
    qualityLimitationReason: string;
  }[];
}

interface Browserish {
  browser: {
    newPage(): Promise<Page>;
  };
}

interface Call {
  room: string;
  sharer: Page;
  receiver: Page;
}

async function pageLog(page: Page): Promise<string> {
  const log = await page
    .evaluate(() => (window as ShareWindow).app?.log ?? ['(no app)'])
    .catch((e: unknown) => [String(e)]);
  return log.map((l) => `    ${l}`).join('\n');
}

function stats(page: Page): Promise<PageStats> {
  return page.evaluate(() => {
    const app = (window as ShareWindow).app;
    if (!app?.pc) throw new Error('no connection');
    return app.stats();
  });
}

/** The id of the `index`-th remote `<video>` (in the order its stream arrived), once there is one. */
function remoteVideo(page: Page, index: number): Promise<string> {
  return waitFor(async () => (await page.evaluate(() => (window as ShareWindow).app?.remotes ?? []))[index], {
    description: `remote video ${index + 1} on ${page.url()}`,
    timeoutMs: 20_000,
  });
}

/** Waits until `#id` shows `colours`; returns the samples' size. */
async function waitForPicture(
  page: Page,
  id: string,
  colours: Colours,
  what: string,
  timeoutMs = 20_000,
): Promise<{ width: number; height: number }> {
  let last = '';
  return waitFor(
    async () => {
      const samples = await samplePattern(page, `#${id}`);
      last = describeSamples(samples);
      return patternMismatches(samples, colours).length === 0
        ? { width: samples.width, height: samples.height }
        : false;
    },
    { description: `${what} on ${page.url()} #${id}`, timeoutMs, intervalMs: 250 },
  ).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}; last seen ${last}\n--- page ---\n${await pageLog(page)}`);
  });
}

/**
 * Clicks `selector` on `page` after bringing it to the front, as a person switches back to the call's tab: sharing a
 * tab brings the shared tab to the front (Chromium's default focus behaviour), and puppeteer's click on a tab left
 * behind it never returns (its `Runtime.callFunctionOn` times out), with or without Framelock.
 */
async function click(page: Page, selector: string): Promise<void> {
  await page.bringToFront();
  await page.click(selector);
}

/** Inbound video packets in total. */
async function videoPackets(page: Page): Promise<number> {
  return (await stats(page)).inbound.filter((s) => s.kind === 'video').reduce((n, s) => n + s.packetsReceived, 0);
}

/**
 * A receiver without the key: once video packets reach it, it is watched for {@link NEGATIVE_WATCH_MS}; none of its
 * remote videos may ever show the screen or the camera, and video must keep arriving all along.
 */
async function expectNeverShows(page: Page, what: string): Promise<void> {
  await waitFor(async () => (await videoPackets(page)) > 0, {
    description: `video packets to reach ${page.url()}`,
    timeoutMs: 20_000,
  });
  const before = await videoPackets(page);
  const deadline = Date.now() + NEGATIVE_WATCH_MS;
  do {
    const ids = await page.evaluate(() => (window as ShareWindow).app?.remotes ?? []);
    for (const id of ids) {
      const samples = await samplePattern(page, `#${id}`);
      for (const colours of [SCREEN, CAMERA]) {
        if (patternMismatches(samples, colours).length === 0) {
          throw new Error(`${what}: #${id} showed a picture it must not: ${describeSamples(samples)}`);
        }
      }
    }
    await sleep(200);
  } while (Date.now() < deadline);
  const received = (await videoPackets(page)) - before;
  console.info(`[screen-share] ${what}: +${received} video packets in ${NEGATIVE_WATCH_MS} ms, never a picture`);
  expect(received, `${what}: video kept arriving`).toBeGreaterThan((3 * NEGATIVE_WATCH_MS) / 1000);
}

describe.skipIf(!chromiumAvailable)('screen sharing on a call page (headless Chromium, real tab capture)', () => {
  let server: TestServer;
  let media: FakeMedia;
  let alice: ExtensionBrowser;
  let bob: ExtensionBrowser;
  let dave: PlainBrowser;
  /** The shared tab, one per sharing browser. */
  const targets = new Map<Browserish, Page>();
  let open: Page[] = [];

  /** Opens the tab to share in `sharer`'s browser (once), at `width`×`height`; `tone`: it plays its 440 Hz tone. */
  async function shareTarget(sharer: Browserish, width = 1280, height = 720, tone = false): Promise<Page> {
    let page = targets.get(sharer);
    if (page === undefined) {
      page = await sharer.browser.newPage();
      targets.set(sharer, page);
    }
    await page.setViewport({ width, height });
    await page.goto(`${server.url}/share-target.html${tone ? '?tone=1' : ''}`, { waitUntil: 'load' });
    return page;
  }

  /**
   * The receiver joins first, then the sharer (who makes the offer), both with `query`. The receiver always sends its
   * camera and microphone (`camera=0` is the sharer's alone): Framelock's keys travel inside each participant's media,
   * so a receiver that sends nothing gets none (README). With the sharer's camera, waits until both are connected.
   */
  async function startCall(
    sharer: Browserish,
    receiver: Browserish,
    query: Record<string, string> = {},
  ): Promise<Call> {
    const room = `share-${Math.random().toString(36).slice(2, 10)}`;
    const url = (name: string) => {
      const u = new URL('/screen-share.html', server.url);
      for (const [k, v] of Object.entries({ room, name, ...query })) u.searchParams.set(k, v);
      if (name === 'receiver') u.searchParams.delete('camera');
      return u.href;
    };
    const receiverPage = await receiver.browser.newPage();
    const sharerPage = await sharer.browser.newPage();
    open.push(receiverPage, sharerPage);
    await receiverPage.goto(url('receiver'), { waitUntil: 'load' });
    await waitFor(() => receiverPage.evaluate(() => (window as ShareWindow).app?.state === 'joining'), {
      description: 'the receiver to join',
      timeoutMs: 15_000,
    });
    await sharerPage.goto(url('sharer'), { waitUntil: 'load' });
    const call = { room, sharer: sharerPage, receiver: receiverPage };
    if (query.camera !== '0') await connected(call);
    return call;
  }

  /** Closes both pages of a call (before the next one: two calls at once starve the 2 cores). */
  async function end(call: Call): Promise<void> {
    await Promise.all([call.sharer.close(), call.receiver.close()].map((p) => p.catch(() => undefined)));
    open = open.filter((p) => p !== call.sharer && p !== call.receiver);
  }

  async function connected(call: Call): Promise<void> {
    for (const page of [call.sharer, call.receiver]) {
      await waitFor(
        () =>
          page.evaluate(() => {
            const app = (window as ShareWindow).app;
            if (app?.error) throw new Error(app.error);
            return app?.state === 'connected';
          }),
        { description: `${page.url()} to connect`, timeoutMs: 30_000 },
      ).catch(async (error: unknown) => {
        throw new Error(
          `${(error as Error).message}\n--- sharer ---\n${await pageLog(call.sharer)}\n--- receiver ---\n${await pageLog(call.receiver)}`,
        );
      });
    }
  }

  /** Clicks "Share screen" on the sharer's page, as a person would; returns the screen track's settings. */
  async function share(
    call: Call,
  ): Promise<MediaTrackSettings & { label: string; contentHint: string; audio: string[] }> {
    const before = await call.sharer.evaluate(() => (window as ShareWindow).app?.shares ?? 0);
    await click(call.sharer, '#share');
    return waitFor(
      () =>
        call.sharer.evaluate((count: number) => {
          const app = (window as ShareWindow).app;
          if (app?.error) throw new Error(app.error);
          const track = app?.screen?.getVideoTracks()[0];
          if (!app || app.shares <= count || !track) return false;
          return {
            ...track.getSettings(),
            label: track.label,
            contentHint: track.contentHint,
            audio: app.screen?.getAudioTracks().map((t) => t.label) ?? [],
          };
        }, before),
      { description: 'the screen to be shared', timeoutMs: 15_000 },
    ).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\n--- sharer ---\n${await pageLog(call.sharer)}`);
    });
  }

  /** Both browsers with Framelock encrypt and decrypt video, nothing unencrypted or undecryptable. */
  async function expectProtected(call: Call, videoReceivers = 1): Promise<TransformStats[]> {
    await waitForTransform(
      alice,
      call.room,
      'alice encrypts video',
      (s) => s.side === 'send' && s.kind === 'video' && s.protected > 10,
    );
    const receivers = await waitFor(
      async () => {
        const r = (await framelockTransforms(bob, call.room)).filter(
          (s) => s.side === 'receive' && s.kind === 'video' && s.protected > 10,
        );
        return r.length >= videoReceivers ? r : false;
      },
      { description: `bob decrypts ${videoReceivers} video stream(s)`, timeoutMs: 20_000 },
    );
    for (const r of receivers) expect(r.status, JSON.stringify(r)).toBe('encrypted');
    for (const ext of [alice, bob]) {
      const all = await framelockTransforms(ext, call.room);
      expect(
        all.filter((s) => s.unencrypted > 0 || s.undecryptable > 0),
        JSON.stringify(all),
      ).toEqual([]);
    }
    await waitFor(async () => (await tabBadge(bob, `room=${call.room}`)) === 'E2E', {
      description: "bob's badge to say E2E",
    });
    return receivers;
  }

  beforeAll(async () => {
    server = await startTestServer();
    media = await createFakeMedia();
    [alice, bob, dave] = await Promise.all([
      launchExtensionParticipant(server.url, PASSPHRASE, media, {
        ...SHARER,
        dropArgs: [...SHARER.dropArgs],
        args: [...SHARER.args],
      }),
      launchExtensionParticipant(server.url, PASSPHRASE, media),
      launchPlainChromium({ media, args: [...SHARER.args], dropArgs: SHARER.dropArgs }),
    ]);
    // Without the fake UI, camera and microphone need the site's permission, as a person would give it.
    for (const sharer of [alice, dave]) {
      await sharer.browser.defaultBrowserContext().overridePermissions(server.url, ['camera', 'microphone']);
    }
  });

  afterEach(async () => {
    await Promise.all(open.map((p) => p.close().catch(() => undefined)));
    open = [];
  });

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close(), dave?.close()]);
    await server?.close();
    await media?.cleanup();
  });

  it('control: without Framelock the screen shows, alone, beside the camera, and swapped for it', async () => {
    const erin = await launchPlainChromium({ media });
    try {
      await shareTarget(dave);
      const alone = await startCall(dave, erin, { camera: '0' });
      const settings = await share(alone);
      console.info(`[screen-share] control: captured ${JSON.stringify(settings)}`);
      expect(settings.displaySurface).toBe('browser');
      await connected(alone);
      await waitForPicture(alone.receiver, await remoteVideo(alone.receiver, 0), SCREEN, 'the screen alone');
      await end(alone);

      const beside = await startCall(dave, erin, { mode: 'beside' });
      await waitForPicture(beside.receiver, await remoteVideo(beside.receiver, 0), CAMERA, 'the camera');
      await share(beside);
      await waitForPicture(beside.receiver, await remoteVideo(beside.receiver, 1), SCREEN, 'the screen beside');
      await waitForPicture(beside.receiver, await remoteVideo(beside.receiver, 0), CAMERA, 'the camera beside');
      await end(beside);

      const swap = await startCall(dave, erin, { mode: 'replace' });
      const id = await remoteVideo(swap.receiver, 0);
      await waitForPicture(swap.receiver, id, CAMERA, 'the camera');
      await share(swap);
      await waitForPicture(swap.receiver, id, SCREEN, 'the screen in place of the camera');
      await click(swap.sharer, '#stop');
      await waitForPicture(swap.receiver, id, CAMERA, 'the camera back');
    } finally {
      await erin.close();
    }
  }, 300_000);

  it('the screen alone (no camera, no microphone): decrypted with the key, never shown without it', async () => {
    await shareTarget(alice);
    const good = await startCall(alice, bob, { camera: '0' });
    await share(good);
    await connected(good);
    await waitForPicture(good.receiver, await remoteVideo(good.receiver, 0), SCREEN, 'the screen');
    const [receiver] = await expectProtected(good);
    console.info(`[screen-share] alone: bob ${JSON.stringify(receiver)}`);

    await end(good);
    const bad = await startCall(alice, dave, { camera: '0' });
    await share(bad);
    await connected(bad);
    await expectNeverShows(bad.receiver, 'the screen alone at dave');
    // Alice sends only the screen: her one video sender encrypts; her audio sender (the transceiver dave's offer made)
    // has no track and nothing to encrypt.
    const sends = (await framelockTransforms(alice, bad.room)).filter((s) => s.side === 'send');
    expect(
      sends.filter((s) => s.protected > 0).map((s) => s.kind),
      JSON.stringify(sends),
    ).toEqual(['video']);
    // And alice's Framelock says dave's camera and microphone reach her unencrypted.
    const receivers = await waitFor(
      async () => {
        const r = (await framelockTransforms(alice, bad.room)).filter((s) => s.side === 'receive');
        return r.length === 2 && r.every((s) => s.status === 'unencrypted') ? r : false;
      },
      { description: "alice's receivers flagged unencrypted", timeoutMs: 15_000 },
    );
    expect(receivers.map((s) => s.kind).sort()).toEqual(['audio', 'video']);
    await waitFor(async () => (await tabBadge(alice, `room=${bad.room}`)) === '!', {
      description: "alice's badge to say !",
    });
  });

  it('beside the camera (its own stream, renegotiated): both decrypted with the key, neither shown without it', async () => {
    await shareTarget(alice);
    const good = await startCall(alice, bob, { mode: 'beside' });
    await waitForPicture(good.receiver, await remoteVideo(good.receiver, 0), CAMERA, 'the camera');
    await share(good);
    await waitForPicture(good.receiver, await remoteVideo(good.receiver, 1), SCREEN, 'the screen beside the camera');
    await waitForPicture(good.receiver, await remoteVideo(good.receiver, 0), CAMERA, 'the camera beside the screen');
    await expectProtected(good, 2);

    await end(good);
    const bad = await startCall(alice, dave, { mode: 'beside' });
    await share(bad);
    await remoteVideo(bad.receiver, 1);
    await expectNeverShows(bad.receiver, 'camera and screen at dave');
  });

  it('replaceTrack camera → screen → camera: the same transform protects each, and dave never shows either', async () => {
    await shareTarget(alice);
    const good = await startCall(alice, bob, { mode: 'replace' });
    const id = await remoteVideo(good.receiver, 0);
    await waitForPicture(good.receiver, id, CAMERA, 'the camera');
    const sendBefore = await waitForTransform(
      alice,
      good.room,
      'alice encrypts the camera',
      (s) => s.side === 'send' && s.kind === 'video' && s.protected > 0,
    );
    await share(good);
    await waitForPicture(good.receiver, id, SCREEN, 'the screen in place of the camera');
    await waitForTransform(
      alice,
      good.room,
      'alice encrypts the screen with the same transform',
      (s) => s.id === sendBefore.id && s.protected > sendBefore.protected + 30,
    );
    await click(good.sharer, '#stop');
    await waitForPicture(good.receiver, id, CAMERA, 'the camera back');
    await expectProtected(good);
    const sends = (await framelockTransforms(alice, good.room)).filter((s) => s.side === 'send' && s.kind === 'video');
    expect(sends.map((s) => s.id)).toEqual([sendBefore.id]);

    await end(good);
    const bad = await startCall(alice, dave, { mode: 'replace' });
    await share(bad);
    await expectNeverShows(bad.receiver, 'the swapped-in screen at dave');
  });

  for (const hint of ['detail', 'motion'] as const) {
    it(`contentHint "${hint}": decrypted with the key, never shown without it`, async () => {
      await shareTarget(alice);
      const good = await startCall(alice, bob, { camera: '0', hint });
      const settings = await share(good);
      expect(settings.contentHint).toBe(hint);
      await connected(good);
      const id = await remoteVideo(good.receiver, 0);
      await waitForPicture(good.receiver, id, SCREEN, `the screen (${hint})`);
      await expectProtected(good);
      await sleep(3_000);
      const sent = (await stats(good.sharer)).outbound.find((s) => s.kind === 'video');
      const got = (await stats(good.receiver)).inbound.find((s) => s.kind === 'video');
      console.info(`[screen-share] contentHint ${hint}: sent ${JSON.stringify(sent)}; received ${JSON.stringify(got)}`);

      await end(good);
      const bad = await startCall(alice, dave, { camera: '0', hint });
      await share(bad);
      await connected(bad);
      await expectNeverShows(bad.receiver, `the screen (${hint}) at dave`);
    });
  }

  it('1920×1080 at 5 fps: decrypted with the key at full size, never shown without it', async () => {
    await shareTarget(alice, 1920, 1080);
    const good = await startCall(alice, bob, { camera: '0', hd: '1', hint: 'detail' });
    const settings = await share(good);
    console.info(`[screen-share] hd: captured ${JSON.stringify(settings)}`);
    expect([settings.width, settings.height, settings.frameRate]).toEqual([1920, 1080, 5]);
    await connected(good);
    const id = await remoteVideo(good.receiver, 0);
    await waitForPicture(good.receiver, id, SCREEN, 'the 1080p screen');
    await expectProtected(good);
    const size = await waitFor(
      async () => {
        const s = await samplePattern(good.receiver, `#${id}`);
        return s.width === 1920 && patternMismatches(s, SCREEN).length === 0 ? s : false;
      },
      { description: 'bob to decode the screen at 1920 wide', timeoutMs: 30_000 },
    );
    const sent = (await stats(good.sharer)).outbound.find((s) => s.kind === 'video');
    console.info(
      `[screen-share] hd: bob decodes ${size.width}×${size.height}; alice sends ${JSON.stringify(sent)}; ` +
        `bob's receiver ${JSON.stringify((await framelockTransforms(bob, good.room)).find((s) => s.side === 'receive' && s.kind === 'video'))}`,
    );

    await end(good);
    const bad = await startCall(alice, dave, { camera: '0', hd: '1', hint: 'detail' });
    await share(bad);
    await connected(bad);
    await expectNeverShows(bad.receiver, 'the 1080p screen at dave');
  });

  it("the shared tab's audio: sent and decrypted like a microphone; headless Chromium captures it silent", async () => {
    /** Shares the tone-playing tab with its audio from `sharer` to `receiver`; returns what the receiver hears. */
    const shareTabAudio = async (sharer: Browserish, receiver: Browserish) => {
      const target = await shareTarget(sharer, 1280, 720, true);
      await waitFor(
        () => target.evaluate(() => (window as Window & { toneState?: () => string }).toneState?.() === 'running'),
        { description: "the shared tab's tone to play" },
      );
      const call = await startCall(sharer, receiver, { camera: '0', audio: '1' });
      const settings = await share(call);
      expect(settings.audio, "getDisplayMedia's audio track").toEqual(['Tab audio']);
      await connected(call);
      const id = await remoteVideo(call.receiver, 0);
      await waitForPicture(call.receiver, id, SCREEN, 'the screen');
      // The sharer has no microphone: every audio packet the receiver gets is the tab's.
      await waitFor(
        async () => (await stats(call.receiver)).inbound.some((s) => s.kind === 'audio' && s.packetsReceived > 100),
        { description: "the tab's audio packets to arrive", timeoutMs: 15_000 },
      );
      const heard = await heardTone(call.receiver, 1_500, `#${id}`);
      return { call, heard };
    };

    // Control, without Framelock: the tab's audio track exists and its packets flow, but it carries silence. Headless
    // Chromium has no audio output to loop back (the tab's own <audio> or Web Audio output is never captured), so no
    // receiver can hear the tab here, with or without Framelock. If this ever hears the tone, make the Framelock case
    // below check the tone too.
    const erin = await launchPlainChromium({ media });
    try {
      const control = await shareTabAudio(dave, erin);
      console.info(`[screen-share] tab audio, control (no Framelock): ${JSON.stringify(control.heard)}`);
      expect(control.heard.rms, 'headless tab audio is silent').toBeLessThan(0.01);
      await end(control.call);
    } finally {
      await erin.close();
    }

    // With Framelock: the tab's audio goes through Framelock's audio transforms, encrypted and decrypted.
    const { call, heard } = await shareTabAudio(alice, bob);
    const sent = await waitForTransform(
      alice,
      call.room,
      "alice encrypts the tab's audio",
      (s) => s.side === 'send' && s.kind === 'audio' && s.protected > 50,
    );
    const received = await waitForTransform(
      bob,
      call.room,
      "bob decrypts the tab's audio",
      (s) => s.side === 'receive' && s.kind === 'audio' && s.protected > 50,
    );
    expect(received.status).toBe('encrypted');
    console.info(
      `[screen-share] tab audio with Framelock: heard ${JSON.stringify(heard)}; alice sends ${sent.protected} ` +
        `audio frames encrypted, bob decrypts ${received.protected}`,
    );
    for (const ext of [alice, bob]) {
      const all = await framelockTransforms(ext, call.room);
      expect(
        all.filter((s) => s.unencrypted > 0 || s.undecryptable > 0),
        JSON.stringify(all),
      ).toEqual([]);
    }
  });
});
