/**
 * Calls through the demo site (served by test/server/test-server.ts) between separate Chromium profiles, with a known
 * picture and tone as the fake camera and microphone, checked by what the far side decodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../server/test-server';
import {
  audioFlowing,
  createFakeMedia,
  type FakeMedia,
  launchExtensionParticipant,
  launchPlainChromium,
  measureAudio,
  type PlainBrowser,
  startCall,
  videoFlowing,
  waitForRemotePattern,
} from './call';
import { chromiumAvailable, waitFor } from './harness';
import { CONTROL_FRAMES, describeSamples, patternMismatches, renderControlFrames, samplePattern } from './media';

const PASSPHRASE = 'correct horse battery staple';

describe.skipIf(!chromiumAvailable)('a call through the demo site (headless Chromium)', () => {
  let server: TestServer;
  let media: FakeMedia;
  let alice: PlainBrowser;
  let bob: PlainBrowser;

  beforeAll(async () => {
    server = await startTestServer();
    media = await createFakeMedia();
    [alice, bob] = await Promise.all([launchPlainChromium({ media }), launchPlainChromium({ media })]);
  });

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close()]);
    await server?.close();
    await media?.cleanup();
  });

  it('baseline: two profiles without the extension decode each other’s pattern and tone', async () => {
    const call = await startCall({
      browsers: [await alice.browser.newPage(), await bob.browser.newPage()],
      url: server.url,
    });
    await Promise.all(
      call.pages.map(async (page) => {
        const samples = await waitForRemotePattern(page);
        expect(patternMismatches(samples), describeSamples(samples)).toEqual([]);
        const [video, audio] = await Promise.all([videoFlowing(page), measureAudio(page)]);
        expect(video, 'remote video frames keep being decoded').toBe(true);
        expect(audio.flowing, JSON.stringify(audio)).toBe(true);
        // Played-out energy grows only with decoded sound, not silence.
        expect(audio.energyDelta, JSON.stringify(audio)).toBeGreaterThan(0);
      }),
    );
    await call.hangUp();
  });

  // Proof that Framelock itself encrypts (its counters, a wrong passphrase, a participant without it) is in
  // e2e.test.ts; this checks that the call helpers work with extension profiles.
  it('two profiles with the extension and the same passphrase decode each other’s pattern and tone', async () => {
    const [a, b] = await Promise.all([
      launchExtensionParticipant(server.url, PASSPHRASE, media),
      launchExtensionParticipant(server.url, PASSPHRASE, media),
    ]);
    try {
      const call = await startCall({
        browsers: [await a.browser.newPage(), await b.browser.newPage()],
        url: server.url,
      });
      await Promise.all(
        call.pages.map(async (page) => {
          await waitForRemotePattern(page);
          // Decoding goes on. Not always at once: in some calls (with this build and the one before issue 14 alike,
          // measured on a loaded machine) the decoder shows the first keyframe, then nothing for 2-3 s. Each call
          // also has about 20 video frames dropped at its start as duplicates; whether the two are linked is not
          // known yet. So a few seconds are allowed here.
          await waitFor(() => videoFlowing(page), {
            description: 'remote video frames to keep being decoded',
            timeoutMs: 10_000,
          });
          expect(await audioFlowing(page)).toBe(true);
        }),
      );
      await call.hangUp();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('the pattern detector accepts the pattern and rejects noise, grey, black, the all-zero frame and scrambled VP8', async () => {
    const page = await alice.browser.newPage();
    await page.goto(`${server.url}/blank.html`); // WebCodecs needs a secure context: loopback http is one.
    const controls = await renderControlFrames(page);
    const verdicts: Record<string, string[]> = {};
    for (const name of CONTROL_FRAMES) {
      verdicts[name] = patternMismatches(await samplePattern(page, controls.selectors[name]));
    }
    expect(verdicts.pattern, 'the pattern after a VP8 round trip').toEqual([]);
    for (const name of CONTROL_FRAMES.filter((n) => n !== 'pattern')) {
      expect(verdicts[name]?.length, `${name} must not pass for the pattern (ciphertext: ${controls.ciphertext})`).toBe(
        4,
      );
    }
    await page.close();
  });
});
