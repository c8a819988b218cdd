/**
 * The worker's sessions (src/worker/send-session.ts, receive-session.ts) on real encoded frames, with keys served the
 * way the bridge serves them (src/content/key-server.ts): frame keys of RFC 9605 §4.4.2 from the sender key of the
 * KID's participant and generation bits (docs/keys.md). The call itself (its participant id, generation, the
 * next generation) is what the bridge's `call` and `generation` messages set in the worker (src/worker/transform.ts);
 * here each test sets it on its stand-in worker. The same worker entry with those messages: worker-entry.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  inspectFrame,
  kidGeneration,
  kidParticipant,
  kidSenderId,
  kidTrack,
  makeKid,
  opus,
  SUITE_FOR_KIND,
  senderIdOf,
  TRACK_BITS,
  vp8,
} from '../../src/codecs';
import { ENDPOINT_REFILL_MS } from '../../src/content/constants';
import { KeyRequestQuota } from '../../src/content/key-quota';
import { deriveFrameKeys } from '../../src/sframe';
import type { MediaKind } from '../../src/shared/messages/schema';
import {
  CONTROL_CHUNK_BYTES,
  KEY_GRACE_MS,
  MAX_UNPROVEN_KEYS_PER_ENDPOINT,
  UNPROVEN_KEY_TTL_MS,
} from '../../src/worker/constants';
import { ControlOutbox } from '../../src/worker/control-outbox';
import { Keyring } from '../../src/worker/keyring';
import { ReceiveSession } from '../../src/worker/receive-session';
import { SendSession } from '../../src/worker/send-session';
import type { CallState, EncodedFrame, SessionHost } from '../../src/worker/session';
import { fixtures } from './fixtures';

/** Participant ids (44 bits), as the bridges drew them for this call. */
const ALICE = 0x0a1_1ce0_0001n;
const BOB = 0x0b0_b000_0002n;
const MALLORY = 0x0ba_d000_0003n;

/**
 * A sender key of `participant`'s generation `generation` (a stand-in for the 16 random bytes the exchange wraps to
 * every member): distinct for every participant and generation, and `variant` gives another key for the same ones.
 */
function senderKey(participant: bigint, generation: number, variant = 0): Uint8Array {
  const key = new Uint8Array(16).fill(0x5a ^ variant);
  new DataView(key.buffer).setBigUint64(0, participant);
  new DataView(key.buffer).setUint32(8, generation);
  return key;
}

/** What a bridge holds: the sender key of a participant's generation, by the KID's 4 generation bits, or none. */
type HeldKeys = (participant: bigint, genBits: number) => Uint8Array | undefined;

/** A bridge that holds every participant's generation 0 to 15, the one each pair of bits names. */
const everyKey: HeldKeys = (participant, bits) => senderKey(participant, bits);

/** A bridge that holds the generations `held()` names for every participant (the newest one with the KID's bits). */
function keysOf(held: () => number[]): HeldKeys {
  return (participant, bits) => {
    const generation = held()
      .filter((g) => g % 16 === bits)
      .sort((a, b) => b - a)[0];
    return generation === undefined ? undefined : senderKey(participant, generation);
  };
}

/**
 * A participant's worker: its keyring and the host its sessions get, in the call `participant` (none: no call yet),
 * with key requests answered by {@link serve} from the sender keys its bridge holds (`keys`). A request the bridge
 * cannot answer yet stays pending, as in the bridge's KeyServer, and is answered by a later `serve`. Its clock `now`
 * stands still unless a test moves it; its receivers (`receiver`) read the same clock.
 */
function worker(
  participant: bigint | undefined,
  { keys = everyKey, now = () => 0 }: { keys?: HeldKeys; now?: () => number } = {},
) {
  /** Every key request, in order. */
  const requests: { kid: bigint; kind: MediaKind; endpoint: string }[] = [];
  let pending: { kid: bigint; kind: MediaKind; endpoint: string }[] = [];
  const keyring = new Keyring((kid, kind, endpoint) => {
    requests.push({ kid, kind, endpoint });
    pending.push({ kid, kind, endpoint });
  }, now);
  let keyFrameRequests = 0;
  let calls = 0;
  let nextTrack = 0;
  let call: CallState | undefined;
  /** Starts a call, as the worker does on the bridge's `call` (its keys and queued messages go: transform.ts). */
  function start(pid: bigint): void {
    keyring.clear();
    outbox.clear();
    nextTrack = 0;
    call = { number: ++calls, participant: pid, generation: 0 };
  }
  /** Control messages a receiver reassembled, and the ids the outbox reported carried everywhere. */
  const controls: Uint8Array[] = [];
  const sent: number[] = [];
  const outbox = new ControlOutbox({ onSent: (id) => sent.push(id), onDropped: () => {} });
  const host: SessionHost = {
    keyring,
    call: () => call,
    newTrack: () => (nextTrack < 1 << TRACK_BITS ? nextTrack++ : undefined),
    outbox,
    onControl: (bytes) => controls.push(bytes),
    requestKeyFrame: () => {
      keyFrameRequests++;
    },
  };
  if (participant !== undefined) start(participant);
  /** Sender ids this worker was given keys for (the bridge primes their next generations: KeyServer.prime). */
  const served = new Map<bigint, MediaKind>();
  async function install(kind: MediaKind, kid: bigint): Promise<boolean> {
    const base = keys(kidParticipant(kid), kidGeneration(kid));
    if (base === undefined) return false;
    await keyring.install(kind, kid, await deriveFrameKeys(SUITE_FOR_KIND[kind], base, kid));
    if (kidParticipant(kid) !== call?.participant) served.set(kidSenderId(kid), kind);
    return true;
  }
  return {
    keyring,
    host,
    now,
    /** A receiver session of this worker, on its clock. */
    receiver: (id: string, kind: MediaKind = 'video') => new ReceiveSession(id, kind, host, now),
    requests,
    controls,
    sent,
    outbox,
    keyFrames: () => keyFrameRequests,
    start,
    /** The bridge's `generation` message. */
    generation(current: number, next?: number): void {
      if (call === undefined) return;
      call = {
        number: call.number,
        participant: call.participant,
        generation: current,
        ...(next !== undefined ? { next } : {}),
      };
    },
    /** Answers every request the bridge holds a sender key for; the others stay pending. */
    async serve(): Promise<void> {
      const waiting = pending;
      pending = [];
      for (const request of waiting) if (!(await install(request.kind, request.kid))) pending.push(request);
    },
    /** A member's generation came: keys every track of theirs this worker decrypts for it, unasked (KeyServer.prime). */
    async prime(member: bigint, generation: number): Promise<void> {
      for (const [senderId, kind] of served) {
        if (senderId >> BigInt(TRACK_BITS) === member) await install(kind, makeKid(generation % 16, senderId));
      }
    },
  };
}

function frame(data: Uint8Array, mimeType = 'video/VP8', type?: 'key' | 'delta'): EncodedFrame {
  const encoded: EncodedFrame = { data: data.slice().buffer, getMetadata: () => ({ mimeType }) };
  return type === undefined ? encoded : Object.assign(encoded, { type });
}

