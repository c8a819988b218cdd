/**
 * The unmodified Janus textroom demo (textroomtest.html: a chat relayed by the server over each participant's data
 * channel) with Framelock's textroom profile (issue 16 part 2; src/content/data/textroom.ts): a connection to the
 * server cannot be protected (the server runs no Framelock), so the text of each chat message is sealed under a key
 * from the room's passphrase, and only that text: `"🔒 Framelock: " + base64url(sealed)`.
 *
 * Three people join one room as people do (Start, a display name, "Join the room"): alice and bob with Framelock and
 * the same passphrase, carol without Framelock. Alice's messages reach bob as she typed them; carol, who sees what the
 * server relays, gets only the marker; carol's own messages, in clear, reach everyone; the demo's participants list
 * and private messages still work. A control runs the same steps with no Framelock anywhere: everyone reads
 * everything, so the test itself can tell text from marker.
 */
import { randomBytes } from 'node:crypto';
import type { Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createFakeMedia,
  type FakeMedia,
  launchExtensionParticipant,
  launchPlainChromium,
  type PlainBrowser,
} from './call';
import { expectChannelPopup } from './channel-popup';
import { chromiumAvailable, type ExtensionBrowser, isCI, waitFor } from './harness';
import { type Janus, janusAvailable, startJanus } from './janus';
import { installWireTap, readWire } from './wire-tap';

const PASSPHRASE = 'correct horse battery staple';
/** What the profile puts in place of a chat message's text, before the sealed text (base64url). */
const MARKER = '🔒 Framelock: ';
const SEALED_TEXT = /🔒 Framelock: [A-Za-z0-9_-]{20,}/;

if (!janusAvailable && isCI) {
  throw new Error('CI=true but Janus is not installed: .ci/run must install janus and janus-demos');
}

type Name = 'alice' | 'bob' | 'carol';

/** The demo's chat box, one entry per line it shows ("[12:34:56] alice: hi", "[12:34:56] bob joined", …). */
function chatLines(page: Page): Promise<string[]> {
  return page.evaluate(() => [...document.querySelectorAll('#chatroom p')].map((p) => p.textContent ?? ''));
}

/** The demo's participants list (the others, by display name). */
function participants(page: Page): Promise<string[]> {
  return page.evaluate(() => [...document.querySelectorAll('#list li')].map((li) => li.textContent ?? ''));
}

/** Waits until a line of `page`'s chat box satisfies `test`, and returns it. */
function waitForLine(page: Page, description: string, test: (line: string) => boolean): Promise<string> {
  return waitFor(async () => (await chatLines(page)).find(test), { description, timeoutMs: 10_000 }).catch(
    async (error: unknown) => {
      throw new Error(`${(error as Error).message}; the chat box shows:\n${(await chatLines(page)).join('\n')}`);
    },
  );
}

/** Opens the textroom demo, starts it, and joins `room` with the display name `name`, as a person does. */
async function joinTextroom(janus: Janus, page: Page, room: number, name: string): Promise<void> {
  // The control's three tabs share one browser, where only the front tab paints: locators wait for paint.
  await page.bringToFront();
  await page.goto(janus.demoUrl('textroomtest.html', { room }), { waitUntil: 'load' });
  await page.locator('#start').click();
  // The name field shows once the data channel to the server is open.
  await page.locator('#username').setTimeout(15_000).fill(name);
  await page.locator('#register').click();
  await page.waitForSelector('#datasend:not([disabled])', { timeout: 10_000 });
}

/** Types `text` in the chat field and presses Enter; resolves once the server acknowledged it (the field empties). */
async function say(page: Page, text: string): Promise<void> {
  await page.bringToFront();
  await page.locator('#datasend').fill(text);
  await page.focus('#datasend');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => (document.getElementById('datasend') as HTMLInputElement).value === '', {
    timeout: 10_000,
  });
}

/** A private message: click the participant in the list, type in the demo's dialog, OK. */
async function whisper(page: Page, to: string, text: string): Promise<void> {
  await page.bringToFront();
  await page.locator(`::-p-xpath(//ul[@id="list"]/li[normalize-space(.)="${to}"])`).click();
  await page.locator('.bootbox-input').fill(text);
  await page.locator('.bootbox-accept').click();
  await page.waitForSelector('.bootbox', { hidden: true, timeout: 5_000 });
}

/** A text nobody else sends, with multi-byte letters. */
function unique(what: string): string {
  return `${what} ${randomBytes(6).toString('hex')} grüße ✓`;
}

/** The random part of a text made by {@link unique}: found only where the text went. */
function idOf(text: string): string {
  return /[0-9a-f]{12}/.exec(text)?.[0] as string;
}

