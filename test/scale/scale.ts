/**
 * `npm run test:scale` (outside `npm test`): how many participants of one Janus videoroom this machine holds in ONE
 * browser with Framelock, every participant a tab of the same profile. The first few publish video with the
 * unmodified videoroom demo; the rest are audio-only (test/scale/audio-participant.html, on Debian's janus.js).
 * Participants are added in steps; after each step it measures the browser's CPU (all its processes, from /proc)
 * and Framelock's counters in every tab (frames decrypted, undecryptable, dropped), and it stops when the machine
 * is saturated or a frame is lost to decryption. Writes bench/results/scale.json.
 *
 * Env: SCALE_VIDEO (video participants, default 3), SCALE_STEP (audio participants added per step, default 5),
 * SCALE_MAX (participants at most, default 40), SCALE_SETTLE_MS (default 8000), SCALE_MEASURE_MS (default 10000).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import type { TransformStats } from '../../src/shared/messages';
import { createFakeMedia, framelockTransforms, launchExtensionParticipant } from '../browser/call';
import { REPO_ROOT } from '../browser/harness';
import { janusAvailable, startJanus } from '../browser/janus';

const VIDEO = Number(process.env.SCALE_VIDEO ?? 3);
const STEP = Number(process.env.SCALE_STEP ?? 5);
const MAX = Number(process.env.SCALE_MAX ?? 40);
const SETTLE_MS = Number(process.env.SCALE_SETTLE_MS ?? 8_000);
const MEASURE_MS = Number(process.env.SCALE_MEASURE_MS ?? 10_000);
const PASSPHRASE = 'correct horse battery staple';
/** Linux clock ticks per second (/proc/<pid>/stat). */
const CLOCK_TICKS = 100;

/** CPU seconds used so far by every process whose command line mentions `marker` (the browser's profile dir). */
function cpuSeconds(marker: string): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes(marker)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      // the process ended
    }
  }
  return ticks / CLOCK_TICKS;
}

interface Step {
  participants: number;
  video: number;
  audio: number;
  /** Receive transforms decrypting (status encrypted) over all tabs. */
  decryptingStreams: number;
  /** Frames decrypted per second over all tabs during the measurement. */
  framesPerSecond: number;
  /** The browser's CPU time over the measurement, as a share of one core (2 cores = 2.0). */
  cpuCores: number;
  undecryptable: number;
  dropped: number;
  pageErrors: string[];
}

