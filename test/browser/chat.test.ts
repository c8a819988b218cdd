/**
 * Framelock's own call chat in real browsers through a real SFU (docs/keys.md, "Chat messages"): Chromium profiles
 * with Framelock in Debian's unmodified Janus videoroom demo, each with the chat's side panel page open for its call's
 * tab. Messages go both ways between two participants and to everyone among three; the bytes the SFU forwards carry
 * no message text; a participant with the wrong passphrase, and the site's own page, never see it; and a chat does
 * not freeze the video.
 *
 * Writes docs/screenshots/chat-panel.png (the README's). The side panel is opened as a tab at `src/sidepanel/index.html?tabId=<call's tab>` (what the popup's "Open chat"
 * button shows in Chrome's side panel).
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TabStatus } from '../../src/shared/messages';
import { createFakeMedia, type FakeMedia, launchExtensionParticipant, tabStatus, waitForRemotePattern } from './call';
import { chromiumAvailable, type ExtensionBrowser, isCI, REPO_ROOT, sleep, tabIdOf, waitFor } from './harness';
import { type Janus, janusAvailable, startJanus } from './janus';
import { type RtpPacket, type RtpSink, startRtpSink } from './rtp';
import { joinVideoroom, namedTiles, waitForTiles } from './videoroom';

const PASSPHRASE = 'correct horse battery staple';
const SIDE_PANEL_PAGE = 'src/sidepanel/index.html';
const SCREENSHOTS = path.join(REPO_ROOT, 'docs', 'screenshots');

if (!janusAvailable && isCI) {
  throw new Error('CI=true but Janus is not installed: .ci/run must install janus and janus-demos');
}

interface Person {
  name: string;
  ext: ExtensionBrowser;
  page: Page;
  panel: Page;
}

/**
 * Opens `url` in a new window of `ext`, as Chrome shows the side panel: beside the call, which stays the visible tab of
 * its own window (a tab in the background presents no video frames, and its timers are throttled).
 */
async function openInOwnWindow(ext: ExtensionBrowser, url: string): Promise<Page> {
  const session = await ext.browser.target().createCDPSession();
  try {
    await session.send('Target.createTarget', { url, newWindow: true });
    const target = await ext.browser.waitForTarget((t) => t.url() === url);
    const page = await target.page();
    if (page === null) throw new Error(`no page for ${url}`);
    await page.waitForFunction(() => document.readyState === 'complete');
    return page;
  } finally {
    await session.detach();
  }
}

/** The calls of the tab running `room`, as the popup shows them. */
async function calls(ext: ExtensionBrowser, room: number): Promise<NonNullable<TabStatus['calls']>> {
  return (await tabStatus(ext, `room=${room}`))?.calls ?? [];
}

/** The two-word fingerprint `ext` has in the call of `room` (what others see next to its messages). */
function ownFingerprint(ext: ExtensionBrowser, room: number): Promise<string> {
  return waitFor(async () => (await calls(ext, room))[0]?.call.you, { description: 'the call’s own fingerprint' });
}

/** The text of every entry in the panel's conversation log, in order. */
function conversation(panel: Page): Promise<string[]> {
  return panel.evaluate(() => {
    const log = document.querySelector('[role="log"]');
    return log === null ? [] : [...log.children].map((entry) => entry.textContent ?? '');
  });
}

/** Types `text` into the panel's "Message" field (as one input event: a long text typed key by key is slow) and sends. */
async function sendChat(panel: Page, text: string): Promise<void> {
  const field = await panel.waitForSelector('::-p-aria([name="Message"][role="textbox"])', { timeout: 10_000 });
  await waitFor(() => field?.evaluate((el) => !(el as HTMLTextAreaElement).disabled), {
    description: 'the message field to be enabled (keys agreed)',
    timeoutMs: 20_000,
  }).catch(async (error: unknown) => {
    const shown = await panel.evaluate(() => document.body.textContent).catch(() => '(unreadable)');
    throw new Error(`${error instanceof Error ? error.message : String(error)}; the panel shows: ${shown}`);
  });
  await field?.evaluate((el, value) => {
    const area = el as HTMLTextAreaElement;
    area.value = value;
    area.dispatchEvent(new Event('input', { bubbles: true }));
  }, text);
  await panel.locator('::-p-aria([name="Send"][role="button"])').click();
}

