import { describe, expect, it } from 'vitest';
import {
  CIPHER_SUITES,
  decodeHeader,
  deriveFrameKeys,
  encodeHeader,
  SFrameContext,
  SFrameError,
  type SFrameErrorReason,
} from '../../src/sframe';
import { aeadOpen, aeadSeal, frameNonce } from '../../src/sframe/suites';
import { bytesToHex, concatBytes, MAX_U64 } from '../../src/shared/bytes';

/** RFC 9605's five suites and Framelock's private-use audio suite 0xF001 (AES-128-GCM, 64-bit tag). */
const SUITES = [1, 2, 3, 4, 5, 0xf001] as const;
const baseKey = new Uint8Array(16).map((_, i) => i);
const otherKey = new Uint8Array(16).map((_, i) => 0xf0 ^ i);
const metadata = new TextEncoder().encode('codec header bytes');
const payload = new TextEncoder().encode('a media frame that must stay secret');

async function pair(suite: number, kid = 0x1234n, key = baseKey) {
  const sender = new SFrameContext(suite);
  const receiver = new SFrameContext(suite);
  await sender.addKey(kid, key);
  await receiver.addKey(kid, key);
  return { sender, receiver, kid };
}

async function reasonOf(promise: Promise<unknown>): Promise<SFrameErrorReason | 'resolved' | 'other'> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof SFrameError ? error.reason : 'other';
  }
}

function flip(bytes: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const copy = bytes.slice();
  copy[index] = (copy[index] ?? 0) ^ mask;
  return copy;
}

describe('SFrameContext construction', () => {
  it.each([0, 6, -1, 1.5, Number.NaN, 256, 0xf000, 0xf002])('rejects cipher suite %s with RangeError', (suite) => {
    expect(() => new SFrameContext(suite)).toThrow(RangeError);
  });
  it('accepts the five RFC suites and 0xF001', () => {
    for (const suite of SUITES) expect(new SFrameContext(suite).suite.id).toBe(suite);
  });
});