const vp8Frames = fixtures.find((f) => f.name === 'vp8-320x180')?.frames.map((f) => f.data) ?? [];
const opusFrame = new Uint8Array([0xf8, 0xff, 0xfe, 1, 2, 3]);

async function send(session: SendSession, data: Uint8Array, mime = 'video/VP8') {
  const f = frame(data, mime);
  const ok = await session.process(f);
  return { ok, data: new Uint8Array(f.data) };
}

/** The KID of a protected frame on the wire. */
function kidOf(data: Uint8Array, framing = vp8): bigint {
  const seen = inspectFrame(framing, data);
  if (!seen.protected) throw new Error(`not a protected frame: ${String(seen.found)}`);
  return seen.kid;
}

describe('SendSession', () => {
  it('drops every frame until its key arrives, then protects every frame and asks for a keyframe', async () => {
    const alice = worker(ALICE);
    const sender = new SendSession('send-video-1', 'video', alice.host);
    for (const data of vp8Frames.slice(0, 3)) expect((await send(sender, data)).ok).toBe(false);
    expect(alice.requests).toHaveLength(1); // asked once, not once per frame
    await alice.serve();
    for (const data of vp8Frames.slice(3, 10)) {
      const out = await send(sender, data);
      expect(out.ok).toBe(true);
      expect(inspectFrame(vp8, out.data)).toMatchObject({ protected: true });
    }
    expect(alice.keyFrames()).toBe(1);
    expect(sender.snapshot('send')).toMatchObject({ protected: 7, dropped: 3, status: 'encrypted' });
  });

  it('asks the encoder for a keyframe with the next frame after our transform was put back, once', async () => {
    const alice = worker(ALICE);
    const sender = new SendSession('send-video-1', 'video', alice.host);
    await send(sender, vp8Frames[0] as Uint8Array);
    await alice.serve();
    await send(sender, vp8Frames[1] as Uint8Array);
    expect(alice.keyFrames()).toBe(1); // the first protected frame's
    sender.expectGap();
    expect(alice.keyFrames()).toBe(1); // not before a frame comes
    for (const data of vp8Frames.slice(2, 6)) expect((await send(sender, data)).ok).toBe(true);
    expect(alice.keyFrames()).toBe(2);
    expect(sender.frames()).toBe(6);
  });

  it('sends nothing, and asks for no key, before the bridge started a call', async () => {
    const alice = worker(undefined);
    const sender = new SendSession('send-video-1', 'video', alice.host);
    for (const data of vp8Frames.slice(0, 3)) expect((await send(sender, data)).ok).toBe(false);
    expect(alice.requests).toHaveLength(0);
    expect(sender.snapshot('send')).toMatchObject({ protected: 0, dropped: 3, status: 'waiting' });
    expect(sender.snapshot('send').kid).toBeUndefined();
    // The call starts: its KID's key is asked for, and frames go out once it came.
    alice.start(ALICE);
    expect((await send(sender, vp8Frames[3] as Uint8Array)).ok).toBe(false);
    expect(alice.requests).toHaveLength(1);
    await alice.serve();
    expect((await send(sender, vp8Frames[4] as Uint8Array)).ok).toBe(true);
  });

  it('protects Opus DTX and comfort noise like speech, and passes only empty frames', async () => {
    const alice = worker(ALICE);
    const sender = new SendSession('send-audio-1', 'audio', alice.host);
    await send(sender, opusFrame, 'audio/opus');
    await alice.serve();
    for (const dtx of [[0xf8], [0xf8, 0xff], [0xf8, 0xff, 0xfe]]) {
      const out = await send(sender, Uint8Array.from(dtx), 'audio/opus');
      expect(out.ok).toBe(true);
      // The TOC's mode, bandwidth and frame size stay clear; the packet is code 3 with one empty frame (opus.ts).
      expect(out.data[0]).toBe(0xfb);
      expect(out.data[1]).toBe(0x41);
      expect(inspectFrame(opus, out.data)).toMatchObject({ protected: true });
    }
    // A 0-byte frame (libwebrtc's "nothing to send" in DTX) carries nothing and is never sent: it stays empty.
    expect(await send(sender, new Uint8Array(0), 'audio/opus')).toEqual({ ok: true, data: new Uint8Array(0) });
    expect(sender.snapshot('send')).toMatchObject({ protected: 3, passthrough: 1 });
  });

  it('builds KIDs of the participant, the generation and a track number unique per session in the call', async () => {
    const alice = worker(ALICE);
    const senders = [
      new SendSession('send-video-1', 'video', alice.host),
      new SendSession('send-audio-1', 'audio', alice.host),
      new SendSession('send-video-2', 'video', alice.host),
    ];
    const kids: bigint[] = [];
    for (const sender of senders) {
      const mime = sender.kind === 'audio' ? 'audio/opus' : 'video/VP8';
      const data = sender.kind === 'audio' ? opusFrame : (vp8Frames[0] as Uint8Array);
      await send(sender, data, mime);
      kids.push(BigInt(sender.snapshot('send').kid ?? -1));
    }
    expect(kids.map(kidParticipant)).toEqual([ALICE, ALICE, ALICE]);
    expect(kids.map(kidGeneration)).toEqual([0, 0, 0]);
    expect(kids.map(kidTrack)).toEqual([0, 1, 2]);
    expect(kids).toEqual(kids.map((kid) => makeKid(0, senderIdOf(ALICE, kidTrack(kid)))));
    // A generation later, the same tracks under the new generation's bits.
    alice.generation(3);
    const video = senders[0] as SendSession;
    await send(video, vp8Frames[1] as Uint8Array);
    expect(BigInt(video.snapshot('send').kid ?? -1)).toBe(makeKid(3, senderIdOf(ALICE, 0)));
    // A session that starts later gets the next number: a track is never given twice in a call.
    const later = new SendSession('send-video-3', 'video', alice.host);
    await send(later, vp8Frames[2] as Uint8Array);
    expect(BigInt(later.snapshot('send').kid ?? -1)).toBe(makeKid(3, senderIdOf(ALICE, 3)));
  });

  it('a new call draws new track numbers under its own participant id, and never restarts a counter under a KID', async () => {
    const alice = worker(ALICE);
    const sender = new SendSession('send-audio-1', 'audio', alice.host);
    await send(sender, opusFrame, 'audio/opus');
    await alice.serve();
    const first = kidOf((await send(sender, opusFrame, 'audio/opus')).data, opus);
    // The bridge ends the call and starts another (a new worker `call`: keys dropped, tracks from 0 again).
    const NEXT = 0x0a1_1ce0_0777n;
    alice.start(NEXT);
    expect((await send(sender, opusFrame, 'audio/opus')).ok).toBe(false); // the new KID's key is not here yet
    await alice.serve();
    const second = kidOf((await send(sender, opusFrame, 'audio/opus')).data, opus);
    expect(second).not.toBe(first);
    expect(kidParticipant(second)).toBe(NEXT);
    expect(alice.requests.map((r) => r.kid)).toEqual([first, second]);
  });

  it('sends nothing once the call’s track numbers ran out', async () => {
    const alice = worker(ALICE);
    alice.host.newTrack = () => undefined;
    const sender = new SendSession('send-video-1', 'video', alice.host);
    expect((await send(sender, vp8Frames[0] as Uint8Array)).ok).toBe(false);
    expect(alice.requests).toEqual([]);
    expect(sender.snapshot('send')).toMatchObject({ dropped: 1, protected: 0 });
  });

  it('asks for the next generation’s key once it is announced, and switches to it without losing a frame', async () => {
    const alice = worker(ALICE);
    const bob = worker(BOB);
    const sender = new SendSession('send-video-1', 'video', alice.host);
    const receiver = bob.receiver('receive-video-1');
    await send(sender, vp8Frames[0] as Uint8Array);
    await alice.serve();
    await receiver.process(frame((await send(sender, vp8Frames[1] as Uint8Array)).data));
    await bob.serve();
    // Alice made generation 1 and sent its wraps: her senders ask for its key ahead, once.
    alice.generation(0, 1);
    for (const i of [2, 3, 4]) {
      const f = frame((await send(sender, vp8Frames[i] as Uint8Array)).data);
      expect(await receiver.process(f)).toBe(true);
    }
    const ahead = makeKid(1, senderIdOf(ALICE, 0));
    expect(alice.requests.map((r) => r.kid)).toEqual([makeKid(0, senderIdOf(ALICE, 0)), ahead]);
    await alice.serve();
    // Bob's bridge opened her generation 1 and keyed her track for it (KeyServer.prime).
    await bob.prime(ALICE, 1);
    alice.generation(1);
    for (const i of [5, 6, 7]) {
      const out = await send(sender, vp8Frames[i] as Uint8Array);
      expect(out.ok).toBe(true);
      expect(kidOf(out.data)).toBe(ahead);
      const f = frame(out.data);
      expect(await receiver.process(f)).toBe(true);
      expect(new Uint8Array(f.data)).toEqual(vp8Frames[i]);
    }
    expect(alice.requests).toHaveLength(2); // nothing asked at the switch
    // The first key's, and the switch's: receivers that had the key missed nothing, but whoever just got it (a
    // newcomer) starts on a keyframe instead of asking for one.
    expect(alice.keyFrames()).toBe(2);
    expect(sender.snapshot('send')).toMatchObject({ protected: 7, dropped: 1 });
    expect(receiver.snapshot('receive')).toMatchObject({ protected: 6, dropped: 1, undecryptable: 0 });
  });

  it('carries control messages on protected frames with odd counters, one chunk per frame, and reports them sent', async () => {
    const alice = worker(ALICE);
    const sender = new SendSession('send-video-1', 'video', alice.host);
    await send(sender, vp8Frames[0] as Uint8Array);
    await alice.serve();
    const message = Uint8Array.from({ length: 2 * CONTROL_CHUNK_BYTES.video + 10 }, (_, i) => i % 251);
    expect(alice.outbox.enqueue(7, message)).toBe(true);
    const counters: number[] = [];
    const regions: (Uint8Array | undefined)[] = [];
    for (const data of vp8Frames.slice(1, 6)) {
      const seen = inspectFrame(vp8, (await send(sender, data)).data);
      if (!seen.protected) throw new Error('not protected');
      counters.push(seen.found.ctr);
      regions.push(seen.found.control?.slice());
    }
    // Three chunks on the first three frames (odd counters), then plain frames (even counters): counters only grow.
    expect(counters.map((ctr) => ctr % 2)).toEqual([1, 1, 1, 0, 0]);
    expect(counters).toEqual([...counters].sort((a, b) => a - b));
    expect(new Set(counters).size).toBe(5);
    expect(regions.map((r) => r !== undefined)).toEqual([true, true, true, false, false]);
    expect(alice.sent).toEqual([7]);
  });
});

