/**
 * `npm run test:soak`: a long encrypted call between two Framelock profiles, outside the default suite. It uses the
 * rotation test build, whose key epochs last 6 s (so keys rotate ten times a minute, 300 times in 30 minutes), and
 * checks every 30 s that:
 * - the remote video never froze for more than 1 s (largest gap between presented frames, `requestVideoFrameCallback`);
 * - no frame was undecryptable, and frames keep being decrypted;
 * - the transform worker's and the background's JavaScript heaps stay flat (measured after a forced GC, through
 *   DevTools): their growth from the first minute to the end stays under 10 MiB.
 * Prints a line per sample and a summary; exits 1 if any check failed. Env: SOAK_MINUTES (default 30).
 */
import type { CDPSession, Page, WebWorker } from 'puppeteer-core';
import { startDemoServer } from '../../demo/server';
import { kidEpoch } from '../../src/codecs';
import {
  callFrame,
  createFakeMedia,
  framelockTransforms,
  launchExtensionParticipant,
  startCall,
  waitForProtectedCall,
} from '../browser/call';
import { type ExtensionBrowser, ROTATION_TEST_EXTENSION_PATH } from '../browser/harness';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const SAMPLE_MS = 30_000;
const MAX_FREEZE_MS = 1_000;
const MAX_HEAP_GROWTH = 10 * 2 ** 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts recording when the remote <video> presents frames; `take()` returns the largest gap since the last take. */
async function watchFrames(page: Page): Promise<void> {
  // A string, not a function: tsx's name-keeping helper (__name) does not exist in the page.
  await callFrame(page).evaluate(`(() => {
    const video = document.querySelector('#remote');
    if (!video) throw new Error('no remote video');
    window.__soak = { last: performance.now(), maxGap: 0, frames: 0 };
    const onFrame = (now) => {
      window.__soak.maxGap = Math.max(window.__soak.maxGap, now - window.__soak.last);
      window.__soak.last = now;
      window.__soak.frames++;
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  })()`);
}

async function takeFrames(page: Page): Promise<{ maxGap: number; frames: number }> {
  return callFrame(page).evaluate(() => {
    const w = window as unknown as { __soak: { last: number; maxGap: number; frames: number } };
    // A freeze still in progress counts too.
    const maxGap = Math.max(w.__soak.maxGap, performance.now() - w.__soak.last);
    const out = { maxGap, frames: w.__soak.frames };
    w.__soak.maxGap = 0;
    w.__soak.frames = 0;
    return out;
  });
}

/** The JS heap in use after a full GC, through DevTools. */
async function heapAfterGc(session: CDPSession): Promise<number> {
  await session.send('HeapProfiler.collectGarbage');
  return (await session.send('Runtime.getHeapUsage')).usedSize;
}

function transformWorker(page: Page): WebWorker | undefined {
  // The page script names its worker 'framelock'; its URL is a blob: of the page's origin.
  return page.workers().find((w) => w.url().startsWith('blob:'));
}

interface Sample {
  minute: number;
  maxGapMs: number[];
  framesPerS: number[];
  undecryptable: number;
  decrypted: number;
  epochs: number;
  workerHeap: number[];
  backgroundHeap: number[];
}