describe.each(SUITES)('suite %i', (suite) => {
  const { nt } = CIPHER_SUITES[suite];

  it('round-trips, counts up from 0 and adds exactly header + tag bytes', async () => {
    const { sender, receiver, kid } = await pair(suite);
    for (let i = 0n; i < 20n; i++) {
      const frame = await sender.encrypt(kid, metadata, payload);
      expect(decodeHeader(frame)).toMatchObject({ kid, ctr: i });
      expect(frame.length).toBe(encodeHeader(kid, i).length + payload.length + nt);
      const opened = await receiver.decrypt(metadata, frame);
      expect(opened).toEqual({ kid, ctr: i, plaintext: payload });
    }
  });

  it('handles empty plaintext and empty metadata', async () => {
    const { sender, receiver, kid } = await pair(suite);
    const frame = await sender.encrypt(kid, new Uint8Array(0), new Uint8Array(0));
    expect((await receiver.decrypt(new Uint8Array(0), frame)).plaintext.length).toBe(0);
  });

  it('rejects every single-bit flip in header, ciphertext and tag', async () => {
    const { sender, receiver, kid } = await pair(suite);
    const frame = await sender.encrypt(kid, metadata, payload);
    const reasons = new Set<string>();
    for (let i = 0; i < frame.length; i++) {
      for (const mask of [0x01, 0x80]) reasons.add(await reasonOf(receiver.decrypt(metadata, flip(frame, i, mask))));
    }
    expect(reasons.has('resolved')).toBe(false);
    expect(reasons.has('other')).toBe(false);
    // The original still decrypts afterwards: forgeries did not move the replay window.
    expect((await receiver.decrypt(metadata, frame)).plaintext).toEqual(payload);
  });

  it('rejects wrong metadata, a wrong key, an unknown KID and a wrong suite', async () => {
    const { sender, receiver, kid } = await pair(suite);
    const frame = await sender.encrypt(kid, metadata, payload);
    expect(await reasonOf(receiver.decrypt(flip(metadata, 0), frame))).toBe('auth_failure');
    expect(await reasonOf(receiver.decrypt(metadata.subarray(1), frame))).toBe('auth_failure');
    const wrongKey = new SFrameContext(suite);
    await wrongKey.addKey(kid, otherKey);
    expect(await reasonOf(wrongKey.decrypt(metadata, frame))).toBe('auth_failure');
    const otherKid = new SFrameContext(suite);
    await otherKid.addKey(kid + 1n, baseKey);
    expect(await reasonOf(otherKid.decrypt(metadata, frame))).toBe('unknown_kid');
    const otherSuite = new SFrameContext((suite % 5) + 1);
    await otherSuite.addKey(kid, baseKey);
    expect(['auth_failure', 'frame_too_short']).toContain(await reasonOf(otherSuite.decrypt(metadata, frame)));
  });

  it('rejects empty, truncated and too-short frames', async () => {
    const { sender, receiver, kid } = await pair(suite);
    const frame = await sender.encrypt(kid, metadata, payload);
    expect(await reasonOf(receiver.decrypt(metadata, new Uint8Array(0)))).toBe('header_truncated');
    const headerLength = decodeHeader(frame).length;
    for (let cut = 1; cut < headerLength; cut++) {
      expect(await reasonOf(receiver.decrypt(metadata, frame.subarray(0, cut)))).toBe('header_truncated');
    }
    // Header present but not even a whole tag.
    expect(await reasonOf(receiver.decrypt(metadata, frame.subarray(0, headerLength + nt - 1)))).toBe(
      'frame_too_short',
    );
    // Every other truncation fails authentication.
    for (let cut = headerLength + nt; cut < frame.length; cut++) {
      expect(await reasonOf(receiver.decrypt(metadata, frame.subarray(0, cut)))).toBe('auth_failure');
    }
  });

  it('rejects non-bytes with SFrameError, never another type', async () => {
    const { receiver } = await pair(suite);
    for (const bad of [null, undefined, 'frame', [1, 2, 3], new ArrayBuffer(8), 42]) {
      expect(await reasonOf(receiver.decrypt(metadata, bad as unknown as Uint8Array))).not.toMatch(/resolved|other/);
      expect(await reasonOf(receiver.decrypt(bad as unknown as Uint8Array, new Uint8Array([0x00, 1, 2])))).not.toMatch(
        /resolved|other/,
      );
    }
  });

  it('refuses replays and frames older than the window, after the tag verifies', async () => {
    const sender = new SFrameContext(suite);
    const receiver = new SFrameContext(suite, { replayWindow: 32 });
    await sender.addKey(7n, baseKey);
    await receiver.addKey(7n, baseKey);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) frames.push(await sender.encrypt(7n, metadata, payload));
    const at = (i: number) => frames[i] as Uint8Array;
    await receiver.decrypt(metadata, at(5));
    expect(await reasonOf(receiver.decrypt(metadata, at(5)))).toBe('replay');
    // Out of order inside the window is fine, once.
    await receiver.decrypt(metadata, at(3));
    expect(await reasonOf(receiver.decrypt(metadata, at(3)))).toBe('replay');
    await receiver.decrypt(metadata, at(39));
    // 39 - 5 >= 32: frame 5's slot is gone, so older frames are refused as too old, not accepted.
    expect(await reasonOf(receiver.decrypt(metadata, at(4)))).toBe('replay');
    expect((await receiver.decrypt(metadata, at(8))).ctr).toBe(8n);
    expect(await reasonOf(receiver.decrypt(metadata, at(8)))).toBe('replay');
  });

  it('keeps its replay window across 2^53, where counters stop fitting a Number exactly', async () => {
    const sender = new SFrameContext(suite);
    const receiver = new SFrameContext(suite, { replayWindow: 32 });
    await sender.addKey(7n, baseKey);
    await receiver.addKey(7n, baseKey);
    const edge = BigInt(Number.MAX_SAFE_INTEGER); // 2^53 - 1
    const frames = new Map<bigint, Uint8Array>();
    for (const ctr of [edge - 40n, edge - 3n, edge - 1n, edge, edge + 1n, edge + 2n, edge + 5n, edge + 40n]) {
      frames.set(ctr, await sender.encrypt(7n, metadata, payload, { ctr }));
    }
    const at = (ctr: bigint) => frames.get(ctr) as Uint8Array;
    const open = (ctr: bigint) => reasonOf(receiver.decrypt(metadata, at(ctr)));
    expect(await open(edge - 3n)).toBe('resolved');
    expect(await open(edge + 2n)).toBe('resolved'); // the highest now needs BigInt
    expect(await open(edge - 1n)).toBe('resolved'); // below it, in the window, once
    expect(await open(edge - 1n)).toBe('replay');
    expect(await open(edge - 3n)).toBe('replay');
    expect(await open(edge)).toBe('resolved');
    expect(await open(edge + 1n)).toBe('resolved');
    expect(await open(edge + 2n)).toBe('replay');
    expect(await open(edge - 40n)).toBe('replay'); // older than the window
    expect(await open(edge + 5n)).toBe('resolved');
    expect(await open(edge + 40n)).toBe('resolved'); // a jump of more than the window clears it
    expect(await open(edge + 5n)).toBe('replay'); // now older than the window
  });

  it('sealNext (the per-frame path) writes the same minimal headers as seal, across byte lengths and 2^53', async () => {
    const { sender, receiver, kid } = await pair(suite);
    const check = async (expected: bigint) => {
      const { header, sealed } = await sender.sealNext(kid, metadata, payload, (h, s) => ({ header: h, sealed: s }));
      expect(bytesToHex(header)).toBe(bytesToHex(encodeHeader(kid, expected)));
      const opened = await receiver.decrypt(metadata, concatBytes(header, sealed));
      expect(opened.ctr).toBe(expected);
      expect(opened.plaintext).toEqual(payload);
    };
    for (let ctr = 0n; ctr < 10n; ctr++) await check(ctr);
    for (const start of [254n, 65_534n, BigInt(Number.MAX_SAFE_INTEGER) - 2n]) {
      await sender.seal(kid, metadata, payload, { ctr: start });
      await check(start + 1n);
      await check(start + 2n);
      await check(start + 3n); // past 2^53 - 1 for the last start: the BigInt path takes over
    }
  });

  it('counters of a parity: the smallest one above the last used, never reused, never back', async () => {
    const { sender, receiver, kid } = await pair(suite);
    const next = async (parity?: 0 | 1) => {
      const { header, sealed } = await sender.sealNext(
        kid,
        metadata,
        payload,
        (h, s) => ({ header: h, sealed: s }),
        parity,
      );
      const opened = await receiver.decrypt(metadata, concatBytes(header, sealed));
      return opened.ctr;
    };
    // Even, even, odd, odd, any, even: 0, 2, 3, 5, 6, 8.
    const got = [await next(0), await next(0), await next(1), await next(1), await next(), await next(0)];
    expect(got).toEqual([0n, 2n, 3n, 5n, 6n, 8n]);
    // seal takes the same rule, and an explicit counter must have the asked parity.
    expect((await sender.seal(kid, metadata, payload, { parity: 1 })).ctr).toBe(9n);
    await expect(sender.seal(kid, metadata, payload, { ctr: 12n, parity: 1 })).rejects.toBeInstanceOf(RangeError);
    expect((await sender.seal(kid, metadata, payload, { ctr: 12n, parity: 0 })).ctr).toBe(12n);
    await expect(sender.seal(kid, metadata, payload, { parity: 2 as 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(sender.sealNext(kid, metadata, payload, () => 0, 2 as 0)).rejects.toBeInstanceOf(RangeError);
    // Concurrent calls of mixed parities: all distinct, each of its parity, all above what came before.
    const parities = Array.from({ length: 40 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0) as 0 | 1);
    const ctrs = await Promise.all(
      parities.map((parity) => sender.sealNext(kid, metadata, payload, (h) => decodeHeader(h).ctr, parity)),
    );
    expect(new Set(ctrs).size).toBe(ctrs.length);
    ctrs.forEach((ctr, i) => {
      expect(Number(ctr % 2n)).toBe(parities[i]);
      expect(ctr).toBeGreaterThan(i === 0 ? 12n : (ctrs[i - 1] as bigint));
    });
  });

  it('counters of a parity across 2^53 and up to 2^64 - 1: exhausted when none of that parity is left', async () => {
    const { sender, kid } = await pair(suite);
    const ctrOf = (parity: 0 | 1) => sender.sealNext(kid, metadata, payload, (h) => decodeHeader(h).ctr, parity);
    const safe = BigInt(Number.MAX_SAFE_INTEGER); // 2^53 - 1, odd
    await sender.seal(kid, metadata, payload, { ctr: safe - 2n });
    expect(await ctrOf(0)).toBe(safe - 1n);
    expect(await ctrOf(0)).toBe(safe + 1n); // past 2^53 - 1: the BigInt path
    expect(await ctrOf(1)).toBe(safe + 2n);
    await sender.seal(kid, metadata, payload, { ctr: MAX_U64 - 3n }); // 2^64 - 4, even
    expect(await ctrOf(0)).toBe(MAX_U64 - 1n); // 2^64 - 3 skipped
    expect(await reasonOf(ctrOf(0))).toBe('counter_exhausted'); // 2^64 would be next
    expect(await ctrOf(1)).toBe(MAX_U64); // the last counter is odd
    expect(await reasonOf(ctrOf(1))).toBe('counter_exhausted');
    expect(await reasonOf(sender.encrypt(kid, metadata, payload))).toBe('counter_exhausted');
  });

  it('a key retired while a frame is being decrypted fails that frame as unknown_kid', async () => {
    const { sender, receiver, kid } = await pair(suite);
    const frame = await sender.encrypt(kid, metadata, payload);
    const opening = reasonOf(receiver.decrypt(metadata, frame));
    receiver.retireKey(kid);
    expect(await opening).toBe('unknown_kid');
  });

  it('a forged frame with a huge CTR does not silence the sender', async () => {
    const { sender, receiver, kid } = await pair(suite);
    const real = await sender.encrypt(kid, metadata, payload);
    const body = real.subarray(decodeHeader(real).length);
    const forged = concatBytes(encodeHeader(kid, MAX_U64), body);
    expect(await reasonOf(receiver.decrypt(metadata, forged))).toBe('auth_failure');
    expect((await receiver.decrypt(metadata, real)).plaintext).toEqual(payload);
  });

  it('concurrent duplicates: exactly one is accepted', async () => {
    const { sender, receiver, kid } = await pair(suite);
    const frame = await sender.encrypt(kid, metadata, payload);
    const results = await Promise.all([1, 2, 3, 4].map(() => reasonOf(receiver.decrypt(metadata, frame))));
    expect(results.filter((r) => r === 'resolved')).toHaveLength(1);
    expect(results.filter((r) => r === 'replay')).toHaveLength(3);
  });

  it('never reuses a counter: explicit ctr must increase, concurrent frames get distinct counters', async () => {
    const { sender, kid } = await pair(suite);
    const ctrs = (await Promise.all([1, 2, 3, 4, 5].map(() => sender.encrypt(kid, metadata, payload)))).map(
      (f) => decodeHeader(f).ctr,
    );
    expect(new Set(ctrs).size).toBe(5);
    await sender.encrypt(kid, metadata, payload, { ctr: 100n });
    await expect(sender.encrypt(kid, metadata, payload, { ctr: 100n })).rejects.toBeInstanceOf(RangeError);
    await expect(sender.encrypt(kid, metadata, payload, { ctr: 50n })).rejects.toBeInstanceOf(RangeError);
    expect(decodeHeader(await sender.encrypt(kid, metadata, payload)).ctr).toBe(101n);
    await expect(sender.encrypt(kid, metadata, payload, { ctr: -1n })).rejects.toBeInstanceOf(RangeError);
    await expect(sender.encrypt(kid, metadata, payload, { ctr: MAX_U64 + 1n })).rejects.toBeInstanceOf(RangeError);
  });

  it('works at the maximum 64-bit KID and CTR, then stops instead of wrapping', async () => {
    const { sender, receiver } = await pair(suite, MAX_U64);
    const frame = await sender.encrypt(MAX_U64, metadata, payload, { ctr: MAX_U64 });
    expect(decodeHeader(frame)).toMatchObject({ kid: MAX_U64, ctr: MAX_U64, length: 17 });
    expect((await receiver.decrypt(metadata, frame)).plaintext).toEqual(payload);
    expect(await reasonOf(sender.encrypt(MAX_U64, metadata, payload))).toBe('counter_exhausted');
  });

  it('retires keys: frames are refused and the KID can never be keyed again', async () => {
    const { sender, receiver, kid } = await pair(suite);
    const frame = await sender.encrypt(kid, metadata, payload);
    expect(receiver.retireKey(kid)).toBe(true);
    expect(receiver.hasKey(kid)).toBe(false);
    expect(await reasonOf(receiver.decrypt(metadata, frame))).toBe('unknown_kid');
    await expect(receiver.addKey(kid, baseKey)).rejects.toBeInstanceOf(RangeError);
    await expect(sender.addKey(kid, otherKey)).rejects.toBeInstanceOf(RangeError);
    sender.retireKey(kid);
    expect(await reasonOf(sender.encrypt(kid, metadata, payload))).toBe('unknown_kid');
  });

  it('discards a key that never sealed or opened a frame as if it never came, and keeps any other', async () => {
    const { sender, receiver, kid } = await pair(suite);
    // Unused (a flood's junk KID): gone, and the KID may be keyed again later.
    expect(receiver.discardUnusedKey(kid)).toBe(true);
    expect(receiver.hasKey(kid)).toBe(false);
    expect(receiver.discardUnusedKey(kid)).toBe(false);
    await receiver.addKey(kid, baseKey);
    // Opened a frame: its replay window must not restart, so it stays (only retiring ends it).
    const frame = await sender.encrypt(kid, metadata, payload);
    await receiver.decrypt(metadata, frame);
    expect(receiver.discardUnusedKey(kid)).toBe(false);
    expect(await reasonOf(receiver.decrypt(metadata, frame))).toBe('replay');
    // Sealed a frame: its counter must not restart, so it stays.
    expect(sender.discardUnusedKey(kid)).toBe(false);
    await expect(sender.addKey(kid, baseKey)).rejects.toBeInstanceOf(RangeError);
  });

  it('runs on imported frame keys alone (no base key), which are non-extractable', async () => {
    const keys = await deriveFrameKeys(suite, baseKey, 99n);
    expect(keys.key.extractable).toBe(false);
    if (keys.authKey) expect(keys.authKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('raw', keys.key)).rejects.toThrow();
    const worker = new SFrameContext(suite);
    await worker.importFrameKeys(99n, keys);
    const { sender } = await pair(suite, 99n);
    expect((await worker.decrypt(metadata, await sender.encrypt(99n, metadata, payload))).plaintext).toEqual(payload);
    expect((await sender.decrypt(metadata, await worker.encrypt(99n, metadata, payload))).plaintext).toEqual(payload);
  });

  it('refuses frame keys of another suite', async () => {
    const other = ((suite % 5) + 1) as 1 | 2 | 3 | 4 | 5;
    const foreign = await deriveFrameKeys(other, baseKey, 1n);
    const ctx = new SFrameContext(suite);
    // Suites 1-3 share key types, so only check pairs that differ in key shape.
    if (
      CIPHER_SUITES[other].aead !== CIPHER_SUITES[suite].aead ||
      CIPHER_SUITES[other].aesKeyLength !== CIPHER_SUITES[suite].aesKeyLength
    ) {
      await expect(ctx.importFrameKeys(1n, foreign)).rejects.toBeInstanceOf(TypeError);
    }
    await expect(ctx.importFrameKeys(2n, { ...foreign, salt: new Uint8Array(11) })).rejects.toBeInstanceOf(TypeError);
  });

  it('refuses extractable frame keys: whoever imports keys must not be able to read them', async () => {
    const cs = CIPHER_SUITES[suite];
    const raw = new Uint8Array(cs.nk).fill(1);
    const salt = new Uint8Array(12);
    const extractable =
      cs.aead === 'gcm'
        ? { key: await crypto.subtle.importKey('raw', raw, 'AES-GCM', true, ['encrypt', 'decrypt']), salt }
        : {
            key: await crypto.subtle.importKey('raw', raw.subarray(0, 16), 'AES-CTR', true, ['encrypt', 'decrypt']),
            authKey: await crypto.subtle.importKey('raw', raw.subarray(16), { name: 'HMAC', hash: cs.hash }, true, [
              'sign',
            ]),
            salt,
          };
    await expect(new SFrameContext(suite).importFrameKeys(3n, extractable)).rejects.toThrow(/non-extractable/);
  });
});

describe('header decoding rejects malformed encodings', () => {
  it.each([
    ['KID < 8 in extended form', '8005'],
    ['KID with leading zero byte', '900012'],
    ['CTR < 8 in extended form', '0807'],
    ['CTR with leading zero byte', '090001'],
    ['both', '88000'],
  ])('%s', (_, hex) => {
    const bytes = new Uint8Array((hex.match(/../g) ?? []).map((h) => Number.parseInt(h, 16)));
    const run = () => decodeHeader(bytes);
    expect(run).toThrow(SFrameError);
    try {
      run();
    } catch (error) {
      expect(['header_non_minimal', 'header_truncated']).toContain((error as SFrameError).reason);
    }
  });

  it('rejects a non-minimal header even when the frame would otherwise authenticate', async () => {
    const { sender, receiver, kid } = await pair(4, 9n);
    const frame = await sender.encrypt(kid, metadata, payload);
    // 9 fits one byte: write it in two.
    const header = decodeHeader(frame);
    const padded = concatBytes(
      new Uint8Array([0x90 | ((frame[0] ?? 0) & 0x0f), 0x00, 0x09]),
      frame.subarray(header.length),
    );
    expect(await reasonOf(receiver.decrypt(metadata, padded))).toBe('header_non_minimal');
  });
});

describe('suite 0xF001: AES-128-GCM with its tag truncated to 64 bits', () => {
  const nonce = frameNonce(new Uint8Array(12).fill(3), 41n);
  const aad = new TextEncoder().encode('header and codec metadata');

  it('is suite 4 with the tag cut to its first 8 bytes (NIST truncation, nothing of our own)', async () => {
    const keys = await deriveFrameKeys(4, baseKey, 7n);
    for (const length of [0, 1, 15, 16, 17, 100, 1275]) {
      const plaintext = new Uint8Array(length).map((_, i) => (i * 31) & 0xff);
      const full = await aeadSeal(CIPHER_SUITES[4], keys, nonce, aad, plaintext);
      const short = await aeadSeal(CIPHER_SUITES[0xf001], keys, nonce, aad, plaintext);
      expect(short).toEqual(full.subarray(0, length + 8));
      expect(await aeadOpen(CIPHER_SUITES[0xf001], keys, nonce, aad, short)).toEqual(plaintext);
    }
  });

  it('derives keys of its own: the suite id is in the key schedule (RFC 9605 §4.4.2)', async () => {
    const ours = await deriveFrameKeys(0xf001, baseKey, 7n);
    const suite4 = await deriveFrameKeys(4, baseKey, 7n);
    expect(ours.salt).not.toEqual(suite4.salt);
    const sealed = await aeadSeal(CIPHER_SUITES[0xf001], ours, nonce, aad, payload);
    await expect(aeadOpen(CIPHER_SUITES[0xf001], suite4, nonce, aad, sealed)).rejects.toMatchObject({
      reason: 'auth_failure',
    });
  });

  it('stays inside NIST SP 800-38D Appendix C: at most 2^15 bytes of AAD and text per frame', async () => {
    const keys = await deriveFrameKeys(0xf001, baseKey, 7n);
    const suite = CIPHER_SUITES[0xf001];
    const fits = new Uint8Array(2 ** 15 - aad.length);
    const sealed = await aeadSeal(suite, keys, nonce, aad, fits);
    expect(await aeadOpen(suite, keys, nonce, aad, sealed)).toEqual(fits);
    await expect(aeadSeal(suite, keys, nonce, aad, new Uint8Array(fits.length + 1))).rejects.toBeInstanceOf(RangeError);
    // A receiver refuses an oversized frame as a forgery, before any crypto.
    const oversized = concatBytes(new Uint8Array(2 ** 15), sealed.subarray(-8));
    await expect(aeadOpen(suite, keys, nonce, aad, oversized)).rejects.toMatchObject({ reason: 'auth_failure' });
    // Suite 4's full tag has no such bound.
    const video = await deriveFrameKeys(4, baseKey, 7n);
    const big = new Uint8Array(2 ** 16);
    expect(
      await aeadOpen(CIPHER_SUITES[4], video, nonce, aad, await aeadSeal(CIPHER_SUITES[4], video, nonce, aad, big)),
    ).toEqual(big);
  });
});
