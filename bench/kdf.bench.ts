/**
 * Part of `npm run bench`: how long deriving a room key takes (Argon2id with protocol v2's parameters), in Chromium
 * (where the background runs it) and in Node, and so how many passphrase guesses one core tests per second (each
 * guess is one derivation; one lane, so one derivation keeps one core busy). Where the Debian `argon2` command (the
 * reference C implementation, what an attacker with CPUs would run) is installed, it is timed too: it is the fairer
 * per-core figure for an attacker. Writes bench/results/kdf.json; docs/keys.md ("What a guess costs") quotes it.
 *
 * Env: KDF_RUNS (default 6; the first run, which compiles the WebAssembly, is left out of the median), CHROMIUM_PATH.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
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
  `median ${r.median.toFixed(0)} ms = ${(1000 / r.median).toFixed(2)} guesses/s on one core (runs: ${r.ms.map((m) => m.toFixed(0)).join(', ')} ms; the first compiles the WebAssembly)`;

/**
 * The reference C implementation (Debian's `argon2` command) with the same parameters, `runs` times, if installed,
 * under `/usr/bin/time`: wall-clock milliseconds per derivation (process start included, ~1 ms) and CPU milliseconds
 * (user + system), which hardly depend on what else shares the cores.
 */
function nativeArgon2(
  parameters: KdfResult['parameters'],
): { ms: number[]; median: number; cpuMs: number[]; cpuMedian: number } | undefined {
  const log2MemoryKiB = Math.log2(parameters.memoryKiB);
  if (!Number.isInteger(log2MemoryKiB)) return undefined;
  const args = ['-f', '%e %U %S', 'argon2', 'Framelock v2 room salt', '-id', '-t', String(parameters.iterations)];
  args.push('-m', String(log2MemoryKiB), '-p', String(parameters.parallelism), '-l', '32', '-r');
  const ms: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const run = spawnSync('/usr/bin/time', args, { input: `bench passphrase ${i}`, encoding: 'utf8' });
    if (run.status !== 0) return undefined; // argon2 or time not installed
    const [elapsed, user, system] = (run.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
    if (elapsed === undefined || user === undefined || system === undefined) return undefined;
    ms.push(elapsed * 1000);
    cpuMs.push((user + system) * 1000);
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  return { ms, median: median(ms), cpuMs, cpuMedian: median(cpuMs) };
}

const { parameters } = await runKdfBench(1);
console.log(
  `Room key derivation: Argon2id m=${parameters.memoryKiB} KiB t=${parameters.iterations} p=${parameters.parallelism}, ${runs} runs`,
);
const chromium = await inChromium();
console.log(`  ${chromium.version}: ${describe(chromium.result)}`);
const node = await runKdfBench(runs);
console.log(`  Node ${process.version}: ${describe(node)}`);
if (node.cpuMedian !== undefined) {
  console.log(
    `    CPU time: median ${node.cpuMedian.toFixed(0)} ms = ${(1000 / node.cpuMedian).toFixed(2)} guesses per core-second`,
  );
}
const native = nativeArgon2(parameters);
console.log(
  native === undefined
    ? '  argon2 (reference C): not installed (apt-get install argon2 to measure it)'
    : `  argon2 (reference C, Debian): median ${native.median.toFixed(0)} ms = ${(1000 / native.median).toFixed(2)} guesses/s on one core (runs: ${native.ms.map((m) => m.toFixed(0)).join(', ')} ms)\n` +
        `    CPU time: median ${native.cpuMedian.toFixed(0)} ms = ${(1000 / native.cpuMedian).toFixed(2)} guesses per core-second (runs: ${native.cpuMs.map((m) => m.toFixed(0)).join(', ')} ms)`,
);
const load = loadavg().map((l) => l.toFixed(1));
console.log(
  `  load average while measuring: ${load.join(' ')} (on a busy machine these are slower than the machine can do)`,
);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  join(root, 'bench/results/kdf.json'),
  `${JSON.stringify({ date: new Date().toISOString(), loadAverage: loadavg(), chromium, node: { version: process.version, result: node }, native }, null, 2)}\n`,
);
console.log('wrote bench/results/kdf.json');
