/**
 * What a participant without Framelock hears from one with it: silence, not our ciphertext played as noise (frame
 * format v5's Opus layout, docs/frame-format.md §4.3). Real decoders, measured on the audio each page plays
 * (test/browser/tone.ts): Chromium's and Firefox's, in calls through the demo site. The server-side libopus (Janus's
 * audiobridge) is checked by audiobridge.test.ts.
 *
 * The control: two browsers without Framelock hear each other's 440 Hz tone, measured the same way, so "silence"
 * below means the decoder played nothing, not that the measurement heard nothing.
 */
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../server/test-server';
import {
  callStats,
  createFakeMedia,
  type FakeMedia,
  launchExtensionParticipant,
  launchPlainChromium,
  measureAudio,
  type PlainBrowser,
  startCall,
} from './call';
import { type FirefoxSession, firefoxAvailable, launchFirefox } from './firefox';
import { chromiumAvailable, type ExtensionBrowser, isCI, waitFor } from './harness';
import { dBFS, type HeardTone, heardTone, isTestTone } from './tone';

const PASSPHRASE = 'correct horse battery staple';
const WRONG_PASSPHRASE = 'incorrect horse battery staple';
/** Below -46 dBFS: the fake microphone's tone arrives at about -17 dBFS, our ciphertext decoded as Opus far louder. */
const SILENCE_RMS = 0.005;

if (isCI && !firefoxAvailable) throw new Error('CI must run the Firefox decoder check: Firefox is missing');

const dB = (tone: HeardTone): string => dBFS(tone.rms);

/** Waits until `page` hears the test tone, and returns what it heard. */
function hearsTone(page: Page): Promise<HeardTone> {
  return waitFor(
    async () => {
      const tone = await heardTone(page, 1_500);
      return isTestTone(tone) ? tone : undefined;
    },
    { description: 'the 440 Hz tone', timeoutMs: 20_000 },
  );
}

/**
 * What a page without the key makes of our video: packets arrive, no frame decodes, nothing is shown (the element has
 * no picture size), and it keeps asking the sender for keyframes (`pliCount`).
 */
async function videoShown(page: Page): Promise<{ packets: number; decoded: number; plis: number; width: number }> {
  const inbound = (await callStats(page)).inbound.filter((s) => s.kind === 'video');
  const width = await page.$eval('#remote', (el) => (el as HTMLVideoElement).videoWidth);
  const sum = (key: 'packetsReceived' | 'framesDecoded' | 'pliCount') => inbound.reduce((t, s) => t + s[key], 0);
  return { packets: sum('packetsReceived'), decoded: sum('framesDecoded'), plis: sum('pliCount'), width };
}

/** While remote audio packets keep arriving, `page` plays silence: three windows of 1.5 s. */
async function expectSilence(page: Page): Promise<HeardTone[]> {
  const flow = await measureAudio(page, 1_000);
  expect(flow.packetsDelta, 'remote audio packets keep arriving').toBeGreaterThan(20);
  const heard: HeardTone[] = [];
  for (let i = 0; i < 3; i++) {
    const tone = await heardTone(page, 1_500);
    heard.push(tone);
    expect(tone.rms, `window ${i + 1}: ${dB(tone)}`).toBeLessThan(SILENCE_RMS);
  }
  return heard;
}

describe.skipIf(!chromiumAvailable)('a participant without Framelock hears silence from one with it', () => {
  let server: TestServer;
  let media: FakeMedia;
  let framelock: ExtensionBrowser;
  let plain: PlainBrowser;
  let wrong: ExtensionBrowser;
  let fox: FirefoxSession | undefined;

  beforeAll(async () => {
    server = await startTestServer();
    media = await createFakeMedia();
    framelock = await launchExtensionParticipant(server.url, PASSPHRASE, media);
    plain = await launchPlainChromium({ media });
    wrong = await launchExtensionParticipant(server.url, WRONG_PASSPHRASE, media);
    if (firefoxAvailable) fox = await launchFirefox({ extensionPath: null });
  });

  afterAll(async () => {
    await Promise.all([framelock?.close(), plain?.close(), wrong?.close(), fox?.close()]);
    await server?.close();
    await media?.cleanup();
  });

  it('Chromium without Framelock: silence while our audio arrives; Framelock hears its tone (the control)', async () => {
    const call = await startCall({
      browsers: [await framelock.browser.newPage(), await plain.browser.newPage()],
      url: server.url,
    });
    // Ours decodes the plain peer's tone: the measurement hears a tone when there is one.
    const control = await hearsTone(call.pages[0]);
    const heard = await expectSilence(call.pages[1]);
    console.info(`Chromium without Framelock hears ${heard.map(dB).join(', ')}; Framelock hears ${dB(control)}`);
    // And sees nothing: our video arrives, no frame of it decodes, no picture is shown.
    const video = await videoShown(call.pages[1]);
    console.info(`Chromium without Framelock, video: ${JSON.stringify(video)}`);
    expect(video.packets).toBeGreaterThan(50);
    expect(video.decoded).toBe(0);
    expect(video.width).toBe(0);
    await call.hangUp();
  });

  it('Framelock with the wrong passphrase: silence both ways (frames it cannot decrypt are dropped, not played)', async () => {
    const call = await startCall({
      browsers: [await framelock.browser.newPage(), await wrong.browser.newPage()],
      url: server.url,
    });
    const heard = await Promise.all(call.pages.map(expectSilence));
    console.info(`wrong passphrase: each side hears ${heard.map((h) => h.map(dB).join(', ')).join(' / ')}`);
    await call.hangUp();
  });

  it.skipIf(!firefoxAvailable)('Firefox without Framelock: the same', async () => {
    const session = fox as FirefoxSession;
    const call = await startCall({
      browsers: [await framelock.browser.newPage(), await session.browser.newPage()],
      url: server.url,
    });
    const control = await hearsTone(call.pages[0]);
    const heard = await expectSilence(call.pages[1]);
    console.info(`Firefox without Framelock hears ${heard.map(dB).join(', ')}; Framelock hears ${dB(control)}`);
    const video = await videoShown(call.pages[1]);
    console.info(`Firefox without Framelock, video: ${JSON.stringify(video)}`);
    expect(video.packets).toBeGreaterThan(50);
    expect(video.decoded).toBe(0);
    expect(video.width).toBe(0);
    await call.hangUp();
  });

  it.skipIf(!firefoxAvailable)('control: Chromium and Firefox without Framelock hear each other’s tone', async () => {
    const session = fox as FirefoxSession;
    const call = await startCall({
      browsers: [await plain.browser.newPage(), await session.browser.newPage()],
      url: server.url,
    });
    const heard = await Promise.all(call.pages.map(hearsTone));
    console.info(
      `without Framelock: Chromium hears ${dB(heard[0] as HeardTone)}, Firefox ${dB(heard[1] as HeardTone)}`,
    );
    await call.hangUp();
  });
});
