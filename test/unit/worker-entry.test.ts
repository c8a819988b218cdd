/**
 * The transform worker's entry (src/worker/transform.ts) with the bridge's messages about the call: each test loads a
 * fresh copy of the module with its globals stubbed (`addEventListener`, `postMessage`), hands it a fake bridge port
 * the way the page script does, attaches fake transforms whose streams the test feeds, and plays the bridge: `call`,
 * `generation`, `retire`, `control-send`, `no-key`, and the keys it asks for (frame keys from a sender key per
 * participant and generation, as the KeyServer derives them). Fake timers drive its one-second counters.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  inspectFrame,
  kidGeneration,
  kidParticipant,
  kidTrack,
  makeKid,
  SUITE_FOR_KIND,
  senderIdOf,
  vp8,
} from '../../src/codecs';
import { deriveFrameKeys } from '../../src/sframe';
import type { BridgeToWorker, TransformStats } from '../../src/shared/messages';
import type { MediaKind } from '../../src/shared/messages/schema';
import { CONTROL_CHUNK_BYTES } from '../../src/worker/constants';
import type { EncodedFrame } from '../../src/worker/session';
import { fixtures } from './fixtures';

/** Loaded by a path tsc does not follow: the entry needs the WebWorker lib (tsconfig.worker.json), the tests do not. */
const ENTRY = '../../src/worker/transform.ts';
let workers = 0;

const ALICE = 0x0a1_1ce0_0001n;
const ALICE_AGAIN = 0x0a1_1ce0_0777n;
const BOB = 0x0b0_b000_0002n;

const vp8Frames = fixtures.find((f) => f.name === 'vp8-320x180')?.frames.map((f) => f.data) ?? [];

/** A sender key per participant and generation, as the exchange would have handed them round. */
function senderKey(participant: bigint, generation: number): Uint8Array {
  const key = new Uint8Array(16).fill(0x3c);
  new DataView(key.buffer).setBigUint64(0, participant);
  key[8] = generation;
  return key;
}

const turns = async (n = 50): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

/**
 * A fake transform: frames the test pushes come out of `readable`, one at a time (the worker reads the next only when
 * it is done with the last: `pull` says so); what the worker writes lands in `written`.
 */
function transform(options: { side: 'send' | 'receive'; kind: MediaKind; id: string }) {
  let feed: ReadableStreamDefaultController<EncodedFrame> | undefined;
  /** Resolved when the worker reads again: it is done with the frame before. */
  let reading: () => void = () => {};
  let nextRead = new Promise<void>((resolve) => {
    reading = resolve;
  });
  const written: EncodedFrame[] = [];
  let keyFrames = 0;
  const transformer = {
    options,
    readable: new ReadableStream<EncodedFrame>(
      {
        start(controller) {
          feed = controller;
        },
        pull() {
          reading();
        },
      },
      { highWaterMark: 0 },
    ),
    writable: new WritableStream<EncodedFrame>({
      write(frame) {
        written.push(frame);
      },
    }),
    generateKeyFrame: () => {
      keyFrames++;
      return Promise.resolve();
    },
    sendKeyFrameRequest: () => {
      keyFrames++;
      return Promise.resolve();
    },
  };
  return {
    transformer,
    written,
    keyFrames: () => keyFrames,
    /** Feeds one frame and waits until the worker is done with it: its bytes as written, or undefined (dropped). */
    async push(data: Uint8Array, ssrc = 1): Promise<Uint8Array | undefined> {
      await nextRead; // the worker waits for a frame
      nextRead = new Promise<void>((resolve) => {
        reading = resolve;
      });
      const before = written.length;
      const frame: EncodedFrame = {
        data: data.slice().buffer,
        getMetadata: () => ({
          mimeType: options.kind === 'video' ? 'video/VP8' : 'audio/opus',
          synchronizationSource: ssrc,
        }),
      };
      feed?.enqueue(frame);
      await nextRead; // it read again: done with this one
      await turns(5); // its write reaches the sink
      return written.length > before ? new Uint8Array((written.at(-1) as EncodedFrame).data) : undefined;
    },
  };
}

