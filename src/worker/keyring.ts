/**
 * @module The worker's keys: one SFrameContext per media kind (format v1 fixes the suite per kind), fed with frame
 * keys by the bridge. The worker never holds a base key; it asks the bridge for each KID it needs, at most once per
 * KID while a request is outstanding.
 */
import { SUITE_FOR_KIND } from '../codecs';
import { type FrameKeys, SFrameContext } from '../sframe';

export type MediaKind = 'audio' | 'video';

/** How long a KID the bridge did not answer for stays refused before we ask again. */
const REQUEST_RETRY_MS = 2_000;

function freshContexts(): Record<MediaKind, SFrameContext> {
  return { audio: new SFrameContext(SUITE_FOR_KIND.audio), video: new SFrameContext(SUITE_FOR_KIND.video) };
}

export class Keyring {
  #contexts = freshContexts();
  /**
   * Bumped when all keys are dropped. Senders then draw a new KID: re-importing keys for an old sender KID would
   * restart its counter under the same key and reuse nonces.
   */
  #generation = 0;
  /** Our own sender KIDs, to recognise our media echoed back on a remote track. */
  readonly ownKids = new Set<bigint>();
  /** KIDs asked for and when, per kind. */
  readonly #requested: Record<MediaKind, Map<bigint, number>> = { audio: new Map(), video: new Map() };
  /** KIDs still waiting for keys, and since when (kept across retries). */
  readonly #firstAsked: Record<MediaKind, Map<bigint, number>> = { audio: new Map(), video: new Map() };
  readonly #request: (kid: bigint, kind: MediaKind) => void;
  readonly #now: () => number;

  constructor(request: (kid: bigint, kind: MediaKind) => void, now: () => number = () => Date.now()) {
    this.#request = request;
    this.#now = now;
  }

  get generation(): number {
    return this.#generation;
  }

  context(kind: MediaKind): SFrameContext {
    return this.#contexts[kind];
  }

  has(kind: MediaKind, kid: bigint): boolean {
    return this.#contexts[kind].hasKey(kid);
  }

  /** True if the key is there; otherwise asks the bridge for it (once per retry period) and returns false. */
  ensure(kind: MediaKind, kid: bigint): boolean {
    if (this.#contexts[kind].hasKey(kid)) return true;
    const asked = this.#requested[kind].get(kid);
    const now = this.#now();
    if (!this.#firstAsked[kind].has(kid)) this.#firstAsked[kind].set(kid, now);
    if (asked === undefined || now - asked >= REQUEST_RETRY_MS) {
      this.#requested[kind].set(kid, now);
      this.#request(kid, kind);
    }
    return false;
  }

  /** When the key for `kid` was first asked for and is still missing, or undefined. */
  pendingSince(kind: MediaKind, kid: bigint): number | undefined {
    return this.#firstAsked[kind].get(kid);
  }

  /** Installs keys the bridge sent. Returns false if they were refused (duplicate KID, wrong shape). */
  async install(kind: MediaKind, kid: bigint, keys: FrameKeys): Promise<boolean> {
    this.#requested[kind].delete(kid);
    this.#firstAsked[kind].delete(kid);
    if (this.#contexts[kind].hasKey(kid)) return true;
    try {
      await this.#contexts[kind].importFrameKeys(kid, keys);
      return true;
    } catch {
      return false;
    }
  }

  /** Drops every key (the site was disabled or re-keyed): nothing is sent or decrypted until keys come back. */
  clear(): void {
    this.#contexts = freshContexts();
    for (const map of [this.#requested.audio, this.#requested.video, this.#firstAsked.audio, this.#firstAsked.video]) {
      map.clear();
    }
    this.ownKids.clear();
    this.#generation++;
  }
}
