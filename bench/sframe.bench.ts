/**
 * `npm run bench`: the SFrame engine's per-frame cost, in Chromium (the realm Framelock runs in) and in Node, next to
 * a bare crypto.subtle AES-GCM call on the same bytes measured in the same run. Writes bench/results/sframe.json.
 *
 * Env: BENCH_FRAMES (frames per mode per round, default 300), BENCH_ROUNDS (default 5), CHROMIUM_PATH.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle, launchChromium, serve } from './lib.ts';
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
  const script = await bundle(join(root, 'bench/sframe-core.ts'), 'FramelockBench');
  // WebCrypto needs a secure context: a blank page from loopback. Cross-origin isolation (serve() sets it) raises
  // performance.now() resolution from 100 µs to 5 µs, which per-frame timing needs.
  const { origin, server } = await serve({
    '/': { type: 'text/html', body: '<!doctype html><title>Framelock bench</title>' },
  });
  const { browser, close } = await launchChromium({ media: false });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => console.log(`  [chromium] ${m.text()}`));
    await page.goto(`${origin}/`);
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
    await close();
    server.close();
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
