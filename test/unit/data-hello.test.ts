/**
 * A connection's HELLO (src/content/data/hello.ts) and the direction keys two HELLOs give (keys.ts): round trips, and
 * everything a site, a signalling server or a stranger could put in the line refused without throwing. The frozen
 * bytes are in data-known-answers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { bytesToBase64url } from '../../src/content/data/base64url';
import { HELLO_TYPE, SEALED_HELLO_BYTES } from '../../src/content/data/constants';
import {
  decodeHello,
  encodeHello,
  generateConnectionKeyPair,
  type Hello,
  helloLineValue,
  openHello,
  openHelloLine,
  otherRole,
  sealHello,
} from '../../src/content/data/hello';
import { deriveDirectionKeys } from '../../src/content/data/keys';
import { CHAT_TYPE, STATE_TYPE } from '../../src/content/exchange/constants';
import { ControlKeys, seal } from '../../src/content/exchange/seal';
import { hexToBytes } from '../../src/shared/bytes';
import { hkdfKey } from './exchange-fixtures';

const EPOCH = 2_900_000;
const random16 = () => crypto.getRandomValues(new Uint8Array(16));

/** Control keys of one room: a base key for each epoch around EPOCH. */
async function room(): Promise<ControlKeys> {
  const base = new Map<number, CryptoKey>();
  for (let e = EPOCH - 3; e <= EPOCH + 3; e++) base.set(e, await hkdfKey(random16()));
  return new ControlKeys((e) => base.get(e));
}

const pub = (byte: number) => new Uint8Array(32).fill(byte);

describe('HELLO plaintext', () => {
  it('encodes type, key and role, and decodes back', () => {
    for (const role of ['offerer', 'answerer'] as const) {
      const bytes = encodeHello({ publicKey: pub(7), role });
      expect(bytes.length).toBe(34);
      expect(bytes[0]).toBe(HELLO_TYPE);
      expect(bytes[33]).toBe(role === 'offerer' ? 0 : 1);
      expect(decodeHello(bytes)).toEqual({ publicKey: pub(7), role });
    }
  });

  it('refuses to encode a key that is not 32 bytes or an unknown role', () => {
    expect(() => encodeHello({ publicKey: new Uint8Array(31), role: 'offerer' })).toThrow(RangeError);
    expect(() => encodeHello({ publicKey: new Uint8Array(33), role: 'offerer' })).toThrow(RangeError);
    expect(() => encodeHello({ publicKey: pub(1), role: 'host' as Hello['role'] })).toThrow(RangeError);
  });

  it('decodes nothing else: another type (a STATE, a CHAT), another length, an unknown role', () => {
    const good = encodeHello({ publicKey: pub(7), role: 'answerer' });
    for (const type of [STATE_TYPE, CHAT_TYPE, 0x00, 0x04, 0xff]) {
      const other = good.slice();
      other[0] = type;
      expect(decodeHello(other)).toBeUndefined();
    }
    for (let role = 2; role < 256; role++) {
      const other = good.slice();
      other[33] = role;
      expect(decodeHello(other)).toBeUndefined();
    }
    expect(decodeHello(good.subarray(0, 33))).toBeUndefined();
    expect(decodeHello(Uint8Array.of(...good, 0))).toBeUndefined();
    expect(decodeHello(new Uint8Array(0))).toBeUndefined();
  });

  it('otherRole', () => {
    expect(otherRole('offerer')).toBe('answerer');
    expect(otherRole('answerer')).toBe('offerer');
  });
});

