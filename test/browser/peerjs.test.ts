/**
 * A peer-to-peer library (issue 18): PeerJS (`peerjs`, its own browser bundle) on its own signalling server (`peer`,
 * started here in-process on a free port), with a page written as PeerJS sites write it (test/pages/peerjs.html,
 * served by the test server): `peer.call()` for camera and microphone, `peer.connect()` for a chat beside it, and a
 * callee that opens its camera only inside its `call` handler, after the offer arrived. PeerJS makes one
 * RTCPeerConnection per media call and one per data connection, signals over its WebSocket with trickle ICE
 * (OFFER, ANSWER, then CANDIDATE messages, all seen here at the server), and ships webrtc-adapter, which wraps parts
 * of RTCPeerConnection after Framelock's page script did.
 *
 * - control: two profiles without Framelock see each other's pattern and hear the tone, and chat;
 * - both with Framelock (same passphrase): the same, with Framelock's counters encrypting and decrypting, the tab's
 *   receivers `encrypted`, the badge `E2E`; the chat's messages arrive intact both ways while the wire carries only
 *   Framelock's envelopes, and the popup lists the chat's channel as end-to-end encrypted; the same for a chat in
 *   PeerJS's `raw` serialization (the page's strings on the channel rather than BinaryPack's bytes);
 * - a Framelock caller and a plain callee: the plain one receives video but never shows the pattern, the Framelock
 *   tab flags its receivers `unencrypted` (badge `!`), and the chat still works, in clear, listed as such.
 */

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type IMessage, PeerServer } from 'peer';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../server/test-server';
import {
  createFakeMedia,
  type FakeMedia,
  framelockTransforms,
  launchExtensionParticipant,
  launchPlainChromium,
  type PlainBrowser,
  tabBadge,
  tabStatus,
  waitForTransform,
} from './call';
import { expectChannelPopup } from './channel-popup';
import { chromiumAvailable, type ExtensionBrowser, sleep, waitFor } from './harness';
import { describeSamples, PATTERN_COLOURS, patternMismatches, samplePattern } from './media';
import { recordConsole, recordedConsole } from './page-console';
import { heardTone, isTestTone } from './tone';
import { carries, installWireTap, readWire } from './wire-tap';

const PASSPHRASE = 'correct horse battery staple peerjs';
/** How long the plain callee is watched once video packets reach it. */
const NEGATIVE_WATCH_MS = 5_000;
/** Our line in a description (docs/frame-format.md §2.8). */
const OUR_LINE = /^a=x-framelock:1 /m;

/**
 * What the chat sends each way: text, multi-byte text, an object (PeerJS's binary serialization packs it), and a
 * string long enough for PeerJS's binary serialization to cut into chunks (> 16,300 bytes; its `json` serialization
 * refuses messages that long, so it is not used here).
 */
function messagesFrom(who: string, serialization = 'binary'): unknown[] {
  const object = { from: who, n: 42, list: [1, 2, 3], nested: { ok: true } };
  return [
    `hello from the ${who}`,
    `héllo ✓ 🔒 from the ${who}`,
    // `raw` hands the channel what the page gives it: strings only.
    serialization === 'raw' ? `nested ${JSON.stringify(object)}` : object,
    `${who}:${'0123456789abcdef'.repeat(2_500)}`,
  ];
}

interface PeerApp {
  id: string | null;
  error: string | null;
  log: string[];
  callArrivedAt: number | null;
  cameraOpenedAt: number | null;
  camerasBeforeCall: number;
  chatOpen: boolean;
  received: unknown[];
  remoteStream: MediaStream | null;
  call: { peerConnection: RTCPeerConnection } | null;
  conn: { send(data: unknown): void; label: string; serialization: string } | null;
}
type PeerWindow = Window & { app?: PeerApp };

interface Signal {
  type: string;
  src: string;
  dst: string;
  /** `media` or `data` (PeerJS's connection type), for OFFER, ANSWER and CANDIDATE. */
  connection?: string;
  connectionId?: string;
  sdp?: string;
}

