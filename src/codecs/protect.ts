/**
 * @module Protecting and unprotecting one encoded frame: codec framing + SFrame, in Framelock frame format v5.
 * The receiver classifies every frame (decrypted / not protected / protected but undecryptable / an older format's)
 * and never throws, so the frame path can drop, count and report.
 */
import { type CounterParity, isMinimalField, type SFrameContext, SFrameError, type SFrameErrorReason } from '../sframe';
import { readUintBE } from '../shared/bytes';
import type { MediaKind } from '../shared/messages/schema';
import { checkControlRegion } from './control-region';
import {
  CODEC_ID,
  type CodecName,
  FORMAT_VERSION,
  isFramelockKid,
  KID_BYTES,
  KID_MARKER,
  OLDER_KID_MARKER,
  readTrailer,
  SUITE_FOR_KIND,
  TAG_LENGTH,
  V4_KID_MARKER,
} from './format';
import { type Framing, genericAudio, genericVideo, type ReceivedLayout } from './framing';

/** The Framelock marker, the KID's top nibble, as a Number; and the markers of format version 4 and versions 1 to 3. */
const KID_MARKER_NIBBLE = Number(KID_MARKER);
const V4_KID_MARKER_NIBBLE = Number(V4_KID_MARKER);
const OLDER_KID_MARKER_NIBBLE = Number(OLDER_KID_MARKER);

export type ProtectResult =
  | { status: 'protected'; frame: Uint8Array; kid: bigint; codec: CodecName }
  /** An empty audio frame (0 bytes: libwebrtc's "nothing to send" during DTX) is left empty. */
  | { status: 'unprotected'; frame: Uint8Array; reason: 'empty' };

export type UnprotectResult =
  | { status: 'decrypted'; frame: Uint8Array; kid: bigint; codec: CodecName }
  /** Not a Framelock frame: plaintext from a participant without Framelock, or an empty audio frame. */
  | { status: 'clear'; reason: 'not_protected' | 'empty' }
  /**
   * A Framelock frame this receiver cannot accept: no key (wrong passphrase, unknown epoch), altered, replayed; or
   * `older_format`, a frame of format v1-v4 (KID marker 0b1011 or 0b1100), from a participant running an older
   * Framelock.
   */
  | { status: 'failed'; reason: SFrameErrorReason | 'older_format'; kid?: bigint };

function genericFor(kind: MediaKind): Framing {
  return kind === 'audio' ? genericAudio : genericVideo;
}

/**
 * AAD metadata: format version || codec id || the codec's canonical description of its clear bytes || the control
 * region (frames with an odd counter only).
 */
