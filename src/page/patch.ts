/**
 * @module The RTCPeerConnection patch: every sender and receiver of every connection built with this realm's
 * constructor gets exactly one Framelock transform, whatever path the site takes (addTrack, addTransceiver with or
 * without a track, transceivers from a remote offer, renegotiation); another realm's connections are left to the
 * patch of that realm. replaceTrack, setParameters and restartIce keep the sender, so its transform stays.
 * Where the site still removes one (through another realm's native setter), watch.ts puts ours back.
 *
 * Patches are Proxies of the native functions (proxy.ts): `instanceof`, `toString()` and prototypes look native to the
 * site. Everything runs on built-ins saved before any page script (natives.ts).
 */
import { MAX_TRACK_ID_LENGTH, type TransformOptions, type WorkerToPage } from '../shared/messages/page-worker';
import type { MediaKind } from '../shared/messages/schema';
import { type DataChannels, installDataChannels } from './data-channels';
import type { DataLink } from './data-link';
import { natives as N } from './natives';
import { proxyOf } from './proxy';
import { createTransformWatch, type Side } from './watch';

/** Options as this script makes them: it always names the session (the worker falls back only for a missing id). */
type OurTransformOptions = TransformOptions & { id: string };

const { apply } = N;

/**
 * Reports that the site tried to process protected media itself: it set its own transform (ours stays) or created
 * encoded streams (they receive no frames while ours runs); or that it removed our transform from a sender or receiver
 * anyway (`transform_removed`, once per check that found any: ours is back, but media may have left unprotected).
 */
export type Report = (what: 'transform_replaced' | 'encoded_streams' | 'transform_removed') => void;

/** What the page script can still do with a patched realm. */
export interface Patch {
  /**
   * Fail closed for good: closes every connection we know and makes new ones throw `message`. For a site that keeps
   * removing our encryption (each removal may let a frame out before the restore).
   */
  block(message: string): void;
  /**
   * Not an enabled site's frame (Firefox: another port of its host): connections built from now on are the browser's
   * own, untouched (the worker passes the frames of those built before).
   */
  standAside(): void;
  /**
   * Moves every sender and receiver we attached to `next`, a new worker that replaces one that stopped: each gets a
   * fresh transform of ours on `next`, with the same options (a new worker has no sessions, so its senders start with
   * new KIDs and counters), and new transforms from now on run there.
   */
  restart(next: Worker): void;
}

/**
 * Whether `value` is a media kind. Not shared/messages' `isMediaKind`: that is a valibot check, which calls built-ins
 * the page may have replaced by now (Array.prototype.includes); two comparisons call nothing.
 */
function isKind(value: unknown): value is MediaKind {
  return value === 'audio' || value === 'video';
}

/**
 * Patches this realm's RTCPeerConnection for media (our transforms on every sender and receiver) and, given a
 * `dataLink`, for the site's own data-channel messages (data-channels.ts); without one, data channels stay native.
 */
