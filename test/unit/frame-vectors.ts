/**
 * Framelock's frozen frame vectors (test/vectors/framelock-frames-v5.json, made once by
 * test/vectors/generate-framelock-frames.ts): loading them, and protecting a frame at a chosen counter.
 */
import { readFileSync } from 'node:fs';
import { type Framing, framingForMimeType, protectFrame } from '../../src/codecs';
import { SFrameContext } from '../../src/sframe';
import { bytesToHex, hexToBytes } from '../../src/shared/bytes';

/** One vector as stored: bytes in hex, the KID as 16 hex digits. */
export interface StoredFrameVector {
  name: string;
  /** The RTP codec MIME type the transform would see; picks the framing (`framingForMimeType`). */
  mime_type: string;
  /** The codec id the AAD names: the framing's own, or `generic` for input it cannot parse. */
  codec: string;
  /** RFC 9605 cipher suite, fixed by the format version per media kind. */
  cipher_suite: number;
  /** SFrame base_key (RFC 9605 §4.4.2) of `kid`. */
  base_key: string;
  kid: string;
  ctr: number;
  /** The encoder's frame. */
  plaintext: string;
  /**
   * The control region the frame carries (odd counters only): payload || msg id || index || last || n. Absent on a
   * frame with an even counter.
   */
  control?: string;
  /**
   * SFrame metadata (RFC 9605 §4.4.3): format version || codec id || the codec's description of its clear bytes ||
   * the control region (if any). AAD = SFrame header || metadata.
   */
  metadata: string;
  /** The frame on the wire. */
  protected: string;
  /** What the receiver gets back, when it differs from `plaintext` (AV1: temporal delimiters dropped). */
  decrypted?: string;
  /**
   * Byte offsets in `protected` at which one flipped bit must make the frame fail, one class each: `trailer` the tag
   * and SFrame header, `control` the control region (escape bytes in it included).
   */
  flip: { clear: number[]; ciphertext: number[]; trailer: number[]; control?: number[] };
  note?: string;
}

export interface FrameVector {
  stored: StoredFrameVector;
  framing: Framing;
  suite: number;
  baseKey: Uint8Array;
  kid: bigint;
  ctr: number;
  plaintext: Uint8Array;
  control: Uint8Array | undefined;
  metadata: Uint8Array;
  protected: Uint8Array;
  decrypted: Uint8Array;
}

export const FRAME_VECTORS_FILE = new URL('../vectors/framelock-frames-v5.json', import.meta.url);
/** The previous version's frozen vectors: a receiver must report each as an older Framelock's frame. */
export const V4_FRAME_VECTORS_FILE = new URL('../vectors/framelock-frames-v4.json', import.meta.url);

export function readFrameVectors(file: URL = FRAME_VECTORS_FILE): { formatVersion: number; vectors: FrameVector[] } {
  const json = JSON.parse(readFileSync(file, 'utf8')) as {
    format_version: number;
    vectors: StoredFrameVector[];
  };
  return {
    formatVersion: json.format_version,
    vectors: json.vectors.map((v) => {
      const framing = framingForMimeType(v.mime_type);
      if (framing === undefined) throw new Error(`${v.name}: no framing for ${v.mime_type}`);
      return {
        stored: v,
        framing,
        suite: v.cipher_suite,
        baseKey: hexToBytes(v.base_key),
        kid: BigInt(`0x${v.kid}`),
        ctr: v.ctr,
        plaintext: hexToBytes(v.plaintext),
        control: v.control === undefined ? undefined : hexToBytes(v.control),
        metadata: hexToBytes(v.metadata),
        protected: hexToBytes(v.protected),
        decrypted: hexToBytes(v.decrypted ?? v.plaintext),
      };
    }),
  };
}

/**
 * A context holding `baseKey` for `kid`, whose next frame of `ctr`'s parity (a frame with a control region if odd,
 * without if even) goes out under counter `ctr`.
 */
export async function senderAt(suite: number, baseKey: Uint8Array, kid: bigint, ctr: number): Promise<SFrameContext> {
  const ctx = new SFrameContext(suite);
  await ctx.addKey(kid, baseKey);
  // Counters only go up: one throwaway seal at ctr - 1 makes the next counter of ctr's parity `ctr`.
  if (ctr > 0) await ctx.seal(kid, new Uint8Array(0), new Uint8Array(0), { ctr: BigInt(ctr - 1) });
  return ctx;
}

/** Protects `plaintext` (with the vector's control region, if any) as the vector says, with the code under test. */
export async function protectAt(
  v: Pick<FrameVector, 'suite' | 'baseKey' | 'kid' | 'ctr' | 'framing' | 'plaintext' | 'control'>,
): Promise<{ frame: Uint8Array; codec: string }> {
  const ctx = await senderAt(v.suite, v.baseKey, v.kid, v.ctr);
  const result = await protectFrame(ctx, v.kid, v.framing, v.plaintext, v.control);
  if (result.status !== 'protected') throw new Error('frame was not protected');
  return { frame: result.frame, codec: result.codec };
}

export const hex = bytesToHex;
