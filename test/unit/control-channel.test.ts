/**
 * The in-band control channel end to end: ControlOutbox → regions on frames of every RTP stream → a network that
 * drops whole frames and an SFU that forwards one simulcast layer per sender and switches between them → ControlInbox.
 * The bridge re-sends by enqueueing a message again once it was reported sent.
 *
 * The property: the inbox delivers exactly the copies whose every chunk reached it (from any layer, in any order),
 * each once, in the order they became complete, and nothing else. The oracle is independent of the inbox: it only
 * unions the chunk numbers that arrived. Scenarios stay inside the inbox's bounds (at most 8 copies, under 10 s), so
 * its limits never make it drop a message the oracle counts.
 * Seeds: CONTROL_SEED=<n> replays a run; each run prints its seed, and fast-check prints seed and path on failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MediaKind } from '../../src/shared/messages/schema';
import { CONTROL_ASSEMBLY_TIMEOUT_MS, MAX_CONTROL_ASSEMBLIES } from '../../src/worker/constants';
import { ControlInbox } from '../../src/worker/control-inbox';
import { ControlOutbox } from '../../src/worker/control-outbox';
import { decodeRegion } from '../../src/worker/control-region';

const seed = Number(process.env.CONTROL_SEED ?? Date.now() % 2 ** 31);
console.log(`control channel seed: ${seed} (CONTROL_SEED=${seed} replays it)`);

const TICK_MS = 20;
/** Every scenario ends before a message in reassembly could expire (the oracle does not model expiry). */
const MAX_TICKS = Math.floor((CONTROL_ASSEMBLY_TIMEOUT_MS - 1) / TICK_MS);

/** A small seeded PRNG (mulberry32) for the network's and the SFU's choices within one scenario. */
function random(seedValue: number): () => number {
  let a = seedValue >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface Scenario {
  seed: number;
  kind: MediaKind;
  senders: { layers: number; messages: { bytes: Uint8Array; resends: number }[] }[];
  /** Chance that a frame is lost on the way. */
  drop: number;
  /** Chance per tick that the SFU forwards another layer of a sender. */
  switchRate: number;
  /** Chance per tick that a stream pauses, for up to 2.4 s (some longer than the outbox's idle time). */
  pauseRate: number;
}

interface Outcome {
  delivered: { sender: number; bytes: Uint8Array }[];
  expected: { sender: number; bytes: Uint8Array }[];
  /** Copies the oracle saw complete with chunks from more than one layer. */
  joinedAcrossLayers: number;
  duplicates: number;
  copies: number;
  finished: boolean;
}

function run(scenario: Scenario): Outcome {
  const rand = random(scenario.seed);
  const outcome: Outcome = {
    delivered: [],
    expected: [],
    joinedAcrossLayers: 0,
    duplicates: 0,
    copies: 0,
    finished: false,
  };
  let now = 0;
  /** The sender of the region the inbox is taking: a delivery is attributed to it. */
  let from = -1;
  const inbox = new ControlInbox(
    (bytes) => outcome.delivered.push({ sender: from, bytes }),
    () => now,
  );
  const senders = scenario.senders.map((spec, s) => {
    /** The bytes of every copy enqueued, by the outbox's sequence number (= msg id: fewer than 256 copies). */
    const copies: Uint8Array[] = [];
    const resends = spec.messages.map((m) => m.resends);
    const messageOfId = new Map<number, number>();
    let nextId = 0;
    const enqueue = (m: number) => {
      const bytes = spec.messages[m]?.bytes ?? new Uint8Array();
      const id = nextId++;
      messageOfId.set(id, m);
      copies.push(bytes);
      outcome.copies++;
      expect(outbox.enqueue(id, bytes)).toBe(true);
    };
    const outbox = new ControlOutbox({
      onSent: (id) => {
        // The bridge re-sends: the same message once more, under a new id.
        const m = messageOfId.get(id) ?? -1;
        if ((resends[m] ?? 0) > 0) {
          resends[m] = (resends[m] ?? 0) - 1;
          enqueue(m);
        }
      },
      onDropped: () => {
        throw new Error('the queue never fills in these scenarios');
      },
    });
    for (const m of spec.messages.keys()) enqueue(m);
    return {
      pid: BigInt(0x100 + s),
      outbox,
      copies,
      resends,
      forwarded: Math.floor(rand() * spec.layers),
      // Layers start up to a second apart, so they carry different chunks at any one time.
      pausedUntil: Array.from({ length: spec.layers }, () => Math.floor(rand() * 50)),
      /** Oracle: per msg id, the chunk numbers that arrived and the layers they came from. */
      arrived: new Map<number, { chunks: Set<number>; layers: Set<number>; done: boolean }>(),
      layers: spec.layers,
    };
  });

  for (let tick = 0; tick < MAX_TICKS; tick++) {
    now = tick * TICK_MS;
    for (const [s, sender] of senders.entries()) {
      if (rand() < scenario.switchRate) sender.forwarded = Math.floor(rand() * sender.layers);
      for (let layer = 0; layer < sender.layers; layer++) {
        if ((sender.pausedUntil[layer] ?? 0) > tick) continue;
        if (rand() < scenario.pauseRate) {
          sender.pausedUntil[layer] = tick + 1 + Math.floor(rand() * 120);
          continue;
        }
        // Opus frames of any size up to its 1,275-byte maximum; video frames spread over packets anyway.
        const length = scenario.kind === 'audio' ? 20 + Math.floor(rand() * 1_256) : 4_000;
        const region = sender.outbox.next(`send-${s}:${layer}`, scenario.kind, length, now);
        if (region === undefined) continue;
        if (layer !== sender.forwarded || rand() < scenario.drop) continue;
        // The oracle: which chunks of which copy reached the receiver.
        const chunk = decodeRegion(region);
        if (chunk === undefined) throw new Error('the outbox wrote a region that does not decode');
        const seen = sender.arrived.get(chunk.msgId) ?? { chunks: new Set(), layers: new Set(), done: false };
        sender.arrived.set(chunk.msgId, seen);
        seen.chunks.add(chunk.index);
        seen.layers.add(layer);
        if (!seen.done && seen.chunks.size === chunk.last + 1) {
          seen.done = true;
          outcome.expected.push({ sender: s, bytes: sender.copies[chunk.msgId] ?? new Uint8Array() });
          if (seen.layers.size > 1) outcome.joinedAcrossLayers++;
        }
        from = s;
        const result = inbox.take(sender.pid, region);
        if (result === 'duplicate') outcome.duplicates++;
        expect(inbox.assembling).toBeLessThanOrEqual(MAX_CONTROL_ASSEMBLIES);
      }
    }
    if (senders.every((sender) => sender.outbox.queued === 0 && sender.resends.every((r) => r === 0))) {
      outcome.finished = true;
      break;
    }
  }
  return outcome;
}

/** At most 2 senders x 2 messages x 2 sends: 8 copies, the inbox's bound of messages in reassembly. */
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  seed: fc.integer(),
  kind: fc.constantFrom<MediaKind>('audio', 'video'),
  senders: fc.array(
    fc.record({
      layers: fc.integer({ min: 1, max: 3 }),
      messages: fc.array(
        fc.record({
          // Unbiased lengths: fast-check's bias towards small values would make almost every message one chunk.
          bytes: fc
            .noBias(fc.integer({ min: 1, max: 1_500 }))
            .chain((length) => fc.uint8Array({ minLength: length, maxLength: length })),
          resends: fc.nat(1),
        }),
        { minLength: 1, maxLength: 2 },
      ),
    }),
    { minLength: 1, maxLength: 2 },
  ),
  drop: fc.constantFrom(0, 0.05, 0.2, 0.5),
  switchRate: fc.constantFrom(0, 0.02, 0.1),
  pauseRate: fc.constantFrom(0, 0.01, 0.05),
});

