/**
 * The demo site's own chat over an RTCDataChannel (demo/public/call.js), through the real extension in real browsers
 * (issue 16 part 2): the site's messages on its own data channels.
 *
 * - Both ends run Framelock with the same passphrase: strings, multi-byte text and bytes go both ways and arrive as
 *   sent, in order, once; a wire tap below the page script (wire-tap.ts) sees only envelopes (binary, 0xF1 first) that
 *   hold no byte of any message. It stays so through a renegotiation, and a peer's reload makes a new connection that is
 *   protected again.
 * - One end without Framelock, or with another passphrase, whichever end offers: the connection is not protected (the
 *   answer carries no line), the chat works in clear both ways, and Framelock never claims otherwise.
 *
 * Each time, the popup about the call's tab shows the chat's channel as Framelock sees it (channel-popup.ts): "End-to-end
 * encrypted" on a protected connection, "Not end-to-end encrypted" otherwise, with the messages counted.
 */
import type { Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../../demo/server';
import {
  type Call,
  createFakeMedia,
  type DemoChatEntry,
  type DemoWindow,
  demoLog,
  type FakeMedia,
  launchExtensionParticipant,
  launchPlainChromium,
  type PlainBrowser,
  startCall,
  waitForDemoState,
} from './call';
import { expectChannelPopup } from './channel-popup';
import { chromiumAvailable, type ExtensionBrowser, sleep, waitFor } from './harness';
import { carries, hexContains, installWireTap, readWire, utf8Hex, type WireRecord } from './wire-tap';

const PASSPHRASE = 'correct horse battery staple';
const WRONG_PASSPHRASE = 'incorrect horse battery staple';
/** Our line in a local description: a sealed HELLO (docs/frame-format.md §2.8). */
const OUR_LINE = /^a=x-framelock:1 [A-Za-z0-9_-]+\r?$/m;
/** The envelope (docs/frame-format.md §2.8): 0xF1 ‖ flags ‖ stream id (2) ‖ counter (8) ‖ ciphertext ‖ tag (16). */
const ENVELOPE_MARKER = 0xf1;
const FLAG_STRING = 0x01;
const FLAG_CONTROL = 0x02;
/** Header (12) and AES-GCM tag (16). */
const SEAL_OVERHEAD = 28;
/** The offerer's confirmation: a control envelope of one byte. */
const CONFIRMATION_BYTES = 29;
/** Waits for the messages of one direction; then this long for any duplicate. */
const SETTLE_MS = 1_000;

/** What one end sends, in order: typed text ("Send"), typed text as UTF-8 bytes ("Send as bytes"), or raw bytes. */
type Outgoing = { text: string } | { typedBytes: string } | { bytes: number[] };

/** How the other end's chat lists `message`. */
function expected(message: Outgoing): DemoChatEntry {
  if ('text' in message) return { from: 'them', kind: 'text', text: message.text };
  const bytes = 'bytes' in message ? message.bytes : [...Buffer.from(message.typedBytes, 'utf8')];
  return { from: 'them', kind: 'bytes', bytes };
}

/** The size of a message's plaintext: its UTF-8 bytes, or its bytes. */
function plaintextBytes(message: Outgoing): number {
  if ('bytes' in message) return message.bytes.length;
  return Buffer.byteLength('text' in message ? message.text : message.typedBytes);
}

/** A binary record's envelope header, as the tap saw it. */
function envelopeOf(record: WireRecord): {
  magic: number;
  flags: number;
  streamId: number;
  counter: bigint;
  size: number;
} {
  const bytes = Buffer.from(record.hex, 'hex');
  if (bytes.length < 12) return { magic: bytes[0] ?? -1, flags: -1, streamId: -1, counter: -1n, size: bytes.length };
  return {
    magic: bytes[0] as number,
    flags: bytes[1] as number,
    streamId: bytes.readUInt16BE(2),
    counter: bytes.readBigUInt64BE(4),
    size: bytes.length,
  };
}

/** The texts and byte strings (hex) of `messages`, to look for on the wire. */
function secrets(messages: readonly Outgoing[]): { texts: string[]; hex: string[] } {
  const texts = messages.flatMap((m) => ('text' in m ? [m.text] : 'typedBytes' in m ? [m.typedBytes] : []));
  const hex = messages.flatMap((m) => ('bytes' in m ? [Buffer.from(m.bytes).toString('hex')] : []));
  return { texts, hex };
}

/** A new tab of `browser` with the wire tap in place before any script of its documents. */
async function tappedPage(browser: { newPage(): Promise<Page> }): Promise<Page> {
  const page = await browser.newPage();
  await page.evaluateOnNewDocument(installWireTap);
  return page;
}

/** Waits until the page's chat channel is open and its "Message" field enabled. */
async function waitForChat(page: Page): Promise<void> {
  await page
    .waitForFunction(
      () => {
        const field = document.getElementById('message') as HTMLInputElement | null;
        return (window as DemoWindow).demo?.channel?.readyState === 'open' && field?.disabled === false;
      },
      { timeout: 15_000, polling: 100 },
    )
    .catch(async (error: unknown) => {
      throw new Error(`${page.url()}: the chat never opened (${(error as Error).message})\n${await demoLog(page)}`);
    });
}

/** Sends `message` as a person would: types it in "Message" and presses "Send" (or "Send as bytes"). */
async function send(page: Page, message: Outgoing): Promise<void> {
  if ('bytes' in message) {
    await page.evaluate((bytes: number[]) => {
      (window as DemoWindow).demo?.sendBytes(bytes);
    }, message.bytes);
    return;
  }
  const text = 'text' in message ? message.text : message.typedBytes;
  await page.locator('::-p-aria([name="Message"][role="textbox"])').fill(text);
  await page.locator(`::-p-aria([name="${'text' in message ? 'Send' : 'Send as bytes'}"][role="button"])`).click();
  // The field empties once the page handed the message to its channel.
  await page.waitForFunction(() => (document.getElementById('message') as HTMLInputElement).value === '', {
    timeout: 5_000,
  });
}

/** The chat's messages from the other end, in the order shown. */
function received(page: Page): Promise<DemoChatEntry[]> {
  return page.evaluate(() => ((window as DemoWindow).demo?.chat ?? []).filter((m) => m.from === 'them'));
}

/** What the list on the page shows (each entry's text), for the failure messages and the "as typed" checks. */
function shown(page: Page): Promise<string[]> {
  return page.evaluate(() => [...document.querySelectorAll('#messages li')].map((li) => li.textContent ?? ''));
}

/** Sends `messages` from `from`, one after another, and returns what `to` got once it got as many (and settled). */
async function exchange(from: Page, to: Page, messages: readonly Outgoing[]): Promise<DemoChatEntry[]> {
  const before = (await received(to)).length;
  for (const message of messages) await send(from, message);
  await waitFor(async () => (await received(to)).length >= before + messages.length, {
    description: `${messages.length} messages to arrive`,
    timeoutMs: 10_000,
  }).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}; the receiver shows: ${JSON.stringify(await shown(to))}`);
  });
  await sleep(SETTLE_MS);
  return (await received(to)).slice(before);
}

/**
 * The page's local description as the page reads it and signals it (with our line, if the page script added one). The
 * remote description never shows a line: the page script takes it out before the browser applies the description.
 */
function localSdp(page: Page): Promise<string> {
  return page.evaluate(() => (window as DemoWindow).demo?.pc?.localDescription?.sdp ?? '');
}

/** A text of about 2 KB in UTF-8, with letters of one, two, three and four bytes. */
function longText(): string {
  let text = 'long: ';
  while (Buffer.byteLength(text) < 2_000) text += 'Grüße aus dem Café — 日本語のテキスト 🙂🔐 ';
  return `${text}end`;
}

/** What a Framelock end sends in the protected call, and what the other answers. */
const FROM_ALICE: readonly Outgoing[] = [
  { text: 'hello from alice' },
  { text: 'grüße, 日本語, emoji 🙂🔐 ✓' },
  { typedBytes: 'bytes typed by alice ✓' },
  { bytes: [0, 1, 2, 0xf1, 0x7b, 0x22, 0xff, 0, 0x80, 250] },
  { text: longText() },
];
const FROM_BOB: readonly Outgoing[] = [
  { text: 'reply from bob ✓' },
  { typedBytes: 'bob’s bytes — ünïcödé' },
  { text: 'last one from bob' },
];

describe.skipIf(!chromiumAvailable)('the demo site’s data-channel chat through Framelock (real browsers)', () => {
  let server: DemoServer;
  let media: FakeMedia;
  let alice: ExtensionBrowser;
  let bob: ExtensionBrowser;
  let eve: ExtensionBrowser;
  let carol: PlainBrowser;
  const pages: Page[] = [];

  async function page(browser: { newPage(): Promise<Page> }): Promise<Page> {
    const p = await tappedPage(browser);
    pages.push(p);
    return p;
  }

  beforeAll(async () => {
    server = await startDemoServer();
    media = await createFakeMedia();
    [alice, bob, eve, carol] = await Promise.all([
      launchExtensionParticipant(server.url, PASSPHRASE, media),
      launchExtensionParticipant(server.url, PASSPHRASE, media),
      launchExtensionParticipant(server.url, WRONG_PASSPHRASE, media),
      launchPlainChromium({ media }),
    ]);
  });

  // Each test's tabs close after it: every demo tab holds a signalling stream open, and Chromium allows 6 connections
  // per host, so a browser with 6 tabs left open queues the next tab's signalling for ever.
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((p) => p.close().catch(() => undefined)));
  });

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close(), eve?.close(), carol?.close()]);
    await server?.close();
    await media?.cleanup();
  });

  it('same passphrase: strings, multi-byte text and bytes arrive as sent, in order, once; the channel carries only envelopes', async () => {
    const call = await startCall({ browsers: [await page(bob.browser), await page(alice.browser)], url: server.url });
    const [bobPage, alicePage] = call.pages;
    await Promise.all(call.pages.map(waitForChat));

    // Each end signalled our line (the offer's and the answer's): the answerer answers with one only to an offer whose
    // line opened, so the connection is protected at both ends.
    for (const p of call.pages) expect(await localSdp(p)).toMatch(OUR_LINE);

    expect(await exchange(alicePage, bobPage, FROM_ALICE)).toEqual(FROM_ALICE.map(expected));
    expect(await exchange(bobPage, alicePage, FROM_BOB)).toEqual(FROM_BOB.map(expected));
    // Each side's list shows the other's text as typed.
    expect(await shown(bobPage)).toContain('them: grüße, 日本語, emoji 🙂🔐 ✓');
    expect(await shown(alicePage)).toContain('them: reply from bob ✓');

    // What the channel carried: the tap sits below the page script (which saved the tap as its native send), so it saw
    // every message the page script handed the browser: one envelope per message sent, never the page's own string.
    // This is also the tap's positive control: a tap above the page script would have recorded the page's strings.
    // Alice made the offer: her end also sent the offerer's confirmation (a control envelope the page never sees).
    for (const [p, sent, confirmations] of [
      [alicePage, FROM_ALICE, 1],
      [bobPage, FROM_BOB, 0],
    ] as const) {
      const channelId = await p.evaluate(() => (window as DemoWindow).demo?.channel?.id);
      const wire = await readWire(p, 'chat');
      expect(wire.map((r) => r.kind)).toEqual(wire.map(() => 'binary'));
      const envelopes = wire.map(envelopeOf);
      const control = envelopes.filter((e) => (e.flags & FLAG_CONTROL) !== 0);
      const data = envelopes.filter((e) => (e.flags & FLAG_CONTROL) === 0);
      expect(control.map((e) => e.size)).toEqual(Array(confirmations).fill(CONFIRMATION_BYTES));
      // One envelope per message, in the order sent, flagged as a string or as bytes as the page sent it, each its
      // plaintext's size plus the header and the tag.
      expect(data.map((e) => e.flags)).toEqual(sent.map((m) => ('text' in m ? FLAG_STRING : 0)));
      expect(data.map((e) => e.size)).toEqual(sent.map((m) => plaintextBytes(m) + SEAL_OVERHEAD));
      for (const e of envelopes) {
        expect(e.magic).toBe(ENVELOPE_MARKER);
        expect(e.streamId).toBe(channelId);
      }
      // A fresh counter for each envelope, increasing.
      const counters = envelopes.map((e) => e.counter);
      expect(counters).toEqual([...counters].sort((x, y) => (x < y ? -1 : 1)));
      expect(new Set(counters).size).toBe(counters.length);
      // No message's text or bytes is anywhere in what went out.
      const { texts, hex } = secrets(sent);
      for (const [i, record] of wire.entries()) {
        for (const text of texts) expect(carries(record, text), `record ${i} holds "${text.slice(0, 40)}"`).toBe(false);
        for (const part of ['hello from', 'Grüße aus', '日本語', 'bytes typed', 'reply from', 'ünïcödé']) {
          expect(carries(record, part)).toBe(false);
        }
        for (const bytes of hex) expect(hexContains(record.hex, bytes)).toBe(false);
      }
    }
    // The search itself finds a message where it is (positive control of `carries`).
    expect(
      carries({ label: 'chat', kind: 'binary', text: '', hex: `00${utf8Hex('日本語')}`, size: 10 }, '日本語'),
    ).toBe(true);

    // A renegotiation (alice adds a second video track: a new offer and answer, each with its line) keeps the
    // connection protected: the chat goes on, sealed.
    const before = (await readWire(alicePage, 'chat')).length;
    await alicePage.evaluate(() => (window as DemoWindow).demo?.addSecondVideoTrack());
    await waitFor(async () => (await bobPage.evaluate(() => (window as DemoWindow).demo?.remoteVideos.length)) === 2, {
      description: 'bob to get alice’s second video track',
      timeoutMs: 15_000,
    });
    const after: Outgoing[] = [{ text: 'after renegotiation ✓' }, { bytes: [4, 5, 6] }];
    expect(await exchange(alicePage, bobPage, after)).toEqual(after.map(expected));
    expect(await exchange(bobPage, alicePage, [{ text: 'bob after renegotiation' }])).toEqual([
      expected({ text: 'bob after renegotiation' }),
    ]);
    const later = (await readWire(alicePage, 'chat')).slice(before);
    expect(later.map((r) => envelopeOf(r).flags)).toEqual([FLAG_STRING, 0]);
    expect(later.map((r) => r.size)).toEqual(after.map((m) => plaintextBytes(m) + SEAL_OVERHEAD));
    expect(later.some((r) => carries(r, 'after renegotiation'))).toBe(false);

    // The popup of each says the chat is end-to-end encrypted, with the messages its page sent and got.
    await expectChannelPopup(alice, `room=${call.room}`, {
      label: 'chat',
      state: 'e2e',
      sent: FROM_ALICE.length + after.length,
      received: FROM_BOB.length + 1,
    });
    await expectChannelPopup(bob, `room=${call.room}`, {
      label: 'chat',
      state: 'e2e',
      sent: FROM_BOB.length + 1,
      received: FROM_ALICE.length + after.length,
    });
    await call.hangUp();
  });

  it('a reload starts a new connection: it is protected again, and the chat goes on sealed', async () => {
    const call = await startCall({ browsers: [await page(alice.browser), await page(bob.browser)], url: server.url });
    const [alicePage, bobPage] = call.pages;
    await Promise.all(call.pages.map(waitForChat));
    const first: Outgoing[] = [{ text: 'before the reload' }];
    expect(await exchange(bobPage, alicePage, first)).toEqual(first.map(expected));

    // Bob reloads: his new page offers a new connection (and a new channel), and alice's page starts over with it.
    await bobPage.reload({ waitUntil: 'load' });
    await waitFor(
      () => alicePage.evaluate(() => (window as DemoWindow).demo?.log.some((l) => l.includes('the peer restarted'))),
      { description: 'alice’s page to take bob’s new connection', timeoutMs: 15_000 },
    );
    await Promise.all([
      waitForDemoState(alicePage, ['connected'], 20_000),
      waitForDemoState(bobPage, ['connected'], 20_000),
    ]);
    await Promise.all(call.pages.map(waitForChat));
    for (const p of call.pages) expect(await localSdp(p)).toMatch(OUR_LINE);
    const aliceBefore = (await readWire(alicePage, 'chat')).length;

    const fromBob: Outgoing[] = [{ text: 'after the reload ✓' }, { bytes: [1, 2, 3] }];
    const fromAlice: Outgoing[] = [{ text: 'welcome back, bob' }];
    expect(await exchange(bobPage, alicePage, fromBob)).toEqual(fromBob.map(expected));
    expect(await exchange(alicePage, bobPage, fromAlice)).toEqual(fromAlice.map(expected));
    // Bob's new page (a fresh tap) offered: his confirmation, then his two messages, sealed; alice's reply sealed.
    const bobWire = (await readWire(bobPage, 'chat')).map(envelopeOf);
    expect(bobWire.map((e) => [e.magic, e.flags])).toEqual([
      [ENVELOPE_MARKER, FLAG_CONTROL],
      [ENVELOPE_MARKER, FLAG_STRING],
      [ENVELOPE_MARKER, 0],
    ]);
    const aliceWire = (await readWire(alicePage, 'chat')).slice(aliceBefore);
    expect(aliceWire.map((r) => [envelopeOf(r).magic, envelopeOf(r).flags])).toEqual([[ENVELOPE_MARKER, FLAG_STRING]]);
    expect(aliceWire.some((r) => carries(r, 'welcome back'))).toBe(false);
    await call.hangUp();
  });

  // Found by this test: on a connection that is not protected, bytes and strings without the marker never reach the
  // bridge, and the popup counted only what did ("Sent: 1 · Received: 0" for 2 and 2). The page script's counts now
  // reach the bridge with its channel reports.
  it('the popup counts every message of a channel that is not protected, as it does on a protected one', async () => {
    const { call, alicePage, otherPage: carolPage } = await callWithAlice(carol, 'carol', true);
    const fromAlice: Outgoing[] = [{ text: 'counted: alice’s string' }, { bytes: [1, 2, 3] }];
    const fromCarol: Outgoing[] = [{ text: 'counted: carol’s string' }, { bytes: [4, 5, 6] }];
    expect(await exchange(alicePage, carolPage, fromAlice)).toEqual(fromAlice.map(expected));
    expect(await exchange(carolPage, alicePage, fromCarol)).toEqual(fromCarol.map(expected));
    await expectChannelPopup(alice, `room=${call.room}`, { label: 'chat', state: 'clear', sent: 2, received: 2 });
    await call.hangUp();
  });

  /**
   * A call between alice and `other` through the demo, alice making the offer (she joins second) or answering it, with
   * the chat open at both ends.
   */
  async function callWithAlice(
    other: { browser: { newPage(): Promise<Page> } },
    otherName: string,
    aliceOffers: boolean,
  ): Promise<{ call: Call; alicePage: Page; otherPage: Page }> {
    const [alicePage, otherPage] = [await page(alice.browser), await page(other.browser)];
    const call = await startCall({
      browsers: aliceOffers ? [otherPage, alicePage] : [alicePage, otherPage],
      url: server.url,
      names: aliceOffers ? [otherName, 'alice'] : ['alice', otherName],
    });
    await Promise.all(call.pages.map(waitForChat));
    return { call, alicePage, otherPage };
  }

  it.each([
    ['alice offers', true],
    ['carol offers', false],
  ])(
    'a peer without Framelock (%s): the chat works both ways in clear, and Framelock says the channel is not end-to-end encrypted',
    async (_, aliceOffers) => {
      const { call, alicePage, otherPage: carolPage } = await callWithAlice(carol, 'carol', aliceOffers);
      // Alice's offer carries our line and carol's answer none; or carol's offer has none, so alice answers with none.
      if (aliceOffers) expect(await localSdp(alicePage)).toMatch(OUR_LINE);
      else expect(await localSdp(alicePage)).not.toMatch(/x-framelock/);
      expect(await localSdp(carolPage)).not.toMatch(/x-framelock/);

      const fromAlice: Outgoing[] = [{ text: 'alice to carol: grüße 🙂' }, { typedBytes: 'alice’s bytes ✓' }];
      const fromCarol: Outgoing[] = [{ text: 'carol to alice: 日本語 ✓' }, { bytes: [0xf1, 0, 1, 2, 3] }];
      expect(await exchange(alicePage, carolPage, fromAlice)).toEqual(fromAlice.map(expected));
      expect(await exchange(carolPage, alicePage, fromCarol)).toEqual(fromCarol.map(expected));
      expect(await shown(carolPage)).toContain('them: alice to carol: grüße 🙂');
      expect(await shown(alicePage)).toContain('them: carol to alice: 日本語 ✓');
      // Not sealed: alice's channel carried her messages as she sent them, and nothing else.
      const wire = await readWire(alicePage, 'chat');
      expect(wire.map((r) => r.kind)).toEqual(['string', 'binary']);
      expect(wire[0]?.text).toBe('alice to carol: grüße 🙂');
      expect(wire[1]?.hex).toBe(utf8Hex('alice’s bytes ✓'));

      await expectChannelPopup(alice, `room=${call.room}`, { label: 'chat', state: 'clear' });
      await call.hangUp();
    },
  );

  it.each([
    ['alice offers', true],
    ['eve offers', false],
  ])(
    'a peer with another passphrase (%s): the line does not open, the connection is not protected, and the chat works in clear',
    async (_, aliceOffers) => {
      const { call, alicePage, otherPage: evePage } = await callWithAlice(eve, 'eve', aliceOffers);
      // The offerer's line does not open under the answerer's key, so the answer carries none.
      const [offerer, answerer] = aliceOffers ? [alicePage, evePage] : [evePage, alicePage];
      expect(await localSdp(offerer)).toMatch(OUR_LINE);
      expect(await localSdp(answerer)).not.toMatch(/x-framelock/);

      const fromAlice: Outgoing[] = [{ text: 'alice to eve ✓' }, { bytes: [9, 8, 7] }];
      const fromEve: Outgoing[] = [{ text: 'eve to alice: grüße' }];
      expect(await exchange(alicePage, evePage, fromAlice)).toEqual(fromAlice.map(expected));
      expect(await exchange(evePage, alicePage, fromEve)).toEqual(fromEve.map(expected));
      // In clear at both ends: Framelock does not claim protection it does not have.
      const aliceWire = await readWire(alicePage, 'chat');
      expect(aliceWire.map((r) => r.kind)).toEqual(['string', 'binary']);
      expect(aliceWire[0]?.text).toBe('alice to eve ✓');
      expect(aliceWire[1]?.hex).toBe('090807');
      expect((await readWire(evePage, 'chat')).map((r) => r.text)).toEqual(['eve to alice: grüße']);

      await expectChannelPopup(alice, `room=${call.room}`, { label: 'chat', state: 'clear' });
      await expectChannelPopup(eve, `room=${call.room}`, { label: 'chat', state: 'clear' });
      await call.hangUp();
    },
  );
});
