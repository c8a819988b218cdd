/**
 * The page script's patch, seen from the site's side in a real browser: it is in place before the page's first inline
 * script, looks native (instanceof, toString, prototypes, subclassing), survives a second injection, and attaches
 * exactly one Framelock transform to every sender and receiver, whatever the path.
 */

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_SCRIPT_FILE } from '../../src/shared/built-paths';
import { createFakeMedia, type FakeMedia, launchExtensionParticipant, tabBadge, tabStatus } from './call';
import { chromiumAvailable, DEFAULT_EXTENSION_PATH, type ExtensionBrowser, waitFor } from './harness';

/** The first inline script records what it sees before any other page code runs. */
const PAGE = `<!doctype html><html><head><script>
window.firstScript = {
  patched: Boolean(window[Symbol.for('framelock.page')]),
  ctorSource: Function.prototype.toString.call(RTCPeerConnection),
};
</script></head><body>test page</body></html>`;

describe.skipIf(!chromiumAvailable)('the RTCPeerConnection patch, as the site sees it (headless Chromium)', () => {
  let server: Server;
  let origin: string;
  let media: FakeMedia;
  let ext: ExtensionBrowser;
  let page: Page;

  beforeAll(async () => {
    server = createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(PAGE);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    media = await createFakeMedia();
    ext = await launchExtensionParticipant(origin, 'correct horse battery staple', media);
    page = await ext.browser.newPage();
    await page.goto(`${origin}/`);
  });

  /** The problems of the tab whose URL contains `urlPart`; null if it has no status (see `tabStatus`). */
  async function tabProblems(urlPart: string): Promise<string[] | null> {
    return (await tabStatus(ext, urlPart))?.problems ?? null;
  }

  afterAll(async () => {
    await ext?.close();
    await media?.cleanup();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('is in place before the page’s first inline script, and looks native', async () => {
    const seen = await page.evaluate(() => {
      const w = window as unknown as { firstScript: { patched: boolean; ctorSource: string } };
      const pc = new RTCPeerConnection();
      class Sub extends RTCPeerConnection {}
      const sub = new Sub();
      const result = {
        first: w.firstScript,
        instanceOf: pc instanceof RTCPeerConnection,
        proto: Object.getPrototypeOf(pc) === RTCPeerConnection.prototype,
        ctor: pc.constructor === RTCPeerConnection,
        subclass: sub instanceof Sub && sub instanceof RTCPeerConnection && typeof sub.addTrack === 'function',
        ctorSource: Function.prototype.toString.call(RTCPeerConnection),
        methodSource: Function.prototype.toString.call(RTCPeerConnection.prototype.addTrack),
        name: RTCPeerConnection.name,
        length: RTCPeerConnection.length,
      };
      pc.close();
      sub.close();
      return result;
    });
    expect(seen.first).toEqual({ patched: true, ctorSource: 'function RTCPeerConnection() { [native code] }' });
    expect(seen).toMatchObject({
      instanceOf: true,
      proto: true,
      ctor: true,
      subclass: true,
      name: 'RTCPeerConnection',
    });
    expect(seen.ctorSource).toBe('function RTCPeerConnection() { [native code] }');
    expect(seen.methodSource).toBe('function addTrack() { [native code] }');
    const toStrings = await page.evaluate(() => [
      Function.prototype.toString.toString(),
      Function.prototype.toString.call(Function.prototype.toString),
      String(Object.getOwnPropertyDescriptor(RTCRtpSender.prototype, 'transform')?.set),
    ]);
    expect(toStrings).toEqual([
      'function toString() { [native code] }',
      'function toString() { [native code] }',
      'function set transform() { [native code] }',
    ]);
  });

  // A Proxy looks up each trap on its handler, every time; a trap the handler lacks would be looked up on
  // Object.prototype and called with the Proxy's target: the native function behind our patch (the native transform
  // setter, past the guard). Our handlers have no prototype.
  it('a trap the page defines on Object.prototype never becomes one of our Proxies’ (it would get the natives)', async () => {
    const leaked = await page.evaluate(() => {
      const seen: string[] = [];
      const traps = ['get', 'has', 'apply', 'construct', 'getPrototypeOf', 'ownKeys', 'getOwnPropertyDescriptor'];
      for (const trap of traps) {
        // (A descriptor without a prototype: once `get` is on Object.prototype, any other would seem to have one.)
        const descriptor = {
          configurable: true,
          writable: true,
          value(target: unknown, ...rest: unknown[]) {
            seen.push(`${trap}: ${String(target).slice(0, 40)}`);
            return (Reflect as unknown as Record<string, (...args: unknown[]) => unknown>)[trap]?.(target, ...rest);
          },
        };
        Object.defineProperty(Object.prototype, trap, Object.setPrototypeOf(descriptor, null));
      }
      try {
        const pc = new RTCPeerConnection();
        void RTCPeerConnection.name;
        void ('prototype' in RTCPeerConnection);
        void Object.getPrototypeOf(RTCPeerConnection.prototype.addTrack);
        const setter = Object.getOwnPropertyDescriptor(RTCRtpSender.prototype, 'transform')?.set;
        void setter?.name;
        void Function.prototype.toString.length;
        pc.close();
      } finally {
        for (const trap of traps) delete (Object.prototype as Record<string, unknown>)[trap];
      }
      return seen;
    });
    expect(leaked).toEqual([]);
  });

  it('attaches exactly one transform to every sender and receiver, on every path, and keeps it', async () => {
    const result = await page.evaluate(async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
      const [audio, video] = [
        stream.getAudioTracks()[0] as MediaStreamTrack,
        stream.getVideoTracks()[0] as MediaStreamTrack,
      ];
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      const viaAddTrack = a.addTrack(audio, stream);
      const viaTransceiver = a.addTransceiver(video, {
        sendEncodings: [{ rid: 'h' }, { rid: 'l', scaleResolutionDownBy: 2 }],
      });
      const empty = a.addTransceiver('video'); // no track yet
      await a.setLocalDescription();
      await b.setRemoteDescription(a.localDescription as RTCSessionDescription); // transceivers from a remote offer
      await b.setLocalDescription();
      await a.setRemoteDescription(b.localDescription as RTCSessionDescription);
      const transforms = (pc: RTCPeerConnection) =>
        pc
          .getTransceivers()
          .map((t) => [t.sender.transform?.constructor.name ?? null, t.receiver.transform?.constructor.name ?? null]);
      const before = viaTransceiver.sender.transform;
      await empty.sender.replaceTrack(video.clone()); // a screen share swapped in
      await viaTransceiver.sender.setParameters(viaTransceiver.sender.getParameters());
      a.restartIce();
      const kept = viaTransceiver.sender.transform === before;
      // The site cannot clear or replace ours.
      (viaAddTrack as { transform: unknown }).transform = null;
      const stillOurs = viaAddTrack.transform?.constructor.name ?? null;
      const out = { a: transforms(a), b: transforms(b), kept, stillOurs };
      a.close();
      b.close();
      for (const track of stream.getTracks()) track.stop();
      return out;
    });
    const every = (rows: (string | null)[][]) =>
      rows.every((row) => row.every((name) => name === 'RTCRtpScriptTransform'));
    expect(result.a).toHaveLength(3);
    expect(result.b).toHaveLength(3);
    expect(every(result.a), JSON.stringify(result.a)).toBe(true);
    expect(every(result.b), JSON.stringify(result.b)).toBe(true);
    expect(result.kept).toBe(true);
    expect(result.stillOurs).toBe('RTCRtpScriptTransform');
  });

  // Each of our transforms runs the session of the one endpoint it was made for. Moved onto another (a receiver's onto
  // a sender), it would run a receiving session over the encoder's frames and pass them on in clear.
  it('our transforms stay bound to their own endpoint: one moved to another sender or receiver is refused and reported', async () => {
    const moved = await ext.browser.newPage();
    try {
      await moved.goto(`${origin}/?moved`);
      const result = await moved.evaluate(async () => {
        const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
        const pc = new RTCPeerConnection();
        const [audio, video] = [stream.getAudioTracks()[0], stream.getVideoTracks()[0]] as MediaStreamTrack[];
        const one = pc.addTransceiver(audio as MediaStreamTrack, { streams: [stream] });
        const two = pc.addTransceiver(video as MediaStreamTrack, { streams: [stream] });
        const endpoints = { s1: one.sender, r1: one.receiver, s2: two.sender, r2: two.receiver };
        const before = Object.fromEntries(Object.entries(endpoints).map(([name, e]) => [name, e.transform]));
        const moves: [keyof typeof endpoints, keyof typeof endpoints][] = [
          ['r1', 's1'], // a receiver's transform onto its own transceiver's sender
          ['s2', 's1'], // another sender's
          ['s1', 'r2'], // a sender's onto a receiver
          ['r1', 'r2'], // another receiver's
        ];
        const outcomes: string[] = [];
        for (const [from, to] of moves) {
          try {
            (endpoints[to] as { transform: unknown }).transform = before[from];
            outcomes.push(`${from}->${to}: no error`);
          } catch (error) {
            outcomes.push(`${from}->${to}: ${(error as Error).name}`);
          }
        }
        const kept = Object.entries(endpoints).every(([name, e]) => e.transform === before[name] && e.transform);
        pc.close();
        for (const track of stream.getTracks()) track.stop();
        return { kept, outcomes };
      });
      expect(result.kept, result.outcomes.join(', ')).toBe(true);
      await waitFor(async () => (await tabProblems('/?moved'))?.includes('site_processing_bypassed'), {
        description: 'the refused move to be reported',
      });
    } finally {
      await moved.close();
    }
  });

  // A frame the page could reach first gets no keys, which matters only if a call runs there: the badge keeps "!" for
  // media that is or may be unprotected, and the popup says the rest (a "!" for every ad frame teaches users to ignore
  // the badge).
  it('a same-origin frame that never runs a call is a notice: reported, but no "!" on the badge', async () => {
    const framed = await ext.browser.newPage();
    try {
      await framed.goto(`${origin}/?framed`);
      await framed.evaluate(async () => {
        const frame = document.createElement('iframe');
        document.body.append(frame);
        await new Promise((resolve) => setTimeout(resolve, 200));
      });
      await waitFor(async () => (await tabProblems('/?framed'))?.includes('unsafe_frame'), {
        description: 'the frame the page could reach first to be reported',
      });
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // the frame's worker reports its (empty) counters
      expect(await tabProblems('/?framed')).toEqual(['unsafe_frame']);
      expect(await tabBadge(ext, '/?framed')).toBe('');
    } finally {
      await framed.close();
    }
  });

  // A same-origin frame runs its own patch, with its own worker. A site that calls one realm's methods on the other's
  // connection must not make the two patches take turns replacing each other's transform: each would see the other's
  // as a removal, and the site would be blocked for tampering.
  it('a site that mixes realms (a frame’s methods on the page’s connection, and back) keeps one transform per endpoint, and nothing is reported as removed', async () => {
    const mixed = await ext.browser.newPage();
    try {
      await mixed.goto(`${origin}/?mixed`);
      const result = await mixed.evaluate(async () => {
        const frame = document.createElement('iframe');
        document.body.append(frame);
        const child = frame.contentWindow as unknown as typeof window;
        const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
        const ours = new RTCPeerConnection();
        const theirs = new child.RTCPeerConnection();
        for (const track of stream.getTracks()) {
          ours.addTrack(track, stream);
          theirs.addTrack(track, stream);
        }
        const senderTransform = Object.getOwnPropertyDescriptor(RTCRtpSender.prototype, 'transform')?.get;
        const endpoints = [...ours.getSenders(), ...theirs.getSenders()];
        const transforms = () => endpoints.map((sender) => senderTransform?.call(sender));
        const first = transforms();
        // Every method of the other realm, on each connection, then time for any watch to react (it checks every
        // 500 ms, and whenever one of its transforms ends).
        child.RTCPeerConnection.prototype.getTransceivers.call(ours);
        child.RTCPeerConnection.prototype.getSenders.call(ours);
        RTCPeerConnection.prototype.getTransceivers.call(theirs);
        RTCPeerConnection.prototype.getReceivers.call(theirs);
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        const last = transforms();
        const out = {
          childPatched: (child as unknown as Record<symbol, unknown>)[Symbol.for('framelock.page')] === true,
          endpoints: endpoints.length,
          allSet: first.every((t) => t !== null && t !== undefined),
          unchanged: last.every((t, i) => t === first[i]),
        };
        ours.close();
        theirs.close();
        for (const track of stream.getTracks()) track.stop();
        return out;
      });
      expect(result).toEqual({ childPatched: true, endpoints: 4, allSet: true, unchanged: true });
      // (The same-origin frame itself is one the page could reach first, and a connection ran in it, which gets no
      // keys: both are reported as such, and nothing else is.)
      await waitFor(async () => (await tabProblems('/?mixed'))?.includes('unsafe_frame_call'), {
        description: 'the call in the frame the page could reach first to be reported',
      });
      expect((await tabProblems('/?mixed'))?.sort()).toEqual(['unsafe_frame', 'unsafe_frame_call']);
      expect(await tabBadge(ext, '/?mixed')).toBe('!');
    } finally {
      await mixed.close();
    }
  });

  // Two removals block the whole site until the user allows it again: what honest sites do to end media must never
  // count as one.
  it('removeTrack, replaceTrack(null), stopping transceivers on either side and closing keep our transforms, and nothing is reported as removed', async () => {
    const ending = await ext.browser.newPage();
    try {
      await ending.goto(`${origin}/?ending`);
      const result = await ending.evaluate(async () => {
        const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
        const a = new RTCPeerConnection();
        const b = new RTCPeerConnection();
        a.onicecandidate = (event) => event.candidate && void b.addIceCandidate(event.candidate);
        b.onicecandidate = (event) => event.candidate && void a.addIceCandidate(event.candidate);
        const negotiate = async () => {
          await a.setLocalDescription();
          await b.setRemoteDescription(a.localDescription as RTCSessionDescription);
          await b.setLocalDescription();
          await a.setRemoteDescription(b.localDescription as RTCSessionDescription);
        };
        const senders = stream.getTracks().map((track) => a.addTrack(track, stream));
        await negotiate();
        await new Promise((resolve) => setTimeout(resolve, 1_000)); // media flows through our transforms
        const get = Object.getOwnPropertyDescriptor(RTCRtpSender.prototype, 'transform')?.get;
        const first = senders.map((sender) => get?.call(sender));
        a.removeTrack(senders[0] as RTCRtpSender);
        await (senders[1] as RTCRtpSender).replaceTrack(null);
        (a.getTransceivers()[1] as RTCRtpTransceiver).stop();
        (b.getTransceivers()[0] as RTCRtpTransceiver).stop();
        await negotiate();
        a.close();
        b.close();
        // Past the watch's 500 ms check, twice.
        await new Promise((resolve) => setTimeout(resolve, 1_200));
        for (const track of stream.getTracks()) track.stop();
        return senders.every((sender, i) => get?.call(sender) === first[i] && first[i] !== null);
      });
      expect(result).toBe(true);
      expect(await tabProblems('/?ending')).toEqual([]);
    } finally {
      await ending.close();
    }
  });

  it('changes nothing when injected a second time', async () => {
    const source = readFileSync(path.join(DEFAULT_EXTENSION_PATH, PAGE_SCRIPT_FILE), 'utf8');
    await page.evaluate(() => {
      (window as unknown as { before: unknown }).before = RTCPeerConnection;
    });
    await page.addScriptTag({ content: source });
    const same = await page.evaluate(() => RTCPeerConnection === (window as unknown as { before: unknown }).before);
    expect(same).toBe(true);
  });
});
