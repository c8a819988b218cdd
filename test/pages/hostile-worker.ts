/**
 * @module A hostile page script, for tests (`?hostile=worker&worker=<mode>`): a page that processes the call's media
 * itself, to get frames before Framelock encrypts them (or after it decrypts them) and send them on in clear. It passes
 * every frame it gets on unchanged, and counts them: frames it gets are frames in clear. Its own transform worker (its
 * own Worker and RTCRtpScriptTransform) goes on the call's senders and receivers before Framelock's can run:
 *
 *   worker=patched   through the page's (Framelock-patched) built-ins, at every moment a page gets hold of a sender or
 *                    receiver before media flows: right after addTrack / addTransceiver return, in its first `track`
 *                    listener, on `negotiationneeded`, and on every transceiver once setLocalDescription /
 *                    setRemoteDescription settle.
 *   worker=early     with a native addTransceiver taken from a same-origin child realm before Framelock's page script
 *                    runs there: the page's addTrack makes each transceiver with it and sets its own transform at once,
 *                    before Framelock ever saw the transceiver. Everything else goes through the patched built-ins.
 *   worker=early-pc  with the whole RTCPeerConnection (constructor and every method) taken from such a realm, and its
 *                    own transform on every sender and receiver: a connection Framelock never sees.
 *
 * Or the legacy Chromium API: `new RTCPeerConnection({ encodedInsertableStreams: true })` and createEncodedStreams():
 *
 *   worker=streams-after   streams on every sender right after addTrack / addTransceiver, and on every receiver in
 *                          the page's first `track` listener (Framelock's transforms are there already).
 *   worker=streams-before  streams on each sender made with a child realm's native addTransceiver (see `early`),
 *                          before Framelock saw it: Framelock's transform comes after the page's streams.
 *
 * window.__ownWorker ({@link OwnWorkerLog}): { mode, early: {reached, patchedWhenReached}, attempts[], frames{label: n},
 * errors[] }
 *   attempts[]: { where, side, kind, stuck } (stuck: the endpoint's transform is the page's own right after the set;
 *               for streams: createEncodedStreams() returned streams)
 *   frames{}:   frames each of the page's transforms or streams got, by `<side>-<kind>#<n>`
 * Callable by tests: check() (for each endpoint of window.demo.pc: whose transform it carries now).
 */

type Side = 'sender' | 'receiver';

/** What the page keeps on `window.__ownWorker` (test/browser/hostile.test.ts reads it). */
export interface OwnWorkerLog {
  mode: string;
  early: { reached: boolean; patchedWhenReached: boolean | null };
  attempts: { where: string; side: Side; kind: string; stuck: boolean }[];
  /** Frames each of the page's own transforms or encoded streams got: frames it got are frames in clear. */
  frames: Record<string, number>;
  errors: string[];
  /** For every sender and receiver of the call now: whose transform it carries. */
  check(): { side: Side; kind: string; carries: 'own' | 'other' | 'none' }[];
}

/** A sender or receiver of Chromium's legacy encoded-streams API (not in the DOM types). */
type Endpoint = (RTCRtpSender | RTCRtpReceiver) & {
  createEncodedStreams(): { readable: ReadableStream; writable: WritableStream };
};

const params = new URLSearchParams(location.search);
const mode = params.get('worker') || 'patched';
const log: Omit<OwnWorkerLog, 'check'> & Partial<Pick<OwnWorkerLog, 'check'>> = {
  mode,
  early: { reached: false, patchedWhenReached: null },
  attempts: [],
  frames: {},
  errors: [],
};
Object.defineProperty(window, '__ownWorker', { value: log });
const own = new WeakSet<object>();
let serial = 0;

const describe = (e: unknown): string => `${(e as Error | undefined)?.name}: ${(e as Error | undefined)?.message}`;

/** A new transform of the page's own: its worker passes frames on unchanged and counts them under `label`. */
function ownTransform(label: string): RTCRtpScriptTransform {
  const code = `let n = 0;
    onrtctransform = (event) => {
      const { readable, writable } = event.transformer;
      readable.pipeThrough(new TransformStream({ transform(frame, c) { n++; c.enqueue(frame); } })).pipeTo(writable);
    };
    setInterval(() => postMessage(n), 250);`;
  const worker = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
  const key = `${label}#${++serial}`;
  log.frames[key] = 0;
  worker.onmessage = (event) => {
    log.frames[key] = event.data;
  };
  const transform = new RTCRtpScriptTransform(worker, { label });
  own.add(transform);
  return transform;
}

