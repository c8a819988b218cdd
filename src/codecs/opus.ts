/**
 * @module Opus (RFC 6716 §3.1). The TOC byte stays clear: it tells mode, bandwidth and frame count, which SFUs and
 * the receiver's jitter buffer may read. Everything after it is encrypted. DTX and comfort-noise frames (1-3 bytes)
 * are protected like any other: a 1-byte frame is its TOC byte, authenticated, and the trailer. Only an empty frame is
 * left as it is (protect.ts).
 */
import { prefixFraming } from './framing';

export const opus = prefixFraming('opus', 'audio', (frame) => Math.min(1, frame.length));
