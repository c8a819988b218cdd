/**
 * @module Codec-aware framing, Framelock frame format v5 (docs/frame-format.md). Pure code: no DOM, no extension APIs.
 */
import { av1 } from './av1';
import { type Framing, genericAudio, genericVideo } from './framing';
import { h264, h265 } from './h26x';
import { opus } from './opus';
import { vp8 } from './vp8';
import { vp9 } from './vp9';

export { av1 } from './av1';
export {
  CONTROL_PAYLOAD_MAX,
  CONTROL_REGION_OVERHEAD,
  type ControlChunk,
  checkControlRegion,
  makeControlRegion,
  readControlRegion,
} from './control-region';
export * from './format';
export { type Framing, genericAudio, genericVideo, type ReceivedLayout, type SenderLayout } from './framing';
export { h264, h265 } from './h26x';
export { opus } from './opus';
export {
  type Inspection,
  inspectFrame,
  KidMemo,
  type Located,
  openLocated,
  type ProtectResult,
  protectFrame,
  type UnprotectResult,
  unprotectFrame,
} from './protect';
export { vp8 } from './vp8';
export { vp9 } from './vp9';

const BY_MIME: Readonly<Record<string, Framing>> = {
  'video/vp8': vp8,
  'video/vp9': vp9,
  'video/h264': h264,
  'video/h265': h265,
  'video/hevc': h265,
  'video/av1': av1,
  'audio/opus': opus,
};

/**
 * The framing for an RTP codec MIME type (as in RTCEncodedVideoFrame.getMetadata().mimeType), case-insensitive.
 * Unknown video and audio codecs get the generic framing of their kind (everything encrypted); anything else
 * undefined.
 */
export function framingForMimeType(mimeType: string): Framing | undefined {
  const key = mimeType.toLowerCase();
  const known = BY_MIME[key];
  if (known) return known;
  if (key.startsWith('video/')) return genericVideo;
  if (key.startsWith('audio/')) return genericAudio;
  return undefined;
}