const server = await startDemoServer();
const media = await createFakeMedia();
const launch = { extensionPath: ROTATION_TEST_EXTENSION_PATH };
const people: ExtensionBrowser[] = [];
let failed = false;
try {
  people.push(await launchExtensionParticipant(server.url, 'soak test passphrase, long enough', media, launch));
  people.push(await launchExtensionParticipant(server.url, 'soak test passphrase, long enough', media, launch));
  const pages: [Page, Page] = [
    await (people[0] as ExtensionBrowser).browser.newPage(),
    await (people[1] as ExtensionBrowser).browser.newPage(),
  ];
  const call = await startCall({ browsers: pages, url: server.url });
  await waitForProtectedCall(people, call.room);
  for (const page of pages) await watchFrames(page);
  console.log(`soak: ${MINUTES} min encrypted call, key epochs of 6 s, a sample every ${SAMPLE_MS / 1000} s`);
  const started = Date.now();
  const samples: Sample[] = [];
  const epochsSeen = new Set<number>();
  let lastDecrypted = 0;
  while (Date.now() - started < MINUTES * 60_000) {
    await sleep(SAMPLE_MS);
    const frames = await Promise.all(pages.map(takeFrames));
    const stats = (await Promise.all(people.map((p) => framelockTransforms(p, call.room)))).flat();
    const receivers = stats.filter((s) => s.side === 'receive');
    for (const s of receivers) for (const k of s.byKid ?? []) epochsSeen.add(kidEpoch(BigInt(k.kid)));
    const decrypted = receivers.reduce((n, s) => n + s.protected, 0);
    const workerHeap: number[] = [];
    for (const page of pages) {
      const worker = transformWorker(page);
      workerHeap.push(worker ? await heapAfterGc(worker.client) : Number.NaN);
    }
    const backgroundHeap: number[] = [];
    for (const person of people) backgroundHeap.push(await heapAfterGc((await person.getServiceWorker()).client));
    const sample: Sample = {
      minute: (Date.now() - started) / 60_000,
      maxGapMs: frames.map((f) => f.maxGap),
      framesPerS: frames.map((f) => f.frames / (SAMPLE_MS / 1000)),
      undecryptable: receivers.reduce((n, s) => n + s.undecryptable, 0),
      decrypted: decrypted - lastDecrypted,
      epochs: epochsSeen.size,
      workerHeap,
      backgroundHeap,
    };
    lastDecrypted = decrypted;
    samples.push(sample);
    const mib = (n: number) => (n / 2 ** 20).toFixed(1);
    console.log(
      `  ${sample.minute.toFixed(1)} min: largest freeze ${sample.maxGapMs.map((g) => g.toFixed(0)).join(' / ')} ms, ` +
        `${sample.framesPerS.map((f) => f.toFixed(1)).join(' / ')} fps, ${sample.decrypted} frames decrypted, ` +
        `${sample.undecryptable} undecryptable; heap: workers ${sample.workerHeap.map(mib).join(' / ')} MiB, ` +
        `backgrounds ${sample.backgroundHeap.map(mib).join(' / ')} MiB`,
    );
    const problems: string[] = [];
    if (sample.maxGapMs.some((g) => g > MAX_FREEZE_MS)) problems.push('a freeze over 1 s');
    if (sample.undecryptable > 0) problems.push('undecryptable frames');
    if (sample.decrypted === 0) problems.push('nothing decrypted');
    if (problems.length > 0) {
      failed = true;
      console.log(`  FAILED: ${problems.join(', ')}`);
    }
  }
  // Heap: from the first sample after one minute (code and caches warm) to the last.
  const base = samples.find((s) => s.minute >= 1) ?? samples[0];
  const last = samples.at(-1);
  if (base && last) {
    const growth = [
      ...last.workerHeap.map((h, i) => h - (base.workerHeap[i] ?? h)),
      ...last.backgroundHeap.map((h, i) => h - (base.backgroundHeap[i] ?? h)),
    ];
    const worst = Math.max(...samples.flatMap((s) => s.maxGapMs));
    console.log(
      `summary: ${samples.length} samples over ${last.minute.toFixed(1)} min, ${epochsSeen.size} distinct epoch bits seen ` +
        `(${Math.round((last.minute * 60_000) / 6_000)} rotations), largest freeze ${worst.toFixed(0)} ms, ` +
        `heap growth since minute ${base.minute.toFixed(1)}: workers ${growth
          .slice(0, 2)
          .map((g) => (g / 2 ** 20).toFixed(2))
          .join(' / ')} MiB, ` +
        `backgrounds ${growth
          .slice(2)
          .map((g) => (g / 2 ** 20).toFixed(2))
          .join(' / ')} MiB`,
    );
    if (growth.some((g) => !(g < MAX_HEAP_GROWTH))) {
      failed = true;
      console.log(`FAILED: a heap grew by ${MAX_HEAP_GROWTH / 2 ** 20} MiB or more`);
    }
  }
  await call.hangUp();
} catch (error) {
  failed = true;
  console.error('soak: failed to run:', error);
} finally {
  await Promise.all(people.map((p) => p.close()));
  await server.close();
  await media.cleanup();
}
console.log(failed ? 'soak: FAILED' : 'soak: passed');
process.exit(failed ? 1 : 0);
