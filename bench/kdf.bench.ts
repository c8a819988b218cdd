/**
 * Part of `npm run bench`: how long deriving a room key takes (Argon2id with protocol v2's parameters), in Chromium
 * (where the background runs it) and in Node. Writes bench/results/kdf.json.
 *
 * Env: KDF_RUNS (default 6; the first run, which compiles the WebAssembly, is left out of the median), CHROMIUM_PATH.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type KdfResult, runKdfBench } from './kdf-core.ts';
import { bundle, launchChromium, serve } from './lib.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.KDF_RUNS ?? 6);

async function inChromium(): Promise<{ version: string; result: KdfResult }> {
  const script = await bundle(join(root, 'bench/kdf-core.ts'), 'FramelockKdf');
  const { origin, server } = await serve({
    '/': { type: 'text/html', body: '<!doctype html><title>Framelock KDF bench</title>' },
  });
  const { browser, close } = await launchChromium({ media: false });
  try {
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    await page.addScriptTag({ content: script });
    const result = (await page.evaluate(
      (n) =>
        (globalThis as unknown as { FramelockKdf: { runKdfBench: typeof runKdfBench } }).FramelockKdf.runKdfBench(n),
      runs,
    )) as KdfResult;
    return { version: await browser.version(), result };
  } finally {
    await close();
    server.close();
  }
}

const describe = (r: KdfResult) =>
  `median ${r.median.toFixed(0)} ms (runs: ${r.ms.map((m) => m.toFixed(0)).join(', ')} ms; the first compiles the WebAssembly)`;

const { parameters } = await runKdfBench(1);
console.log(
  `Room key derivation: Argon2id m=${parameters.memoryKiB} KiB t=${parameters.iterations} p=${parameters.parallelism}, ${runs} runs`,
);
const chromium = await inChromium();
console.log(`  ${chromium.version}: ${describe(chromium.result)}`);
const node = await runKdfBench(runs);
console.log(`  Node ${process.version}: ${describe(node)}`);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  join(root, 'bench/results/kdf.json'),
  `${JSON.stringify({ date: new Date().toISOString(), chromium, node: { version: process.version, result: node } }, null, 2)}\n`,
);
console.log('wrote bench/results/kdf.json');
