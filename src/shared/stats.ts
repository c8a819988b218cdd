/**
 * @module Runtime validation of transform counters. They cross two boundaries (worker → bridge → background) and the
 * worker runs in the page's origin, so both receivers check them before use.
 */
import type { TransformStats } from './messages';

const COUNTERS = ['protected', 'unencrypted', 'undecryptable', 'dropped', 'passthrough', 'echoed'] as const;
const STATUSES: readonly string[] = ['encrypted', 'undecryptable', 'unencrypted', 'waiting'];
/** At most this many transforms per report (a page with more is not a call we can describe anyway). */
export const MAX_TRANSFORMS_PER_REPORT = 256;

function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isShortString(value: unknown, max: number): boolean {
  return typeof value === 'string' && value.length <= max;
}

function isKidCounts(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return isShortString(v.kid, 24) && isCount(v.protected) && isCount(v.undecryptable);
}

export function isTransformStats(value: unknown): value is TransformStats {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  return (
    isShortString(s.id, 64) &&
    (s.side === 'send' || s.side === 'receive') &&
    (s.kind === 'audio' || s.kind === 'video') &&
    typeof s.status === 'string' &&
    STATUSES.includes(s.status) &&
    COUNTERS.every((key) => isCount(s[key])) &&
    (s.codec === undefined || isShortString(s.codec, 64)) &&
    (s.kid === undefined || isShortString(s.kid, 24)) &&
    (s.lastError === undefined || isShortString(s.lastError, 256)) &&
    (s.clockSkew === undefined || (Number.isInteger(s.clockSkew) && Math.abs(s.clockSkew as number) <= 8)) &&
    (s.trackId === undefined || isShortString(s.trackId, 64)) &&
    (s.strict === undefined || typeof s.strict === 'boolean') &&
    (s.byKid === undefined || (Array.isArray(s.byKid) && s.byKid.length <= 16 && s.byKid.every(isKidCounts)))
  );
}

export function isTransformStatsList(value: unknown): value is TransformStats[] {
  return Array.isArray(value) && value.length <= MAX_TRANSFORMS_PER_REPORT && value.every(isTransformStats);
}
