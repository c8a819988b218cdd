/**
 * @module A simulated call of many participants for the key-exchange benchmark (bench/exchange-scale.ts), without
 * browsers: real {@link Call}s (WebCrypto in Node), each with the real {@link ControlOutbox} of its worker and a real
 * {@link ControlInbox} per remote track, and a simulated SFU that forwards every frame of every participant to every
 * other one, {@link NETWORK_DELAY_MS} later.
 *
 * - Each participant sends one audio stream (50 frames/s) and one video stream (30 frames/s), each from a random
 *   phase; every frame asks the outbox for its chunk (`next`: at most one per frame and stream), as the send
 *   transform does, so a message takes as many frames as it has chunks. Its KID carries the sending generation.
 * - Each receiver reassembles per remote track (two inboxes per sender) and hands every message to its call; for a
 *   frame whose key it lacks, it asks as its worker's keyring does (`Call.want`, once per KID per `REQUEST_RETRY_MS`).
 * - Each call ticks every `TICK_MS` from a random phase; `sent` comes back as soon as the outbox reports a message
 *   carried on both streams.
 *
 * Time is simulated: the clock stands still while WebCrypto works, as if every machine were infinitely fast. The
 * CPU a call's tick or receive costs is measured apart (`process.cpuUsage`, wall clock), each alone in the process.
 */
import { Call, type CallHost } from '../../src/content/exchange/call';
import { TICK_MS } from '../../src/content/exchange/constants';
import { genBits } from '../../src/content/exchange/generations';
import { decodeState } from '../../src/content/exchange/messages';
import { ControlKeys, open } from '../../src/content/exchange/seal';
import { EPOCH_MS, epochAt } from '../../src/shared/epoch';
import type { MediaKind } from '../../src/shared/messages/schema';
import { REQUEST_RETRY_MS } from '../../src/worker/constants';
import { ControlInbox } from '../../src/worker/control-inbox';
import { ControlOutbox } from '../../src/worker/control-outbox';
import { decodeRegion } from '../../src/worker/control-region';

/** One way through the SFU: a small, fixed network delay. */
export const NETWORK_DELAY_MS = 20;
export const KINDS: readonly MediaKind[] = ['audio', 'video'];
/** 50 audio frames a second (Opus, 20 ms), 30 video frames a second. */
export const FRAME_INTERVAL_MS: Readonly<Record<MediaKind, number>> = { audio: 20, video: 1000 / 30 };
/** Frame sizes: audio well under the 1,000 bytes above which it carries no chunk (CONTROL_AUDIO_FRAME_MAX_BYTES). */
const FRAME_BYTES: Readonly<Record<MediaKind, number>> = { audio: 100, video: 4_000 };
/** Mid-epoch, so that a run of several minutes stays within the epochs made below. */
const START = 2_900_000 * EPOCH_MS + EPOCH_MS / 2;

export type MessageClass = 'hello' | 'rekey' | 'resend';

/** A sealed message a call handed its worker, read back (the simulation holds the epoch keys) once it was sent. */
export interface SentMessage {
  from: SimParticipant;
  at: number;
  length: number;
  sealed: Uint8Array | undefined;
  /** A generation's first STATE (`onNext` followed), a hello (no wraps), or wraps sent again (`want`). */
  cls: MessageClass | undefined;
  rekey: boolean;
  recipients: Set<bigint> | undefined;
  /** The participants it names in `want`. */
  want: bigint[];
}

export interface TickSample {
  name: string;
  wallMs: number;
  cpuMs: number;
  /** The tick made a generation (and its wraps, and the STATE that carries them). */
  rekey: boolean;
}

export interface ReceiveCost {
  messages: number;
  wallMs: number;
  cpuMs: number;
  /** The receives that unwrapped a member's sender key, and what they cost. */
  unwraps: number;
  unwrapWallMs: number;
  unwrapCpuMs: number;
}

/** What happened between its start and its end (a join, a leave, the steady state). */
export class Meter {
  readonly start: number;
  readonly frames: Record<MediaKind, number> = { audio: 0, video: 0 };
  readonly chunkFrames: Record<MediaKind, number> = { audio: 0, video: 0 };
  readonly regionBytes: Record<MediaKind, number> = { audio: 0, video: 0 };
  /** Frames that carried a chunk, by stream (every stream sending in the meter's time, 0 for none). */
  readonly streamChunks = new Map<string, { kind: MediaKind; chunks: number }>();
  /** Region bytes by message (to break them down by class). */
  readonly byMessage = new Map<SentMessage, number>();
  /** Frame arrivals at a receiver that held no key for them (what a user sees as frozen video or silence). */
  undecryptable = 0;
  generations = 0;
  firstGenerationAt: number | undefined;
  readonly rekeyTicks: TickSample[] = [];
  readonly idleTicks: TickSample[] = [];
  readonly receives = new Map<SimParticipant, ReceiveCost>();
  maxQueued = 0;

