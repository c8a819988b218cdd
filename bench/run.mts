/**
 * `npm run bench`: Framelock against no transform, a pass-through transform, a bare AES-GCM transform and LiveKit's
 * E2EE worker, side by side in one browser: a 720p loopback call per mode (per-frame time, frame rate, bytes, CPU,
 * time to first frame, the gap at a key rotation) and the receive load of a 100-participant call.
 * Writes bench/results/bench.json (every run), bench/results/latest.json (the tracked figures) and
 * bench/results/chart.svg. `--quick`: fewer and shorter rounds (under 3 minutes). `--steady`: each call measured
 * again 45 s in, its steady state (twice as long). The loopback call runs again in Firefox ESR when it is installed
 * (its per-frame cost ratios side by side with Chromium's; `--no-firefox` leaves it out). See docs/performance.md.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Mode } from './call/page.ts';
import { type CallRun, MODE_LABEL, MODES, runCallBench } from './call.bench.ts';
import { chart } from './chart.ts';
import { median } from './lib.ts';
import { runScaleBench, SCALE_MODES, type ScaleRun } from './scale.bench.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
/** `--steady`: measure each call a second time, 45 s in (its steady state); doubles the run's length. */
const steady = !quick && process.argv.includes('--steady');
const callOptions = quick
  ? { rounds: 2, warmupMs: 1_500, measureMs: 3_000 }
  : { rounds: 3, warmupMs: 2_000, measureMs: 8_000, ...(steady ? { steadyAfterMs: 45_000 } : {}) };
const scaleOptions = quick
  ? { rounds: 1, seconds: 3, audio: 99, video: 25 }
  : { rounds: 3, seconds: 8, audio: 99, video: 25 };
const log = (line: string) => console.log(line);
const started = Date.now();

console.log(`Framelock benchmark${quick ? ' (quick)' : ''}: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}`);
console.log(`\nLoopback call, 1280×720 VP8 at 30 fps + Opus, ${callOptions.rounds} interleaved rounds:`);
const call = await runCallBench(callOptions, log);
/**
 * The same loopback call in Firefox ESR (the worker of the Firefox build), for its per-frame cost ratios: skipped
 * without Firefox (FIREFOX_PATH, default /usr/bin/firefox-esr) or with `--no-firefox`.
 */
const firefoxPath = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
const withFirefox = !process.argv.includes('--no-firefox') && existsSync(firefoxPath);
let firefoxCall: Awaited<ReturnType<typeof runCallBench>> | undefined;
if (withFirefox) {
  console.log(`\nThe same loopback call in Firefox (${firefoxPath}), ${callOptions.rounds} interleaved rounds:`);
  firefoxCall = await runCallBench({ ...callOptions, browser: 'firefox' }, log);
} else {
  console.log(`\n(no Firefox run: ${existsSync(firefoxPath) ? '--no-firefox' : `no Firefox at ${firefoxPath}`})`);
}
console.log(
  `\nReceive load of a 100-participant call (${scaleOptions.audio} audio + ${scaleOptions.video} video streams):`,
);
const scale = await runScaleBench(scaleOptions, log);

type Kind = 'audio' | 'video';
const runsOf = (mode: Mode) => call.runs.filter((r) => r.mode === mode);
const med = (values: number[]) => median(values.filter((v) => Number.isFinite(v)));

/** Median over rounds of (Framelock's figure / other's figure), paired within each round. */
function pairedRatio<R extends { round: number; mode: Mode }>(
  runs: R[],
  other: Mode,
  figure: (r: R) => number,
): number {
  const ratios: number[] = [];
  for (const fl of runs.filter((r) => r.mode === 'framelock')) {
    const o = runs.find((r) => r.mode === other && r.round === fl.round);
    if (o) ratios.push(figure(fl) / figure(o));
  }
  return med(ratios);
}

