/**
 * @module Attacks on the call's transforms: clearing or replacing them directly, redefining or deleting the setter,
 * shadowing it; and clearing or replacing them with the native setter of another realm of this page (a fresh
 * about:blank frame, or a frame reached before Framelock's page script runs there). The page's own replacement is a
 * pass-through transform that counts the frames it gets: on a sender, each is a frame that left unencrypted.
 */
import type { CrossRealmResult, OwnTransform, OwnTransformState, ReplacedNow } from './api.ts';
import { reachChild } from './child-realm.ts';
import { error, H } from './log.ts';
import { apply, defineProperty, getDescriptor, NativePromise, nativeSetTimeout, O, push } from './natives.ts';
import { senderAndReceivers } from './walk-transforms.ts';

/** Framelock's page script marks a realm it patched with this symbol (src/page/). */
const PATCHED = Symbol.for('framelock.page');

/**
 * A pass-through transform worker of the page's own, counting the frames it gets (to see whether it ever runs; on a
 * sender, each is a frame that left without Framelock's encryption). `started` once its worker holds the transformer.
 */
export function ownTransform(label: string): OwnTransform {
  const code = `let n = 0; const report = () => postMessage({ label: ${JSON.stringify(label)}, frames: n });
    onrtctransform = (e) => { const t = e.transformer; self.kept = t; t.readable.pipeThrough(new TransformStream({
    transform(frame, c) { n++; c.enqueue(frame); } })).pipeTo(t.writable).catch(() => {}); report(); };
    onmessage = (e) => { const end = Date.now() + e.data.busyMs; while (Date.now() < end) {} };
    setInterval(report, 500);`;
  const worker = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
  const state: OwnTransformState = { frames: 0, started: false };
  worker.onmessage = (event) => {
    state.frames = event.data.frames;
    state.started = true;
  };
  return { transform: new RTCRtpScriptTransform(worker, { label }), state, worker };
}

/** Tries to clear and replace every transform, directly and through a fresh about:blank frame's native setter. */
export function attackTransforms(): Record<string, unknown> {
  const attacks: Record<string, unknown> = {};
  const endpoints = senderAndReceivers();
  const record = (name: string, fn: () => unknown) => {
    try {
      attacks[name] = fn();
    } catch (e) {
      attacks[name] = `threw ${(e as Error | undefined)?.name}: ${(e as Error | undefined)?.message}`;
    }
  };
  type Snapshot = [string, { transform: unknown }, unknown][];
  const kept = (list: Snapshot) =>
    list.map(([side, endpoint, before]) => `${side}:${endpoint.transform === before}`).join(' ');
  const snapshot = (): Snapshot => endpoints.map(([side, endpoint]) => [side, endpoint, endpoint.transform]);

  record('set null', () => {
    const before = snapshot();
    for (const [, endpoint] of endpoints) endpoint.transform = null;
    return `kept ${kept(before)}`;
  });
  const own: Record<string, OwnTransformState> = {};
  record('set own transform', () => {
    const before = snapshot();
    for (const [side, endpoint] of endpoints) {
      const label = `${side}-${endpoint.track?.kind}`;
      const made = ownTransform(label);
      own[label] = made.state;
      endpoint.transform = made.transform;
    }
    return `kept ${kept(before)}`;
  });
  attacks.ownTransformFrames = own;
  record('redefine RTCRtpSender.prototype.transform', () => {
    defineProperty(RTCRtpSender.prototype, 'transform', { value: null, writable: true, configurable: true });
    return 'redefined';
  });
  // A sloppy-mode delete (the bundle has no "use strict": test/server/page-scripts.ts): false, not a TypeError.
  record('delete RTCRtpSender.prototype.transform', () =>
    String(delete (RTCRtpSender.prototype as Partial<RTCRtpSender>).transform),
  );
  record('own property on a sender', () => {
    const [, sender] = endpoints.find(([side]) => side === 'sender') ?? [];
    if (!sender) return 'no sender';
    defineProperty(sender, 'transform', { value: null, configurable: true });
    const shadowed = sender.transform === null;
    delete (sender as Partial<RTCRtpSender | RTCRtpReceiver>).transform;
    return `shadowed=${shadowed} (an own property changes what the page reads, not what the sender does)`;
  });
  O.assign(H.attacks, attacks);
  return attacks;
}

