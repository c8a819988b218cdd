/**
 * @module The five RFC 9605 cipher suites (§4.5, §8.1), one private-use suite of ours, and their AEADs, on WebCrypto
 * only.
 *
 * | value  | name                         | hash    | Nk | Nn | Nt |
 * |--------|------------------------------|---------|----|----|----|
 * | 1     | AES_128_CTR_HMAC_SHA256_80   | SHA-256 | 48 | 12 | 10 |
 * | 2     | AES_128_CTR_HMAC_SHA256_64   | SHA-256 | 48 | 12 |  8 |
 * | 3     | AES_128_CTR_HMAC_SHA256_32   | SHA-256 | 48 | 12 |  4 |
 * | 4     | AES_128_GCM_SHA256_128       | SHA-256 | 16 | 12 | 16 |
 * | 5     | AES_256_GCM_SHA512_128       | SHA-512 | 32 | 12 | 16 |
 * | 0xF001 | FRAMELOCK_AES_128_GCM_SHA256_64 | SHA-256 | 16 | 12 | 8 |
 *
 * 0xF001 is in RFC 9605's private-use range (§8.1: 0xF000-0xFFFF). It is suite 4 with GCM's tag truncated to 64 bits
 * (NIST SP 800-38D §5.2.1.2), for audio: one WebCrypto call per frame where suite 2's 64-bit tag takes two (AES-CTR,
 * then HMAC). SP 800-38D Appendix C bounds 64-bit tags: ciphertext plus AAD at most 2^15 bytes per frame (enforced
 * here) and at most 2^32 decryptions per key (a per-sender key lives one 10-minute epoch). docs/frame-format.md has
 * the reasoning and the measurements.
 *
 * For the CTR-HMAC suites the 48-byte sframe_key splits into a 16-byte AES key and a 32-byte HMAC key (§4.5.1).
 */
import { asBufferSource, concatBytes, constantTimeEqual, MAX_SAFE, u64BE } from '../shared/bytes';
import { SFrameError } from './errors';

/** RFC 9605's suites 1..5 and Framelock's private-use 0xF001. */
export type CipherSuiteId = 1 | 2 | 3 | 4 | 5 | 0xf001;

export interface CipherSuite {
  readonly id: CipherSuiteId;
  readonly name: string;
  readonly hash: 'SHA-256' | 'SHA-512';
  /** sframe_key length (§4.4.2). */
  readonly nk: number;
  /** Nonce length. */
  readonly nn: 12;
  /** Tag length. */
  readonly nt: number;
  /** AES-GCM, or AES-CTR + HMAC (§4.5.1). */
  readonly aead: 'gcm' | 'ctr-hmac';
  /** AES key length in bytes (Nka for CTR-HMAC). */
  readonly aesKeyLength: 16 | 32;
}

export const CIPHER_SUITES: Readonly<Record<CipherSuiteId, CipherSuite>> = {
  1: {
    id: 1,
    name: 'AES_128_CTR_HMAC_SHA256_80',
    hash: 'SHA-256',
    nk: 48,
    nn: 12,
    nt: 10,
    aead: 'ctr-hmac',
    aesKeyLength: 16,
  },
  2: {
    id: 2,
    name: 'AES_128_CTR_HMAC_SHA256_64',
    hash: 'SHA-256',
    nk: 48,
    nn: 12,
    nt: 8,
    aead: 'ctr-hmac',
    aesKeyLength: 16,
  },
  3: {
    id: 3,
    name: 'AES_128_CTR_HMAC_SHA256_32',
    hash: 'SHA-256',
    nk: 48,
    nn: 12,
    nt: 4,
    aead: 'ctr-hmac',
    aesKeyLength: 16,
  },
  4: { id: 4, name: 'AES_128_GCM_SHA256_128', hash: 'SHA-256', nk: 16, nn: 12, nt: 16, aead: 'gcm', aesKeyLength: 16 },
  5: { id: 5, name: 'AES_256_GCM_SHA512_128', hash: 'SHA-512', nk: 32, nn: 12, nt: 16, aead: 'gcm', aesKeyLength: 32 },
  61441: {
    // 0xF001
    id: 0xf001,
    name: 'FRAMELOCK_AES_128_GCM_SHA256_64',
    hash: 'SHA-256',
    nk: 16,
    nn: 12,
    nt: 8,
    aead: 'gcm',
    aesKeyLength: 16,
  },
};

/**
 * NIST SP 800-38D Appendix C, table 2: with a 64-bit GCM tag, ciphertext plus AAD of one message at most 2^15 bytes.
 * (Opus frames are at most 1,275 bytes per 20 ms, a few KB per packet.) Longer GCM tags have no such bound here.
 */
const MAX_SHORT_TAG_GCM_BYTES = 2 ** 15;

