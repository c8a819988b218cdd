/**
 * @module Protecting and unprotecting one encoded frame: codec framing + SFrame, in Framelock frame format v3.
 * The receiver classifies every frame (decrypted / not protected / protected but undecryptable) and never throws,
 * so the frame path can drop, count and report.
 */
import { isMinimalField, type SFrameContext, SFrameError, type SFrameErrorReason } from '../sframe';
import { readUintBE } from '../shared/bytes';
import type { MediaKind } from '../shared/messages/schema';
import {
  CODEC_ID,
  type CodecName,
  FORMAT_VERSION,
  isFramelockKid,
  KID_BYTES,
  KID_MARKER,
  readTrailer,
  SUITE_FOR_KIND,
  TAG_LENGTH,
} from './format';
import { type Framing, genericAudio, genericVideo, type ReceivedLayout } from './framing';

/** The Framelock marker, the KID's top nibble, as a Number. */
const KID_MARKER_NIBBLE = Number(KID_MARKER);

export type ProtectResult =
  | { status: 'protected'; frame: Uint8Array; kid: bigint; codec: CodecName }
  /** An empty audio frame (0 bytes: libwebrtc's "nothing to send" during DTX) is left empty. */
  | { status: 'unprotected'; frame: Uint8Array; reason: 'empty' };

export type UnprotectResult =
  | { status: 'decrypted'; frame: Uint8Array; kid: bigint; codec: CodecName }
  /** Not a Framelock frame: plaintext from a participant without Framelock, or an empty audio frame. */
  | { status: 'clear'; reason: 'not_protected' | 'empty' }
  /** A Framelock frame this receiver cannot accept: no key (wrong passphrase, unknown epoch), altered, replayed. */
  | { status: 'failed'; reason: SFrameErrorReason; kid?: bigint };

function genericFor(kind: MediaKind): Framing {
  return kind === 'audio' ? genericAudio : genericVideo;
}

/** AAD metadata: format version || codec id || the codec's canonical description of its clear bytes. */
function frameMetadata(codec: CodecName, described: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + described.length);
  out[0] = FORMAT_VERSION;
  out[1] = CODEC_ID[codec];
  out.set(described, 2);
  return out;
}

function checkSuite(ctx: SFrameContext, framing: Framing): void {
  if (ctx.suite.id !== SUITE_FOR_KIND[framing.kind]) {
    throw new RangeError(
      `Framelock format v${FORMAT_VERSION} protects ${framing.kind} with suite ${SUITE_FOR_KIND[framing.kind]}, not ${ctx.suite.id}`,
    );
  }
}

/**
 * An audio frame of 0 bytes: it carries nothing a decoder could play (it counts as a lost packet) and is never sent
 * on the wire, so it is the one audio frame neither protected nor authenticated. Every other audio frame is, Opus
 * DTX and comfort noise (1-3 bytes) included: a clear 1-3 byte frame could be injected audio.
 */
function isEmptyAudio(framing: Framing, frame: Uint8Array): boolean {
  return framing.kind === 'audio' && frame.length === 0;
}

/**
 * Protects one encoded frame under `kid`.
 * @throws RangeError if the context's suite is not the one the format fixes for the framing's media kind, or `kid` is
 * not a Framelock KID (format.ts); SFrameError `unknown_kid` / `counter_exhausted` from the context.
 */
export function protectFrame(
  ctx: SFrameContext,
  kid: bigint,
  framing: Framing,
  frame: Uint8Array,
): Promise<ProtectResult> {
  try {
    checkSuite(ctx, framing);
    if (kid !== lastCheckedKid) {
      if (!isFramelockKid(kid)) throw new RangeError('not a Framelock KID: build it with makeKid()');
      lastCheckedKid = kid;
    }
    if (isEmptyAudio(framing, frame)) return Promise.resolve({ status: 'unprotected', frame, reason: 'empty' });
    const layout = framing.layout(frame);
    const nt = ctx.suite.nt;
    // Not an async function: a frame waits for the encryption and one hop after it, in which it is laid out.
    return ctx.sealNext(
      kid,
      frameMetadata(layout.codec, layout.metadata),
      layout.plaintext,
      (header, sealed): ProtectResult => {
        const ctLength = sealed.length - nt;
        const out = layout.write(sealed.subarray(0, ctLength), header, sealed.subarray(ctLength));
        return { status: 'protected', frame: out, kid, codec: layout.codec };
      },
    );
  } catch (error) {
    return Promise.reject(error);
  }
}