  constructor(start: number) {
    this.start = start;
  }

  /** Region bytes by message class (the messages must have been read: {@link Sim.readSent}). */
  bytesByClass(): Record<MessageClass, number> {
    const out: Record<MessageClass, number> = { hello: 0, rekey: 0, resend: 0 };
    for (const [message, bytes] of this.byMessage) out[message.cls ?? 'hello'] += bytes;
    return out;
  }
}

interface Stream {
  kind: MediaKind;
  key: string;
  nextAt: number;
}

export class SimParticipant {
  readonly name: string;
  readonly index: number;
  online = true;
  call!: Call;
  /** The call's own tick (the instance's `tick` is wrapped so that ticks it starts itself are awaited). */
  tick!: () => Promise<void>;
  readonly outbox: ControlOutbox;
  readonly streams: Stream[];
  /** What it handed its worker, by the outbox's sequence number. */
  readonly sent: SentMessage[] = [];
  /** Its generations (`onNext`), with the STATE that carried each. */
  readonly made = new Map<number, SentMessage | undefined>();
  /** Inboxes by sender index and kind (one per remote track, as one receiver transform each). */
  readonly inboxes = new Map<string, ControlInbox>();
  /** When its keyring last asked for a KID it lacks (by sender, kind and generation bits). */
  readonly asked = new Map<string, number>();
  memberKeys = 0;
  droppedByOutbox = 0;
  /** `onClockSkew` reports (none: every clock here is the simulation's). */
  clockSkews = 0;
  #nextId = 1;

  constructor(name: string, index: number, outbox: (p: SimParticipant) => ControlOutbox) {
    this.name = name;
    this.index = index;
    this.outbox = outbox(this);
    this.streams = KINDS.map((kind) => ({ kind, key: `${name}:${kind}`, nextAt: 0 }));
  }

  nextId(): number {
    return this.#nextId++;
  }
}

/** A min-heap of events by time, then by order of scheduling. */
class Events {
  readonly #heap: { at: number; seq: number; run: () => void | Promise<void> }[] = [];
  #seq = 0;

  push(at: number, run: () => void | Promise<void>): void {
    const heap = this.#heap;
    heap.push({ at, seq: this.#seq++, run });
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  peekAt(): number | undefined {
    return this.#heap[0]?.at;
  }

  pop(): { at: number; run: () => void | Promise<void> } | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < heap.length && this.#less(l, least)) least = l;
      if (r < heap.length && this.#less(r, least)) least = r;
      if (least === i) break;
      this.#swap(i, least);
      i = least;
    }
    return top;
  }

  #less(a: number, b: number): boolean {
    const x = this.#heap[a];
    const y = this.#heap[b];
    if (x === undefined || y === undefined) return false;
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap;
    [heap[a], heap[b]] = [heap[b] as (typeof heap)[number], heap[a] as (typeof heap)[number]];
  }
}

/** A small seeded PRNG (mulberry32): the same phases on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const ms = (cpu: NodeJS.CpuUsage): number => (cpu.user + cpu.system) / 1000;

export class Sim {
  now = START;
  readonly participants: SimParticipant[] = [];
  readonly #byPid = new Map<bigint, SimParticipant>();
  readonly #epochKeys = new Map<number, CryptoKey>();
  readonly #control = new ControlKeys((e) => this.#epochKeys.get(e));
  readonly #roomTag = new Uint8Array(16).fill(0x35);
  readonly #events = new Events();
  readonly #random: () => number;
  /** Jobs a call started on its own (a tick on a stranger's frames): awaited before the clock moves on. */
  #tracked: Promise<void>[] = [];
  /** Messages reassembled during the current event, for their receivers. */
  #received: [SimParticipant, Uint8Array][] = [];
  /** By sender: the receivers that may lack the key of its current generation (checked on its next frame). */
  readonly #unkeyed = new Map<SimParticipant, Set<SimParticipant>>();
  #unread: SentMessage[] = [];
  #onlineNow: SimParticipant[] | undefined;
  /** Receivers whose receive jobs are timed one by one (the others run together). */
  readonly watched = new Set<SimParticipant>();
  meter: Meter | undefined;