describe('control channel, outbox to inbox', () => {
  it('delivers every message once over one lossless stream, re-sends included', () => {
    const bytes = [new Uint8Array(1_000).fill(1), new Uint8Array(3).fill(2)];
    const outcome = run({
      seed: 1,
      kind: 'video',
      senders: [{ layers: 1, messages: bytes.map((b) => ({ bytes: b, resends: 1 })) }],
      drop: 0,
      switchRate: 0,
      pauseRate: 0,
    });
    expect(outcome.finished).toBe(true);
    expect(outcome.delivered.map((d) => d.bytes)).toEqual([bytes[0], bytes[1], bytes[0], bytes[1]]);
  });

  it('delivers a message once although the receiver gets it whole from two layers', () => {
    const got: Uint8Array[] = [];
    const inbox = new ControlInbox((bytes) => got.push(bytes));
    const outbox = new ControlOutbox({ onSent: () => {}, onDropped: () => {} });
    const bytes = new Uint8Array(2_000).fill(7); // 9 chunks
    outbox.enqueue(1, bytes);
    const high: Uint8Array[] = [];
    const low: Uint8Array[] = [];
    for (let frame = 0; frame < 12; frame++) {
      const h = outbox.next('send-0:high', 'video', 9_000, frame * 33);
      if (h) high.push(h);
      // The low layer starts 3 frames later.
      const l = frame >= 3 ? outbox.next('send-0:low', 'video', 2_000, frame * 33) : undefined;
      if (l) low.push(l);
    }
    // Every frame of both layers reaches the receiver (say the SFU switched it while frames of both were in flight).
    const results = [...high, ...low].map((region) => inbox.take(0x100n, region));
    expect(results.filter((r) => r === 'delivered')).toHaveLength(1);
    expect(results.at(-1)).toBe('duplicate');
    expect(got).toEqual([bytes]);
  });

  it('delivers exactly the copies whose every chunk arrived, once each, whatever the losses and layer switches', () => {
    const totals = { runs: 0, finished: 0, copies: 0, delivered: 0, joinedAcrossLayers: 0, duplicates: 0 };
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const outcome = run(scenario);
        expect(outcome.delivered).toEqual(outcome.expected);
        totals.runs++;
        totals.finished += outcome.finished ? 1 : 0;
        totals.copies += outcome.copies;
        totals.delivered += outcome.delivered.length;
        totals.joinedAcrossLayers += outcome.joinedAcrossLayers;
        totals.duplicates += outcome.duplicates;
      }),
      { seed, numRuns: Number(process.env.CONTROL_RUNS ?? 300) },
    );
    // Not vacuous: the runs delivered messages, some joined across a layer switch, and lost some.
    console.log('control channel runs:', totals);
    expect(totals.delivered).toBeGreaterThan(totals.copies / 4);
    expect(totals.joinedAcrossLayers).toBeGreaterThan(0);
    expect(totals.delivered).toBeLessThan(totals.copies);
  });
});
