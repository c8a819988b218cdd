/**
 * @module A participant's key material for one call (docs/keys.md, "The hierarchy"): its ephemeral X25519
 * key pair, its sender keys, and the key-encryption keys (KEKs) that carry a sender key to each other participant.
 *
 * ```
 * KEK(S→R) = HKDF-SHA256(ikm  = X25519(e_S, pub_R)            RFC 7748 §6.1 (= X25519(e_R, pub_S))
 *                        salt = empty,
 *                        info = "Framelock v4 wrap" ‖ pub_S ‖ pub_R)  → AES-KW 128 (RFC 3394)
 * wrap     = AES-KW(KEK(S→R), k_g)                                     24 bytes
 * ```
 *
 * Everything is WebCrypto and non-extractable except the sender key's wrapping container, which exists only until
 * its generation's wraps are made. The receiver unwraps straight into a non-extractable HKDF key: a received sender
 * key's raw bytes never exist in JavaScript.
 */
import { asBufferSource, bytesToHex, concatBytes, constantTimeEqual, wipe } from '../../shared/bytes';
import { dropOldest } from '../../shared/collections';
import { KEK_BITS, MAX_MEMBERS, PUBLIC_KEY_BYTES, SENDER_KEY_BYTES, WRAP_LABEL, WRAPPED_KEY_BYTES } from './constants';

/** One participant's X25519 key pair for a call: the private key non-extractable, the public key raw. */
export interface Identity {
  privateKey: CryptoKey;
  /** Raw, 32 bytes (RFC 7748 §5). */
  publicKey: Uint8Array;
}

/** A fresh X25519 key pair (its private key can never leave WebCrypto). */
export async function generateIdentity(): Promise<Identity> {
  const pair = (await crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits'])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return { privateKey: pair.privateKey, publicKey };
}

/** Which way a KEK carries keys: `send` wraps ours to the peer, `receive` unwraps the peer's to us. */
export type Direction = 'send' | 'receive';

/**
 * KEK(S→R) between `own` and the peer's raw public key, as a non-extractable AES-KW key that can only wrap (`send`)
 * or only unwrap (`receive`). Undefined for a public key that is not 32 bytes or that X25519 refuses (all zeros and
 * the other low-order points give the all-zero secret, which WebCrypto rejects: RFC 7748 §6.1); never throws.
 */
export async function deriveKek(
  own: Identity,
  peerPublicKey: Uint8Array,
  direction: Direction,
): Promise<CryptoKey | undefined> {
  if (peerPublicKey.length !== PUBLIC_KEY_BYTES) return undefined;
  let secret: Uint8Array | undefined;
  try {
    const peer = await crypto.subtle.importKey('raw', asBufferSource(peerPublicKey), { name: 'X25519' }, true, []);
    secret = new Uint8Array(
      await crypto.subtle.deriveBits({ name: 'X25519', public: peer }, own.privateKey, PUBLIC_KEY_BYTES * 8),
    );
    // RFC 7748 §6.1: "check whether K is the all-zero value and abort if so". WebCrypto already refuses it; this
    // holds even where an implementation would not.
    if (constantTimeEqual(secret, new Uint8Array(secret.length))) return undefined;
    const ikm = await crypto.subtle.importKey('raw', asBufferSource(secret), 'HKDF', false, ['deriveKey']);
    const [sender, recipient] = direction === 'send' ? [own.publicKey, peerPublicKey] : [peerPublicKey, own.publicKey];
    return await crypto.subtle.deriveKey(
      {
        name: 'HKDF',
        hash: 'SHA-256',
        salt: new Uint8Array(0),
        info: asBufferSource(concatBytes(WRAP_LABEL, sender, recipient)),
      },
      ikm,
      { name: 'AES-KW', length: KEK_BITS },
      false,
      [direction === 'send' ? 'wrapKey' : 'unwrapKey'],
    );
  } catch {
    return undefined;
  } finally {
    if (secret !== undefined) wipe(secret);
  }
}

/**
 * The KEKs of one identity, derived once per (peer public key, direction). Bounded: two per member; the oldest is
 * dropped first, and {@link Keks.forget} drops a member's when it leaves.
 */
export class Keks {
  readonly #own: Identity;
  readonly #cache = new Map<string, Promise<CryptoKey | undefined>>();

  constructor(own: Identity) {
    this.#own = own;
  }

  /** KEK(us→peer) or KEK(peer→us); undefined for a public key X25519 refuses. Never throws. */
  get(peerPublicKey: Uint8Array, direction: Direction): Promise<CryptoKey | undefined> {
    const id = `${direction}:${bytesToHex(peerPublicKey)}`;
    let kek = this.#cache.get(id);
    if (kek === undefined) {
      if (this.#cache.size >= 2 * MAX_MEMBERS) dropOldest(this.#cache);
      kek = deriveKek(this.#own, peerPublicKey, direction);
      this.#cache.set(id, kek);
    }
    return kek;
  }

  /** Drops both KEKs with this peer (it left). */
  forget(peerPublicKey: Uint8Array): void {
    const hex = bytesToHex(peerPublicKey);
    this.#cache.delete(`send:${hex}`);
    this.#cache.delete(`receive:${hex}`);
  }

  clear(): void {
    this.#cache.clear();
  }
}

/** A new sender key: the frame-key base key and, until its wraps are made, the container they are made from. */
export interface NewSenderKey {
  /** RFC 9605 `base_key` of the generation's frames: non-extractable HKDF. */
  baseKey: CryptoKey;
  /**
   * The same 16 bytes as an extractable AES key, for `wrapKey` only (WebCrypto wraps only extractable keys; it is
   * never used to encrypt). Drop it once the generation's wraps are made.
   */
  container: CryptoKey;
}

/**
 * A new sender key from `SENDER_KEY_BYTES` random bytes, imported twice (base key, container) and wiped at once.
 */
export async function generateSenderKey(
  random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n)),
): Promise<NewSenderKey> {
  const raw = random(SENDER_KEY_BYTES);
  try {
    if (raw.length !== SENDER_KEY_BYTES) throw new RangeError('sender key: the random source gave the wrong length');
    const [baseKey, container] = await Promise.all([
      crypto.subtle.importKey('raw', asBufferSource(raw), 'HKDF', false, ['deriveBits', 'deriveKey']),
      crypto.subtle.importKey('raw', asBufferSource(raw), { name: 'AES-GCM' }, true, ['encrypt']),
    ]);
    return { baseKey, container };
  } finally {
    wipe(raw);
  }
}

/** AES-KW (RFC 3394) of the sender key in `container` under a sending KEK: 24 bytes. */
export async function wrapSenderKey(container: CryptoKey, kek: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.wrapKey('raw', container, kek, 'AES-KW'));
}

/**
 * Unwraps a received 24-byte wrap under a receiving KEK straight into a non-extractable HKDF key (the sender's frame
 * base key). Undefined if it is not 24 bytes or fails RFC 3394's integrity check (wrong KEK, altered bytes). Never
 * throws.
 */
export async function unwrapSenderKey(wrapped: Uint8Array, kek: CryptoKey): Promise<CryptoKey | undefined> {
  if (wrapped.length !== WRAPPED_KEY_BYTES) return undefined;
  try {
    return await crypto.subtle.unwrapKey('raw', asBufferSource(wrapped), kek, 'AES-KW', 'HKDF', false, [
      'deriveBits',
      'deriveKey',
    ]);
  } catch {
    return undefined;
  }
}
