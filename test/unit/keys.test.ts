/**
 * Room keys, epoch keys and safety words (src/background/keys.ts), protocol v2. The parameters are protocol: every
 * participant must derive the same bytes, so the known answers below are fixed. If one of them changes, the protocol
 * changed: bump its version instead of updating the hex.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { argon2id as nobleArgon2id } from '@noble/hashes/argon2.js';
import { argon2id } from 'hash-wasm';
import { describe, expect, it } from 'vitest';
import {
  ARGON2ID,
  deriveRoomKey,
  EPOCH_KEY_INFO_LABEL,
  EPOCH_KEY_LENGTH,
  epochKeyBytes,
  normalizePassphrase,
  normalizeRoomLabel,
  PASSPHRASE_MAX_LENGTH,
  ROOM_KEY_LENGTH,
  ROOM_SALT_PREFIX,
  roomSalt,
  SAFETY_WORDS_INFO_LABEL,
  safetyWords,
} from '../../src/background/keys';
import { bytesToHex } from '../../src/shared/bytes';
import { wordsFromBits } from '../../src/shared/words';

/** Argon2id with 64 MiB and 4 passes: ~0.4 s here, more on CI's shared cores. */
const SLOW = 60_000;

const ORIGIN = 'https://meet.example.org';
const PASSPHRASE = 'correct horse battery staple';
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('Argon2id (hash-wasm): reference known answers', () => {
  // phc-winner-argon2 src/test.c (Argon2id, version 0x13): t, log2(m in KiB), p, "password", "somesalt", 32 bytes.
  const reference: [number, number, number, string][] = [
    [2, 8, 1, '9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe'],
    [2, 8, 2, '6d093c501fd5999645e0ea3bf620d7b8be7fd2db59c20d9fff9539da2bf57037'],
    [2, 16, 1, '09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7'],
    [2, 18, 1, '78fe1ec91fb3aa5657d72e710854e4c3d9b9198c742f9616c2f085bed95b2e8c'],
  ];
  for (const [t, logM, p, expected] of reference) {
    it(`t=${t} m=2^${logM} KiB p=${p}`, { timeout: SLOW }, async () => {
      const out = await argon2id({
        password: 'password',
        salt: 'somesalt',
        iterations: t,
        memorySize: 1 << logM,
        parallelism: p,
        hashLength: 32,
        outputType: 'hex',
      });
      expect(out).toBe(expected);
    });
  }

  it('RFC 9106 §5.3 (with secret and associated data) through an independent implementation, which then agrees with hash-wasm', async () => {
    // hash-wasm has no associated-data input, so the RFC's own vector checks @noble/hashes; the two libraries are
    // then compared on inputs both accept.
    const rfc = nobleArgon2id(new Uint8Array(32).fill(1), new Uint8Array(16).fill(2), {
      t: 3,
      m: 32,
      p: 4,
      dkLen: 32,
      key: new Uint8Array(8).fill(3),
      personalization: new Uint8Array(12).fill(4),
    });
    expect(hex(rfc)).toBe('0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659');
    for (let i = 0; i < 4; i++) {
      const password = randomBytes(1 + i * 7);
      const salt = randomBytes(16);
      const ours = await argon2id({
        password,
        salt,
        iterations: 1 + i,
        memorySize: 64 << i,
        parallelism: 1 + (i % 2),
        hashLength: 32,
        outputType: 'hex',
      });
      const theirs = nobleArgon2id(password, salt, { t: 1 + i, m: 64 << i, p: 1 + (i % 2), dkLen: 32 });
      expect(ours).toBe(hex(theirs));
    }
  });
});

describe('HKDF-SHA256 (WebCrypto): RFC 5869 known answers', () => {
  it('test case 1 and 3', async () => {
    const ikm = new Uint8Array(22).fill(0x0b);
    const key = await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
    const salt = Buffer.from('000102030405060708090a0b0c', 'hex');
    const info = Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex');
    const one = await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info }, key, 42 * 8);
    expect(hex(new Uint8Array(one))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
    const three = await crypto.subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new Uint8Array(0) },
      key,
      42 * 8,
    );
    expect(hex(new Uint8Array(three))).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    );
  });
});