describe('ReceiveSession, audio', () => {
  it('an audio track that decrypted accepts no unauthenticated frame of 1-3 bytes: an SFU cannot inject DTX', async () => {
    const alice = worker(ALICE);
    const bob = worker(BOB);
    const sender = new SendSession('send-audio-1', 'audio', alice.host);
    await send(sender, new Uint8Array([0xf8, 1, 2, 3]), 'audio/opus');
    await alice.serve();
    const receiver = bob.receiver('receive-audio-1', 'audio');
    const deliver = async (data: Uint8Array) => {
      const f = frame(data, 'audio/opus');
      return { ok: await receiver.process(f), data: new Uint8Array(f.data) };
    };
    await deliver((await send(sender, new Uint8Array([0xf8, 1, 2, 3]), 'audio/opus')).data);
    await bob.serve();
    expect((await deliver((await send(sender, new Uint8Array([0xf8, 4, 5, 6]), 'audio/opus')).data)).ok).toBe(true);
    // The sender's own DTX frames decrypt back to what the encoder wrote.
    const dtx = await deliver((await send(sender, new Uint8Array([0xf8, 0xff, 0xfe]), 'audio/opus')).data);
    expect(dtx).toEqual({ ok: true, data: new Uint8Array([0xf8, 0xff, 0xfe]) });
    // Clear frames of 1-3 bytes, whatever they hold (Opus DTX, or a TOC and two bytes of injected audio), are refused.
    for (const injected of [[0xf8], [0x78, 0x01], [0xf8, 0xff, 0xfe], [0x0c, 0xab, 0xcd]]) {
      expect((await deliver(Uint8Array.from(injected))).ok).toBe(false);
    }
    expect(receiver.snapshot('receive')).toMatchObject({
      protected: 2,
      unencrypted: 4,
      passthrough: 0,
      injected: true,
    });
    // An empty frame carries nothing a decoder could play: it goes on, counted apart.
    expect((await deliver(new Uint8Array(0))).ok).toBe(true);
    expect(receiver.snapshot('receive')).toMatchObject({ passthrough: 1 });
  });
});