export interface Located {
  layout: ReceivedLayout;
  kid: bigint;
  /** The counter, when it is a safe integer (every real one); otherwise -1 and `bigCtr` holds it. */
  ctr: number;
  bigCtr?: bigint;
}

/**
 * The last KID a receiver parsed, as the two 32-bit halves it was read from: a sender repeats its KID on every frame
 * of an epoch, so the next frame's KID is almost always this one, and no BigInt is built for it.
 */
export class KidMemo {
  hi = -1;
  lo = -1;
  kid = 0n;
}

/** The last KID protectFrame checked: a sender's KID changes once an epoch. */
let lastCheckedKid: bigint | undefined;

/** For callers without a memo of their own. */
const sharedMemo = new KidMemo();

/**
 * Reads the SFrame header's fields straight from the trailer (tag || CTR || KID || config, format.ts), with Numbers
 * only: RFC 9605 §4.3's decodeHeader, for the trailer's order of the fields. The framing already checked the config
 * byte's top 4 bits (X = 1, K = 7: the KID is 8 bytes). Minimal encoding is enforced by header.ts's rule
 * (isMinimalField), then the Framelock marker. Returns the reason when it does not parse.
 */
function readHeader(
  trailer: Uint8Array,
  tagLength: number,
  memo: KidMemo,
): { kid: bigint; ctr: number; bigCtr?: bigint } | 'not_protected' | SFrameErrorReason {
  const end = trailer.length - 1; // the config byte
  const config = trailer[end] ?? 0;
  const k = end - KID_BYTES; // the KID's first byte
  if (!isMinimalField(trailer, k, KID_BYTES)) return 'header_non_minimal';
  let ctr = config & 0x7;
  let bigCtr: bigint | undefined;
  if (config & 0x08) {
    const length = ctr + 1; // the CTR's bytes run from the tag's end to the KID
    if (!isMinimalField(trailer, tagLength, length)) return 'header_non_minimal';
    if (length > 6) {
      // Above 2^48: not a counter we send; read as a BigInt, as the generic decoder does.
      bigCtr = readUintBE(trailer, tagLength, length);
      ctr = -1;
    } else {
      ctr = 0;
      for (let i = tagLength; i < k; i++) ctr = ctr * 256 + (trailer[i] ?? 0);
    }
  }
  const t = trailer;
  const hi = (((t[k] ?? 0) << 24) | ((t[k + 1] ?? 0) << 16) | ((t[k + 2] ?? 0) << 8) | (t[k + 3] ?? 0)) >>> 0;
  if (hi >>> 28 !== KID_MARKER_NIBBLE) return 'not_protected';
  const lo = (((t[k + 4] ?? 0) << 24) | ((t[k + 5] ?? 0) << 16) | ((t[k + 6] ?? 0) << 8) | (t[k + 7] ?? 0)) >>> 0;
  if (hi !== memo.hi || lo !== memo.lo) {
    memo.kid = (BigInt(hi) << 32n) | BigInt(lo);
    memo.hi = hi;
    memo.lo = lo;
  }
  return bigCtr === undefined ? { kid: memo.kid, ctr } : { kid: memo.kid, ctr, bigCtr };
}

/**
 * AAD (RFC 9605 §4.4.3) = SFrame header (config || KID || CTR, §4.3) || format version || codec id || metadata, laid
 * out in one buffer straight from the trailer.
 */
function receivedAad(layout: ReceivedLayout, tagLength: number): Uint8Array {
  const { trailer, metadata } = layout;
  const end = trailer.length - 1;
  const headerLength = trailer.length - tagLength;
  const aad = new Uint8Array(headerLength + 2 + metadata.length);
  aad[0] = trailer[end] ?? 0;
  let o = 1;
  for (let i = end - KID_BYTES; i < end; i++) aad[o++] = trailer[i] ?? 0; // KID
  for (let i = tagLength; i < end - KID_BYTES; i++) aad[o++] = trailer[i] ?? 0; // CTR
  aad[o++] = FORMAT_VERSION;
  aad[o++] = CODEC_ID[layout.codec];
  aad.set(metadata, o);
  return aad;
}

