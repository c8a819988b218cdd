/**
 * Part of `npm run bench`: how long deriving a room key takes (Argon2id with protocol v2's parameters), in Chromium
 * (where the background runs it) and in Node. Writes bench/results/kdf.json.
 *
 * Env: KDF_RUNS (default 6; the first run, which compiles the WebAssembly, is left out of the median), CHROMIUM_PATH.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer';
import { build } from 'vite';
import { HEADLESS_CHROMIUM_ARGS } from '../test/browser/harness.ts';
import { type KdfResult, runKdfBench } from './kdf-core.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.KDF_RUNS ?? 6);

async function inChromium(): Promise<{ version: string; result: KdfResult }> {
  const outDir = mkdtempSync(join(tmpdir(), 'framelock-kdf-'));
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      lib: {
        entry: join(root, 'bench/kdf-core.ts'),
        formats: ['iife'],
        name: 'FramelockKdf',
        fileName: () => 'kdf.js',
      },
    },
  });
  const script = readFileSync(join(outDir, 'kdf.js'), 'utf8');
  const server = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>Framelock KDF bench</title>');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  const userDataDir = mkdtempSync(join(tmpdir(), 'framelock-kdf-profile-'));
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    userDataDir,
    args: [...HEADLESS_CHROMIUM_ARGS],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.addScriptTag({ content: script });
    const result = (await page.evaluate(
      (n) =>
        (globalThis as unknown as { FramelockKdf: { runKdfBench: typeof runKdfBench } }).FramelockKdf.runKdfBench(n),
      runs,
    )) as KdfResult;
    return { version: await browser.version(), result };
  } finally {
    await browser.close();
    server.close();
    rmSync(userDataDir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
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