describe('ReceiveSession', () => {
  /** Alice's sender, keyed, and bob's receiver (whose bridge holds `keys`, on the clock `now`, if given). */
  async function call({ keys, now }: { keys?: HeldKeys; now?: () => number } = {}) {
    const alice = worker(ALICE);
    const bob = worker(BOB, { ...(keys ? { keys } : {}), ...(now ? { now } : {}) });
    const sender = new SendSession('send-video-1', 'video', alice.host);
    await send(sender, vp8Frames[0] as Uint8Array);
    await alice.serve();
    const receiver = bob.receiver('receive-video-1');
    async function deliver(data: Uint8Array): Promise<{ ok: boolean; data: Uint8Array }> {
      const f = frame(data);
      const ok = await receiver.process(f);
      return { ok, data: new Uint8Array(f.data) };
    }
    /** Alice's protected frame made of fixture frame `i`. */
    const next = async (i: number) => (await send(sender, vp8Frames[i % vp8Frames.length] as Uint8Array)).data;
    return { alice, bob, sender, receiver, deliver, next };
  }

  it('decrypts a member’s frames once the bridge answered its KID, after asking once', async () => {
    const { bob, sender, receiver, deliver } = await call();
    const wire: Uint8Array[] = [];
    for (const data of vp8Frames.slice(0, 8)) wire.push((await send(sender, data)).data);
    expect((await deliver(wire[0] as Uint8Array)).ok).toBe(false); // no key yet: dropped, key requested
    await bob.serve();
    for (let i = 1; i < wire.length; i++) {
      const got = await deliver(wire[i] as Uint8Array);
      expect(got.ok).toBe(true);
      expect(got.data).toEqual(vp8Frames[i]);
    }
    expect(bob.requests).toEqual([
      { kid: makeKid(0, senderIdOf(ALICE, 0)), kind: 'video', endpoint: 'receive-video-1' },
    ]);
    // The frame that came before the key is dropped, not counted as undecryptable: every receiver misses a few.
    expect(receiver.snapshot('receive')).toMatchObject({
      protected: 7,
      undecryptable: 0,
      dropped: 1,
      status: 'encrypted',
    });
  });

  it('reports frames its key does not open (another sender key under that KID) as undecryptable and passes nothing', async () => {
    const { bob, sender, receiver, deliver } = await call({ keys: (p, bits) => senderKey(p, bits, 1) });
    const wire = [];
    for (const data of vp8Frames.slice(0, 6)) wire.push((await send(sender, data)).data);
    await deliver(wire[0] as Uint8Array);
    await bob.serve();
    for (const data of wire) expect((await deliver(data)).ok).toBe(false);
    // 1 dropped before the key came, then all 6 fail authentication.
    expect(receiver.snapshot('receive')).toMatchObject({
      protected: 0,
      undecryptable: 6,
      dropped: 1,
      status: 'undecryptable',
    });
  });

  it('passes plaintext from a peer without Framelock, flagged, until the track was protected; then never again', async () => {
    const { bob, sender, receiver, deliver } = await call();
    const plain = vp8Frames[1] as Uint8Array;
    expect((await deliver(plain)).ok).toBe(true);
    expect(receiver.snapshot('receive')).toMatchObject({ unencrypted: 1, status: 'unencrypted' });
    // The peer turns Framelock on. On a track that carried plaintext, a KID is believed from its second frame on
    // (the first could be plaintext that looks like a trailer): that frame goes on as it is, ciphertext to the decoder.
    expect((await deliver((await send(sender, vp8Frames[2] as Uint8Array)).data)).ok).toBe(true);
    expect(bob.requests).toHaveLength(0);
    expect((await deliver((await send(sender, vp8Frames[3] as Uint8Array)).data)).ok).toBe(false);
    await bob.serve();
    expect((await deliver((await send(sender, vp8Frames[4] as Uint8Array)).data)).ok).toBe(true);
    // An SFU injecting plaintext into the protected track is refused.
    expect((await deliver(plain)).ok).toBe(false);
    // It counts as unencrypted, and the report says it was injected (the popup's row: blocked, not shown).
    expect(receiver.snapshot('receive')).toMatchObject({
      unencrypted: 3,
      dropped: 1,
      status: 'encrypted',
      injected: true,
    });
    expect(receiver.snapshot('receive').injected).toBeUndefined(); // per report: only while it happens
  });

  it('after a worker restart: plaintext is held until the bridge says which tracks were protected, and those stay closed to it', async () => {
    const { bob, sender, receiver, deliver } = await call();
    const plain = vp8Frames[1] as Uint8Array;
    // A replacing worker's receiver, before the bridge's `resume`: plaintext is dropped, not shown.
    receiver.plaintext.hold = true;
    expect((await deliver(plain)).ok).toBe(false);
    expect(receiver.snapshot('receive')).toMatchObject({ unencrypted: 0, dropped: 1 });
    // `resume` named it as protected under the stopped worker: it never accepts plaintext, and says it was injected.
    receiver.plaintext.hold = false;
    receiver.plaintext.markAuthenticated();
    expect((await deliver(plain)).ok).toBe(false);
    expect(receiver.snapshot('receive')).toMatchObject({ unencrypted: 1, injected: true });
    // Its sender's frames decrypt as ever, and the first asks for a keyframe (the decoder missed frames meanwhile).
    const wire = (await send(sender, vp8Frames[2] as Uint8Array)).data;
    await deliver(wire);
    await bob.serve();
    expect(bob.keyFrames()).toBe(0);
    expect((await deliver((await send(sender, vp8Frames[3] as Uint8Array)).data)).ok).toBe(true);
    expect(bob.keyFrames()).toBe(1);
  });

  it('after a worker restart, a track that was never protected shows plaintext again once the bridge has answered', async () => {
    const { receiver, deliver } = await call();
    receiver.plaintext.hold = true;
    expect((await deliver(vp8Frames[1] as Uint8Array)).ok).toBe(false);
    receiver.plaintext.hold = false; // `resume` did not name it
    expect((await deliver(vp8Frames[1] as Uint8Array)).ok).toBe(true);
    expect(receiver.snapshot('receive')).toMatchObject({ unencrypted: 1, status: 'unencrypted' });
  });

  it('a keyframe request the rate limit holds back is sent with a later frame, not lost', async () => {
    let now = 0;
    const { bob, receiver, next } = await call({ now: () => now });
    const deliver = async (data: Uint8Array) => receiver.process(frame(data));
    // Three frames missed while the key came: a keyframe is asked for with the first that decrypts.
    for (let i = 0; i < 3; i++) await deliver(await next(1 + i));
    await bob.serve();
    expect(await deliver(await next(4))).toBe(true);
    expect(bob.keyFrames()).toBe(1);
    // 200 ms later, three frames fail (altered in transit), then one decrypts: a keyframe is due, but the limit (one a
    // second) holds it back...
    now = 200;
    for (let i = 5; i < 8; i++) {
      const altered = await next(i);
      altered[0] = (altered[0] ?? 0) ^ 0x10; // a clear byte: authenticated, so the tag fails
      expect(await deliver(altered)).toBe(false);
    }
    expect(await deliver(await next(8))).toBe(true);
    expect(bob.keyFrames()).toBe(1);
    // ...and the first frame after the limit allows it carries the request.
    now = 900;
    expect(await deliver(await next(9))).toBe(true);
    expect(bob.keyFrames()).toBe(1);
    now = 1_000;
    expect(await deliver(await next(10))).toBe(true);
    expect(bob.keyFrames()).toBe(2);
    // The keyframe it asked for decrypts: the decoder restarts there, so nothing more is due.
    now = 1_500;
    expect(await receiver.process(frame(await next(11), 'video/VP8', 'key'))).toBe(true);
    now = 2_500;
    expect(await deliver(await next(12))).toBe(true);
    receiver.retryKeyFrame();
    expect(bob.keyFrames()).toBe(2); // nothing more was due
  });

  it('a request that goes unanswered is asked again every second (with frames, or without any), until a keyframe decrypts', async () => {
    let now = 0;
    const { bob, receiver, next } = await call({ now: () => now });
    expect(await receiver.process(frame(await next(1), 'video/VP8', 'delta'))).toBe(false); // its key comes next
    await bob.serve();
    expect(await receiver.process(frame(await next(2), 'video/VP8', 'key'))).toBe(true);
    expect(bob.keyFrames()).toBe(0);
    // Our transform was put back: the decoder was fed other frames meanwhile.
    receiver.expectGap();
    expect(await receiver.process(frame(await next(3), 'video/VP8', 'delta'))).toBe(true);
    expect(bob.keyFrames()).toBe(1);
    // The request was lost: delta frames keep coming, and each second one of them asks again.
    now = 500;
    expect(await receiver.process(frame(await next(4), 'video/VP8', 'delta'))).toBe(true);
    expect(bob.keyFrames()).toBe(1);
    now = 1_000;
    expect(await receiver.process(frame(await next(5), 'video/VP8', 'delta'))).toBe(true);
    expect(bob.keyFrames()).toBe(2);
    // No frame reaches the transform at all: the worker's second tick asks, once a second.
    now = 2_000;
    receiver.retryKeyFrame();
    receiver.retryKeyFrame();
    expect(bob.keyFrames()).toBe(3);
    // A keyframe decrypts: no more requests, with frames or without.
    now = 3_000;
    expect(await receiver.process(frame(await next(6), 'video/VP8', 'key'))).toBe(true);
    now = 4_000;
    expect(await receiver.process(frame(await next(7), 'video/VP8', 'delta'))).toBe(true);
    receiver.retryKeyFrame();
    expect(bob.keyFrames()).toBe(3);
  });

  it('the worker’s second tick asks for nothing on a track that never decrypted, or on audio', async () => {
    const bob = worker(BOB);
    const fresh = bob.receiver('receive-video-1');
    fresh.expectGap();
    fresh.retryKeyFrame();
    const audio = bob.receiver('receive-audio-1', 'audio');
    audio.plaintext.markAuthenticated();
    audio.expectGap();
    audio.retryKeyFrame();
    expect(bob.keyFrames()).toBe(0);
  });

  it('drops duplicates without calling them undecryptable', async () => {
    const { bob, sender, receiver, deliver } = await call();
    const wire = (await send(sender, vp8Frames[1] as Uint8Array)).data;
    await deliver(wire);
    await bob.serve();
    const again = (await send(sender, vp8Frames[2] as Uint8Array)).data;
    expect((await deliver(again)).ok).toBe(true);
    expect((await deliver(again)).ok).toBe(false);
    expect(receiver.snapshot('receive')).toMatchObject({
      protected: 1,
      undecryptable: 0,
      dropped: 2,
      status: 'encrypted',
    });
  });

  it(`calls a sender undecryptable once its key has been missing for ${KEY_GRACE_MS} ms`, async () => {
    let now = 0;
    // Bob's bridge never gets the sender's key (its wrap never reached him): the request waits there.
    const { bob, receiver, next } = await call({ keys: () => undefined, now: () => now });
    const wire = await next(1);
    expect(await receiver.process(frame(wire))).toBe(false);
    await bob.serve();
    expect(receiver.snapshot('receive')).toMatchObject({ dropped: 1, undecryptable: 0, status: 'waiting' });
    now = KEY_GRACE_MS - 1;
    expect(await receiver.process(frame(await next(2)))).toBe(false);
    expect(receiver.snapshot('receive')).toMatchObject({ dropped: 2, undecryptable: 0, status: 'waiting' });
    now = KEY_GRACE_MS;
    expect(await receiver.process(frame(await next(3)))).toBe(false);
    expect(receiver.snapshot('receive')).toMatchObject({ undecryptable: 1, status: 'undecryptable' });
    expect(receiver.snapshot('receive').lastError).toBe('no key for this sender');
    expect(bob.requests.length).toBe(2); // asked again after the retry period
  });

  it('strict mode drops plaintext from the start', async () => {
    const { receiver, deliver } = await call();
    receiver.plaintext.strict = true;
    expect((await deliver(vp8Frames[1] as Uint8Array)).ok).toBe(false);
    expect(receiver.snapshot('receive')).toMatchObject({ unencrypted: 1, status: 'unencrypted', strict: true });
  });

  it('asks for a keyframe when decryption resumes after a run of failures', async () => {
    const { bob, sender, deliver } = await call();
    const wire = [];
    for (const data of vp8Frames.slice(0, 6)) wire.push((await send(sender, data)).data);
    for (const data of wire.slice(0, 4)) await deliver(data); // no key yet: 4 failures
    await bob.serve();
    expect((await deliver(wire[4] as Uint8Array)).ok).toBe(true);
    expect(bob.keyFrames()).toBe(1);
  });

  it('counts our own media echoed back: any track of our own participant id, not a member’s', async () => {
    const alice = worker(ALICE);
    const camera = new SendSession('send-video-1', 'video', alice.host);
    const screen = new SendSession('send-video-2', 'video', alice.host);
    for (const sender of [camera, screen]) await send(sender, vp8Frames[0] as Uint8Array);
    await alice.serve();
    const echo = alice.receiver('receive-video-1');
    for (const sender of [camera, screen, camera]) {
      expect(await echo.process(frame((await send(sender, vp8Frames[1] as Uint8Array)).data))).toBe(true);
    }
    expect(echo.snapshot('receive')).toMatchObject({ echoed: 3, protected: 3 });
    // Bob's frames on the same receiver are a member's, not ours.
    const bob = worker(BOB);
    const bobs = new SendSession('send-video-1', 'video', bob.host);
    await send(bobs, vp8Frames[0] as Uint8Array);
    await bob.serve();
    await echo.process(frame((await send(bobs, vp8Frames[1] as Uint8Array)).data));
    await alice.serve();
    expect(await echo.process(frame((await send(bobs, vp8Frames[2] as Uint8Array)).data))).toBe(true);
    expect(echo.snapshot('receive')).toMatchObject({ echoed: 3, protected: 4 });
  });

  it('crosses generations without losing a frame when keys come ahead, and keeps no retired generation’s keys', async () => {
    const alice = worker(ALICE);
    const bob = worker(BOB);
    const sender = new SendSession('send-video-1', 'video', alice.host);
    const receiver = bob.receiver('receive-video-1');
    await send(sender, vp8Frames[0] as Uint8Array);
    await alice.serve();
    await receiver.process(frame((await send(sender, vp8Frames[1] as Uint8Array)).data));
    await bob.serve();
    const kids = new Set<bigint>();
    let frameIndex = 2;
    for (const generation of [1, 2, 3, 4]) {
      // Alice made the generation: her sender asks for its key ahead; bob's bridge keys her track for it.
      alice.generation(generation - 1, generation);
      // Its next frame still goes out under the generation before, and asks for the new one's key.
      expect(
        await receiver.process(
          frame((await send(sender, vp8Frames[frameIndex++ % vp8Frames.length] as Uint8Array)).data),
        ),
      ).toBe(true);
      await alice.serve();
      await bob.prime(ALICE, generation);
      alice.generation(generation);
      for (let i = 0; i < 3; i++) {
        const wire = (await send(sender, vp8Frames[frameIndex % vp8Frames.length] as Uint8Array)).data;
        kids.add(kidOf(wire));
        const f = frame(wire);
        expect(await receiver.process(f), `generation ${generation} frame ${i}`).toBe(true);
        expect(new Uint8Array(f.data)).toEqual(vp8Frames[frameIndex % vp8Frames.length]);
        frameIndex++;
      }
      // The generation before is over (its grace passed): the bridges retire it.
      alice.keyring.retire(ALICE, generation - 1);
      bob.keyring.retire(ALICE, generation - 1);
    }
    // One KID per generation, all of one track.
    expect(kids.size).toBe(4);
    expect(new Set([...kids].map(kidSenderId))).toEqual(new Set([senderIdOf(ALICE, 0)]));
    expect(sender.snapshot('send')).toMatchObject({ dropped: 1 }); // only the very first frame, before any key
    expect(receiver.snapshot('receive')).toMatchObject({ undecryptable: 0, dropped: 1, protected: 16 });
    // Only the current generation's key is left on each side.
    expect(alice.keyring.keyCount('video')).toBe(1);
    expect(bob.keyring.keyCount('video')).toBe(1);
  });

  it('keeps a call going past 16 generations: a new track takes over, keyed ahead, so no KID is ever keyed twice', async () => {
    // The KID holds the generation mod 16: past 16 generations a track would name a KID it used (and retired)
    // before, which no context keys twice, and the sender would go silent for the rest of the call.
    let held = [0];
    const keys = keysOf(() => held);
    const alice = worker(ALICE, { keys });
    const bob = worker(BOB, { keys });
    const sender = new SendSession('send-video-1', 'video', alice.host);
    const receiver = bob.receiver('receive-video-1');
    await send(sender, vp8Frames[0] as Uint8Array);
    await alice.serve();
    await receiver.process(frame((await send(sender, vp8Frames[1] as Uint8Array)).data));
    await bob.serve();
    const kids = new Set<bigint>();
    const lost: number[] = [];
    let i = 2;
    const next = () => vp8Frames[i++ % vp8Frames.length] as Uint8Array;
    for (let generation = 0; generation < 40; generation++) {
      for (let n = 0; n < 3; n++) {
        const out = await send(sender, next());
        if (!out.ok) {
          lost.push(generation);
          continue;
        }
        kids.add(kidOf(out.data));
        if (!(await receiver.process(frame(out.data)))) {
          await bob.serve(); // a new track: the receiver fetches its key, as the bridge would answer
          expect(await receiver.process(frame((await send(sender, next())).data))).toBe(true);
        }
      }
      // A re-key: generation + 1 is made, announced and asked for ahead, primed at bob's, switched to; this one retires.
      held = [generation, generation + 1];
      alice.generation(generation, generation + 1);
      if (!(await send(sender, next())).ok) lost.push(generation); // still under this generation: asks ahead
      await alice.serve();
      await bob.prime(ALICE, generation + 1);
      alice.generation(generation + 1);
      held = [generation + 1];
      alice.keyring.retire(ALICE, generation);
      bob.keyring.retire(ALICE, generation);
    }
    expect(lost).toEqual([]); // the sender never dropped a frame: each KID's key was there at its first frame
    expect(kids.size).toBe(40); // 40 generations, 40 distinct KIDs
    expect(new Set([...kids].map(kidTrack))).toEqual(new Set([0, 1, 2])); // generations 0-15, 16-31, 32-39
    expect(receiver.snapshot('receive')).toMatchObject({ undecryptable: 0 });
  });

  it('a recorded frame whose generation bits alias a later generation (16 on) fails authentication', async () => {
    const alice = worker(ALICE);
    // Bob's bridge holds alice's generation 17, whose bits are generation 1's.
    const bob = worker(BOB, { keys: (p, bits) => senderKey(p, bits + 16) });
    const sender = new SendSession('send-video-1', 'video', alice.host);
    const receiver = bob.receiver('receive-video-1');
    alice.generation(1);
    await send(sender, vp8Frames[0] as Uint8Array);
    await alice.serve();
    const recorded = (await send(sender, vp8Frames[1] as Uint8Array)).data;
    await receiver.process(frame(recorded));
    await bob.serve();
    expect(await receiver.process(frame(recorded))).toBe(false);
    expect(receiver.snapshot('receive')).toMatchObject({ protected: 0, undecryptable: 1 });
  });

  it('after `retire`, a generation’s frames find no key: never keyed again, they wait, then fail', async () => {
    let now = 0;
    let bridgeHolds = true;
    const { alice, bob, sender, receiver, next } = await call({
      keys: (p, bits) => (bridgeHolds ? senderKey(p, bits) : undefined),
      now: () => now,
    });
    await receiver.process(frame(await next(1)));
    await bob.serve();
    const recorded = await next(2);
    expect(await receiver.process(frame(await next(3)))).toBe(true);
    expect(bob.keyring.keyCount('video')).toBe(1);
    // Another participant's generation of the same bits, and another generation of alice's, are not touched.
    expect(bob.keyring.retire(MALLORY, 0)).toBe(0);
    expect(bob.keyring.retire(ALICE, 1)).toBe(0);
    // Generation 0 is over: bob's bridge dropped alice's key of it, and tells the worker.
    bridgeHolds = false;
    expect(bob.keyring.retire(ALICE, 0)).toBe(1);
    expect(bob.keyring.keyCount('video')).toBe(0);
    // A frame recorded under it (or one sent late) is dropped, and its key asked for again...
    expect(await receiver.process(frame(recorded))).toBe(false);
    const kid = makeKid(0, senderIdOf(ALICE, 0));
    expect(bob.requests.map((r) => r.kid)).toEqual([kid, kid]);
    // ...which never comes: they fail once the grace is over.
    await bob.serve();
    now = KEY_GRACE_MS;
    expect(await receiver.process(frame(recorded))).toBe(false);
    expect(receiver.snapshot('receive')).toMatchObject({ protected: 1, undecryptable: 1 });
    // Nor could it be installed if a bridge sent it: a KID is never keyed twice.
    const stale = await deriveFrameKeys(SUITE_FOR_KIND.video, senderKey(ALICE, 0), kid);
    expect(await bob.keyring.install('video', kid, stale)).toBe(false);
    expect(bob.keyring.has('video', kid)).toBe(false);
    // The sender's own keyring retires it the same way: a frame still under generation 0 goes nowhere.
    alice.keyring.retire(ALICE, 0);
    expect((await send(sender, vp8Frames[4] as Uint8Array)).ok).toBe(false);
    await alice.serve();
    expect((await send(sender, vp8Frames[5] as Uint8Array)).ok).toBe(false);
    expect(sender.snapshot('send')).toMatchObject({ dropped: 3 });
  });

  it('delivers a control message reassembled from a member’s frames, with or without the frames’ key', async () => {
    for (const keyed of [true, false]) {
      const alice = worker(ALICE);
      const bob = worker(BOB, { keys: keyed ? everyKey : () => undefined });
      const sender = new SendSession('send-video-1', 'video', alice.host);
      const receiver = bob.receiver('receive-video-1');
      await send(sender, vp8Frames[0] as Uint8Array);
      await alice.serve();
      const message = Uint8Array.from({ length: CONTROL_CHUNK_BYTES.video + 50 }, (_, i) => (i * 7) % 256);
      alice.outbox.enqueue(1, message);
      for (const data of vp8Frames.slice(1, 5)) {
        await receiver.process(frame((await send(sender, data)).data));
        await bob.serve();
      }
      expect(bob.controls, `keyed: ${keyed}`).toEqual([message]);
      expect(receiver.snapshot('receive'), `keyed: ${keyed}`).toMatchObject(
        keyed ? { protected: 3, dropped: 1 } : { protected: 0, dropped: 4 },
      );
    }
  });

  it('counts frames of an older Framelock (format v1-v4) as undecryptable once their KID recurs, and reports it', async () => {
    const { receiver, deliver, next } = await call();
    const older = async (i: number) => {
      const data = (await next(i)).slice();
      data[data.length - 9] = ((data[data.length - 9] ?? 0) & 0x0f) | 0xb0; // the v1-v3 KID marker
      return data;
    };
    const first = await older(1);
    expect(inspectFrame(vp8, first)).toMatchObject({ protected: false, found: 'older_format' });
    expect((await deliver(first)).ok).toBe(false);
    // One frame proves nothing (plaintext ends like a v1-v4 trailer once in 128 frames): dropped, not reported yet.
    const stats = receiver.snapshot('receive');
    expect(stats).toMatchObject({ dropped: 1, undecryptable: 0, unencrypted: 0 });
    expect(stats.lastError).toMatch(/older Framelock/);
    expect(stats.olderFormat).toBeUndefined();
    // Its KID again: an older Framelock sends here. Reported in that snapshot, not the next one without such frames.
    expect((await deliver(await older(2))).ok).toBe(false);
    expect(receiver.snapshot('receive')).toMatchObject({
      undecryptable: 1,
      olderFormat: true,
      status: 'undecryptable',
    });
    expect(receiver.snapshot('receive').olderFormat).toBeUndefined();
    expect((await deliver(await older(3))).ok).toBe(false);
    expect(receiver.snapshot('receive')).toMatchObject({ undecryptable: 2, olderFormat: true });
    expect(receiver.snapshot('receive').olderFormat).toBeUndefined();
  });

  /**
   * Plaintext that happens to end like a v4 trailer (1 frame in 256 does): config byte 0xF0 (CTR in 1 byte, even: no
   * control region), a KID with the Framelock marker, a random generation and sender id.
   */
  function trailerLookalike(plain: Uint8Array, genBits: number, senderId: bigint): Uint8Array {
    const kid = makeKid(genBits, senderId);
    const out = new Uint8Array(plain.length + 16 + 1 + 8 + 1);
    out.set(plain);
    const view = new DataView(out.buffer);
    view.setBigUint64(out.length - 9, kid);
    out[out.length - 1] = 0xf0;
    return out;
  }

  it('takes plaintext that ends like an older format’s trailer, or an unparsable one, for plaintext (a server’s mix)', async () => {
    const { bob, receiver, deliver } = await call();
    for (const data of vp8Frames.slice(1, 5)) expect((await deliver(data)).ok).toBe(true);
    for (let i = 0; i < 10; i++) {
      // A v1-v4 marker and a fresh random KID, as 1 plaintext frame in 128 ends.
      const older = trailerLookalike(vp8Frames[5 + (i % 4)] as Uint8Array, 8, 0x50_0000_0000_0000n + BigInt(i));
      older[older.length - 9] = ((older[older.length - 9] ?? 0) & 0x0f) | (i % 2 === 0 ? 0xb0 : 0xc0);
      expect(inspectFrame(vp8, older)).toMatchObject({ protected: false, found: 'older_format' });
      expect((await deliver(older)).ok).toBe(true);
      // A CTR in two bytes whose first is 0: no sender of ours writes that.
      const unparsable = trailerLookalike(vp8Frames[5 + (i % 4)] as Uint8Array, 8, 0x60_0000_0000_0000n + BigInt(i));
      const widened = new Uint8Array(unparsable.length + 1);
      widened.set(unparsable.subarray(0, unparsable.length - 9));
      widened.set(unparsable.subarray(unparsable.length - 9, unparsable.length - 1), unparsable.length - 8);
      widened[widened.length - 10] = 0;
      widened[widened.length - 1] = 0xf9;
      expect(inspectFrame(vp8, widened)).toMatchObject({ protected: false, found: 'header_non_minimal' });
      expect((await deliver(widened)).ok).toBe(true);
    }
    await bob.serve();
    expect(bob.requests).toHaveLength(0);
    expect(receiver.snapshot('receive')).toMatchObject({ unencrypted: 24, undecryptable: 0, status: 'unencrypted' });
    expect(receiver.snapshot('receive').olderFormat).toBeUndefined();
  });

  it('takes plaintext that looks like a trailer for plaintext: no key request', async () => {
    const { bob, receiver, deliver } = await call();
    for (const data of vp8Frames.slice(1, 5)) expect((await deliver(data)).ok).toBe(true);
    for (let i = 0; i < 20; i++) {
      const lookalike = trailerLookalike(vp8Frames[5 + (i % 4)] as Uint8Array, 8, 0x50_0000_0000_0000n + BigInt(i));
      expect(inspectFrame(vp8, lookalike)).toMatchObject({ protected: true });
      expect((await deliver(lookalike)).ok).toBe(true);
      await bob.serve();
    }
    expect(bob.requests).toHaveLength(0);
    expect(receiver.snapshot('receive')).toMatchObject({ unencrypted: 24, undecryptable: 0, status: 'unencrypted' });
  });

  it('drops the frames of a KID the bridge refused without calling them undecryptable, and asks again later', async () => {
    let now = 0;
    const { bob, receiver, next } = await call({ now: () => now });
    const kid = makeKid(0, senderIdOf(ALICE, 0));
    expect(await receiver.process(frame(await next(1)))).toBe(false);
    bob.keyring.refuse('video', kid, { reason: 'rate' });
    now = KEY_GRACE_MS; // a refusal is no "key missing for a while": nothing proves these frames are a sender's
    expect(await receiver.process(frame(await next(2)))).toBe(false);
    expect(receiver.snapshot('receive')).toMatchObject({ undecryptable: 0, dropped: 2 });
    expect(bob.requests).toHaveLength(2); // the retry period passed: asked again, and answered this time
    await bob.serve();
    expect(await receiver.process(frame(await next(3)))).toBe(true);
  });

  it('never throws on garbage', async () => {
    const { receiver } = await call();
    const broken = {
      data: new ArrayBuffer(40),
      getMetadata: () => {
        throw new Error('detached');
      },
    };
    expect(await receiver.process(broken)).toBeTypeOf('boolean');
  });
});

