/**
 * @module What the data-channel test page (`/data-channels.html`) keeps on `window`, as the test reads it:
 * `__wire` (tap.ts: what the browser's channels carried) and `__dc` (main.ts: the fake link and helpers).
 */
import type { FakeBehaviour, FakeDataLink } from './fake-link';

/** What a test message carries in clear: the tap flags every message the channel carried with it. */
export const PLAIN_MARK = 'PLAINTEXT';

/** One message the browser's native send got (below the patch). */
export interface WireRecord {
  label: string;
  kind: 'string' | 'binary' | 'blob';
  size: number;
  /** The first byte (or UTF-16 unit) of what was sent; -1 for an empty message or a Blob. */
  first: number;
  /** It contains the test's plaintext mark ({@link PLAIN_MARK}). */
  plain: boolean;
  /** A string's first 64 characters ('' for binary). */
  text: string;
}

export interface WireApi {
  log: WireRecord[];
  /** The offerers' confirmations the wire carried (not in {@link log}: Framelock's own, not the page's). */
  confirmations: number;
  /** The browser's own send, below the patch. */
  send: RTCDataChannel['send'];
  clear(): void;
}

/** Two connected connections of the page and a channel between them. */
export interface Pair {
  a: RTCPeerConnection;
  b: RTCPeerConnection;
  /** The connections' numbers for the link (as the patch numbers them). */
  idA: number;
  idB: number;
  /** The channel as `a` created it, and as `b` received it (both open). */
  ab: RTCDataChannel;
  ba: RTCDataChannel;
}

export interface PairOptions {
  label?: string;
  /** How the fake link answers for each side. */
  behaviourA?: Partial<FakeBehaviour>;
  behaviourB?: Partial<FakeBehaviour>;
  /** `b` is built in a same-origin frame's realm, which no patch reaches (a peer without Framelock). */
  bInFrame?: boolean;
  /** Negotiate with setLocalDescription() without a description, instead of createOffer / createAnswer. */
  implicit?: boolean;
  binaryTypeB?: BinaryType;
}

/** One message event as a listener saw it. */
export interface Seen {
  via: 'onmessage' | 'listener';
  trusted: boolean;
  /** `string`, `ArrayBuffer` or `Blob`. */
  type: string;
  /** A string as it is; bytes as UTF-8 text if they decode, else hex. */
  value: string;
}

export interface DcApi {
  link: FakeDataLink;
  /** A new connection of the page's (patched) realm, with its number for the link. */
  newPc(behaviour?: Partial<FakeBehaviour>): { pc: RTCPeerConnection; id: number };
  pair(options?: PairOptions): Promise<Pair>;
  /** Starts recording `channel`'s message events, through `onmessage` and `addEventListener` both. */
  watch(channel: RTCDataChannel): void;
  /** What `channel`'s listeners saw so far (Blobs read). */
  seen(channel: RTCDataChannel): Promise<Seen[]>;
  /** Resolves once `channel`'s listeners saw `count` events each (or rejects after `timeoutMs`). */
  waitSeen(channel: RTCDataChannel, count: number, timeoutMs?: number): Promise<void>;
  /**
   * Replaces every built-in the patch could call after start-up with a recorder (hooks.ts), as a hostile page would;
   * `stop()` puts them back and says which were called outside the test's own code.
   */
  hookBuiltins(): { stop(): string[] };
}

export type DcWindow = Window & { __dc: DcApi; __wire: WireApi };