/** Waits until an entry of `panel`'s conversation contains `marker`, and returns that entry's text. */
function waitForEntry(panel: Page, marker: string, description: string, timeoutMs = 15_000): Promise<string> {
  return waitFor(async () => (await conversation(panel)).find((entry) => entry.includes(marker)), {
    description,
    timeoutMs,
  });
}

/** Whether `needle` occurs anywhere in `haystack`. */
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Packets among `packets` whose payload holds `needle` (8 bytes of a message's text, or more). */
function packetsWith(packets: readonly RtpPacket[], needle: Uint8Array): number {
  return packets.filter((p) => contains(p.payload, needle)).length;
}

/** Starts recording when each remote `<video>` presents a frame, to find the longest freeze (forward-secrecy.test.ts). */
async function watchFrames(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { framelockFrames?: number[][] };
    w.framelockFrames = [];
    for (const video of document.querySelectorAll<HTMLVideoElement>('[id^="videoremote"] video')) {
      const times: number[] = [];
      w.framelockFrames.push(times);
      const onFrame = (now: number) => {
        times.push(now);
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    }
  });
}

/** The longest gap (ms) between two presented frames of any tile watched, counting a tile that stopped up to now. */
function longestFreeze(page: Page): Promise<number> {
  return page.evaluate(() => {
    let longest = 0;
    for (const times of (window as unknown as { framelockFrames?: number[][] }).framelockFrames ?? []) {
      for (let i = 1; i < times.length; i++)
        longest = Math.max(longest, (times[i] as number) - (times[i - 1] as number));
      const last = times[times.length - 1];
      longest = Math.max(longest, last === undefined ? Number.POSITIVE_INFINITY : performance.now() - last);
    }
    return longest;
  });
}

/** A message unlike any other: a random marker, and enough text (with multi-byte letters) to pass 2 KB in UTF-8. */
function longMessage(from: string): { text: string; marker: string } {
  const marker = `${from}-${randomBytes(8).toString('hex')}`;
  const filler = 'Grüße aus dem Café — ünïcödé tëxt, ';
  let text = `${marker} `;
  while (new TextEncoder().encode(text).length < 2_100) text += filler;
  return { text: `${text}end ${marker}`, marker };
}

