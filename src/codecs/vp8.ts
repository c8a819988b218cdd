/**
 * @module VP8 (RFC 6386 §9.1, RFC 7741 §4.3). The payload header stays clear: RTP packetizers, SFUs and Chromium's
 * depacketizer read the keyframe bit and, on keyframes, the start code and dimensions.
 *
 * ```
 * keyframe: | frame tag (3) | start code 9d 01 2a (3) | width (2) | height (2) | ...  -> 10 clear bytes
 * delta:    | frame tag (3) | ...                                                    ->  3 clear bytes
 * ```
 * The frame tag's bit 0 is 0 on keyframes (RFC 6386 §9.1).
 */
import { prefixFraming } from './framing';

export const VP8_KEYFRAME_CLEAR_BYTES = 10;
export const VP8_DELTA_CLEAR_BYTES = 3;

export function vp8ClearLength(frame: Uint8Array): number {
  const tag = frame[0];
  if (tag === undefined) return 0;
  return (tag & 0x01) === 0 ? VP8_KEYFRAME_CLEAR_BYTES : VP8_DELTA_CLEAR_BYTES;
}

export const vp8 = prefixFraming('vp8', 'video', vp8ClearLength);
