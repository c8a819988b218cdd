/**
 * @module A participant's key material for one call (docs/keys.md, "The hierarchy"): its ephemeral X25519
 * key pair, its sender keys, and what each pair of participants derives from their one X25519 secret: the
 * key-encryption keys (KEKs) that carry a sender key to each other participant, and the chat MAC keys that prove who
 * wrote a chat message (docs/keys.md, "Chat messages").
 *
 * ```
 * secret(S, R)      = X25519(e_S, pub_R)                                   RFC 7748 §6.1 (= X25519(e_R, pub_S))
 * KEK(S→R)          = HKDF-SHA256(ikm = secret, salt = empty,
 *                                 info = "Framelock v4 wrap" ‖ pub_S ‖ pub_R)      → AES-KW 128 (RFC 3394)
 * chat mac key(S→R) = HKDF-SHA256(ikm = secret, salt = empty,
 *                                 info = "Framelock v4 chat mac" ‖ pub_S ‖ pub_R)  → HMAC-SHA256 key, 256 bits
 * wrap              = AES-KW(KEK(S→R), k_g)                                                         24 bytes
 * ```
 *
 * Everything is WebCrypto and non-extractable except the sender key's wrapping container, which exists only until
 * its generation's wraps are made. The receiver unwraps straight into a non-extractable HKDF key: a received sender
 * key's raw bytes never exist in JavaScript. The X25519 secret is computed once per peer, imported as an HKDF key
 * for its four keys (two directions of each) and its raw bytes wiped at once.
 */
import { asBufferSource, bytesToHex, concatBytes, constantTimeEqual, wipe } from '../../shared/bytes';
import { dropOldest } from '../../shared/collections';
import {
  CHAT_MAC_KEY_BITS,
  CHAT_MAC_LABEL,
  KEK_BITS,
  MAX_MEMBERS,
  PUBLIC_KEY_BYTES,
  SENDER_KEY_BYTES,
  WRAP_LABEL,
  WRAPPED_KEY_BYTES,
} from './constants';

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

/** Which way a pairwise key works: `send` (us → the peer: we wrap, we MAC) or `receive` (the peer → us). */
export type Direction = 'send' | 'receive';

/** What one peer and we derive from our X25519 secret, both ways, all non-extractable. */
export interface PeerKeys {
  /** KEK(us→peer) (`wrapKey` only) and KEK(peer→us) (`unwrapKey` only). */
  kek: Record<Direction, CryptoKey>;
  /** Chat mac key(us→peer) and (peer→us): HMAC-SHA256, `sign` only (a receiver signs and compares, see chat.ts). */
  chatMac: Record<Direction, CryptoKey>;
}

/**
 * X25519(own, peer) as a non-extractable HKDF key, its raw bytes wiped. Undefined for a public key that is not 32 bytes
 * or that X25519 refuses (all zeros and the other low-order points give the all-zero secret, which WebCrypto rejects:
 * RFC 7748 §6.1); never throws.
 */
async function sharedSecret(own: Identity, peerPublicKey: Uint8Array): Promise<CryptoKey | undefined> {
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
    return await crypto.subtle.importKey('raw', asBufferSource(secret), 'HKDF', false, ['deriveKey']);
  } catch {
    return undefined;
  } finally {
    if (secret !== undefined) wipe(secret);
  }
}

/** HKDF-SHA256 info of a pairwise key: `label ‖ pub_S ‖ pub_R`, the sender's public key first. */
function pairInfo(label: Uint8Array, own: Identity, peerPublicKey: Uint8Array, direction: Direction): HkdfParams {
  const [sender, recipient] = direction === 'send' ? [own.publicKey, peerPublicKey] : [peerPublicKey, own.publicKey];
  const info = asBufferSource(concatBytes(label, sender, recipient));
  return { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info };
}

function kekFrom(
  secret: CryptoKey,
  own: Identity,
  peerPublicKey: Uint8Array,
  direction: Direction,
): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    pairInfo(WRAP_LABEL, own, peerPublicKey, direction),
    secret,
    { name: 'AES-KW', length: KEK_BITS },
    false,
    [direction === 'send' ? 'wrapKey' : 'unwrapKey'],
  );
}

