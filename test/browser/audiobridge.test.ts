/**
 * An MCU: Janus's audiobridge (the unmodified audiobridgetest.html) decodes every participant's Opus, mixes it and
 * sends each participant a mix of the others, encoded anew by the server. End-to-end encryption cannot survive that:
 * the server cannot decrypt, so what it mixes is what a decoder without the key makes of our frames, and what it sends
 * back is media the server produced. Checked here on decoded audio (test/browser/tone.ts) and on the server's own
 * recording of the mix (a WAV the audiobridge writes):
 * - a control without Framelock: everyone hears the others' tone, and the recording has it;
 * - with Framelock: the server's mix holds silence, never noise (format v5's Opus layout, src/codecs/opus.ts), the page
 *   keeps working, and Framelock never says "encrypted" for the server's mix: the receiver is flagged and the badge
 *   warns.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFakeMedia,
  type FakeMedia,
  framelockTransforms,
  launchExtensionParticipant,
  launchPlainChromium,
  type PlainBrowser,
  tabBadge,
} from './call';
import { chromiumAvailable, type ExtensionBrowser, isCI, waitFor } from './harness';
import { type Janus, janusAvailable, startJanus } from './janus';
import { dBFS, type HeardTone, heardTone, isTestTone, TONE_HZ } from './tone';

const PASSPHRASE = 'correct horse battery staple';
const MIX = '#roomaudio';
/** Below -46 dBFS. The tone arrives at -15 to -29 dBFS; format v4's frames decoded without the key, at about -14. */
const SILENCE_RMS = 0.005;

if (isCI && (!chromiumAvailable || !janusAvailable)) {
  throw new Error('CI must run the audiobridge tests: Chromium or Janus is missing');
}

/** Opens the audiobridge demo, joins `room` as `name` and waits until the server's mix plays. */
async function joinBridge(janus: Janus, page: Page, room: number, name: string): Promise<void> {
  await page.goto(janus.demoUrl('audiobridgetest.html', { room }), { waitUntil: 'load' });
  await page.locator('#start').click();
  await page.locator('#username').fill(name);
  await page.locator('#register').click();
  await page.waitForSelector(MIX, { timeout: 20_000 });
}

/** The others the demo lists (its participant list), by display name. */
function listedNames(page: Page): Promise<string[]> {
  return page.$$eval('#list li', (items) => items.map((li) => li.textContent?.trim() ?? ''));
}

