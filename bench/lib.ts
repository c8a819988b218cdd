/**
 * @module What every browser benchmark needs: bundling a script for the page, serving it cross-origin isolated (for
 * 5 µs timers instead of 100 µs), launching Debian's Chromium, and reading CPU time from /proc.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { build } from 'vite';
import { BASE_CHROMIUM_ARGS, HEADLESS_CHROMIUM_ARGS } from '../test/browser/harness.ts';

/** Bundles `entry` into one classic script (IIFE) exposing its exports as `globalThis[name]`. */
export async function bundle(entry: string, name: string): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'framelock-bench-bundle-'));
  try {
    await build({
      configFile: false,
      logLevel: 'warn',
      build: {
        outDir,
        emptyOutDir: true,
        minify: false,
        lib: { entry, formats: ['iife'], name, fileName: () => 'bundle.js' },
      },
    });
    return readFileSync(join(outDir, 'bundle.js'), 'utf8');
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

export interface Route {
  type: string;
  body: string | Buffer;
}

/** Serves `routes` from loopback, every response cross-origin isolated. Resolves to the origin. */
export async function serve(routes: Record<string, Route>): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    const route = routes[(req.url ?? '/').split('?')[0] as string];
    const headers = {
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
      'cross-origin-resource-policy': 'same-origin',
      'cache-control': 'no-store',
    };
    if (route === undefined) {
      res.writeHead(404, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': route.type });
    res.end(route.body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

/**
 * Headless Chromium, in a fresh profile. With `media` (the default): fake camera and microphone (the moving test
 * picture and a beep, at 30 fps), for the call benchmarks; without, for the engine benchmarks that only compute.
 */
export async function launchChromium({ media = true }: { media?: boolean } = {}): Promise<{
  browser: Browser;
  close: () => Promise<void>;
}> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'framelock-bench-profile-'));
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    userDataDir,
    args: [
      ...(media ? [...BASE_CHROMIUM_ARGS, '--use-fake-device-for-media-stream=fps=30'] : HEADLESS_CHROMIUM_ARGS),
      ...(process.env.BENCH_EXTRA_ARGS?.split(' ').filter(Boolean) ?? []),
    ],
    protocolTimeout: 300_000,
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

const TICK_MS = 1000 / 100; // USER_HZ: /proc counts CPU time in 10 ms ticks

function readStat(path: string): { comm: string; ppid: number; cpuMs: number } | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    // comm may hold spaces and parentheses: the fields start after the last ')'.
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return { comm, ppid: Number(fields[1]), cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
  } catch {
    return undefined; // the process or thread ended meanwhile
  }
}

/** Every process below `root` (the browser), itself included. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(`/proc/${pid}/stat`);
    if (stat === undefined) continue;
    children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

export interface CpuSample {
  /** CPU time of every browser process (ms). */
  browserMs: number;
  /** CPU time of the dedicated-worker threads, where the transforms run (ms), by thread id. */
  workerThreads: Map<number, number>;
}

/** Reads CPU time used so far by the browser and by its dedicated-worker threads. */
export function sampleCpu(browserPid: number): CpuSample {
  let browserMs = 0;
  const workerThreads = new Map<number, number>();
  for (const pid of processTree(browserPid)) {
    const stat = readStat(`/proc/${pid}/stat`);
    if (stat === undefined) continue;
    browserMs += stat.cpuMs;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      const task = readStat(`/proc/${pid}/task/${tid}/stat`);
      // Chromium's dedicated workers, and Firefox's (every DOM worker thread is "DOM Worker").
      if (task?.comm.startsWith('DedicatedWorker') || task?.comm === 'DOM Worker') {
        workerThreads.set(Number(tid), task.cpuMs);
      }
    }
  }
  return { browserMs, workerThreads };
}

/** CPU used between two samples: the browser's, and the worker threads' (threads that ended count up to then). */
export function cpuBetween(a: CpuSample, b: CpuSample): { browserMs: number; workerMs: number } {
  let workerMs = 0;
  for (const [tid, ms] of b.workerThreads) workerMs += ms - (a.workerThreads.get(tid) ?? 0);
  return { browserMs: b.browserMs - a.browserMs, workerMs };
}

/** Percentile (nearest rank) of unsorted samples. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}
