/**
 * @module Which sender generations the worker sees frames of and has no key for (docs/keys.md,
 * "Recovery"). After {@link WANT_AFTER_MS} of that, the sender is named in our next STATE's `want`, and re-sends its
 * wraps to us. A sender that is no member yet (we never opened a STATE of it: the SFU subscribed us to it after its
 * last one went by) is named at once, the {@link MAX_STRANGER_WANTS} we saw last only: if it made us a recipient, its
 * re-send brings its public key and our wrap in one message. A want the worker stops reporting for
 * {@link WANT_FORGET_MS} is over.
 */
import { dropOldest } from '../../shared/collections';
import { MAX_STRANGER_ENTRIES, MAX_STRANGER_WANTS, MAX_WANTS, WANT_AFTER_MS, WANT_FORGET_MS } from './constants';

interface Want {
  pid: bigint;
  bits: number;
  /** First reported. */
  since: number;
  /** Last reported. */
  last: number;
  /** Named in a STATE we sent since it became due. */
  asked: boolean;
  /** Noted while its pid was no member. */
  stranger: boolean;
}

export class Wants {
  readonly #wants = new Map<string, Want>();

  /**
   * The worker reports frames of (pid, bits) it has no key for. A `stranger`'s want (a pid that is no member) only
   * ever pushes out another stranger's, beyond {@link MAX_STRANGER_ENTRIES}: junk KIDs of random pids, which anyone
   * on the media path can send, never crowd a member's want out.
   */
  note(pid: bigint, bits: number, now: number, stranger = false): void {
    const id = `${pid}:${bits}`;
    const want = this.#wants.get(id);
    if (want !== undefined) {
      want.last = now;
      return;
    }
    if (stranger) {
      const strangers = [...this.#wants].filter(([, w]) => w.stranger);
      if (strangers.length >= MAX_STRANGER_ENTRIES) this.#wants.delete((strangers[0] as [string, Want])[0]);
    }
    if (this.#wants.size >= MAX_WANTS) dropOldest(this.#wants);
    this.#wants.set(id, { pid, bits, since: now, last: now, asked: false, stranger });
  }

  /** Forgets wants no longer reported, those now keyed (`held`), and every want of a sender (`pid`) that left. */
  prune(now: number, held: (pid: bigint, bits: number) => boolean): void {
    for (const [id, w] of this.#wants) if (now - w.last > WANT_FORGET_MS || held(w.pid, w.bits)) this.#wants.delete(id);
  }

  forget(pid: bigint): void {
    for (const [id, w] of this.#wants) if (w.pid === pid) this.#wants.delete(id);
  }

  /**
   * The senders to name in a STATE now, each once, at most `max`: due wants of members (`known`), and the
   * {@link MAX_STRANGER_WANTS} strangers reported last.
   */
  due(now: number, known: (pid: bigint) => boolean, max: number): bigint[] {
    return [...this.#due(now, known, max)].map((w) => w.pid).filter((pid, i, all) => all.indexOf(pid) === i);
  }

  /** Whether a due want has not been named in any STATE yet (so one should go now, not at the next hello). */
  unasked(now: number, known: (pid: bigint) => boolean): boolean {
    for (const w of this.#due(now, known, MAX_WANTS)) if (!w.asked) return true;
    return false;
  }

  *#due(now: number, known: (pid: bigint) => boolean, max: number): Generator<Want> {
    let named = 0;
    let strangers = 0;
    // Most recently reported first, so the strangers named are the ones whose frames still come.
    for (const w of [...this.#wants.values()].sort((a, b) => b.last - a.last)) {
      if (named >= max) return;
      if (known(w.pid)) {
        if (now - w.since < WANT_AFTER_MS) continue;
      } else if (strangers++ >= MAX_STRANGER_WANTS) continue;
      named++;
      yield w;
    }
  }

  /** A STATE naming these senders went out. */
  asked(pids: readonly bigint[]): void {
    for (const w of this.#wants.values()) if (pids.includes(w.pid)) w.asked = true;
  }

  clear(): void {
    this.#wants.clear();
  }
}
