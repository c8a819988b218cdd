/**
 * Three more of Janus's UNMODIFIED demo apps (Debian's Janus 1.1.2, `/usr/share/janus/demos`), driven as a person
 * would, with Framelock enabled for the demo site (docs/compatibility.md):
 *
 * - mvideoroomtest.html, the multistream videoroom: one subscriber connection carries every remote participant; Janus
 *   adds and removes its transceivers (and may recycle their mids) as people come and go.
 * - videocalltest.html, a 1:1 call the videocall plugin relays (it rewrites SSRCs and sequence numbers).
 * - screensharingtest.html, a screen shared with getDisplayMedia into a videoroom of its own. Its viewer sends
 *   nothing, so with Framelock it is a listener that gets no keys (docs/keys.md): the test asserts that, and what the
 *   popup tells that viewer.
 *
 * Assertions are on decoded pixels (the quadrant pattern, media.ts) and decoded audio (the 440 Hz tone, tone.ts), each
 * with a control without Framelock that proves the check can see the picture, and on what Framelock tells the user
 * (the tab's status as the popup reads it, and the badge). What the server carries is read from Janus itself and
 * decoded with WebCodecs: the videoroom's `rtp_forward` copies, and the videocall plugin's own recordings (`.mjr`);
 * a participant without Framelock, who gets exactly what the server relays, never shows the picture either.
 *
 * Every browser here can share a screen: Chromium's fake media UI (`--use-fake-ui-for-media-stream`) would answer
 * getDisplayMedia with its fake screen (all-zero frames here), so it is left out, camera and microphone are granted to
 * the demo site instead, and `--auto-select-tab-capture-source-by-title` picks a tab that shows the quadrant pattern.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveRows, summarize } from '../../src/popup/calls';
import { type TabStatus, type TransformStats, UNPROTECTING_PROBLEMS } from '../../src/shared/messages';
import {
  createFakeMedia,
  expectNoRemotePattern,
  type FakeMedia,
  framelockTransforms,
  launchExtensionParticipant,
  launchPlainChromium,
  type PlainBrowser,
  tabBadge,
  tabStatus,
  waitForRemotePattern,
} from './call';
import { chromiumAvailable, type ExtensionBrowser, isCI, sleep, waitFor, withTimeout } from './harness';
import { type Janus, janusAvailable, startJanus } from './janus';
import { PATTERN_COLOURS, ROTATED_COLOURS, samplePattern, showsPattern } from './media';
import { depacketize, parseRtp, type RtpPacket } from './rtp';
import { decodeAudio, decodeVideo } from './rtp-decode';
import { heardTone, isTestTone } from './tone';
import { janusServerView, namedTiles, tileFlowing } from './videoroom';

const PASSPHRASE = 'correct horse battery staple';
/** How long a picture that must never show the pattern is watched: several keyframe intervals. */
const NEGATIVE_WATCH_MS = 6_000;
/** The title of the tab each browser's screen share captures (see {@link openPatternTab}). */
const SHARED_TAB_TITLE = 'FramelockSharedPattern';
/** Flags that let a headless Chromium share a chosen tab (see the module comment). */
const SCREEN_SHARE_LAUNCH: { args: string[]; dropArgs: string[] } = {
  args: [`--auto-select-tab-capture-source-by-title=${SHARED_TAB_TITLE}`],
  dropArgs: ['--use-fake-ui-for-media-stream'],
};

if (!janusAvailable && !isCI) {
  console.warn(
    '\n*** Janus is not installed: the Janus demo app tests are SKIPPED (apt-get install janus janus-demos libjs-janus-gateway). ***\n',
  );
}
if (!janusAvailable && isCI) {
  throw new Error('CI=true but Janus is not installed: .ci/run must install janus and janus-demos');
}

/** A unique alphanumeric name (the demos refuse anything else). */
const uniqueName = (prefix: string) => `${prefix}${Math.random().toString(36).slice(2, 8)}`;

/**
 * A tab titled {@link SHARED_TAB_TITLE} showing the quadrant pattern, for the browser's screen share to capture. A
 * small white block moves along the middle line (as in the fake camera's picture): tab capture sends frames only
 * when the page changes.
 */
async function openPatternTab(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  await page.setContent(
    `<title>${SHARED_TAB_TITLE}</title>
<style>body{margin:0;overflow:hidden}div{position:fixed;width:50vw;height:50vh}</style>
<div style="left:0;top:0;background:#ff0000"></div><div style="left:50vw;top:0;background:#00ff00"></div>
<div style="left:0;top:50vh;background:#0000ff"></div><div style="left:50vw;top:50vh;background:#ffff00"></div>
<div id="block" style="left:0;top:calc(50vh - 16px);width:32px;height:32px;background:#ffffff"></div>
<script>let x = 0; setInterval(() => { x = (x + 8) % innerWidth; block.style.left = x + 'px'; }, 33);</script>`,
  );
  return page;
}

/**
 * What the popup shows for the tab whose URL holds `room=<tag>`: its one-line verdict (`protected`, `unprotected`, ...),
 * its rows per remote sender, and the toolbar badge.
 */
