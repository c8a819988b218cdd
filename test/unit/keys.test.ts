/**
 * Room and epoch keys (src/background/keys.ts). The parameters are protocol: every participant must derive the same
 * bytes, so the known answers below are fixed. If one of them changes, the protocol changed: bump its version
 * instead of updating the hex.
 */
import { hkdfSync, pbkdf2Sync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  deriveRoomKey,
  EPOCH_KEY_INFO_LABEL,
  EPOCH_KEY_LENGTH,
  epochKeyBytes,
  PASSPHRASE_MAX_LENGTH,
  ROOM_KEY_LENGTH,
  ROOM_KEY_PBKDF2_ITERATIONS,
  ROOM_KEY_SALT_PREFIX,
} from '../../src/background/keys';
import { bytesToHex } from '../../src/shared/bytes';

/** PBKDF2 with 600,000 iterations takes ~0.3-1 s per derivation on CI's slow cores. */
const SLOW = 30_000;

const ORIGIN = 'https://meet.example.org';
const PASSPHRASE = 'correct horse battery staple';

describe('protocol constants (v1)', () => {
  it('are the documented values', () => {
    expect(ROOM_KEY_PBKDF2_ITERATIONS).toBe(600_000);
    expect(ROOM_KEY_SALT_PREFIX).toBe('Framelock v1 room key\u0000');
    expect(ROOM_KEY_LENGTH).toBe(32);
    expect(EPOCH_KEY_INFO_LABEL).toBe('Framelock v1 epoch base key');
    expect(EPOCH_KEY_LENGTH).toBe(16);
  });
});

describe('deriveRoomKey + epochKeyBytes', () => {
  it(
    'match the known answers',
    async () => {
      const roomKey = await deriveRoomKey(ORIGIN, PASSPHRASE);
      // Computed once with Node's own PBKDF2 and HKDF (see the next test), then frozen.
      const expected: [number, string][] = [
        [0, '5ac890fe6ea2458c1d1a8446e17da394'],
        [1, 'fcd3421ca60c626cd0daedd56ea93fd0'],
        [2 ** 32, 'a590e96d14f46e8f60d3bdb320f3814a'],
        [Number.MAX_SAFE_INTEGER, '232e7443944c56e640e2eb393c388bb5'],
      ];
      for (const [epoch, hex] of expected) {
        expect(bytesToHex(await epochKeyBytes(roomKey, epoch)), `epoch ${epoch}`).toBe(hex);
      }
      const otherSite = await deriveRoomKey('http://127.0.0.1:8080', PASSPHRASE);
      expect(bytesToHex(await epochKeyBytes(otherSite, 0))).toBe('2a8c4cb9009e74993211b3ea6b5b480c');
      const unicode = await deriveRoomKey(ORIGIN, 'Fr\u00e9d\u00e9ric \u{1F510}');
      expect(bytesToHex(await epochKeyBytes(unicode, 0))).toBe('489e8873b586b3a4165ba0ce7a1c4948');
    },
    SLOW,
  );

  it(
    'agree with an independent implementation (Node crypto) on a random passphrase',
    async () => {
      const passphrase = randomBytes(18).toString('base64');
      const origin = 'http://[::1]:8443';
      const roomBytes = pbkdf2Sync(
        Buffer.from(passphrase, 'utf8'),
        Buffer.from(`Framelock v1 room key\0${origin}`, 'utf8'),
        600_000,
        32,
        'sha256',
      );
      const epoch = 123_456_789;
      const info = Buffer.alloc(EPOCH_KEY_INFO_LABEL.length + 8);
      info.write(EPOCH_KEY_INFO_LABEL, 'utf8');
      info.writeBigUInt64BE(BigInt(epoch), EPOCH_KEY_INFO_LABEL.length);
      const expected = Buffer.from(hkdfSync('sha256', roomBytes, Buffer.alloc(0), info, 16)).toString('hex');

      const roomKey = await deriveRoomKey(origin, passphrase);
      expect(bytesToHex(await epochKeyBytes(roomKey, epoch))).toBe(expected);
    },
    SLOW,
  );

  it(
    'gives a non-extractable HKDF key that can only derive bits',
    async () => {
      const roomKey = await deriveRoomKey(ORIGIN, PASSPHRASE);
      expect(roomKey.extractable).toBe(false);
      expect(roomKey.algorithm.name).toBe('HKDF');
      expect(roomKey.usages).toEqual(['deriveBits']);
      await expect(crypto.subtle.exportKey('raw', roomKey)).rejects.toThrow();
    },
    SLOW,
  );

  it(
    'normalises the passphrase to NFC: composed and decomposed accents give the same key',
    async () => {
      const composed = await deriveRoomKey(ORIGIN, 'caf\u00e9');
      const decomposed = await deriveRoomKey(ORIGIN, 'cafe\u0301');
      expect(bytesToHex(await epochKeyBytes(composed, 0))).toBe(bytesToHex(await epochKeyBytes(decomposed, 0)));
    },
    SLOW,
  );

  it('refuses an origin that is not normalised, and passphrases out of bounds', async () => {
    await expect(deriveRoomKey('https://Meet.example.org/', PASSPHRASE)).rejects.toThrow(TypeError);
    await expect(deriveRoomKey('meet.example.org', PASSPHRASE)).rejects.toThrow(TypeError);
    await expect(deriveRoomKey(ORIGIN, '')).rejects.toThrow(RangeError);
    await expect(deriveRoomKey(ORIGIN, 'x'.repeat(PASSPHRASE_MAX_LENGTH + 1))).rejects.toThrow(RangeError);
    await expect(deriveRoomKey(ORIGIN, 42 as unknown as string)).rejects.toThrow(TypeError);
  });

  it(
    'refuses epochs that are not integers in [0, 2^53 - 1], and keys that are not HKDF keys',
    async () => {
      const roomKey = await deriveRoomKey(ORIGIN, PASSPHRASE);
      for (const epoch of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
        await expect(epochKeyBytes(roomKey, epoch), String(epoch)).rejects.toThrow(RangeError);
      }
      const aes = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, ['encrypt']);
      await expect(epochKeyBytes(aes, 0)).rejects.toThrow(TypeError);
      await expect(epochKeyBytes({} as CryptoKey, 0)).rejects.toThrow(TypeError);
    },
    SLOW,
  );
});
