/**
 * The unmodified Janus videoroom demo (videoroomtest.html), driven as a person would, and read through its page
 * globals: shared by the SFU tests (janus.test.ts, forward-secrecy.test.ts).
 */
import type { Page } from 'puppeteer-core';
import { waitFor } from './harness';
import type { Janus } from './janus';
import { depacketize, type RtpVideoCodec, startRtpSink } from './rtp';
import { decodeAudio, decodeVideo } from './rtp-decode';

/** Opens the videoroom demo in `page`, starts it and joins `room` as `name` (alphanumeric). */
export async function joinVideoroom(
  janus: Janus,
  page: Page,
  room: number,
  name: string,
  query: Record<string, string> = {},
) {
  await page.goto(janus.demoUrl('videoroomtest.html', { room, ...query }), { waitUntil: 'load' });
  await page.locator('#start').click();
  await page.locator('#username').fill(name);
  await page.locator('#register').click();
  await page.waitForSelector('#videolocal video', { timeout: 15_000 });
}

/** Selectors of the remote video tiles the demo shows (`#videoremote1` … `#videoremote5`). */
export async function remoteTiles(page: Page): Promise<string[]> {
  return (await namedTiles(page)).map((tile) => tile.selector);
}

/** The remote video tiles with the display name the demo labels each with (`#remoteN` above `#videoremoteN`). */
export async function namedTiles(page: Page): Promise<{ selector: string; name: string }[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('[id^="videoremote"] video')].map((video) => {
      const index = video.closest('[id^="videoremote"]')?.id.replace('videoremote', '') ?? '';
      return { selector: `#${video.id}`, name: document.getElementById(`remote${index}`)?.textContent ?? '' };
    }),
  );
}

export async function waitForTiles(page: Page, count: number): Promise<string[]> {
  return waitFor(
    async () => {
      const tiles = await remoteTiles(page);
      return tiles.length >= count ? tiles : undefined;
    },
    { description: `${count} remote video tiles`, timeoutMs: 20_000 },
  );
}

/** Whether the `<video>` at `selector` keeps presenting new frames (a frozen tile keeps its last picture). */
export async function tileFlowing(page: Page, selector: string, windowMs = 1_000): Promise<boolean> {
  const frames = () =>
    page.evaluate(
      (sel: string) => document.querySelector<HTMLVideoElement>(sel)?.getVideoPlaybackQuality().totalVideoFrames ?? 0,
      selector,
    );
  const before = await frames();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  return (await frames()) > before;
}

/** Inbound video of the page's subscription to `display`: packets, and frames the decoder decoded. */
export async function subscriptionVideo(page: Page, display: string): Promise<{ packets: number; decoded: number }> {
  return page.evaluate(async (name: string) => {
    type Feed = { rfdisplay: string; webrtcStuff: { pc: RTCPeerConnection } } | null;
    const feed = (window as unknown as { feeds: Feed[] }).feeds.find((f) => f?.rfdisplay === name);
    const out = { packets: 0, decoded: 0 };
    for (const s of (await feed?.webrtcStuff.pc.getStats())?.values() ?? []) {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.packets += s.packetsReceived ?? 0;
        out.decoded += s.framesDecoded ?? 0;
      }
    }
    return out;
  }, display);
}

/**
 * What the server holds of `name`'s media: Janus forwards its RTP from `room` for `ms` (`rtp_forward`), and `decoder`
 * (a page in a secure context) tries to decode it as the server would have to.
 */
export async function janusServerView(
  janus: Janus,
  decoder: Page,
  room: number,
  name: string,
  codec: RtpVideoCodec,
  ms = 3_000,
) {
  const publisher = await waitFor(async () => (await janus.listParticipants(room)).find((p) => p.display === name), {
    description: `publisher ${name} in the room`,
    timeoutMs: 15_000,
  });
  const sink = await startRtpSink();
  try {
    await janus.rtpForward(room, publisher.id, {
      host: sink.host,
      audioPort: sink.audioPort,
      videoPort: sink.videoPort,
    });
    await sink.waitForPackets('video', 20, 10_000);
    await new Promise((resolve) => setTimeout(resolve, ms));
    const frames = depacketize(codec, sink.packets('video'), { skipToKeyframeAfterLoss: true });
    const video = await decodeVideo(decoder, codec, frames);
    const audio = await decodeAudio(decoder, depacketize('opus', sink.packets('audio')));
    return { frames: frames.length, video, audio };
  } finally {
    await sink.close();
  }
}

/** The widths of the simulcast layers the demo's publisher on `page` is encoding now (its own outbound stats). */
export async function encodedLayerWidths(page: Page): Promise<number[]> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { sfutest?: { webrtcStuff?: { pc?: RTCPeerConnection } } }).sfutest?.webrtcStuff
      ?.pc;
    const widths: number[] = [];
    (await pc?.getStats())?.forEach(
      (s: { type: string; kind?: string; frameWidth?: number; framesEncoded?: number }) => {
        if (s.type === 'outbound-rtp' && s.kind === 'video' && (s.framesEncoded ?? 0) > 0 && s.frameWidth) {
          widths.push(s.frameWidth);
        }
      },
    );
    return widths.sort((a, b) => a - b);
  });
}