/** Mono 16-bit PCM from a WAV file (the audiobridge's recording), as floats. */
function wavSamples(wav: Buffer): { rate: number; samples: Float32Array } {
  let at = 12;
  let rate = 0;
  let channels = 1;
  while (at + 8 <= wav.length) {
    const id = wav.toString('ascii', at, at + 4);
    const size = wav.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      channels = wav.readUInt16LE(at + 10);
      rate = wav.readUInt32LE(at + 12);
    }
    if (id === 'data') {
      const end = Math.min(wav.length, at + 8 + (size || wav.length));
      const count = Math.floor((end - at - 8) / (2 * channels));
      const samples = new Float32Array(count);
      for (let i = 0; i < count; i++) samples[i] = wav.readInt16LE(at + 8 + i * 2 * channels) / 32_768;
      return { rate, samples };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error('no data chunk in the recording');
}

/** The recording measured as tone.ts measures what a page hears. */
function measureRecording(wav: Buffer): HeardTone {
  const { rate, samples } = wavSamples(wav);
  // The last 3 s: after everyone joined.
  const tail = samples.subarray(Math.max(0, samples.length - 3 * rate));
  let sum = 0;
  for (const s of tail) sum += s * s;
  const amplitudeAt = (hz: number): number => {
    const coefficient = 2 * Math.cos((2 * Math.PI * hz) / rate);
    let previous = 0;
    let beforePrevious = 0;
    for (const s of tail) {
      const current = s + coefficient * previous - beforePrevious;
      beforePrevious = previous;
      previous = current;
    }
    const power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
    return Math.sqrt(Math.max(0, power)) / tail.length;
  };
  return {
    rms: Math.sqrt(sum / Math.max(1, tail.length)),
    atTone: amplitudeAt(TONE_HZ),
    elsewhere: Math.max(...[300, 620, 1_000, 2_000].map(amplitudeAt)),
  };
}

describe.skipIf(!chromiumAvailable || !janusAvailable)('an MCU: the Janus audiobridge (unmodified demo)', () => {
  let janus: Janus;
  let media: FakeMedia;
  const framelock: ExtensionBrowser[] = [];
  const plain: PlainBrowser[] = [];

  beforeAll(async () => {
    janus = await startJanus();
    media = await createFakeMedia();
    const origin = new URL(janus.demosUrl).origin;
    for (let i = 0; i < 2; i++) framelock.push(await launchExtensionParticipant(origin, PASSPHRASE, media));
    for (let i = 0; i < 2; i++) plain.push(await launchPlainChromium({ media }));
  });

  afterAll(async () => {
    await Promise.all([...framelock, ...plain].map((b) => b.close()));
    await janus?.stop();
    await media?.cleanup();
  });

  /** A throw-away bridge that records its mix to a WAV in Janus's run folder. */
  async function createBridge(): Promise<{ room: number; recording: string }> {
    const room = 100_000 + Math.floor(Math.random() * 800_000);
    const recording = path.join(janus.workDir, `bridge-${room}.wav`);
    await janus.pluginRequest('audiobridge', {
      request: 'create',
      room,
      permanent: false,
      sampling_rate: 48_000,
      record: true,
      record_file: recording,
    });
    return { room, recording };
  }

  /** Destroys the bridge (which closes its recording) and measures the recording. */
  async function finish(room: number, recording: string): Promise<HeardTone> {
    await janus.pluginRequest('audiobridge', { request: 'destroy', room, permanent: false });
    const wav = await waitFor(async () => readFile(recording).catch(() => undefined), {
      description: `the bridge's recording ${recording}`,
      timeoutMs: 10_000,
    });
    return measureRecording(wav);
  }

  async function joinAll(room: number, browsers: Array<ExtensionBrowser | PlainBrowser>): Promise<Page[]> {
    const pages: Page[] = [];
    for (const [i, b] of browsers.entries()) {
      const page = await b.browser.newPage();
      pages.push(page);
      await joinBridge(janus, page, room, `m${i + 1}`);
    }
    for (const page of pages) {
      await waitFor(async () => ((await listedNames(page)).length >= browsers.length - 1 ? true : undefined), {
        description: 'the demo lists the other participants',
        timeoutMs: 20_000,
      });
    }
    return pages;
  }

  it('control, without Framelock: each hears the other’s tone in the mix, and the server’s recording has it', async () => {
    const { room, recording } = await createBridge();
    const pages = await joinAll(room, plain);
    for (const page of pages) {
      await waitFor(async () => isTestTone(await heardTone(page, 1_500, MIX)) || undefined, {
        description: 'the tone in the mix',
        timeoutMs: 20_000,
      });
    }
    await Promise.all(pages.map((p) => p.close()));
    const mixed = await finish(room, recording);
    expect(isTestTone(mixed), JSON.stringify(mixed)).toBe(true);
  });

  it('with Framelock: the mix holds silence, never noise; the page works; Framelock never calls the mix encrypted', async () => {
    const { room, recording } = await createBridge();
    const pages = await joinAll(room, framelock);
    // Let the mix run for a while: a decoder fed ciphertext would be playing noise by now.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (const page of pages) {
      const heard = await heardTone(page, 2_000, MIX);
      expect(isTestTone(heard)).toBe(false);
      expect(heard.rms, dBFS(heard.rms)).toBeLessThan(SILENCE_RMS);
      // The page works: it lists the other participant.
      expect((await listedNames(page)).length).toBe(1);
    }
    for (const person of framelock) {
      const received = await waitFor(
        async () => {
          const list = (await framelockTransforms(person, String(room))).filter(
            (s) => s.side === 'receive' && s.status !== 'waiting',
          );
          return list.length >= 1 ? list : undefined;
        },
        { description: 'the mix’s receiver reported', timeoutMs: 15_000 },
      );
      for (const s of received) {
        expect(s.status).toBe('unencrypted');
        expect(s.protected).toBe(0);
      }
      expect(await tabBadge(person, String(room))).toBe('!');
    }
    await Promise.all(pages.map((p) => p.close()));
    const mixed = await finish(room, recording);
    expect(mixed.rms, dBFS(mixed.rms)).toBeLessThan(SILENCE_RMS);
  });

  it('one with Framelock, one without: the one without hears silence from us, ours hears it and flags it', async () => {
    const { room, recording } = await createBridge();
    const [ours, theirs] = await joinAll(room, [framelock[0] as ExtensionBrowser, plain[0] as PlainBrowser]);
    // The mix ours gets is the server's, made from the plain participant's tone: heard, and flagged.
    await waitFor(async () => isTestTone(await heardTone(ours as Page, 1_500, MIX)) || undefined, {
      description: 'the plain participant’s tone in our mix',
      timeoutMs: 20_000,
    });
    const heard = await heardTone(theirs as Page, 2_000, MIX);
    expect(heard.rms, dBFS(heard.rms)).toBeLessThan(SILENCE_RMS);
    const received = await waitFor(
      async () => {
        const list = (await framelockTransforms(framelock[0] as ExtensionBrowser, String(room))).filter(
          (s) => s.side === 'receive' && s.status !== 'waiting',
        );
        return list.length >= 1 ? list : undefined;
      },
      { description: 'the mix’s receiver reported', timeoutMs: 15_000 },
    );
    for (const s of received) {
      expect(s.status).toBe('unencrypted');
      // Plaintext that happens to end like a trailer (about 1 frame in 85 here) is no "cannot decrypt".
      expect(s.undecryptable).toBe(0);
    }
    expect(await tabBadge(framelock[0] as ExtensionBrowser, String(room))).toBe('!');
    await Promise.all([ours, theirs].map((p) => p?.close()));
    // The server's recording holds the plain participant's tone only.
    expect(isTestTone(await finish(room, recording))).toBe(true);
  });
});
