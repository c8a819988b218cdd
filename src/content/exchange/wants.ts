/**
 * @module Which sender generations the worker sees frames of and has no key for (docs/forward-secrecy.md,
 * "Recovery"). After {@link WANT_AFTER_MS} of that, the sender is named in our next STATE's `want`, and re-sends its
 * wraps to us. A want the worker stops reporting for {@link WANT_FORGET_MS} is over.
 */
import { dropOldest } from '../../shared/collections';
import { MAX_WANTS, WANT_AFTER_MS, WANT_FORGET_MS } from './constants';

interface Want {
  pid: bigint;
  bits: number;
  /** First reported. */
  since: number;
  /** Last reported. */
  last: number;
  /** Named in a STATE we sent since it became due. */
  asked: boolean;
}

export class Wants {
  readonly #wants = new Map<string, Want>();

  /** The worker reports frames of (pid, bits) it has no key for. */
  note(pid: bigint, bits: number, now: number): void {
    const id = `${pid}:${bits}`;
    const want = this.#wants.get(id);
    if (want !== undefined) {
      want.last = now;
      return;
    }
    if (this.#wants.size >= MAX_WANTS) dropOldest(this.#wants);
    this.#wants.set(id, { pid, bits, since: now, last: now, asked: false });
  }

  /** Forgets wants no longer reported, those now keyed (`held`), and every want of a sender (`pid`) that left. */
  prune(now: number, held: (pid: bigint, bits: number) => boolean): void {
    for (const [id, w] of this.#wants) if (now - w.last > WANT_FORGET_MS || held(w.pid, w.bits)) this.#wants.delete(id);
  }

  forget(pid: bigint): void {
    for (const [id, w] of this.#wants) if (w.pid === pid) this.#wants.delete(id);
  }

  /** The senders to name in a STATE now (due wants of senders `known`), each once, at most `max`. */
  due(now: number, known: (pid: bigint) => boolean, max: number): bigint[] {
    const pids = new Set<bigint>();
    for (const w of this.#wants.values()) {
      if (pids.size >= max) break;
      if (now - w.since >= WANT_AFTER_MS && known(w.pid)) pids.add(w.pid);
    }
    return [...pids];
  }

  /** Whether a due want has not been named in any STATE yet (so one should go now, not at the next hello). */
  unasked(now: number, known: (pid: bigint) => boolean): boolean {
    for (const w of this.#wants.values()) if (!w.asked && now - w.since >= WANT_AFTER_MS && known(w.pid)) return true;
    return false;
  }

  /** A STATE naming these senders went out. */
  asked(pids: readonly bigint[]): void {
    for (const w of this.#wants.values()) if (pids.includes(w.pid)) w.asked = true;
  }

  clear(): void {
    this.#wants.clear();
  }
}
