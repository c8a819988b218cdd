/**
 * @module One control region: a chunk of an in-band control message, carried in the trailer of a frame format v4 frame
 * whose CTR is odd (docs/forward-secrecy.md, "Frame layout v4: the control chunk"). The codec framing places the
 * region between the tag and the CTR and escapes it with the trailer; this module only writes and reads the region's
 * own bytes. It is read from its end, as the trailer is: the last byte says how long the region is.
 *
 * ```
 * | codec body | tag (Nt) | chunk payload (n) | msg id | index | last | n | CTR | KID | config |
 *                         '------------- control region (n + 4) ---------'
 *
 *  0                                   n       n+1     n+2     n+3
 * +-----------------------------------+-------+-------+-------+-------+
 * |       chunk payload (n bytes)     |msg id | index | last  |   n   |
 * +-----------------------------------+-------+-------+-------+-------+
 * ```
 *
 * - `n`: 1..255, the payload's length (0 is refused: a frame with nothing to carry has an even CTR and no region).
 * - `msg id`: the message's number mod 256, the same on every stream of the sender (control-outbox.ts).
 * - `index`, `last`: this chunk's number and the message's last chunk number, `index` ≤ `last`: up to 256 chunks.
 */

/** Bytes of a region besides its payload: msg id, index, last and n. */
export const REGION_OVERHEAD = 4;
/** The largest payload one region holds: its length is one byte, and 0 is not a region. */
export const MAX_REGION_PAYLOAD = 255;
/** The most chunks a message can have: `last` is one byte. */
export const MAX_CHUNKS_PER_MESSAGE = 256;

export interface ControlRegion {
  /** The message's number mod 256. */
  msgId: number;
  /** This chunk's number, 0..last. */
  index: number;
  /** The message's last chunk number, 0..255. */
  last: number;
  /** 1..255 bytes. */
  payload: Uint8Array;
}

function isByte(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xff;
}

/**
 * Writes one region. Throws TypeError when `payload` is not a Uint8Array, RangeError when a field is not a byte,
 * `index` > `last`, or the payload is empty or longer than {@link MAX_REGION_PAYLOAD}.
 */
export function encodeRegion({ msgId, index, last, payload }: ControlRegion): Uint8Array {
  if (!(payload instanceof Uint8Array)) throw new TypeError('control region: payload must be a Uint8Array');
  const n = payload.length;
  if (n < 1 || n > MAX_REGION_PAYLOAD) throw new RangeError(`control region: payload of ${n} bytes (1..255)`);
  if (!isByte(msgId) || !isByte(index) || !isByte(last)) {
    throw new RangeError('control region: msg id, index and last must be integers 0..255');
  }
  if (index > last) throw new RangeError(`control region: index ${index} after last ${last}`);
  const region = new Uint8Array(n + REGION_OVERHEAD);
  region.set(payload, 0);
  region[n] = msgId;
  region[n + 1] = index;
  region[n + 2] = last;
  region[n + 3] = n;
  return region;
}

/**
 * Reads one region: `bytes` must be exactly the region (n + 4 bytes, as its last byte says). Returns undefined for
 * anything else; never throws (the bytes come from the network, and are read before the frame is authenticated).
 * The payload is a copy: a view would pin the whole frame's buffer for as long as the message is in reassembly.
 */
export function decodeRegion(bytes: Uint8Array): ControlRegion | undefined {
  const length = bytes.length;
  if (length < REGION_OVERHEAD + 1) return undefined;
  const n = bytes[length - 1] ?? 0;
  if (n === 0 || length !== n + REGION_OVERHEAD) return undefined;
  const msgId = bytes[n] ?? 0;
  const index = bytes[n + 1] ?? 0;
  const last = bytes[n + 2] ?? 0;
  if (index > last) return undefined;
  return { msgId, index, last, payload: bytes.slice(0, n) };
}
