/**
 * @module Scale mode: the receive load of a 100-participant call (99 audio streams at 50 fps, 25 video streams at
 * 30 fps) through each mode's decrypt path in one worker, with real encoded frames captured from a 720p loopback
 * call. Reports the browser's CPU as a share of one core, and frames lost. See docs/performance.md.
 */
import type { Browser } from 'puppeteer-core';
import type { Mode } from './call/page.ts';
import type { ScaleRunResult } from './call/scale.ts';
import { inPage, MODE_LABEL, routes, sleep, URLS } from './call.bench.ts';
import { cpuBetween, launchChromium, sampleCpu, serve } from './lib.ts';

export const SCALE_MODES: readonly Mode[] = ['passthrough', 'bare', 'livekit', 'framelock'];

export interface ScaleOptions {
  rounds: number;
  seconds: number;
  audio: number;
  video: number;
}

export interface ScaleRun extends ScaleRunResult {
  round: number;
  mode: Mode;
  /** Browser CPU (every process and thread) during the run, as a share of one core (1 = one core busy). */
  cpuShare: number;
  /** The receiving worker's own thread, as a share of one core (WebCrypto work runs on other threads). */
  workerShare: number;
}

async function newBenchPage(browser: Browser, origin: string, log: (line: string) => void) {
  const page = await browser.newPage();
  page.on('pageerror', (error) => log(`  page error: ${(error as Error).message}`));
  await page.goto(`${origin}/`);
  await page.addScriptTag({ url: '/page.js' });
  return page;
}

export async function runScaleBench(
  options: ScaleOptions,
  log: (line: string) => void,
): Promise<{ runs: ScaleRun[]; capturedVideoBytes: number }> {
  const { origin, server } = await serve(await routes());
  const { browser, close } = await launchChromium();
  const pid = browser.process()?.pid;
  if (pid === undefined) throw new Error('no browser process');
  const runs: ScaleRun[] = [];
  try {
    // Real frames: a 720p loopback call's encoder output, copied before any transform.
    const capturePage = await newBenchPage(browser, origin, log);
    await inPage(capturePage, 'startCall', { mode: 'passthrough', urls: URLS });
    await sleep(2_000);
    const captured = await inPage(capturePage, 'captureFrames', 90);
    log(
      `  captured ${captured.video} video frames (${captured.videoBytes.toFixed(0)} B average) and ${captured.audio} audio`,
    );
    // The page keeps its capture: it feeds every scale setup below.
    await inPage(capturePage, 'hangUp');
    for (let round = 0; round < options.rounds; round++) {
      const order = SCALE_MODES.map((_, i) => SCALE_MODES[(i + round) % SCALE_MODES.length] as Mode);
      for (const mode of order) {
        await inPage(capturePage, 'scaleSetup', mode, URLS, options.audio, options.video, options.seconds);
        const before = sampleCpu(pid);
        const result = await inPage(capturePage, 'scaleRun', options.seconds);
        const after = sampleCpu(pid);
        await inPage(capturePage, 'scaleStop');
        const cpu = cpuBetween(before, after);
        const run: ScaleRun = {
          round,
          mode,
          ...result,
          cpuShare: cpu.browserMs / 1000 / result.seconds,
          workerShare: cpu.workerMs / 1000 / result.seconds,
        };
        runs.push(run);
        log(
          `  round ${round + 1} ${MODE_LABEL[mode].padEnd(13)} ${result.fed} frames fed, ${result.decrypted} out, ` +
            `lost audio ${result.lost.audio} video ${result.lost.video}; browser CPU ${(run.cpuShare * 100).toFixed(1)} % ` +
            `of a core (worker thread ${(run.workerShare * 100).toFixed(1)} %)`,
        );
        await sleep(500);
      }
    }
    await capturePage.close();
    return { runs, capturedVideoBytes: captured.videoBytes };
  } finally {
    await close();
    server.close();
  }
}
