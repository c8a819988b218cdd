/**
 * @module Keeps our transforms attached. The guarded `transform` setter (patch.ts) refuses the site through this realm,
 * but the native setter of another realm of the page still works on our senders and receivers: a srcdoc frame's,
 * taken after the frame's realm exists and before Framelock's page script runs there. No script of ours can run in a
 * realm before it exists, and `window[0]` reaches it without a getter we could hook, so this cannot be prevented, only
 * noticed. This module remembers each sender and receiver we attached, reads its transform with the saved native
 * getter, and where it is no longer ours attaches a fresh one of ours (Chromium refuses to attach a transform twice,
 * "Transform cannot be reused").
 *
 * When it checks (measured on Chromium 156, docs/threat-model.md):
 * - when one of our transforms stops: Chromium ends a detached transformer's streams in the worker within about a
 *   millisecond, and the worker tells us (src/worker/transform.ts). That is the trigger that wins the race, or loses
 *   it by a frame or two: our check runs in the first task the page leaves us;
 * - at every patched call of the site (patch.ts sweeps its connection);
 * - every {@link CHECK_INTERVAL_MS}, in case a browser version stops ending detached streams.
 *
 * Between the removal and the check, media goes out however the site's transform sends it: a site that blocks its own
 * main thread after the removal (no check of ours can run then) sends in clear for as long as it blocks.
 */
import { CHECK_INTERVAL_MS } from './constants';
import { natives as N } from './natives';

export type Side = 'send' | 'receive';

const { apply } = N;

export interface WatchDeps<Options> {
  /** The transform attached to `endpoint` now, read with the saved native getter (throws for a foreign object). */
  current(endpoint: object, side: Side): unknown;
  /** Makes a fresh transform of ours with `options`, attaches it with the saved native setter and returns it. */
  reattach(endpoint: object, side: Side, options: Options): object;
  /** The id of the worker's session that a transform made with `options` feeds. */
  idOf(options: Options): string;
}

export interface TransformWatch<Options> {
  /** Remembers that `endpoint` carries `transform`, ours, made with `options`. */
  add(endpoint: object, side: Side, transform: object, options: Options): void;
  /** Re-attaches ours to `endpoint` if the site removed it. Returns whether it had. */
  verify(endpoint: object): boolean;
  /** {@link verify} of every sender and receiver we attached that still exists. Returns whether any was removed. */
  verifyAll(): boolean;
  /**
   * Attaches a fresh transform of ours to every sender and receiver we attached that still exists, whatever it carries
   * now: for a new worker, after the one that ran the old transforms stopped.
   */
  renewAll(): void;
  /**
   * Attaches a fresh transform of ours to the sender or receiver whose transform feeds session `id`, whatever it
   * carries now: for one put back that gets no frames (src/worker/feed.ts). Returns whether it did.
   */
  renew(id: string): boolean;
  /** Calls `check` every {@link CHECK_INTERVAL_MS} from now on (once; later calls do nothing). */
  every(check: () => void): void;
}

interface Entry<Options> {
  /** Weak, so that a closed connection's senders and receivers can go (we learn of no close we could hook). */
  readonly ref: WeakRef<object>;
  readonly side: Side;
  readonly options: Options;
}

export function createTransformWatch<Options>(deps: WatchDeps<Options>): TransformWatch<Options> {
  /** Our transform on each sender and receiver we attached. */
  const ours = new N.WeakMap<object, object>();
  const entries = new N.Map<object, Entry<Options>>();
  /** Entries by endpoint, for {@link TransformWatch.verify}. The endpoint is the key of a WeakMap: no strong reference. */
  const byEndpoint = new N.WeakMap<object, Entry<Options>>();
  let timer = false;

  function verifyEntry(endpoint: object, entry: Entry<Options>): boolean {
    const mine = apply(N.weakMapGet, ours, [endpoint]);
    let current: unknown;
    try {
      current = deps.current(endpoint, entry.side);
    } catch {
      return false; // not a sender or receiver any more: nothing to keep
    }
    if (current === mine) return false;
    // If the browser refused (it should not), the site's transform stays, and the user is told all the same.
    renew(endpoint, entry);
    return true;
  }

  /** Attaches a fresh transform of ours to `endpoint`. Returns false if the browser refused. */
  function renew(endpoint: object, entry: Entry<Options>): boolean {
    try {
      apply(N.weakMapSet, ours, [endpoint, deps.reattach(endpoint, entry.side, entry.options)]);
      return true;
    } catch {
      return false; // not a sender or receiver any more (or the browser refused: the one it carries stays)
    }
  }

  /** Runs `each` on every watched endpoint of `side` that still exists (forgetting those that went). */
  function forSide(side: Side, each: (endpoint: object, entry: Entry<Options>) => boolean): boolean {
    let any = false;
    apply(N.mapForEach, entries, [
      (entry: Entry<Options>) => {
        if (entry.side !== side) return;
        const endpoint = apply(N.weakRefDeref, entry.ref, []) as object | undefined;
        if (endpoint === undefined) apply(N.mapDelete, entries, [entry]);
        else if (each(endpoint, entry)) any = true;
      },
    ]);
    return any;
  }

  return {
    add(endpoint, side, transform, options) {
      // Object literals only: an assignment could run a setter the page put on Object.prototype.
      const entry: Entry<Options> = { ref: new N.WeakRef(endpoint), side, options };
      apply(N.weakMapSet, ours, [endpoint, transform]);
      apply(N.weakMapSet, byEndpoint, [endpoint, entry]);
      // Keyed by the entry itself: iteration order does not matter, and deleting while iterating is allowed.
      apply(N.mapSet, entries, [entry, entry]);
    },
    verify(endpoint) {
      const entry = apply(N.weakMapGet, byEndpoint, [endpoint]) as Entry<Options> | undefined;
      return entry !== undefined && verifyEntry(endpoint, entry);
    },
    verifyAll() {
      // Senders first: a sender without ours sends in clear; a receiver without ours only shows undecrypted frames.
      // (Two calls, not a loop over a list: the page may have replaced Array.prototype[Symbol.iterator].)
      const sent = forSide('send', verifyEntry);
      return forSide('receive', verifyEntry) || sent;
    },
    renewAll() {
      // Senders first, as above.
      forSide('send', renew);
      forSide('receive', renew);
    },
    renew(id) {
      let done = false;
      const each = (endpoint: object, entry: Entry<Options>) => {
        if (!done && deps.idOf(entry.options) === id) done = renew(endpoint, entry);
        return false;
      };
      forSide('send', each);
      forSide('receive', each);
      return done;
    },
    every(check) {
      if (timer) return;
      timer = true;
      apply(N.setInterval, window, [check, CHECK_INTERVAL_MS]);
    },
  };
}