  private constructor(random: () => number) {
    this.#random = random;
  }

  static async create(seed: number): Promise<Sim> {
    const sim = new Sim(prng(seed));
    const current = epochAt(sim.now);
    for (let e = current - 2; e <= current + 6; e++) {
      const raw = crypto.getRandomValues(new Uint8Array(32));
      sim.#epochKeys.set(e, await crypto.subtle.importKey('raw', raw, 'HKDF', false, ['deriveKey', 'deriveBits']));
    }
    return sim;
  }

  /** The participants online now (a fresh array). */
  get online(): SimParticipant[] {
    return [...this.#online()];
  }

  /** The participants online now, kept until one joins or leaves: every frame goes to them. */
  #online(): readonly SimParticipant[] {
    this.#onlineNow ??= this.participants.filter((p) => p.online);
    return this.#onlineNow;
  }

  /** Stops counting (a run-up, or a settling time nobody reports). */
  stopMeter(): void {
    this.meter = undefined;
  }

  startMeter(): Meter {
    this.meter = new Meter(this.now);
    for (const p of this.online)
      for (const s of p.streams) this.meter.streamChunks.set(s.key, { kind: s.kind, chunks: 0 });
    return this.meter;
  }

  /** A participant starts its call now: it ticks and sends frames from random phases, and the SFU forwards them. */
  async join(name: string): Promise<SimParticipant> {
    const p = new SimParticipant(
      name,
      this.participants.length,
      (self) =>
        new ControlOutbox({
          onSent: (id) => self.call.sent(id),
          onDropped: () => void self.droppedByOutbox++,
        }),
    );
    p.call = await Call.start(this.#host(p));
    const tick = p.call.tick.bind(p.call);
    p.tick = tick;
    p.call.tick = () => {
      const job = tick();
      this.#tracked.push(job);
      return job;
    };
    this.#byPid.set(p.call.pid, p);
    const others = this.online;
    this.participants.push(p);
    this.#onlineNow = undefined;
    this.#unkeyed.set(p, new Set(others));
    for (const q of others) this.#unkeyed.get(q)?.add(p);
    this.#events.push(this.now + this.#random() * TICK_MS, () => this.#tick(p));
    for (const stream of p.streams) {
      stream.nextAt = this.now + this.#random() * FRAME_INTERVAL_MS[stream.kind];
      this.meter?.streamChunks.set(stream.key, { kind: stream.kind, chunks: 0 });
      this.#events.push(stream.nextAt, () => this.#frame(p, stream));
    }
    return p;
  }

  /** A participant leaves now (its page closes): no more frames, ticks or messages; its call ends. */
  leave(p: SimParticipant): void {
    p.online = false;
    this.#onlineNow = undefined;
    p.call.end();
    this.watched.delete(p);
    this.#unkeyed.delete(p);
    for (const set of this.#unkeyed.values()) set.delete(p);
  }

  /** Runs every event up to `ms` from now, then reads what was sent (to classify it). */
  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    for (let at = this.#events.peekAt(); at !== undefined && at <= until; at = this.#events.peekAt()) {
      const event = this.#events.pop();
      if (event === undefined) break;
      this.now = event.at;
      await event.run();
      while (this.#tracked.length > 0) await Promise.all(this.#tracked.splice(0));
    }
    this.now = until;
    if (this.meter !== undefined) {
      for (const p of this.online) this.meter.maxQueued = Math.max(this.meter.maxQueued, p.outbox.queued);
    }
    await this.readSent();
  }

  /** Runs in steps of `stepMs` until `done` holds (then the time it took) or `timeoutMs` passed (undefined). */
  async until(done: () => boolean, timeoutMs: number, stepMs = 10): Promise<number | undefined> {
    const start = this.now;
    while (this.now - start < timeoutMs) {
      await this.advance(stepMs);
      if (done()) return this.now - start;
    }
    return undefined;
  }

  /** Whether `receiver` holds the key of what `sender` sends now. */
  hears(receiver: SimParticipant, sender: SimParticipant): boolean {
    return receiver.call.senderKey(sender.call.pid, genBits(sender.call.sendingGeneration)) !== undefined;
  }

  /** Whether every participant online holds every other's current key. */
  allKeyed(ps: readonly SimParticipant[] = this.online): boolean {
    for (const a of ps) for (const b of ps) if (a !== b && !this.hears(a, b)) return false;
    return true;
  }

  /**
   * Whether the call is settled: everyone sends under a generation it made for exactly the others online (a newcomer
   * among them, a leaver not), and everyone holds everyone's current key.
   */
  settled(): boolean {
    const online = this.online;
    for (const p of online) {
      const recipients = p.made.get(p.call.sendingGeneration)?.recipients;
      if (recipients === undefined || recipients.size !== online.length - 1) return false;
      for (const q of online) if (q !== p && !recipients.has(q.call.pid)) return false;
    }
    return this.allKeyed(online);
  }

  /** Reads back the messages sent since the last call (their class, wraps and wants). */
  async readSent(): Promise<void> {
    for (const message of this.#unread.splice(0)) {
      const sealed = message.sealed;
      message.sealed = undefined;
      const opened = sealed === undefined ? undefined : await open(sealed, epochAt(this.now), this.#control);
      const state = opened === undefined ? undefined : decodeState(opened.plaintext);
      if (state === undefined) throw new Error(`${message.from.name} sent a message the simulation cannot read`);
      message.recipients = new Set(state.wraps.map((w) => w.pid));
      message.want = state.want;
      message.cls = message.rekey ? 'rekey' : state.wraps.length === 0 ? 'hello' : 'resend';
    }
  }

  #host(p: SimParticipant): CallHost {
    const sim = this;
    return {
      now: () => this.now,
      epochs: {
        get epoch() {
          return epochAt(sim.now);
        },
        keyOf: (e: number) => this.#epochKeys.get(e),
      },
      roomTag: () => this.#roomTag,
      send: (sealed) => {
        const id = p.nextId();
        if (p.outbox.enqueue(id, sealed)) {
          const message: SentMessage = {
            from: p,
            at: this.now,
            length: sealed.length,
            sealed,
            cls: undefined,
            rekey: false,
            recipients: undefined,
            want: [],
          };
          p.sent.push(message);
          this.#unread.push(message);
        }
        return id;
      },
      onSwitch: () => {
        // Its frames carry a new KID from now on: every receiver checks it has the key at the next frame.
        this.#unkeyed.set(p, new Set(this.online.filter((q) => q !== p)));
      },
      onNext: (gen) => {
        // A re-key hands over its STATE, then announces the generation: that STATE is the last one sent.
        const message = p.sent.at(-1);
        if (message !== undefined) message.rekey = true;
        p.made.set(gen, message);
        if (this.meter !== undefined) {
          this.meter.generations++;
          this.meter.firstGenerationAt ??= this.now;
        }
      },
      onMemberKey: () => void p.memberKeys++,
      onRetire: (pid, gen) => {
        const sender = this.#byPid.get(pid);
        if (sender === undefined || sender === p || !sender.online) return;
        if (genBits(gen) === genBits(sender.call.sendingGeneration)) this.#unkeyed.get(sender)?.add(p);
      },
      onChange: () => {},
      onClockSkew: () => void p.clockSkews++,
      onChat: () => {},
    };
  }

  async #tick(p: SimParticipant): Promise<void> {
    if (!p.online) return;
    const made = p.made.size;
    const wall = performance.now();
    const cpu = process.cpuUsage();
    await p.tick();
    const sample: TickSample = {
      name: p.name,
      wallMs: performance.now() - wall,
      cpuMs: ms(process.cpuUsage(cpu)),
      rekey: p.made.size > made,
    };
    if (sample.rekey) this.meter?.rekeyTicks.push(sample);
    else if (this.meter !== undefined && this.meter.idleTicks.length < 20_000) this.meter.idleTicks.push(sample);
    this.#events.push(this.now + TICK_MS, () => this.#tick(p));
  }

  /** One frame of `stream`: the outbox's chunk for it (if any), then the SFU forwards it to everyone else. */
  #frame(p: SimParticipant, stream: Stream): void {
    if (!p.online) return;
    const region = p.outbox.next(stream.key, stream.kind, FRAME_BYTES[stream.kind], this.now);
    const meter = this.meter;
    if (meter !== undefined) {
      meter.frames[stream.kind]++;
      if (region !== undefined) {
        meter.chunkFrames[stream.kind]++;
        meter.regionBytes[stream.kind] += region.length;
        const entry = meter.streamChunks.get(stream.key);
        if (entry !== undefined) entry.chunks++;
        const message = this.#messageOf(p, region);
        if (message !== undefined) meter.byMessage.set(message, (meter.byMessage.get(message) ?? 0) + region.length);
      }
    }
    const bits = genBits(p.call.sendingGeneration);
    this.#events.push(this.now + NETWORK_DELAY_MS, () => this.#arrive(p, stream.kind, bits, region));
    stream.nextAt += FRAME_INTERVAL_MS[stream.kind];
    this.#events.push(stream.nextAt, () => this.#frame(p, stream));
  }

