/**
 * @module What the background accepts from a content bridge over its runtime port: the shape is
 * `BridgeToBackgroundSchema` (src/shared/messages/bridge.ts); this adds what needs the background's own rules (the
 * clock tolerance, an origin's normal form). Which origin a message comes from is checked elsewhere (bridge-port.ts:
 * the origin is the browser's `sender.origin`, and it must be enabled).
 */
import * as v from 'valibot';
import { type BridgeToBackground, BridgeToBackgroundSchema } from '../shared/messages';
import { normalizeOrigin } from '../shared/origin';

/**
 * The message as a valid `BridgeToBackground`, or `undefined` if it is not one. `clock_skew`'s detail must be a
 * distance beyond the tolerance (nearer is no problem, so a bridge that says so is confused or lying);
 * `cross_origin_frame`'s an http(s) origin, returned normalised.
 */
export function parseBridgeMessage(untrustedMessage: unknown, epochTolerance: number): BridgeToBackground | undefined {
  const parsed = v.safeParse(BridgeToBackgroundSchema, untrustedMessage);
  if (!parsed.success) return undefined;
  const m = parsed.output;
  if (m.type !== 'problem') return m;
  if (m.problem === 'clock_skew') return Math.abs(Number(m.detail)) > epochTolerance ? m : undefined;
  if (m.problem === 'cross_origin_frame' && m.detail !== undefined) {
    const origin = normalizeOrigin(m.detail);
    return origin.ok ? { ...m, detail: origin.origin } : undefined;
  }
  return m;
}
