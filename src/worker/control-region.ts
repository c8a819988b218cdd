/**
 * @module The worker's view of one control region (docs/frame-format.md §2.6): the codec module
 * (src/codecs/control-region.ts) owns the bytes; the outbox and the inbox work with its fields as one object, and the
 * inbox keeps a chunk's payload as a copy, so that a chunk waiting for its message does not hold a whole video frame.
 */
import {
  CONTROL_PAYLOAD_MAX,
  CONTROL_REGION_OVERHEAD,
  type ControlChunk,
  makeControlRegion,
  readControlRegion,
} from '../codecs/control-region';

/** Bytes of a region besides its payload: msg id, index, last and n. */
export const REGION_OVERHEAD = CONTROL_REGION_OVERHEAD;
/** The largest payload one region holds: its length is one byte, and 0 is not a region. */
export const MAX_REGION_PAYLOAD = CONTROL_PAYLOAD_MAX;
/** The most chunks a message can have: `last` is one byte. */
export const MAX_CHUNKS_PER_MESSAGE = 256;

export type ControlRegion = ControlChunk;

/**
 * Writes one region. Throws TypeError when `payload` is not a Uint8Array, RangeError when a field is not a byte,
 * `index` > `last`, or the payload is empty or longer than {@link MAX_REGION_PAYLOAD}.
 */
export function encodeRegion({ msgId, index, last, payload }: ControlRegion): Uint8Array {
  return makeControlRegion(payload, msgId, index, last);
}

/** Reads one region (exactly its bytes), with a copy of its payload; undefined unless well formed. Never throws. */
export function decodeRegion(bytes: Uint8Array): ControlRegion | undefined {
  if (!(bytes instanceof Uint8Array)) return undefined;
  const chunk = readControlRegion(bytes);
  return chunk === undefined ? undefined : { ...chunk, payload: chunk.payload.slice() };
}
