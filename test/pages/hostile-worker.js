// A hostile page script, for tests (`?hostile=worker&worker=<mode>`): a page that processes the call's media itself,
// to get frames before Framelock encrypts them (or after it decrypts them) and send them on in clear. It passes every
// frame it gets on unchanged, and counts them: frames it gets are frames in clear. Its own transform worker (its own
// Worker and RTCRtpScriptTransform) goes on the call's senders and receivers before Framelock's can run:
//
//   worker=patched   through the page's (Framelock-patched) built-ins, at every moment a page gets hold of a sender or
//                    receiver before media flows: right after addTrack / addTransceiver return, in its first `track`
//                    listener, on `negotiationneeded`, and on every transceiver once setLocalDescription /
//                    setRemoteDescription settle.
//   worker=early     with a native addTransceiver taken from a same-origin child realm before Framelock's page script
//                    runs there: the page's addTrack makes each transceiver with it and sets its own transform at once,
//                    before Framelock ever saw the transceiver. Everything else goes through the patched built-ins.
//   worker=early-pc  with the whole RTCPeerConnection (constructor and every method) taken from such a realm, and its
//                    own transform on every sender and receiver: a connection Framelock never sees.
//
// Or the legacy Chromium API: `new RTCPeerConnection({ encodedInsertableStreams: true })` and createEncodedStreams():
//
//   worker=streams-after   streams on every sender right after addTrack / addTransceiver, and on every receiver in
//                          the page's first `track` listener (Framelock's transforms are there already).
//   worker=streams-before  streams on each sender made with a child realm's native addTransceiver (see `early`),
//                          before Framelock saw it: Framelock's transform comes after the page's streams.
//
// window.__ownWorker: { mode, early: {reached, patchedWhenReached}, attempts[], frames{label: n}, errors[] }
//   attempts[]: { where, side, kind, stuck } (stuck: the endpoint's transform is the page's own right after the set;
//               for streams: createEncodedStreams() returned streams)
//   frames{}:   frames each of the page's transforms or streams got, by `<side>-<kind>#<n>`
// Callable by tests: check() (for each endpoint of window.demo.pc: whose transform it carries now).
(() => {
  const params = new URLSearchParams(location.search);
  const mode = params.get('worker') || 'patched';
  const log = { mode, early: { reached: false, patchedWhenReached: null }, attempts: [], frames: {}, errors: [] };
  Object.defineProperty(window, '__ownWorker', { value: log });
  const own = new WeakSet();
  let serial = 0;

  /** A new transform of the page's own: its worker passes frames on unchanged and counts them under `label`. */
  function ownTransform(label) {
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

  const kindOf = (endpoint) => endpoint.track?.kind ?? 'none';

  /** Takes `endpoint`'s encoded streams (legacy API) and passes every frame on unchanged, counting them. */
  function takeStreams(where, side, endpoint) {
    const key = `${side}-${kindOf(endpoint)}#${++serial}`;
    log.frames[key] = 0;
    try {
      const { readable, writable } = endpoint.createEncodedStreams();
      log.attempts.push({ where, side, kind: kindOf(endpoint), stuck: true });
      const count = new TransformStream({
        transform(frame, controller) {
          log.frames[key]++;
          controller.enqueue(frame);
        },
      });
      readable
        .pipeThrough(count)
        .pipeTo(writable)
        .catch((e) => log.errors.push(`${key} pipe: ${e?.name}: ${e?.message}`));
    } catch (e) {
      log.attempts.push({ where, side, kind: kindOf(endpoint), stuck: false });
      log.errors.push(`${where}: ${e?.name}: ${e?.message}`);
    }
  }

  /** `RTCPeerConnection` that always asks for the legacy encoded streams (legacy Chromium API). */
  function withEncodedStreams(NativePC, onTrack) {
    return class extends NativePC {
      constructor(config, ...rest) {
        super({ ...config, encodedInsertableStreams: true }, ...rest);
        if (onTrack) this.addEventListener('track', onTrack);
      }
    };
  }

  /** Puts a new transform of ours on `endpoint` (a sender or receiver) and records whether it is there after. */
  function attempt(where, side, endpoint) {
    if (!endpoint) return;
    try {
      endpoint.transform = ownTransform(`${side}-${kindOf(endpoint)}`);
      log.attempts.push({ where, side, kind: kindOf(endpoint), stuck: own.has(endpoint.transform) });
    } catch (e) {
      log.errors.push(`${where}: ${e?.name}: ${e?.message}`);
    }
  }

  function check() {
    const pc = window.demo?.pc;
    if (!pc) return [];
    return [
      ...pc.getSenders().map((s) => ({ side: 'sender', kind: kindOf(s), transform: s.transform })),
      ...pc.getReceivers().map((r) => ({ side: 'receiver', kind: kindOf(r), transform: r.transform })),
    ].map(({ side, kind, transform }) => ({
      side,
      kind,
      carries: transform === null ? 'none' : own.has(transform) ? 'own' : 'other',
    }));
  }
  log.check = check;

  // ---- a child realm before Framelock's page script runs there (worker=early, early-pc) ----------------------------

  /** Natives of the child realm, taken the moment its document exists (before document_start scripts run there). */
  const natives = { proto: {}, PC: null };
  function reachChild() {
    const frame = document.createElement('iframe');
    frame.srcdoc = '<p>child</p>';
    frame.style.display = 'none';
    document.documentElement.append(frame);
    const child = frame.contentWindow;
    const first = child.document;
    // A MessageChannel ticks without timer clamping: poll until the child's document replaced the initial one.
    const ticker = new MessageChannel();
    let polls = 0;
    ticker.port1.onmessage = () => {
      let current;
      try {
        current = child.document;
      } catch {
        // between documents
      }
      if (current && current !== first) {
        log.early.reached = true;
        log.early.patchedWhenReached = child[Symbol.for('framelock.page')] === true;
        natives.PC = child.RTCPeerConnection;
        const proto = child.RTCPeerConnection.prototype;
        for (const name of Object.getOwnPropertyNames(proto)) {
          const descriptor = Object.getOwnPropertyDescriptor(proto, name);
          if (typeof descriptor.value === 'function' && name !== 'constructor') natives.proto[name] = descriptor.value;
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

  // ---- the modes --------------------------------------------------------------------------------------------------

  const proto = RTCPeerConnection.prototype;
  if (mode === 'patched') {
    for (const name of ['addTrack', 'addTransceiver']) {
      const original = proto[name];
      proto[name] = function (...args) {
        const result = original.apply(this, args);
        attempt(`after ${name}`, 'sender', name === 'addTrack' ? result : result.sender);
        if (name === 'addTransceiver') attempt(`after ${name}`, 'receiver', result.receiver);
        return result;
      };
    }
    for (const name of ['setLocalDescription', 'setRemoteDescription']) {
      const original = proto[name];
      proto[name] = function (...args) {
        const result = original.apply(this, args);
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
      constructor(...args) {
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
      if (!natives.proto.addTransceiver) throw new Error('the child realm was not reached in time');
      const transceiver = natives.proto.addTransceiver.call(this, track, { direction: 'sendrecv', streams: [stream] });
      attempt('native addTransceiver', 'sender', transceiver.sender);
      return transceiver.sender;
    };
  } else if (mode === 'streams-after') {
    for (const name of ['addTrack', 'addTransceiver']) {
      const original = proto[name];
      proto[name] = function (...args) {
        const result = original.apply(this, args);
        takeStreams(`after ${name}`, 'sender', name === 'addTrack' ? result : result.sender);
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
      if (!natives.proto.addTransceiver) throw new Error('the child realm was not reached in time');
      const transceiver = natives.proto.addTransceiver.call(this, track, { direction: 'sendrecv', streams: [stream] });
      takeStreams('native addTransceiver', 'sender', transceiver.sender);
      return transceiver.sender;
    };
  } else if (mode === 'early-pc') {
    reachChild();
    // biome-ignore lint/complexity/useArrowFunction: the site calls `new RTCPeerConnection()`, which an arrow refuses
    window.RTCPeerConnection = function (...args) {
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
    };
  } else {
    log.errors.push(`unknown mode ${mode}`);
  }
})();