describe('protocol constants (v2)', () => {
  it('are the documented values', () => {
    expect(ARGON2ID).toEqual({ memoryKiB: 65_536, iterations: 4, parallelism: 1, version: 0x13 });
    expect(ROOM_SALT_PREFIX).toBe('Framelock v2 room\u0000');
    expect(ROOM_KEY_LENGTH).toBe(32);
    expect(EPOCH_KEY_INFO_LABEL).toBe('Framelock v2 epoch base key');
    expect(EPOCH_KEY_LENGTH).toBe(16);
    expect(SAFETY_WORDS_INFO_LABEL).toBe('Framelock v2 safety words');
    expect(new TextDecoder().decode(roomSalt(ORIGIN, 'team a'))).toBe(
      'Framelock v2 room\u0000https://meet.example.org\u0000team a',
    );
  });
});

describe('normalisation', () => {
  it('passphrases: NFC, trimmed, inner white space one space, case kept', () => {
    expect(normalizePassphrase('  caf\u0065\u0301  Crème\t\nbrûlée ')).toBe('caf\u00e9 Crème brûlée');
    expect(normalizePassphrase('Abc')).toBe('Abc');
  });

  it('room labels: NFKC, trimmed, collapsed, lower case; invisible characters and long labels refused', () => {
    expect(normalizeRoomLabel('  Team\u00a0  Standup ')).toEqual({ ok: true, label: 'team standup' });
    expect(normalizeRoomLabel('\uff34\uff45\uff41\uff4d')).toEqual({ ok: true, label: 'team' }); // full-width
    expect(normalizeRoomLabel('')).toEqual({ ok: true, label: '' });
    expect(normalizeRoomLabel('a\u0000b').ok).toBe(false);
    expect(normalizeRoomLabel('a\u200bb').ok).toBe(false); // zero-width space
    expect(normalizeRoomLabel('x'.repeat(65)).ok).toBe(false);
    expect(normalizeRoomLabel('x'.repeat(64)).ok).toBe(true);
    expect(normalizeRoomLabel(7).ok).toBe(false);
  });
});

