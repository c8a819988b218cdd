/**
 * @module What the content bridge accepts from the page side, checked at runtime: messages of the transform worker
 * (it runs in the page's origin, and the page's realm is not ours) and the page script's problem reports and worker
 * ports. Each check
 * returns the typed message or the reason it was refused, which the bridge counts and reports to the background.
 * No DOM and no extension API here, so the checks are unit-tested on their own (test/unit/bridge-checks.test.ts).
 */
import * as v from 'valibot';
import { MAX_U64 } from '../shared/bytes';
import { PAGE_REPORTED_PROBLEMS, type PageReportedProblem, type PageToBridge } from '../shared/handshake';
import {
  type BridgeRejectionReason,
  MAX_REPORTED_REJECTIONS,
  TRANSFORM_ID_PATTERN,
  TransformStatsListSchema,
  type WorkerToBridge,
} from '../shared/messages';
import { MAX_ORIGIN_INPUT_LENGTH } from '../shared/origin';

export type Checked<T> = { ok: true; message: T } | { ok: false; reason: BridgeRejectionReason };

const FIELDS: Record<WorkerToBridge['type'], readonly string[]> = {
  hello: ['type', 'nonce'],
  'keys-request': ['type', 'kid', 'kind', 'endpoint'],
  stats: ['type', 'stats'],
};

function hasOnly(value: object, allowed: readonly string[]): boolean {
  for (const key in value) if (!allowed.includes(key)) return false;
  return true;
}

const invalidWorker: Checked<never> = { ok: false, reason: 'worker_invalid' };

/**
 * Checks one message from the worker port: a known type, exactly its fields, each of the right type and size. It
 * does not decide trust: before the worker proved the nonce, the bridge accepts only a `hello` whose nonce matches.
 */
export function parseWorkerMessage(message: unknown): Checked<WorkerToBridge> {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return invalidWorker;
  const m = message as Record<string, unknown>;
  const type = m.type;
  if (type !== 'hello' && type !== 'keys-request' && type !== 'stats') return invalidWorker;
  if (!hasOnly(m, FIELDS[type])) return invalidWorker;
  switch (type) {
    case 'hello':
      // The nonce is 32 hex digits (src/shared/handshake.ts); a longer string is refused before any comparison.
      return typeof m.nonce === 'string' && m.nonce.length === 32
        ? { ok: true, message: { type, nonce: m.nonce } }
        : invalidWorker;
    case 'keys-request': {
      const { kid, kind, endpoint } = m;
      if (typeof kid !== 'bigint' || kid < 0n || kid > MAX_U64) return invalidWorker;
      if (kind !== 'audio' && kind !== 'video') return invalidWorker;
      // The bridge budgets new senders per endpoint: an id of any other shape (or length) is refused, not budgeted.
      if (typeof endpoint !== 'string' || endpoint.length > 32 || !TRANSFORM_ID_PATTERN.test(endpoint)) {
        return invalidWorker;
      }
      return { ok: true, message: { type, kid, kind, endpoint } };
    }
    case 'stats':
      return v.is(TransformStatsListSchema, m.stats) ? { ok: true, message: { type, stats: m.stats } } : invalidWorker;
  }
}

/**
 * Compares the worker's nonce with ours in time that does not depend on where they differ (STYLE.md §9): a page
 * that could time the bridge must not learn the nonce digit by digit.
 */
export function sameNonce(received: string, expected: string): boolean {
  if (received.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= received.charCodeAt(i) ^ expected.charCodeAt(i);
  return diff === 0;
}

/**
 * Checks a message of the page script on its reports port, with the ports that came with it (`MessageEvent.ports`):
 * - a problem report: only the problems it reports (`PAGE_REPORTED_PROBLEMS`, so a report cannot claim, say,
 *   `unsafe_frame` or `no_room_key`), an origin only with `cross_origin_frame`, as a bounded string (the background
 *   normalises it again), and no port;
 * - `worker-port` (the answer to a restart request): exactly that field, and exactly one port, the new worker's.
 * Whether a `worker-port` was asked for is the bridge's to decide.
 */
export function parsePageReport(message: unknown, ports: readonly unknown[] = []): Checked<PageToBridge> {
  const invalid: Checked<never> = { ok: false, reason: 'page_report_invalid' };
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return invalid;
  const m = message as Record<string, unknown>;
  if (m.type !== undefined) {
    if (m.type !== 'worker-port' || !hasOnly(m, ['type']) || ports.length !== 1) return invalid;
    return { ok: true, message: { type: 'worker-port' } };
  }
  if (ports.length !== 0 || !hasOnly(m, ['problem', 'origin'])) return invalid;
  const problem = m.problem;
  if (!(PAGE_REPORTED_PROBLEMS as readonly unknown[]).includes(problem)) return invalid;
  const known = problem as PageReportedProblem;
  if (m.origin === undefined) return { ok: true, message: { problem: known } };
  if (known !== 'cross_origin_frame' || typeof m.origin !== 'string' || m.origin.length > MAX_ORIGIN_INPUT_LENGTH) {
    return invalid;
  }
  return { ok: true, message: { problem: known, origin: m.origin } };
}

/**
 * Counts refusals per reason until they are reported: the bridge sends the counts to the background at most every
 * `intervalMs` (a flood of bad messages must not become a flood of reports) and starts over.
 */
export class RejectionTally {
  #counts = new Map<BridgeRejectionReason, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #send: (counts: Partial<Record<BridgeRejectionReason, number>>) => void;
  readonly #intervalMs: number;

  constructor(send: (counts: Partial<Record<BridgeRejectionReason, number>>) => void, intervalMs = 5_000) {
    this.#send = send;
    this.#intervalMs = intervalMs;
  }

  count(reason: BridgeRejectionReason): void {
    this.#counts.set(reason, Math.min((this.#counts.get(reason) ?? 0) + 1, MAX_REPORTED_REJECTIONS));
    this.#timer ??= setTimeout(() => this.flush(), this.#intervalMs);
  }

  /** Sends what was counted (if anything) and starts over. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#counts.size === 0) return;
    const counts: Partial<Record<BridgeRejectionReason, number>> = {};
    for (const [reason, n] of this.#counts) counts[reason] = n;
    this.#counts.clear();
    this.#send(counts);
  }
}