type Transform = ReturnType<typeof transform>;

/**
 * Loads a fresh worker and connects a fake bridge to it. The bridge answers every key request it holds a sender key
 * for (`keys`: which generations of whom), when the test calls `serve`.
 */
async function startWorker() {
  const listeners = new Map<string, (event: unknown) => void>();
  vi.stubGlobal('addEventListener', (type: string, listener: (event: unknown) => void) =>
    listeners.set(type, listener),
  );
  vi.stubGlobal('postMessage', () => {});
  // A query makes it another module: a fresh worker, with its own keys, call and timers.
  await import(/* @vite-ignore */ `${ENTRY}?worker=${++workers}`);
  const fromWorker: Record<string, unknown>[] = [];
  const port = {
    onmessage: null as ((event: { data: unknown }) => void) | null,
    postMessage: (message: Record<string, unknown>) => fromWorker.push(message),
  };
  listeners.get('message')?.({ data: { type: 'framelock/port', nonce: 'a'.repeat(32) }, ports: [port] });
  let answered = 0;
  const worker = {
    fromWorker,
    ofType: (type: string) => fromWorker.filter((m) => m.type === type),
    /** A message of the bridge. */
    async send(message: BridgeToWorker | Record<string, unknown>): Promise<void> {
      port.onmessage?.({ data: message });
      await turns();
    },
    attach(options: { side: 'send' | 'receive'; kind: MediaKind; id: string }): Transform {
      const t = transform(options);
      listeners.get('rtctransform')?.({ transformer: t.transformer });
      return t;
    },
    /** Answers the key requests not answered yet, from the sender keys of `held` generations (all by default). */
    async serve(held: (participant: bigint, bits: number) => number | undefined = (_, bits) => bits): Promise<void> {
      const requests = worker.ofType('keys-request').slice(answered);
      answered += requests.length;
      for (const { kid, kind } of requests as { kid: bigint; kind: MediaKind }[]) {
        const generation = held(kidParticipant(kid), kidGeneration(kid));
        if (generation === undefined) continue;
        const base = senderKey(kidParticipant(kid), generation);
        await worker.send({ type: 'keys', kid, kind, keys: await deriveFrameKeys(SUITE_FOR_KIND[kind], base, kid) });
      }
    },
    /** The worker's next counters (it reports every second). */
    stats(): TransformStats[] {
      vi.advanceTimersByTime(1_000);
      return (worker.ofType('stats').at(-1)?.stats ?? []) as TransformStats[];
    },
  };
  return worker;
}