function chatMacFrom(
  secret: CryptoKey,
  own: Identity,
  peerPublicKey: Uint8Array,
  direction: Direction,
): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    pairInfo(CHAT_MAC_LABEL, own, peerPublicKey, direction),
    secret,
    { name: 'HMAC', hash: 'SHA-256', length: CHAT_MAC_KEY_BITS },
    false,
    ['sign'],
  );
}

/**
 * KEK(S→R) between `own` and the peer's raw public key, as a non-extractable AES-KW key that can only wrap (`send`)
 * or only unwrap (`receive`). Undefined for a public key X25519 refuses (see {@link derivePeerKeys}); never throws.
 */
export async function deriveKek(
  own: Identity,
  peerPublicKey: Uint8Array,
  direction: Direction,
): Promise<CryptoKey | undefined> {
  const secret = await sharedSecret(own, peerPublicKey);
  if (secret === undefined) return undefined;
  try {
    return await kekFrom(secret, own, peerPublicKey, direction);
  } catch {
    return undefined;
  }
}

/**
 * Chat mac key(S→R) between `own` and the peer's raw public key: non-extractable HMAC-SHA256 that can only sign.
 * Undefined for a public key X25519 refuses; never throws.
 */
export async function deriveChatMacKey(
  own: Identity,
  peerPublicKey: Uint8Array,
  direction: Direction,
): Promise<CryptoKey | undefined> {
  const secret = await sharedSecret(own, peerPublicKey);
  if (secret === undefined) return undefined;
  try {
    return await chatMacFrom(secret, own, peerPublicKey, direction);
  } catch {
    return undefined;
  }
}

/**
 * Every pairwise key with one peer, from one X25519 computation: both KEKs and both chat mac keys. Undefined for a
 * public key that is not 32 bytes or that X25519 refuses (all zeros and the other low-order points give the all-zero
 * secret: RFC 7748 §6.1); never throws.
 */
export async function derivePeerKeys(own: Identity, peerPublicKey: Uint8Array): Promise<PeerKeys | undefined> {
  const secret = await sharedSecret(own, peerPublicKey);
  if (secret === undefined) return undefined;
  try {
    const [kekSend, kekReceive, macSend, macReceive] = await Promise.all([
      kekFrom(secret, own, peerPublicKey, 'send'),
      kekFrom(secret, own, peerPublicKey, 'receive'),
      chatMacFrom(secret, own, peerPublicKey, 'send'),
      chatMacFrom(secret, own, peerPublicKey, 'receive'),
    ]);
    return { kek: { send: kekSend, receive: kekReceive }, chatMac: { send: macSend, receive: macReceive } };
  } catch {
    return undefined;
  }
}

/**
 * The pairwise keys of one identity, derived once per peer public key. Bounded: one entry per member; the oldest is
 * dropped first, and {@link PeerKeyring.forget} drops a member's when it leaves.
 */
export class PeerKeyring {
  readonly #own: Identity;
  readonly #cache = new Map<string, Promise<PeerKeys | undefined>>();

  constructor(own: Identity) {
    this.#own = own;
  }

  /** Our keys with this peer; undefined for a public key X25519 refuses. Never throws. */
  get(peerPublicKey: Uint8Array): Promise<PeerKeys | undefined> {
    const id = bytesToHex(peerPublicKey);
    let keys = this.#cache.get(id);
    if (keys === undefined) {
      if (this.#cache.size >= MAX_MEMBERS) dropOldest(this.#cache);
      keys = derivePeerKeys(this.#own, peerPublicKey);
      this.#cache.set(id, keys);
    }
    return keys;
  }

  /** Drops every key with this peer (it left, or X25519 refused its key). */
  forget(peerPublicKey: Uint8Array): void {
    this.#cache.delete(bytesToHex(peerPublicKey));
  }

  /** Drops every key (the call is over). */
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