const p50 = (kind: Kind) => (r: CallRun) => r.kinds[kind]?.p50 ?? Number.NaN;
const steadyP50 = (kind: Kind) => (r: CallRun) => r.steady?.[kind]?.p50 ?? Number.NaN;
/** Per-frame figures of the steady-state window (45 s into each call), by mode. */
const steadyRow = (mode: Mode) => {
  const k = (kind: Kind, key: 'p50' | 'p95' | 'p99') =>
    med(runsOf(mode).map((r) => r.steady?.[kind]?.[key] ?? Number.NaN));
  return {
    label: MODE_LABEL[mode],
    video: { p50: k('video', 'p50'), p95: k('video', 'p95'), p99: k('video', 'p99') },
    audio: { p50: k('audio', 'p50'), p95: k('audio', 'p95'), p99: k('audio', 'p99') },
  };
};
const row = (mode: Mode) => {
  const runs = runsOf(mode);
  const fig = (f: (r: CallRun) => number) => med(runs.map(f));
  const k = (kind: Kind, key: 'p50' | 'p95' | 'p99' | 'addedBytes' | 'transformDropped') =>
    fig((r) => r.kinds[kind]?.[key] ?? Number.NaN);
  return {
    mode,
    label: MODE_LABEL[mode],
    video: {
      p50: k('video', 'p50'),
      p95: k('video', 'p95'),
      p99: k('video', 'p99'),
      addedBytes: k('video', 'addedBytes'),
    },
    audio: {
      p50: k('audio', 'p50'),
      p95: k('audio', 'p95'),
      p99: k('audio', 'p99'),
      addedBytes: k('audio', 'addedBytes'),
    },
    transformDropped: fig((r) => (r.kinds.video?.transformDropped ?? 0) + (r.kinds.audio?.transformDropped ?? 0)),
    fps: fig((r) => r.videoFps),
    framesDecoded: fig((r) => r.framesDecoded),
    framesDropped: fig((r) => r.framesDropped),
    audioConcealed: fig((r) => r.audioConcealed),
    browserCpuMsPerS: fig((r) => r.browserCpuMsPerS),
    workerCpuMsPerS: fig((r) => r.workerCpuMsPerS),
    firstFrameMs: fig((r) => r.firstFrameMs),
    rotationGapMs: fig((r) => r.rotation?.gapMs ?? Number.NaN),
    quietGapMs: fig((r) => r.rotation?.quietGapMs ?? Number.NaN),
  };
};
const table = MODES.map(row);
const scaleRow = (mode: Mode) => {
  const runs = scale.runs.filter((r) => r.mode === mode);
  return {
    mode,
    label: MODE_LABEL[mode],
    cpuShare: med(runs.map((r) => r.cpuShare)),
    workerShare: med(runs.map((r) => r.workerShare)),
    fed: med(runs.map((r) => r.fed / r.seconds)),
    lost: Math.max(...runs.map((r) => r.lost.audio + r.lost.video)),
  };
};
const scaleTable = SCALE_MODES.map(scaleRow);
const framelock = row('framelock');
const none = row('none');