describe('deriveRoomKey → epochKeyBytes / safetyWords', () => {
  it('match the known answers', { timeout: SLOW }, async () => {
    const roomKey = await deriveRoomKey(ORIGIN, '', PASSPHRASE);
    // Computed once with @noble/hashes' Argon2id and Node's HKDF (see the next test), then frozen.
    const expected: [number, string][] = [
      [0, '665d093f6b32b1218f72609d07bc38d8'],
      [2_966_000, '87e2d28f55b1f9066d9c6c73a234a565'],
      [Number.MAX_SAFE_INTEGER, '738cbacb3a3c9b07681b1621ce3ca8fe'],
    ];
    const got = await Promise.all(expected.map(([epoch]) => epochKeyBytes(roomKey, epoch)));
    expect(got.map(bytesToHex)).toEqual(expected.map(([, h]) => h));
    expect(await safetyWords(roomKey)).toEqual(['habit', 'improve', 'fix', 'over', 'frost']);
  });

  it('agree with independent implementations (@noble/hashes Argon2id, Node HKDF)', { timeout: SLOW }, async () => {
    const passphrase = ` ${randomBytes(12).toString('base64')}  x `;
    const origin = 'http://[::1]:8443';
    const label = 'weekly sync';
    const roomBytes = nobleArgon2id(
      Buffer.from(normalizePassphrase(passphrase), 'utf8'),
      Buffer.from(`Framelock v2 room\0${origin}\0${label}`, 'utf8'),
      { t: 4, m: 65_536, p: 1, dkLen: 32 },
    );
    const epoch = 123_456_789;
    const info = Buffer.alloc(EPOCH_KEY_INFO_LABEL.length + 8);
    info.write(EPOCH_KEY_INFO_LABEL, 'utf8');
    info.writeBigUInt64BE(BigInt(epoch), EPOCH_KEY_INFO_LABEL.length);
    const expectedEpochKey = hex(new Uint8Array(hkdfSync('sha256', roomBytes, Buffer.alloc(0), info, 16)));
    const fingerprint = new Uint8Array(hkdfSync('sha256', roomBytes, Buffer.alloc(0), SAFETY_WORDS_INFO_LABEL, 8));

    const roomKey = await deriveRoomKey(origin, label, passphrase);
    expect(bytesToHex(await epochKeyBytes(roomKey, epoch))).toBe(expectedEpochKey);
    expect(await safetyWords(roomKey)).toEqual(wordsFromBits(fingerprint, 5));
  });

  it('gives a non-extractable HKDF key that can only derive bits', { timeout: SLOW }, async () => {
    const roomKey = await deriveRoomKey(ORIGIN, '', PASSPHRASE);
    expect(roomKey.extractable).toBe(false);
    expect(roomKey.algorithm.name).toBe('HKDF');
    expect(roomKey.usages).toEqual(['deriveBits']);
    await expect(crypto.subtle.exportKey('raw', roomKey)).rejects.toThrow();
  });

  it('binds the room: another label, origin or passphrase gives other keys and other words', {
    timeout: SLOW,
  }, async () => {
    const keys = await Promise.all([
      deriveRoomKey(ORIGIN, '', PASSPHRASE),
      deriveRoomKey(ORIGIN, 'team a', PASSPHRASE),
      deriveRoomKey('http://127.0.0.1:8080', '', PASSPHRASE),
      deriveRoomKey(ORIGIN, '', `${PASSPHRASE}!`),
      deriveRoomKey(ORIGIN, '', ` ${PASSPHRASE.replace(/ /g, '  ')}\n`), // same after normalisation
      deriveRoomKey(ORIGIN, '', 'caf\u00e9'),
      deriveRoomKey(ORIGIN, '', 'cafe\u0301'), // same after NFC
    ]);
    const epochKeys = await Promise.all(keys.map(async (k) => bytesToHex(await epochKeyBytes(k, 7))));
    const words = await Promise.all(keys.map(async (k) => (await safetyWords(k)).join(' ')));
    expect(new Set(epochKeys.slice(0, 4)).size).toBe(4);
    expect(new Set(words.slice(0, 4)).size).toBe(4);
    expect(epochKeys[4]).toBe(epochKeys[0]);
    expect(words[4]).toBe(words[0]);
    expect(epochKeys[6]).toBe(epochKeys[5]);
  });

  it('safety words: different room keys give different words, with every bit of each word unbiased', async () => {
    const n = 3_000;
    const seen = new Set<string>();
    const ones = new Array<number>(55).fill(0);
    const { wordlist } = await import('@scure/bip39/wordlists/english.js');
    const position = new Map(wordlist.map((w, i) => [w, i]));
    for (let i = 0; i < n; i++) {
      const key = await crypto.subtle.importKey('raw', randomBytes(32), 'HKDF', false, ['deriveBits']);
      const words = await safetyWords(key);
      seen.add(words.join(' '));
      for (const [w, word] of words.entries()) {
        const value = position.get(word) as number;
        for (let b = 0; b < 11; b++) if ((value >> (10 - b)) & 1) ones[w * 11 + b] = (ones[w * 11 + b] ?? 0) + 1;
      }
    }
    expect(seen.size).toBe(n); // 55 bits: a repeat among 3,000 has probability ~2^-33
    // Each of the 55 bits is set in about half the samples: 6 standard deviations (sd = sqrt(n)/2 ≈ 27).
    for (const count of ones) expect(Math.abs(count - n / 2)).toBeLessThan(6 * 27.4);
  });

  it('refuses an origin or label that is not normalised, and passphrases out of bounds', async () => {
    await expect(deriveRoomKey('https://Meet.example.org/', '', PASSPHRASE)).rejects.toThrow(TypeError);
    await expect(deriveRoomKey('meet.example.org', '', PASSPHRASE)).rejects.toThrow(TypeError);
    await expect(deriveRoomKey(ORIGIN, 'Team', PASSPHRASE)).rejects.toThrow(TypeError);
    await expect(deriveRoomKey(ORIGIN, '', '')).rejects.toThrow(RangeError);
    await expect(deriveRoomKey(ORIGIN, '', '   ')).rejects.toThrow(RangeError);
    await expect(deriveRoomKey(ORIGIN, '', 'x'.repeat(PASSPHRASE_MAX_LENGTH + 1))).rejects.toThrow(RangeError);
    await expect(deriveRoomKey(ORIGIN, '', 42 as unknown as string)).rejects.toThrow(TypeError);
  });

  it('refuses epochs that are not integers in [0, 2^53 - 1], and keys that are not HKDF keys', async () => {
    const roomKey = await crypto.subtle.importKey('raw', new Uint8Array(32), 'HKDF', false, ['deriveBits']);
    for (const epoch of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      await expect(epochKeyBytes(roomKey, epoch), String(epoch)).rejects.toThrow(RangeError);
    }
    const aes = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, ['encrypt']);
    await expect(epochKeyBytes(aes, 0)).rejects.toThrow(TypeError);
    await expect(safetyWords(aes)).rejects.toThrow(TypeError);
    await expect(epochKeyBytes({} as CryptoKey, 0)).rejects.toThrow(TypeError);
  });
});
