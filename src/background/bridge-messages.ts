/**
 * @module What the background accepts from a content bridge over its runtime port (`BridgeToBackground`), checked
 * at runtime: a known type, exactly its fields, each of the right type and size. The bridge is our code, but it runs
 * in the site's renderer process, and its counters come from a worker in the page's origin: a compromised renderer
 * or a bug must not be able to write unbounded data into `storage.session`, claim problems the bridge never reports,
 * or inflate the rejection counts. Which origin a message comes from is checked elsewhere (bridge-port.ts: the origin
 * is the browser's `sender.origin`, and it must be enabled).
 */

import * as v from 'valibot';
import { PAGE_REPORTED_PROBLEMS } from '../shared/handshake';
import {
  BRIDGE_REJECTION_REASONS,
  type BridgeRejectionReason,
  type BridgeToBackground,
  MAX_REPORTED_REJECTIONS,
  TransformStatsListSchema,
} from '../shared/messages';
import { MAX_ORIGIN_INPUT_LENGTH, normalizeOrigin } from '../shared/origin';

/**
 * Problems a bridge reports: those of its page script, its own `unsafe_frame` (and `unsafe_frame_call` once such a
 * frame's worker counts transforms), and `clock_skew` from the counters.
 */
export const BRIDGE_PROBLEMS: readonly string[] = [
  ...PAGE_REPORTED_PROBLEMS,
  'unsafe_frame',
  'unsafe_frame_call',
  'clock_skew',
  'worker_stopped',
  'worker_restarted',
];
/** A bridge asks ahead for at most this many epochs at once (it asks for the window around its clock: 3). */
export const MAX_EPOCHS_PER_REQUEST = 4;

const FIELDS: Record<BridgeToBackground['type'], readonly string[]> = {
  stats: ['type', 'stats'],
  'epoch-keys-request': ['type', 'epochs'],
  problem: ['type', 'problem', 'detail'],
  rejections: ['type', 'counts'],
};

/** Whether `value` is a count one reason of a `rejections` report may carry (the bridge caps its counts). */
function isReportedCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0 && (value as number) <= MAX_REPORTED_REJECTIONS;
}

function hasOnly(value: object, allowed: readonly string[]): boolean {
  for (const key in value) if (!allowed.includes(key)) return false;
  return true;
}

/**
 * The message as a valid `BridgeToBackground`, or `undefined` if it is not one. `clock_skew`'s detail must be the
 * signed distance in epochs beyond the tolerance (one decimal digit, as the bridge writes it); `cross_origin_frame`'s
 * an http(s) origin, returned normalised; other problems carry none.
 */
export function parseBridgeMessage(message: unknown, epochTolerance: number): BridgeToBackground | undefined {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined;
  const m = message as Record<string, unknown>;
  const type = m.type;
  if (type !== 'stats' && type !== 'epoch-keys-request' && type !== 'problem' && type !== 'rejections')
    return undefined;
  if (!hasOnly(m, FIELDS[type])) return undefined;
  switch (type) {
    case 'stats':
      return v.is(TransformStatsListSchema, m.stats) ? { type, stats: m.stats } : undefined;
    case 'epoch-keys-request': {
      const epochs = m.epochs;
      if (!Array.isArray(epochs) || epochs.length === 0 || epochs.length > MAX_EPOCHS_PER_REQUEST) return undefined;
      if (!epochs.every((e) => Number.isSafeInteger(e) && (e as number) >= 0)) return undefined;
      return { type, epochs: epochs as number[] };
    }
    case 'problem': {
      const { problem, detail } = m;
      if (typeof problem !== 'string' || !BRIDGE_PROBLEMS.includes(problem)) return undefined;
      if (problem === 'clock_skew') {
        if (typeof detail !== 'string' || !/^-?\d$/.test(detail)) return undefined;
        if (Math.abs(Number(detail)) <= epochTolerance) return undefined;
        return { type, problem, detail };
      }
      if (problem === 'cross_origin_frame') {
        if (detail === undefined) return { type, problem };
        if (typeof detail !== 'string' || detail.length > MAX_ORIGIN_INPUT_LENGTH) return undefined;
        const origin = normalizeOrigin(detail);
        return origin.ok ? { type, problem, detail: origin.origin } : undefined;
      }
      return detail === undefined ? { type, problem: problem as BridgeProblem } : undefined;
    }
    case 'rejections': {
      const counts = m.counts;
      if (typeof counts !== 'object' || counts === null || Array.isArray(counts)) return undefined;
      const valid: Partial<Record<BridgeRejectionReason, number>> = {};
      let any = false;
      for (const key in counts) {
        const n = (counts as Record<string, unknown>)[key];
        if (!(BRIDGE_REJECTION_REASONS as readonly string[]).includes(key) || !isReportedCount(n)) return undefined;
        valid[key as BridgeRejectionReason] = n;
        any = true;
      }
      return any ? { type, counts: valid } : undefined;
    }
  }
}

type BridgeProblem = Extract<BridgeToBackground, { type: 'problem' }>['problem'];
