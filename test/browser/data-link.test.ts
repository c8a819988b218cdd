/**
 * The site's own data-channel messages through the real extension (issue 16 part 2): two RTCPeerConnections of one
 * page on an enabled site, each end going through the real page script, port and bridge. A wire tap, installed before
 * the page script saves its natives, records what each channel handed the browser. Both ends protected: the messages
 * arrive as sent (strings, multi-byte text, bytes, in order), and the wire carries only envelopes. A connection one
 * end negotiated without our line: not protected, messages in clear, both ways, and nothing breaks.
 */
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../server/test-server';
import { createFakeMedia, type FakeMedia, launchExtensionParticipant, tabStatus } from './call';
import { chromiumAvailable, type ExtensionBrowser, waitFor } from './harness';

const PASSPHRASE = 'correct horse battery staple data link';

/** What the tap saw: each message handed to the native send, summarised. */
interface Wire {
  label: string;
  kind: 'string' | 'bytes';
  first: number;
  hex: string;
  text: string;
}

/** The tap, run by evaluateOnNewDocument: before any script of the page, and (checked) before ours saves natives. */
function installTap(): void {
  const native = RTCDataChannel.prototype.send;
  const labelOf = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'label')?.get as () => string;
  const seen: Wire[] = [];
  (window as unknown as { __wire: Wire[] }).__wire = seen;
  RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: unknown) {
    const label = labelOf.call(this);
    if (typeof data === 'string') {
      seen.push({ label, kind: 'string', first: data.charCodeAt(0), hex: '', text: data });
    } else {
      const bytes =
        data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : ArrayBuffer.isView(data)
            ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
            : new Uint8Array(0);
      seen.push({
        label,
        kind: 'bytes',
        first: bytes[0] ?? -1,
        hex: Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(''),
        text: new TextDecoder().decode(bytes),
      });
    }
    // biome-ignore lint/complexity/noArguments: the native's own arguments, as the page passed them
    return Reflect.apply(native, this, arguments as unknown as unknown[]);
  } as typeof native;
}

interface LoopResult {
  protectedEnds: [boolean, boolean];
  got: { a: unknown[]; b: unknown[] };
  wire: Wire[];
  tookMs: number;
}

/** Which line a signalling server that rewrites SDP strips on the way, if any. */
type Strip = 'none' | 'offer' | 'answer';

/**
 * In the page: two connections, a channel 'chat' (binaryType arraybuffer) from a to b; a sends strings and bytes, b
 * answers (or, `bFirst`, b speaks first and a answers).
 */