function frameMetadata(codec: CodecName, described: Uint8Array, control: Uint8Array | undefined): Uint8Array {
  const out = new Uint8Array(2 + described.length + (control?.length ?? 0));
  out[0] = FORMAT_VERSION;
  out[1] = CODEC_ID[codec];
  out.set(described, 2);
  if (control !== undefined) out.set(control, 2 + described.length);
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
 * Protects one encoded frame under `kid`. With `control`, a complete control region (payload || msg id || index ||
 * last || n, control-region.ts: `makeControlRegion`), the frame takes the KID's next unused odd counter and carries
 * the region in its trailer, authenticated at the end of the AAD; without, the next unused even counter and no region.
 * An empty audio frame is never protected (`unprotected`, `empty`), so it carries no region either: the caller sends
 * that chunk on a later frame. The region is copied before this returns.
 * @throws (rejects with) RangeError if the context's suite is not the one the format fixes for the framing's media
 * kind, `kid` is not a Framelock KID (format.ts), or `control` is not shaped as a region; TypeError if `control` is not
 * bytes; SFrameError `unknown_kid` / `counter_exhausted` from the context.
 */
export function protectFrame(
  ctx: SFrameContext,
  kid: bigint,
  framing: Framing,
  frame: Uint8Array,
  control?: Uint8Array,
): Promise<ProtectResult> {
  try {
    checkSuite(ctx, framing);
    if (kid !== lastCheckedKid) {
      if (!isFramelockKid(kid)) throw new RangeError('not a Framelock KID: build it with makeKid()');
      lastCheckedKid = kid;
    }
    if (control !== undefined) checkControlRegion(control);
    if (isEmptyAudio(framing, frame)) return Promise.resolve({ status: 'unprotected', frame, reason: 'empty' });
    const layout = framing.layout(frame);
    const nt = ctx.suite.nt;
    const metadata = frameMetadata(layout.codec, layout.metadata, control);
    // The region written is the copy at the end of the metadata: exactly the bytes authenticated.
    const region = control === undefined ? undefined : metadata.subarray(metadata.length - control.length);
    const parity: CounterParity = control === undefined ? 0 : 1;
    // Not an async function: a frame waits for the encryption and one hop after it, in which it is laid out.
    return ctx.sealNext(
      kid,
      metadata,
      layout.plaintext,
      (header, sealed): ProtectResult => {
        const ctLength = sealed.length - nt;
        const out = layout.write(sealed.subarray(0, ctLength), header, sealed.subarray(ctLength), region);
        return { status: 'protected', frame: out, kid, codec: layout.codec };
      },
      parity,
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
  /**
   * The control region, raw (unescaped), when the counter is odd: payload || msg id || index || last || n, its shape
   * (n >= 1, index <= last) checked, not yet authenticated (`openLocated` authenticates it with the frame). A view
   * into the frame or the trailer, valid as long as they are.
   */
  control?: Uint8Array;
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

interface HeaderFields {
  kid: bigint;
  ctr: number;
  bigCtr?: bigint;
  /** Where the CTR starts in the trailer: the control region, if any, runs from the tag's end to here. */
  ctrStart: number;
  /** The KID has the marker of format versions 1 to 4. */
  older: boolean;
}

/**
 * Reads the SFrame header's fields straight from the trailer (tag || [control region] || CTR || KID || config,
 * format.ts), from its end, with Numbers only: RFC 9605 §4.3's decodeHeader, for the trailer's order of the fields.
 * The framing already measured the trailer (format.ts trailerLength: config byte X = 1 and K = 7, the marker, the
 * region's shape). Minimal encoding is enforced by header.ts's rule (isMinimalField), then the marker. Returns the
 * reason when it does not parse.
 */
function readHeader(trailer: Uint8Array, memo: KidMemo): HeaderFields | 'not_protected' | SFrameErrorReason {
  const end = trailer.length - 1; // the config byte
  const config = trailer[end] ?? 0;
  const k = end - KID_BYTES; // the KID's first byte
  if (!isMinimalField(trailer, k, KID_BYTES)) return 'header_non_minimal';
  let ctr = config & 0x7;
  let ctrStart = k;
  let bigCtr: bigint | undefined;
  if (config & 0x08) {
    const length = ctr + 1; // the CTR's bytes run up to the KID
    ctrStart = k - length;
    if (ctrStart < 0 || !isMinimalField(trailer, ctrStart, length)) return 'header_non_minimal';
    if (length > 6) {
      // Above 2^48: not a counter we send; read as a BigInt, as the generic decoder does.
      bigCtr = readUintBE(trailer, ctrStart, length);
      ctr = -1;
    } else {
      ctr = 0;
      for (let i = ctrStart; i < k; i++) ctr = ctr * 256 + (trailer[i] ?? 0);
    }
  }
  const t = trailer;
  const hi = (((t[k] ?? 0) << 24) | ((t[k + 1] ?? 0) << 16) | ((t[k + 2] ?? 0) << 8) | (t[k + 3] ?? 0)) >>> 0;
  const marker = hi >>> 28;
  if (marker !== KID_MARKER_NIBBLE && marker !== V4_KID_MARKER_NIBBLE && marker !== OLDER_KID_MARKER_NIBBLE) {
    return 'not_protected';
  }
  const lo = (((t[k + 4] ?? 0) << 24) | ((t[k + 5] ?? 0) << 16) | ((t[k + 6] ?? 0) << 8) | (t[k + 7] ?? 0)) >>> 0;
  if (hi !== memo.hi || lo !== memo.lo) {
    memo.kid = (BigInt(hi) << 32n) | BigInt(lo);
    memo.hi = hi;
    memo.lo = lo;
  }
  const older = marker !== KID_MARKER_NIBBLE;
  return bigCtr === undefined
    ? { kid: memo.kid, ctr, ctrStart, older }
    : { kid: memo.kid, ctr, bigCtr, ctrStart, older };
}

/**
 * AAD (RFC 9605 §4.4.3) = SFrame header (config || KID || CTR, §4.3) || format version || codec id || metadata ||
 * control region, laid out in one buffer straight from the trailer.
 */
function receivedAad(layout: ReceivedLayout, tagLength: number): Uint8Array {
  const { trailer, metadata } = layout;
  const end = trailer.length - 1;
  const k = end - KID_BYTES;
  const config = trailer[end] ?? 0;
  const ctrStart = config & 0x08 ? k - (config & 0x7) - 1 : k;
  const headerLength = trailer.length - ctrStart;
  const regionLength = ctrStart - tagLength;
  const aad = new Uint8Array(headerLength + 2 + metadata.length + regionLength);
  aad[0] = config;
  let o = 1;
  for (let i = k; i < end; i++) aad[o++] = trailer[i] ?? 0; // KID
  for (let i = ctrStart; i < k; i++) aad[o++] = trailer[i] ?? 0; // CTR
  aad[o++] = FORMAT_VERSION;
  aad[o++] = CODEC_ID[layout.codec];
  aad.set(metadata, o);
  if (regionLength > 0) aad.set(trailer.subarray(tagLength, ctrStart), o + metadata.length);
  return aad;
}

/** A v1-v4 frame: shaped like one, with an older marker. */
interface OlderFormat {
  older: bigint;
}

/** Finds the trailer and checks the format's markers; no crypto. */
function locate(
  framing: Framing,
  frame: Uint8Array,
  memo: KidMemo,
): Located | OlderFormat | 'not_protected' | SFrameErrorReason {
  const layout =
    framing.parse(frame) ?? (framing.name === 'generic' ? undefined : genericFor(framing.kind).parse(frame));
  if (layout === undefined) return 'not_protected';
  const read = readHeader(layout.trailer, memo);
  if (typeof read === 'string') return read;
  if (read.older) return { older: read.kid };
  const found: Located = { layout, kid: read.kid, ctr: read.ctr };
  if (read.bigCtr !== undefined) found.bigCtr = read.bigCtr;
  const tagLength = TAG_LENGTH[framing.kind];
  if (read.ctrStart > tagLength) found.control = layout.trailer.subarray(tagLength, read.ctrStart);
  return found;
}

/** What {@link inspectFrame} found; hand it to {@link unprotectFrame} so the frame is not parsed twice. */
export type Inspection =
  | { protected: false; found: 'not_protected' | 'empty' | SFrameErrorReason }
  /**
   * Shaped like a frame of format v1-v4 (KID marker 0b1011 or 0b1100): another participant runs an older Framelock.
   * `kid` is that frame's KID. (About one plaintext frame in 128 also ends like one of these, twice as often as like a
   * v5 frame: two markers.)
   */
  | { protected: false; found: 'older_format'; kid: bigint }
  | { protected: true; kid: bigint; found: Located };

/**
 * Classifies a received frame without decrypting it: whether it is shaped like a Framelock frame, under which KID and
 * with which control region, or like an older format's frame. Lets the caller spot its own media echoed back (its own
 * KID on a remote track) before spending any crypto, and read control chunks of frames it cannot decrypt.
 */
export function inspectFrame(framing: Framing, frame: Uint8Array, memo: KidMemo = sharedMemo): Inspection {
  if (!(frame instanceof Uint8Array)) return { protected: false, found: 'invalid_input' };
  if (isEmptyAudio(framing, frame)) return { protected: false, found: 'empty' };
  const found = locate(framing, frame, memo);
  if (typeof found === 'string') return { protected: false, found };
  if ('older' in found) return { protected: false, found: 'older_format', kid: found.older };
  return { protected: true, kid: found.kid, found };
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
  const { header, control } = readTrailer(layout.trailer, tagLength);
  const metadata = frameMetadata(layout.codec, layout.metadata, control);
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
    const seen = inspected ?? inspectFrame(framing, frame);
    if (seen.found === 'older_format') return { status: 'failed', reason: 'older_format', kid: seen.kid };
    const found = seen.found;
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