describe.skipIf(!chromiumAvailable || !janusAvailable)('call chat through Janus (videoroom demo)', () => {
  let janus: Janus;
  let media: FakeMedia;
  let origin: string;
  const browsers: ExtensionBrowser[] = [];

  /** Joins `room` as `name` in a new tab of `ext`, and opens the chat's side panel page for that tab. */
  async function join(ext: ExtensionBrowser, room: number, name: string): Promise<Person> {
    const page = await ext.browser.newPage();
    await joinVideoroom(janus, page, room, name);
    const tabId = await tabIdOf(ext, `room=${room}`);
    const panel = await openInOwnWindow(ext, ext.extensionUrl(`${SIDE_PANEL_PAGE}?tabId=${tabId}`));
    // The name the others see next to this participant's key words (a claim: only the words are checked).
    const display = `${name[0]?.toUpperCase()}${name.slice(1)}`;
    await panel.locator('::-p-aria([name="Your name"][role="textbox"])').fill(display);
    return { name, ext, page, panel };
  }

  async function leave(people: readonly Person[], room: number): Promise<void> {
    for (const p of people) await Promise.all([p.panel.close(), p.page.close()].map((c) => c.catch(() => undefined)));
    await janus.destroyRoom(room);
  }

  beforeAll(async () => {
    janus = await startJanus();
    media = await createFakeMedia();
    origin = new URL(janus.demosUrl).origin;
    for (const passphrase of [PASSPHRASE, PASSPHRASE, PASSPHRASE, 'a wrong passphrase for this room']) {
      browsers.push(await launchExtensionParticipant(origin, passphrase, media));
    }
  });

  afterAll(async () => {
    await Promise.all(browsers.map((b) => b.close()));
    await janus?.stop();
    await media?.cleanup();
  });

  it('two participants: 2 KB messages both ways, from the sender’s verified fingerprint; the SFU forwards no byte of their text, and the video does not freeze', async () => {
    const room = await janus.createRoom({ videocodec: 'vp8' });
    const [alice, bob] = [
      await join(browsers[0] as ExtensionBrowser, room, 'alice'),
      await join(browsers[1] as ExtensionBrowser, room, 'bob'),
    ];
    const sinks: RtpSink[] = [];
    try {
      // Keys agreed: each decrypts the other's pattern.
      for (const p of [alice, bob]) {
        await waitForTiles(p.page, 1);
        const [tile] = await namedTiles(p.page);
        await waitForRemotePattern(p.page, 20_000, { selector: tile?.selector as string });
      }
      // What the SFU forwards of each publisher, from before the first message to after the last.
      for (const display of ['alice', 'bob']) {
        const publisher = await waitFor(
          async () => (await janus.listParticipants(room)).find((p) => p.display === display),
          { description: `${display} publishing` },
        );
        const sink = await startRtpSink();
        sinks.push(sink);
        await janus.rtpForward(room, publisher.id, {
          host: sink.host,
          audioPort: sink.audioPort,
          videoPort: sink.videoPort,
        });
        await sink.waitForPackets('video', 20, 10_000);
      }
      const fingerprints = { alice: await ownFingerprint(alice.ext, room), bob: await ownFingerprint(bob.ext, room) };
      await watchFrames(bob.page);
      await watchFrames(alice.page);

      const first = longMessage('alice');
      const sentAt = Date.now();
      await sendChat(alice.panel, first.text);
      const atBob = await waitForEntry(bob.panel, first.marker, 'bob to receive alice’s message');
      const delivery = Date.now() - sentAt;
      // All of it, whole, and from alice's fingerprint as her own Framelock shows it.
      expect(atBob).toContain(first.text);
      expect(atBob).toContain(fingerprints.alice);
      expect(new TextEncoder().encode(first.text).length).toBeGreaterThan(2_048);
      // Alice sees her own message as hers.
      expect(await waitForEntry(alice.panel, first.marker, 'alice’s own message in her log')).toContain(first.text);

      const reply = longMessage('bob');
      await sendChat(bob.panel, reply.text);
      const atAlice = await waitForEntry(alice.panel, reply.marker, 'alice to receive bob’s reply');
      expect(atAlice).toContain(reply.text);
      expect(atAlice).toContain(fingerprints.bob);
      // Each message once, in the order sent.
      const log = await conversation(alice.panel);
      expect(log.filter((e) => e.includes(first.marker))).toHaveLength(1);
      expect(log.findIndex((e) => e.includes(first.marker))).toBeLessThan(
        log.findIndex((e) => e.includes(reply.marker)),
      );

      // Past the repeat (each message goes out a second time 2 s after the first), then the SFU's view.
      await sleep(3_000);
      const freeze = Math.max(await longestFreeze(bob.page), await longestFreeze(alice.page));
      const forwarded = sinks.flatMap((s) => [...s.packets('audio'), ...s.packets('video')]);
      console.info(
        `chat: alice → bob in ${delivery} ms (2.1 KB); ${forwarded.length} packets forwarded; longest freeze ${Math.round(freeze)} ms`,
      );
      expect(forwarded.length).toBeGreaterThan(100);
      for (const message of [first, reply]) {
        const bytes = new TextEncoder().encode(message.text);
        // Any 12 bytes of the text, at a few places: ciphertext shares none of them (2^-96 by chance).
        for (const at of [0, 500, 1_000, bytes.length - 12]) {
          expect(packetsWith(forwarded, bytes.subarray(at, at + 12))).toBe(0);
        }
      }
      // The search itself finds text where it is (positive control on the packets' own shape).
      const probe = forwarded[0] as RtpPacket;
      expect(
        packetsWith(
          [{ ...probe, payload: new TextEncoder().encode(`xx${first.text}`) }],
          new TextEncoder().encode(first.marker),
        ),
      ).toBe(1);
      // The site's page never holds the text: the chat lives in the extension's own page.
      for (const p of [alice, bob]) {
        const html = await p.page.evaluate(() => document.documentElement.outerHTML);
        expect(html).not.toContain(first.marker);
        expect(html).not.toContain(reply.marker);
      }
      // A chat does not disturb the media: bounds far above the target, measured and printed above.
      expect(freeze).toBeLessThan(1_500);
    } finally {
      await Promise.all(sinks.map((s) => s.close()));
      await leave([alice, bob], room);
    }
  });

  it('three participants: each message reaches both others; a participant with the wrong passphrase gets none', async () => {
    const room = await janus.createRoom({ videocodec: 'vp8' });
    const people: Person[] = [];
    for (const [i, name] of ['alice', 'bob', 'carol', 'eve'].entries()) {
      people.push(await join(browsers[i] as ExtensionBrowser, room, name));
    }
    const [alice, bob, carol, eve] = people as [Person, Person, Person, Person];
    try {
      // Keys agreed among the three: each decrypts both others' pattern.
      for (const p of [alice, bob, carol]) {
        await waitForTiles(p.page, 3);
        for (const tile of (await namedTiles(p.page)).filter((t) => t.name !== 'eve')) {
          await waitForRemotePattern(p.page, 20_000, { selector: tile.selector });
        }
      }
      const fingerprint = {
        alice: await ownFingerprint(alice.ext, room),
        carol: await ownFingerprint(carol.ext, room),
      };
      const fromCarol = { text: `carol to all ${randomBytes(8).toString('hex')}`, marker: '' };
      fromCarol.marker = fromCarol.text;
      await sendChat(carol.panel, fromCarol.text);
      for (const p of [alice, bob]) {
        const entry = await waitForEntry(p.panel, fromCarol.marker, `${p.name} to receive carol’s message`);
        expect(entry).toContain(fingerprint.carol);
        expect(entry).toContain('Carol');
      }
      const fromAlice = { text: `alice to all ${randomBytes(8).toString('hex')}` };
      await sendChat(alice.panel, fromAlice.text);
      for (const p of [bob, carol]) {
        expect(await waitForEntry(p.panel, fromAlice.text, `${p.name} to receive alice’s message`)).toContain(
          fingerprint.alice,
        );
      }
      // The README's picture of the chat: carol's panel, at the side panel's usual width.
      await mkdir(SCREENSHOTS, { recursive: true });
      await carol.panel.setViewport({ width: 360, height: 560 });
      await carol.panel.type('::-p-aria([name="Message"][role="textbox"])', 'Shall we start?');
      await sleep(300);
      await carol.panel.screenshot({ path: path.join(SCREENSHOTS, 'chat-panel.png') });
      // Eve, with the wrong passphrase, is in the same room and receives the same frames: past the repeats, her panel
      // shows neither message (nor anything at all from the others), and her page holds neither.
      await sleep(3_000);
      const evesLog = (await conversation(eve.panel)).join('\n');
      expect(evesLog).not.toContain(fromCarol.text);
      expect(evesLog).not.toContain(fromAlice.text);
      const evesPage = await eve.page.evaluate(() => document.documentElement.outerHTML);
      expect(evesPage).not.toContain(fromCarol.text);
    } finally {
      await leave(people, room);
    }
  });
});
