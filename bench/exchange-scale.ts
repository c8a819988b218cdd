/**
 * `npm run bench:exchange`: the key exchange (docs/keys.md) at 2, 10, 50 and 100 participants, without
 * browsers: real calls, outboxes and inboxes in a simulated SFU call (bench/exchange/sim.ts). For each size:
 *
 * 1. A join: N-1 in a settled call, one joins; until everyone sends under a generation made for everyone else and
 *    holds everyone's current key: the simulated time, the frames that carried chunks and the control bytes sent.
 * 2. A leave: one leaves (silently, as a closed page); the same until the others are re-keyed without it.
 * 3. The steady state (N = 2, 10, 100): control bytes per frame over 5 simulated minutes, hellos and the periodic
 *    re-key.
 * 4. CPU: wall clock and CPU time (`process.cpuUsage`) of one call's tick that makes a generation and its wraps, and
 *    of its receives that unwrap the members' keys after a join.
 *
 *   npx tsx bench/exchange-scale.ts                      # everything (about 10 minutes)
 *   npx tsx bench/exchange-scale.ts --sizes 2,10 --runs 2 --steady 2
 *
 * Writes bench/results/exchange-scale.json. See docs/performance.md, "The key exchange at 100 participants".
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REKEY_INTERVAL_MS } from '../src/content/exchange/constants';
import { type MessageClass, type Meter, prng, type ReceiveCost, Sim, type SimParticipant } from './exchange/sim';
import { median } from './lib';

const option = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : (process.argv[at + 1] ?? fallback);
};
const numbers = (text: string): number[] => text.split(',').filter(Boolean).map(Number);
const SIZES = numbers(option('sizes', '2,10,50,100'));
const STEADY_SIZES = new Set(numbers(option('steady', '2,10,100')));
/** Joins and leaves per size (medians over them). */
const RUNS = Number(option('runs', '5'));
/** Settling after each join or leave: past the old keys' grace (OLD_KEY_GRACE_MS), every late frame arrived. */
const SETTLE_MS = 4_000;
/** The steady state is measured from this long after the join it follows, over one re-key interval (5 minutes). */
const STEADY_LEAD_MS = 30_000;
const STEADY_MS = REKEY_INTERVAL_MS;
/** Members whose receives are timed at each join (besides the newcomer): the median is over all of them. */
const WATCHED_MEMBERS = 4;
/** A join or a leave that takes longer than this has failed (someone never got a key). */
const TIMEOUT_MS = 60_000;

interface PerStream {
  total: number;
  median: number;
  max: number;
}

interface Burst {
  /** Simulated ms until settled (everyone keyed, for the generations made for the members of now). */
  ms: number | undefined;
  /** Frames that carried a chunk: in all, and per sending stream of each kind. */
  chunkFrames: { total: number; audio: PerStream; video: PerStream };
  /** Control region bytes sent (payload + 4 per chunk), by message class. */
  bytes: { total: number } & Record<MessageClass, number>;
  messages: Record<MessageClass, number>;
  generations: number;
  undecryptable: number;
  maxQueued: number;
  /** The settling time after it: generations made and bytes sent there (a second round would show here). */
  after: { generations: number; undecryptable: number } & Record<MessageClass, number>;
}

interface JoinRun extends Burst {
  newcomerHearsAllMs: number | undefined;
  allHearNewcomerMs: number | undefined;
}

interface LeaveRun extends Burst {
  firstGenerationMs: number | undefined;
}

interface Cost {
  wallMs: number;
  cpuMs: number;
}

interface SizeResult {
  n: number;
  /** N-1 starting together (a call's start, everyone reloading): the call the joins and leaves start from. */
  formation: Burst | undefined;
  joins: JoinRun[];
  leaves: LeaveRun[];
  steady?: Steady;
  cpu: {
    /** A member's re-key after a join: a generation, N-1 wraps (one of them to a newcomer: one new KEK). */
    memberRekey: Cost[];
    /** The newcomer's first re-key: a generation and N-1 wraps, each under a KEK derived then (X25519 + HKDF). */
    newcomerRekey: Cost[];
    /** A periodic re-key in the steady state (every KEK at hand). */
    periodicRekey: Cost[];
    /** A tick with nothing to do (hellos aside). */
    idleTick: Cost[];
    /** A member's receives during a join that unwrapped a key (the N-1 re-keys), and all its receives (a few members each). */
    memberReceive: ReceiveCost[];
    /** The newcomer's, the same (its first messages from each member admit it: X25519 then). */
    newcomerReceive: ReceiveCost[];
  };
  counts: { refused: number; failed: number; droppedByOutbox: number; clockSkews: number };
}

