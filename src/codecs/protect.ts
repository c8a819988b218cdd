/**
 * @module Protecting and unprotecting one encoded frame: codec framing + SFrame, in Framelock frame format v1.
 * The receiver classifies every frame (decrypted / not protected / protected but undecryptable) and never throws,
 * so the frame path can drop, count and report.
 */
import { decodeHeader, type SFrameContext, SFrameError, type SFrameErrorReason } from '../sframe';
import {
  CODEC_ID,
  type CodecName,
  FORMAT_VERSION,
  isFramelockKid,
  MAX_UNPROTECTED_AUDIO_FRAME,
  type MediaKind,
  SUITE_FOR_KIND,
} from './format';
import { type Framing, genericAudio, genericVideo, type ReceivedLayout } from './framing';

export type ProtectResult =
  | { status: 'protected'; frame: Uint8Array; kid: bigint; ctr: bigint; codec: CodecName }
  /** Opus DTX / comfort noise (≤ 3 bytes) is sent as it is. */
  | { status: 'unprotected'; frame: Uint8Array; reason: 'dtx' };

export type UnprotectResult =
  | { status: 'decrypted'; frame: Uint8Array; kid: bigint; ctr: bigint; codec: CodecName }
  /** Not a Framelock frame: plaintext from a participant without Framelock, or DTX (≤ 3 bytes of audio). */
  | { status: 'clear'; reason: 'not_protected' | 'dtx' }
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

function isDtx(framing: Framing, frame: Uint8Array): boolean {
  return framing.kind === 'audio' && frame.length <= MAX_UNPROTECTED_AUDIO_FRAME;
}

/**
 * Protects one encoded frame under `kid`.
 * @throws RangeError if the context's suite is not the one format v1 fixes for the framing's media kind, or `kid` is
 * not a Framelock KID (format.ts); SFrameError `unknown_kid` / `counter_exhausted` from the context.
 */
export async function protectFrame(
  ctx: SFrameContext,
  kid: bigint,
  framing: Framing,
  frame: Uint8Array,
): Promise<ProtectResult> {
  checkSuite(ctx, framing);
  if (!isFramelockKid(kid)) throw new RangeError('not a Framelock KID: build it with makeKid()');
  if (isDtx(framing, frame)) return { status: 'unprotected', frame, reason: 'dtx' };
  const layout = framing.layout(frame);
  const { header, sealed, ctr } = await ctx.seal(kid, frameMetadata(layout.codec, layout.metadata), layout.plaintext);
  const ctLength = sealed.length - ctx.suite.nt;
  const out = layout.write(sealed.subarray(0, ctLength), header, sealed.subarray(ctLength));
  return { status: 'protected', frame: out, kid, ctr, codec: layout.codec };
}

interface Located {
  layout: ReceivedLayout;
  kid: bigint;
  ctr: bigint;
}

/** Finds the trailer and checks the v1 markers; no crypto. */
function locate(framing: Framing, frame: Uint8Array): Located | 'not_protected' | SFrameErrorReason {
  const layout =
    framing.parse(frame) ?? (framing.name === 'generic' ? undefined : genericFor(framing.kind).parse(frame));
  if (layout === undefined) return 'not_protected';
  let kid: bigint;
  let ctr: bigint;
  try {
    ({ kid, ctr } = decodeHeader(layout.header));
  } catch (error) {
    return error instanceof SFrameError ? error.reason : 'invalid_input';
  }
  if (!isFramelockKid(kid)) return 'not_protected';
  return { layout, kid, ctr };
}

/** What {@link inspectFrame} found; hand it to {@link unprotectFrame} so the frame is not parsed twice. */
export type Inspection =
  | { protected: false; found: 'not_protected' | 'dtx' | SFrameErrorReason }
  | { protected: true; kid: bigint; ctr: bigint; found: Located };

/**
 * Classifies a received frame without decrypting it: whether it is shaped like a Framelock frame and under which KID.
 * Lets the caller spot its own media echoed back (its own KID on a remote track) before spending any crypto.
 */
export function inspectFrame(framing: Framing, frame: Uint8Array): Inspection {
  if (!(frame instanceof Uint8Array)) return { protected: false, found: 'invalid_input' };
  if (isDtx(framing, frame)) return { protected: false, found: 'dtx' };
  const found = locate(framing, frame);
  return typeof found === 'object'
    ? { protected: true, kid: found.kid, ctr: found.ctr, found }
    : { protected: false, found };
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
    if (found === 'dtx') return { status: 'clear', reason: 'dtx' };
    if (found === 'not_protected') return { status: 'clear', reason: 'not_protected' };
    if (typeof found === 'string') return { status: 'failed', reason: found };
    const { layout, kid, ctr } = found;
    try {
      const { plaintext } = await ctx.open(
        layout.header,
        kid,
        ctr,
        frameMetadata(layout.codec, layout.metadata),
        layout.sealed,
      );
      return { status: 'decrypted', frame: layout.restore(plaintext), kid, ctr, codec: layout.codec };
    } catch (error) {
      return { status: 'failed', reason: error instanceof SFrameError ? error.reason : 'crypto_failure', kid };
    }
  } catch {
    // A framing bug must cost one frame, never the call.
    return { status: 'failed', reason: 'invalid_input' };
  }
}
