/**
 * `npm run bench:data`: what protecting the site's own data-channel messages costs (docs/frame-format.md §2.8), in
 * Chromium, side by side in one run: the same loopback page (two RTCPeerConnections, one reliable ordered channel)
 * in a browser with Framelock (the connection protected: every message sealed and opened by the bridge) and in one
 * without. For each workload, each message's one-way latency (send() to the receiving page's `message` event, one
 * clock) and the throughput of the whole burst.
 *
 *   npx tsx bench/data-channels.ts              # 5 rounds (about 2 minutes)
 *   npx tsx bench/data-channels.ts --rounds 2
 *
 * Needs a build (`npx vite build`). Writes bench/results/data-channels.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { createFakeMedia, launchExtensionParticipant, launchPlainChromium } from '../test/browser/call';
import { startTestServer } from '../test/server/test-server';
import { median } from './lib';

const option = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : (process.argv[at + 1] ?? fallback);
};
const ROUNDS = Number(option('rounds', '5'));

/** The workloads: a chat (short strings, one at a time), and a file sent as a burst of 16 KiB chunks. */
const WORKLOADS = [
  { name: 'chat: 200 strings of 100 characters, one every 5 ms', count: 200, size: 100, binary: false, gapMs: 5 },
  { name: 'file: 256 chunks of 16 KiB (4 MiB) at once', count: 256, size: 16_384, binary: true, gapMs: 0 },
] as const;
type Workload = (typeof WORKLOADS)[number];

interface Run {
  latencies: number[];
  totalMs: number;
  protectedLine: boolean;
}

/** One workload in the page: returns each message's latency and the burst's time. */
function runIn(page: Page, w: Workload): Promise<Run> {
  return page.evaluate(async (w) => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
    b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
    const out = a.createDataChannel('bench');
    const incoming = new Promise<RTCDataChannel>((resolve) => {
      b.ondatachannel = (e) => resolve(e.channel);
    });
    const offer = await a.createOffer();
    await a.setLocalDescription(offer);
    await b.setRemoteDescription(offer);
    const answer = await b.createAnswer();
    await b.setLocalDescription(answer);
    await a.setRemoteDescription(answer);
    const channel = await incoming;
    channel.binaryType = 'arraybuffer';
    await new Promise<void>((resolve) => {
      if (out.readyState === 'open') resolve();
      else out.onopen = () => resolve();
    });
    await new Promise((r) => setTimeout(r, 300)); // the answerer's confirmation, if any
    const sentAt: number[] = [];
    const latencies: number[] = [];
    const done = new Promise<void>((resolve) => {
      channel.onmessage = (e) => {
        const index = w.binary
          ? new DataView(e.data as ArrayBuffer).getUint32(0)
          : Number((e.data as string).slice(0, 8));
        latencies.push(performance.now() - (sentAt[index] as number));
        if (latencies.length === w.count) resolve();
      };
    });
    const start = performance.now();
    for (let i = 0; i < w.count; i++) {
      sentAt[i] = performance.now();
      if (w.binary) {
        const bytes = new Uint8Array(w.size);
        new DataView(bytes.buffer).setUint32(0, i);
        out.send(bytes);
      } else out.send(String(i).padStart(8, '0').padEnd(w.size, 'x'));
      if (w.gapMs > 0) await new Promise((r) => setTimeout(r, w.gapMs));
    }
    await done;
    const totalMs = performance.now() - start;
    a.close();
    b.close();
    return { latencies, totalMs, protectedLine: /^a=x-framelock:1 /m.test(offer.sdp ?? '') };
  }, w);
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};

async function main(): Promise<void> {
  const server = await startTestServer();
  const media = await createFakeMedia();
  const ext = await launchExtensionParticipant(server.url, 'correct horse battery staple bench', media);
  const plain = await launchPlainChromium();
  const url = new URL('/blank.html', server.url).href;
  const [withPage, withoutPage] = [await ext.browser.newPage(), await plain.browser.newPage()];
  await withPage.goto(url, { waitUntil: 'load' });
  await withoutPage.goto(url, { waitUntil: 'load' });
  const results: Record<string, unknown>[] = [];
  try {
    for (const w of WORKLOADS) {
      const rows = { framelock: [] as Run[], none: [] as Run[] };
      for (let round = 0; round < ROUNDS; round++) {
        // Alternated, so that the machine's noise falls on both alike.
        rows.framelock.push(await runIn(withPage, w));
        rows.none.push(await runIn(withoutPage, w));
      }
      if (!rows.framelock.every((r) => r.protectedLine) || rows.none.some((r) => r.protectedLine)) {
        throw new Error('the Framelock side must be protected and the other not');
      }
      const summary = (runs: Run[]) => {
        const all = runs.flatMap((r) => r.latencies);
        const mib = (w.count * w.size) / 2 ** 20;
        return {
          latencyP50Ms: percentile(all, 50),
          latencyP95Ms: percentile(all, 95),
          totalMsMedian: median(runs.map((r) => r.totalMs)),
          mibPerSecond: mib / (median(runs.map((r) => r.totalMs)) / 1_000),
        };
      };
      const framelock = summary(rows.framelock);
      const none = summary(rows.none);
      const row = {
        workload: w.name,
        rounds: ROUNDS,
        framelock,
        none,
        latencyP50Ratio: framelock.latencyP50Ms / none.latencyP50Ms,
        totalRatio: framelock.totalMsMedian / none.totalMsMedian,
      };
      results.push(row);
      console.log(JSON.stringify(row, null, 2));
    }
  } finally {
    await ext.close();
    await plain.close();
    await server.close();
    await media.cleanup();
  }
  const file = join(dirname(fileURLToPath(import.meta.url)), 'results', 'data-channels.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`);
  console.log(`written: ${file}`);
}

await main();
