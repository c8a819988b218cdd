/**
 * @module The order in which a call's chat messages are shown: each sender's in its own `seq` order
 * (docs/architecture.md, "The call chat"). Pure: time comes in as arguments, and the caller
 * (src/content/chat-link.ts) runs the timer for {@link ChatOrder.nextDue}.
 *
 * A sender's messages reach us over every stream it sends, chunked into media frames, so one can overtake another
 * (a lost chunk is only made good by the repeat 2 s later). Per sender:
 * - the first `seq` seen starts it (we may have joined after its first messages): released at once;
 * - the next `seq` (last released + 1) is released at once, with whatever waited right behind it;
 * - one ahead of a gap waits up to {@link CHAT_HOLD_MS} for the missing ones; then it is released, the gap given up;
 * - a `seq` at or below the last released, or one already waiting, is a duplicate: dropped.
 *
 * Senders of different participants are not ordered among themselves: each message shows when it is released.
 */
import { CHAT_HOLD_MS, MAX_CHAT_HELD, MAX_CHAT_SENDERS } from './constants';

export interface ChatOrderLimits {
  /** How long a message ahead of a gap waits for the missing ones. */
  holdMs: number;
  /** Senders remembered; the one heard from least recently is forgotten first (its waiting messages released). */
  maxSenders: number;
  /** Messages waiting, over all senders; past it the one due first is released early (with what it waited behind). */
  maxHeld: number;
}

const DEFAULT_LIMITS: ChatOrderLimits = { holdMs: CHAT_HOLD_MS, maxSenders: MAX_CHAT_SENDERS, maxHeld: MAX_CHAT_HELD };

interface Held<T> {
  item: T;
  /** When it is released, whatever is still missing before it. */
  due: number;
}

interface SenderState<T> {
  /** The last `seq` released. */
  last: number;
  /** Messages ahead of a gap, by `seq`. */
  held: Map<number, Held<T>>;
}

export class ChatOrder<Sender, T> {
  readonly #limits: ChatOrderLimits;
  /** In order of last activity, least recent first (Map keeps insertion order: a sender heard from is re-inserted). */
  readonly #senders = new Map<Sender, SenderState<T>>();
  #heldCount = 0;

  constructor(limits: Partial<ChatOrderLimits> = {}) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Messages waiting behind a gap, over all senders. */
  get held(): number {
    return this.#heldCount;
  }

  /**
   * Message `seq` of `sender` arrived at `now`: returns what to show now, in order (this one, what waited behind it,
   * and whatever a bound forced out), possibly nothing.
   */
  add(sender: Sender, seq: number, item: T, now: number): T[] {
    const released: T[] = [];
    const state = this.#senders.get(sender);
    if (state === undefined) {
      if (this.#senders.size >= this.#limits.maxSenders) this.#forgetLeastRecent(released);
      this.#senders.set(sender, { last: seq, held: new Map() });
      released.push(item);
      return released;
    }
    // Most recently heard from: last in the map's order.
    this.#senders.delete(sender);
    this.#senders.set(sender, state);
    if (seq <= state.last || state.held.has(seq)) return released; // a duplicate
    if (seq === state.last + 1) {
      state.last = seq;
      released.push(item);
      this.#releaseRun(state, released);
      return released;
    }
    state.held.set(seq, { item, due: now + this.#limits.holdMs });
    this.#heldCount++;
    // Held first, then the bound: a release forced by it keeps this one in its place among the sender's.
    if (this.#heldCount > this.#limits.maxHeld) this.#releaseEarliestDue(released);
    return released;
  }

  /** What is due at `now` (gaps that waited long enough are given up), in order per sender. */
  due(now: number): T[] {
    const released: T[] = [];
    for (const state of this.#senders.values()) {
      // The highest seq whose wait is over: it and everything held below it go out now, gaps given up.
      let upTo: number | undefined;
      for (const [seq, held] of state.held) if (held.due <= now && (upTo === undefined || seq > upTo)) upTo = seq;
      if (upTo !== undefined) this.#releaseThrough(state, upTo, released);
    }
    return released;
  }

  /** When the next held message is due, or undefined when none waits. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const state of this.#senders.values()) {
      for (const held of state.held.values()) if (next === undefined || held.due < next) next = held.due;
    }
    return next;
  }

  /** Forgets every sender and drops what waited (the call ended). */
  clear(): void {
    this.#senders.clear();
    this.#heldCount = 0;
  }

  /** Releases `state`'s held messages up to `seq` in order (the gaps among them given up), then the run after it. */
  #releaseThrough(state: SenderState<T>, seq: number, released: T[]): void {
    const seqs = [...state.held.keys()].filter((s) => s <= seq).sort((a, b) => a - b);
    for (const s of seqs) {
      const held = state.held.get(s);
      state.held.delete(s);
      this.#heldCount--;
      if (held !== undefined) released.push(held.item);
    }
    state.last = seq;
    this.#releaseRun(state, released);
  }

  /** Releases the held messages that follow the last released one without a gap. */
  #releaseRun(state: SenderState<T>, released: T[]): void {
    for (let held = state.held.get(state.last + 1); held !== undefined; held = state.held.get(state.last + 1)) {
      state.held.delete(state.last + 1);
      this.#heldCount--;
      state.last++;
      released.push(held.item);
    }
  }

  /** Too many wait: the one due first goes out now, as if its wait were over. */
  #releaseEarliestDue(released: T[]): void {
    let earliest: { state: SenderState<T>; seq: number; due: number } | undefined;
    for (const state of this.#senders.values()) {
      for (const [seq, held] of state.held) {
        if (earliest === undefined || held.due < earliest.due) earliest = { state, seq, due: held.due };
      }
    }
    if (earliest !== undefined) this.#releaseThrough(earliest.state, earliest.seq, released);
  }

  /** Too many senders: the least recently heard from is forgotten; what it had waiting is released, not lost. */
  #forgetLeastRecent(released: T[]): void {
    const oldest = this.#senders.entries().next();
    if (oldest.done) return;
    const [sender, state] = oldest.value;
    const last = Math.max(state.last, ...state.held.keys());
    this.#releaseThrough(state, last, released);
    this.#senders.delete(sender);
  }
}