async function loop(page: Page, strip: Strip, bFirst = false): Promise<LoopResult> {
  return page.evaluate(
    async (strip, bFirst) => {
      const unline = (sdp: string | undefined) => (sdp ?? '').replace(/^a=x-framelock:.*\r\n/m, '');
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
      b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
      const channelA = a.createDataChannel('chat');
      channelA.binaryType = 'arraybuffer';
      const channelB = new Promise<RTCDataChannel>((resolve) => {
        b.ondatachannel = (e) => resolve(e.channel);
      });
      const offer = await a.createOffer();
      await a.setLocalDescription(offer);
      await b.setRemoteDescription({ type: 'offer', sdp: strip === 'offer' ? unline(offer.sdp) : offer.sdp });
      const answer = await b.createAnswer();
      await b.setLocalDescription(answer);
      await a.setRemoteDescription({ type: 'answer', sdp: strip === 'answer' ? unline(answer.sdp) : answer.sdp });
      const chB = await channelB;
      chB.binaryType = 'arraybuffer';
      await new Promise<void>((resolve) => {
        if (channelA.readyState === 'open') resolve();
        else channelA.onopen = () => resolve();
      });
      const show = (data: unknown) =>
        typeof data === 'string' ? data : Array.from(new Uint8Array(data as ArrayBuffer));
      const got = { a: [] as unknown[], b: [] as unknown[] };
      const fromA = () => {
        channelA.send('hello from a');
        channelA.send('grüße, 日本語 🙂');
        channelA.send(new Uint8Array([1, 2, 3, 250]));
      };
      chB.onmessage = (e) => {
        got.b.push(show(e.data));
        if (got.b.length === 3 && !bFirst) chB.send('reply from b ✓');
      };
      channelA.addEventListener('message', (e) => {
        got.a.push(show(e.data));
        if (bFirst) fromA();
      });
      const started = performance.now();
      if (bFirst) chB.send('reply from b ✓');
      else fromA();
      const deadline = Date.now() + 10_000;
      while ((got.a.length < 1 || got.b.length < 3) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const tookMs = performance.now() - started;
      await new Promise((r) => setTimeout(r, 200)); // anything more that would arrive (it must not)
      const hasLine = (s: string | undefined) => /^a=x-framelock:1 /m.test(s ?? '');
      const result = {
        protectedEnds: [hasLine(offer.sdp), hasLine(answer.sdp)] as [boolean, boolean],
        got,
        wire: (window as unknown as { __wire: Wire[] }).__wire,
        tookMs,
      };
      (window as unknown as { __close: () => void }).__close = () => {
        a.close();
        b.close();
      };
      return result;
    },
    strip,
    bFirst,
  );
}

describe.skipIf(!chromiumAvailable)('the site’s data channels through the real bridge', () => {
  let server: TestServer;
  let media: FakeMedia;
  let ext: ExtensionBrowser;

  beforeAll(async () => {
    server = await startTestServer();
    media = await createFakeMedia();
    ext = await launchExtensionParticipant(server.url, PASSPHRASE, media);
  });

  afterAll(async () => {
    await ext?.close();
    await server?.close();
    await media?.cleanup();
  });

  /** The tab's data channels as the background keeps them for the popup, once `ready` holds for them. */
  async function channelsOf(ready: (states: string[]) => boolean): Promise<{ state: string; sent: number }[]> {
    return waitFor(
      async () => {
        const frames = (await tabStatus(ext, 'blank.html'))?.channels ?? [];
        const channels = frames.flatMap((f) => f.channels.map((c) => ({ state: c.state, sent: c.sent })));
        return ready(channels.map((c) => c.state)) ? channels : undefined;
      },
      { description: 'the tab status to list the data channels', timeoutMs: 10_000 },
    );
  }

  async function closeAll(page: Page): Promise<void> {
    await page.evaluate(() => (window as unknown as { __close: () => void }).__close());
  }

  async function openPage(): Promise<Page> {
    const page = await ext.browser.newPage();
    await page.evaluateOnNewDocument(installTap);
    await page.goto(new URL('/blank.html', server.url).href, { waitUntil: 'load' });
    return page;
  }

  it('seals every message of a protected connection: the page gets them as sent, the wire carries envelopes', async () => {
    const page = await openPage();
    const result = await loop(page, 'none');
    expect(result.protectedEnds).toEqual([true, true]);
    expect(result.got.b).toEqual(['hello from a', 'grüße, 日本語 🙂', [1, 2, 3, 250]]);
    expect(result.got.a).toEqual(['reply from b ✓']);
    // The tap saw our sealed messages (it ran before the page script saved the natives): 4 envelopes and the
    // offerer's confirmation (a control envelope, flags 0x02, 29 bytes), no text.
    expect(result.wire).toHaveLength(5);
    expect(result.wire.filter((w) => w.hex.startsWith('f102') && w.hex.length === 29 * 2)).toHaveLength(1);
    for (const w of result.wire) {
      expect(w.kind).toBe('bytes');
      expect(w.first).toBe(0xf1);
      expect(w.text).not.toMatch(/hello|grüße|日本語|reply/);
      expect(w.hex).not.toContain('010203fa');
    }
    // The popup's source: both ends' channel, end-to-end encrypted, with what each sent.
    const channels = await channelsOf((states) => states.length === 2);
    expect(channels).toEqual(
      expect.arrayContaining([
        { state: 'e2e', sent: 3 },
        { state: 'e2e', sent: 1 },
      ]),
    );
    // Closed by the site: gone from the status.
    await closeAll(page);
    await channelsOf((states) => states.length === 0);
    await page.close();
  });

  it('leaves a connection whose offer lost our line unprotected: no answer line, messages in clear both ways', async () => {
    const page = await openPage();
    const result = await loop(page, 'offer');
    expect(result.protectedEnds).toEqual([true, false]); // the offer carried a line; the answer to its copy did not
    expect(result.got.b).toEqual(['hello from a', 'grüße, 日本語 🙂', [1, 2, 3, 250]]);
    expect(result.got.a).toEqual(['reply from b ✓']);
    expect(result.wire.map((w) => w.kind)).toEqual(['string', 'string', 'bytes', 'string']);
    expect(result.wire[0]?.text).toBe('hello from a');
    const channels = await channelsOf((states) => states.length === 2);
    expect(channels.map((c) => c.state)).toEqual(['clear', 'clear']);
    await closeAll(page);
    await page.close();
  });

  it('an answer line lost on its way: the answerer waits for the offerer, sees it sends in clear, and joins it', async () => {
    const page = await openPage();
    const result = await loop(page, 'answer');
    expect(result.protectedEnds).toEqual([true, true]); // both made lines; the offerer never saw the answer's
    expect(result.got.b).toEqual(['hello from a', 'grüße, 日本語 🙂', [1, 2, 3, 250]]);
    expect(result.got.a).toEqual(['reply from b ✓']);
    expect(result.wire.map((w) => w.kind)).toEqual(['string', 'string', 'bytes', 'string']);
    await closeAll(page);
    await page.close();
  });

  it('an answer line lost, and the answerer speaks first: its message waits for the deadline, then goes in clear', async () => {
    const page = await openPage();
    const result = await loop(page, 'answer', true);
    expect(result.got.a).toEqual(['reply from b ✓']);
    expect(result.got.b).toEqual(['hello from a', 'grüße, 日本語 🙂', [1, 2, 3, 250]]);
    expect(result.wire[0]).toMatchObject({ kind: 'string', text: 'reply from b ✓' });
    expect(result.tookMs).toBeGreaterThan(2_500); // held for CONFIRM_WAIT_MS (3 s), never sent sealed to a clear peer
    await closeAll(page);
    await page.close();
  });

  it('both protected, and the answerer speaks first: it waits only for the offerer’s confirmation', async () => {
    const page = await openPage();
    const result = await loop(page, 'none', true);
    expect(result.got.a).toEqual(['reply from b ✓']);
    expect(result.got.b).toEqual(['hello from a', 'grüße, 日本語 🙂', [1, 2, 3, 250]]);
    // Sealed from the first: had b waited out its deadline instead, its message would have gone in clear.
    for (const w of result.wire) expect(w.first).toBe(0xf1);
    await closeAll(page);
    await page.close();
  });
});
