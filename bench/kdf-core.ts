/**
 * The room key derivation as shipped (`deriveRoomKey`: Argon2id with the protocol's parameters, then the HKDF
 * import), timed `runs` times. Runs in Chromium (built as an IIFE by kdf.bench.ts) and in Node.
 */
import { ARGON2ID, deriveRoomKey } from '../src/background/keys';

export interface KdfResult {
  parameters: typeof ARGON2ID;
  /** Milliseconds per derivation, in run order (the first includes compiling the WebAssembly). */
  ms: number[];
  median: number;
  /**
   * In Node only: the process's CPU time (user + system) per derivation, in milliseconds, and their median (first run
   * left out). Unlike wall-clock time it hardly depends on what else shares the cores: it is what one dedicated core
   * spends per guess.
   */
  cpuMs?: number[];
  cpuMedian?: number;
}

const medianAfterFirst = (values: number[]): number => {
  const sorted = values.slice(1).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? values[0] ?? 0;
};

export async function runKdfBench(runs: number): Promise<KdfResult> {
  const ms: number[] = [];
  const cpuMs: number[] = [];
  const cpuUsage = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process
    ?.cpuUsage;
  for (let i = 0; i < runs; i++) {
    const cpuBefore = cpuUsage?.();
    const start = performance.now();
    await deriveRoomKey('https://meet.example.org', '', `bench passphrase ${i}`);
    ms.push(performance.now() - start);
    const cpuAfter = cpuUsage?.();
    if (cpuBefore !== undefined && cpuAfter !== undefined) {
      cpuMs.push((cpuAfter.user - cpuBefore.user + cpuAfter.system - cpuBefore.system) / 1000);
    }
  }
  const result: KdfResult = { parameters: ARGON2ID, ms, median: medianAfterFirst(ms) };
  if (cpuMs.length > 0) Object.assign(result, { cpuMs, cpuMedian: medianAfterFirst(cpuMs) });
  return result;
}
