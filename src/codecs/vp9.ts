/**
 * @module VP9 (VP9 bitstream spec §6.2, uncompressed header). What stays clear: on every frame the first bits up to
 * error_resilient_mode (frame marker, profile, show_existing_frame, frame_type, show_frame), which SFUs read to spot
 * keyframes; on keyframes also the sync code, colour config and frame size, so the resolution stays readable.
 * The rest of the uncompressed header (loop filter, quantiser, segmentation) and all compressed data are encrypted.
 */
import { BitReader } from './bits';
import { prefixFraming } from './framing';

const CS_RGB = 7;

/** Clear bytes for one VP9 frame; prefix-determined (reads only what it keeps), the whole frame if it is too short. */
export function vp9ClearLength(frame: Uint8Array): number {
  const r = new BitReader(frame, 0, frame.length);
  const clearThrough = (): number => r.consumedEnd;
  if (frame.length === 0) return 0;
  if (r.bits(2) !== 2) return 1; // not a VP9 frame marker: keep one byte, like any other codec we cannot read
  const low = r.bits(1);
  const high = r.bits(1);
  if (low === undefined || high === undefined) return frame.length;
  const profile = (high << 1) | low;
  if (profile === 3 && r.bits(1) === undefined) return frame.length;
  const showExisting = r.bits(1);
  if (showExisting === undefined) return frame.length;
  if (showExisting === 1) return r.bits(3) === undefined ? frame.length : clearThrough();
  const frameType = r.bits(1);
  if (frameType === undefined || r.bits(2) === undefined) return frame.length; // show_frame, error_resilient_mode
  if (frameType !== 0) return clearThrough();
  // Keyframe: frame_sync_code, color_config(), frame_size(), render_size() (§6.2, §6.2.2-6.2.5).
  if (r.bits(24) !== 0x498342) return clearThrough();
  if (profile >= 2 && r.bits(1) === undefined) return frame.length;
  const colorSpace = r.bits(3);
  if (colorSpace === undefined) return frame.length;
  if (colorSpace !== CS_RGB) {
    if (r.bits(1) === undefined) return frame.length;
    if ((profile === 1 || profile === 3) && r.bits(3) === undefined) return frame.length;
  } else if ((profile === 1 || profile === 3) && r.bits(1) === undefined) {
    return frame.length;
  }
  if (r.bits(32) === undefined) return frame.length; // frame_width_minus_1, frame_height_minus_1
  const renderDifferent = r.bits(1);
  if (renderDifferent === undefined || (renderDifferent === 1 && r.bits(32) === undefined)) return frame.length;
  return clearThrough();
}

export const vp9 = prefixFraming('vp9', 'video', vp9ClearLength);