/** The same steps in each test: who said what, and what each chat box showed at the end. */
interface Steps {
  texts: { alice: string; carol: string; aliceToBob: string; carolToAlice: string; bobToCarol: string };
  /** Each one's chat box once every message arrived. */
  seen: Record<Name, string[]>;
  /** Each one's participants list after all joined. */
  lists: Record<Name, string[]>;
}

/**
 * Joins alice, bob and carol (one page each) to `room` and has them talk: alice to all, carol to all, alice to bob
 * and bob to carol in private, carol to alice in private. Waits for each message where it must arrive (as text or as
 * anything from its sender: the test decides what it must read).
 */
async function runSteps(janus: Janus, room: number, pages: Record<Name, Page>): Promise<Steps> {
  for (const name of ['alice', 'bob', 'carol'] as const) await joinTextroom(janus, pages[name], room, name);
  const lists = {} as Record<Name, string[]>;
  for (const name of ['alice', 'bob', 'carol'] as const) {
    const others = ['alice', 'bob', 'carol'].filter((n) => n !== name).sort();
    lists[name] = await waitFor(
      async () => {
        const list = (await participants(pages[name])).sort();
        return list.length === others.length && list;
      },
      { description: `${name}'s participants list to show the two others` },
    );
  }

  const texts = {
    alice: unique('alice to all'),
    carol: unique('carol to all'),
    aliceToBob: unique('alice to bob, privately'),
    carolToAlice: unique('carol to alice, privately'),
    bobToCarol: unique('bob to carol, privately'),
  };
  await say(pages.alice, texts.alice);
  for (const name of ['alice', 'bob', 'carol'] as const) {
    await waitForLine(pages[name], `alice's message at ${name}`, (line) => line.includes('alice: '));
  }
  await say(pages.carol, texts.carol);
  for (const name of ['alice', 'bob', 'carol'] as const) {
    await waitForLine(pages[name], `carol's message at ${name}`, (line) => line.includes('carol: '));
  }
  await whisper(pages.alice, 'bob', texts.aliceToBob);
  await waitForLine(pages.bob, 'alice’s whisper at bob', (line) => line.includes('[whisper from alice]'));
  await whisper(pages.carol, 'alice', texts.carolToAlice);
  await waitForLine(pages.alice, 'carol’s whisper at alice', (line) => line.includes('[whisper from carol]'));
  await whisper(pages.bob, 'carol', texts.bobToCarol);
  await waitForLine(pages.carol, 'bob’s whisper at carol', (line) => line.includes('[whisper from bob]'));
  const seen = {} as Record<Name, string[]>;
  for (const name of ['alice', 'bob', 'carol'] as const) seen[name] = await chatLines(pages[name]);
  return { texts, seen, lists };
}

/** The one line of `lines` that contains `part` (fails, showing them, if there is not exactly one). */
function lineWith(lines: readonly string[], part: string): string {
  const found = lines.filter((l) => l.includes(part));
  expect(found, `one line with "${part}" in:\n${lines.join('\n')}`).toHaveLength(1);
  return found[0] as string;
}