async function whatTheUserSees(ext: ExtensionBrowser, tag: string) {
  const status = (await tabStatus(ext, `room=${tag}`)) as TabStatus | null;
  if (status === null) throw new Error(`no tab status for room=${tag}`);
  const unprotecting = status.problems.some((p) => (UNPROTECTING_PROBLEMS as readonly string[]).includes(p));
  return {
    summary: summarize(status, unprotecting),
    rows: receiveRows(status.transforms),
    badge: await tabBadge(ext, `room=${tag}`),
    problems: status.problems,
  };
}

/**
 * Waits until Framelock reports, for the tab of `tag`, at least `video` video and `audio` audio receivers decrypting,
 * and returns every receiver that got media (the others are `waiting`).
 */
async function waitForReceivers(
  ext: ExtensionBrowser,
  tag: string,
  counts: { video: number; audio: number },
  timeoutMs = 20_000,
): Promise<TransformStats[]> {
  return waitFor(
    async () => {
      const list = (await framelockTransforms(ext, tag)).filter((s) => s.side === 'receive' && s.status !== 'waiting');
      const decrypting = (kind: string) =>
        list.filter((s) => s.kind === kind && s.status === 'encrypted' && s.protected > 0).length;
      return decrypting('video') >= counts.video && decrypting('audio') >= counts.audio ? list : undefined;
    },
    { description: `${counts.video} video and ${counts.audio} audio receivers decrypting (${tag})`, timeoutMs },
  );
}

/**
 * Every receiver that got media says encrypted now and never passed plaintext, and the popup and badge agree. (A few
 * frames of a participant who just joined can arrive before their key does: they are dropped and counted
 * `undecryptable`, which the popup shows only while it lasts. Those counts are printed, not asserted.)
 */