/** @throws RangeError unless `suite` is one of RFC 9605's five cipher suites (1..5) or ours (0xF001). */
export function getCipherSuite(suite: number): CipherSuite {
  if (!Number.isInteger(suite) || !((suite >= 1 && suite <= 5) || suite === 0xf001)) {
    throw new RangeError(`SFrame: unsupported cipher suite ${String(suite)} (RFC 9605 defines 1..5; ours is 0xF001)`);
  }
  return CIPHER_SUITES[suite as CipherSuiteId];
}

/** Refuses a GCM input over the bound a short tag allows (see {@link MAX_SHORT_TAG_GCM_BYTES}). */
export function checkGcmLength(suite: CipherSuite, aadLength: number, textLength: number): boolean {
  return suite.nt >= 16 || aadLength + textLength <= MAX_SHORT_TAG_GCM_BYTES;
}

/** Frame keys for one KID: what encryption and decryption need, and nothing that derives more. */
export interface FrameKeys {
  /** AES-GCM key, or the AES-CTR enc_key for the CTR-HMAC suites. Non-extractable when made by deriveFrameKeys. */
  key: CryptoKey;
  /** HMAC auth_key, CTR-HMAC suites only. */
  authKey?: CryptoKey;
  /** sframe_salt (Nn bytes). Not secret on its own: it only whitens the nonce. */
  salt: Uint8Array;
}

/** Nonce = sframe_salt XOR CTR, the counter big-endian and right-aligned in Nn bytes (RFC 9605 §4.4.3). */
export function frameNonce(salt: Uint8Array, ctr: bigint): Uint8Array<ArrayBuffer> {
  if (ctr <= MAX_SAFE) return frameNonceAt(salt, Number(ctr));
  const nonce = new Uint8Array(12);
  xorCounter(nonce, salt, Number((ctr >> 32n) & 0xffffffffn), Number(ctr & 0xffffffffn));
  return nonce;
}

/** {@link frameNonce} for a counter that is a safe integer (every real one: 2^53 frames is millions of years). */
export function frameNonceAt(salt: Uint8Array, ctr: number): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(12);
  xorCounter(nonce, salt, Math.floor(ctr / 0x100000000), ctr >>> 0);
  return nonce;
}

/** The 64-bit counter covers the last 8 of the 12 nonce bytes: XORed in as two 32-bit halves. */
function xorCounter(nonce: Uint8Array, salt: Uint8Array, hi: number, lo: number): void {
  for (let i = 0; i < 4; i++) nonce[i] = salt[i] ?? 0;
  for (let i = 0; i < 4; i++) nonce[4 + i] = (salt[4 + i] ?? 0) ^ ((hi >>> (24 - 8 * i)) & 0xff);
  for (let i = 0; i < 4; i++) nonce[8 + i] = (salt[8 + i] ?? 0) ^ ((lo >>> (24 - 8 * i)) & 0xff);
}

/** AES-CTR's initial counter block: nonce || 0x00000000, incremented in its low 32 bits (RFC 9605 §4.5.1). */
function counterBlock(nonce: Uint8Array): Uint8Array<ArrayBuffer> {
  const block = new Uint8Array(16);
  block.set(nonce, 0);
  return block;
}

/** RFC 9605 §4.5.1 compute_tag: HMAC over lengths, nonce, AAD and ciphertext, truncated to Nt. */
async function computeTag(
  suite: CipherSuite,
  authKey: CryptoKey,
  nonce: Uint8Array,
  aad: Uint8Array,
  ct: Uint8Array,
): Promise<Uint8Array> {
  const authData = concatBytes(
    u64BE(BigInt(aad.length)),
    u64BE(BigInt(ct.length)),
    u64BE(BigInt(suite.nt)),
    nonce,
    aad,
    ct,
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', authKey, asBufferSource(authData)));
  return mac.subarray(0, suite.nt);
}

/**
 * AEAD.Encrypt (RFC 9605 §4.4.3 with §4.5): returns ciphertext || tag.
 * Rejects only on a WebCrypto failure (wrong key type), which callers turn into an error of their own.
 */
export function aeadSeal(
  suite: CipherSuite,
  keys: FrameKeys,
  nonce: Uint8Array<ArrayBuffer>,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  if (suite.aead === 'gcm') {
    if (!checkGcmLength(suite, aad.length, plaintext.length)) {
      return Promise.reject(
        new RangeError(`SFrame: ${suite.name} seals at most ${MAX_SHORT_TAG_GCM_BYTES} bytes of AAD and plaintext`),
      );
    }
    return gcmEncrypt(suite, keys, nonce, aad, plaintext).then((sealed) => new Uint8Array(sealed));
  }
  return ctrHmacSeal(suite, keys, nonce, aad, plaintext);
}

/**
 * AES-GCM encryption as WebCrypto answers it (ciphertext || tag), for the per-frame path (SFrameContext.sealNext).
 * The caller checked the suite is a GCM one and the input within {@link checkGcmLength}'s bound.
 */
export function gcmEncrypt(
  suite: CipherSuite,
  keys: FrameKeys,
  nonce: Uint8Array<ArrayBuffer>,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Promise<ArrayBuffer> {
  return crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: nonce, additionalData: asBufferSource(aad), tagLength: suite.nt * 8 },
    keys.key,
    asBufferSource(plaintext),
  );
}

