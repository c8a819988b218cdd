/**
 * @module The loopback-call benchmark: the same 720p/30 fps video and Opus audio through one call per mode, modes
 * interleaved (a different order every round) and repeated, all in one browser. See docs/performance.md.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { buildWorkerSource, SHIPPED_DEFINE } from '../scripts/injected-scripts.ts';
import type { StreamSamples, WorkerSamples } from './call/hook.ts';
import type { Mode } from './call/page.ts';
import { bundle, cpuBetween, launchChromium, percentile, type Route, sampleCpu, serve } from './lib.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const MODES: readonly Mode[] = ['none', 'passthrough', 'bare', 'livekit', 'framelock'];
export const MODE_LABEL: Record<Mode, string> = {
  none: 'no transform',
  passthrough: 'pass-through',
  bare: 'bare AES-GCM',
  livekit: 'LiveKit E2EE',
  framelock: 'Framelock',
};

/** The browser a loopback call runs in: Debian's Chromium, or Firefox ESR (test/browser/firefox.ts) over BiDi. */
export type BenchBrowser = 'chromium' | 'firefox';

export interface CallOptions {
  /** Default Chromium. */
  browser?: BenchBrowser;
  rounds: number;
  warmupMs: number;
  measureMs: number;
  /**
   * A second window of `measureMs`, this long after the call started: a call's steady state (the first window sees its
   * first seconds), to tell warm-up effects from lasting costs. Omitted: one window only.
   */
  steadyAfterMs?: number;
}

type Kind = 'audio' | 'video';

export interface KindFigures {
  /** Per-frame time inside the transform (ms), send and receive frames together, and each side apart. */
  p50: number;
  p95: number;
  p99: number;
  sendP50: number;
  receiveP50: number;
  frames: number;
  /** Frames the transforms took in but did not write (send + receive). */
  transformDropped: number;
  /** Bytes the sending transform added per protected frame (frames it let through unchanged, such as DTX, aside). */
  addedBytes: number;
  /** The same averaged over every frame sent. */
  addedBytesAllFrames: number;
  /** Mean size of the frames the sender's transform took in (the encoder's output: what is encrypted). */
  sendFrameBytes: number;
}

export interface CallRun {
  round: number;
  mode: Mode;
  firstFrameMs: number;
  seconds: number;
  resolution: string;
  codec: string | undefined;
  videoFps: number;
  framesDecoded: number;
  framesDropped: number;
  /** Share of received audio samples the jitter buffer had to conceal (lost or late). */
  audioConcealed: number;
  /** Browser CPU (all processes) and the transform workers' threads, in ms of CPU per second of call. */
  browserCpuMsPerS: number;
  workerCpuMsPerS: number;
  kinds: Partial<Record<Kind, KindFigures>>;
  /** The same figures in the steady-state window (`steadyAfterMs`), when there is one. */
  steady?: Partial<Record<Kind, KindFigures>>;
  /** Largest gap between presented frames around a key rotation (Framelock) or the same moment (others). */
  rotation?: { gapMs: number; quietGapMs: number; rotated: boolean };
}

function kindFigures(samples: { send: WorkerSamples; receive: WorkerSamples }, kind: Kind): KindFigures | undefined {
  const send: StreamSamples | undefined = samples.send[`send-${kind}`];
  const receive: StreamSamples | undefined = samples.receive[`receive-${kind}`];
  if (!send && !receive) return undefined;
  const times = [...(send?.times ?? []), ...(receive?.times ?? [])];
  return {
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    sendP50: percentile(send?.times ?? [], 50),
    receiveP50: percentile(receive?.times ?? [], 50),
    frames: times.length,
    transformDropped:
      (send ? send.framesIn - send.framesOut : 0) + (receive ? receive.framesIn - receive.framesOut : 0),
    addedBytes: send && send.grown > 0 ? send.bytesAddedToGrown / send.grown : 0,
    addedBytesAllFrames: send && send.framesOut > 0 ? (send.bytesOut - send.bytesInOfOut) / send.framesOut : 0,
    sendFrameBytes: send && send.framesIn > 0 ? send.bytesIn / send.framesIn : Number.NaN,
  };
}

