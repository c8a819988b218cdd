/**
 * @module The contract between the frame protector and each codec's framing, and the framing for codecs whose clear
 * bytes are one prefix of the frame (VP8, VP9, Opus, and the generic fallback).
 */
import type { MediaKind } from '../shared/messages/schema';
import { type CodecName, TAG_LENGTH, trailerLength, trailerSize, writeTrailer } from './format';
import { pushLeb128 } from './leb128';

/** The sender's view of one frame: what stays clear (described canonically), what is encrypted, and the layout. */
export interface SenderLayout {
  /** The framing actually used: a codec framing falls back to `generic` for input it cannot parse. */
  codec: CodecName;
  /** Canonical description of the clear bytes, authenticated as SFrame metadata. */
  metadata: Uint8Array;
  /** The bytes to encrypt, in order. */
  plaintext: Uint8Array;
  /**
   * Lays out the protected frame from the ciphertext (same length as `plaintext`), SFrame header, tag and, on a frame
   * with an odd counter, the control region: the trailer is tag || control || CTR || KID || config (format.ts).
   */
  write(ciphertext: Uint8Array, header: Uint8Array, tag: Uint8Array, control?: Uint8Array): Uint8Array;
}

/** The receiver's view of a frame that is shaped like a protected frame of this framing. */
export interface ReceivedLayout {
  codec: CodecName;
  /** Recomputed from what arrived; equal to the sender's only if nothing was altered. */
  metadata: Uint8Array;
  /**
   * The trailer as sent, unescaped: tag || [control region] || CTR || KID || config (format.ts). Its first Nt bytes
   * are the tag, which is also `sealed`'s last bytes.
   */
  trailer: Uint8Array;
  /** ciphertext || tag, ready for AEAD.Decrypt. */
  sealed: Uint8Array;
  /** Puts the decrypted bytes back where the sender took them from. */
  restore(plaintext: Uint8Array): Uint8Array;
}

export interface Framing {
  readonly name: CodecName;
  readonly kind: MediaKind;
  /** Never throws: input it cannot parse is protected whole, with the generic framing. */
  layout(frame: Uint8Array): SenderLayout;
  /** Never throws: undefined when the bytes are not shaped like a protected frame of this framing. */
  parse(frame: Uint8Array): ReceivedLayout | undefined;
}

/**
 * Number of leading bytes that stay clear. Must be prefix-determined: it may read only the bytes it keeps clear
 * (plus decide "too short" from the length), because the receiver evaluates it on a frame whose later bytes are
 * ciphertext.
 */
export type ClearPrefixLength = (frame: Uint8Array) => number;

function prefixMetadata(prefix: Uint8Array): Uint8Array {
  if (prefix.length < 0x80) {
    // The common case (every VP8 and Opus frame): the length is one LEB128 byte.
    const out = new Uint8Array(1 + prefix.length);
    out[0] = prefix.length;
    out.set(prefix, 1);
    return out;
  }
  const head: number[] = [];
  pushLeb128(head, prefix.length);
  const out = new Uint8Array(head.length + prefix.length);
  out.set(head, 0);
  out.set(prefix, head.length);
  return out;
}

/**
 * ```
 * sender:   | clear prefix | protected bytes            |
 * protected:| clear prefix | ciphertext                 | tag | [control] | CTR | KID | config |
 * metadata = leb128(prefix length) || prefix
 * ```
 */
export function prefixLayout(name: CodecName, frame: Uint8Array, clearLength: number): SenderLayout {
  const p = Math.min(clearLength, frame.length);
  const prefix = frame.subarray(0, p);
  return {
    codec: name,
    metadata: prefixMetadata(prefix),
    plaintext: frame.subarray(p),
    write(ciphertext, header, tag, control) {
      const out = new Uint8Array(p + ciphertext.length + trailerSize(header, tag, control));
      out.set(prefix, 0);
      out.set(ciphertext, p);
      writeTrailer(out, p + ciphertext.length, header, tag, control);
      return out;
    },
  };
}

export function prefixParse(
  name: CodecName,
  kind: MediaKind,
  frame: Uint8Array,
  clearLength: ClearPrefixLength,
): ReceivedLayout | undefined {
  const tagLength = TAG_LENGTH[kind];
  const end = frame.length;
  const total = trailerLength((i) => frame[end - 1 - i], tagLength);
  if (total === undefined || end < total) return undefined;
  const bodyEnd = end - total;
  const body = frame.subarray(0, bodyEnd);
  const p = Math.min(clearLength(body), bodyEnd);
  const prefix = body.subarray(0, p);
  return {
    codec: name,
    metadata: prefixMetadata(prefix),
    trailer: frame.subarray(bodyEnd),
    // The ciphertext and tag are adjacent in the frame: no copy.
    sealed: frame.subarray(p, bodyEnd + tagLength),
    restore(plaintext) {
      const out = new Uint8Array(p + plaintext.length);
      out.set(prefix, 0);
      out.set(plaintext, p);
      return out;
    },
  };
}

export function prefixFraming(name: CodecName, kind: MediaKind, clearLength: ClearPrefixLength): Framing {
  return {
    name,
    kind,
    layout: (frame) => prefixLayout(name, frame, clearLength(frame)),
    parse: (frame) => prefixParse(name, kind, frame, clearLength),
  };
}

/** Generic fallback: nothing stays clear. For codecs we do not know, and for input a codec framing cannot parse. */
export const genericVideo = prefixFraming('generic', 'video', () => 0);
export const genericAudio = prefixFraming('generic', 'audio', () => 0);
