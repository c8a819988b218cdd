/**
 * @module A protected connection's two direction keys (docs/frame-format.md §2.8), from the two HELLOs' X25519 public
 * keys (hello.ts):
 *
 * ```
 * secret = X25519(own private, peer public)                                    RFC 7748 §6.1 (the same at both ends)
 * okm    = HKDF-SHA256(ikm = secret, salt = empty,
 *                      info = "Framelock v4 data" ‖ pub_offerer ‖ pub_answerer, L = 32)        RFC 5869
 * key(offerer → answerer) = okm[0..16)     key(answerer → offerer) = okm[16..32)      AES-128-GCM, non-extractable
 * ```
 *
 * The offerer's key first in the info, whoever derives: both ends compute the same 32 bytes. Each end can only
 * encrypt with its sending key and only decrypt with its receiving key. The secret and the 32 bytes exist in JavaScript
 * only between two awaits (WebCrypto's deriveKey gives one key per derivation, and the design splits one output in
 * two) and are wiped at once.
 */
import { asBufferSource, concatBytes, constantTimeEqual, wipe } from '../../shared/bytes';
import { PUBLIC_KEY_BYTES } from '../exchange/constants';
import type { Identity } from '../exchange/identity';
import { DATA_KEY_BYTES, DATA_KEYS_BYTES, DATA_LABEL } from './constants';
import type { Role } from './hello';

/** One connection's keys, as one end holds them. */
export interface DirectionKeys {
  /** Our direction's key: AES-128-GCM, `encrypt` only. */
  send: CryptoKey;
  /** The peer's direction's key: AES-128-GCM, `decrypt` only. */
  receive: CryptoKey;
}

/** HKDF-SHA256 info of a connection: the label, the offerer's public key, the answerer's. */
export function dataKeysInfo(offererPublicKey: Uint8Array, answererPublicKey: Uint8Array): Uint8Array {
  return concatBytes(DATA_LABEL, offererPublicKey, answererPublicKey);
}

function importAesGcm(raw: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', asBufferSource(raw), { name: 'AES-GCM' }, false, [usage]);
}

/**
 * Our keys for a connection on which we are `ownRole`, with `own` the connection's key pair and `peerPublicKey` the
 * public key of the peer's HELLO (which must name the other role). Undefined for a public key that is not 32 bytes,
 * is our own (a reflected HELLO), or that X25519 refuses (all zeros and the other low-order points give the all-zero
 * secret: RFC 7748 §6.1). Never throws.
 */
export async function deriveDirectionKeys(
  own: Identity,
  ownRole: Role,
  peerPublicKey: Uint8Array,
): Promise<DirectionKeys | undefined> {
  if (peerPublicKey.length !== PUBLIC_KEY_BYTES || own.publicKey.length !== PUBLIC_KEY_BYTES) return undefined;
  if (constantTimeEqual(peerPublicKey, own.publicKey)) return undefined;
  let secret: Uint8Array | undefined;
  let okm: Uint8Array | undefined;
  try {
    const peer = await crypto.subtle.importKey('raw', asBufferSource(peerPublicKey), { name: 'X25519' }, true, []);
    secret = new Uint8Array(
      await crypto.subtle.deriveBits({ name: 'X25519', public: peer }, own.privateKey, PUBLIC_KEY_BYTES * 8),
    );
    // RFC 7748 §6.1: "check whether K is the all-zero value and abort if so". WebCrypto already refuses it; this
    // holds even where an implementation would not.
    if (constantTimeEqual(secret, new Uint8Array(secret.length))) return undefined;
    const ikm = await crypto.subtle.importKey('raw', asBufferSource(secret), 'HKDF', false, ['deriveBits']);
    wipe(secret);
    const [offerer, answerer] = ownRole === 'offerer' ? [own.publicKey, peerPublicKey] : [peerPublicKey, own.publicKey];
    okm = new Uint8Array(
      await crypto.subtle.deriveBits(
        {
          name: 'HKDF',
          hash: 'SHA-256',
          salt: new Uint8Array(0),
          info: asBufferSource(dataKeysInfo(offerer, answerer)),
        },
        ikm,
        DATA_KEYS_BYTES * 8,
      ),
    );
    const offererToAnswerer = okm.subarray(0, DATA_KEY_BYTES);
    const answererToOfferer = okm.subarray(DATA_KEY_BYTES, DATA_KEYS_BYTES);
    const [sending, receiving] =
      ownRole === 'offerer' ? [offererToAnswerer, answererToOfferer] : [answererToOfferer, offererToAnswerer];
    const [send, receive] = await Promise.all([importAesGcm(sending, 'encrypt'), importAesGcm(receiving, 'decrypt')]);
    return { send, receive };
  } catch {
    return undefined;
  } finally {
    if (secret !== undefined) wipe(secret);
    if (okm !== undefined) wipe(okm);
  }
}
