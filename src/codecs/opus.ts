/**
 * @module Opus (RFC 6716 §3.1). The TOC byte stays clear: it tells mode, bandwidth and frame count, which SFUs and
 * the receiver's jitter buffer may read. Everything after it is encrypted. Frames of 1-3 bytes (DTX, comfort noise)
 * are not protected at all: see MAX_UNPROTECTED_AUDIO_FRAME.
 */
import { prefixFraming } from './framing';

export const opus = prefixFraming('opus', 'audio', (frame) => Math.min(1, frame.length));