/**
 * The pages and workers the call bench serves. `browser` picks the build the worker is taken from: the Firefox build
 * defines `__FRAMELOCK_BROWSER__` as `"firefox"` (vite.config.ts), which the worker's code does not read today.
 */
export async function routes(browser: BenchBrowser = 'chromium'): Promise<Record<string, Route>> {
  const js = 'text/javascript';
  return {
    '/': { type: 'text/html', body: '<!doctype html><title>Framelock call bench</title><body></body>' },
    '/favicon.ico': { type: 'image/x-icon', body: '' },
    '/page.js': { type: js, body: await bundle(join(root, 'bench/call/page.ts'), 'FramelockCallBench') },
    '/hook.js': { type: js, body: await bundle(join(root, 'bench/call/hook.ts'), 'FramelockBenchHook') },
    // The worker exactly as the shipped page script carries it (same bundler, same defines).
    '/transform.js': {
      type: js,
      body: await buildWorkerSource({ ...SHIPPED_DEFINE, __FRAMELOCK_BROWSER__: JSON.stringify(browser) }),
    },
    '/framelock-worker.js': { type: js, body: "importScripts('/hook.js', '/transform.js');\n" },
    '/livekit.e2ee.worker.mjs': {
      type: js,
      body: readFileSync(join(root, 'node_modules/livekit-client/dist/livekit-client.e2ee.worker.mjs')),
    },
    // The hook first, then LiveKit's worker unchanged (imports evaluate in order; it sets self.onrtctransform).
    '/livekit-worker.mjs': { type: js, body: "import '/hook.js';\nimport '/livekit.e2ee.worker.mjs';\n" },
  };
}

type Bench = typeof import('./call/page.ts');