const latest = {
  date: new Date().toISOString(),
  quick,
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}`,
  chromium: call.version,
  ratio_vs_bare_p50_video: pairedRatio(call.runs, 'bare', p50('video')),
  ratio_vs_bare_p50_audio: pairedRatio(call.runs, 'bare', p50('audio')),
  ratio_vs_livekit_p50_video: pairedRatio(call.runs, 'livekit', p50('video')),
  ratio_vs_livekit_p50_audio: pairedRatio(call.runs, 'livekit', p50('audio')),
  overhead_audio_bytes: framelock.audio.addedBytes,
  overhead_video_bytes: framelock.video.addedBytes,
  livekit_audio_bytes: row('livekit').audio.addedBytes,
  livekit_video_bytes: row('livekit').video.addedBytes,
  scale_cpu_share_of_one_core: scaleRow('framelock').cpuShare,
  scale_cpu_ratio_vs_bare: pairedRatio(scale.runs as (ScaleRun & { mode: Mode })[], 'bare', (r) => r.cpuShare),
  scale_cpu_ratio_vs_livekit: pairedRatio(scale.runs as (ScaleRun & { mode: Mode })[], 'livekit', (r) => r.cpuShare),
  scale_cpu_share_passthrough: scaleRow('passthrough').cpuShare,
  scale_frames_lost: scaleRow('framelock').lost,
  first_frame_ms: framelock.firstFrameMs,
  first_frame_ms_baseline: none.firstFrameMs,
  rotation_gap_ms: framelock.rotationGapMs,
  rotation_gap_ms_baseline: none.rotationGapMs,
  // The per-frame ratios of the same call in Firefox, measured in the same run (absent without Firefox).
  ...(firefoxCall === undefined
    ? {}
    : {
        firefox: firefoxCall.version,
        firefox_ratio_vs_bare_p50_video: pairedRatio(firefoxCall.runs, 'bare', p50('video')),
        firefox_ratio_vs_bare_p50_audio: pairedRatio(firefoxCall.runs, 'bare', p50('audio')),
        firefox_ratio_vs_livekit_p50_video: pairedRatio(firefoxCall.runs, 'livekit', p50('video')),
        firefox_ratio_vs_livekit_p50_audio: pairedRatio(firefoxCall.runs, 'livekit', p50('audio')),
      }),
  // The same per-frame ratios 45 s into each call (full runs only): the call's steady state.
  ...(callOptions.steadyAfterMs === undefined
    ? {}
    : {
        steady_ratio_vs_bare_p50_video: pairedRatio(call.runs, 'bare', steadyP50('video')),
        steady_ratio_vs_bare_p50_audio: pairedRatio(call.runs, 'bare', steadyP50('audio')),
        steady_ratio_vs_livekit_p50_video: pairedRatio(call.runs, 'livekit', steadyP50('video')),
        steady_ratio_vs_livekit_p50_audio: pairedRatio(call.runs, 'livekit', steadyP50('audio')),
      }),
};

const us = (ms: number) => (Number.isFinite(ms) ? `${(ms * 1000).toFixed(0)}` : '–');
const num = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
console.log(
  `\nMedians over ${callOptions.rounds} rounds (per-frame time inside the transform, send and receive frames):`,
);
console.log(
  '| mode | video p50/p95/p99 µs | audio p50/p95/p99 µs | +B video | +B audio | fps | decoded | dropped | audio concealed | browser CPU ms/s | worker CPU ms/s | first frame ms | max gap at rotation ms |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of table) {
  console.log(
    `| ${r.label} | ${us(r.video.p50)} / ${us(r.video.p95)} / ${us(r.video.p99)} | ${us(r.audio.p50)} / ${us(r.audio.p95)} / ${us(r.audio.p99)} | ` +
      `${num(r.video.addedBytes, 1)} | ${num(r.audio.addedBytes, 1)} | ${num(r.fps, 1)} | ${num(r.framesDecoded)} | ${num(r.framesDropped)} | ` +
      `${num(r.audioConcealed * 100, 2)} % | ${num(r.browserCpuMsPerS)} | ${num(r.workerCpuMsPerS)} | ${num(r.firstFrameMs)} | ${num(r.rotationGapMs)} |`,
  );
}
const steadyTable = callOptions.steadyAfterMs === undefined ? [] : MODES.filter((m) => m !== 'none').map(steadyRow);
if (steadyTable.length > 0) {
  console.log(
    `\nThe same calls ${(callOptions.steadyAfterMs ?? 0) / 1000} s in (steady state), per-frame time, medians over ${callOptions.rounds} rounds:`,
  );
  console.log('| mode | video p50/p95/p99 µs | audio p50/p95/p99 µs |');
  console.log('|---|---|---|');
  for (const r of steadyTable) {
    console.log(
      `| ${r.label} | ${us(r.video.p50)} / ${us(r.video.p95)} / ${us(r.video.p99)} | ${us(r.audio.p50)} / ${us(r.audio.p95)} / ${us(r.audio.p99)} |`,
    );
  }
}
if (firefoxCall !== undefined) {
  const ff = firefoxCall;
  /** Median over `runs`' rounds of a mode's per-frame p50 (µs). */
  const p50Of = (runs: CallRun[], mode: Mode, kind: Kind) =>
    us(med(runs.filter((r) => r.mode === mode).map(p50(kind))));
  const ratio = (runs: CallRun[], other: Mode, kind: Kind) => num(pairedRatio(runs, other, p50(kind)), 2);
  console.log(
    '\nPer-frame cost in each browser (p50 µs inside the transform, medians over rounds; ratios Framelock ÷ other, paired within rounds):',
  );
  console.log(`| figure | Chromium ${call.version} | Firefox ${ff.version} |`);
  console.log('|---|---|---|');
  for (const kind of ['video', 'audio'] as const) {
    for (const mode of ['framelock', 'bare', 'livekit'] as const) {
      console.log(
        `| ${kind} p50, ${MODE_LABEL[mode]} | ${p50Of(call.runs, mode, kind)} | ${p50Of(ff.runs, mode, kind)} |`,
      );
    }
    for (const other of ['bare', 'livekit'] as const) {
      console.log(
        `| ${kind} ratio vs ${MODE_LABEL[other]} | ${ratio(call.runs, other, kind)} | ${ratio(ff.runs, other, kind)} |`,
      );
    }
  }
  const fps = (runs: CallRun[], mode: Mode) => num(med(runs.filter((r) => r.mode === mode).map((r) => r.videoFps)), 1);
  const size = (runs: CallRun[]) => runs.find((r) => r.mode === 'framelock')?.resolution ?? '–';
  const frameBytes = (runs: CallRun[]) =>
    num(med(runs.filter((r) => r.mode === 'framelock').map((r) => r.kinds.video?.sendFrameBytes ?? Number.NaN)));
  console.log(`| Framelock call: mean video frame, bytes | ${frameBytes(call.runs)} | ${frameBytes(ff.runs)} |`);
  console.log(
    `| Framelock call: resolution, fps | ${size(call.runs)}, ${fps(call.runs, 'framelock')} | ${size(ff.runs)}, ${fps(ff.runs, 'framelock')} |`,
  );
}
console.log(
  `\nScale: ${scaleOptions.audio} audio streams at 50 fps + ${scaleOptions.video} video streams at 30 fps, ${scaleOptions.seconds} s, medians over ${scaleOptions.rounds} rounds:`,
);
console.log('| mode | frames/s | browser CPU (share of one core) | worker thread | frames lost (worst round) |');
console.log('|---|---|---|---|---|');
for (const r of scaleTable) {
  console.log(
    `| ${r.label} | ${num(r.fed)} | ${num(r.cpuShare * 100, 1)} % | ${num(r.workerShare * 100, 1)} % | ${r.lost} |`,
  );
}
console.log('\nFramelock, as ratios paired within rounds (median):');
for (const [key, value] of Object.entries(latest)) {
  if (typeof value === 'number') console.log(`  ${key}: ${Number.isInteger(value) ? value : value.toFixed(3)}`);
}

const results = join(root, 'bench/results');
mkdirSync(results, { recursive: true });
writeFileSync(
  join(results, 'bench.json'),
  `${JSON.stringify({ ...latest, callOptions, scaleOptions, table, steadyTable, scaleTable, runs: call.runs, scaleRuns: scale.runs, firefoxRuns: firefoxCall?.runs }, null, 2)}\n`,
);
writeFileSync(join(results, 'latest.json'), `${JSON.stringify(latest, null, 2)}\n`);
writeFileSync(join(results, 'chart.svg'), chart(call.runs, scale.runs, latest.machine));
console.log(
  `\nwrote bench/results/{bench.json,latest.json,chart.svg} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
