import { describe, expect, it } from 'vitest';
import { inspectFrame, kidEpoch, kidSenderId, makeKid, opus, SUITE_FOR_KIND, vp8 } from '../../src/codecs';
import { ENDPOINT_REFILL_MS } from '../../src/content/constants';
import { KeyRequestQuota } from '../../src/content/key-quota';
import { deriveFrameKeys } from '../../src/sframe';
import { epochDistance, epochFromBits } from '../../src/shared/epoch';
import type { MediaKind } from '../../src/shared/messages/schema';
import { MAX_UNPROVEN_KEYS_PER_ENDPOINT, UNPROVEN_KEY_TTL_MS } from '../../src/worker/constants';
import { Keyring } from '../../src/worker/keyring';
import { ReceiveSession } from '../../src/worker/receive-session';
import { SendSession } from '../../src/worker/send-session';
import type { EncodedFrame, SessionHost } from '../../src/worker/session';
import { fixtures } from './fixtures';

const epochKey = new Uint8Array(16).fill(42);
const otherKey = new Uint8Array(16).fill(7);

/** The epoch base key of `epoch` for a room whose keys all derive from `key` (a stand-in for the HKDF step). */
function epochBaseKey(key: Uint8Array, epoch: number): Uint8Array {
  return key.map((byte, i) => byte ^ ((epoch >> (8 * (i % 4))) & 0xff));
}

/**
 * A participant's worker: a keyring whose key requests are answered as the bridge would, from a room key `key`, for
 * the epochs around `epoch` (which the test moves with `enter`).
 */
function participant(key: Uint8Array | undefined, { epoch }: { epoch: number | undefined } = { epoch: 0 }) {
  const requests: { kid: bigint; kind: MediaKind }[] = [];
  const keyring = new Keyring((kid, kind) => requests.push({ kid, kind }));
  let keyFrameRequests = 0;
  let nextId = 1n;
  let current = epoch;
  const host: SessionHost = {
    keyring,
    epoch: () => current,
    randomSenderId: () => 0x1000_0000_0000n + nextId++,
    requestKeyFrame: () => {
      keyFrameRequests++;
    },
  };
  /** Answers every outstanding key request, as the bridge would (refusing epochs outside the window). */
  async function serve(): Promise<void> {
    if (key === undefined) return;
    for (const { kid, kind } of requests.splice(0)) {
      const keyEpoch = epochFromBits(kidEpoch(kid), current ?? 0);
      if (keyEpoch === undefined) {
        keyring.refuse(kind, kid, { reason: 'epoch', distance: epochDistance(kidEpoch(kid), current ?? 0) });
        continue;
      }
      const keys = await deriveFrameKeys(SUITE_FOR_KIND[kind], epochBaseKey(key, keyEpoch), kid);
      await keyring.install(kind, kid, keys, keyEpoch);
    }
  }
  /** A boundary: the bridge announces `next`, the worker retires old keys and its sessions ask ahead. */
  function enter(next: number, ...sessions: (SendSession | ReceiveSession)[]): void {
    current = next;
    keyring.advance(next);
    for (const session of sessions) session.prepare(next);
  }
  return { keyring, host, serve, enter, requests, keyFrames: () => keyFrameRequests };
}

function frame(data: Uint8Array, mimeType = 'video/VP8', type?: 'key' | 'delta'): EncodedFrame {
  const encoded: EncodedFrame = { data: data.slice().buffer, getMetadata: () => ({ mimeType }) };
  return type === undefined ? encoded : Object.assign(encoded, { type });
}

const vp8Frames = fixtures.find((f) => f.name === 'vp8-320x180')?.frames.map((f) => f.data) ?? [];

async function send(session: SendSession, data: Uint8Array, mime = 'video/VP8') {
  const f = frame(data, mime);
  const ok = await session.process(f);
  return { ok, data: new Uint8Array(f.data) };
}