export function installPatch(first: Worker, report: Report, dataLink?: DataLink): Patch | undefined {
  /** The worker our transforms run in: the first, then each that replaced a stopped one ({@link Patch.restart}). */
  let worker = first;
  const NativePC = N.RTCPeerConnection;
  const ScriptTransform = N.RTCRtpScriptTransform;
  if (NativePC === undefined || ScriptTransform === undefined || N.getTransceivers === undefined) return undefined;
  const Transform: NonNullable<typeof ScriptTransform> = ScriptTransform;
  const proto = NativePC.prototype;
  /** Senders and receivers that carry our transform. */
  const attached = new N.WeakSet<object>();
  /**
   * Our transform objects, each bound to the one sender or receiver it was made for: the guarded `transform` setter
   * lets one through only onto that endpoint. Moved elsewhere (a sender's onto a receiver, or onto another sender), it
   * would run the wrong session there: a receiver's session on a sender passes the encoder's frames on in clear.
   */
  const ours = new N.WeakMap<object, object>();
  const has = (set: WeakSet<object>, value: unknown) => apply(N.weakSetHas, set, [value]) as boolean;
  const add = (set: WeakSet<object>, value: object) => apply(N.weakSetAdd, set, [value]);
  const boundTo = (transform: unknown): unknown =>
    typeof transform === 'object' && transform !== null ? apply(N.weakMapGet, ours, [transform]) : undefined;
  let serial = 0;
  /** Every connection this realm's constructor built (weakly): a check sweeps them all, {@link Patch.block} closes them. */
  const connections = new N.Map<object, WeakRef<object>>();
  /**
   * The same connections, to tell them apart: only these get our transforms here. Another realm of the page runs its
   * own patch, with its own worker, for the connections its constructor built; a site that calls one realm's methods on
   * the other's connection (a same-origin frame's `getTransceivers` on the page's connection) must not make both attach
   * their transforms in turn, each seeing the other's as a removal (and the site blocked for tampering).
   */
  const seen = new N.WeakSet<object>();
  /** Set by {@link Patch.block}: new connections throw this. */
  let blocked: string | undefined;
  /** Set by {@link Patch.standAside}: new connections are the browser's own. */
  let standingAside = false;

  function setterOf(side: Side) {
    return (side === 'send' ? N.senderTransform : N.receiverTransform)?.set;
  }

  /** A new transform of ours, attached to `target` with the saved native setter (which throws for a foreign object). */
  function attachNew(target: object, side: Side, options: OurTransformOptions): object {
    const transform = new Transform(worker, options);
    apply(N.weakMapSet, ours, [transform, target]);
    apply(setterOf(side) as (value: unknown) => void, target, [transform]);
    return transform;
  }

  const watch = createTransformWatch<OurTransformOptions>({
    current: (endpoint, side) => {
      const get = (side === 'send' ? N.senderTransform : N.receiverTransform)?.get;
      return get === undefined ? undefined : apply(get, endpoint, []);
    },
    // The same options, id included: the worker goes on with the same session (same KID and counter for a sender; a
    // receiver that delivered authenticated frames keeps refusing plaintext).
    reattach: attachNew,
    idOf: (options) => options.id,
  });

  function remember(pc: object): void {
    add(seen, pc);
    const ref = new N.WeakRef(pc);
    apply(N.mapSet, connections, [ref, ref]);
  }

  /** Re-checks everything: our transforms still attached, every sender and receiver of every connection protected. */
  function check(): void {
    let removed = watch.verifyAll();
    apply(N.mapForEach, connections, [
      (ref: WeakRef<object>) => {
        const pc = apply(N.weakRefDeref, ref, []) as object | undefined;
        if (pc === undefined) apply(N.mapDelete, connections, [ref]);
        else if (sweep(pc)) removed = true;
      },
    ]);
    if (removed) report('transform_removed');
  }
  /**
   * From our worker (src/worker/transform.ts): null when one of our transforms stopped (check them all), or the id of
   * a session whose transform was put back and gets no frames (attach a fresh one: src/worker/feed.ts). The data is
   * read with the getter saved before the page ran: the page may have hooked MessageEvent.prototype.data, and it never
   * gets our Worker object, so it cannot post or dispatch here.
   */
  function onWorkerMessage(event: Event): void {
    let data: unknown = null;
    try {
      data = N.messageEventData === undefined ? null : apply(N.messageEventData, event, []);
    } catch {
      // not a MessageEvent: treat it as a stop
    }
    // A hardened check of WorkerToPage (src/shared/messages/page-worker.ts), not its valibot schema: `typeof` calls
    // nothing the page could have replaced. Any other string renews nothing (no session has that id).
    const message = (typeof data === 'string' ? data : null) satisfies WorkerToPage;
    if (message !== null) watch.renew(message);
    else check();
  }
  apply(N.workerAddEventListener, worker, ['message', onWorkerMessage]);

  function trackKind(track: unknown): MediaKind | undefined {
    if (track === null || track === undefined || N.trackKind === undefined) return undefined;
    const kind = apply(N.trackKind, track, []);
    return isKind(kind) ? kind : undefined;
  }

  /** Attaches ours to `target` if it has none of ours yet, or again if the site removed it (then returns true). */
  function attach(target: object, side: Side, kind: MediaKind): boolean {
    if (has(attached, target)) return watch.verify(target);
    if (setterOf(side) === undefined) return false;
    const id = `${side}-${kind}-${++serial}`;
    // A receiver's track never changes: its id lets the in-page indicator find the <video> that shows it. The remote
    // side names it (SDP msid), so one too long for the counters is left out rather than have the worker refuse the
    // options. (Object literals only: an assignment could run a setter the page put on Object.prototype.)
    const trackId =
      side === 'receive' && N.receiverTrack !== undefined && N.trackId !== undefined
        ? apply(N.trackId, apply(N.receiverTrack, target, []), [])
        : undefined;
    const options: OurTransformOptions =
      typeof trackId === 'string' && trackId.length <= MAX_TRACK_ID_LENGTH
        ? { side, kind, id, trackId }
        : { side, kind, id };
    watch.add(target, side, attachNew(target, side, options), options);
    add(attached, target);
    watch.every(check);
    return false;
  }

  /** Attaches ours to the transceiver's sender and receiver. Returns whether the site had removed one of ours. */
  function attachTransceiver(transceiver: unknown): boolean {
    if (N.transceiverSender === undefined || N.transceiverReceiver === undefined) return false;
    const sender = apply(N.transceiverSender, transceiver, []) as object;
    const receiver = apply(N.transceiverReceiver, transceiver, []) as object;
    // A receiver always has a track of the transceiver's kind; a sender may have none yet.
    const kind =
      trackKind(N.receiverTrack ? apply(N.receiverTrack, receiver, []) : undefined) ??
      trackKind(N.senderTrack ? apply(N.senderTrack, sender, []) : undefined);
    if (kind === undefined) return false;
    const sent = attach(sender, 'send', kind);
    return attach(receiver, 'receive', kind) || sent;
  }

  /**
   * Protects every sender and receiver of `pc`, if this realm's constructor built it. Returns whether the site had
   * removed one of our transforms.
   */
  function sweep(pc: unknown): boolean {
    if (!has(seen, pc)) return false; // not a connection, or another realm's (its own patch protects it)
    let removed = false;
    try {
      const transceivers = apply(N.getTransceivers as () => RTCRtpTransceiver[], pc, []);
      // Index loop: the page may have replaced Array.prototype[Symbol.iterator].
      for (let i = 0; i < transceivers.length; i++) {
        if (attachTransceiver(transceivers[i])) removed = true;
      }
    } catch {
      // not a real RTCPeerConnection, or closed: nothing to attach
    }
    return removed;
  }

  function sweepAndReport(pc: unknown): void {
    if (sweep(pc)) report('transform_removed');
  }

  /** Replaces proto[name] with a Proxy that sweeps the connection after the native call (and after its promise). */
  function sweepAfter(name: keyof RTCPeerConnection): void {
    const descriptor = N.getDescriptor(proto, name);
    const native = descriptor?.value as ((...args: unknown[]) => unknown) | undefined;
    if (descriptor === undefined || typeof native !== 'function') return;
    const wrapped = proxyOf(native, {
      apply(target, thisArg, args) {
        const result = apply(target, thisArg, args);
        sweepAndReport(thisArg);
        if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
          apply(N.promiseThen, result, [() => sweepAndReport(thisArg), () => {}]);
        }
        return result;
      },
    });
    N.defineProperty(proto, name, { ...descriptor, value: wrapped });
  }

  // Before the sweeps below: they wrap the SDP methods as the data-channel patch left them.
  const dataChannels: DataChannels | undefined = dataLink === undefined ? undefined : installDataChannels(dataLink);

  for (const name of [
    'addTrack',
    'addTransceiver',
    'setLocalDescription',
    'setRemoteDescription',
    'createOffer',
    'createAnswer',
    'getSenders',
    'getReceivers',
    'getTransceivers',
  ] as const) {
    sweepAfter(name);
  }

  // The transform property: ours cannot be replaced or cleared by the site (it is told nothing; peers would flag
  // the plaintext anyway). Non-configurable, so the site cannot redefine it either.
  for (const [ctorProto, descriptor] of [
    [globalThis.RTCRtpSender?.prototype, N.senderTransform],
    [globalThis.RTCRtpReceiver?.prototype, N.receiverTransform],
  ] as const) {
    const set = descriptor?.set;
    const get = descriptor?.get;
    if (ctorProto === undefined || descriptor === undefined || set === undefined) continue;
    const guarded = proxyOf(set, {
      apply(target, thisArg, args) {
        const endpoint = boundTo(args[0]);
        if (endpoint !== undefined && endpoint === thisArg) return apply(target, thisArg, args);
        // One of ours on another endpoint than its own: refused, whatever that endpoint carries now.
        if (endpoint !== undefined) {
          report('transform_replaced');
          return undefined;
        }
        // A sender or receiver that already carries a transform keeps it, whoever set it: the site may call this
        // realm's setter on a sender of another realm (another frame's RTCPeerConnection), whose transform is one of
        // that realm's, unknown to this realm's `attached` set.
        let current: unknown = null;
        try {
          current = get === undefined ? null : apply(get, thisArg, []);
        } catch {
          return apply(target, thisArg, args); // not a sender or receiver: the native setter throws as it should
        }
        if (!has(attached, thisArg) && (current === null || current === undefined)) return apply(target, thisArg, args);
        report('transform_replaced');
        return undefined;
      },
    });
    N.defineProperty(ctorProto, 'transform', { ...descriptor, set: guarded, configurable: false });
  }

  // createEncodedStreams on a protected sender or receiver: Chromium hands the site streams that receive no frames
  // while our transform runs. The call keeps working, encrypted; the site's own processing silently would not, so
  // it is reported.
  for (const ctorProto of [globalThis.RTCRtpSender?.prototype, globalThis.RTCRtpReceiver?.prototype]) {
    const descriptor = ctorProto ? N.getDescriptor(ctorProto, 'createEncodedStreams') : undefined;
    const native = descriptor?.value as ((...args: unknown[]) => unknown) | undefined;
    if (ctorProto === undefined || descriptor === undefined || typeof native !== 'function') continue;
    const wrapped = proxyOf(native, {
      apply(target, thisArg, args) {
        if (has(attached, thisArg)) report('encoded_streams');
        return apply(target, thisArg, args);
      },
    });
    N.defineProperty(ctorProto, 'createEncodedStreams', { ...descriptor, value: wrapped });
  }

  // New connections: attach receivers from the track event before the site's own listeners see them.
  const onTrack = (event: Event) => {
    try {
      const transceiver = N.transceiverOfTrackEvent ? apply(N.transceiverOfTrackEvent, event, []) : undefined;
      if (transceiver && attachTransceiver(transceiver)) report('transform_removed');
    } catch {
      // a synthetic event: nothing to attach
    }
  };
  const PatchedPC = proxyOf(NativePC, {
    construct(target, args, newTarget) {
      if (blocked !== undefined) throw new N.DOMException(blocked, 'NotSupportedError');
      const pc = N.construct(target, args, newTarget) as RTCPeerConnection;
      if (standingAside) return pc;
      apply(N.addEventListener, pc, ['track', onTrack]);
      dataChannels?.adopt(pc);
      remember(pc);
      return pc;
    },
  });
  for (const name of ['RTCPeerConnection', 'webkitRTCPeerConnection']) {
    const descriptor = N.getDescriptor(window, name);
    if (descriptor?.value === NativePC) N.defineProperty(window, name, { ...descriptor, value: PatchedPC });
  }
  const constructorDescriptor = N.getDescriptor(proto, 'constructor');
  if (constructorDescriptor) N.defineProperty(proto, 'constructor', { ...constructorDescriptor, value: PatchedPC });

  return {
    restart(next) {
      worker = next;
      apply(N.workerAddEventListener, next, ['message', onWorkerMessage]);
      watch.renewAll();
    },
    standAside() {
      standingAside = true;
    },
    block(message) {
      blocked = message;
      const close = N.closeConnection;
      if (close === undefined) return;
      apply(N.mapForEach, connections, [
        (ref: WeakRef<object>) => {
          const pc = apply(N.weakRefDeref, ref, []);
          try {
            if (pc !== undefined) apply(close, pc, []);
          } catch {
            // already closed
          }
        },
      ]);
    },
  };
}

/**
 * Fail closed: when calls on an enabled site cannot be protected (no transform API, the site's CSP blocks our
 * worker), new connections throw instead of carrying media in clear. The user enabled end-to-end encryption here;
 * the badge and the options page say why calls fail and how to call without it (disable the site).
 */
export function installBlock(message: string): void {
  const NativePC = N.RTCPeerConnection;
  if (NativePC === undefined) return;
  const Blocked = proxyOf(NativePC, {
    construct() {
      throw new N.DOMException(message, 'NotSupportedError');
    },
  });
  for (const name of ['RTCPeerConnection', 'webkitRTCPeerConnection']) {
    const descriptor = N.getDescriptor(window, name);
    if (descriptor?.value === NativePC) N.defineProperty(window, name, { ...descriptor, value: Blocked });
  }
}