/** AEAD.Encrypt of the CTR-HMAC suites (§4.5.1). */
async function ctrHmacSeal(
  suite: CipherSuite,
  keys: FrameKeys,
  nonce: Uint8Array<ArrayBuffer>,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  if (keys.authKey === undefined) throw new TypeError('SFrame: CTR-HMAC suite without an auth key');
  const ct = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-CTR', counter: counterBlock(nonce), length: 32 },
      keys.key,
      asBufferSource(plaintext),
    ),
  );
  const tag = await computeTag(suite, keys.authKey, nonce, aad, ct);
  const out = new Uint8Array(ct.length + suite.nt);
  out.set(ct, 0);
  out.set(tag, ct.length);
  return out;
}

/**
 * AEAD.Decrypt (RFC 9605 §4.4.4 with §4.5). For CTR-HMAC the tag is compared in constant time, and no decrypted
 * byte leaves unless it matches.
 * @throws SFrameError `auth_failure` when the tag does not verify, `crypto_failure` for any other WebCrypto error.
 */
export function aeadOpen(
  suite: CipherSuite,
  keys: FrameKeys,
  nonce: Uint8Array<ArrayBuffer>,
  aad: Uint8Array,
  sealed: Uint8Array,
): Promise<Uint8Array> {
  if (sealed.length < suite.nt) return Promise.reject(new SFrameError('frame_too_short'));
  if (suite.aead === 'gcm') {
    return gcmDecrypt(suite, keys, nonce, aad, sealed).then(
      (opened) => new Uint8Array(opened),
      (error: unknown) => {
        throw gcmFailure(error);
      },
    );
  }
  return ctrHmacOpen(suite, keys, nonce, aad, sealed);
}

/**
 * AES-GCM decryption as WebCrypto answers it: the per-frame path waits for this promise and nothing else (see
 * SFrameContext.openAt). Failures are WebCrypto's; {@link gcmFailure} says what they mean. The caller checked
 * that `sealed` holds a tag and that the suite is a GCM one.
 */
export function gcmDecrypt(
  suite: CipherSuite,
  keys: FrameKeys,
  nonce: Uint8Array<ArrayBuffer>,
  aad: Uint8Array,
  sealed: Uint8Array,
): Promise<ArrayBuffer> {
  // Over the bound, a short tag no longer gives its forgery bound: refused like a forgery, before any crypto.
  if (!checkGcmLength(suite, aad.length, sealed.length - suite.nt))
    return Promise.reject(new SFrameError('auth_failure'));
  return crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: nonce, additionalData: asBufferSource(aad), tagLength: suite.nt * 8 },
    keys.key,
    asBufferSource(sealed),
  );
}

/** What a failed {@link gcmDecrypt} means: a tag that does not verify (OperationError), or our own mistake. */
export function gcmFailure(error: unknown): SFrameError {
  if (error instanceof SFrameError) return error;
  if (error instanceof Error && error.name === 'OperationError') return new SFrameError('auth_failure');
  return new SFrameError('crypto_failure', `SFrame: AES-GCM failed: ${String(error)}`);
}

/** AEAD.Decrypt of the CTR-HMAC suites (§4.5.1). */
async function ctrHmacOpen(
  suite: CipherSuite,
  keys: FrameKeys,
  nonce: Uint8Array<ArrayBuffer>,
  aad: Uint8Array,
  sealed: Uint8Array,
): Promise<Uint8Array> {
  if (keys.authKey === undefined) throw new SFrameError('crypto_failure', 'SFrame: CTR-HMAC suite without an auth key');
  const ctLength = sealed.length - suite.nt;
  const ct = sealed.subarray(0, ctLength);
  const tag = sealed.subarray(ctLength);
  // The tag and the keystream are computed at once (two WebCrypto calls in flight, one wait instead of two); the
  // decrypted bytes are returned only after the tag matched, and dropped otherwise.
  const decrypting = crypto.subtle
    .decrypt({ name: 'AES-CTR', counter: counterBlock(nonce), length: 32 }, keys.key, asBufferSource(ct.slice()))
    .then(
      (pt) => ({ ok: true as const, pt }),
      (error: unknown) => ({ ok: false as const, error }),
    );
  let expected: Uint8Array;
  try {
    expected = await computeTag(suite, keys.authKey, nonce, aad, ct);
  } catch (error) {
    throw new SFrameError('crypto_failure', `SFrame: HMAC failed: ${String(error)}`);
  }
  if (!constantTimeEqual(tag, expected)) throw new SFrameError('auth_failure');
  const decrypted = await decrypting;
  if (!decrypted.ok) {
    throw new SFrameError('crypto_failure', `SFrame: AES-CTR failed: ${String(decrypted.error)}`);
  }
  return new Uint8Array(decrypted.pt);
}