describe('key-request flooding (issue 14 §3)', () => {
  /**
   * A frame a member of the call floods us with: a real VP8 frame with a Framelock-looking trailer (config byte 0xF0,
   * CTR 0, a KID of its own participant id with a fresh track) and a random tag. Its bridge holds the flooder's sender
   * key, so every KID of it can be keyed: only the quota and the worker's own bounds stand in the way.
   */
  function junkFrame(track: number, i: number): EncodedFrame {
    const plain = vp8Frames[i % vp8Frames.length] as Uint8Array;
    const out = new Uint8Array(plain.length + 16 + 8 + 1);
    out.set(plain);
    crypto.getRandomValues(out.subarray(plain.length, plain.length + 16));
    new DataView(out.buffer).setBigUint64(out.length - 9, makeKid(0, senderIdOf(MALLORY, track)));
    out[out.length - 1] = 0xf0;
    return frame(out);
  }

  /**
   * Bob's worker on a fake clock, with receivers of his own choosing, served by a stand-in for the bridge that applies
   * the bridge's own quota (src/content/key-quota.ts) per requesting transform, or none (`unlimited`).
   */
  function bobsWorker({ unlimited = false } = {}) {
    let now = 0;
    const clock = () => now;
    const requests: { kid: bigint; kind: MediaKind; endpoint: string }[] = [];
    const keyring = new Keyring((kid, kind, endpoint) => requests.push({ kid, kind, endpoint }), clock);
    const quota = new KeyRequestQuota(clock);
    const host: SessionHost = {
      keyring,
      call: () => ({ number: 1, participant: BOB, generation: 0 }),
      newTrack: () => 0,
      outbox: new ControlOutbox({ onSent: () => {}, onDropped: () => {} }),
      onControl: () => {},
      requestKeyFrame: () => {},
    };
    const receivers: ReceiveSession[] = [];
    let nextJunk = 0;
    return {
      keyring,
      advance(ms: number) {
        now += ms;
      },
      receiver(id: string): ReceiveSession {
        const receiver = new ReceiveSession(id, 'video', host, clock);
        receivers.push(receiver);
        return receiver;
      },
      /** The bridge answers every request: keys, or `rate` when the asking transform (or the frame) is over budget. */
      async serve(): Promise<void> {
        for (const { kid, kind, endpoint } of requests.splice(0)) {
          const admission = unlimited ? 'charged' : quota.admit(endpoint, kidSenderId(kid), kid);
          if (admission === 'endpoint_limit' || admission === 'frame_limit') {
            keyring.refuse(kind, kid, { reason: 'rate' });
            continue;
          }
          const base = senderKey(kidParticipant(kid), kidGeneration(kid));
          await keyring.install(kind, kid, await deriveFrameKeys(SUITE_FOR_KIND[kind], base, kid));
        }
      },
      /** The worker's second: counters go to the bridge (which proves the senders that authenticated), junk keys go. */
      tick(): void {
        for (const receiver of receivers) {
          const stats = receiver.snapshot('receive');
          for (const entry of stats.byKid ?? []) {
            if (entry.protected > 0) quota.prove(stats.id, kidSenderId(BigInt(entry.kid)));
          }
        }
        keyring.sweep();
      },
      /** One junk frame with a fresh KID into `receiver`, served, 33 ms later (30 frames a second). */
      async flood(receiver: ReceiveSession, frames: number): Promise<void> {
        for (let i = 0; i < frames; i++) {
          await receiver.process(junkFrame(nextJunk++ % (1 << TRACK_BITS), i));
          await this.serve();
          now += 33;
          if (i % 30 === 29) this.tick();
        }
      },
    };
  }

  /** Alice, keyed, and a function that gives her next protected frame. */
  async function alice() {
    const alice = worker(ALICE);
    const sender = new SendSession('send-video-1', 'video', alice.host);
    await send(sender, vp8Frames[0] as Uint8Array);
    await alice.serve();
    let i = 1;
    return async () => frame((await send(sender, vp8Frames[i++ % vp8Frames.length] as Uint8Array)).data);
  }

  /** Delivers alice's frames to `receiver` every 33 ms until one decrypts; returns how many were dropped before. */
  async function framesUntilDecrypted(
    bob: ReturnType<typeof bobsWorker>,
    receiver: ReceiveSession,
    next: () => Promise<EncodedFrame>,
  ) {
    for (let dropped = 0; dropped < 1_000; dropped++) {
      if (await receiver.process(await next())) return dropped;
      await bob.serve();
      bob.advance(33);
      if (dropped % 30 === 29) bob.tick();
    }
    return Number.POSITIVE_INFINITY;
  }

  it('a flood of junk KIDs on one receiver does not delay a newcomer on another receiver', async () => {
    // Without a flood: the newcomer's first frame asks for its key, the second decrypts.
    const calm = bobsWorker();
    calm.receiver('receive-video-1');
    const baseline = await framesUntilDecrypted(calm, calm.receiver('receive-video-2'), await alice());
    expect(baseline).toBe(1);
    // With a member flooding bob's other receiver with a fresh KID per frame for a minute (1,800 key requests: the old
    // frame-wide budget of 240 a minute was gone after 8 s, and the newcomer waited for the window).
    const bob = bobsWorker();
    const flooded = bob.receiver('receive-video-1');
    await bob.flood(flooded, 30 * 60);
    expect(await framesUntilDecrypted(bob, bob.receiver('receive-video-2'), await alice())).toBe(baseline);
    expect(flooded.snapshot('receive')).toMatchObject({ protected: 0 });
  });

  it('junk keys are dropped: a few per receiver at most, none after a few seconds; a proven sender’s keys stay', async () => {
    // A bridge that keys every request: the worker's own bound must hold.
    const bob = bobsWorker({ unlimited: true });
    const flooded = bob.receiver('receive-video-1');
    const newcomer = bob.receiver('receive-video-2');
    const next = await alice();
    expect(await framesUntilDecrypted(bob, newcomer, next)).toBe(1);
    const provenKeys = bob.keyring.keyCount('video'); // alice's KID
    expect(provenKeys).toBe(1);
    for (let i = 0; i < 200; i++) {
      await bob.flood(flooded, 1);
      expect(bob.keyring.unprovenCount('video')).toBeLessThanOrEqual(MAX_UNPROVEN_KEYS_PER_ENDPOINT);
    }
    expect(bob.keyring.keyCount('video')).toBeLessThanOrEqual(provenKeys + MAX_UNPROVEN_KEYS_PER_ENDPOINT);
    bob.advance(UNPROVEN_KEY_TTL_MS);
    bob.tick();
    expect(bob.keyring.unprovenCount('video')).toBe(0);
    expect(bob.keyring.keyCount('video')).toBe(provenKeys);
    expect(await newcomer.process(await next())).toBe(true);
  });

  it('the flooded receiver gets its real sender back when it shows up there (an SFU switch), and keeps it under junk', async () => {
    const bob = bobsWorker();
    const track = bob.receiver('receive-video-1');
    await bob.flood(track, 30 * 20);
    // The SFU switches the track to alice: her KID waits for the track's next token (one per 3 s; the worker asks
    // again every 2 s), never for the frame's minute.
    const next = await alice();
    const dropped = await framesUntilDecrypted(bob, track, next);
    expect(dropped * 33).toBeLessThanOrEqual(ENDPOINT_REFILL_MS + 2_000 + 100);
    // The flood comes back on the same track, interleaved with her frames, for 20 s: every one of hers decrypts (her
    // key is proven: no junk pushes it out, and no sweep drops it).
    bob.tick();
    let hers = 0;
    for (let i = 0; i < 30 * 20; i++) {
      await bob.flood(track, 1);
      expect(await track.process(await next()), `her frame ${i}`).toBe(true);
      hers++;
    }
    expect(hers).toBe(600);
  });
});