interface RunningPeerServer {
  port: number;
  /** Every message a client sent the server, in order (heartbeats left out). */
  signals: Signal[];
  close(): Promise<void>;
}

/** Starts PeerJS's server (`peer`) in this process on a free loopback port, at path `/myapp`. */
async function startPeerServer(): Promise<RunningPeerServer> {
  const signals: Signal[] = [];
  let http: Server | undefined;
  const app = await new Promise<ReturnType<typeof PeerServer>>((resolve) => {
    const peerApp = PeerServer({ port: 0, host: '127.0.0.1', path: '/myapp' }, (server) => {
      http = server as Server;
      resolve(peerApp);
    });
  });
  app.on('message', (_client, message: IMessage) => {
    if (message.type === 'HEARTBEAT') return;
    const payload = (message.payload ?? {}) as unknown as {
      type?: string;
      connectionId?: string;
      sdp?: { sdp?: string };
    };
    signals.push({
      type: message.type,
      src: message.src,
      dst: message.dst,
      connection: payload.type,
      connectionId: payload.connectionId,
      sdp: payload.sdp?.sdp,
    });
  });
  const server = http as Server;
  return {
    port: (server.address() as AddressInfo).port,
    signals,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function pageLog(page: Page): Promise<string> {
  const log = await page
    .evaluate(() => (window as PeerWindow).app?.log ?? ['(no app)'])
    .catch((e: unknown) => [String(e)]);
  return [...log, ...recordedConsole(page)].map((l) => `    ${l}`).join('\n');
}

interface Call {
  room: string;
  callee: Page;
  caller: Page;
  calleeId: string;
  callerId: string;
  /** The chat's channel label (PeerJS's connection id), the same at both ends. */
  label: string;
}

interface Browserish {
  browser: { newPage(): Promise<Page> };
}

/** Inbound RTP counters of a page's media call. */
async function inbound(page: Page): Promise<{ videoPackets: number; framesDecoded: number; audioPackets: number }> {
  return page.evaluate(async () => {
    const pc = (window as PeerWindow).app?.call?.peerConnection;
    if (!pc) throw new Error('no media call');
    const totals = { videoPackets: 0, framesDecoded: 0, audioPackets: 0 };
    (await pc.getStats()).forEach(
      (s: { type: string; kind?: string; packetsReceived?: number; framesDecoded?: number }) => {
        if (s.type !== 'inbound-rtp') return;
        if (s.kind === 'video') {
          totals.videoPackets += s.packetsReceived ?? 0;
          totals.framesDecoded += s.framesDecoded ?? 0;
        } else if (s.kind === 'audio') totals.audioPackets += s.packetsReceived ?? 0;
      },
    );
    return totals;
  });
}

/** Sends `messages` on the page's chat, in order. */
async function chat(page: Page, messages: unknown[]): Promise<void> {
  await page.evaluate((list: unknown[]) => {
    const conn = (window as PeerWindow).app?.conn;
    if (!conn) throw new Error('no chat');
    for (const message of list) conn.send(message);
  }, messages);
}

/** Waits until the page's chat received `count` messages, and returns them all. */
async function chatReceived(page: Page, count: number): Promise<unknown[]> {
  return waitFor(
    async () => {
      const got = await page.evaluate(() => (window as PeerWindow).app?.received ?? []);
      return got.length >= count ? got : false;
    },
    { description: `${count} chat messages on ${page.url()}`, timeoutMs: 20_000 },
  ).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}\n--- page ---\n${await pageLog(page)}`);
  });
}

/** Waits until `#remote` shows the camera pattern. */
async function waitForPattern(page: Page, timeoutMs = 20_000): Promise<void> {
  let last = '';
  await waitFor(
    async () => {
      const samples = await samplePattern(page, '#remote');
      last = describeSamples(samples);
      return patternMismatches(samples, PATTERN_COLOURS).length === 0;
    },
    { description: `the remote pattern on ${page.url()}`, timeoutMs, intervalMs: 250 },
  ).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}; last seen ${last}\n--- page ---\n${await pageLog(page)}`);
  });
}

describe.skipIf(!chromiumAvailable)('PeerJS: media call and data connection (headless Chromium)', () => {
  let server: TestServer;
  let peerServer: RunningPeerServer;
  let media: FakeMedia;
  let alice: ExtensionBrowser;
  let bob: ExtensionBrowser;
  let carol: PlainBrowser;
  const open: Page[] = [];

  beforeAll(async () => {
    [server, peerServer, media] = await Promise.all([startTestServer(), startPeerServer(), createFakeMedia()]);
    [alice, bob, carol] = await Promise.all([
      launchExtensionParticipant(server.url, PASSPHRASE, media),
      launchExtensionParticipant(server.url, PASSPHRASE, media),
      launchPlainChromium({ media }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close(), carol?.close()]);
    await Promise.all([server?.close(), peerServer?.close()]);
    await media?.cleanup();
  });

  /** The callee opens the page first and waits for its id; the caller opens it with `call=<that id>`. */
  async function startCall(callee: Browserish, caller: Browserish, serialization = 'binary'): Promise<Call> {
    const room = `peerjs-${Math.random().toString(36).slice(2, 10)}`;
    const base = `${server.url}/peerjs.html?server=${peerServer.port}&room=${room}&serialization=${serialization}`;
    const pages = [await callee.browser.newPage(), await caller.browser.newPage()] as const;
    for (const page of pages) {
      recordConsole(page);
      await page.evaluateOnNewDocument(installWireTap);
      open.push(page);
    }
    const [calleePage, callerPage] = pages;
    await calleePage.goto(base, { waitUntil: 'load' });
    const idOf = (page: Page) =>
      waitFor(() => page.evaluate(() => (window as PeerWindow).app?.id ?? null), {
        description: `a PeerJS id on ${page.url()}`,
        timeoutMs: 15_000,
      });
    const calleeId = await idOf(calleePage);
    await callerPage.goto(`${base}&call=${encodeURIComponent(calleeId)}`, { waitUntil: 'load' });
    const callerId = await idOf(callerPage);
    for (const page of pages) {
      await waitFor(
        () =>
          page.evaluate(() => {
            const app = (window as PeerWindow).app;
            if (app?.error) throw new Error(app.error);
            return app?.chatOpen === true && app.remoteStream !== null;
          }),
        { description: `the call and the chat to open on ${page.url()}`, timeoutMs: 30_000 },
      ).catch(async (error: unknown) => {
        throw new Error(
          `${(error as Error).message}\n--- callee ---\n${await pageLog(calleePage)}\n--- caller ---\n${await pageLog(callerPage)}`,
        );
      });
    }
    const label = await callerPage.evaluate(() => (window as PeerWindow).app?.conn?.label ?? '');
    return { room, callee: calleePage, caller: callerPage, calleeId, callerId, label };
  }

  async function hangUp(call: Call): Promise<void> {
    for (const page of [call.caller, call.callee]) {
      await page.close().catch(() => undefined);
      open.splice(open.indexOf(page), 1);
    }
  }

  /**
   * PeerJS's own signalling of the call went through the server: offer, answer, and trickled candidates both ways, for
   * the media call and the data connection. Waited for: the media call's `stream` event comes with the answer, before
   * ICE, so the callee's media candidates may still be on their way when the page says the call is up.
   */
  async function expectPeerJsSignalling(call: Call): Promise<Signal[]> {
    const ids = [call.callerId, call.calleeId];
    const ours = () => peerServer.signals.filter((s) => ids.includes(s.src) && ids.includes(s.dst));
    const of = (type: string, connection: string, src: string) =>
      ours().filter((s) => s.type === type && s.connection === connection && s.src === src);
    const complete = () =>
      ['media', 'data'].every(
        (c) =>
          of('OFFER', c, call.callerId).length === 1 &&
          of('ANSWER', c, call.calleeId).length === 1 &&
          of('CANDIDATE', c, call.callerId).length > 0 &&
          of('CANDIDATE', c, call.calleeId).length > 0,
      );
    await waitFor(complete, { description: "PeerJS's offers, answers and candidates", timeoutMs: 15_000 }).catch(
      () => undefined, // the expectations below say what is missing
    );
    const summary = JSON.stringify(ours().map(({ sdp: _, ...rest }) => rest));
    for (const connection of ['media', 'data']) {
      expect(of('OFFER', connection, call.callerId), `${connection} offer: ${summary}`).toHaveLength(1);
      expect(of('ANSWER', connection, call.calleeId), `${connection} answer: ${summary}`).toHaveLength(1);
      expect(
        of('CANDIDATE', connection, call.callerId).length,
        `${connection} caller candidates: ${summary}`,
      ).toBeGreaterThan(0);
      expect(
        of('CANDIDATE', connection, call.calleeId).length,
        `${connection} callee candidates: ${summary}`,
      ).toBeGreaterThan(0);
    }
    const count = (type: string) => ours().filter((s) => s.type === type).length;
    console.info(
      `[peerjs ${call.room}] PeerJS signalling: ${count('OFFER')} offers, ${count('ANSWER')} answers, ` +
        `${count('CANDIDATE')} candidates (media and data connections)`,
    );
    return ours();
  }

  /** The callee opened its camera only in its `call` handler, after the offer arrived, and answered with it. */
  async function expectLateCallee(call: Call): Promise<void> {
    const app = await call.callee.evaluate(() => {
      const a = (window as PeerWindow).app;
      return {
        before: a?.camerasBeforeCall,
        arrived: a?.callArrivedAt,
        opened: a?.cameraOpenedAt,
        sending: a?.call?.peerConnection.getSenders().filter((s) => s.track !== null).length ?? 0,
      };
    });
    expect(app.before, JSON.stringify(app)).toBe(0);
    expect(app.opened ?? 0, JSON.stringify(app)).toBeGreaterThan(app.arrived ?? Number.POSITIVE_INFINITY);
    expect(app.sending, JSON.stringify(app)).toBe(2);
  }

  /**
   * At both ends, what the chat put on the wire (the tap): only Framelock envelopes (binary, 0xF1 first), none of the
   * chat's texts in them.
   */
  async function expectSealedWire(call: Call, tag: string): Promise<void> {
    for (const page of [call.caller, call.callee]) {
      const wire = await readWire(page, call.label);
      console.info(
        `[peerjs ${tag}] wire of ${call.label} at the ${page === call.caller ? 'caller' : 'callee'}: ` +
          `${wire.length} records (${[...new Set(wire.map((r) => r.kind))].join(',')}), ` +
          `${wire.reduce((n, r) => n + r.size, 0)} bytes, first bytes ` +
          `${[...new Set(wire.map((r) => r.hex.slice(0, 2)))].join(',')}`,
      );
      expect(wire.length, 'the chat went through the tap').toBeGreaterThan(0);
      for (const record of wire) {
        expect(record.kind, JSON.stringify(record).slice(0, 200)).toBe('binary');
        expect(record.hex.slice(0, 2), 'an envelope (0xF1 first)').toBe('f1');
      }
      for (const text of ['hello from the', 'héllo ✓ 🔒', '0123456789abcdef', 'nested']) {
        expect(
          wire.filter((r) => carries(r, text)),
          `"${text}" on the wire`,
        ).toEqual([]);
      }
    }
  }

  /** Both ends chat both ways; every message arrives intact, in order, once. */
  async function expectChatBothWays(call: Call): Promise<{ caller: unknown[]; callee: unknown[] }> {
    const serialization = await call.caller.evaluate(() => (window as PeerWindow).app?.conn?.serialization);
    const fromCaller = messagesFrom('caller', serialization);
    const fromCallee = messagesFrom('callee', serialization);
    await chat(call.caller, fromCaller);
    await chat(call.callee, fromCallee);
    const atCallee = await chatReceived(call.callee, fromCaller.length);
    const atCaller = await chatReceived(call.caller, fromCallee.length);
    await sleep(1_000); // anything duplicated would be here by now
    expect(await call.callee.evaluate(() => (window as PeerWindow).app?.received)).toEqual(fromCaller);
    expect(await call.caller.evaluate(() => (window as PeerWindow).app?.received)).toEqual(fromCallee);
    return { caller: atCaller, callee: atCallee };
  }

  it('control: without Framelock on both ends the call shows the pattern and plays the tone, and the chat works', async () => {
    const dave = await launchPlainChromium({ media });
    try {
      const call = await startCall(carol, dave);
      await expectPeerJsSignalling(call);
      await expectLateCallee(call);
      for (const page of [call.caller, call.callee]) {
        await waitForPattern(page);
        const tone = await heardTone(page, 1_500, '#remote');
        console.info(`[peerjs control] heard ${JSON.stringify(tone)}`);
        expect(isTestTone(tone), JSON.stringify(tone)).toBe(true);
      }
      await expectChatBothWays(call);
      // The tap sees the page's own bytes on the wire (it works: the Framelock case below relies on it).
      const wire = await readWire(call.caller, call.label);
      expect(wire.some((r) => carries(r, 'hello from the caller'))).toBe(true);
      await hangUp(call);
    } finally {
      await dave.close();
    }
  });

  it('both with Framelock: pattern and tone both ways, encrypted; the chat arrives intact and travels sealed', async () => {
    const call = await startCall(alice, bob);
    const signals = await expectPeerJsSignalling(call);
    await expectLateCallee(call);
    // Framelock's line rides PeerJS's own offer and answer of the data connection.
    const dataSdp = (type: string) => signals.find((s) => s.type === type && s.connection === 'data')?.sdp ?? '';
    expect(dataSdp('OFFER')).toMatch(OUR_LINE);
    expect(dataSdp('ANSWER')).toMatch(OUR_LINE);

    for (const page of [call.caller, call.callee]) {
      await waitForPattern(page);
      const tone = await heardTone(page, 1_500, '#remote');
      console.info(`[peerjs framelock] heard ${JSON.stringify(tone)}`);
      expect(isTestTone(tone), JSON.stringify(tone)).toBe(true);
    }
    for (const ext of [alice, bob]) {
      for (const kind of ['video', 'audio'] as const) {
        await waitForTransform(
          ext,
          call.room,
          `${kind} encrypted`,
          (s) => s.side === 'send' && s.kind === kind && s.protected > 0,
        );
        const received = await waitForTransform(
          ext,
          call.room,
          `${kind} decrypted`,
          (s) => s.side === 'receive' && s.kind === kind && s.protected > 10,
        );
        expect(received.status).toBe('encrypted');
      }
      const all = await framelockTransforms(ext, call.room);
      expect(
        all.filter((s) => s.unencrypted > 0 || s.undecryptable > 0),
        JSON.stringify(all),
      ).toEqual([]);
      expect(
        all.filter((s) => s.side === 'receive').map((s) => s.status),
        JSON.stringify(all),
      ).toEqual(['encrypted', 'encrypted']);
      await waitFor(async () => (await tabBadge(ext, `room=${call.room}`)) === 'E2E', {
        description: 'the badge to say E2E',
      });
      console.info(
        `[peerjs framelock] ${ext === alice ? 'alice (callee)' : 'bob (caller)'}: ` +
          (await framelockTransforms(ext, call.room))
            .map((s) => `${s.side} ${s.kind} ${s.status} protected ${s.protected} dropped ${s.dropped}`)
            .join('; '),
      );
    }

    await expectChatBothWays(call);
    await expectSealedWire(call, 'framelock');
    await expectChannelPopup(alice, `room=${call.room}`, { label: call.label, state: 'e2e' });
    await expectChannelPopup(bob, `room=${call.room}`, { label: call.label, state: 'e2e' });
    await hangUp(call);
  });

  it("both with Framelock, the chat in PeerJS's raw serialization (strings on the channel): intact, and sealed", async () => {
    const call = await startCall(alice, bob, 'raw');
    expect(await call.caller.evaluate(() => (window as PeerWindow).app?.conn?.serialization)).toBe('raw');
    await expectChatBothWays(call);
    await expectSealedWire(call, 'raw');
    await expectChannelPopup(bob, `room=${call.room}`, { label: call.label, state: 'e2e' });
    await hangUp(call);
  });

  it('a Framelock caller and a plain callee: the plain one never shows the pattern; Framelock flags it unencrypted', async () => {
    const call = await startCall(carol, alice);
    const signals = await expectPeerJsSignalling(call);
    await expectLateCallee(call);
    const dataSdp = (type: string) => signals.find((s) => s.type === type && s.connection === 'data')?.sdp ?? '';
    expect(dataSdp('OFFER')).toMatch(OUR_LINE);
    expect(dataSdp('ANSWER')).not.toMatch(OUR_LINE);

    // The plain callee's media reaches alice in clear: she sees it, marked.
    await waitForPattern(call.caller);
    // Carol receives alice's video, but never shows her picture.
    await waitFor(async () => (await inbound(call.callee)).videoPackets > 0, {
      description: 'carol to receive video packets',
      timeoutMs: 15_000,
    });
    const before = await inbound(call.callee);
    const deadline = Date.now() + NEGATIVE_WATCH_MS;
    while (Date.now() < deadline) {
      const samples = await samplePattern(call.callee, '#remote');
      expect(patternMismatches(samples, PATTERN_COLOURS).length, describeSamples(samples)).toBeGreaterThan(0);
      await sleep(200);
    }
    const after = await inbound(call.callee);
    console.info(
      `[peerjs mixed] carol (plain) during ${NEGATIVE_WATCH_MS} ms: +${after.videoPackets - before.videoPackets} ` +
        `video packets, +${after.framesDecoded - before.framesDecoded} frames decoded, never the pattern`,
    );
    expect(after.videoPackets - before.videoPackets, 'video kept arriving at carol').toBeGreaterThan(
      (3 * NEGATIVE_WATCH_MS) / 1000,
    );

    await waitForTransform(
      alice,
      call.room,
      'alice encrypts video',
      (s) => s.side === 'send' && s.kind === 'video' && s.protected > 0,
    );
    const receivers = await waitFor(
      async () => {
        const r = (await framelockTransforms(alice, call.room)).filter((s) => s.side === 'receive');
        return r.length === 2 && r.every((s) => s.status === 'unencrypted' && s.unencrypted > 10) ? r : false;
      },
      { description: "alice's receivers flagged unencrypted", timeoutMs: 15_000 },
    );
    expect(receivers.map((s) => s.kind).sort()).toEqual(['audio', 'video']);
    console.info(
      `[peerjs mixed] alice's receivers: ${receivers.map((s) => `${s.kind} ${s.status} unencrypted ${s.unencrypted}`).join('; ')}`,
    );
    await waitFor(async () => (await tabBadge(alice, `room=${call.room}`)) === '!', {
      description: 'the badge to say !',
    });
    const status = await tabStatus(alice, `room=${call.room}`);
    expect(status?.transforms.filter((s) => s.side === 'receive' && s.status === 'encrypted')).toEqual([]);

    // The chat still works, in clear, and Framelock says so.
    await expectChatBothWays(call);
    const wire = await readWire(call.caller, call.label);
    expect(wire.some((r) => carries(r, 'hello from the caller'))).toBe(true);
    await expectChannelPopup(alice, `room=${call.room}`, { label: call.label, state: 'clear' });
    await hangUp(call);
  });
});
