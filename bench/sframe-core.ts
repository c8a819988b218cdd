/**
 * SFrame engine micro-benchmark, runnable in any realm with WebCrypto (Node, Chromium). Measures per-frame encrypt
 * and decrypt time of each RFC 9605 suite and of Framelock's protect/unprotect, next to a bare crypto.subtle
 * AES-GCM call on the same bytes, in interleaved rounds so that machine noise hits every mode alike.
 */
import { type Framing, h264, makeKid, opus, protectFrame, SUITE_FOR_KIND, unprotectFrame, vp8 } from '../src/codecs';
import { SFrameContext } from '../src/sframe';

export interface BenchOptions {
  /** Frames per mode per round. */
  frames: number;
  rounds: number;
  sizes: { label: string; bytes: number; kind: 'audio' | 'video' }[];
}

export interface ModeResult {
  size: string;
  bytes: number;
  mode: string;
  op: 'encrypt' | 'decrypt';
  /** Median per-frame time, milliseconds. */
  p50: number;
  p99: number;
  mean: number;
  /** p50 of this mode over p50 of the bare AES-GCM call of the same op and size. */
  ratio: number;
  /** p50 of this mode over p50 of the bare call plus one copy of the frame (the floor for any framing). */
  ratioToCopy: number;
  added: number;
}

/** Frames timed together per sample. */
export const BATCH = 10;

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

function vp8Like(bytes: number, seed: number): Uint8Array<ArrayBuffer> {
  const frame = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) frame[i] = (i * 131 + seed * 7) & 0xff;
  frame[0] = (frame[0] ?? 0) | 0x01; // VP8 delta frame: 3 clear bytes
  return frame;
}

interface Mode {
  name: string;
  /** Only for frames of this kind (Framelock's own modes); undefined for all sizes. */
  kind?: 'audio' | 'video';
  op: 'encrypt' | 'decrypt';
  /** Prepares `count` inputs, then returns one async step per input and the bytes it adds. */
  prepare(bytes: number, count: number): Promise<{ steps: (() => Promise<unknown>)[]; added: number }>;
}

const KEY = new Uint8Array(16).map((_, i) => i + 1);
const METADATA = new Uint8Array(3);

async function bareGcmKey(): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', KEY, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/**
 * One crypto.subtle AES-GCM call per frame, 12-byte IV, no AAD. With `copy`, the result is also copied once into a
 * buffer 10 bytes larger, as any framing that keeps bytes in clear or adds a header must do (WebCrypto always returns
 * a fresh buffer): the practical floor for SFrame, whose header must precede or follow the ciphertext.
 */
function bareGcm(op: 'encrypt' | 'decrypt', copy = false): Mode {
  const framed = async (result: Promise<ArrayBuffer>) => {
    const bytes = new Uint8Array(await result);
    if (!copy) return bytes;
    const out = new Uint8Array(bytes.length + 10);
    out.set(bytes, 5);
    return out;
  };
  return {
    name: copy ? 'bare AES-GCM + 1 copy' : 'bare AES-GCM',
    op,
    async prepare(bytes, count) {
      const key = await bareGcmKey();
      const iv = () => crypto.getRandomValues(new Uint8Array(12));
      if (op === 'encrypt') {
        const frame = vp8Like(bytes, 1);
        return {
          steps: Array.from(
            { length: count },
            () => () => framed(crypto.subtle.encrypt({ name: 'AES-GCM', iv: iv() }, key, frame)),
          ),
          added: 28,
        };
      }
      const inputs = await Promise.all(
        Array.from({ length: count }, async () => {
          const nonce = iv();
          return { nonce, sealed: await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce }, key, vp8Like(bytes, 1)) };
        }),
      );
      return {
        steps: inputs.map(
          ({ nonce, sealed }) =>
            () =>
              crypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce }, key, sealed),
        ),
        added: 28,
      };
    },
  };
}

function sframeSuite(suite: number, op: 'encrypt' | 'decrypt'): Mode {
  const kid = makeKid(1, 0x123456789abcn);
  return {
    name: `SFrame suite ${suite}`,
    op,
    async prepare(bytes, count) {
      const sender = new SFrameContext(suite);
      await sender.addKey(kid, KEY);
      const frame = vp8Like(bytes, 2);
      // Start the counter where a call is after a minute or so, so headers have their usual 2-byte CTR.
      await sender.encrypt(kid, METADATA, frame, { ctr: 1000n });
      if (op === 'encrypt') {
        const probe = await sender.encrypt(kid, METADATA, frame);
        return {
          steps: Array.from({ length: count }, () => () => sender.encrypt(kid, METADATA, frame)),
          added: probe.length - bytes,
        };
      }
      const receiver = new SFrameContext(suite);
      await receiver.addKey(kid, KEY);
      const sealed: Uint8Array[] = [];
      for (let i = 0; i < count; i++) sealed.push(await sender.encrypt(kid, METADATA, frame));
      return { steps: sealed.map((s) => () => receiver.decrypt(METADATA, s)), added: (sealed[0]?.length ?? 0) - bytes };
    },
  };
}

/** A one-slice H.264 frame as WebRTC's encoder writes it: start code, NAL header (non-IDR slice), slice data. */
function h264Like(bytes: number, seed: number): Uint8Array<ArrayBuffer> {
  const frame = vp8Like(bytes, seed);
  frame.set([0, 0, 0, 1, 0x41, 0x9a, 0x24], 0);
  for (let i = 7; i < bytes; i++) if (frame[i] === 0) frame[i] = 1; // valid payloads hold no 00 00 0x runs
  return frame;
}

