/**
 * @module VP8 (RFC 6386 §9.1, RFC 7741 §4.3), format v5. The payload header stays clear: RTP packetizers, SFUs and
 * Chromium's depacketizer read the keyframe bit and, on keyframes, the start code and dimensions. Its `show_frame`
 * bit goes out cleared, so that a decoder without the key (a browser without Framelock) shows none of our frames
 * even where it manages to decode one (Firefox shows the odd keyframe of ciphertext as a garbled picture otherwise);
 * the sender's first byte travels encrypted, first in the plaintext, and the receiver puts it back.
 *
 * ```
 * sent:      | frame tag (3) | start code 9d 01 2a (3) | width (2) | height (2) | data ...      keyframe
 *            | frame tag (3) | data ...                                                       delta frame
 * protected: | tag' (3) | [start code, width, height] | ciphertext of (byte 0 as sent || data ...) | trailer |
 * tag' = the frame tag with show_frame (bit 4 of byte 0) cleared
 * metadata = leb128(clear length) || the clear bytes as protected (tag')
 * ```
 * The frame tag's bit 0 is 0 on keyframes (RFC 6386 §9.1). Cost: 1 byte per frame (the sender's first byte). A
 * receiver takes a frame whose tag' shows a frame as not shaped like ours (undefined).
 */
import type { Framing, ReceivedLayout, SenderLayout } from './framing';
import { prefixLayout, prefixParse } from './framing';

export const VP8_KEYFRAME_CLEAR_BYTES = 10;
export const VP8_DELTA_CLEAR_BYTES = 3;
/** `show_frame` in the frame tag's first byte (RFC 6386 §9.1: bit 4). */
const SHOW_FRAME = 0x10;

export function vp8ClearLength(frame: Uint8Array): number {
  const tag = frame[0];
  if (tag === undefined) return 0;
  return (tag & 0x01) === 0 ? VP8_KEYFRAME_CLEAR_BYTES : VP8_DELTA_CLEAR_BYTES;
}

function layout(frame: Uint8Array): SenderLayout {
  const first = frame[0];
  if (first === undefined) return prefixLayout('vp8', frame, 0); // empty: nothing to lay out
  const clear = Math.min(vp8ClearLength(frame), frame.length);
  // What goes out: tag' and the rest of the clear bytes, then (encrypted) the sent first byte and everything after
  // the clear bytes.
  const shown = new Uint8Array(frame.length + 1);
  shown.set(frame.subarray(0, clear), 0);
  shown[0] = first & ~SHOW_FRAME;
  shown[clear] = first;
  shown.set(frame.subarray(clear), clear + 1);
  return prefixLayout('vp8', shown, clear);
}

/** The receiver's clear length: as the sender's, but at least the sent first byte is always in the plaintext. */
function receivedClearLength(body: Uint8Array): number {
  return body.length === 0 ? 0 : Math.min(vp8ClearLength(body), body.length - 1);
}

function parse(frame: Uint8Array): ReceivedLayout | undefined {
  const found = prefixParse('vp8', 'video', frame, receivedClearLength);
  if (found === undefined) return undefined;
  // An empty frame (nothing but the trailer) has no tag to restore.
  if (found.metadata[0] === 0) return found;
  if (((frame[0] ?? 0) & SHOW_FRAME) !== 0) return undefined;
  return {
    ...found,
    restore(plaintext) {
      // plaintext = the sent first byte || the bytes after the clear ones: undo the layout above.
      const out = found.restore(plaintext.subarray(1));
      const sent = plaintext[0];
      if (sent !== undefined) out[0] = sent;
      return out;
    },
  };
}

export const vp8: Framing = { name: 'vp8', kind: 'video', layout, parse };
