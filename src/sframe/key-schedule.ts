/**
 * @module SFrame key schedule, RFC 9605 §4.4.2. Runs on the trusted side (it needs the base key); what it returns
 * is safe to hand to the page-side worker: non-extractable AES/HMAC keys and the salt.
 *
 * ```
 * sframe_secret = HKDF-Extract("", base_key)
 * sframe_key    = HKDF-Expand(sframe_secret, "SFrame 1.0 Secret key "  || KID || CS, AEAD.Nk)
 * sframe_salt   = HKDF-Expand(sframe_secret, "SFrame 1.0 Secret salt " || KID || CS, AEAD.Nn)
 * ```
 * KID is 8 bytes and CS (the cipher suite) 2 bytes, both big-endian.
 */
import { asBufferSource, wipe, writeUintBE } from '../shared/bytes';
import { checkKid } from './header';
import { type CipherSuite, type FrameKeys, getCipherSuite } from './suites';

const KEY_LABEL = new TextEncoder().encode('SFrame 1.0 Secret key ');
const SALT_LABEL = new TextEncoder().encode('SFrame 1.0 Secret salt ');

/** label || KID (8 bytes) || cipher suite (2 bytes), RFC 9605 §4.4.2. */
export function keyScheduleLabel(kind: 'key' | 'salt', kid: bigint, suite: number): Uint8Array<ArrayBuffer> {
  const prefix = kind === 'key' ? KEY_LABEL : SALT_LABEL;
  const label = new Uint8Array(prefix.length + 10);
  label.set(prefix, 0);
  writeUintBE(label, prefix.length, 8, kid);
  writeUintBE(label, prefix.length + 8, 2, BigInt(suite));
  return label;
}

async function importBaseKey(baseKey: Uint8Array | CryptoKey): Promise<CryptoKey> {
  if (baseKey instanceof Uint8Array) {
    if (baseKey.length === 0) throw new RangeError('SFrame: base key is empty');
    return crypto.subtle.importKey('raw', asBufferSource(baseKey), 'HKDF', false, ['deriveBits', 'deriveKey']);
  }
  if (typeof CryptoKey !== 'undefined' && baseKey instanceof CryptoKey && baseKey.algorithm.name === 'HKDF') {
    return baseKey;
  }
  throw new TypeError('SFrame: base key must be bytes or an HKDF CryptoKey');
}

function hkdf(suite: CipherSuite, info: Uint8Array<ArrayBuffer>): HkdfParams {
  return { name: 'HKDF', hash: suite.hash, salt: new Uint8Array(0), info };
}

/**
 * The raw sframe_key and sframe_salt (RFC 9605 §4.4.2). Raw key bytes: for the trusted side and for tests against
 * the RFC's vectors only. Callers wipe them when done.
 */
export async function deriveKeyMaterial(
  suite: number,
  baseKey: Uint8Array | CryptoKey,
  kid: bigint,
): Promise<{ sframeKey: Uint8Array; sframeSalt: Uint8Array }> {
  const cs = getCipherSuite(suite);
  checkKid(kid);
  const hkdfKey = await importBaseKey(baseKey);
  const [key, salt] = await Promise.all([
    crypto.subtle.deriveBits(hkdf(cs, keyScheduleLabel('key', kid, cs.id)), hkdfKey, cs.nk * 8),
    crypto.subtle.deriveBits(hkdf(cs, keyScheduleLabel('salt', kid, cs.id)), hkdfKey, cs.nn * 8),
  ]);
  return { sframeKey: new Uint8Array(key), sframeSalt: new Uint8Array(salt) };
}

/**
 * Derives the frame keys for one KID (RFC 9605 §4.4.2, and §4.5.1 for the CTR-HMAC split) as non-extractable
 * CryptoKeys. The GCM key never exists as bytes in JavaScript; the CTR-HMAC key does briefly (WebCrypto cannot split
 * a derived key) and is wiped right after import.
 * @throws RangeError for an unknown suite, a kid outside [0, 2^64 - 1] or an empty base key;
 *         TypeError for a base key that is neither bytes nor an HKDF CryptoKey.
 */
export async function deriveFrameKeys(suite: number, baseKey: Uint8Array | CryptoKey, kid: bigint): Promise<FrameKeys> {
  const cs = getCipherSuite(suite);
  checkKid(kid);
  const hkdfKey = await importBaseKey(baseKey);
  const saltBits = crypto.subtle.deriveBits(hkdf(cs, keyScheduleLabel('salt', kid, cs.id)), hkdfKey, cs.nn * 8);
  if (cs.aead === 'gcm') {
    const key = await crypto.subtle.deriveKey(
      hkdf(cs, keyScheduleLabel('key', kid, cs.id)),
      hkdfKey,
      { name: 'AES-GCM', length: cs.aesKeyLength * 8 },
      false,
      ['encrypt', 'decrypt'],
    );
    return { key, salt: new Uint8Array(await saltBits) };
  }
  const sframeKey = new Uint8Array(
    await crypto.subtle.deriveBits(hkdf(cs, keyScheduleLabel('key', kid, cs.id)), hkdfKey, cs.nk * 8),
  );
  try {
    // RFC 9605 §4.5.1: enc_key = sframe_key[..Nka], auth_key = sframe_key[Nka..].
    const [key, authKey] = await Promise.all([
      crypto.subtle.importKey('raw', sframeKey.subarray(0, cs.aesKeyLength), 'AES-CTR', false, ['encrypt', 'decrypt']),
      crypto.subtle.importKey('raw', sframeKey.subarray(cs.aesKeyLength), { name: 'HMAC', hash: cs.hash }, false, [
        'sign',
      ]),
    ]);
    return { key, authKey, salt: new Uint8Array(await saltBits) };
  } finally {
    wipe(sframeKey);
  }
}

/**
 * Imports raw frame keys (enc/auth split per §4.5.1) as non-extractable CryptoKeys. For test vectors that give
 * sframe_key directly, and for the trusted side; never for the page.
 */
export async function importRawFrameKeys(
  suite: number,
  sframeKey: Uint8Array,
  sframeSalt: Uint8Array,
): Promise<FrameKeys> {
  const cs = getCipherSuite(suite);
  if (sframeKey.length !== cs.nk) throw new RangeError(`SFrame: suite ${cs.id} needs a ${cs.nk}-byte sframe_key`);
  if (sframeSalt.length !== cs.nn) throw new RangeError(`SFrame: suite ${cs.id} needs a ${cs.nn}-byte sframe_salt`);
  const salt = new Uint8Array(sframeSalt);
  if (cs.aead === 'gcm') {
    const key = await crypto.subtle.importKey('raw', asBufferSource(sframeKey), 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
    return { key, salt };
  }
  const [key, authKey] = await Promise.all([
    crypto.subtle.importKey('raw', asBufferSource(sframeKey.subarray(0, cs.aesKeyLength)), 'AES-CTR', false, [
      'encrypt',
      'decrypt',
    ]),
    crypto.subtle.importKey(
      'raw',
      asBufferSource(sframeKey.subarray(cs.aesKeyLength)),
      { name: 'HMAC', hash: cs.hash },
      false,
      ['sign'],
    ),
  ]);
  return { key, authKey, salt };
}
