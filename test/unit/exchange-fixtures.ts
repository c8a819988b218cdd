/**
 * Helpers for the key exchange's tests (test/unit/exchange-*.test.ts): fixed X25519 keys, an independent KEK
 * computation (raw bytes, for the vectors and for the man in the middle), and key comparisons.
 */
import { asBufferSource, concatBytes, hexToBytes } from '../../src/shared/bytes';

const subtle = crypto.subtle;

/** RFC 8410 §7: a PKCS#8 PrivateKeyInfo for X25519 is this prefix and the 32-byte private key. */
const X25519_PKCS8_PREFIX = hexToBytes('302e020100300506032b656e04220420');

export function importX25519Private(privateKey: Uint8Array, extractable = false): Promise<CryptoKey> {
  return subtle.importKey(
    'pkcs8',
    asBufferSource(concatBytes(X25519_PKCS8_PREFIX, privateKey)),
    { name: 'X25519' },
    extractable,
    ['deriveBits'],
  );
}

/**
 * KEK(S→R)'s raw bytes, computed apart from src/content/exchange/identity.ts with deriveBits all the way (the design's
 * formula, written out again): for the frozen vectors, and for a test's man in the middle, who needs to re-wrap.
 */
export async function kekBytes(
  ownPrivate: CryptoKey,
  ownPublic: Uint8Array,
  peerPublic: Uint8Array,
  direction: 'send' | 'receive',
): Promise<Uint8Array> {
  const peer = await subtle.importKey('raw', asBufferSource(peerPublic), { name: 'X25519' }, true, []);
  const shared = await subtle.deriveBits({ name: 'X25519', public: peer }, ownPrivate, 256);
  const ikm = await subtle.importKey('raw', shared, 'HKDF', false, ['deriveBits']);
  const [s, r] = direction === 'send' ? [ownPublic, peerPublic] : [peerPublic, ownPublic];
  const info = concatBytes(new TextEncoder().encode('Framelock v4 wrap'), s, r);
  const bits = await subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: asBufferSource(info) },
    ikm,
    128,
  );
  return new Uint8Array(bits);
}

/** 16 bytes derived from an HKDF base key with a fixed label: equal outputs mean equal keys. */
export async function keyProbe(key: CryptoKey | undefined): Promise<string | undefined> {
  if (key === undefined) return undefined;
  const bits = await subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new TextEncoder().encode('test probe') },
    key,
    128,
  );
  return Buffer.from(bits).toString('hex');
}

/** An HKDF key of these raw bytes (an epoch base key or a sender key, as the bridge holds them). */
export function hkdfKey(raw: Uint8Array): Promise<CryptoKey> {
  return subtle.importKey('raw', asBufferSource(raw), 'HKDF', false, ['deriveBits', 'deriveKey']);
}