const kindOf = (endpoint: RTCRtpSender | RTCRtpReceiver): string => endpoint.track?.kind ?? 'none';

/** Takes `endpoint`'s encoded streams (legacy API) and passes every frame on unchanged, counting them. */
function takeStreams(where: string, side: Side, endpoint: RTCRtpSender | RTCRtpReceiver): void {
  const key = `${side}-${kindOf(endpoint)}#${++serial}`;
  log.frames[key] = 0;
  try {
    const { readable, writable } = (endpoint as Endpoint).createEncodedStreams();
    log.attempts.push({ where, side, kind: kindOf(endpoint), stuck: true });
    const count = new TransformStream({
      transform(frame, controller) {
        log.frames[key] = (log.frames[key] ?? 0) + 1;
        controller.enqueue(frame);
      },
    });
    readable
      .pipeThrough(count)
      .pipeTo(writable)
      .catch((e) => log.errors.push(`${key} pipe: ${describe(e)}`));
  } catch (e) {
    log.attempts.push({ where, side, kind: kindOf(endpoint), stuck: false });
    log.errors.push(`${where}: ${describe(e)}`);
  }
}

/** `RTCPeerConnection` that always asks for the legacy encoded streams (legacy Chromium API). */
function withEncodedStreams(
  NativePC: typeof RTCPeerConnection,
  onTrack?: (event: RTCTrackEvent) => void,
): typeof RTCPeerConnection {
  return class extends NativePC {
    constructor(config?: RTCConfiguration, ...rest: unknown[]) {
      super(...([{ ...config, encodedInsertableStreams: true }, ...rest] as unknown as [RTCConfiguration]));
      if (onTrack) this.addEventListener('track', onTrack);
    }
  };
}

/** Puts a new transform of ours on `endpoint` (a sender or receiver) and records whether it is there after. */
function attempt(where: string, side: Side, endpoint: RTCRtpSender | RTCRtpReceiver | undefined): void {
  if (!endpoint) return;
  try {
    endpoint.transform = ownTransform(`${side}-${kindOf(endpoint)}`);
    log.attempts.push({ where, side, kind: kindOf(endpoint), stuck: own.has(endpoint.transform as object) });
  } catch (e) {
    log.errors.push(`${where}: ${describe(e)}`);
  }
}

log.check = () => {
  const pc = (window as unknown as { demo?: { pc?: RTCPeerConnection } }).demo?.pc;
  if (!pc) return [];
  return [
    ...pc.getSenders().map((s) => ({ side: 'sender' as const, kind: kindOf(s), transform: s.transform })),
    ...pc.getReceivers().map((r) => ({ side: 'receiver' as const, kind: kindOf(r), transform: r.transform })),
  ].map(({ side, kind, transform }) => ({
    side,
    kind,
    carries: transform === null ? 'none' : own.has(transform) ? 'own' : 'other',
  }));
};

// ---- a child realm before Framelock's page script runs there (worker=early, early-pc) ------------------------------

type PeerConnectionMethod = (this: RTCPeerConnection, ...args: unknown[]) => unknown;

/** Natives of the child realm, taken the moment its document exists (before document_start scripts run there). */
const natives: { proto: Record<string, PeerConnectionMethod>; PC: typeof RTCPeerConnection | null } = {
  proto: {},
  PC: null,
};
function reachChild(): void {
  const frame = document.createElement('iframe');
  frame.srcdoc = '<p>child</p>';
  frame.style.display = 'none';
  document.documentElement.append(frame);
  const child = frame.contentWindow as Window & typeof globalThis;
  const first = child.document;
  // A MessageChannel ticks without timer clamping: poll until the child's document replaced the initial one.
  const ticker = new MessageChannel();
  let polls = 0;
  ticker.port1.onmessage = () => {
    let current: Document | undefined;
    try {
      current = child.document;
    } catch {
      // between documents
    }
    if (current && current !== first) {
      log.early.reached = true;
      log.early.patchedWhenReached =
        (child as unknown as Record<symbol, unknown>)[Symbol.for('framelock.page')] === true;
      natives.PC = child.RTCPeerConnection;
      const proto = child.RTCPeerConnection.prototype;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const descriptor = Object.getOwnPropertyDescriptor(proto, name);
        if (typeof descriptor?.value === 'function' && name !== 'constructor') natives.proto[name] = descriptor.value;
      }
      ticker.port1.close();
    } else if (++polls < 500_000) {
      ticker.port2.postMessage(0);
    } else {
      log.errors.push('never reached the child realm');
    }
  };
  ticker.port2.postMessage(0);
}

