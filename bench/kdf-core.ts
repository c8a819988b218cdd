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
}

export async function runKdfBench(runs: number): Promise<KdfResult> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await deriveRoomKey('https://meet.example.org', '', `bench passphrase ${i}`);
    ms.push(performance.now() - start);
  }
  const sorted = ms.slice(1).sort((a, b) => a - b);
  return { parameters: ARGON2ID, ms, median: sorted[Math.floor(sorted.length / 2)] ?? ms[0] ?? 0 };
}
