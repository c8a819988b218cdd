/**
 * @module "Before our script": a new same-origin realm of this page, reached as early as possible (before Framelock's
 * page script runs in it), and hooked there first, to sit between the hand-off's worker and the bridge.
 */
import type { ChildKind, PrehookResult } from './api.ts';
import { H } from './log.ts';
import {
  apply,
  defineProperty,
  getDescriptor,
  NativeMessageChannel,
  NativePromise,
  nativeSetTimeout,
} from './natives.ts';
import { observe } from './observe.ts';

/** Framelock's page script marks a realm it patched with this symbol (src/page/). */
const PATCHED = Symbol.for('framelock.page');

type Realm = Window & typeof globalThis;

/**
 * Opens a same-origin browsing context (`srcdoc`, `src`: a same-origin URL, `blob`: a blob: document, all in an
 * iframe; `popup`: window.open of a same-origin URL) and reaches its new realm as early as it can, polling through a
 * MessageChannel (not throttled). Resolves to { realm (null if never reached), polls, close() }.
 */
export async function reachChild(kind: ChildKind): Promise<{ realm: Realm | null; polls: number; close(): void }> {
  let frame: HTMLIFrameElement | undefined;
  let child: Realm;
  if (kind === 'popup') {
    child = window.open(`/blank.html?child=${Math.random().toString(36).slice(2)}`) as Realm;
  } else {
    frame = document.createElement('iframe');
    frame.style.display = 'none';
    if (kind === 'srcdoc') frame.srcdoc = '<p>child</p>';
    else if (kind === 'blob') frame.src = URL.createObjectURL(new Blob(['<p>child</p>'], { type: 'text/html' }));
    else frame.src = `/blank.html?child=${Math.random().toString(36).slice(2)}`;
    document.body.append(frame);
    child = frame.contentWindow as Realm;
  }
  const first = child.document;
  const ticker = new NativeMessageChannel();
  let polls = 0;
  const realm = await new NativePromise<Realm | null>((resolve) => {
    ticker.port1.onmessage = () => {
      polls++;
      let current: Document | undefined;
      try {
        current = child.document;
      } catch {
        // between documents
      }
      if (current && current !== first) resolve(child);
      else if (polls < 500_000) ticker.port2.postMessage(0);
      else resolve(null);
    };
    ticker.port2.postMessage(0);
  });
  ticker.port1.close();
  return { realm, polls, close: () => (kind === 'popup' ? child.close() : frame?.remove()) };
}

/**
 * Reaches a new same-origin realm (see reachChild) before Framelock's page script runs in it and replaces built-ins
 * there first: CustomEvent.prototype.detail (to read the hand-off's hello) and MessageChannel (a relay that sits
 * between the worker and the bridge). Then it asks the bridge, through the relay, for the keys of a KID of its
 * choosing. Everything that passes the relay is scanned (alarms: where = `child realm ...`).
 */
export async function prehookChild(kind: ChildKind = 'srcdoc', waitMs = 2000): Promise<PrehookResult> {
  const result: PrehookResult = { kind, polls: 0, reached: false, patchedWhenReached: null, patchedLater: null };
  const { realm, polls, close } = await reachChild(kind);
  result.polls = polls;
  if (realm === null) return result;
  result.reached = true;
  const patched = () => (realm as unknown as Record<symbol, unknown>)[PATCHED] === true;
  result.patchedWhenReached = patched();
  const relay = { nonces: 0, toBridge: 0, fromBridge: 0, bridgeSide: null as MessagePort | null };
  const detail = getDescriptor(realm.CustomEvent.prototype, 'detail')?.get;
  if (detail) {
    defineProperty(realm.CustomEvent.prototype, 'detail', {
      configurable: true,
      get() {
        const value = apply(detail, this, []);
        if (typeof value?.nonce === 'string') relay.nonces++;
        observe('child realm: CustomEvent.detail', value);
        return value;
      },
    });
  }
  const ChildChannel = realm.MessageChannel;
  // A class, so that `new MessageChannel()` works; it returns the ends of two channels with us in between.
  realm.MessageChannel = class {
    constructor() {
      const toWorker = new ChildChannel();
      const toBridge = new ChildChannel();
      toWorker.port2.onmessage = (event) => {
        relay.toBridge++;
        observe('child realm: worker to bridge', event.data);
        toBridge.port1.postMessage(event.data);
      };
      toBridge.port1.onmessage = (event) => {
        relay.fromBridge++;
        observe('child realm: bridge to worker', event.data);
        toWorker.port2.postMessage(event.data);
      };
      relay.bridgeSide = toBridge.port1;
      // biome-ignore lint/correctness/noConstructorReturn: the page script must get our ports, not a channel's
      return { port1: toWorker.port1, port2: toBridge.port2 };
    }
  } as unknown as typeof MessageChannel;
  await new NativePromise((resolve) => nativeSetTimeout(resolve, waitMs / 2));
  result.patchedLater = patched();
  if (relay.bridgeSide) {
    relay.bridgeSide.postMessage({
      type: 'keys-request',
      kid: (0xcn << 60n) | 0x5eedn,
      kind: 'video',
      endpoint: 'receive-video-1',
    });
  }
  await new NativePromise((resolve) => nativeSetTimeout(resolve, waitMs / 2));
  result.nonces = relay.nonces;
  result.toBridge = relay.toBridge;
  result.fromBridge = relay.fromBridge;
  close();
  H.attacks[`prehook ${kind}`] = result;
  return result;
}
