/**
 * The data-channel patch (src/page/data-channels.ts, data-sdp.ts) in a real browser, without the extension: the test
 * page (test/pages/data-channels.html) installs the page script's patch with a fake DataLink whose "sealing" is a
 * visible XOR envelope (test/pages/data-channels/fake-link.ts), and a tap below the patch records what the browser's
 * channels carried. Two connections of the page talk over loopback; a same-origin frame's connection stands for a
 * peer without Framelock. What the site sees must stay what the native gives it; what the channel carries must be the
 * fake ciphertext wherever both ends gave a line.
 */
import type { Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DcWindow } from '../pages/data-channels/api';
import { startTestServer, type TestServer } from '../server/test-server';
import { launchPlainChromium, type PlainBrowser } from './call';
import { chromiumAvailable } from './harness';

describe.skipIf(!chromiumAvailable)('the data-channel patch with a fake link (headless Chromium)', () => {
  let server: TestServer;
  let plain: PlainBrowser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    server = await startTestServer();
    // Two connections of one page, over loopback (all a CI container may have).
    plain = await launchPlainChromium({ args: ['--allow-loopback-in-peer-connection'] });
  });

  afterAll(async () => {
    await plain?.close();
    await server?.close();
  });

  // A fresh page each time: the patch numbers connections from 1 per realm, and the fake is set per number.
  beforeEach(async () => {
    page = await plain.browser.newPage();
    errors = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(`${server.url}/data-channels.html`);
  });

  afterEach(async () => {
    expect(errors).toEqual([]);
    await page?.close();
  });

  it('puts our line in every local description (offer, answer, implicit, legacy callback), reads the peer’s, and protects the connection', async () => {
    const result = await page.evaluate(async () => {
      const { __dc: dc } = window as unknown as DcWindow;
      const lineOf = (sdp: string | undefined) => /\r\na=x-framelock:1 (\S+)\r\n/.exec(sdp ?? '')?.[1] ?? null;
      const beforeMedia = (sdp: string | undefined) =>
        (sdp ?? '').indexOf('a=x-framelock:1') < (sdp ?? '').indexOf('\r\nm=');
      const { a, b, ab, idA, idB } = await dc.pair();
      const offerOnly = dc.newPc().pc;
      offerOnly.createDataChannel('x');
      const offer = await offerOnly.createOffer();
      await offerOnly.setLocalDescription(offer);
      const implicit = dc.newPc().pc;
      implicit.createDataChannel('y');
      await implicit.setLocalDescription();
      const legacy = dc.newPc().pc;
      legacy.createDataChannel('z');
      const legacyOffer = await new Promise<RTCSessionDescriptionInit>((resolve, reject) => {
        void legacy.createOffer(resolve, reject);
      });
      await new Promise((resolve) => setTimeout(resolve, 100)); // the decision's first report
      const shown = a.localDescription;
      const out = {
        ids: [idA, idB],
        offer: { line: lineOf(offer.sdp), beforeMedia: beforeMedia(offer.sdp), keys: Object.keys(offer) },
        pending: lineOf(offerOnly.pendingLocalDescription?.sdp),
        currentWhilePending: offerOnly.currentLocalDescription,
        implicit: lineOf(implicit.localDescription?.sdp),
        legacy: lineOf(legacyOffer.sdp),
        a: [lineOf(a.localDescription?.sdp), lineOf(a.currentLocalDescription?.sdp), a.pendingLocalDescription],
        b: [lineOf(b.localDescription?.sdp), lineOf(b.currentLocalDescription?.sdp)],
        beforeMediaA: beforeMedia(a.localDescription?.sdp),
        sameObject: shown === a.localDescription,
        isDescription: a.localDescription instanceof RTCSessionDescription,
        remoteLines: dc.link.calls.filter((c) => c.member === 'remoteLine').map((c) => [c.connection, c.detail]),
        reports: dc.link.reports.map((r) => [r.connection, r.label, r.protected]),
        looksNative: [
          String(RTCPeerConnection.prototype.createOffer),
          String(RTCPeerConnection.prototype.setLocalDescription),
          String(RTCPeerConnection.prototype.createDataChannel),
          String(Object.getOwnPropertyDescriptor(RTCPeerConnection.prototype, 'localDescription')?.get),
          String(RTCDataChannel.prototype.send),
          String(Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'bufferedAmount')?.get),
        ],
        channelLabel: ab.label,
      };
      for (const pc of [a, b, offerOnly, implicit, legacy]) pc.close();
      return out;
    });
    expect(result.ids).toEqual([1, 2]);
    expect(result.offer).toEqual({ line: 'FAKEHELLOO3', beforeMedia: true, keys: ['sdp', 'type'] });
    expect(result.pending).toBe('FAKEHELLOO3');
    expect(result.currentWhilePending).toBeNull();
    expect(result.implicit).toBe('FAKEHELLOO4');
    expect(result.legacy).toBe('FAKEHELLOO5');
    expect(result.a).toEqual(['FAKEHELLOO1', 'FAKEHELLOO1', null]);
    expect(result.b).toEqual(['FAKEHELLOA2', 'FAKEHELLOA2']);
    expect(result.beforeMediaA).toBe(true);
    expect(result.sameObject).toBe(true);
    expect(result.isDescription).toBe(true);
    expect(result.remoteLines).toEqual([
      [2, 'FAKEHELLOO1'],
      [1, 'FAKEHELLOA2'],
    ]);
    expect(result.reports).toEqual(
      expect.arrayContaining([
        [1, 'chat', true],
        [2, 'chat', true],
      ]),
    );
    expect(result.looksNative).toEqual([
      'function createOffer() { [native code] }',
      'function setLocalDescription() { [native code] }',
      'function createDataChannel() { [native code] }',
      'function get localDescription() { [native code] }',
      // (The tap below the patch stands for the native send here: its own source is what shows through.)
      expect.stringContaining('function send('),
      'function get bufferedAmount() { [native code] }',
    ]);
    expect(result.channelLabel).toBe('chat');
  });

  // The page script's rule: after start-up it calls only the built-ins it saved. A page that replaced all the others
  // (as test/pages/data-channels/hooks.ts does) sees none of them called through a whole negotiation and traffic.
  it('calls none of the built-ins a hostile page replaced, from negotiation to delivery (strings, bytes, Blobs)', async () => {
    const result = await page.evaluate(async () => {
      const { __dc: dc } = window as unknown as DcWindow;
      const bytes = new TextEncoder().encode('PLAINTEXT bytes');
      const blob = new Blob(['PLAINTEXT blob']);
      const hooks = dc.hookBuiltins();
      let called: string[];
      let pair: Awaited<ReturnType<typeof dc.pair>>;
      try {
        pair = await dc.pair({ binaryTypeB: 'blob' });
        dc.watch(pair.ab);
        dc.watch(pair.ba);
        pair.ab.send('PLAINTEXT string');
        pair.ab.send(bytes);
        pair.ab.send(blob);
        pair.ba.send('PLAINTEXT back');
        pair.ba.send(bytes);
        pair.ab.bufferedAmount;
        await new Promise((resolve) => setTimeout(resolve, 500));
      } finally {
        called = hooks.stop();
      }
      const out = {
        called: [...new Set(called)],
        toB: (await dc.seen(pair.ba)).filter((s) => s.via === 'onmessage').map((s) => `${s.type}:${s.value}`),
        toA: (await dc.seen(pair.ab)).filter((s) => s.via === 'onmessage').map((s) => `${s.type}:${s.value}`),
        protected: dc.link.reports.map((r) => r.protected),
      };
      pair.a.close();
      pair.b.close();
      return out;
    });
    expect(result.called).toEqual([]);
    expect(result.toB).toEqual(['string:PLAINTEXT string', 'Blob:PLAINTEXT bytes', 'Blob:PLAINTEXT blob']);
    expect(result.toA).toEqual(['string:PLAINTEXT back', 'ArrayBuffer:PLAINTEXT bytes']);
    expect(result.protected).toContain(true);
    expect(result.protected).not.toContain(false);
  });

  for (const binaryType of ['arraybuffer', 'blob'] as const) {
    it(`carries strings and bytes both ways, sealed on the wire, as binaryType ${binaryType} asks (one event per listener)`, async () => {
      const result = await page.evaluate(async (binaryType) => {
        const { __dc: dc, __wire: wire } = window as unknown as DcWindow;
        const { a, b, ab, ba } = await dc.pair({ binaryTypeB: binaryType });
        ab.binaryType = binaryType;
        dc.watch(ab);
        dc.watch(ba);
        wire.clear();
        const bytes = (text: string) => new TextEncoder().encode(text);
        for (const [from, name] of [
          [ab, 'a'],
          [ba, 'b'],
        ] as const) {
          from.send(`PLAINTEXT string from ${name} ✓`);
          from.send(bytes(`PLAINTEXT buffer from ${name}`).buffer);
          const view = bytes(`xxPLAINTEXT view from ${name}xx`);
          from.send(view.subarray(2, view.length - 2));
          from.send(new DataView(bytes(`PLAINTEXT dataview from ${name}`).buffer));
          from.send(new Blob([`PLAINTEXT blob from ${name}`]));
          from.send('');
        }
        await dc.waitSeen(ab, 6);
        await dc.waitSeen(ba, 6);
        const out = { toB: await dc.seen(ba), toA: await dc.seen(ab), wire: [...wire.log] };
        a.close();
        b.close();
        return out;
      }, binaryType);
      const bytesType = binaryType === 'blob' ? 'Blob' : 'ArrayBuffer';
      for (const [seen, from] of [
        [result.toB, 'a'],
        [result.toA, 'b'],
      ] as const) {
        const expected = [
          ['string', `PLAINTEXT string from ${from} ✓`],
          [bytesType, `PLAINTEXT buffer from ${from}`],
          [bytesType, `PLAINTEXT view from ${from}`],
          [bytesType, `PLAINTEXT dataview from ${from}`],
          [bytesType, `PLAINTEXT blob from ${from}`],
          ['string', ''],
        ];
        for (const via of ['onmessage', 'listener'] as const) {
          expect(
            seen.filter((s) => s.via === via).map((s) => [s.type, s.value]),
            via,
          ).toEqual(expected);
        }
      }
      // The wire carried the fake envelope only: binary, 0xF1 first, no plaintext.
      expect(result.wire).toHaveLength(12);
      for (const record of result.wire) expect(record).toMatchObject({ kind: 'binary', first: 0xf1, plain: false });
    });
  }

  it('keeps the order of a burst of 1,000 messages of mixed sizes and kinds, both ways at once, with reports throttled', async () => {
    const result = await page.evaluate(async () => {
      const { __dc: dc, __wire: wire } = window as unknown as DcWindow;
      const { a, b, ab, ba } = await dc.pair();
      dc.watch(ab);
      dc.watch(ba);
      wire.clear();
      const reportsBefore = dc.link.reports.length;
      const count = 1_000;
      const sizes = [0, 1, 7, 100, 1_000, 16_000, 65_000];
      const message = (from: string, i: number): string | Uint8Array | Blob => {
        const text = `${from}#${i}:`.padEnd(sizes[i % sizes.length] as number, '.');
        if (i % 3 === 0) return text;
        if (i % 3 === 1) return new TextEncoder().encode(text);
        return new Blob([text]);
      };
      const started = performance.now();
      for (let i = 0; i < count; i++) {
        ab.send(message('a', i) as string);
        ba.send(message('b', i) as string);
      }
      const sendMs = performance.now() - started;
      await dc.waitSeen(ba, count, 60_000);
      await dc.waitSeen(ab, count, 60_000);
      const order = async (channel: RTCDataChannel, from: string) => {
        const seen = await dc.seen(channel);
        const numbers = (via: string) =>
          seen.filter((s) => s.via === via).map((s) => Number(/^[ab]#(\d+):/.exec(s.value)?.[1] ?? -1));
        return {
          onmessage: numbers('onmessage'),
          listener: numbers('listener'),
          wrongSender: seen.filter((s) => !s.value.startsWith(`${from}#`)).length,
        };
      };
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // the last throttled reports
      const reports = dc.link.reports.slice(reportsBefore);
      const out = {
        toB: await order(ba, 'a'),
        toA: await order(ab, 'b'),
        sendMs,
        wire: { count: wire.log.length, sealed: wire.log.filter((r) => r.first === 0xf1 && !r.plain).length },
        reports: reports.length,
        last: reports.filter((r) => r.connection === 1).at(-1),
      };
      a.close();
      b.close();
      return out;
    });
    const inOrder = Array.from({ length: 1_000 }, (_, i) => i);
    for (const direction of [result.toB, result.toA]) {
      expect(direction.onmessage).toEqual(inOrder);
      expect(direction.listener).toEqual(inOrder);
      expect(direction.wrongSender).toBe(0);
    }
    expect(result.wire).toEqual({ count: 2_000, sealed: 2_000 });
    // send() only queues: 2,000 calls (up to 65 KB each) return long before the link answered them all.
    expect(result.sendMs).toBeLessThan(2_000);
    // Throttled: a handful per channel over a few seconds, not one per message.
    expect(result.reports).toBeLessThan(20);
    expect(result.last).toMatchObject({ protected: true, sent: 1_000, received: 1_000, dropped: 0, unsent: 0 });
  });

  it('send() is synchronous: returns at once, counts what it queued in bufferedAmount, and throws as the native does', async () => {
    const result = await page.evaluate(async () => {
      const { __dc: dc } = window as unknown as DcWindow;
      const error = (f: () => unknown) => {
        try {
          f();
          return 'no error';
        } catch (e) {
          return `${(e as Error).name}: ${(e as Error).message}`;
        }
      };
      const early = dc.newPc().pc.createDataChannel('early');
      const beforeOpen = error(() => early.send('x'));
      const { a, b, ab, ba, idA } = await dc.pair();
      dc.watch(ba);
      dc.link.behave(idA, { answers: 'hold' }); // the link answers nothing until released
      const returned = [ab.send('12345'), ab.send(new Uint8Array(1_000)), ab.send(new Blob(['abc']))];
      const buffered = ab.bufferedAmount;
      const held = dc.link.held;
      const seenWhileHeld = (await dc.seen(ba)).length;
      const errors = {
        none: error(() => (ab.send as () => void)()),
        symbol: error(() => ab.send(Symbol('x') as unknown as string)),
        // Sealing adds the envelope: the largest message the native takes, less that, is the largest we take.
        tooLarge: error(() => ab.send(new Uint8Array((a.sctp?.maxMessageSize ?? 0) - 10))),
        objectAsString: error(() => ab.send({ toString: () => 'object as string' } as unknown as string)),
      };
      dc.link.behave(idA, { answers: 'async' }); // (the Blob's seal may not have been asked yet)
      dc.link.release();
      await dc.waitSeen(ba, 4);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const afterRelease = ab.bufferedAmount;
      ab.close();
      const afterClose = error(() => ab.send('x'));
      const out = {
        beforeOpen,
        returned,
        buffered,
        held,
        seenWhileHeld,
        errors,
        afterRelease,
        afterClose,
        received: (await dc.seen(ba)).filter((s) => s.via === 'onmessage').map((s) => `${s.type}:${s.value.length}`),
      };
      a.close();
      b.close();
      return out;
    });
    const prefix = "Failed to execute 'send' on 'RTCDataChannel': ";
    expect(result.beforeOpen).toBe(`InvalidStateError: ${prefix}RTCDataChannel.readyState is not 'open'`);
    expect(result.returned).toEqual([null, null, null]); // undefined, through puppeteer
    expect(result.buffered).toBeGreaterThanOrEqual(5 + 1_000 + 3);
    expect(result.held).toBeGreaterThanOrEqual(2); // the Blob may still be being read
    expect(result.seenWhileHeld).toBe(0);
    expect(result.errors).toEqual({
      none: `TypeError: ${prefix}1 argument required, but only 0 present.`,
      symbol: `TypeError: ${prefix}Cannot convert a Symbol value to a string`,
      tooLarge: `TypeError: ${prefix}Trying to send message larger than max-message-size`,
      objectAsString: 'no error',
    });
    expect(result.afterRelease).toBe(0);
    expect(result.afterClose).toBe(`InvalidStateError: ${prefix}RTCDataChannel.readyState is not 'open'`);
    expect(result.received).toEqual(['string:5', 'ArrayBuffer:1000', 'ArrayBuffer:3', 'string:16']);
  });

  it('close() drops what is queued: nothing of it reaches the peer, and the report counts it unsent', async () => {
    const result = await page.evaluate(async () => {
      const { __dc: dc, __wire: wire } = window as unknown as DcWindow;
      const { a, b, ab, ba, idA } = await dc.pair({ label: 'closing' });
      dc.watch(ba);
      wire.clear();
      dc.link.behave(idA, { answers: 'hold' });
      for (let i = 0; i < 3; i++) ab.send(`PLAINTEXT ${i}`);
      ab.close();
      const bufferedAfterClose = ab.bufferedAmount;
      dc.link.release();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const out = {
        bufferedAfterClose,
        seen: (await dc.seen(ba)).length,
        wire: wire.log.length,
        last: dc.link.reports.filter((r) => r.connection === 1).at(-1),
      };
      a.close();
      b.close();
      return out;
    });
    expect(result).toMatchObject({ bufferedAfterClose: 0, seen: 0, wire: 0 });
    expect(result.last).toMatchObject({ label: 'closing', sent: 0, unsent: 3, closed: true });
  });

  it('on a protected connection, what does not open is dropped and counted, and what follows still arrives', async () => {
    const result = await page.evaluate(async () => {
      const { __dc: dc, __wire: wire } = window as unknown as DcWindow;
      const { a, b, ab, ba } = await dc.pair();
      dc.watch(ba);
      // Below the patch: what a site (or the network) could put on the channel without the link.
      const below = wire.send as (data: unknown) => void;
      below.call(ab, 'PLAINTEXT in clear');
      below.call(ab, new Uint8Array([0xf1, 0, 0, 99, 1, 2, 3])); // the envelope, for another stream
      ab.send('after');
      await dc.waitSeen(ba, 1);
      await new Promise((resolve) => setTimeout(resolve, 1_200)); // a throttled report
      const out = {
        seen: (await dc.seen(ba)).map((s) => `${s.via}:${s.value}`),
        report: dc.link.reports.filter((r) => r.connection === 2).at(-1),
      };
      a.close();
      b.close();
      return out;
    });
    expect(result.seen).toEqual(['onmessage:after', 'listener:after']);
    expect(result.report).toMatchObject({ protected: true, received: 1, dropped: 2 });
  });

  it('a peer that gives no line: both ends stay unprotected, and messages pass untouched as the native delivers them', async () => {
    const result = await page.evaluate(async () => {
      const { __dc: dc, __wire: wire } = window as unknown as DcWindow;
      const { a, b, ab, ba } = await dc.pair({ behaviourB: { line: 'none' } });
      dc.watch(ab);
      dc.watch(ba);
      wire.clear();
      ab.send('PLAINTEXT from a');
      ab.send(new TextEncoder().encode('PLAINTEXT bytes from a'));
      ba.send('PLAINTEXT from b');
      await dc.waitSeen(ba, 2);
      await dc.waitSeen(ab, 1);
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const out = {
        offerLine: /a=x-framelock:1 (\S+)/.exec(a.localDescription?.sdp ?? '')?.[1] ?? null,
        answerLine: /a=x-framelock:1 (\S+)/.exec(b.localDescription?.sdp ?? '')?.[1] ?? null,
        toB: await dc.seen(ba),
        toA: await dc.seen(ab),
        wire: wire.log.map((r) => [r.kind, r.plain]),
        reports: dc.link.reports.filter((r) => !r.closed).map((r) => [r.connection, r.protected]),
        sealed: dc.link.calls.filter((c) => c.member === 'seal' || c.member === 'open').length,
      };
      a.close();
      b.close();
      return out;
    });
    expect(result.offerLine).toBe('FAKEHELLOO1');
    expect(result.answerLine).toBeNull();
    expect(result.sealed).toBe(0);
    // (Both channels share the tap: b's string may go out between a's two.)
    expect(result.wire.map(String).sort()).toEqual(['binary,true', 'string,true', 'string,true']);
    // Nothing to examine: the native events themselves (isTrusted), for both listeners.
    expect(result.toB.map((s) => [s.via, s.trusted, s.type, s.value])).toEqual([
      ['onmessage', true, 'string', 'PLAINTEXT from a'],
      ['listener', true, 'string', 'PLAINTEXT from a'],
      ['onmessage', true, 'ArrayBuffer', 'PLAINTEXT bytes from a'],
      ['listener', true, 'ArrayBuffer', 'PLAINTEXT bytes from a'],
    ]);
    expect(result.toA.map((s) => [s.via, s.trusted, s.value])).toEqual([
      ['onmessage', true, 'PLAINTEXT from b'],
      ['listener', true, 'PLAINTEXT from b'],
    ]);
    expect(new Set(result.reports.map(([, isProtected]) => isProtected))).toEqual(new Set([false]));
  });

  it('a peer in another realm (no patch there): unprotected, texts go past the profile, and its channel is left alone', async () => {
    const result = await page.evaluate(async () => {
      const { __dc: dc, __wire: wire } = window as unknown as DcWindow;
      const { a, b, ab, ba } = await dc.pair({ bInFrame: true });
      dc.watch(ab);
      dc.watch(ba);
      wire.clear();
      ab.send('tr:PLAINTEXT for the room'); // a text the fake's profile rewrites
      ab.send('PLAINTEXT not for a profile');
      await dc.waitSeen(ba, 2);
      const atB = await dc.seen(ba);
      // The frame's peer relays what it got back, as a relay would: the profile opens it for the page. (One at a time:
      // a message behind one being opened waits its turn, and reaches the page as our event.)
      ba.send(atB[0]?.value ?? '');
      await dc.waitSeen(ab, 1);
      ba.send('plain from the frame');
      // This realm's send on the frame's channel: another realm's connection, not ours to change.
      (RTCDataChannel.prototype.send as (data: unknown) => void).call(ba, 'PLAINTEXT through our send');
      await dc.waitSeen(ab, 3);
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const out = {
        toB: atB.filter((s) => s.via === 'onmessage').map((s) => [s.trusted, s.value]),
        toA: (await dc.seen(ab)).filter((s) => s.via === 'onmessage').map((s) => [s.trusted, s.value]),
        wire: wire.log.map((r) => [r.label, r.plain, r.text.slice(0, 3)]),
        report: dc.link.reports.filter((r) => r.connection === 1).at(-1),
        remoteLines: dc.link.calls.filter((c) => c.member === 'remoteLine').map((c) => c.detail),
      };
      a.close();
      b.close();
      return out;
    });
    expect(result.remoteLines).toEqual(['undefined']);
    expect(result.toB[0]?.[1]).toMatch(/^FL:/);
    expect(result.toB[1]).toEqual([true, 'PLAINTEXT not for a profile']);
    expect(result.toA).toEqual([
      [false, 'tr:PLAINTEXT for the room'], // opened by the profile: our event
      [true, 'plain from the frame'], // nothing to examine: the native event
      [true, 'PLAINTEXT through our send'],
    ]);
    expect(result.wire).toEqual([
      ['chat', false, 'FL:'],
      ['chat', true, 'PLA'],
      ['chat', true, 'PLA'], // through the tap: our realm's send, passed on as it is
    ]);
    expect(result.report).toMatchObject({ protected: false, profile: 'textroom', sent: 2, received: 3 });
  });

  it('a slow or throwing link never breaks the call: descriptions go out without our line, and messages pass', async () => {
    const result = await page.evaluate(async () => {
      const { __dc: dc, __wire: wire } = window as unknown as DcWindow;
      const started = performance.now();
      const { a, b, ab, ba } = await dc.pair({
        behaviourA: { line: 'slow', answers: 'throw' },
        behaviourB: { line: 'throw', answers: 'throw' },
      });
      const negotiateMs = performance.now() - started;
      dc.watch(ab);
      dc.watch(ba);
      wire.clear();
      ab.send('PLAINTEXT text while the link throws');
      ba.send(new Uint8Array([1, 2, 3]));
      await dc.waitSeen(ba, 1);
      await dc.waitSeen(ab, 1);
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const out = {
        negotiateMs,
        lines: [a.localDescription?.sdp.includes('x-framelock'), b.localDescription?.sdp.includes('x-framelock')],
        toB: (await dc.seen(ba)).filter((s) => s.via === 'onmessage').map((s) => s.value),
        toA: (await dc.seen(ab)).filter((s) => s.via === 'onmessage').map((s) => s.type),
        reportA: dc.link.reports.filter((r) => r.connection === 1).at(-1),
      };
      a.close();
      b.close();
      return out;
    });
    // The slow line is given up at 250 ms (the fake answers after 1 s); the throwing one at once.
    expect(result.negotiateMs).toBeGreaterThanOrEqual(250);
    expect(result.negotiateMs).toBeLessThan(1_000);
    expect(result.lines).toEqual([false, false]);
    expect(result.toB).toEqual(['PLAINTEXT text while the link throws']);
    expect(result.toA).toEqual(['ArrayBuffer']);
    expect(result.reportA).toMatchObject({ protected: false, sent: 1, received: 1, unprotected: 1 });
  });

  it('a link that never answers for a text: it goes as it is after 2 s, unless it may be a textroom chat (dropped)', async () => {
    const result = await page.evaluate(async () => {
      const { __dc: dc, __wire: wire } = window as unknown as DcWindow;
      const { a, b, ab, ba, idA } = await dc.pair({ behaviourA: { line: 'none' } });
      dc.link.behave(idA, { answers: 'hold' }); // the link answers nothing: the 2 s deadline decides
      dc.watch(ba);
      wire.clear();
      ab.send('hello, in clear: the connection is not protected');
      ab.send('{"textroom":"message","room":1234,"text":"PLAINTEXT chat"}');
      ab.send('after');
      await dc.waitSeen(ba, 2);
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const out = {
        toB: (await dc.seen(ba)).filter((s) => s.via === 'onmessage').map((s) => s.value),
        wire: wire.log.map((r) => r.text),
        reportA: dc.link.reports.filter((r) => r.connection === idA).at(-1),
      };
      a.close();
      b.close();
      return out;
    });
    expect(result.toB).toEqual(['hello, in clear: the connection is not protected', 'after']);
    expect(result.wire.join('|')).not.toContain('PLAINTEXT');
    expect(result.reportA).toMatchObject({ protected: false, sent: 2, unsent: 1, unprotected: 3 });
  });

  it('a link that never seals on a protected connection drops (never sends in clear), and the call goes on', async () => {
    const result = await page.evaluate(async () => {
      const { __dc: dc, __wire: wire } = window as unknown as DcWindow;
      const { a, b, ab, ba, idA } = await dc.pair();
      dc.watch(ba);
      wire.clear();
      dc.link.behave(idA, { answers: 'throw' });
      const returned = ab.send('PLAINTEXT never in clear');
      dc.link.behave(idA, { answers: 'async' });
      ab.send('PLAINTEXT sealed again');
      await dc.waitSeen(ba, 1);
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const out = {
        returned,
        seen: (await dc.seen(ba)).filter((s) => s.via === 'onmessage').map((s) => s.value),
        wire: wire.log.map((r) => [r.first, r.plain]),
        report: dc.link.reports.filter((r) => r.connection === 1).at(-1),
        state: ab.readyState,
      };
      a.close();
      b.close();
      return out;
    });
    expect(result.returned).toBeUndefined();
    expect(result.seen).toEqual(['PLAINTEXT sealed again']);
    expect(result.wire).toEqual([[0xf1, false]]);
    expect(result.report).toMatchObject({ protected: true, sent: 1, unsent: 1 });
    expect(result.state).toBe('open');
  });

  it('a page waiting for bufferedamountlow after seeing our queue above its threshold gets it', async () => {
    const result = await page.evaluate(async () => {
      const { __dc: dc } = window as unknown as DcWindow;
      const { a, b, ab, idA } = await dc.pair();
      ab.bufferedAmountLowThreshold = 1_000;
      dc.link.behave(idA, { answers: 'hold' });
      for (let i = 0; i < 10; i++) ab.send(new Uint8Array(500));
      const above = ab.bufferedAmount;
      const low = new Promise<string>((resolve) => {
        ab.onbufferedamountlow = () => resolve(`low at ${ab.bufferedAmount}`);
        setTimeout(() => resolve('never'), 3_000);
      });
      // Answered one by one: the native never holds more than one small message, never above the threshold.
      const drip = setInterval(() => dc.link.release(1), 20);
      const got = await low;
      clearInterval(drip);
      a.close();
      b.close();
      return { above, got };
    });
    expect(result.above).toBeGreaterThan(1_000);
    expect(result.got).toMatch(/^low at \d+$/);
    expect(Number(result.got.slice(7))).toBeLessThanOrEqual(1_000);
  });
});