function framelock(name: string, f: Framing, op: 'encrypt' | 'decrypt'): Mode {
  const kid = makeKid(1, 0x123456789abcn);
  const kind = f.kind;
  const makeFrame = f === h264 ? h264Like : vp8Like;
  return {
    name: `Framelock ${name} (suite ${SUITE_FOR_KIND[kind]})`,
    kind,
    op,
    async prepare(bytes, count) {
      const suite = SUITE_FOR_KIND[kind];
      const sender = new SFrameContext(suite);
      await sender.addKey(kid, KEY);
      await sender.encrypt(kid, METADATA, new Uint8Array(1), { ctr: 1000n });
      const frame = makeFrame(bytes, 3);
      if (op === 'encrypt') {
        const probe = await protectFrame(sender, kid, f, frame);
        return {
          steps: Array.from({ length: count }, () => () => protectFrame(sender, kid, f, frame)),
          added: probe.frame.length - bytes,
        };
      }
      const receiver = new SFrameContext(suite);
      await receiver.addKey(kid, KEY);
      const wire: Uint8Array[] = [];
      for (let i = 0; i < count; i++) wire.push((await protectFrame(sender, kid, f, frame)).frame);
      return {
        steps: wire.map((w) => async () => {
          const r = await unprotectFrame(receiver, f, w);
          if (r.status !== 'decrypted') throw new Error(`bench: frame did not decrypt (${r.status})`);
        }),
        added: (wire[0]?.length ?? 0) - bytes,
      };
    },
  };
}

export function modes(): Mode[] {
  const list: Mode[] = [];
  for (const op of ['encrypt', 'decrypt'] as const) {
    list.push(bareGcm(op), bareGcm(op, true));
    for (const suite of [1, 2, 3, 4, 5]) list.push(sframeSuite(suite, op));
    list.push(framelock('VP8', vp8, op), framelock('H.264', h264, op), framelock('Opus', opus, op));
  }
  return list;
}

export async function runSFrameBench(
  options: BenchOptions,
  log: (line: string) => void = () => {},
): Promise<ModeResult[]> {
  const results: ModeResult[] = [];
  for (const size of options.sizes) {
    const all = modes().filter((m) => m.kind === undefined || m.kind === size.kind);
    const samples = new Map<Mode, number[]>(all.map((m) => [m, []]));
    const added = new Map<Mode, number>();
    for (let round = 0; round < options.rounds; round++) {
      // Interleave: every mode runs once per round, in a rotating order.
      const order = all.map((_, i) => all[(i + round) % all.length] as Mode);
      for (const mode of order) {
        const { steps, added: bytesAdded } = await mode.prepare(size.bytes, options.frames);
        added.set(mode, bytesAdded);
        const times = samples.get(mode) as number[];
        // Time batches of BATCH frames back to back: a single frame (5-40 µs) is too close to the browser's 5 µs
        // timer resolution. Each sample is a batch's time per frame.
        for (let i = 0; i + BATCH <= steps.length; i += BATCH) {
          const t0 = performance.now();
          for (let j = i; j < i + BATCH; j++) await (steps[j] as () => Promise<unknown>)();
          times.push((performance.now() - t0) / BATCH);
        }
      }
      log(`  ${size.label}: round ${round + 1}/${options.rounds} done`);
    }
    for (const op of ['encrypt', 'decrypt'] as const) {
      const p50Of = (name: string) =>
        quantile(
          [...(samples.get(all.find((m) => m.name === name && m.op === op) as Mode) as number[])].sort((a, b) => a - b),
          0.5,
        );
      const baseP50 = p50Of('bare AES-GCM');
      const copyP50 = p50Of('bare AES-GCM + 1 copy');
      for (const mode of all.filter((m) => m.op === op)) {
        const sorted = [...(samples.get(mode) as number[])].sort((a, b) => a - b);
        const p50 = quantile(sorted, 0.5);
        results.push({
          size: size.label,
          bytes: size.bytes,
          mode: mode.name,
          op,
          p50,
          p99: quantile(sorted, 0.99),
          mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
          ratio: p50 / baseP50,
          ratioToCopy: p50 / copyP50,
          added: added.get(mode) ?? 0,
        });
      }
    }
  }
  return results;
}

export function formatTable(results: ModeResult[]): string {
  const us = (ms: number) => (ms * 1000).toFixed(1).padStart(8);
  const lines = [
    `${'size'.padEnd(14)} ${'op'.padEnd(8)} ${'mode'.padEnd(26)} ${'p50 µs'.padStart(8)} ${'p99 µs'.padStart(8)} ${'× bare'.padStart(7)} ${'× b+cp'.padStart(7)} ${'+bytes'.padStart(6)}`,
  ];
  for (const r of results) {
    lines.push(
      `${r.size.padEnd(14)} ${r.op.padEnd(8)} ${r.mode.padEnd(26)} ${us(r.p50)} ${us(r.p99)} ${r.ratio.toFixed(2).padStart(7)} ${r.ratioToCopy.toFixed(2).padStart(7)} ${String(r.added).padStart(6)}`,
    );
  }
  return lines.join('\n');
}