describe('sealed HELLO and its line', () => {
  it('one key pair per connection: fresh each time, its private key non-extractable', async () => {
    const a = await generateConnectionKeyPair();
    const b = await generateConnectionKeyPair();
    expect(a.publicKey.length).toBe(32);
    expect(a.publicKey).not.toEqual(b.publicKey);
    expect(a.privateKey.extractable).toBe(false);
    expect(a.privateKey.usages).toEqual(['deriveBits']);
  });

  it('the other end opens it for the role it names, in the epoch window, from bytes or the line', async () => {
    const keys = await room();
    const own = await generateConnectionKeyPair();
    for (const role of ['offerer', 'answerer'] as const) {
      const hello = { publicKey: own.publicKey, role };
      const sealed = (await sealHello(hello, EPOCH, keys)) as Uint8Array;
      expect(sealed.length).toBe(SEALED_HELLO_BYTES);
      for (const current of [EPOCH - 1, EPOCH, EPOCH + 1]) {
        expect(await openHello(sealed, current, keys, role)).toEqual(hello);
      }
      const line = (await helloLineValue(hello, EPOCH, keys)) as string;
      expect(line).toMatch(/^[A-Za-z0-9_-]{84}$/);
      expect(await openHelloLine(line, EPOCH, keys, role)).toEqual(hello);
    }
  });

  it('refuses our own role (our HELLO reflected), another room, an epoch outside the window', async () => {
    const keys = await room();
    const hello = { publicKey: (await generateConnectionKeyPair()).publicKey, role: 'offerer' as const };
    const line = (await helloLineValue(hello, EPOCH, keys)) as string;
    // We are the offerer too: a HELLO naming the offerer is ours, or a confused peer's.
    expect(await openHelloLine(line, EPOCH, keys, 'answerer')).toBeUndefined();
    // Another room (or passphrase): other epoch base keys, so other control keys.
    expect(await openHelloLine(line, EPOCH, await room(), 'offerer')).toBeUndefined();
    // Two epochs away, either way.
    expect(await openHelloLine(line, EPOCH + 2, keys, 'offerer')).toBeUndefined();
    expect(await openHelloLine(line, EPOCH - 2, keys, 'offerer')).toBeUndefined();
    const old = (await helloLineValue(hello, EPOCH - 2, keys)) as string;
    expect(await openHelloLine(old, EPOCH, keys, 'offerer')).toBeUndefined();
    // No key for the epoch: nothing to seal, nothing opens.
    const none = new ControlKeys(() => undefined);
    expect(await helloLineValue(hello, EPOCH, none)).toBeUndefined();
    expect(await openHelloLine(line, EPOCH, none, 'offerer')).toBeUndefined();
  });

  it('refuses every single-bit flip of the sealed bytes', async () => {
    const keys = await room();
    const sealed = (await sealHello({ publicKey: pub(9), role: 'answerer' }, EPOCH, keys)) as Uint8Array;
    for (let i = 0; i < sealed.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = sealed.slice();
        flipped[i] = (flipped[i] as number) ^ (1 << bit);
        expect(await openHello(flipped, EPOCH, keys, 'answerer'), `byte ${i} bit ${bit}`).toBeUndefined();
        expect(await openHelloLine(bytesToBase64url(flipped), EPOCH, keys, 'answerer')).toBeUndefined();
      }
    }
  });

  it('refuses a line that is not canonical base64url of a sealed HELLO', async () => {
    const keys = await room();
    const line = (await helloLineValue({ publicKey: pub(9), role: 'answerer' }, EPOCH, keys)) as string;
    // The last character carries 2 unused bits: another character with the same 6-bit prefix decodes the same.
    const last = line.at(-1) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = alphabet[alphabet.indexOf(last) ^ 1] as string;
    for (const bad of [`${line.slice(0, -1)}${twin}`, `${line}=`, line.slice(1), `${line}A`, '', 'A'.repeat(300)]) {
      expect(await openHelloLine(bad, EPOCH, keys, 'answerer'), bad).toBeUndefined();
    }
    expect(await openHelloLine(undefined as unknown as string, EPOCH, keys, 'answerer')).toBeUndefined();
  });

  it('refuses other plaintexts under the same control seal: a STATE, a CHAT, a HELLO of another length', async () => {
    const keys = await room();
    const hello = encodeHello({ publicKey: pub(3), role: 'offerer' });
    for (const plaintext of [
      Uint8Array.of(STATE_TYPE, ...hello.subarray(1)),
      Uint8Array.of(CHAT_TYPE, ...hello.subarray(1)),
      Uint8Array.of(...hello, 0),
      hello.subarray(0, 33),
    ]) {
      const sealed = (await seal(plaintext, EPOCH, keys)) as Uint8Array;
      expect(await openHello(sealed, EPOCH, keys, 'offerer')).toBeUndefined();
    }
  });
});

describe('direction keys', () => {
  async function pair() {
    const offerer = await generateConnectionKeyPair();
    const answerer = await generateConnectionKeyPair();
    const o = await deriveDirectionKeys(offerer, 'offerer', answerer.publicKey);
    const a = await deriveDirectionKeys(answerer, 'answerer', offerer.publicKey);
    if (o === undefined || a === undefined) throw new Error('no keys');
    return { offerer, answerer, o, a };
  }

  const encrypt = (key: CryptoKey, text: string) =>
    crypto.subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, key, new TextEncoder().encode(text));
  const opens = async (key: CryptoKey, sealed: ArrayBuffer) => {
    try {
      return new TextDecoder().decode(
        await crypto.subtle.decrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, key, sealed),
      );
    } catch {
      return undefined;
    }
  };

  it('each end’s sending key is the other’s receiving key, and the two directions differ', async () => {
    const { o, a } = await pair();
    expect(await opens(a.receive, await encrypt(o.send, 'to the answerer'))).toBe('to the answerer');
    expect(await opens(o.receive, await encrypt(a.send, 'to the offerer'))).toBe('to the offerer');
    // A message reflected back to its sender does not open: the directions have different keys.
    expect(await opens(o.receive, await encrypt(o.send, 'echo'))).toBeUndefined();
    expect(await opens(a.receive, await encrypt(a.send, 'echo'))).toBeUndefined();
  });

  it('non-extractable, send encrypts only, receive decrypts only', async () => {
    const { o } = await pair();
    for (const key of [o.send, o.receive]) {
      expect(key.extractable).toBe(false);
      expect(key.algorithm).toMatchObject({ name: 'AES-GCM', length: 128 });
    }
    expect(o.send.usages).toEqual(['encrypt']);
    expect(o.receive.usages).toEqual(['decrypt']);
  });

  it('both ends must agree on who offered: the same roles on both sides give keys that do not match', async () => {
    const { offerer, answerer, a } = await pair();
    const confused = (await deriveDirectionKeys(offerer, 'answerer', answerer.publicKey)) as {
      send: CryptoKey;
      receive: CryptoKey;
    };
    expect(await opens(a.receive, await encrypt(confused.send, 'x'))).toBeUndefined();
  });

  it('a third key pair (another connection, a stranger) gets other keys', async () => {
    const { answerer, a } = await pair();
    const stranger = await generateConnectionKeyPair();
    const s = (await deriveDirectionKeys(stranger, 'offerer', answerer.publicKey)) as { send: CryptoKey };
    expect(await opens(a.receive, await encrypt(s.send, 'x'))).toBeUndefined();
  });

  it('refuses low-order points (the all-zero secret), our own key, and keys that are not 32 bytes', async () => {
    const own = await generateConnectionKeyPair();
    for (const bad of [
      new Uint8Array(32),
      hexToBytes('0100000000000000000000000000000000000000000000000000000000000000'),
      hexToBytes('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'),
      hexToBytes('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157'),
      hexToBytes('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'),
      own.publicKey,
      new Uint8Array(31),
      new Uint8Array(33),
    ]) {
      expect(await deriveDirectionKeys(own, 'offerer', bad)).toBeUndefined();
    }
  });
});
