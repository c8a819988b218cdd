/**
 * @module The key exchange's one message, STATE (docs/keys.md, "STATE, the exchange's one message"): its plaintext,
 * before it is sealed (src/content/exchange/seal.ts). All integers big-endian. (The seal also carries the chat's
 * CHAT: chat.ts.)
 *
 * ```
 *  0      1                7                                39     40     41
 * +------+----------------+--------------------------------+------+------+---------------------+
 * | 0x01 | pid (6 bytes)  | X25519 public key (32 bytes)   | gen  | want | want pids (6 each)  |
 * +------+----------------+--------------------------------+------+------+---------------------+
 *   type   top 4 bits zero                                 mod 256 count  n = want count
 *
 * +----------------------+-------------------------------------------------------------------+
 * | wrap count (2 bytes) | wraps: recipient pid (6) ‖ AES-KW(k_gen) (24), wrap count of them |
 * +----------------------+-------------------------------------------------------------------+
 * ```
 *
 * - `gen` is the generation the wraps carry (with no wraps, a hello: the newest generation the sender made).
 * - `want`: the participants whose current sender key we lack (they re-send their wraps to us).
 * - A hello is a STATE with no wraps.
 *
 * Encoding our own STATE checks it and throws; decoding a received one never throws: anything malformed (another
 * type, a length that does not add up, trailing bytes, a count beyond {@link MAX_OTHERS}, a pid with its top bits set,
 * a pid named twice or naming the sender itself) is `undefined`.
 */
import { readUintBE, writeUintBE } from '../../shared/bytes';
import {
  MAX_OTHERS,
  MAX_PID,
  MAX_STATE_BYTES,
  PID_BYTES,
  PUBLIC_KEY_BYTES,
  STATE_TYPE,
  WRAPPED_KEY_BYTES,
} from './constants';

/** A sender key wrapped to one recipient. */
export interface Wrap {
  pid: bigint;
  wrapped: Uint8Array;
}

export interface State {
  /** The sender's participant id (44 bits). */
  pid: bigint;
  /** The sender's X25519 public key for this call, raw. */
  publicKey: Uint8Array;
  /** Generation mod 256 (0..255). */
  gen: number;
  /** Participants whose sender key the sender lacks, each once. */
  want: bigint[];
  /** The sender key of `gen`, wrapped to each recipient, each once. */
  wraps: Wrap[];
}

const HEADER_BYTES = 1 + PID_BYTES + PUBLIC_KEY_BYTES + 1;
const WRAP_BYTES = PID_BYTES + WRAPPED_KEY_BYTES;

function isPid(pid: bigint): boolean {
  return pid >= 0n && pid <= MAX_PID;
}

/** Whether a list of pids names each once and never `sender`. */
function distinct(pids: readonly bigint[], sender: bigint): boolean {
  const seen = new Set<bigint>([sender]);
  for (const pid of pids) {
    if (seen.has(pid)) return false;
    seen.add(pid);
  }
  return true;
}

/**
 * The STATE's plaintext bytes.
 *
 * @throws RangeError if a pid is not 44 bits, the public key is not 32 bytes, the gen not 0..255, a wrapped key not
 *   24 bytes, a list longer than {@link MAX_OTHERS}, or a pid named twice (or the sender's own, in a list).
 */
export function encodeState(state: State): Uint8Array {
  const { pid, publicKey, gen, want, wraps } = state;
  if (!isPid(pid)) throw new RangeError('STATE: pid is not 44 bits');
  if (publicKey.length !== PUBLIC_KEY_BYTES) throw new RangeError('STATE: public key is not 32 bytes');
  if (!Number.isInteger(gen) || gen < 0 || gen > 255) throw new RangeError('STATE: gen is not a byte');
  if (want.length > MAX_OTHERS || wraps.length > MAX_OTHERS) throw new RangeError('STATE: too many entries');
  if (!want.every(isPid) || !wraps.every((w) => isPid(w.pid))) throw new RangeError('STATE: pid is not 44 bits');
  if (
    !distinct(want, pid) ||
    !distinct(
      wraps.map((w) => w.pid),
      pid,
    )
  ) {
    throw new RangeError('STATE: a pid is named twice, or is the sender');
  }
  if (!wraps.every((w) => w.wrapped.length === WRAPPED_KEY_BYTES))
    throw new RangeError('STATE: a wrap is not 24 bytes');

  const out = new Uint8Array(HEADER_BYTES + 1 + want.length * PID_BYTES + 2 + wraps.length * WRAP_BYTES);
  let at = 0;
  out[at++] = STATE_TYPE;
  writeUintBE(out, at, PID_BYTES, pid);
  at += PID_BYTES;
  out.set(publicKey, at);
  at += PUBLIC_KEY_BYTES;
  out[at++] = gen;
  out[at++] = want.length;
  for (const w of want) {
    writeUintBE(out, at, PID_BYTES, w);
    at += PID_BYTES;
  }
  writeUintBE(out, at, 2, BigInt(wraps.length));
  at += 2;
  for (const w of wraps) {
    writeUintBE(out, at, PID_BYTES, w.pid);
    out.set(w.wrapped, at + PID_BYTES);
    at += WRAP_BYTES;
  }
  return out;
}

/** A STATE read from untrusted bytes (a peer's, or anyone's who holds the epoch key), or undefined. Never throws. */
export function decodeState(untrusted: Uint8Array): State | undefined {
  const bytes = untrusted;
  if (bytes.length < HEADER_BYTES + 1 + 2 || bytes.length > MAX_STATE_BYTES) return undefined;
  let at = 0;
  if (bytes[at++] !== STATE_TYPE) return undefined;
  const pid = readUintBE(bytes, at, PID_BYTES);
  if (!isPid(pid)) return undefined;
  at += PID_BYTES;
  const publicKey = bytes.slice(at, at + PUBLIC_KEY_BYTES);
  at += PUBLIC_KEY_BYTES;
  const gen = bytes[at++] as number;

  const wantCount = bytes[at++] as number;
  if (wantCount > MAX_OTHERS || at + wantCount * PID_BYTES + 2 > bytes.length) return undefined;
  const want: bigint[] = [];
  for (let i = 0; i < wantCount; i++, at += PID_BYTES) want.push(readUintBE(bytes, at, PID_BYTES));

  const wrapCount = Number(readUintBE(bytes, at, 2));
  at += 2;
  // Exactly the wraps, and nothing after them.
  if (wrapCount > MAX_OTHERS || bytes.length - at !== wrapCount * WRAP_BYTES) return undefined;
  const wraps: Wrap[] = [];
  for (let i = 0; i < wrapCount; i++, at += WRAP_BYTES) {
    wraps.push({
      pid: readUintBE(bytes, at, PID_BYTES),
      wrapped: bytes.slice(at + PID_BYTES, at + WRAP_BYTES),
    });
  }
  const recipients = wraps.map((w) => w.pid);
  if (!want.every(isPid) || !recipients.every(isPid)) return undefined;
  if (!distinct(want, pid) || !distinct(recipients, pid)) return undefined;
  return { pid, publicKey, gen, want, wraps };
}
