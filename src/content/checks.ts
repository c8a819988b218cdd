/**
 * @module What the content bridge accepts from the page side, checked at runtime: messages of the transform worker
 * (it runs in the page's origin, and the page's realm is not ours) and the page script's problem reports and worker
 * ports, each against its schema (src/shared/messages/worker.ts, src/shared/handshake.ts). Each check returns the typed message or the reason it was refused, which the bridge counts and reports to the background.
 * No DOM and no extension API here, so the checks are unit-tested on their own (test/unit/bridge-checks.test.ts).
 */
import * as v from 'valibot';
import { type PageToBridge, PageToBridgeSchema } from '../shared/handshake';
import {
  type BridgeRejectionReason,
  MAX_REPORTED_REJECTIONS,
  type WorkerToBridge,
  WorkerToBridgeSchema,
} from '../shared/messages';
import { REJECTION_REPORT_INTERVAL_MS } from './constants';

export type Checked<T> = { ok: true; message: T } | { ok: false; reason: BridgeRejectionReason };

const invalidWorker: Checked<never> = { ok: false, reason: 'worker_invalid' };

/**
 * Checks one message from the worker port against `WorkerToBridgeSchema`. It does not decide trust: before the worker
 * proved the nonce, the bridge accepts only a `hello` whose nonce matches (`sameNonce`, src/content/nonce.ts).
 */
export function parseWorkerMessage(untrustedMessage: unknown): Checked<WorkerToBridge> {
  const parsed = v.safeParse(WorkerToBridgeSchema, untrustedMessage);
  return parsed.success ? { ok: true, message: parsed.output } : invalidWorker;
}

/**
 * Checks a message of the page script on its reports port against `PageToBridgeSchema`, with the ports that came with
 * it (`MessageEvent.ports`): none with a problem report, exactly one (the new worker's) with `worker-port`. Whether a
 * `worker-port` was asked for is the bridge's to decide.
 */
export function parsePageReport(untrustedMessage: unknown, ports: readonly unknown[] = []): Checked<PageToBridge> {
  const parsed = v.safeParse(PageToBridgeSchema, untrustedMessage);
  if (!parsed.success || ports.length !== ('type' in parsed.output ? 1 : 0)) {
    return { ok: false, reason: 'page_report_invalid' };
  }
  return { ok: true, message: parsed.output };
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

  constructor(
    send: (counts: Partial<Record<BridgeRejectionReason, number>>) => void,
    intervalMs = REJECTION_REPORT_INTERVAL_MS,
  ) {
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
