/**
 * @module A connection's HELLO (docs/frame-format.md §2.8): the proof, carried in the SDP line (sdp-line.ts), that the
 * other end of an RTCPeerConnection runs Framelock with the same passphrase and room, and the X25519 public key the
 * connection's data keys come from (keys.ts).
 *
 * ```
 * +------+-------------------------------------------+------+
 * | 0x03 | X25519 public key of this connection (32) | role |   role: 0 offerer, 1 answerer
 * +------+-------------------------------------------+------+
 * sealed with the exchange's control seal (src/content/exchange/seal.ts) under the epoch's control key:
 * epoch byte ‖ nonce (12) ‖ AES-128-GCM(control key, nonce, HELLO, aad = "Framelock v4 control" ‖ epoch byte)
 * → 63 bytes, 84 characters of base64url in the line
 * ```
 *
 * Only holders of the passphrase and room hold the control key, so only they can write or read a HELLO; the receiver
 * takes one sealed in the window around its epoch only (previous, current, next). The role is inside the seal: the
 * site cannot turn our own offer's HELLO into an answer's. One key pair per connection, made in the bridge, its
 * private key non-extractable and dropped with the connection: the data keys are forward secret.
 *
 * Encoding our own HELLO checks it and throws; reading a received one never throws: anything else is `undefined`.
 */
import { PUBLIC_KEY_BYTES } from '../exchange/constants';
import { generateIdentity, type Identity } from '../exchange/identity';
import { type ControlKeys, open, seal } from '../exchange/seal';
import { base64urlToBytes, bytesToBase64url } from './base64url';
import {
  HELLO_BYTES,
  HELLO_TYPE,
  MAX_LINE_VALUE_CHARS,
  ROLE_ANSWERER,
  ROLE_OFFERER,
  SEALED_HELLO_BYTES,
} from './constants';

/** Which side of the offer/answer exchange made the description a HELLO came in. */
export type Role = 'offerer' | 'answerer';

/** What a HELLO says. */
export interface Hello {
  /** The connection's X25519 public key, raw (32 bytes, RFC 7748 §5). */
  publicKey: Uint8Array;
  role: Role;
}

/** The role the other end of a connection has. */
export function otherRole(role: Role): Role {
  return role === 'offerer' ? 'answerer' : 'offerer';
}

/**
 * A fresh X25519 key pair for one connection (the exchange's: its private key can never leave WebCrypto). Keep it for
 * the connection's life only.
 */
export function generateConnectionKeyPair(): Promise<Identity> {
  return generateIdentity();
}

/**
 * The HELLO's plaintext bytes.
 *
 * @throws RangeError if the public key is not 32 bytes or the role not `offerer` / `answerer`.
 */
export function encodeHello(hello: Hello): Uint8Array {
  if (hello.publicKey.length !== PUBLIC_KEY_BYTES) throw new RangeError('HELLO: the public key is not 32 bytes');
  if (hello.role !== 'offerer' && hello.role !== 'answerer') throw new RangeError('HELLO: unknown role');
  const out = new Uint8Array(HELLO_BYTES);
  out[0] = HELLO_TYPE;
  out.set(hello.publicKey, 1);
  out[1 + PUBLIC_KEY_BYTES] = hello.role === 'offerer' ? ROLE_OFFERER : ROLE_ANSWERER;
  return out;
}

/** A HELLO from opened bytes, or undefined: another type, another length, an unknown role. Never throws. */
export function decodeHello(bytes: Uint8Array): Hello | undefined {
  if (bytes.length !== HELLO_BYTES || bytes[0] !== HELLO_TYPE) return undefined;
  const role = bytes[1 + PUBLIC_KEY_BYTES];
  if (role !== ROLE_OFFERER && role !== ROLE_ANSWERER) return undefined;
  return { publicKey: bytes.slice(1, 1 + PUBLIC_KEY_BYTES), role: role === ROLE_OFFERER ? 'offerer' : 'answerer' };
}

/**
 * Our HELLO sealed for `epoch` under its control key (a fresh random nonce), or undefined without the epoch's key.
 *
 * @throws RangeError for a HELLO {@link encodeHello} refuses.
 */
export function sealHello(
  hello: Hello,
  epoch: number,
  keys: ControlKeys,
  random?: (n: number) => Uint8Array,
): Promise<Uint8Array | undefined> {
  return seal(encodeHello(hello), epoch, keys, random);
}

/**
 * The SDP line's value for our HELLO (base64url of the sealed HELLO), or undefined without the epoch's key.
 *
 * @throws RangeError for a HELLO {@link encodeHello} refuses.
 */
export async function helloLineValue(
  hello: Hello,
  epoch: number,
  keys: ControlKeys,
  random?: (n: number) => Uint8Array,
): Promise<string | undefined> {
  const sealed = await sealHello(hello, epoch, keys, random);
  return sealed === undefined ? undefined : bytesToBase64url(sealed);
}

/**
 * The peer's HELLO from untrusted sealed bytes, if it opens under the control key of an epoch in the window around
 * `currentEpoch` and names `expectedRole` (the other end's: a HELLO of our own role is our own, reflected, or a
 * confused peer's). Undefined otherwise. Never throws.
 */
export async function openHello(
  untrusted: Uint8Array,
  currentEpoch: number,
  keys: ControlKeys,
  expectedRole: Role,
): Promise<Hello | undefined> {
  if (untrusted.length !== SEALED_HELLO_BYTES) return undefined;
  const opened = await open(untrusted, currentEpoch, keys);
  const hello = opened && decodeHello(opened.plaintext);
  return hello?.role === expectedRole ? hello : undefined;
}

/** {@link openHello} of an untrusted SDP line value (base64url, as `lineOf` returns it). Never throws. */
export async function openHelloLine(
  untrustedValue: string,
  currentEpoch: number,
  keys: ControlKeys,
  expectedRole: Role,
): Promise<Hello | undefined> {
  if (typeof untrustedValue !== 'string' || untrustedValue.length > MAX_LINE_VALUE_CHARS) return undefined;
  const sealed = base64urlToBytes(untrustedValue);
  return sealed === undefined ? undefined : openHello(sealed, currentEpoch, keys, expectedRole);
}