async function expectEncryptedForUser(ext: ExtensionBrowser, tag: string, receivers: TransformStats[]): Promise<void> {
  for (const s of receivers) {
    expect(s.status, `${s.kind} receiver ${s.id}: ${s.lastError ?? ''}`).toBe('encrypted');
    expect(s.protected, `${s.kind} receiver ${s.id} decrypted`).toBeGreaterThan(0);
    expect(s.unencrypted, `${s.kind} receiver ${s.id} unencrypted`).toBe(0);
  }
  const seen = await waitFor(
    async () => {
      const now = await whatTheUserSees(ext, tag);
      return now.badge === 'E2E' && now.summary === 'protected' ? now : undefined;
    },
    { description: `the popup's verdict "protected" and the badge E2E (${tag})`, timeoutMs: 10_000 },
  ).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}: ${JSON.stringify(await whatTheUserSees(ext, tag))}`);
  });
  expect(seen.rows.filter((r) => r.status !== 'encrypted' && r.status !== 'waiting')).toEqual([]);
}

/**
 * Keeps every RTCPeerConnection the page makes in `window.__testConnections` (for `evaluateOnNewDocument` on the
 * pages of browsers WITHOUT Framelock, so a test can read what they received; a demo's own handles are not always
 * page globals). Serialised into the page: it closes over nothing, and its callbacks are arrows.
 */
function recordConnections(): void {
  const all: RTCPeerConnection[] = [];
  Object.defineProperty(window, '__testConnections', { value: all });
  window.RTCPeerConnection = new Proxy(RTCPeerConnection, {
    construct: (target, args, newTarget) => {
      const pc = Reflect.construct(target, args, newTarget) as RTCPeerConnection;
      all.push(pc);
      return pc;
    },
  });
}

/** A new page of a browser without Framelock, its connections recorded (see {@link recordConnections}). */
async function plainPage(plainBrowser: PlainBrowser): Promise<Page> {
  const page = await plainBrowser.browser.newPage();
  await page.evaluateOnNewDocument(recordConnections);
  return page;
}

/** A new page of a participant: with its connections recorded if it runs without Framelock. */
function openPage(who: ExtensionBrowser | PlainBrowser): Promise<Page> {
  return 'extensionId' in who ? who.browser.newPage() : plainPage(who);
}

/** Inbound video of all the connections of a page made by {@link plainPage}: packets, and frames decoded. */
async function inboundVideo(page: Page): Promise<{ packets: number; decoded: number }> {
  return page.evaluate(async () => {
    const out = { packets: 0, decoded: 0 };
    for (const pc of (window as unknown as { __testConnections: RTCPeerConnection[] }).__testConnections) {
      for (const s of (await pc.getStats()).values()) {
        if (s.type === 'inbound-rtp' && s.kind === 'video') {
          out.packets += s.packetsReceived ?? 0;
          out.decoded += s.framesDecoded ?? 0;
        }
      }
    }
    return out;
  });
}

/**
 * The RTP packets of a Janus recording (`.mjr`, version 2: `MJR00002`, a 2-byte length and a JSON description, then
 * per packet `MEET`, a 4-byte time, a 2-byte length and the packet as the server received it).
 */
async function readMjr(file: string): Promise<{ info: Record<string, unknown>; packets: RtpPacket[] }> {
  const data = await readFile(file);
  if (data.subarray(0, 8).toString('latin1') !== 'MJR00002') throw new Error(`${file} is not a Janus recording`);
  const infoLength = data.readUInt16BE(8);
  const info = JSON.parse(data.subarray(10, 10 + infoLength).toString('utf8')) as Record<string, unknown>;
  const packets: RtpPacket[] = [];
  let offset = 10 + infoLength;
  while (offset + 10 <= data.length) {
    if (data.subarray(offset, offset + 4).toString('latin1') !== 'MEET') {
      throw new Error(`${file}: no packet marker at byte ${offset}`);
    }
    const length = data.readUInt16BE(offset + 8);
    const packet = parseRtp(new Uint8Array(data.subarray(offset + 10, offset + 10 + length)));
    if (packet !== undefined) packets.push(packet);
    offset += 10 + length;
  }
  return { info, packets };
}

/** Records `selector`'s audio until it is the test tone (or the time is up), and returns the last measurement. */
async function waitForTone(page: Page, selector: string, timeoutMs = 15_000) {
  return waitFor(
    async () => {
      const tone = await heardTone(page, 1_500, selector);
      return isTestTone(tone) ? tone : undefined;
    },
    { description: `the test tone at ${selector}`, timeoutMs },
  );
}

describe.skipIf(!chromiumAvailable || !janusAvailable)('unmodified Janus demo apps', () => {
  let janus: Janus;
  let media: FakeMedia;
  let origin: string;
  /** Three participants with Framelock and the same passphrase. */
  const people: ExtensionBrowser[] = [];
  /** Two participants without Framelock. */
  const plain: PlainBrowser[] = [];
  /** A page of a plain browser, in a secure context, that decodes what Janus forwards. */
  let decoder: Page;

  const grantMedia = async (browser: Browser) =>
    browser.defaultBrowserContext().overridePermissions(origin, ['camera', 'microphone']);

  beforeAll(async () => {
    janus = await startJanus();
    media = await createFakeMedia();
    origin = new URL(janus.demosUrl).origin;
    for (let i = 0; i < 3; i++) {
      const person = await launchExtensionParticipant(origin, PASSPHRASE, media, SCREEN_SHARE_LAUNCH);
      people.push(person);
      await grantMedia(person.browser);
    }
    for (let i = 0; i < 2; i++) {
      const browser = await launchPlainChromium({ media, ...SCREEN_SHARE_LAUNCH });
      plain.push(browser);
      await grantMedia(browser.browser);
    }
    decoder = await (plain[0] as PlainBrowser).browser.newPage();
    await decoder.goto(janus.demosUrl, { waitUntil: 'load', timeout: 60_000 });
  }, 300_000);

  afterAll(async () => {
    await Promise.all([...people, ...plain].map((p) => p.close()));
    await janus?.stop();
    await media?.cleanup();
  });

  describe('mvideoroomtest.html: the multistream videoroom (one subscriber connection for everyone)', () => {
    /** Opens the demo with `?room=`, starts it and joins as `name`. */
    async function join(page: Page, room: number, name: string): Promise<void> {
      await page.goto(janus.demoUrl('mvideoroomtest.html', { room }), { waitUntil: 'load', timeout: 60_000 });
      await page.locator('#start').click();
      await page.locator('#username').fill(name);
      await page.locator('#register').click();
      await page.waitForSelector('#videolocal video', { timeout: 20_000 });
    }

    /** The display name of the participant who joins last, whose camera shows {@link ROTATED_COLOURS}. */
    const NEWCOMER = 'md';
    const coloursOf = (name: string) => (name === NEWCOMER ? ROTATED_COLOURS : PATTERN_COLOURS);

    /** The subscriber connection's transceivers (mvideoroomtest.js keeps its one handle in `remoteFeed`). */
    const subscriberMids = (page: Page) =>
      page.evaluate(() => {
        const pc = (window as unknown as { remoteFeed?: { webrtcStuff?: { pc?: RTCPeerConnection } } }).remoteFeed
          ?.webrtcStuff?.pc;
        return (pc?.getTransceivers() ?? []).map((t) => ({
          mid: t.mid,
          kind: t.receiver.track.kind,
          direction: t.currentDirection,
        }));
      });

    /** The page's tiles by display name (`#remoteN` labels `#videoremoteN`), once it shows exactly `names`. */
    const tilesNamed = (page: Page, names: string[]) =>
      waitFor(
        async () => {
          const tiles = (await namedTiles(page)).filter((t) => t.name !== '');
          const shown = tiles.map((t) => t.name).sort();
          return JSON.stringify(shown) === JSON.stringify([...names].sort()) ? tiles : undefined;
        },
        { description: `tiles of exactly ${names.join(', ')}`, timeoutMs: 25_000 },
      ).catch(async (error: unknown) => {
        throw new Error(`${(error as Error).message}; shown: ${JSON.stringify(await namedTiles(page))}`);
      });

    /**
     * Every tile shows its participant's picture (the pattern; the newcomer's camera shows it turned a quarter, see
     * {@link NEWCOMER}), keeps playing, and its audio is the tone.
     */
    async function expectTilesGood(page: Page, names: string[]): Promise<void> {
      const tiles = await tilesNamed(page, names);
      for (const tile of tiles) {
        await waitForRemotePattern(page, 25_000, { selector: tile.selector, colours: coloursOf(tile.name) });
        expect(await tileFlowing(page, tile.selector), `${tile.name}'s tile plays`).toBe(true);
        const slot = tile.selector.match(/remotevideo(\d+)-/)?.[1];
        await waitForTone(page, `#videoremote${slot} audio`);
      }
    }

    it('three with Framelock see and hear each other; one leaves, a newcomer joins on the same subscriber connection, and every tile shows the right picture', async () => {
      const room = await janus.createRoom({ videocodec: 'vp8' });
      const tag = String(room);
      const [a, b, c] = people as [ExtensionBrowser, ExtensionBrowser, ExtensionBrowser];
      // The newcomer's camera shows another picture (ROTATED_COLOURS), so a tile that kept the leaver's last frame, or
      // showed the leaver's media on the recycled mid, can never pass for the newcomer.
      const newcomerCamera = await createFakeMedia({}, { colours: ROTATED_COLOURS });
      let d: ExtensionBrowser | undefined;
      try {
        const pages = new Map<string, Page>();
        for (const [name, person] of [
          ['ma', a],
          ['mb', b],
          ['mc', c],
        ] as const) {
          const page = await person.browser.newPage();
          pages.set(name, page);
          await join(page, room, name);
        }
        const page = (name: string) => pages.get(name) as Page;
        for (const [name, others] of [
          ['ma', ['mb', 'mc']],
          ['mb', ['ma', 'mc']],
          ['mc', ['ma', 'mb']],
        ] as const) {
          await expectTilesGood(page(name), [...others]);
        }
        // One subscriber connection per page carries both others: two video and two audio transceivers receiving.
        const before = await subscriberMids(page('ma'));
        expect(before.filter((t) => t.direction === 'recvonly')).toHaveLength(4);
        for (const person of people) {
          await expectEncryptedForUser(person, tag, await waitForReceivers(person, tag, { video: 2, audio: 2 }));
        }

        // mc leaves with the demo's Stop button (which ends its Janus session and reloads the page), and closes the tab.
        const leaving = page('mc');
        await Promise.all([
          leaving.waitForNavigation({ waitUntil: 'load', timeout: 20_000 }),
          leaving.locator('#start').click(),
        ]);
        await withTimeout(leaving.close(), 15_000, "mc's page to close");
        await c.close(); // the third browser is used no more: one browser fewer while the newcomer's starts
        await waitFor(async () => ((await janus.listParticipants(room)).length === 2 ? true : undefined), {
          description: 'the room down to 2 publishers',
          timeoutMs: 20_000,
        });
        await tilesNamed(page('ma'), ['mb']);
        await tilesNamed(page('mb'), ['ma']);
        const afterLeave = await subscriberMids(page('ma'));

        // A newcomer, with another camera: a new participant for Janus and for Framelock's call.
        d = await launchExtensionParticipant(origin, PASSPHRASE, newcomerCamera, SCREEN_SHARE_LAUNCH);
        await grantMedia(d.browser);
        const newcomer = await d.browser.newPage();
        pages.set('md', newcomer);
        await join(newcomer, room, 'md');
        await expectTilesGood(page('md'), ['ma', 'mb']);
        await expectTilesGood(page('ma'), ['mb', 'md']);
        await expectTilesGood(page('mb'), ['ma', 'md']);
        const afterJoin = await subscriberMids(page('ma'));
        // No tile shows garbage: every video element on the remaining pages is a named tile showing the pattern.
        for (const name of ['ma', 'mb', 'md']) {
          const videos = await page(name).$$eval('[id^="videoremote"] video', (all) => all.map((v) => `#${v.id}`));
          expect(videos, `${name}'s remote videos`).toHaveLength(2);
          for (const selector of videos) {
            const tile = (await namedTiles(page(name))).find((t) => t.selector === selector);
            const samples = await samplePattern(page(name), selector);
            expect(showsPattern(samples, coloursOf(tile?.name ?? '')), `${name} ${selector} (${tile?.name})`).toBe(
              true,
            );
          }
        }
        for (const person of [a, b, d]) {
          await expectEncryptedForUser(person, tag, await waitForReceivers(person, tag, { video: 2, audio: 2 }));
        }
        const recycled = afterJoin.filter(
          (t) => t.direction === 'recvonly' && afterLeave.some((l) => l.mid === t.mid && l.direction !== 'recvonly'),
        );
        const receivers = (await framelockTransforms(a, tag)).filter((s) => s.side === 'receive');
        console.log(
          `mvideoroom: ma's subscriber mids ${JSON.stringify(before)} -> after mc left ${JSON.stringify(afterLeave)} -> ` +
            `after md joined ${JSON.stringify(afterJoin)}; recycled: ${recycled.map((t) => t.mid).join(',') || 'none'}; ` +
            `ma's receivers: ${receivers.map((s) => `${s.kind} ${s.status} ${s.protected} decrypted, ${s.undecryptable} undecryptable, ${s.byKid?.length ?? 0} KIDs`).join('; ')}`,
        );
        await Promise.all([...pages.values()].filter((p) => !p.isClosed()).map((p) => p.close()));
        await janus.destroyRoom(room);
      } finally {
        await d?.close();
        await newcomerCamera.cleanup();
      }
    }, 300_000);

    it('controls: without Framelock the pattern shows; a browser without Framelock in a Framelock room sees none of it, and the server gets ciphertext', async () => {
      // Two plain browsers: each sees the other's pattern and hears the tone (the checks can see the picture here).
      const clearRoom = await janus.createRoom({ videocodec: 'vp8' });
      const [p1, p2] = plain as [PlainBrowser, PlainBrowser];
      const clearPages = [await plainPage(p1), await plainPage(p2)];
      await join(clearPages[0] as Page, clearRoom, 'pa');
      await join(clearPages[1] as Page, clearRoom, 'pb');
      await expectTilesGood(clearPages[0] as Page, ['pb']);
      await expectTilesGood(clearPages[1] as Page, ['pa']);
      const clearView = await janusServerView(janus, decoder, clearRoom, 'pa', 'vp8');
      expect(clearView.video.samples && showsPattern(clearView.video.samples), 'the server decodes plain pa').toBe(
        true,
      );
      await Promise.all(clearPages.map((p) => p.close()));
      await janus.destroyRoom(clearRoom);

      // A plain browser in a room of two with Framelock: it never shows their pattern, while they show its own
      // (flagged: the popup says not encrypted, the badge "!").
      const room = await janus.createRoom({ videocodec: 'vp8' });
      const tag = String(room);
      const pages = [await (people[0] as ExtensionBrowser).browser.newPage(), await people[1]?.browser.newPage()];
      await join(pages[0] as Page, room, 'ka');
      await join(pages[1] as Page, room, 'kb');
      const outsider = await plainPage(p1);
      await join(outsider, room, 'plain');
      const tiles = await tilesNamed(outsider, ['ka', 'kb']);
      const packetsBefore = await inboundVideo(outsider);
      for (const tile of tiles)
        await expectNoRemotePattern(outsider, NEGATIVE_WATCH_MS / 2, { selector: tile.selector });
      const packetsAfter = await inboundVideo(outsider);
      expect(packetsAfter.packets - packetsBefore.packets, 'protected video kept arriving').toBeGreaterThan(20);
      const [plainTile] = (await tilesNamed(pages[0] as Page, ['kb', 'plain'])).filter((t) => t.name === 'plain');
      await waitForRemotePattern(pages[0] as Page, 25_000, { selector: plainTile?.selector as string });
      const flagged = await waitFor(
        async () => {
          const seen = await whatTheUserSees(people[0] as ExtensionBrowser, tag);
          return seen.badge === '!' && seen.rows.some((r) => r.status === 'unencrypted') ? seen : undefined;
        },
        { description: 'ka’s popup to flag the plain participant', timeoutMs: 15_000 },
      );
      expect(flagged.summary).toBe('unprotected');
      // What Janus holds of ka's media decodes to no picture and no tone.
      const view = await janusServerView(janus, decoder, room, 'ka', 'vp8');
      expect(view.frames, 'the SFU forwards whole frames').toBeGreaterThan(10);
      expect(view.video.samples !== undefined && showsPattern(view.video.samples)).toBe(false);
      expect(view.audio.tonePurity ?? 0).toBeLessThan(0.5);
      console.log(
        `mvideoroom controls: plain pa/pb saw each other; server view of plain pa decoded ${clearView.video.decoded} frames; ` +
          `the plain outsider got ${packetsAfter.packets - packetsBefore.packets} video packets of ka and kb in ` +
          `${NEGATIVE_WATCH_MS} ms, decoded ${packetsAfter.decoded} frames in all, none showing the pattern; server view ` +
          `of ka: ${view.video.decoded} of ${view.frames} frames decoded, ${view.video.errors.length} errors, audio ` +
          `purity ${view.audio.tonePurity?.toFixed(3)}`,
      );
      await Promise.all([...pages, outsider].map((p) => p?.close()));
      await janus.destroyRoom(room);
    }, 240_000);
  });

  describe('videocalltest.html: a 1:1 call relayed by the videocall plugin', () => {
    /** Opens the demo (tagged `?room=<tag>` so Framelock's status of the tab can be found) and registers `name`. */
    async function register(page: Page, tag: string, name: string): Promise<void> {
      await page.goto(janus.demoUrl('videocalltest.html', { room: tag }), { waitUntil: 'load', timeout: 60_000 });
      await page.locator('#start').click();
      await page.locator('#username').fill(name);
      await page.locator('#register').click();
      await page.waitForSelector('#phone:not(.hide)', { visible: true, timeout: 20_000 });
    }

    /** `caller` calls `callee` by name; the callee answers with the demo's own dialog. */
    async function call(caller: Page, callee: Page, calleeName: string): Promise<void> {
      await caller.locator('#peer').fill(calleeName);
      await caller.locator('#call').click();
      await callee.locator('.bootbox .btn-success').click();
      for (const page of [caller, callee]) await page.waitForSelector('#videoright video', { timeout: 20_000 });
    }

    /**
     * What the videocall plugin relays of `page`'s user: the demo's own handle asks Janus to record it (the plugin's
     * `set` with `record`, which any client of the plugin may send) for `ms`, and `decoder` decodes the recording as
     * the server would have to.
     */
    async function serverCopy(page: Page, ms = 5_000) {
      const base = path.join(janus.workDir, uniqueName('videocall'));
      const set = (body: Record<string, unknown>) =>
        page.evaluate((message: Record<string, unknown>) => {
          (window as unknown as { videocall: { send(m: unknown): void } }).videocall.send({ message });
        }, body);
      await set({ request: 'set', record: true, filename: base });
      await sleep(ms);
      await set({ request: 'set', record: false });
      const files = await waitFor(
        async () => {
          const all = (await readdir(janus.workDir)).filter((f) => f.startsWith(path.basename(base)));
          return all.some((f) => f.endsWith('video.mjr')) && all.some((f) => f.endsWith('audio.mjr')) ? all : undefined;
        },
        { description: `the recordings ${base}-*.mjr`, timeoutMs: 10_000 },
      );
      const file = (kind: string) => path.join(janus.workDir, files.find((f) => f.endsWith(`${kind}.mjr`)) as string);
      const video = await readMjr(file('video'));
      const audio = await readMjr(file('audio'));
      const frames = depacketize('vp8', video.packets, { skipToKeyframeAfterLoss: true });
      return {
        info: video.info,
        packets: video.packets.length,
        frames: frames.length,
        video: await decodeVideo(decoder, 'vp8', frames),
        audio: await decodeAudio(decoder, depacketize('opus', audio.packets)),
      };
    }

    async function twoInACall(callerWho: ExtensionBrowser | PlainBrowser, calleeWho: ExtensionBrowser | PlainBrowser) {
      const tags = [uniqueName('vc'), uniqueName('vc')] as const;
      const names = [uniqueName('caller'), uniqueName('callee')] as const;
      const caller = await openPage(callerWho);
      const callee = await openPage(calleeWho);
      await register(caller, tags[0], names[0]);
      await register(callee, tags[1], names[1]);
      await call(caller, callee, names[1]);
      return { caller, callee, tags };
    }

    it('two with Framelock: each decodes the other’s pattern and tone; the popup says encrypted', async () => {
      const { caller, callee, tags } = await twoInACall(people[0] as ExtensionBrowser, people[1] as ExtensionBrowser);
      for (const page of [caller, callee]) {
        await waitForRemotePattern(page, 25_000, { selector: '#videoright video' });
        expect(await tileFlowing(page, '#videoright video')).toBe(true);
        await waitForTone(page, '#videoright audio');
      }
      const counts: string[] = [];
      for (const [i, tag] of tags.entries()) {
        const person = people[i] as ExtensionBrowser;
        const receivers = await waitForReceivers(person, tag, { video: 1, audio: 1 });
        await expectEncryptedForUser(person, tag, receivers);
        counts.push(receivers.map((s) => `${s.kind} ${s.protected} (${s.undecryptable} undecryptable)`).join(', '));
        const seen = await whatTheUserSees(person, tag);
        counts.push(`popup ${seen.summary}, badge ${seen.badge}`);
      }
      // What the server relays of the caller: frames it can route, which decode to no picture and no tone.
      const relayed = await serverCopy(caller);
      expect(relayed.frames, 'the server relays whole frames').toBeGreaterThan(10);
      expect(relayed.video.samples !== undefined && showsPattern(relayed.video.samples)).toBe(false);
      expect(relayed.video.decoded === 0 || relayed.video.errors.length > 0).toBe(true);
      expect(relayed.audio.tonePurity ?? 0).toBeLessThan(0.5);
      console.log(
        `videocall: frames decrypted (caller; callee): ${counts.join('; ')}; the server's recording of the caller ` +
          `(${JSON.stringify(relayed.info)}): ${relayed.packets} video packets, ${relayed.video.decoded} of ` +
          `${relayed.frames} frames decoded, ${relayed.video.errors.length} errors (${relayed.video.errors[0] ?? '-'}), ` +
          `audio purity ${relayed.audio.tonePurity?.toFixed(3)}`,
      );
      await Promise.all([caller.close(), callee.close()]);
    }, 180_000);

    it('controls: two without Framelock see and hear each other; a callee without Framelock never sees a Framelock caller’s pattern', async () => {
      const clear = await twoInACall(plain[0] as PlainBrowser, plain[1] as PlainBrowser);
      for (const page of [clear.caller, clear.callee]) {
        await waitForRemotePattern(page, 25_000, { selector: '#videoright video' });
        await waitForTone(page, '#videoright audio');
      }
      // The server's recording of a caller without Framelock decodes to the pattern and the tone.
      const clearCopy = await serverCopy(clear.caller);
      expect(clearCopy.video.decoded, 'the server’s copy of the plain caller decodes').toBeGreaterThan(10);
      expect(clearCopy.video.samples && showsPattern(clearCopy.video.samples), 'and shows the pattern').toBe(true);
      expect(Math.abs((clearCopy.audio.toneHz ?? 0) - 440)).toBeLessThan(5);
      expect(clearCopy.audio.tonePurity ?? 0).toBeGreaterThan(0.5);
      console.log(
        `videocall controls: the server's recording of the plain caller: ${clearCopy.video.decoded} of ` +
          `${clearCopy.frames} frames decoded (the pattern), tone ${clearCopy.audio.toneHz?.toFixed(0)} Hz, purity ` +
          `${clearCopy.audio.tonePurity?.toFixed(3)}`,
      );
      await Promise.all([clear.caller.close(), clear.callee.close()]);

      const { caller, callee, tags } = await twoInACall(people[0] as ExtensionBrowser, plain[0] as PlainBrowser);
      // The Framelock caller shows the plain callee's picture (plaintext passes, flagged): the callee's media and the
      // caller's page work, and the popup warns.
      await waitForRemotePattern(caller, 25_000, { selector: '#videoright video' });
      const flagged = await waitFor(
        async () => {
          const seen = await whatTheUserSees(people[0] as ExtensionBrowser, tags[0]);
          return seen.badge === '!' && seen.rows.some((r) => r.status === 'unencrypted') ? seen : undefined;
        },
        { description: 'the caller’s popup to flag the plain callee', timeoutMs: 15_000 },
      );
      expect(flagged.summary).toBe('unprotected');
      // The plain callee gets what the server relays from the Framelock caller: packets, but never the picture.
      const before = await inboundVideo(callee);
      await expectNoRemotePattern(callee, NEGATIVE_WATCH_MS, { selector: '#videoright video' });
      const after = await inboundVideo(callee);
      expect(after.packets - before.packets, 'the caller’s video kept arriving').toBeGreaterThan(20);
      const tone = await heardTone(callee, 1_500, '#videoright audio');
      expect(isTestTone(tone), `the plain callee heard ${JSON.stringify(tone)}`).toBe(false);
      // And not our ciphertext played as noise: silence (frame format v5, docs/frame-format.md §4.3).
      expect(tone.rms, `the plain callee heard ${JSON.stringify(tone)}`).toBeLessThan(0.005);
      console.log(
        `videocall controls: plain↔plain saw and heard each other; the plain callee of a Framelock caller got ` +
          `${after.packets - before.packets} video packets in ${NEGATIVE_WATCH_MS} ms (${after.packets} in all, ` +
          `${after.decoded} frames decoded), never the pattern; its audio rms ${tone.rms.toFixed(4)}, at 440 Hz ` +
          `${tone.atTone.toFixed(4)}, elsewhere ${tone.elsewhere.toFixed(4)}; caller's popup: ${flagged.summary}, badge ${flagged.badge}`,
      );
      await Promise.all([caller.close(), callee.close()]);
    }, 240_000);
  });

  describe('screensharingtest.html: a screen shared into a videoroom', () => {
    /** Shares the pattern tab of `browser`; returns the page, the room Janus made, and the publisher's display name. */
    async function share(who: ExtensionBrowser | PlainBrowser, tag: string) {
      const patternTab = await openPatternTab(who.browser);
      const page = await openPage(who);
      await page.goto(janus.demoUrl('screensharingtest.html', { room: tag }), { waitUntil: 'load', timeout: 60_000 });
      await page.locator('#start').click();
      await page.locator('#desc').fill('framelock');
      await page.locator('#create').click();
      await page.waitForSelector('#screencapture video', { timeout: 20_000 });
      const { room, display } = await waitFor(
        () =>
          page.evaluate(() => {
            const w = window as unknown as { room?: number; myusername?: string; myid?: number };
            return typeof w.room === 'number' && w.myid ? { room: w.room, display: w.myusername as string } : false;
          }),
        { description: 'the screen sharing room', timeoutMs: 15_000 },
      );
      // The sharer's own preview is the shared tab: the capture really is the pattern.
      await waitForRemotePattern(page, 15_000, { selector: '#screencapture video' });
      return { page, patternTab, room, display };
    }

    /** Joins `room` as a viewer; returns the page, its video's selector once it plays. */
    async function watch(who: ExtensionBrowser | PlainBrowser, tag: string, room: number) {
      const page = await openPage(who);
      await page.goto(janus.demoUrl('screensharingtest.html', { room: tag }), { waitUntil: 'load', timeout: 60_000 });
      await page.locator('#start').click();
      await page.locator('#roomid').fill(String(room));
      await page.locator('#join').click();
      await page.waitForSelector('#screencapture video', { timeout: 20_000 });
      const selector = await page.$eval('#screencapture video', (v) => `#${v.id}`);
      return { page, selector };
    }

    // The demo's viewer only receives: it publishes nothing, so it is a listener (docs/keys.md, "A listener"). Framelock's
    // keys travel inside each participant's own media, so nobody can send it keys: by design it never decrypts, and
    // its popup says why (`not_sending`: "turn your microphone on"). This page offers no way to send anything.
    it('a viewer with Framelock, who sends nothing (the demo’s viewer only receives), gets no keys: it never shows the shared pattern, and its popup says why', async () => {
      const sharerTag = uniqueName('ss');
      const shared = await share(people[0] as ExtensionBrowser, sharerTag);
      const tag = uniqueName('ssv');
      const viewer = await watch(people[1] as ExtensionBrowser, tag, shared.room);
      // The share is encrypted and flows: the sharer's video sender protects frames, and they reach the viewer.
      const sent = await waitFor(
        async () =>
          (await framelockTransforms(people[0] as ExtensionBrowser, sharerTag)).find(
            (s) => s.side === 'send' && s.kind === 'video' && s.protected > 30,
          ),
        { description: 'the sharer encrypting its screen', timeoutMs: 15_000 },
      );
      const received = await waitFor(
        async () => {
          const list = (await framelockTransforms(people[1] as ExtensionBrowser, tag)).filter(
            (s) => s.side === 'receive' && s.status !== 'waiting',
          );
          return list.some((s) => s.kind === 'video' && s.undecryptable > 30) ? list : undefined;
        },
        { description: 'the viewer receiving the protected share', timeoutMs: 20_000 },
      );
      await expectNoRemotePattern(viewer.page, NEGATIVE_WATCH_MS, { selector: viewer.selector });
      for (const s of received) {
        expect(s.status, `${s.kind}: ${s.lastError ?? ''}`).toBe('undecryptable');
        expect(s.protected).toBe(0);
        expect(s.lastError).toBe('no key for this sender');
      }
      // What the viewer is told: a warning badge, "cannot decrypt" rows, and the reason.
      const seen = await waitFor(
        async () => {
          const now = await whatTheUserSees(people[1] as ExtensionBrowser, tag);
          return now.problems.includes('not_sending') && now.badge === '!' ? now : undefined;
        },
        { description: 'the viewer’s popup to say it sends nothing', timeoutMs: 15_000 },
      );
      expect(seen.summary).toBe('unprotected');
      expect(seen.rows.map((r) => r.status)).toContain('undecryptable');
      expect(seen.rows.map((r) => r.status)).not.toContain('encrypted');
      console.log(
        `screensharing: the sharer encrypted ${sent.protected} video frames (${sent.codec}); the Framelock viewer ` +
          `could not decrypt ${received.map((s) => `${s.kind} ${s.undecryptable}`).join(', ')} (${received[0]?.lastError}); ` +
          `its popup: ${seen.summary}, badge ${seen.badge}, problems ${seen.problems.join(', ')}`,
      );
      await Promise.all([viewer.page.close(), shared.page.close(), shared.patternTab.close()]);
    }, 180_000);

    it('controls: a plain share is seen and heard by viewers with and without Framelock (flagged) and decodable at the server; a Framelock share is neither', async () => {
      const [p1, p2] = plain as [PlainBrowser, PlainBrowser];
      const clearShare = await share(p2, uniqueName('ss'));
      const clearViewer = await watch(p1, uniqueName('ssv'), clearShare.room);
      await waitForRemotePattern(clearViewer.page, 25_000, { selector: clearViewer.selector });
      await waitForTone(clearViewer.page, '#screencapture audio');
      // What Janus forwards of the plain share, while a viewer with Framelock joins (a new subscriber makes Janus ask
      // the sharer for a keyframe: a screen's encoder sends few of its own, and the decoder needs one).
      const flaggedTag = uniqueName('ssv');
      const [clearView, flaggedViewer] = await Promise.all([
        janusServerView(janus, decoder, clearShare.room, clearShare.display, 'vp8', 8_000),
        sleep(2_000).then(() => watch(people[1] as ExtensionBrowser, flaggedTag, clearShare.room)),
      ]);
      expect(clearView.video.decoded, 'the plain share decodes at the server').toBeGreaterThan(5);
      expect(clearView.video.samples && showsPattern(clearView.video.samples), 'server view of the plain share').toBe(
        true,
      );
      // The viewer with Framelock shows the plain share, and its popup says it is not encrypted.
      await waitForRemotePattern(flaggedViewer.page, 25_000, { selector: flaggedViewer.selector });
      const flagged = await waitFor(
        async () => {
          const seen = await whatTheUserSees(people[1] as ExtensionBrowser, flaggedTag);
          return seen.badge === '!' && seen.rows.some((r) => r.status === 'unencrypted') ? seen : undefined;
        },
        { description: 'the Framelock viewer’s popup to flag the plain share', timeoutMs: 15_000 },
      );
      await Promise.all([
        flaggedViewer.page.close(),
        clearViewer.page.close(),
        clearShare.page.close(),
        clearShare.patternTab.close(),
      ]);

      const shared = await share(people[0] as ExtensionBrowser, uniqueName('ss'));
      const viewer = await watch(p1, uniqueName('ssv'), shared.room);
      const before = await inboundVideo(viewer.page);
      await expectNoRemotePattern(viewer.page, NEGATIVE_WATCH_MS, { selector: viewer.selector });
      const after = await inboundVideo(viewer.page);
      expect(after.packets - before.packets, 'the protected share kept arriving').toBeGreaterThan(20);
      const view = await janusServerView(janus, decoder, shared.room, shared.display, 'vp8', 6_000);
      expect(view.frames, 'the SFU forwards whole frames').toBeGreaterThan(5);
      expect(view.video.samples !== undefined && showsPattern(view.video.samples)).toBe(false);
      expect(view.video.decoded === 0 || view.video.errors.length > 0).toBe(true);
      expect(view.audio.tonePurity ?? 0).toBeLessThan(0.5);
      console.log(
        `screensharing controls: server view of the plain share ${clearView.video.decoded} of ${clearView.frames} ` +
          `frames decoded (the pattern), tone purity ${clearView.audio.tonePurity?.toFixed(3)}; the Framelock viewer of ` +
          `it: popup ${flagged.summary}, badge ${flagged.badge}; server view of the Framelock share: ` +
          `${view.video.decoded} of ${view.frames} decoded, ${view.video.errors.length} errors ` +
          `(${view.video.errors[0] ?? '-'}), audio purity ${view.audio.tonePurity?.toFixed(3)}; the plain viewer got ` +
          `${after.packets - before.packets} video packets in ${NEGATIVE_WATCH_MS} ms (${after.decoded} frames decoded ` +
          'in all), never the pattern',
      );
      await Promise.all([viewer.page.close(), shared.page.close(), shared.patternTab.close()]);
    }, 240_000);
  });
});