async function main(): Promise<void> {
  if (!janusAvailable)
    throw new Error('Janus is not installed (apt-get install janus janus-demos libjs-janus-gateway)');
  const janus = await startJanus({
    // Past 5 participants, HTTP long polls would exhaust Chromium's 6 connections per host.
    websockets: true,
    extraPages: { 'framelock-audio-participant.html': path.join(REPO_ROOT, 'test/scale/audio-participant.html') },
  });
  const media = await createFakeMedia();
  const origin = new URL(janus.demosUrl).origin;
  const ext = await launchExtensionParticipant(origin, PASSPHRASE, media);
  const steps: Step[] = [];
  const pages: Page[] = [];
  try {
    const room = await janus.createRoom({ videocodec: 'vp8', publishers: 100 });
    const totals = async () => {
      const stats: TransformStats[] = await framelockTransforms(ext, String(room));
      const receive = stats.filter((s) => s.side === 'receive');
      return {
        protected: receive.reduce((sum, s) => sum + s.protected, 0),
        undecryptable: receive.reduce((sum, s) => sum + s.undecryptable, 0),
        dropped: receive.reduce((sum, s) => sum + s.dropped, 0),
        decrypting: receive.filter((s) => s.status === 'encrypted').length,
      };
    };
    const add = async (kind: 'video' | 'audio', index: number): Promise<void> => {
      const page = await ext.browser.newPage();
      pages.push(page);
      if (kind === 'video') {
        await page.goto(janus.demoUrl('videoroomtest.html', { room }), { waitUntil: 'load' });
        await page.locator('#start').click();
        await page.locator('#username').fill(`v${index}`);
        await page.locator('#register').click();
        await page.waitForSelector('#videolocal video', { timeout: 30_000 });
      } else {
        await page.goto(janus.demoUrl('framelock-audio-participant.html', { room, name: `a${index}` }), {
          waitUntil: 'load',
        });
        // Polled with evaluate (waitForFunction's in-page polling stalled in these background-heavy runs).
        const deadline = Date.now() + 30_000;
        for (;;) {
          const state = await page.evaluate(
            () => (window as unknown as { scale?: { state: string } }).scale?.state ?? 'starting',
          );
          if (state !== 'starting') break;
          if (Date.now() > deadline) throw new Error(`audio participant a${index} did not start within 30 s`);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    };

    let video = 0;
    let audio = 0;
    console.log(`scale run: ${VIDEO} video participants, then audio-only ones ${STEP} at a time, up to ${MAX}`);
    for (let i = 1; i <= VIDEO; i++) await add('video', ++video);
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const before = await totals();
      const cpuBefore = cpuSeconds(ext.userDataDir);
      const started = Date.now();
      await new Promise((resolve) => setTimeout(resolve, MEASURE_MS));
      const seconds = (Date.now() - started) / 1_000;
      const cpu = (cpuSeconds(ext.userDataDir) - cpuBefore) / seconds;
      const after = await totals();
      const pageErrors = (
        await Promise.all(
          pages.map((p) =>
            p
              .evaluate(() => (window as unknown as { scale?: { error: string | null } }).scale?.error ?? null)
              .catch((e: Error) => e.message),
          ),
        )
      ).filter((e): e is string => e !== null);
      const step: Step = {
        participants: video + audio,
        video,
        audio,
        decryptingStreams: after.decrypting,
        framesPerSecond: Math.round((after.protected - before.protected) / seconds),
        cpuCores: Math.round(cpu * 100) / 100,
        undecryptable: after.undecryptable,
        dropped: after.dropped - before.dropped,
        pageErrors,
      };
      steps.push(step);
      console.log(
        `  ${String(step.participants).padStart(3)} participants (${video} video, ${audio} audio): ` +
          `${step.decryptingStreams} streams decrypting, ${step.framesPerSecond} frames/s decrypted, ` +
          `browser CPU ${(step.cpuCores * 100).toFixed(0)} % of one core, undecryptable ${step.undecryptable}, ` +
          `dropped ${step.dropped}${pageErrors.length > 0 ? `, page errors: ${pageErrors.join('; ')}` : ''}`,
      );
      // Saturated (the browser uses ~all of both cores), frames lost to decryption, or the ceiling: stop.
      if (step.cpuCores > 1.8 || step.undecryptable > 0 || pageErrors.length > 0 || video + audio >= MAX) break;
      for (let i = 0; i < STEP && video + audio < MAX; i++) await add('audio', ++audio);
    }
    const best = [...steps].reverse().find((s) => s.undecryptable === 0 && s.cpuCores <= 1.8);
    console.log(
      best === undefined
        ? 'scale run: no step met the bar (no undecryptable frame, browser under 90 % of the machine)'
        : `scale run: held ${best.participants} participants in one browser (${best.video} video, ${best.audio} audio), ` +
            `${best.decryptingStreams} streams decrypting, ${(best.cpuCores * 100).toFixed(0)} % of one core, ` +
            `no frame lost to decryption`,
    );
    await mkdir(path.join(REPO_ROOT, 'bench/results'), { recursive: true });
    await writeFile(
      path.join(REPO_ROOT, 'bench/results/scale.json'),
      `${JSON.stringify({ date: new Date().toISOString(), cores: 2, steps }, null, 2)}\n`,
    );
    console.log('wrote bench/results/scale.json');
  } finally {
    await ext.close();
    await janus.stop();
    await media.cleanup();
  }
}

await main();