interface Steady {
  seconds: number;
  frames: { audio: number; video: number };
  regionBytes: { audio: number; video: number };
  bytesPerFrame: { all: number; audio: number; video: number };
  bytes: Record<MessageClass, number>;
  messages: Record<MessageClass, number>;
  generations: number;
  undecryptable: number;
  /** One-second steps at whose end some participant lacked another's current key. */
  unkeyedSteps: number;
  maxQueued: number;
}

const classes = (): Record<MessageClass, number> => ({ hello: 0, rekey: 0, resend: 0 });

function perStream(meter: Meter, kind: 'audio' | 'video'): PerStream {
  const counts = [...meter.streamChunks.values()].filter((s) => s.kind === kind).map((s) => s.chunks);
  return {
    total: counts.reduce((a, b) => a + b, 0),
    median: median(counts),
    max: Math.max(0, ...counts),
  };
}

function messagesByClass(meter: Meter): Record<MessageClass, number> {
  const out = classes();
  for (const message of meter.byMessage.keys()) out[message.cls ?? 'hello']++;
  return out;
}

function burst(meter: Meter, ms: number | undefined, after: Meter): Burst {
  const bytes = meter.bytesByClass();
  const audio = perStream(meter, 'audio');
  const video = perStream(meter, 'video');
  return {
    ms,
    chunkFrames: { total: audio.total + video.total, audio, video },
    bytes: { total: bytes.hello + bytes.rekey + bytes.resend, ...bytes },
    messages: messagesByClass(meter),
    generations: meter.generations,
    undecryptable: meter.undecryptable,
    maxQueued: meter.maxQueued,
    after: { generations: after.generations, undecryptable: after.undecryptable, ...after.bytesByClass() },
  };
}

/** Lets the call settle (uncounted but for what it would reveal: another round of re-keys, late frames). */
async function settle(sim: Sim): Promise<Meter> {
  const meter = sim.startMeter();
  await sim.advance(SETTLE_MS);
  sim.stopMeter();
  return meter;
}

async function measureJoin(sim: Sim, name: string, result: SizeResult): Promise<SimParticipant> {
  const old = sim.online;
  const members = old.slice(0, WATCHED_MEMBERS);
  const meter = sim.startMeter();
  const newcomer = await sim.join(name);
  sim.watched.clear();
  for (const p of [newcomer, ...members]) sim.watched.add(p);
  let newcomerHearsAllMs: number | undefined;
  let allHearNewcomerMs: number | undefined;
  const ms = await sim.until(() => {
    const elapsed = sim.now - meter.start;
    if (newcomerHearsAllMs === undefined && old.every((m) => sim.hears(newcomer, m))) newcomerHearsAllMs = elapsed;
    if (
      allHearNewcomerMs === undefined &&
      newcomer.call.sendingGeneration > 0 &&
      old.every((m) => sim.hears(m, newcomer))
    ) {
      allHearNewcomerMs = elapsed;
    }
    return sim.settled();
  }, TIMEOUT_MS);
  sim.stopMeter();
  sim.watched.clear();
  const after = await settle(sim);
  await sim.readSent();
  result.joins.push({ ...burst(meter, ms, after), newcomerHearsAllMs, allHearNewcomerMs });
  for (const tick of meter.rekeyTicks) {
    (tick.name === newcomer.name ? result.cpu.newcomerRekey : result.cpu.memberRekey).push(tick);
  }
  result.cpu.idleTick.push(...meter.idleTicks);
  const newcomerCost = meter.receives.get(newcomer);
  if (newcomerCost !== undefined) result.cpu.newcomerReceive.push(newcomerCost);
  for (const member of members) {
    const cost = meter.receives.get(member);
    if (cost !== undefined) result.cpu.memberReceive.push(cost);
  }
  return newcomer;
}

async function measureLeave(sim: Sim, leaver: SimParticipant, result: SizeResult): Promise<void> {
  const meter = sim.startMeter();
  sim.leave(leaver);
  const ms = await sim.until(() => sim.settled(), TIMEOUT_MS);
  sim.stopMeter();
  const after = await settle(sim);
  await sim.readSent();
  const firstGenerationMs = meter.firstGenerationAt === undefined ? undefined : meter.firstGenerationAt - meter.start;
  result.leaves.push({ ...burst(meter, ms, after), firstGenerationMs });
}

