/**
 * @module How many new senders the content bridge derives frame keys for, and for whom. Every KID a receiver sees is
 * a key request, and a participant without the key can put a fresh KID on every frame it sends (a "key-request
 * flood"): one budget for the whole frame would let one such track starve every other track of keys, so a newcomer,
 * a reload or a sender-id rollover would wait minutes (issue 14 §3). Here each endpoint (one sender or receiver
 * transform of the page, named by the worker) has a budget of its own, and a ceiling for the whole frame bounds the
 * work all of them together can cause. A sender whose frame authenticated (the worker says so in its counters, and
 * only for a sender this endpoint was given keys for) is *proven*: its keys for later epochs are free, and junk can
 * never push it out. Senders that proved nothing are kept briefly and in small numbers, then forgotten.
 *
 * The endpoint id comes from the worker, which runs in the page's origin: it is untrusted. The bridge checks its
 * shape (`TRANSFORM_ID_PATTERN`) and this module bounds what a lying worker can do with it: a fresh id per request
 * gets a fresh endpoint budget, but never more than the frame's ceiling, and at most {@link MAX_ENDPOINTS} are kept.
 *
 * Pure: no DOM, no extension API, an injectable clock (unit-tested in test/unit/key-quota.test.ts). Its budgets and
 * bounds, each with its reason, are in src/content/constants.ts.
 */
import { dropOldest } from '../shared/collections';
import {
  ENDPOINT_BURST,
  ENDPOINT_REFILL_MS,
  FRAME_BURST,
  FRAME_REFILL_MS,
  MAX_ENDPOINTS,
  MAX_PROVEN_SENDERS,
  MAX_PROVEN_SENDERS_PER_ENDPOINT,
  MAX_UNPROVEN_SENDERS_PER_ENDPOINT,
  UNPROVEN_SENDER_TTL_MS,
} from './constants';

/** What {@link KeyRequestQuota.admit} decided. */
export type Admission =
  /** A proven sender, or another epoch of an unproven one granted lately: no token spent. */
  | 'free'
  /** A new sender: one token of the endpoint and one of the frame spent. */
  | 'charged'
  /** Refused: the endpoint spent its budget (the frame's was not touched). */
  | 'endpoint_limit'
  /** Refused: the frame's ceiling is reached (the endpoint's token was not spent). */
  | 'frame_limit';

/** A token bucket: `capacity` tokens, one more every `refillMs`. */
class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly capacity: number,
    readonly refillMs: number,
    now: number,
  ) {
    this.#tokens = capacity;
    this.#at = now;
  }

  /** Whether a whole token is there now (refilled up to `now`). */
  has(now: number): boolean {
    if (now > this.#at) {
      this.#tokens = Math.min(this.capacity, this.#tokens + (now - this.#at) / this.refillMs);
      this.#at = now;
    }
    return this.#tokens >= 1;
  }

  take(): void {
    this.#tokens -= 1;
  }
}

interface Endpoint {
  bucket: TokenBucket;
  /** Senders granted keys that proved nothing yet: when, and which of their KIDs (oldest first). */
  unproven: Map<bigint, { at: number; kids: Set<bigint> }>;
  /** Senders whose frames authenticated on this endpoint (least recently proven first). */
  proven: Set<bigint>;
}

export class KeyRequestQuota {
  readonly #now: () => number;
  #frame: TokenBucket;
  /** Endpoints by id, least recently asking first. */
  readonly #endpoints = new Map<string, Endpoint>();
  /** Senders proven on any endpoint, least recently proven first. */
  readonly #proven = new Set<bigint>();

  constructor(now: () => number = () => Date.now()) {
    this.#now = now;
    this.#frame = new TokenBucket(FRAME_BURST, FRAME_REFILL_MS, now());
  }

  /**
   * Whether `endpoint` may get the keys of `kid` (whose sender id is `sender`), and what it cost. Call once per
   * request the bridge would answer (after its own checks of the KID), and derive only when the answer is `free` or
   * `charged`.
   */
  admit(endpoint: string, sender: bigint, kid: bigint): Admission {
    const now = this.#now();
    const state = this.#endpoint(endpoint, now);
    if (state.proven.has(sender) || this.#proven.has(sender)) return 'free';
    for (const [id, entry] of state.unproven) {
      if (now - entry.at < UNPROVEN_SENDER_TTL_MS) break; // oldest first: the rest are younger
      state.unproven.delete(id);
    }
    const granted = state.unproven.get(sender);
    // Another epoch's KID of a sender granted lately: free. The same KID again means the worker dropped its key (it
    // proved nothing): that costs a token like a new sender, so re-asking cannot derive for free.
    if (granted !== undefined && !granted.kids.has(kid)) {
      granted.kids.add(kid);
      return 'free';
    }
    if (!state.bucket.has(now)) return 'endpoint_limit';
    if (!this.#frame.has(now)) return 'frame_limit';
    state.bucket.take();
    this.#frame.take();
    state.unproven.delete(sender);
    state.unproven.set(sender, { at: now, kids: new Set([kid]) });
    if (state.unproven.size > MAX_UNPROVEN_SENDERS_PER_ENDPOINT) dropOldest(state.unproven);
    return 'charged';
  }

  /**
   * A frame of `sender` authenticated on `endpoint` (the worker's counters say so). Believed only for a sender this
   * endpoint was granted keys for and has not forgotten: a worker cannot make a sender proven that it never got
   * keys for here. Returns whether the sender is proven now.
   */
  prove(endpoint: string, sender: bigint): boolean {
    const state = this.#endpoints.get(endpoint);
    if (state === undefined) return false;
    if (state.proven.has(sender)) return true;
    if (!state.unproven.delete(sender)) return false;
    state.proven.add(sender);
    if (state.proven.size > MAX_PROVEN_SENDERS_PER_ENDPOINT) dropOldest(state.proven);
    this.#proven.delete(sender);
    this.#proven.add(sender);
    if (this.#proven.size > MAX_PROVEN_SENDERS) dropOldest(this.#proven);
    return true;
  }

  /** Forgets every sender (another room key: nothing keyed before counts). Budgets are kept: they bound work, not keys. */
  forgetSenders(): void {
    this.#proven.clear();
    for (const state of this.#endpoints.values()) {
      state.unproven.clear();
      state.proven.clear();
    }
  }

  /** How many endpoints are tracked (for tests). */
  get endpoints(): number {
    return this.#endpoints.size;
  }

  #endpoint(id: string, now: number): Endpoint {
    let state = this.#endpoints.get(id);
    if (state === undefined) {
      state = {
        bucket: new TokenBucket(ENDPOINT_BURST, ENDPOINT_REFILL_MS, now),
        unproven: new Map(),
        proven: new Set(),
      };
      if (this.#endpoints.size >= MAX_ENDPOINTS) dropOldest(this.#endpoints);
    } else {
      this.#endpoints.delete(id); // re-inserted below: most recently asking last
    }
    this.#endpoints.set(id, state);
    return state;
  }
}