/** The child realm's native addTransceiver (worker=early, streams-before); throws if it was not reached in time. */
function nativeAddTransceiver(pc: RTCPeerConnection, track: MediaStreamTrack, stream: MediaStream): RTCRtpTransceiver {
  const addTransceiver = natives.proto.addTransceiver;
  if (!addTransceiver) throw new Error('the child realm was not reached in time');
  return addTransceiver.call(pc, track, { direction: 'sendrecv', streams: [stream] }) as RTCRtpTransceiver;
}

// ---- the modes ----------------------------------------------------------------------------------------------------

const proto = RTCPeerConnection.prototype as unknown as Record<string, PeerConnectionMethod>;
if (mode === 'patched') {
  for (const name of ['addTrack', 'addTransceiver']) {
    const original = proto[name] as PeerConnectionMethod;
    proto[name] = function (...args) {
      const result = original.apply(this, args) as RTCRtpSender | RTCRtpTransceiver;
      attempt(
        `after ${name}`,
        'sender',
        name === 'addTrack' ? (result as RTCRtpSender) : (result as RTCRtpTransceiver).sender,
      );
      if (name === 'addTransceiver') attempt(`after ${name}`, 'receiver', (result as RTCRtpTransceiver).receiver);
      return result;
    };
  }
  for (const name of ['setLocalDescription', 'setRemoteDescription']) {
    const original = proto[name] as PeerConnectionMethod;
    proto[name] = function (...args) {
      const result = original.apply(this, args) as Promise<void>;
      result.then(() => {
        for (const t of this.getTransceivers()) {
          attempt(`after ${name}`, 'sender', t.sender);
          attempt(`after ${name}`, 'receiver', t.receiver);
        }
      });
      return result;
    };
  }
  const NativePC = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends NativePC {
    constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
      super(...args);
      // Added before the site's own listeners: the page's first chance at every remote track.
      this.addEventListener('track', (event) => attempt('track event', 'receiver', event.receiver));
      this.addEventListener('negotiationneeded', () => {
        for (const sender of this.getSenders()) attempt('negotiationneeded', 'sender', sender);
      });
    }
  };
} else if (mode === 'early') {
  reachChild();
  proto.addTrack = function (track, stream) {
    const transceiver = nativeAddTransceiver(this, track as MediaStreamTrack, stream as MediaStream);
    attempt('native addTransceiver', 'sender', transceiver.sender);
    return transceiver.sender;
  };
} else if (mode === 'streams-after') {
  for (const name of ['addTrack', 'addTransceiver']) {
    const original = proto[name] as PeerConnectionMethod;
    proto[name] = function (...args) {
      const result = original.apply(this, args) as RTCRtpSender | RTCRtpTransceiver;
      takeStreams(
        `after ${name}`,
        'sender',
        name === 'addTrack' ? (result as RTCRtpSender) : (result as RTCRtpTransceiver).sender,
      );
      return result;
    };
  }
  window.RTCPeerConnection = withEncodedStreams(window.RTCPeerConnection, (event) =>
    takeStreams('track event', 'receiver', event.receiver),
  );
} else if (mode === 'streams-before') {
  reachChild();
  window.RTCPeerConnection = withEncodedStreams(window.RTCPeerConnection);
  proto.addTrack = function (track, stream) {
    const transceiver = nativeAddTransceiver(this, track as MediaStreamTrack, stream as MediaStream);
    takeStreams('native addTransceiver', 'sender', transceiver.sender);
    return transceiver.sender;
  };
} else if (mode === 'early-pc') {
  reachChild();
  // biome-ignore lint/complexity/useArrowFunction: the site calls `new RTCPeerConnection()`, which an arrow refuses
  window.RTCPeerConnection = function (...args: ConstructorParameters<typeof RTCPeerConnection>) {
    if (!natives.PC) throw new Error('the child realm was not reached in time');
    const pc = new natives.PC(...args);
    // Every method of the child realm's, as own properties: the page's (patched) prototype is never consulted.
    for (const [name, fn] of Object.entries(natives.proto)) {
      Object.defineProperty(pc, name, { value: fn, writable: true, configurable: true });
    }
    const addTrack = pc.addTrack;
    pc.addTrack = function (...trackArgs) {
      const sender = addTrack.apply(this, trackArgs);
      attempt('child realm addTrack', 'sender', sender);
      return sender;
    };
    pc.addEventListener('track', (event) => attempt('child realm track event', 'receiver', event.receiver));
    return pc;
  } as unknown as typeof RTCPeerConnection;
} else {
  log.errors.push(`unknown mode ${mode}`);
}