async function measureSteady(sim: Sim, result: SizeResult): Promise<Steady> {
  await sim.advance(STEADY_LEAD_MS);
  const meter = sim.startMeter();
  let unkeyedSteps = 0;
  for (let t = 0; t < STEADY_MS; t += 1_000) {
    await sim.advance(1_000);
    if (!sim.allKeyed()) unkeyedSteps++;
  }
  sim.stopMeter();
  await sim.readSent();
  result.cpu.periodicRekey.push(...meter.rekeyTicks);
  const bytes = meter.bytesByClass();
  const { frames, regionBytes } = meter;
  return {
    seconds: STEADY_MS / 1000,
    frames: { ...frames },
    regionBytes: { ...regionBytes },
    bytesPerFrame: {
      all: (regionBytes.audio + regionBytes.video) / (frames.audio + frames.video),
      audio: regionBytes.audio / frames.audio,
      video: regionBytes.video / frames.video,
    },
    bytes,
    messages: messagesByClass(meter),
    generations: meter.generations,
    undecryptable: meter.undecryptable,
    unkeyedSteps,
    maxQueued: meter.maxQueued,
  };
}

async function runSize(n: number): Promise<SizeResult> {
  const started = performance.now();
  const sim = await Sim.create(n);
  const pick = prng(1_000 + n);
  const result: SizeResult = {
    n,
    formation: undefined,
    joins: [],
    leaves: [],
    cpu: {
      memberRekey: [],
      newcomerRekey: [],
      periodicRekey: [],
      idleTick: [],
      memberReceive: [],
      newcomerReceive: [],
    },
    counts: { refused: 0, failed: 0, droppedByOutbox: 0, clockSkews: 0 },
  };
  // N-1 start together; the call they form is the settled call a newcomer joins.
  for (let i = 0; i < n - 1; i++) await sim.join(`P${i}`);
  if (n > 2) {
    const meter = sim.startMeter();
    const ms = await sim.until(() => sim.settled(), TIMEOUT_MS);
    sim.stopMeter();
    const after = await settle(sim);
    await sim.readSent();
    result.formation = burst(meter, ms, after);
  }
  for (let run = 0; run < RUNS; run++) {
    const newcomer = await measureJoin(sim, `J${run}`, result);
    if (run === RUNS - 1 && STEADY_SIZES.has(n)) result.steady = await measureSteady(sim, result);
    // Anyone but the newcomer leaves (in a call of 2, the other one).
    const candidates = sim.online.filter((p) => p !== newcomer);
    const leaver = candidates[Math.floor(pick() * candidates.length)] ?? newcomer;
    await measureLeave(sim, leaver, result);
    console.log(
      `  N=${n} run ${run + 1}/${RUNS}: join ${fmt(result.joins.at(-1)?.ms)} ms, leave ${fmt(result.leaves.at(-1)?.ms)} ms ` +
        `(${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
  for (const p of sim.participants) {
    result.counts.refused += p.call.counts.refused;
    result.counts.failed += p.call.counts.failed;
    result.counts.droppedByOutbox += p.droppedByOutbox;
    result.counts.clockSkews += p.clockSkews;
  }
  for (const p of sim.online) p.call.end();
  return result;
}

const fmt = (v: number | undefined, digits = 0): string =>
  v === undefined || !Number.isFinite(v) ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: digits });
const med = (values: readonly (number | undefined)[]): number | undefined => {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length === values.length && defined.length > 0 ? median(defined) : undefined;
};
const range = (values: readonly (number | undefined)[]): string => {
  const defined = values.filter((v): v is number => v !== undefined);
  if (defined.length < values.length) return `${fmt(med(defined))} (${values.length - defined.length} never)`;
  return `${fmt(med(values))} (${fmt(Math.min(...defined))}-${fmt(Math.max(...defined))})`;
};
const costMedian = (costs: readonly Cost[]) => ({
  wallMs: med(costs.map((c) => c.wallMs)),
  cpuMs: med(costs.map((c) => c.cpuMs)),
  samples: costs.length,
});

function summary(r: SizeResult) {
  const burstSummary = (runs: readonly Burst[]) => ({
    ms: med(runs.map((b) => b.ms)),
    chunkFramesTotal: med(runs.map((b) => b.chunkFrames.total)),
    chunkFramesMaxAudioStream: med(runs.map((b) => b.chunkFrames.audio.max)),
    chunkFramesMaxVideoStream: med(runs.map((b) => b.chunkFrames.video.max)),
    bytes: med(runs.map((b) => b.bytes.total)),
    bytesHello: med(runs.map((b) => b.bytes.hello)),
    bytesRekey: med(runs.map((b) => b.bytes.rekey)),
    bytesResend: med(runs.map((b) => b.bytes.resend)),
    generations: med(runs.map((b) => b.generations)),
    undecryptable: med(runs.map((b) => b.undecryptable)),
    afterResend: med(runs.map((b) => b.after.resend)),
    afterGenerations: med(runs.map((b) => b.after.generations)),
  });
  const receive = (costs: readonly ReceiveCost[]) => ({
    unwraps: med(costs.map((c) => c.unwraps)),
    unwrapWallMs: med(costs.map((c) => c.unwrapWallMs)),
    unwrapCpuMs: med(costs.map((c) => c.unwrapCpuMs)),
    messages: med(costs.map((c) => c.messages)),
    wallMs: med(costs.map((c) => c.wallMs)),
    cpuMs: med(costs.map((c) => c.cpuMs)),
  });
  return {
    n: r.n,
    join: {
      ...burstSummary(r.joins),
      newcomerHearsAllMs: med(r.joins.map((j) => j.newcomerHearsAllMs)),
      allHearNewcomerMs: med(r.joins.map((j) => j.allHearNewcomerMs)),
    },
    leave: { ...burstSummary(r.leaves), firstGenerationMs: med(r.leaves.map((l) => l.firstGenerationMs)) },
    steady: r.steady,
    cpu: {
      memberRekey: costMedian(r.cpu.memberRekey),
      newcomerRekey: costMedian(r.cpu.newcomerRekey),
      periodicRekey: costMedian(r.cpu.periodicRekey),
      idleTick: costMedian(r.cpu.idleTick),
      memberReceive: receive(r.cpu.memberReceive),
      newcomerReceive: receive(r.cpu.newcomerReceive),
    },
  };
}

function print(results: readonly SizeResult[]): void {
  console.log(
    `\nA join (medians over ${RUNS} runs; simulated time; bytes are region bytes sent, before the SFU's fan-out):`,
  );
  console.log(
    '| N | settled ms (min-max) | newcomer hears all ms | all hear newcomer ms | frames with chunks: total / most on one audio stream / one video stream | control bytes: total = hello + re-key + re-send | generations | undecryptable frame arrivals | 4 s after: re-send bytes, generations |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const s = summary(r);
    const j = s.join;
    console.log(
      `| ${r.n} | ${range(r.joins.map((x) => x.ms))} | ${fmt(j.newcomerHearsAllMs)} | ${fmt(j.allHearNewcomerMs)} | ` +
        `${fmt(j.chunkFramesTotal)} / ${fmt(j.chunkFramesMaxAudioStream)} / ${fmt(j.chunkFramesMaxVideoStream)} | ` +
        `${fmt(j.bytes)} = ${fmt(j.bytesHello)} + ${fmt(j.bytesRekey)} + ${fmt(j.bytesResend)} | ${fmt(j.generations)} | ${fmt(j.undecryptable)} | ` +
        `${fmt(j.afterResend)}, ${fmt(j.afterGenerations)} |`,
    );
  }
  console.log(`\nA leave (medians over ${RUNS} runs; the leaver is silent from 0):`);
  console.log(
    '| N | settled ms (min-max) | first new generation ms | frames with chunks: total / most on one audio stream / one video stream | control bytes: total = hello + re-key + re-send | generations | undecryptable frame arrivals | 4 s after: re-send bytes, generations |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const l = summary(r).leave;
    console.log(
      `| ${r.n} | ${range(r.leaves.map((x) => x.ms))} | ${fmt(l.firstGenerationMs)} | ` +
        `${fmt(l.chunkFramesTotal)} / ${fmt(l.chunkFramesMaxAudioStream)} / ${fmt(l.chunkFramesMaxVideoStream)} | ` +
        `${fmt(l.bytes)} = ${fmt(l.bytesHello)} + ${fmt(l.bytesRekey)} + ${fmt(l.bytesResend)} | ${fmt(l.generations)} | ${fmt(l.undecryptable)} | ` +
        `${fmt(l.afterResend)}, ${fmt(l.afterGenerations)} |`,
    );
  }
  console.log(`\nThe steady state (${STEADY_MS / 60_000} simulated minutes, nobody joining or leaving):`);
  console.log(
    '| N | control bytes per frame: all / audio / video | target | messages: hello / re-key / re-send | generations | undecryptable | steps unkeyed |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    const s = r.steady;
    if (s === undefined) continue;
    console.log(
      `| ${r.n} | ${fmt(s.bytesPerFrame.all, 2)} / ${fmt(s.bytesPerFrame.audio, 2)} / ${fmt(s.bytesPerFrame.video, 2)} | ` +
        `${s.bytesPerFrame.all <= 2 ? '≤ 2: met' : '≤ 2: NOT met'} | ${s.messages.hello} / ${s.messages.rekey} / ${s.messages.resend} | ` +
        `${s.generations} | ${s.undecryptable} | ${s.unkeyedSteps} |`,
    );
  }
  console.log('\nCPU in one participant’s call (Node’s WebCrypto on this machine; median wall ms / CPU ms, samples):');
  console.log(
    '| N | re-key after a join (member) | first re-key (newcomer) | periodic re-key | idle tick | member receives that unwrapped (all its receives) | newcomer receives that unwrapped (all) |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    const c = summary(r).cpu;
    const cost = (x: { wallMs: number | undefined; cpuMs: number | undefined; samples: number }) =>
      `${fmt(x.wallMs, 2)} / ${fmt(x.cpuMs, 2)} (${x.samples})`;
    const recv = (x: ReturnType<typeof summary>['cpu']['memberReceive']) =>
      `${fmt(x.unwraps)} in ${fmt(x.unwrapWallMs, 1)} / ${fmt(x.unwrapCpuMs, 1)} (${fmt(x.messages)} in ${fmt(x.wallMs, 1)} / ${fmt(x.cpuMs, 1)})`;
    console.log(
      `| ${r.n} | ${cost(c.memberRekey)} | ${cost(c.newcomerRekey)} | ${cost(c.periodicRekey)} | ${cost(c.idleTick)} | ` +
        `${recv(c.memberReceive)} | ${recv(c.newcomerReceive)} |`,
    );
  }
  for (const r of results) {
    const failed = [...r.joins, ...r.leaves].filter((b) => b.ms === undefined).length;
    if (failed > 0 || (r.formation !== undefined && r.formation.ms === undefined))
      console.log(`N=${r.n}: ${failed} joins or leaves never settled!`);
    const { refused, failed: errors, droppedByOutbox, clockSkews } = r.counts;
    if (refused + errors + droppedByOutbox + clockSkews > 0) {
      console.log(
        `N=${r.n}: messages refused ${refused}, call errors ${errors}, dropped by an outbox ${droppedByOutbox}, clock skews ${clockSkews}`,
      );
    }
  }
}

const started = Date.now();
console.log(
  `Key exchange at scale: N = ${SIZES.join(', ')}, ${RUNS} joins and leaves each; ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}`,
);
const results: SizeResult[] = [];
for (const n of SIZES) {
  const result = await runSize(n);
  const f = result.formation;
  if (f !== undefined) {
    console.log(
      `  N=${n}: ${n - 1} starting together settled in ${fmt(f.ms)} ms: ${fmt(f.bytes.total)} bytes = ` +
        `${fmt(f.bytes.hello)} hello + ${fmt(f.bytes.rekey)} re-key + ${fmt(f.bytes.resend)} re-send, ${f.generations} generations; ` +
        `in the ${SETTLE_MS / 1000} s after: ${fmt(f.after.resend)} re-send bytes, ${f.after.generations} generations`,
    );
  }
  results.push(result);
}
print(results);

const out = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, 'exchange-scale.json'),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}`,
      node: process.version,
      options: { sizes: SIZES, steady: [...STEADY_SIZES], runs: RUNS, settleMs: SETTLE_MS, steadyMs: STEADY_MS },
      summary: results.map(summary),
      // Every join, leave and steady state; the CPU samples as their medians (the summary has them too).
      runs: results.map(({ cpu, ...rest }) => rest),
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwrote bench/results/exchange-scale.json in ${((Date.now() - started) / 1000).toFixed(0)} s`);