describe('SendSession', () => {
  it('drops every frame until its key arrives, then protects every frame and asks for a keyframe', async () => {
    const alice = participant(epochKey);
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
    const alice = participant(epochKey);
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

  it('sends nothing before it knows the epoch', async () => {
    const alice = participant(epochKey, { epoch: undefined });
    const sender = new SendSession('s', 'video', alice.host);
    expect((await send(sender, vp8Frames[0] as Uint8Array)).ok).toBe(false);
    expect(alice.requests).toHaveLength(0);
  });

  it('protects Opus DTX and comfort noise like speech, passes only empty frames, and draws a new KID after the keys were dropped', async () => {
    const alice = participant(epochKey);
    const sender = new SendSession('a', 'audio', alice.host);
    await send(sender, new Uint8Array([0xf8, 0xff, 0xfe, 1, 2]), 'audio/opus');
    await alice.serve();
    for (const dtx of [[0xf8], [0xf8, 0xff], [0xf8, 0xff, 0xfe]]) {
      const out = await send(sender, Uint8Array.from(dtx), 'audio/opus');
      expect(out.ok).toBe(true);
      expect(out.data[0]).toBe(0xf8); // the TOC byte stays clear
      expect(inspectFrame(opus, out.data)).toMatchObject({ protected: true });
    }
    // A 0-byte frame (libwebrtc's "nothing to send" in DTX) carries nothing and is never sent: it stays empty.
    expect(await send(sender, new Uint8Array(0), 'audio/opus')).toEqual({ ok: true, data: new Uint8Array(0) });
    expect(sender.snapshot('send')).toMatchObject({ protected: 3, passthrough: 1 });
    const first = sender.snapshot('send').kid;
    alice.keyring.clear();
    await send(sender, new Uint8Array([0xf8, 0xff, 0xfe, 1, 2]), 'audio/opus');
    expect(sender.snapshot('send').kid).not.toBe(first);
  });
});

describe('ReceiveSession, audio', () => {
  it('an audio track that decrypted accepts no unauthenticated frame of 1-3 bytes: an SFU cannot inject DTX', async () => {
    const alice = participant(epochKey);
    const bob = participant(epochKey);
    const sender = new SendSession('a', 'audio', alice.host);
    await send(sender, new Uint8Array([0xf8, 1, 2, 3]), 'audio/opus');
    await alice.serve();
    const receiver = new ReceiveSession('r', 'audio', bob.host);
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
  /** Alice's sender, keyed, and bob's receiver (with the clock `now`, if given). */
  async function call(bobKey: Uint8Array | undefined, now?: () => number) {
    const alice = participant(epochKey);
    const bob = participant(bobKey);
    const sender = new SendSession('send-video-1', 'video', alice.host);
    await send(sender, vp8Frames[0] as Uint8Array);
    await alice.serve();
    const receiver = new ReceiveSession('receive-video-1', 'video', bob.host, now);
    async function deliver(data: Uint8Array): Promise<{ ok: boolean; data: Uint8Array }> {
      const f = frame(data);
      const ok = await receiver.process(f);
      return { ok, data: new Uint8Array(f.data) };
    }
    /** Alice's protected frame made of fixture frame `i`. */
    const next = async (i: number) => (await send(sender, vp8Frames[i % vp8Frames.length] as Uint8Array)).data;
    return { alice, bob, sender, receiver, deliver, next };
  }

  it('decrypts a peer with the same passphrase, after fetching the key once', async () => {
    const { bob, sender, receiver, deliver } = await call(epochKey);
    const wire: Uint8Array[] = [];
    for (const data of vp8Frames.slice(0, 8)) wire.push((await send(sender, data)).data);
    expect((await deliver(wire[0] as Uint8Array)).ok).toBe(false); // no key yet: dropped, key requested
    await bob.serve();
    for (let i = 1; i < wire.length; i++) {
      const got = await deliver(wire[i] as Uint8Array);
      expect(got.ok).toBe(true);
      expect(got.data).toEqual(vp8Frames[i]);
    }
    // The frame that came before the key is dropped, not counted as undecryptable: every receiver misses a few.
    expect(receiver.snapshot('receive')).toMatchObject({
      protected: 7,
      undecryptable: 0,
      dropped: 1,
      status: 'encrypted',
    });
  });

  it('reports a peer with another passphrase as undecryptable and passes nothing', async () => {
    const { bob, sender, receiver, deliver } = await call(otherKey);
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
    const { bob, sender, receiver, deliver } = await call(epochKey);
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
    const { bob, sender, receiver, deliver } = await call(epochKey);
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
    const { receiver, deliver } = await call(epochKey);
    receiver.plaintext.hold = true;
    expect((await deliver(vp8Frames[1] as Uint8Array)).ok).toBe(false);
    receiver.plaintext.hold = false; // `resume` did not name it
    expect((await deliver(vp8Frames[1] as Uint8Array)).ok).toBe(true);
    expect(receiver.snapshot('receive')).toMatchObject({ unencrypted: 1, status: 'unencrypted' });
  });

  it('a keyframe request the rate limit holds back is sent with a later frame, not lost', async () => {
    let now = 0;
    const { bob, receiver, next } = await call(epochKey, () => now);
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
    const { bob, receiver, next } = await call(epochKey, () => now);
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
    const bob = participant(epochKey);
    const fresh = new ReceiveSession('receive-video-1', 'video', bob.host, () => 0);
    fresh.expectGap();
    fresh.retryKeyFrame();
    const audio = new ReceiveSession('receive-audio-1', 'audio', bob.host, () => 0);
    audio.plaintext.markAuthenticated();
    audio.expectGap();
    audio.retryKeyFrame();
    expect(bob.keyFrames()).toBe(0);
  });

  it('drops duplicates without calling them undecryptable', async () => {
    const { bob, sender, receiver, deliver } = await call(epochKey);
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

  it('calls a sender undecryptable once its key has been missing for a while', async () => {
    let now = 0;
    const requests: bigint[] = [];
    const keyring = new Keyring(
      (kid) => requests.push(kid),
      () => now,
    );
    const host: SessionHost = { keyring, epoch: () => 0, randomSenderId: () => 1n, requestKeyFrame: () => {} };
    const receiver = new ReceiveSession('r', 'video', host, () => now);
    const alice = participant(epochKey);
    const sender = new SendSession('s', 'video', alice.host);
    await send(sender, vp8Frames[0] as Uint8Array);
    await alice.serve();
    const wire = (await send(sender, vp8Frames[1] as Uint8Array)).data;
    expect(await receiver.process(frame(wire))).toBe(false);
    expect(receiver.snapshot('receive')).toMatchObject({ dropped: 1, undecryptable: 0, status: 'waiting' });
    now = 5_000; // the bridge never answered (e.g. a KID of another epoch)
    expect(await receiver.process(frame(wire))).toBe(false);
    expect(receiver.snapshot('receive')).toMatchObject({ undecryptable: 1, status: 'undecryptable' });
    expect(requests.length).toBe(2); // asked again after the retry period
  });

  it('strict mode drops plaintext from the start', async () => {
    const { receiver, deliver } = await call(epochKey);
    receiver.plaintext.strict = true;
    expect((await deliver(vp8Frames[1] as Uint8Array)).ok).toBe(false);
    expect(receiver.snapshot('receive')).toMatchObject({ unencrypted: 1, status: 'unencrypted', strict: true });
  });

  it('asks for a keyframe when decryption resumes after a run of failures', async () => {
    const { bob, sender, deliver } = await call(epochKey);
    const wire = [];
    for (const data of vp8Frames.slice(0, 6)) wire.push((await send(sender, data)).data);
    for (const data of wire.slice(0, 4)) await deliver(data); // no key yet: 4 failures
    await bob.serve();
    expect((await deliver(wire[4] as Uint8Array)).ok).toBe(true);
    expect(bob.keyFrames()).toBe(1);
  });

  it('counts its own media echoed back', async () => {
    const alice = participant(epochKey);
    const sender = new SendSession('s', 'video', alice.host);
    await send(sender, vp8Frames[0] as Uint8Array);
    await alice.serve();
    const echo = new ReceiveSession('r', 'video', alice.host);
    const f = frame((await send(sender, vp8Frames[1] as Uint8Array)).data);
    expect(await echo.process(f)).toBe(true);
    expect(echo.snapshot('receive')).toMatchObject({ echoed: 1, protected: 1 });
  });

  it('crosses epoch boundaries without losing a frame when keys are asked for ahead', async () => {
    const alice = participant(epochKey, { epoch: 100 });
    const bob = participant(epochKey, { epoch: 100 });
    const sender = new SendSession('s', 'video', alice.host);
    const receiver = new ReceiveSession('r', 'video', bob.host);
    await send(sender, vp8Frames[0] as Uint8Array);
    await alice.serve();
    const first = (await send(sender, vp8Frames[1] as Uint8Array)).data;
    await receiver.process(frame(first));
    await bob.serve();
    const kids = new Set<bigint>();
    let frameIndex = 2;
    for (const epoch of [101, 102, 103, 104]) {
      // Both sides entered the previous epoch a while ago and asked ahead: the keys are there at the boundary.
      alice.enter(epoch - 1, sender);
      bob.enter(epoch - 1, receiver);
      await alice.serve();
      await bob.serve();
      for (let i = 0; i < 3; i++) {
        const wire = (await send(sender, vp8Frames[frameIndex] as Uint8Array)).data;
        const seen = inspectFrame(vp8, wire);
        if (seen.protected) kids.add(seen.kid);
        const f = frame(wire);
        expect(await receiver.process(f), `epoch ${epoch - 1} frame ${i}`).toBe(true);
        expect(new Uint8Array(f.data)).toEqual(vp8Frames[frameIndex]);
        frameIndex++;
      }
    }
    // One KID per epoch, all with the same sender id.
    expect(kids.size).toBe(4);
    expect(new Set([...kids].map(kidSenderId)).size).toBe(1);
    expect(sender.snapshot('send')).toMatchObject({ dropped: 1 }); // only the very first frame, before any key
    expect(receiver.snapshot('receive')).toMatchObject({ undecryptable: 0, protected: 12 }); // all but the one before any key
    // Keys of epochs before current - 1 were erased: at most 3 epochs × (sender + receiver) keys remain.
    expect(bob.keyring.keyCount('video')).toBeLessThanOrEqual(3);
  });

  it('counts a frame of an older Framelock (format v1-v3) as undecryptable, and says so', async () => {
    const { receiver, deliver, next } = await call(epochKey);
    const older = (await next(1)).slice();
    older[older.length - 9] = ((older[older.length - 9] ?? 0) & 0x0f) | 0xb0; // the v1-v3 KID marker
    expect(inspectFrame(vp8, older)).toMatchObject({ protected: false, found: 'older_format' });
    expect((await deliver(older)).ok).toBe(false);
    const stats = receiver.snapshot('receive');
    expect(stats).toMatchObject({ undecryptable: 1, unencrypted: 0 });
    expect(stats.lastError).toMatch(/older Framelock/);
  });

  it('refuses frames of a retired epoch, and says a clock is off for a sender two epochs away', async () => {
    const alice = participant(epochKey, { epoch: 50 });
    const bob = participant(epochKey, { epoch: 50 });
    const sender = new SendSession('s', 'video', alice.host);
    const receiver = new ReceiveSession('r', 'video', bob.host);
    await send(sender, vp8Frames[0] as Uint8Array);
    await alice.serve();
    const old = (await send(sender, vp8Frames[1] as Uint8Array)).data;
    await receiver.process(frame(old));
    await bob.serve();
    expect(await receiver.process(frame((await send(sender, vp8Frames[2] as Uint8Array)).data))).toBe(true);
    receiver.snapshot('receive'); // a new period for the status
    // Bob's clock moves on two epochs: the recorded frame of epoch 50 is refused, not decrypted.
    bob.enter(52, receiver);
    expect(await receiver.process(frame(old))).toBe(false);
    await bob.serve();
    expect(await receiver.process(frame(old))).toBe(false);
    expect(receiver.snapshot('receive')).toMatchObject({ clockSkew: -2, status: 'undecryptable' });
    expect(receiver.snapshot('receive').lastError).toMatch(/clock/);
  });

  it('never restarts a counter under a KID: a clock stepping back draws a new sender id', async () => {
    const alice = participant(epochKey, { epoch: 10 });
    const sender = new SendSession('s', 'audio', alice.host);
    const opus = new Uint8Array([0xf8, 0xff, 0xfe, 1, 2, 3]);
    await send(sender, opus, 'audio/opus');
    await alice.serve();
    await send(sender, opus, 'audio/opus');
    const before = BigInt(sender.snapshot('send').kid ?? -1);
    alice.enter(11, sender);
    await alice.serve();
    await send(sender, opus, 'audio/opus');
    const after = BigInt(sender.snapshot('send').kid ?? -1);
    expect(kidSenderId(after)).toBe(kidSenderId(before)); // stable across epochs
    alice.enter(10, sender); // the clock stepped back
    await send(sender, opus, 'audio/opus');
    const stepped = BigInt(sender.snapshot('send').kid ?? -1);
    expect(kidEpoch(stepped)).toBe(10);
    expect(kidSenderId(stepped)).not.toBe(kidSenderId(before));
  });

  it('keeps a call going past 16 epochs: a new sender id takes over, keyed ahead, so no KID is ever keyed twice', async () => {
    // Found by the soak test: the KID holds the epoch mod 16, so after 16 epochs a sender id would name a KID it used
    // before; no context keys a KID twice, and the sender went silent (fail closed, but a frozen call).
    const alice = participant(epochKey, { epoch: 1000 });
    const bob = participant(epochKey, { epoch: 1000 });
    const sender = new SendSession('s', 'video', alice.host);
    const receiver = new ReceiveSession('r', 'video', bob.host);
    await send(sender, vp8Frames[0] as Uint8Array);
    await alice.serve();
    await receiver.process(frame((await send(sender, vp8Frames[1] as Uint8Array)).data));
    await bob.serve();
    const kids = new Set<bigint>();
    const lost: number[] = [];
    for (let epoch = 1000; epoch < 1040; epoch++) {
      alice.enter(epoch, sender);
      bob.enter(epoch, receiver);
      await alice.serve();
      await bob.serve();
      for (let i = 0; i < 3; i++) {
        const out = await send(sender, vp8Frames[2 + i] as Uint8Array);
        if (!out.ok) lost.push(epoch);
        const seen = inspectFrame(vp8, out.data);
        if (seen.protected) kids.add(seen.kid);
        const f = frame(out.data);
        if (!(await receiver.process(f))) {
          await bob.serve(); // a new sender id: the receiver fetches its key, as the bridge would answer
          expect(await receiver.process(frame((await send(sender, vp8Frames[2] as Uint8Array)).data))).toBe(true);
        }
      }
    }
    expect(lost).toEqual([]); // the sender never dropped a frame: the next id's key was there at its first epoch
    expect(kids.size).toBe(40); // 40 epochs, 40 distinct KIDs
    expect(new Set([...kids].map(kidSenderId)).size).toBe(3); // epochs 1000-1015, 1016-1031, 1032-1039
    expect(receiver.snapshot('receive')).toMatchObject({ undecryptable: 0 });
    // Each new sender id cost the receiver one frame while its key came, and it asked for a keyframe at once (both
    // rollovers fall within one second of this test's clock, so the rate limit lets one request through).
    expect(bob.keyFrames()).toBe(1);
  });

  it('a frame whose epoch bits alias into the window (16 epochs old) fails authentication', async () => {
    const alice = participant(epochKey, { epoch: 200 });
    const bob = participant(epochKey, { epoch: 216 });
    const sender = new SendSession('s', 'video', alice.host);
    const receiver = new ReceiveSession('r', 'video', bob.host);
    await send(sender, vp8Frames[0] as Uint8Array);
    await alice.serve();
    const recorded = (await send(sender, vp8Frames[1] as Uint8Array)).data;
    await receiver.process(frame(recorded));
    await bob.serve(); // keyed for epoch 216, whose bits are 200's
    expect(await receiver.process(frame(recorded))).toBe(false);
    expect(receiver.snapshot('receive')).toMatchObject({ protected: 0, undecryptable: 1 });
  });

  /**
   * Plaintext that happens to end like a v1 trailer (1 frame in 256 does): config byte 0xF0 (CTR in 1 byte), a KID
   * with the Framelock marker, a far epoch and a random sender id.
   */
  function trailerLookalike(plain: Uint8Array, epochBits: number, senderId: bigint): Uint8Array {
    const kid = makeKid(epochBits, senderId);
    const out = new Uint8Array(plain.length + 16 + 1 + 8 + 1);
    out.set(plain);
    const view = new DataView(out.buffer);
    view.setBigUint64(out.length - 9, kid);
    out[out.length - 1] = 0xf0;
    return out;
  }

  it('takes plaintext that looks like a trailer for plaintext: no key request, no clock alarm', async () => {
    const { bob, receiver, deliver } = await call(epochKey);
    for (const data of vp8Frames.slice(1, 5)) expect((await deliver(data)).ok).toBe(true);
    for (let i = 0; i < 20; i++) {
      const lookalike = trailerLookalike(vp8Frames[5 + (i % 4)] as Uint8Array, 8, 0x5000_0000_0000n + BigInt(i));
      expect(inspectFrame(vp8, lookalike)).toMatchObject({ protected: true });
      expect((await deliver(lookalike)).ok).toBe(true);
      await bob.serve();
    }
    expect(bob.requests).toHaveLength(0);
    const stats = receiver.snapshot('receive');
    expect(stats).toMatchObject({ unencrypted: 24, undecryptable: 0, status: 'unencrypted' });
    expect(stats.clockSkew).toBeUndefined();
  });

  it('says a clock is off only for a KID that recurs, not for one stray frame', async () => {
    const { bob, receiver, deliver } = await call(epochKey);
    const stray = trailerLookalike(vp8Frames[1] as Uint8Array, 8, 0x6000_0000_0000n);
    expect((await deliver(stray)).ok).toBe(false); // never shown: nothing proves it is plaintext
    await bob.serve(); // the bridge refuses epoch 8 (we are at 0)
    expect(receiver.snapshot('receive')).toMatchObject({ undecryptable: 0, dropped: 1 });
    expect(receiver.snapshot('receive').clockSkew).toBeUndefined();
    expect((await deliver(stray)).ok).toBe(false);
    expect(receiver.snapshot('receive')).toMatchObject({ clockSkew: -8, status: 'undecryptable' });
  });

  it('never throws on garbage', async () => {
    const { receiver } = await call(epochKey);
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
   * A frame a keyless participant sends to flood us: a real VP8 frame with a Framelock-looking trailer (config byte
   * 0xF0, CTR 0, a KID of the current epoch with sender id `senderId`) and a random tag.
   */
  function junkFrame(senderId: bigint, i: number): EncodedFrame {
    const plain = vp8Frames[i % vp8Frames.length] as Uint8Array;
    const out = new Uint8Array(plain.length + 16 + 8 + 1);
    out.set(plain);
    crypto.getRandomValues(out.subarray(plain.length, plain.length + 16));
    new DataView(out.buffer).setBigUint64(out.length - 9, makeKid(0, senderId));
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
    const host: SessionHost = { keyring, epoch: () => 0, randomSenderId: () => 1n, requestKeyFrame: () => {} };
    const receivers: ReceiveSession[] = [];
    let nextJunk = 0x7000_0000_0000n;
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
          const keyEpoch = epochFromBits(kidEpoch(kid), 0) ?? 0;
          const keys = await deriveFrameKeys(SUITE_FOR_KIND[kind], epochBaseKey(epochKey, keyEpoch), kid);
          await keyring.install(kind, kid, keys, keyEpoch);
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
          await receiver.process(junkFrame(nextJunk++, i));
          await this.serve();
          now += 33;
          if (i % 30 === 29) this.tick();
        }
      },
    };
  }

  /** Alice, keyed, and a function that gives her next protected frame. */
  async function alice() {
    const alice = participant(epochKey);
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
    // With a keyless participant flooding bob's other receiver with a fresh KID per frame for a minute (1,800 key
    // requests: the old frame-wide budget of 240 a minute was gone after 8 s, and the newcomer waited for the window).
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
    await bob.serve(); // the next epoch's key of a sender that decrypted, asked ahead
    const provenKeys = bob.keyring.keyCount('video'); // alice's KID, and the next epoch's asked ahead
    expect(provenKeys).toBe(2);
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