describe.skipIf(!chromiumAvailable || !janusAvailable)('the Janus textroom demo with Framelock', () => {
  let janus: Janus;
  let media: FakeMedia;
  let alice: ExtensionBrowser;
  let bob: ExtensionBrowser;
  let plain: PlainBrowser;
  const pages: Page[] = [];
  const rooms: number[] = [];

  async function newRoom(): Promise<number> {
    const room = await janus.createTextroom();
    rooms.push(room);
    return room;
  }

  /** A tab with the wire tap (wire-tap.ts) in place before any script of its documents. */
  async function tab(browser: { newPage(): Promise<Page> }): Promise<Page> {
    const page = await browser.newPage();
    await page.evaluateOnNewDocument(installWireTap);
    pages.push(page);
    return page;
  }

  beforeAll(async () => {
    janus = await startJanus();
    media = await createFakeMedia();
    const origin = new URL(janus.demosUrl).origin;
    [alice, bob, plain] = await Promise.all([
      launchExtensionParticipant(origin, PASSPHRASE, media),
      launchExtensionParticipant(origin, PASSPHRASE, media),
      launchPlainChromium({ media }),
    ]);
  });

  // Each demo tab holds a long poll to Janus open, and Chromium allows 6 connections per host: close them after each test.
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((p) => p.close().catch(() => undefined)));
    for (const room of rooms.splice(0)) await janus.destroyTextroom(room);
  });

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close(), plain?.close()]);
    await janus?.stop();
    await media?.cleanup();
  });

  it('two with the passphrase read each other; the third, without Framelock, gets the marker; the demo still works', async () => {
    const pageOf = { alice: await tab(alice.browser), bob: await tab(bob.browser), carol: await tab(plain.browser) };
    const { texts, seen, lists } = await runSteps(janus, await newRoom(), pageOf);

    // The demo's own features: everyone joined and lists the two others.
    expect(lists).toEqual({ alice: ['bob', 'carol'], bob: ['alice', 'carol'], carol: ['alice', 'bob'] });
    // Alice's message, as she typed it, at bob's and at her own (the server's echo, opened).
    expect(lineWith(seen.bob, 'alice: ')).toContain(`alice: ${texts.alice}`);
    expect(lineWith(seen.alice, 'alice: ')).toContain(`alice: ${texts.alice}`);
    // Carol sees what the server relays: the marker and sealed text, nothing of what alice typed.
    const atCarol = lineWith(seen.carol, 'alice: ');
    expect(atCarol).toMatch(SEALED_TEXT);
    expect(atCarol).toContain(`alice: ${MARKER}`);
    for (const lines of Object.values(seen)) {
      expect(lines.join('\n')).not.toContain(MARKER.repeat(2)); // never sealed twice
    }
    expect(seen.carol.join('\n')).not.toContain(idOf(texts.alice));

    // Carol's message, in clear, reaches everyone as she typed it.
    for (const name of ['alice', 'bob', 'carol'] as const) {
      expect(lineWith(seen[name], 'carol: ')).toContain(`carol: ${texts.carol}`);
    }
    // Private messages: alice → bob opened at bob; carol → alice (clear) at alice; bob → carol sealed at carol.
    expect(lineWith(seen.bob, '[whisper from alice]')).toContain(texts.aliceToBob);
    expect(lineWith(seen.alice, '[whisper from carol]')).toContain(texts.carolToAlice);
    const whisperAtCarol = lineWith(seen.carol, '[whisper from bob]');
    expect(whisperAtCarol).toMatch(SEALED_TEXT);
    expect(whisperAtCarol).not.toContain(idOf(texts.bobToCarol));
    // The senders' own lines are their own (the demo writes a whisper it sent from what was typed).
    expect(lineWith(seen.alice, '[whisper to bob]')).toContain(texts.aliceToBob);

    // What alice's page handed its data channel: the join as the demo wrote it, and each chat text sealed.
    const wire = await readWire(pageOf.alice);
    const requests = wire.filter((r) => r.kind === 'string').map((r) => JSON.parse(r.text) as Record<string, unknown>);
    const join = requests.find((r) => r.textroom === 'join');
    expect(join?.display).toBe('alice');
    const messages = requests.filter((r) => r.textroom === 'message');
    expect(messages).toHaveLength(2); // to all, and to bob
    for (const message of messages) {
      expect(message.text).toMatch(new RegExp(`^${SEALED_TEXT.source}$`));
      expect(typeof message.room).toBe('number');
    }
    expect(messages.find((m) => m.to !== undefined)?.to).toEqual(expect.any(String));
    const everything = wire.map((r) => r.text).join('\n');
    expect(everything).not.toContain(idOf(texts.alice));
    expect(everything).not.toContain(idOf(texts.aliceToBob));
    // Positive control: the tap saw the page's requests at all (the join, with alice's name, in clear).
    expect(everything).toContain('"display":"alice"');

    // What Framelock says of the channel: its chat text is encrypted with the passphrase, not end to end.
    for (const ext of [alice, bob]) {
      await expectChannelPopup(ext, 'textroomtest.html', { label: 'JanusDataChannel', state: 'passphrase' });
    }
  });

  it('control: with no Framelock anywhere, the same steps show every text everywhere and no marker', async () => {
    const pageOf = { alice: await tab(plain.browser), bob: await tab(plain.browser), carol: await tab(plain.browser) };
    const { texts, seen, lists } = await runSteps(janus, await newRoom(), pageOf);
    expect(lists).toEqual({ alice: ['bob', 'carol'], bob: ['alice', 'carol'], carol: ['alice', 'bob'] });
    for (const name of ['alice', 'bob', 'carol'] as const) {
      expect(lineWith(seen[name], 'alice: ')).toContain(`alice: ${texts.alice}`);
      expect(lineWith(seen[name], 'carol: ')).toContain(`carol: ${texts.carol}`);
      expect(seen[name].join('\n')).not.toContain(MARKER);
    }
    expect(lineWith(seen.bob, '[whisper from alice]')).toContain(texts.aliceToBob);
    expect(lineWith(seen.alice, '[whisper from carol]')).toContain(texts.carolToAlice);
    expect(lineWith(seen.carol, '[whisper from bob]')).toContain(texts.bobToCarol);
    // What the page handed its channel is what it typed.
    const wire = await readWire(pageOf.alice);
    expect(wire.map((r) => r.text).join('\n')).toContain(texts.alice);
  });
});
