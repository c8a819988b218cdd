/**
 * @module Runtime validation of transform counters. They cross two boundaries (worker → bridge → background) and the
 * worker runs in the page's origin, so both receivers check them before use. A valid report is also bounded in size
 * (every string and array has a limit, and no field outside {@link TransformStats} is allowed), because the
 * background stores it in `storage.session` as it arrived.
 */
import type { TransformStats } from './messages';

const COUNTERS = ['protected', 'unencrypted', 'undecryptable', 'dropped', 'passthrough', 'echoed'] as const;
const STATUSES: readonly string[] = ['encrypted', 'undecryptable', 'unencrypted', 'waiting'];
/** At most this many transforms per report (a page with more is not a call we can describe anyway). */
export const MAX_TRANSFORMS_PER_REPORT = 256;

/** Every field a {@link TransformStats} may have; anything else (which the worker never sends) is refused. */
const STATS_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'side',
  'kind',
  ...COUNTERS,
  'codec',
  'kid',
  'lastError',
  'clockSkew',
  'trackId',
  'strict',
  'injected',
  'byKid',
  'status',
]);
const KID_COUNT_FIELDS: ReadonlySet<string> = new Set(['kid', 'protected', 'undecryptable']);

/** A KID as the worker writes it: `bigint.toString()` of a 64-bit value, at most 20 decimal digits. */
const DECIMAL_KID = /^\d{1,20}$/;

function onlyFields(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}

function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isShortString(value: unknown, max: number): boolean {
  return typeof value === 'string' && value.length <= max;
}

function isKidCounts(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    onlyFields(v, KID_COUNT_FIELDS) &&
    typeof v.kid === 'string' &&
    DECIMAL_KID.test(v.kid) &&
    isCount(v.protected) &&
    isCount(v.undecryptable)
  );
}

export function isTransformStats(value: unknown): value is TransformStats {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const s = value as Record<string, unknown>;
  return (
    onlyFields(s, STATS_FIELDS) &&
    isShortString(s.id, 64) &&
    (s.side === 'send' || s.side === 'receive') &&
    (s.kind === 'audio' || s.kind === 'video') &&
    typeof s.status === 'string' &&
    STATUSES.includes(s.status) &&
    COUNTERS.every((key) => isCount(s[key])) &&
    (s.codec === undefined || isShortString(s.codec, 64)) &&
    (s.kid === undefined || (typeof s.kid === 'string' && DECIMAL_KID.test(s.kid))) &&
    (s.lastError === undefined || isShortString(s.lastError, 256)) &&
    (s.clockSkew === undefined || (Number.isInteger(s.clockSkew) && Math.abs(s.clockSkew as number) <= 8)) &&
    (s.trackId === undefined || isShortString(s.trackId, 64)) &&
    (s.strict === undefined || typeof s.strict === 'boolean') &&
    (s.injected === undefined || typeof s.injected === 'boolean') &&
    (s.byKid === undefined || (Array.isArray(s.byKid) && s.byKid.length <= 16 && s.byKid.every(isKidCounts)))
  );
}

export function isTransformStatsList(value: unknown): value is TransformStats[] {
  return Array.isArray(value) && value.length <= MAX_TRANSFORMS_PER_REPORT && value.every(isTransformStats);
}