/**
 * Clears every transform (`replacement` null), or replaces it with a pass-through transform of the page's own
 * (`replacement` 'own'; 'ready': made ahead, and swapped in only once its worker runs, so that it takes frames at
 * once), with the native setter of another realm of this page: `source` 'blank', a fresh about:blank frame, where
 * Framelock's page script has run (with its own bookkeeping); or 'early', a srcdoc frame whose setter it takes
 * before Framelock's page script runs there. Returns whether that realm was patched when its setter was taken, which
 * endpoints kept their transform right after the attempt, and the frame counts of the page's own transforms
 * (`replacedNow()` says later which still carry what the page set).
 */
export async function crossRealmClear(
  replacement: 'own' | 'ready' | null = null,
  source: 'blank' | 'early' = 'blank',
  busyMs = 0,
): Promise<CrossRealmResult> {
  const endpoints = senderAndReceivers();
  const own: Record<string, OwnTransformState> = {};
  const made: Record<string, OwnTransform> = {};
  if (replacement === 'ready') {
    for (const [side, endpoint] of endpoints) {
      const label = `${side}-${endpoint.track?.kind}`;
      const transform = ownTransform(label);
      made[label] = transform;
      own[label] = transform.state;
    }
    for (let i = 0; i < 100 && !Object.values(own).every((state) => state.started); i++) {
      await new NativePromise((resolve) => nativeSetTimeout(resolve, 50));
    }
  }
  let realm: (Window & typeof globalThis) | null;
  let close = () => {};
  if (source === 'early') {
    const reached = await reachChild('srcdoc');
    realm = reached.realm;
    close = reached.close;
  } else {
    const frame = document.createElement('iframe');
    frame.style.display = 'none';
    document.body.append(frame);
    realm = frame.contentWindow as (Window & typeof globalThis) | null;
  }
  // As before the split: a realm never reached throws here, and the test sees the rejection.
  const other = realm as Window & typeof globalThis;
  const result: CrossRealmResult = {
    source,
    framePatched: (other as unknown as Record<symbol, unknown>)[PATCHED] === true,
    kept: {},
    ownTransformFrames: own,
  };
  const setters = {
    sender: getDescriptor(other.RTCRtpSender.prototype, 'transform')?.set,
    receiver: getDescriptor(other.RTCRtpReceiver.prototype, 'transform')?.set,
  };
  H.lastOwn = own;
  H.replaced = [];
  // 'ready' with busyMs: the page's transform workers are busy when their transforms are attached and when Framelock
  // detaches them again (everything the browser does there waits until they are free).
  if (busyMs > 0) for (const { worker } of O.values(made)) worker.postMessage({ busyMs });
  for (const [side, endpoint] of endpoints) {
    const label = `${side}-${endpoint.track?.kind}`;
    const before = endpoint.transform;
    let value: RTCRtpScriptTransform | null = null;
    if (replacement === 'own') {
      const transform = ownTransform(label);
      made[label] = transform;
      own[label] = transform.state;
    }
    const mine = made[label];
    if (mine) value = mine.transform;
    try {
      apply(setters[side] as (value: unknown) => void, endpoint, [value]);
    } catch (e) {
      error('crossRealmClear', e);
    }
    result.kept[label] = endpoint.transform === before;
    push(H.replaced, [label, endpoint, value]);
  }
  close();
  H.attacks[`crossRealmClear ${source}`] = result;
  return result;
}

/**
 * After crossRealmClear: each endpoint's label, whether it still carries what the page set there, and whether it
 * carries a transform at all; and how many frames each of the page's own transforms got so far.
 */
export function replacedNow(): ReplacedNow {
  const endpoints = (H.replaced ?? []).map(([label, endpoint, value]) => ({
    label,
    stillReplaced: endpoint.transform === value,
    hasTransform: endpoint.transform instanceof RTCRtpScriptTransform,
  }));
  const frames = O.fromEntries(O.entries(H.lastOwn ?? {}).map(([label, state]) => [label, state.frames]));
  return { endpoints, frames };
}
