/**
 * @module The control region of Framelock frame format v4 and v5 (docs/frame-format.md §2.6, docs/keys.md): one
 * chunk of an in-band control message, carried in the trailer of a frame whose counter is odd, between the tag and
 * the CTR. Authenticated under the media key as the last part of the frame's AAD.
 *
 * ```
 * +---------------------+--------+-------+------+-----+
 * | chunk payload (n)   | msg id | index | last |  n  |     n = 1..255, index <= last: n + 4 bytes
 * +---------------------+--------+-------+------+-----+
 * ```
 * - msg id: the message's number in its sender's stream (8 bits, wraps);
 * - index, last: this chunk's number and the message's last chunk number (a message has at most 256 chunks);
 * - n last, so a receiver reading the trailer backwards from the frame's end finds the region's length first.
 */

/** Bytes a control region adds besides its payload: msg id, index, last, n. */
export const CONTROL_REGION_OVERHEAD = 4;
/** Chunk payload bytes a region carries at most: n is one byte, and 0 is not a length we write. */
export const CONTROL_PAYLOAD_MAX = 255;

/** One chunk of a control message, as a region carries it. */
export interface ControlChunk {
  /** The chunk's bytes (a view into the region). */
  payload: Uint8Array;
  msgId: number;
  index: number;
  last: number;
}

function isByte(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xff;
}

/**
 * Builds a region: payload || msg id || index || last || n.
 * @throws TypeError unless `payload` is bytes; RangeError for a payload of 0 or more than 255 bytes, a field that is
 * not a byte, or index > last.
 */
export function makeControlRegion(payload: Uint8Array, msgId: number, index: number, last: number): Uint8Array {
  if (!(payload instanceof Uint8Array)) throw new TypeError('chunk payload must be a Uint8Array');
  const n = payload.length;
  if (n < 1 || n > CONTROL_PAYLOAD_MAX) throw new RangeError(`chunk payload must be 1..${CONTROL_PAYLOAD_MAX} bytes`);
  if (!isByte(msgId) || !isByte(index) || !isByte(last)) throw new RangeError('msg id, index and last must be bytes');
  if (index > last) throw new RangeError('chunk index must not exceed the last chunk number');
  const region = new Uint8Array(n + CONTROL_REGION_OVERHEAD);
  region.set(payload, 0);
  region[n] = msgId;
  region[n + 1] = index;
  region[n + 2] = last;
  region[n + 3] = n;
  return region;
}

/**
 * Whether the region's last bytes, read backwards (`byteAt(0)` is n, `byteAt(1)` last, `byteAt(2)` index), are of a
 * region a sender writes: n >= 1 and index <= last. The bytes before them are not read. Returns the region's length,
 * or undefined (a byte missing, n = 0, index > last).
 */
export function controlRegionLength(byteAt: (fromEnd: number) => number | undefined): number | undefined {
  const n = byteAt(0);
  const last = byteAt(1);
  const index = byteAt(2);
  if (n === undefined || last === undefined || index === undefined || n === 0 || index > last) return undefined;
  return n + CONTROL_REGION_OVERHEAD;
}

/** A region's fields, or undefined unless it has the shape {@link makeControlRegion} writes. Never throws. */
export function readControlRegion(region: Uint8Array): ControlChunk | undefined {
  const end = region.length;
  const length = controlRegionLength((i) => region[end - 1 - i]);
  if (length !== end) return undefined;
  const n = end - CONTROL_REGION_OVERHEAD;
  return {
    payload: region.subarray(0, n),
    msgId: region[n] ?? 0,
    index: region[n + 1] ?? 0,
    last: region[n + 2] ?? 0,
  };
}

/** @throws TypeError unless bytes, RangeError unless shaped as {@link makeControlRegion} writes a region. */
export function checkControlRegion(region: unknown): asserts region is Uint8Array {
  if (!(region instanceof Uint8Array)) throw new TypeError('control region must be a Uint8Array');
  if (readControlRegion(region) === undefined) {
    throw new RangeError('control region must be payload (1-255 bytes) || msg id || index || last || n, index <= last');
  }
}