/** Calls one of bench/call/page.ts's exports in the page. */
export function inPage<K extends keyof Bench>(
  page: Page,
  method: K,
  ...args: Parameters<Bench[K]>
): Promise<Awaited<ReturnType<Bench[K]>>> {
  return page.evaluate(
    (name, list) =>
      (
        globalThis as unknown as { FramelockCallBench: Record<string, (...a: unknown[]) => unknown> }
      ).FramelockCallBench[name]?.(...list),
    method,
    args as unknown[],
  ) as Promise<Awaited<ReturnType<Bench[K]>>>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const URLS = { hook: '/hook.js', framelock: '/framelock-worker.js', livekit: '/livekit-worker.mjs' };

/**
 * Launches the browser a call bench runs in. Firefox: headless Firefox ESR without the extension (the bench runs the
 * worker itself, as it does in Chromium), with its own fake camera and microphone (`media.navigator.streams.fake`,
 * test/browser/firefox.ts), which capture at the size asked for.
 */
async function launchBenchBrowser(which: BenchBrowser): Promise<{ browser: Browser; close: () => Promise<void> }> {
  if (which === 'chromium') return launchChromium();
  // Imported here: the module throws at import under CI when Firefox is missing, and Chromium runs never need it.
  const { launchFirefox } = await import('../test/browser/firefox.ts');
  const session = await launchFirefox({ extensionPath: null, fakeMedia: false });
  return { browser: session.browser, close: () => session.close() };
}

export async function runCallBench(
  options: CallOptions,
  log: (line: string) => void,
): Promise<{ version: string; runs: CallRun[] }> {
  const which = options.browser ?? 'chromium';
  const { origin, server } = await serve(await routes(which));
  const { browser, close } = await launchBenchBrowser(which);
  const pid = browser.process()?.pid;
  if (pid === undefined) throw new Error('no browser process');
  const runs: CallRun[] = [];
  try {
    for (let round = 0; round < options.rounds; round++) {
      // A different order each round, so no mode always runs first (or right after the heaviest one).
      const order = MODES.map((_, i) => MODES[(i + round) % MODES.length] as Mode);
      for (const mode of order) {
        const page = await browser.newPage();
        page.on('console', (m) => log(`  [${mode}] ${m.text()}`));
        page.on('pageerror', (error) => log(`  [${mode}] page error: ${(error as Error).message}`));
        try {
          await page.goto(`${origin}/`);
          if (!(await page.evaluate(() => crossOriginIsolated))) throw new Error('bench page is not isolated');
          await page.addScriptTag({ url: '/page.js' });
          const { firstFrameMs } = await inPage(page, 'startCall', { mode, urls: URLS });
          await sleep(options.warmupMs);
          await inPage(page, 'begin');
          const cpuStart = sampleCpu(pid);
          const t0 = Date.now();
          await sleep(options.measureMs);
          const cpuEnd = sampleCpu(pid);
          const seconds = (Date.now() - t0) / 1000;
          const snapshot = await inPage(page, 'end');
          let steady: CallRun['steady'];
          if (options.steadyAfterMs !== undefined) {
            await sleep(Math.max(0, t0 + options.steadyAfterMs - options.warmupMs - Date.now()));
            await inPage(page, 'begin');
            await sleep(options.measureMs);
            const later = await inPage(page, 'end');
            steady = {};
            for (const kind of ['audio', 'video'] as const) {
              const figures = kindFigures(later.samples, kind);
              if (figures) steady[kind] = figures;
            }
          }
          const rotation = await inPage(page, 'rotate', 250, 1_000, 2_000);
          const cpu = cpuBetween(cpuStart, cpuEnd);
          const { start, end } = snapshot;
          const samples = end.audio.totalSamplesReceived - start.audio.totalSamplesReceived;
          const run: CallRun = {
            round,
            mode,
            firstFrameMs,
            seconds,
            resolution: snapshot.resolution,
            codec: snapshot.codec,
            videoFps: (end.video.framesDecoded - start.video.framesDecoded) / seconds,
            framesDecoded: end.video.framesDecoded - start.video.framesDecoded,
            framesDropped: end.video.framesDropped - start.video.framesDropped,
            audioConcealed: samples > 0 ? (end.audio.concealedSamples - start.audio.concealedSamples) / samples : 0,
            browserCpuMsPerS: cpu.browserMs / seconds,
            workerCpuMsPerS: cpu.workerMs / seconds,
            kinds: {},
            ...(steady ? { steady } : {}),
            rotation,
          };
          for (const kind of ['audio', 'video'] as const) {
            const figures = kindFigures(snapshot.samples, kind);
            if (figures) run.kinds[kind] = figures;
          }
          runs.push(run);
          const v = run.kinds.video;
          const a = run.kinds.audio;
          log(
            `  ${which === 'firefox' ? 'firefox ' : ''}round ${round + 1} ${MODE_LABEL[mode].padEnd(13)} ${run.resolution} ${run.videoFps.toFixed(1)} fps` +
              (v ? `  video p50 ${(v.p50 * 1000).toFixed(0)} µs +${v.addedBytes.toFixed(1)} B` : '') +
              (a ? `  audio p50 ${(a.p50 * 1000).toFixed(0)} µs +${a.addedBytes.toFixed(1)} B` : '') +
              `  cpu ${run.browserCpuMsPerS.toFixed(0)} ms/s (workers ${run.workerCpuMsPerS.toFixed(0)})` +
              `  first frame ${firstFrameMs.toFixed(0)} ms  rotation gap ${rotation.gapMs.toFixed(0)} ms` +
              (steady?.video && steady.audio
                ? `  steady: video p50 ${(steady.video.p50 * 1000).toFixed(0)} µs audio p50 ${(steady.audio.p50 * 1000).toFixed(0)} µs`
                : ''),
          );
        } finally {
          await inPage(page, 'hangUp').catch(() => {});
          await page.close();
        }
      }
    }
    return { version: await browser.version(), runs };
  } finally {
    await close();
    server.close();
  }
}