function kidOf(data: Uint8Array | undefined): bigint {
  const seen = data === undefined ? undefined : inspectFrame(vp8, data);
  if (!seen?.protected) throw new Error('not a protected frame');
  return seen.kid;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('the worker entry and the call', () => {
  it('proves itself to the bridge, then sends nothing and asks for nothing before the bridge’s `call`', async () => {
    const worker = await startWorker();
    expect(worker.fromWorker).toEqual([{ type: 'hello', nonce: 'a'.repeat(32) }]);
    const camera = worker.attach({ side: 'send', kind: 'video', id: 'send-video-1' });
    await worker.send({ type: 'generation', current: 3 }); // no call yet: nothing to follow
    for (const data of vp8Frames.slice(0, 3)) expect(await camera.push(data)).toBeUndefined();
    expect(worker.ofType('keys-request')).toEqual([]);
    await worker.send({ type: 'call', participant: ALICE });
    expect(await camera.push(vp8Frames[3] as Uint8Array)).toBeUndefined();
    expect(worker.ofType('keys-request')).toEqual([
      { type: 'keys-request', kid: makeKid(0, senderIdOf(ALICE, 0)), kind: 'video', endpoint: 'send-video-1' },
    ]);
    await worker.serve();
    expect(kidOf(await camera.push(vp8Frames[4] as Uint8Array))).toBe(makeKid(0, senderIdOf(ALICE, 0)));
    expect(camera.keyFrames()).toBe(1);
  });

  it('numbers the tracks of a call; a new `call` drops every key and numbers from 0 under the new participant', async () => {
    const worker = await startWorker();
    await worker.send({ type: 'call', participant: ALICE });
    const camera = worker.attach({ side: 'send', kind: 'video', id: 'send-video-1' });
    const screen = worker.attach({ side: 'send', kind: 'video', id: 'send-video-2' });
    await camera.push(vp8Frames[0] as Uint8Array);
    await screen.push(vp8Frames[0] as Uint8Array);
    await worker.serve();
    expect(kidTrack(kidOf(await camera.push(vp8Frames[1] as Uint8Array)))).toBe(0);
    expect(kidTrack(kidOf(await screen.push(vp8Frames[1] as Uint8Array)))).toBe(1);
    // The same call again changes nothing.
    await worker.send({ type: 'call', participant: ALICE });
    expect(await camera.push(vp8Frames[2] as Uint8Array)).toBeDefined();
    // A new call: no frame goes out under the old keys, and the new KIDs are asked for.
    await worker.send({ type: 'call', participant: ALICE_AGAIN });
    expect(await screen.push(vp8Frames[3] as Uint8Array)).toBeUndefined();
    expect(await camera.push(vp8Frames[3] as Uint8Array)).toBeUndefined();
    expect(worker.ofType('keys-request').slice(-2)).toMatchObject([
      { kid: makeKid(0, senderIdOf(ALICE_AGAIN, 0)), endpoint: 'send-video-2' },
      { kid: makeKid(0, senderIdOf(ALICE_AGAIN, 1)), endpoint: 'send-video-1' },
    ]);
    await worker.serve();
    expect(kidParticipant(kidOf(await camera.push(vp8Frames[4] as Uint8Array)))).toBe(ALICE_AGAIN);
  });

  it('asks for the next generation’s key when it is announced, switches on `generation`, and retires on `retire`', async () => {
    const worker = await startWorker();
    await worker.send({ type: 'call', participant: ALICE });
    const camera = worker.attach({ side: 'send', kind: 'video', id: 'send-video-1' });
    await camera.push(vp8Frames[0] as Uint8Array);
    await worker.serve();
    await worker.send({ type: 'generation', current: 0, next: 1 });
    expect(kidGeneration(kidOf(await camera.push(vp8Frames[1] as Uint8Array)))).toBe(0);
    expect(worker.ofType('keys-request').at(-1)).toMatchObject({ kid: makeKid(1, senderIdOf(ALICE, 0)) });
    await worker.serve();
    await worker.send({ type: 'generation', current: 1 });
    for (const data of vp8Frames.slice(2, 5)) expect(kidGeneration(kidOf(await camera.push(data)))).toBe(1);
    expect(worker.ofType('keys-request')).toHaveLength(2); // nothing asked at the switch: no frame lost
    // Our generation 1 is retired (the bridge's call re-keyed again and its grace passed): nothing goes out under it.
    await worker.send({ type: 'retire', participant: ALICE, generation: 1 });
    expect(await camera.push(vp8Frames[5] as Uint8Array)).toBeUndefined();
    await worker.serve(); // a bridge that answered anyway: a KID is never keyed twice
    expect(await camera.push(vp8Frames[6] as Uint8Array)).toBeUndefined();
  });

  it('carries `control-send` on its senders’ frames, reports it `control-sent`, and another worker `control-received`', async () => {
    const alice = await startWorker();
    await alice.send({ type: 'call', participant: ALICE });
    const camera = alice.attach({ side: 'send', kind: 'video', id: 'send-video-1' });
    await camera.push(vp8Frames[0] as Uint8Array);
    await alice.serve();
    await camera.push(vp8Frames[1] as Uint8Array);
    const message = Uint8Array.from({ length: CONTROL_CHUNK_BYTES.video + 1 }, (_, i) => 255 - (i % 256));
    await alice.send({ type: 'control-send', id: 41, bytes: message });
    const wire: Uint8Array[] = [];
    for (const data of vp8Frames.slice(2, 5)) wire.push((await camera.push(data)) as Uint8Array);
    expect(wire.map((data) => inspectFrame(vp8, data)).map((seen) => seen.protected && seen.found.ctr % 2)).toEqual([
      1, 1, 0,
    ]);
    expect(alice.ofType('control-sent')).toEqual([{ type: 'control-sent', id: 41 }]);
    // Bob's worker (no key for alice's media yet) reassembles it from her frames and hands it to his bridge.
    const bob = await startWorker();
    await bob.send({ type: 'call', participant: BOB });
    const remote = bob.attach({ side: 'receive', kind: 'video', id: 'receive-video-1' });
    for (const data of wire) expect(await remote.push(data)).toBeUndefined();
    expect(bob.ofType('control-received')).toEqual([{ type: 'control-received', bytes: message }]);
  });

  it('reports frames of an older Framelock in its counters (`olderFormat`) once their KID recurs', async () => {
    const alice = await startWorker();
    await alice.send({ type: 'call', participant: ALICE });
    const camera = alice.attach({ side: 'send', kind: 'video', id: 'send-video-1' });
    await camera.push(vp8Frames[0] as Uint8Array);
    await alice.serve();
    const older = async (i: number) => {
      const data = ((await camera.push(vp8Frames[i] as Uint8Array)) as Uint8Array).slice();
      data[data.length - 9] = ((data[data.length - 9] ?? 0) & 0x0f) | 0xb0; // the v1-v3 KID marker
      return data;
    };
    const bob = await startWorker();
    await bob.send({ type: 'call', participant: BOB });
    const remote = bob.attach({ side: 'receive', kind: 'video', id: 'receive-video-1' });
    await remote.push(await older(1));
    expect(bob.stats()).toMatchObject([{ id: 'receive-video-1', dropped: 1, undecryptable: 0 }]);
    expect(bob.ofType('stats').at(-1)?.stats).not.toMatchObject([{ olderFormat: true }]);
    await remote.push(await older(2));
    expect(bob.stats()).toMatchObject([{ id: 'receive-video-1', undecryptable: 1, olderFormat: true }]);
  });

  it('sends nothing after `no-key` until a new call, and takes no malformed bridge message', async () => {
    const worker = await startWorker();
    await worker.send({ type: 'call', participant: ALICE });
    const camera = worker.attach({ side: 'send', kind: 'video', id: 'send-video-1' });
    await camera.push(vp8Frames[0] as Uint8Array);
    await worker.serve();
    expect(await camera.push(vp8Frames[1] as Uint8Array)).toBeDefined();
    await worker.send({ type: 'no-key' });
    expect(await camera.push(vp8Frames[2] as Uint8Array)).toBeUndefined();
    const asked = worker.ofType('keys-request').length;
    await worker.send({ type: 'call', participant: 1n << 44n }); // not a participant id: no call
    await worker.send({ type: 'call', participant: Number(ALICE) });
    expect(await camera.push(vp8Frames[3] as Uint8Array)).toBeUndefined();
    expect(worker.ofType('keys-request')).toHaveLength(asked);
    // The same participant id after `no-key` is a call again (the bridge never reuses one; the worker need not know).
    await worker.send({ type: 'call', participant: BOB });
    await worker.send({ type: 'generation', current: -1 }); // refused: the call stays at generation 0
    await camera.push(vp8Frames[4] as Uint8Array);
    expect(worker.ofType('keys-request').at(-1)).toMatchObject({ kid: makeKid(0, senderIdOf(BOB, 0)) });
  });
});
