/**
 * @module What the hostile page keeps on `window.__hostile` and what tests can call there (test/browser/hostile.test.ts
 * and csp.test.ts read it through puppeteer, with these types). The log part is JSON-serialisable; main.ts says what
 * each attack does.
 */

/** Something Framelock must never show a page, where the hooks saw it, and how often. */
export interface Alarm {
  kind: string;
  where: string;
  /** The page's stage when first seen. */
  stage: string;
  detail: string;
  count: number;
}

/** The first few observations per hook, summarised. */
export interface Sample {
  hook: string;
  stage: string;
  extra: string;
  summary: string;
}

/** An event with a `framelock:` type that reached a page listener. */
export interface FramelockEvent {
  hook: string;
  stage: string;
  type: string;
  detail: string;
}

/** What walking one sender's or receiver's transform showed: every property, own and inherited, summarised. */
export interface WalkedTransform {
  side: string;
  kind: string | undefined;
  tag: string;
  properties: string[];
}

/** Every storage of the origin the page can read, and every IndexedDB record summarised by the scan. */
export interface StorageDump {
  localStorage: Record<string, string | null>;
  sessionStorage: Record<string, string | null>;
  cookie: string;
  indexedDB: Record<string, Record<string, string[]>>;
  caches: string[];
}

/** What the forged hand-off got back (see forge.ts). */
export interface ForgeResult {
  /** Nonces the bridge gave away in a hello. */
  nonces: string[];
  helloEvents: number;
  portMessages: { where: string; summary: string }[];
  windowMessages: number;
  posted: unknown[];
}

/** Frames one of the page's own pass-through transforms got; `started` once its worker holds the transformer. */
export interface OwnTransformState {
  frames: number;
  started: boolean;
}

/** What clearing or replacing the transforms with another realm's setter did (see transform-attacks.ts). */
export interface CrossRealmResult {
  source: 'blank' | 'early';
  /** Whether Framelock's page script had run in that realm when its setter was taken. */
  framePatched: boolean;
  /** Per endpoint label: whether it kept its transform right after the attempt. */
  kept: Record<string, boolean>;
  ownTransformFrames: Record<string, OwnTransformState>;
}

/** What `replacedNow()` says after `crossRealmClear`. */
export interface ReplacedNow {
  endpoints: { label: string; stillReplaced: boolean; hasTransform: boolean }[];
  /** Frames each of the page's own transforms got (on a sender: frames that left without Framelock's encryption). */
  frames: Record<string, number>;
}

/** Kinds of same-origin browsing context a realm can be reached in (see child-realm.ts). */
export type ChildKind = 'srcdoc' | 'src' | 'blob' | 'popup';

/** What hooking a child realm before Framelock's page script did (see child-realm.ts). */
export interface PrehookResult {
  kind: ChildKind;
  polls: number;
  reached: boolean;
  patchedWhenReached: boolean | null;
  patchedLater: boolean | null;
  nonces?: number;
  toBridge?: number;
  fromBridge?: number;
}

/** Where `search(needle)` found the needle. */
export interface SearchResult {
  hits: string[];
  visited: number;
  exhausted: boolean;
}

/** The JSON part of `window.__hostile`. */
export interface HostileLog {
  /** Where the page is: first-script, DOMContentLoaded, load, connected. */
  stage: string;
  stages: string[];
  /** How often each hook ran. */
  counts: Record<string, number>;
  alarms: Alarm[];
  samples: Sample[];
  /** Every distinct string the hooks saw (the test searches them for the passphrase). */
  strings: string[];
  stringChars: number;
  stringsDropped: number;
  /** Lengths of the ArrayBuffers / views seen, and how often. */
  byteLengths: Record<string, number>;
  framelockEvents: FramelockEvent[];
  /** Function.prototype.toString of the patched built-ins. */
  natives: Record<string, string>;
  transforms: WalkedTransform[];
  /** What each attempt on the transforms did. */
  attacks: Record<string, unknown>;
  storage: StorageDump | null;
  /** Anything that went wrong in here (a hook must never break the page). */
  errors: string[];
  forged?: ForgeResult;
}

/** A pass-through transform of the page's own (see transform-attacks.ts). */
export interface OwnTransform {
  transform: RTCRtpScriptTransform;
  state: OwnTransformState;
  worker: Worker;
}

/** `window.__hostile`: the log, and the attacks tests call. */
export interface HostileApi extends HostileLog {
  forge(waitMs?: number): Promise<ForgeResult>;
  forgeProblem(problem?: string): void;
  search(needle: string, limit?: number): SearchResult;
  dumpStorage(): Promise<StorageDump>;
  walkTransforms(): WalkedTransform[];
  attackTransforms(): Record<string, unknown>;
  crossRealmClear(
    replacement?: 'own' | 'ready' | null,
    source?: 'blank' | 'early',
    busyMs?: number,
  ): Promise<CrossRealmResult>;
  replacedNow(): ReplacedNow;
  prehookChild(kind?: ChildKind, waitMs?: number): Promise<PrehookResult>;
  ownTransform(label: string): OwnTransform;
  /** Marks `value` as the page's own. */
  mine(value: object): void;
  /** The page's own transforms of the last crossRealmClear, by endpoint label. */
  lastOwn?: Record<string, OwnTransformState>;
  /** What the last crossRealmClear set, per endpoint: [label, endpoint, what it set]. */
  replaced?: [string, RTCRtpSender | RTCRtpReceiver, RTCRtpScriptTransform | null][];
}
