/**
 * @module Opus (RFC 6716 §3), format v5: a protected frame is a valid Opus packet that a decoder without our key plays
 * as silence.
 *
 * Every protected frame is sent as a code 3 packet (§3.2.5) whose frames are all empty and whose padding holds the
 * ciphertext and the trailer:
 *
 * ```
 * | TOC' | count | padding length (1+ bytes) | ciphertext ...                        | trailer |
 *  clear  clear   clear                       '------------- Opus padding ------------------'
 * TOC'  = the sender's TOC with its frame-count code set to 3 (mode, bandwidth, frame size and stereo as sent)
 * count = v | p = 1 | M: M the packet's frame count as sent (so the packet lasts as long as the sender's), v = 1 or
 *         M >= 2 when the whole sent packet, its TOC included, is the plaintext ("stored"); v = 0 and M = 1 when the
 *         sender's packet was code 0 (one frame: every 20 ms packet libwebrtc sends), whose bytes after the TOC are the
 *         plaintext
 * padding length = RFC 6716's encoding of the padding's size, minimal: 255 for each 254 bytes, then 0-254
 * ```
 *
 * A decoder without the key (a browser without Framelock, a wrong passphrase on an older build, a server's mixer)
 * reads M frames of 0 bytes, which Opus treats as lost: it conceals them, and with no audio ever decoded that is
 * silence, where a decoder fed ciphertext as Opus data plays loud noise. The receiver with the key checks that the
 * packet is shaped exactly so (code 3, padding flag, a valid frame count, a minimal padding length that reaches the
 * frame's end) and authenticates TOC' and the count byte as the frame's metadata; the padding length is a function of
 * the frame's length, which the ciphertext's and trailer's authentication fix.
 *
 * Cost: the count byte and one padding-length byte (two while the padding is over 254 bytes: Opus above about
 * 94 kbit/s at 20 ms), and one more (the stored TOC) for the rare multi-frame packet.
 */
import { TAG_LENGTH, trailerLength, trailerSize, writeTrailer } from './format';
import type { Framing, ReceivedLayout, SenderLayout } from './framing';

/** Code 3 in a TOC's low two bits; the count byte's VBR and padding flags. */
const CODE_3 = 0x03;
const VBR = 0x80;
const PADDED = 0x40;
const FRAME_COUNT_MASK = 0x3f;
/** An Opus packet lasts at most 120 ms: 5,760 samples at 48 kHz (RFC 6716 §3.2.5). */
const MAX_PACKET_SAMPLES = 5_760;
/** Padding-length bytes: 255 adds 254 and another byte follows; 0-254 ends. */
const PADDING_MORE = 255;
const PADDING_STEP = 254;

/** Samples at 48 kHz in one frame of this TOC's configuration (RFC 6716 §3.1, table 2). */
function frameSamples(toc: number): number {
  const config = toc >> 3;
  if (config < 12) return [480, 960, 1_920, 2_880][config & 3] as number; // SILK-only: 10, 20, 40, 60 ms
  if (config < 16) return config & 1 ? 960 : 480; // hybrid: 10, 20 ms
  return [120, 240, 480, 960][config & 3] as number; // CELT-only: 2.5, 5, 10, 20 ms
}

/** The frame count of a sent packet, or 0 when it is not a valid Opus packet's (§3.2.5: code 3, 1-48, <= 120 ms). */
function sentFrameCount(frame: Uint8Array): number {
  const toc = frame[0] ?? 0;
  const code = toc & CODE_3;
  if (code === 0) return 1;
  if (code !== CODE_3) return 2;
  const count = (frame[1] ?? 0) & FRAME_COUNT_MASK;
  return frame.length >= 2 && count > 0 && count * frameSamples(toc) <= MAX_PACKET_SAMPLES ? count : 0;
}

/** How many bytes the padding length takes for `size` bytes of padding. */
function paddingLengthBytes(size: number): number {
  return size <= PADDING_STEP ? 1 : Math.ceil((size - PADDING_STEP) / PADDING_STEP) + 1;
}

function writePaddingLength(out: Uint8Array, offset: number, size: number): number {
  let at = offset;
  let left = size;
  while (left > PADDING_STEP) {
    out[at++] = PADDING_MORE;
    left -= PADDING_STEP;
  }
  out[at++] = left;
  return at;
}

/**
 * The clear header of a received frame: its length (TOC', count, padding length) when it is shaped as a protected
 * frame of `frameLength` bytes, with the padding running exactly to the frame's end; otherwise undefined.
 */
function clearHeaderLength(frame: Uint8Array, frameLength: number): number | undefined {
  const toc = frame[0];
  const count = frame[1];
  if (toc === undefined || count === undefined || (toc & CODE_3) !== CODE_3 || (count & PADDED) === 0) {
    return undefined;
  }
  const frames = count & FRAME_COUNT_MASK;
  if (frames === 0 || frames * frameSamples(toc) > MAX_PACKET_SAMPLES) return undefined;
  let at = 2;
  let size = 0;
  for (;;) {
    const byte = frame[at++];
    if (byte === undefined) return undefined;
    if (byte !== PADDING_MORE) {
      // Minimal: a 255 followed by 0 says what one byte fewer would (254).
      if (byte === 0 && at > 3) return undefined;
      size += byte;
      break;
    }
    size += PADDING_STEP;
  }
  return size === frameLength - at ? at : undefined;
}

function layout(frame: Uint8Array): SenderLayout {
  const toc = frame[0] ?? 0;
  const frames = sentFrameCount(frame);
  // Code 0 (one frame): the TOC's other bits travel as TOC', so only the bytes after it are the plaintext.
  const single = (toc & CODE_3) === 0;
  const count = single ? PADDED | 1 : frames >= 2 ? PADDED | frames : VBR | PADDED | 1;
  const clear = Uint8Array.of(toc | CODE_3, count);
  const plaintext = single ? frame.subarray(1) : frame;
  return {
    codec: 'opus',
    metadata: Uint8Array.of(clear.length, ...clear),
    plaintext,
    write(ciphertext, header, tag, control) {
      const padding = ciphertext.length + trailerSize(header, tag, control);
      const out = new Uint8Array(clear.length + paddingLengthBytes(padding) + padding);
      out.set(clear, 0);
      const at = writePaddingLength(out, clear.length, padding);
      out.set(ciphertext, at);
      writeTrailer(out, at + ciphertext.length, header, tag, control);
      return out;
    },
  };
}

function parse(frame: Uint8Array): ReceivedLayout | undefined {
  const tagLength = TAG_LENGTH.audio;
  const end = frame.length;
  const total = trailerLength((i) => frame[end - 1 - i], tagLength);
  if (total === undefined) return undefined;
  const clearLength = clearHeaderLength(frame, end);
  if (clearLength === undefined || clearLength > end - total) return undefined;
  const toc = frame[0] as number;
  const count = frame[1] as number;
  const stored = (count & VBR) !== 0 || (count & FRAME_COUNT_MASK) >= 2;
  const sentToc = toc & ~CODE_3;
  return {
    codec: 'opus',
    metadata: Uint8Array.of(2, toc, count),
    trailer: frame.subarray(end - total),
    sealed: frame.subarray(clearLength, end - total + tagLength),
    restore(plaintext) {
      if (stored) return plaintext;
      const out = new Uint8Array(1 + plaintext.length);
      out[0] = sentToc;
      out.set(plaintext, 1);
      return out;
    },
  };
}

export const opus: Framing = { name: 'opus', kind: 'audio', layout, parse };
