/**
 * `npm run bench`: the SFrame engine's per-frame cost, in Chromium (the realm Framelock runs in) and in Node, next to
 * a bare crypto.subtle AES-GCM call on the same bytes measured in the same run. Writes bench/results/sframe.json.
 *
 * Env: BENCH_FRAMES (frames per mode per round, default 300), BENCH_ROUNDS (default 5), CHROMIUM_PATH.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer';
import { build } from 'vite';
import { HEADLESS_CHROMIUM_ARGS } from '../test/browser/harness.ts';
import { type BenchOptions, formatTable, type ModeResult, runSFrameBench } from './sframe-core.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const options: BenchOptions = {
  frames: Number(process.env.BENCH_FRAMES ?? 300),
  rounds: Number(process.env.BENCH_ROUNDS ?? 5),
  sizes: [
    { label: 'audio 100 B', bytes: 100, kind: 'audio' },
    { label: 'video 2 KB', bytes: 2_000, kind: 'video' },
    { label: 'video 40 KB', bytes: 40_000, kind: 'video' },
  ],
};

async function inChromium(): Promise<{ version: string; results: ModeResult[] }> {
  const outDir = mkdtempSync(join(tmpdir(), 'framelock-bench-'));
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      minify: false,
      lib: {
        entry: join(root, 'bench/sframe-core.ts'),
        formats: ['iife'],
        name: 'FramelockBench',
        fileName: () => 'bench.js',
      },
    },
  });
  const script = readFileSync(join(outDir, 'bench.js'), 'utf8');
  // WebCrypto needs a secure context: serve a blank page from loopback. Cross-origin isolation raises
  // performance.now() resolution from 100 µs to 5 µs, which per-frame timing needs.
  const server = createServer((_, res) => {
    res.writeHead(200, {
      'content-type': 'text/html',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
    res.end('<!doctype html><title>Framelock bench</title>');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  const userDataDir = mkdtempSync(join(tmpdir(), 'framelock-bench-profile-'));
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    userDataDir,
    args: [...HEADLESS_CHROMIUM_ARGS],
  });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => console.log(`  [chromium] ${m.text()}`));
    await page.goto(`http://127.0.0.1:${port}/`);
    if (!(await page.evaluate(() => crossOriginIsolated))) throw new Error('bench page is not cross-origin isolated');
    await page.addScriptTag({ content: script });
    const results = (await page.evaluate(
      (opts) =>
        (
          globalThis as unknown as { FramelockBench: { runSFrameBench: typeof runSFrameBench } }
        ).FramelockBench.runSFrameBench(opts, (l) => console.log(l)),
      options,
    )) as ModeResult[];
    return { version: await browser.version(), results };
  } finally {
    await browser.close();
    server.close();
    rmSync(userDataDir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  }
}

console.log(
  `SFrame engine benchmark: ${options.frames} frames × ${options.rounds} interleaved rounds per mode and size\n`,
);
console.log('Chromium (WebCrypto on BoringSSL, the realm Framelock runs in):');
const chromium = await inChromium();
console.log(`${chromium.version}\n${formatTable(chromium.results)}\n`);
console.log(`Node ${process.version} (WebCrypto on OpenSSL):`);
const node = await runSFrameBench(options, (l) => console.log(l));
console.log(`${formatTable(node)}\n`);
console.log(
  'p50/p99 = percentiles of per-frame time, each sample a batch of 10 frames back to back (timer resolution).',
);
console.log('× bare = p50 of the mode / p50 of a bare crypto.subtle AES-GCM call on the same bytes, same run.');
console.log('× b+cp = the same against the bare call plus one copy of its result (the floor for any framing).');
console.log('+bytes = bytes added per frame (SFrame: header with a 2-byte CTR + tag; bare: 12-byte IV + 16-byte tag).');

mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  join(root, 'bench/results/sframe.json'),
  `${JSON.stringify({ date: new Date().toISOString(), options, chromium, node: { version: process.version, results: node } }, null, 2)}\n`,
);
console.log('\nwrote bench/results/sframe.json');