/** Finds the trailer and checks the format's markers; no crypto. */
function locate(framing: Framing, frame: Uint8Array, memo: KidMemo): Located | 'not_protected' | SFrameErrorReason {
  const layout =
    framing.parse(frame) ?? (framing.name === 'generic' ? undefined : genericFor(framing.kind).parse(frame));
  if (layout === undefined) return 'not_protected';
  const read = readHeader(layout.trailer, TAG_LENGTH[framing.kind], memo);
  if (typeof read === 'string') return read;
  return read.bigCtr === undefined
    ? { layout, kid: read.kid, ctr: read.ctr }
    : { layout, kid: read.kid, ctr: read.ctr, bigCtr: read.bigCtr };
}

/** What {@link inspectFrame} found; hand it to {@link unprotectFrame} so the frame is not parsed twice. */
export type Inspection =
  | { protected: false; found: 'not_protected' | 'empty' | SFrameErrorReason }
  | { protected: true; kid: bigint; found: Located };

/**
 * Classifies a received frame without decrypting it: whether it is shaped like a Framelock frame and under which KID.
 * Lets the caller spot its own media echoed back (its own KID on a remote track) before spending any crypto.
 */
export function inspectFrame(framing: Framing, frame: Uint8Array, memo: KidMemo = sharedMemo): Inspection {
  if (!(frame instanceof Uint8Array)) return { protected: false, found: 'invalid_input' };
  if (isEmptyAudio(framing, frame)) return { protected: false, found: 'empty' };
  const found = locate(framing, frame, memo);
  return typeof found === 'object' ? { protected: true, kid: found.kid, found } : { protected: false, found };
}

/**
 * Decrypts what {@link inspectFrame} located (an Inspection's `found` when `protected`), and resolves to the bytes to
 * put back with `found.layout.restore`. Rejects only with SFrameError. Not an async function: on the per-frame path a
 * frame waits for WebCrypto's promise and one hop after it, nothing more.
 */
export function openLocated(ctx: SFrameContext, framing: Framing, found: Located): Promise<Uint8Array> {
  if (ctx.suite.id !== SUITE_FOR_KIND[framing.kind]) return Promise.reject(new SFrameError('invalid_input'));
  const { layout, kid, ctr, bigCtr } = found;
  const tagLength = TAG_LENGTH[framing.kind];
  if (bigCtr === undefined) return ctx.openAt(kid, ctr, receivedAad(layout, tagLength), layout.sealed);
  const { header } = readTrailer(layout.trailer, tagLength);
  const metadata = frameMetadata(layout.codec, layout.metadata);
  return ctx.open(header, kid, bigCtr, metadata, layout.sealed).then((opened) => opened.plaintext);
}

/**
 * Unprotects one received frame. Never rejects: every outcome is a result. `inspected` is this same frame's
 * {@link inspectFrame} result, when the caller has one.
 */
export async function unprotectFrame(
  ctx: SFrameContext,
  framing: Framing,
  frame: Uint8Array,
  inspected?: Inspection,
): Promise<UnprotectResult> {
  try {
    checkSuite(ctx, framing);
    const found = inspected?.found ?? inspectFrame(framing, frame).found;
    if (found === 'empty') return { status: 'clear', reason: 'empty' };
    if (found === 'not_protected') return { status: 'clear', reason: 'not_protected' };
    if (typeof found === 'string') return { status: 'failed', reason: found };
    const { layout, kid } = found;
    try {
      const plaintext = await openLocated(ctx, framing, found);
      return { status: 'decrypted', frame: layout.restore(plaintext), kid, codec: layout.codec };
    } catch (error) {
      return { status: 'failed', reason: error instanceof SFrameError ? error.reason : 'crypto_failure', kid };
    }
  } catch {
    // A framing bug must cost one frame, never the call.
    return { status: 'failed', reason: 'invalid_input' };
  }
}