  /** The message a region is a chunk of: msg id = the outbox's sequence number mod 256, and at most 32 wait. */
  #messageOf(p: SimParticipant, region: Uint8Array): SentMessage | undefined {
    const chunk = decodeRegion(region);
    if (chunk === undefined) return undefined;
    const newest = p.sent.length - 1;
    return p.sent[newest - ((((newest - chunk.msgId) % 256) + 256) % 256)];
  }

  /**
   * A frame of `sender` reaches every other participant online. As in the receive transform, its chunk goes to the
   * inbox first, then the keyring looks for the frame's key; the bridge gets the reassembled message and the key
   * request in that order, but opening the message takes WebCrypto's time while `want` is at once: a call sees the
   * key request before the message it came with.
   */
  async #arrive(sender: SimParticipant, kind: MediaKind, bits: number, region: Uint8Array | undefined): Promise<void> {
    if (region !== undefined) {
      for (const r of this.#online()) if (r !== sender) this.#inbox(r, sender, kind).take(sender.call.pid, region);
    }
    const batch = this.#received.splice(0);
    this.#checkKeys(sender, kind, bits);
    while (this.#tracked.length > 0) await Promise.all(this.#tracked.splice(0));
    if (batch.length > 0) await this.#receive(batch);
  }

  /**
   * As each receiver's keyring: a frame under a KID it has no key for is dropped, and the key asked for (the bridge
   * passes that on as `want`), again every REQUEST_RETRY_MS while such frames come.
   */
  #checkKeys(sender: SimParticipant, kind: MediaKind, bits: number): void {
    const unkeyed = this.#unkeyed.get(sender);
    if (unkeyed === undefined || unkeyed.size === 0) return;
    const current = genBits(sender.call.sendingGeneration);
    for (const r of [...unkeyed]) {
      if (!r.online) continue;
      if (r.call.senderKey(sender.call.pid, bits) !== undefined) {
        if (bits === current) unkeyed.delete(r);
        continue;
      }
      if (this.meter !== undefined) this.meter.undecryptable++;
      const kid = `${sender.index}:${kind}:${bits}`;
      const asked = r.asked.get(kid);
      if (asked === undefined || this.now - asked >= REQUEST_RETRY_MS) {
        r.asked.set(kid, this.now);
        r.call.want(sender.call.pid, bits);
      }
    }
  }

  #inbox(receiver: SimParticipant, sender: SimParticipant, kind: MediaKind): ControlInbox {
    const key = `${sender.index}:${kind}`;
    let inbox = receiver.inboxes.get(key);
    if (inbox === undefined) {
      inbox = new ControlInbox(
        (bytes) => void this.#received.push([receiver, bytes]),
        () => this.now,
      );
      receiver.inboxes.set(key, inbox);
    }
    return inbox;
  }

  /** Hands reassembled messages to their calls: the watched ones one by one, timed, after all the others. */
  async #receive(batch: [SimParticipant, Uint8Array][]): Promise<void> {
    await Promise.all(batch.filter(([r]) => !this.watched.has(r)).map(([r, bytes]) => r.call.receive(bytes)));
    for (const [r, bytes] of batch) {
      if (!this.watched.has(r)) continue;
      const keys = r.memberKeys;
      const wall = performance.now();
      const cpu = process.cpuUsage();
      await r.call.receive(bytes);
      const wallMs = performance.now() - wall;
      const cpuMs = ms(process.cpuUsage(cpu));
      const meter = this.meter;
      if (meter === undefined) continue;
      let cost = meter.receives.get(r);
      if (cost === undefined) {
        cost = { messages: 0, wallMs: 0, cpuMs: 0, unwraps: 0, unwrapWallMs: 0, unwrapCpuMs: 0 };
        meter.receives.set(r, cost);
      }
      cost.messages++;
      cost.wallMs += wallMs;
      cost.cpuMs += cpuMs;
      if (r.memberKeys > keys) {
        cost.unwraps += r.memberKeys - keys;
        cost.unwrapWallMs += wallMs;
        cost.unwrapCpuMs += cpuMs;
      }
    }
  }
}
