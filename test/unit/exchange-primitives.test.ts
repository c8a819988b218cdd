/**
 * The published vectors of the key exchange's primitives (test/vectors/README.md), run through WebCrypto as
 * src/content/exchange/ calls it: X25519 (RFC 7748 §6.1), HKDF-SHA256 (RFC 5869 A.1) and AES-KW (RFC 3394 §4.1).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deriveKek, type Identity, unwrapSenderKey } from '../../src/content/exchange/identity';
import { asBufferSource, bytesToHex, hexToBytes } from '../../src/shared/bytes';
import { importX25519Private } from './exchange-fixtures';

const vectors = (name: string): Record<string, string | number> =>
  JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8'));
const hex = (value: string | number | undefined) => asBufferSource(hexToBytes(String(value)));
const subtle = crypto.subtle;

describe('RFC 7748 §6.1: X25519 through WebCrypto', () => {
  const v = vectors('rfc7748-x25519.json');

  it('gives both sides the published shared secret', async () => {
    const alice = await importX25519Private(hex(v.alicePrivate));
    const bob = await importX25519Private(hex(v.bobPrivate));
    const bobPublic = await subtle.importKey('raw', hex(v.bobPublic), { name: 'X25519' }, true, []);
    const alicePublic = await subtle.importKey('raw', hex(v.alicePublic), { name: 'X25519' }, true, []);
    const k1 = await subtle.deriveBits({ name: 'X25519', public: bobPublic }, alice, 256);
    const k2 = await subtle.deriveBits({ name: 'X25519', public: alicePublic }, bob, 256);
    expect(bytesToHex(new Uint8Array(k1))).toBe(v.sharedSecret);
    expect(bytesToHex(new Uint8Array(k2))).toBe(v.sharedSecret);
  });

  it('derives the published public keys from the private ones', async () => {
    for (const who of ['alice', 'bob']) {
      const key = await importX25519Private(hex(v[`${who}Private`]), true);
      const jwk = await subtle.exportKey('jwk', key);
      expect(bytesToHex(Buffer.from(String(jwk.x), 'base64url'))).toBe(v[`${who}Public`]);
    }
  });

  it('is what deriveKek feeds HKDF: both directions of one pair agree', async () => {
    const alice: Identity = {
      privateKey: await importX25519Private(hex(v.alicePrivate)),
      publicKey: hex(v.alicePublic),
    };
    const bob: Identity = { privateKey: await importX25519Private(hex(v.bobPrivate)), publicKey: hex(v.bobPublic) };
    const send = await deriveKek(alice, bob.publicKey, 'send');
    const receive = await deriveKek(bob, alice.publicKey, 'receive');
    const data = await subtle.importKey('raw', new Uint8Array(16).fill(9), 'AES-GCM', true, ['encrypt']);
    const wrapped = new Uint8Array(await subtle.wrapKey('raw', data, send as CryptoKey, 'AES-KW'));
    expect(await unwrapSenderKey(wrapped, receive as CryptoKey)).toBeDefined();
  });
});

describe('RFC 5869 A.1: HKDF-SHA256 through WebCrypto', () => {
  const v = vectors('rfc5869-hkdf.json');

  it('deriveBits gives the published OKM', async () => {
    const ikm = await subtle.importKey('raw', hex(v.ikm), 'HKDF', false, ['deriveBits']);
    const okm = await subtle.deriveBits(
      { name: 'HKDF', hash: String(v.hash), salt: hex(v.salt), info: hex(v.info) },
      ikm,
      Number(v.length) * 8,
    );
    expect(bytesToHex(new Uint8Array(okm))).toBe(v.okm);
  });

  it('its extract step is HMAC(salt, IKM): the published PRK', async () => {
    const salt = await subtle.importKey('raw', hex(v.salt), { name: 'HMAC', hash: String(v.hash) }, false, ['sign']);
    expect(bytesToHex(new Uint8Array(await subtle.sign('HMAC', salt, hex(v.ikm))))).toBe(v.prk);
  });
});

describe('RFC 3394 §4.1: AES-KW through WebCrypto', () => {
  const v = vectors('rfc3394-aes-kw.json');

  it('wrapKey gives the published ciphertext, and unwrapKey the key data again', async () => {
    const kek = await subtle.importKey('raw', hex(v.kek), 'AES-KW', false, ['wrapKey', 'unwrapKey']);
    const data = await subtle.importKey('raw', hex(v.keyData), 'AES-GCM', true, ['encrypt']);
    expect(bytesToHex(new Uint8Array(await subtle.wrapKey('raw', data, kek, 'AES-KW')))).toBe(v.ciphertext);
    const back = await subtle.unwrapKey('raw', hex(v.ciphertext), kek, 'AES-KW', 'AES-GCM', true, ['encrypt']);
    expect(bytesToHex(new Uint8Array(await subtle.exportKey('raw', back)))).toBe(v.keyData);
  });

  it('unwrapSenderKey refuses the ciphertext with one bit flipped (the integrity check value)', async () => {
    const kek = await subtle.importKey('raw', hex(v.kek), 'AES-KW', false, ['unwrapKey']);
    expect(await unwrapSenderKey(hex(v.ciphertext), kek)).toBeDefined();
    for (let i = 0; i < 24; i++) {
      const altered = hex(v.ciphertext);
      altered[i] = (altered[i] as number) ^ 0x01;
      expect(await unwrapSenderKey(altered, kek)).toBeUndefined();
    }
  });
});
