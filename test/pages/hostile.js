// A hostile page script, for tests: what a site that wants Framelock's secrets would run. The test server puts it
// first thing in <head> (`?hostile=1`), so it is the page's first script: it runs after Framelock's own page script
// (document_start) and before everything else on the page, the call included.
//
// It replaces the built-ins a key hand-off could touch (MessageEvent data/ports, postMessage on workers, ports and
// windows, addEventListener and on* handlers, crypto.subtle, Promise and thenables, Function.prototype.call/apply,
// array iteration), records everything they let it observe, and looks for anything Framelock must never let a page
// have: a CryptoKey, a MessagePort or Worker it did not make itself, a protocol message (types and fields of
// Framelock's hand-off), a BigInt (KIDs), raw bytes of key sizes. It re-applies its hooks at DOMContentLoaded, load
// and once the call connects, when it also walks the RTCRtpSender/Receiver transforms. Tests call its attacks:
// forging the hand-off, clearing or replacing the transforms (directly, and with another realm's setter), hooking a
// same-origin child realm before Framelock's page script runs there, reading every storage it can reach.
//
// window.__hostile (JSON-serialisable except its functions):
//   stage, stages[]          where the page is: first-script, DOMContentLoaded, load, connected
//   counts{hook}             how often each hook ran
//   alarms[]                 {kind, where, stage, detail, count}: the things Framelock must never show a page
//   samples[]                the first few observations per hook, summarised
//   strings[]                every distinct string the hooks saw (the test searches them for the passphrase)
//   byteLengths{n}           lengths of the ArrayBuffers / views seen, and how often
//   framelockEvents[]        events with a `framelock:` type that reached any page listener
//   natives{}                Function.prototype.toString of the patched built-ins
//   transforms[]             what walking sender.transform / receiver.transform showed
//   attacks{}                what each attempt on the transforms did
//   storage{}                localStorage, sessionStorage, cookies, IndexedDB (every record), Cache Storage keys
//   errors[]                 anything that went wrong in here (a hook must never break the page)
// Callable by tests: forge(waitMs), forgeProblem(problem), search(needle), dumpStorage(), walkTransforms(),
// attackTransforms(), crossRealmClear(replacement, source), replacedNow(), prehookChild(kind, waitMs), ownTransform(label).
(() => {
  // ---- built-ins saved before anything is hooked (this script's own work must not trip its hooks) ------------------

  const O = Object;
  const apply = Reflect.apply;
  const construct = Reflect.construct;
  const getDescriptor = O.getOwnPropertyDescriptor;
  const getNames = O.getOwnPropertyNames;
  const getSymbols = O.getOwnPropertySymbols;
  const getProto = O.getPrototypeOf;
  const defineProperty = O.defineProperty;
  const objectToString = O.prototype.toString;
  const fnToString = Function.prototype.toString;
  const nativeThen = Promise.prototype.then;
  const NativePromise = Promise;
  const NativeWeakSet = WeakSet;
  const weakHas = WeakSet.prototype.has;
  const weakAdd = WeakSet.prototype.add;
  const NativeWeakMap = WeakMap;
  const weakMapGet = WeakMap.prototype.get;
  const weakMapSet = WeakMap.prototype.set;
  const NativeSet = Set;
  const setHas = Set.prototype.has;
  const setAdd = Set.prototype.add;
  const arrayPush = Array.prototype.push;
  const isArray = Array.isArray;
  const isView = ArrayBuffer.isView;
  const regexpTest = RegExp.prototype.test;
  const NativeMessageChannel = MessageChannel;
  const NativeMessageEvent = MessageEvent;
  const NativeCustomEvent = CustomEvent;
  const nativeAddEventListener = EventTarget.prototype.addEventListener;
  const nativeRemoveEventListener = EventTarget.prototype.removeEventListener;
  const nativeDispatchEvent = EventTarget.prototype.dispatchEvent;
  const nativeSetTimeout = setTimeout;
  const nativeSetInterval = setInterval;
  const nativeClearInterval = clearInterval;
  const getter = (proto, name) => (proto ? getDescriptor(proto, name)?.get : undefined);
  const eventType = getter(Event.prototype, 'type');
  const messageData = getter(MessageEvent.prototype, 'data');
  const messagePorts = getter(MessageEvent.prototype, 'ports');
  const customDetail = getter(CustomEvent.prototype, 'detail');
  const byteLengthOfBuffer = getter(ArrayBuffer.prototype, 'byteLength');
  const keyType = getter(globalThis.CryptoKey?.prototype, 'type');
  const keyExtractable = getter(globalThis.CryptoKey?.prototype, 'extractable');
  const keyAlgorithm = getter(globalThis.CryptoKey?.prototype, 'algorithm');
  const portOnMessage = getter(MessagePort.prototype, 'onmessage');
  const workerOnMessage = getter(globalThis.Worker?.prototype, 'onmessage');
  const channelPort1 = getter(MessageChannel.prototype, 'port1');
  const sharedByteLength = getter(globalThis.SharedArrayBuffer?.prototype, 'byteLength');
  const errorStack = (skip) =>
    (new Error().stack ?? '')
      .split('\n')
      .slice(skip, skip + 6)
      .join(' | ');

  /** Message types and fields of Framelock's hand-off (src/shared/messages.ts, handshake.ts). */
  const PROTOCOL_TYPES = new NativeSet([
    'framelock/port',
    'hello',
    'keys',
    'keys-request',
    'epoch',
    'epoch-key',
    'epoch-keys',
    'epoch-keys-request',
    'keys-refused',
    'no-key',
    'stats',
    'problem',
    'restart-worker',
    'worker-port',
  ]);
  const PROTOCOL_FIELDS = new NativeSet([
    'nonce',
    'workerUrl',
    'keys',
    'key',
    'authKey',
    'salt',
    'kid',
    'epoch',
    'epochs',
    'room',
  ]);
  /** Buffer sizes of AES-128/256 keys, HMAC keys and HKDF outputs: worth an alarm whatever carries them. */
  const KEY_SIZES = new NativeSet([16, 32, 48]);
  const FRAMELOCK = /framelock/i;

  // ---- the log -------------------------------------------------------------------------------------------------------

  const H = {
    stage: 'first-script',
    stages: ['first-script'],
    counts: {},
    alarms: [],
    samples: [],
    strings: [],
    stringChars: 0,
    stringsDropped: 0,
    byteLengths: {},
    framelockEvents: [],
    natives: {},
    transforms: [],
    attacks: {},
    storage: null,
    errors: [],
  };
  defineProperty(window, '__hostile', { value: H, enumerable: false, configurable: false, writable: false });

  const MAX_SAMPLES_PER_HOOK = 8;
  const MAX_STRING_CHARS = 8_000_000;
  const sampleCounts = {};
  const stringsSeen = new NativeSet();
  const alarmIndex = {};
  /** Ports, workers and channels this page made itself: seeing them is no news. */
  const mine = new NativeWeakSet();
  /** Our hook functions, so that re-applying a hook never wraps one of ours again. */
  const hooks = new NativeWeakSet();
  let busy = 0;

  const push = (list, item) => apply(arrayPush, list, [item]);
  const tagOf = (value) => {
    try {
      return apply(objectToString, value, []).slice(8, -1);
    } catch {
      return 'unknown';
    }
  };

  /** Whether the native `getter` accepts `value`: a brand check that a prototype or a lookalike cannot pass. */
  const passes = (native, value) => {
    if (native === undefined) return false;
    try {
      apply(native, value, []);
      return true;
    } catch {
      return false;
    }
  };
  const BRANDS = [
    ['CryptoKey', keyType],
    ['MessagePort', portOnMessage],
    ['Worker', workerOnMessage],
    ['MessageChannel', channelPort1],
    ['ArrayBuffer', byteLengthOfBuffer],
    ['SharedArrayBuffer', sharedByteLength],
  ];
  /** What `value` really is, among the things worth an alarm (or undefined). Cheap for ordinary objects. */
  function brandOf(value) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
    if (isView(value)) return 'view';
    const tag = tagOf(value);
    for (let i = 0; i < BRANDS.length; i++) {
      if (tag === BRANDS[i][0]) return passes(BRANDS[i][1], value) ? tag : undefined;
    }
    return undefined;
  }
  /** Whether this page made `value` itself, or marked it as its own (forged messages carry `__hostileOwn`). */
  function isMine(value) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
    if (apply(weakHas, mine, [value])) return true;
    try {
      const marker = getDescriptor(value, '__hostileOwn');
      return marker !== undefined && marker.value === true;
    } catch {
      return false;
    }
  }

  function error(where, e) {
    if (H.errors.length < 200) push(H.errors, `${where}: ${e?.message ?? String(e)}`);
  }

  function count(hook) {
    H.counts[hook] = (H.counts[hook] || 0) + 1;
  }

  function alarm(kind, where, detail) {
    const id = `${kind}|${where}|${detail}`;
    const existing = alarmIndex[id];
    if (existing) {
      existing.count++;
      return;
    }
    const entry = { kind, where, stage: H.stage, detail: String(detail).slice(0, 500), count: 1 };
    alarmIndex[id] = entry;
    push(H.alarms, entry);
  }

  function noteString(value) {
    if (apply(setHas, stringsSeen, [value])) return;
    apply(setAdd, stringsSeen, [value]);
    if (H.stringChars + value.length > MAX_STRING_CHARS) {
      H.stringsDropped++;
      return;
    }
    H.stringChars += value.length;
    push(H.strings, value);
  }

  function noteBytes(length, where, path) {
    H.byteLengths[length] = (H.byteLengths[length] || 0) + 1;
    if (apply(setHas, KEY_SIZES, [length])) alarm('key-sized bytes', where, `${path}: ${length} bytes`);
  }

  function byteLength(value, tag) {
    try {
      if (tag === 'ArrayBuffer') return apply(byteLengthOfBuffer, value, []);
      if (tag === 'SharedArrayBuffer') return apply(sharedByteLength, value, []);
      return value.byteLength;
    } catch {
      return -1;
    }
  }

  /**
   * Looks through `value` (own data properties only, never getters: a getter could be a trap) for what a page must
   * never get, and returns a short summary. Bounded in depth and in the number of values visited.
   */
  function scan(value, where, path = '$', depth = 0, state = { visited: 0, seen: new NativeWeakSet() }) {
    if (state.visited++ > 400 || depth > 6) return '…';
    const type = typeof value;
    if (type === 'string') {
      noteString(value);
      return value.length > 60 ? `"${value.slice(0, 57)}…"` : JSON.stringify(value);
    }
    if (type === 'bigint') {
      alarm('bigint', where, path);
      return 'bigint';
    }
    if (value === null || (type !== 'object' && type !== 'function')) return String(value);
    if (apply(weakHas, state.seen, [value])) return '(seen)';
    apply(weakAdd, state.seen, [value]);
    if (isMine(value)) return '(ours)';
    const tag = tagOf(value);
    const brand = brandOf(value);
    if (brand === 'CryptoKey') {
      let detail = path;
      try {
        const algorithm = apply(keyAlgorithm, value, []);
        detail = `${path}: ${apply(keyType, value, [])} ${algorithm?.name} extractable=${apply(keyExtractable, value, [])}`;
      } catch (e) {
        error('scan CryptoKey', e);
      }
      alarm('CryptoKey', where, detail);
      return 'CryptoKey';
    }
    if (brand === 'MessagePort' || brand === 'Worker' || brand === 'MessageChannel') {
      alarm(`foreign ${brand}`, where, path);
      return brand;
    }
    if (brand === 'ArrayBuffer' || brand === 'SharedArrayBuffer' || brand === 'view') {
      const length = byteLength(value, brand);
      noteBytes(length, where, path);
      return `${tag}(${length})`;
    }
    if (tag === 'RTCRtpScriptTransform' && value !== globalThis.RTCRtpScriptTransform?.prototype) return tag;
    if (type === 'function') return `function ${value.name || ''}`;
    let names;
    try {
      names = getNames(value);
    } catch {
      return tag;
    }
    if (isArray(value) && names.length > 60) names = names.slice(0, 60);
    const typeDescriptor = getDescriptor(value, 'type');
    if (typeDescriptor && 'value' in typeDescriptor && apply(setHas, PROTOCOL_TYPES, [typeDescriptor.value])) {
      alarm('protocol message', where, `${path}.type = ${typeDescriptor.value}`);
    }
    const parts = [];
    for (let i = 0; i < names.length && i < 60; i++) {
      const name = names[i];
      if (apply(setHas, PROTOCOL_FIELDS, [name]) && !isArray(value)) alarm('protocol field', where, `${path}.${name}`);
      let descriptor;
      try {
        descriptor = getDescriptor(value, name);
      } catch {
        continue;
      }
      if (descriptor === undefined || !('value' in descriptor)) continue;
      const summary = scan(descriptor.value, where, `${path}.${name}`, depth + 1, state);
      if (parts.length < 8) push(parts, `${name}: ${summary}`);
    }
    return `${tag} {${parts.join(', ')}}`;
  }

  /** Scans `value` and keeps a summary among the first samples of `hook`. Never throws. */
  function observe(hook, value, extra) {
    count(hook);
    if (busy > 0) return;
    busy++;
    try {
      const summary = scan(value, hook);
      sampleCounts[hook] = (sampleCounts[hook] || 0) + 1;
      if (sampleCounts[hook] <= MAX_SAMPLES_PER_HOOK) {
        push(H.samples, { hook, stage: H.stage, extra: extra === undefined ? '' : String(extra), summary });
      }
    } catch (e) {
      error(`observe ${hook}`, e);
    } finally {
      busy--;
    }
  }

  /** What a page can learn from an event it was handed: its type, and data / ports / detail read natively. */
  function observeEvent(hook, event) {
    if (busy > 0 || isMine(event)) return;
    if (event instanceof NativeMessageEvent) {
      try {
        if (isMine(apply(messageData, event, []))) return; // one of our forged messages, delivered
      } catch {
        // not a real MessageEvent: looked at below
      }
    }
    let type = '?';
    try {
      type = apply(eventType, event, []);
    } catch {
      observe(hook, event);
      return;
    }
    if (typeof type === 'string' && apply(regexpTest, FRAMELOCK, [type])) {
      let detail = '';
      busy++;
      try {
        detail = scan(event instanceof NativeCustomEvent ? apply(customDetail, event, []) : undefined, hook);
      } finally {
        busy--;
      }
      push(H.framelockEvents, { hook, stage: H.stage, type, detail });
    }
    if (event instanceof NativeMessageEvent) {
      try {
        observe(`${hook} data`, apply(messageData, event, []), type);
        observe(`${hook} ports`, apply(messagePorts, event, []), type);
      } catch (e) {
        error(hook, e);
      }
    } else if (event instanceof NativeCustomEvent) {
      observe(`${hook} detail`, apply(customDetail, event, []), type);
    } else {
      observe(hook, event, type);
    }
  }

  // ---- hooking helpers -----------------------------------------------------------------------------------------------

  function replaceMethod(target, name, make) {
    try {
      const descriptor = target ? getDescriptor(target, name) : undefined;
      if (!descriptor || typeof descriptor.value !== 'function' || apply(weakHas, hooks, [descriptor.value])) return;
      const hook = make(descriptor.value);
      apply(weakAdd, hooks, [hook]);
      defineProperty(target, name, { ...descriptor, value: hook });
    } catch (e) {
      error(`hook ${name}`, e);
    }
  }

  function replaceGetter(target, name, make) {
    try {
      const descriptor = target ? getDescriptor(target, name) : undefined;
      if (!descriptor || typeof descriptor.get !== 'function' || apply(weakHas, hooks, [descriptor.get])) return;
      const hook = make(descriptor.get);
      apply(weakAdd, hooks, [hook]);
      defineProperty(target, name, { ...descriptor, get: hook });
    } catch (e) {
      error(`hook get ${name}`, e);
    }
  }

  function replaceSetter(target, name, make) {
    try {
      const descriptor = target ? getDescriptor(target, name) : undefined;
      if (!descriptor || typeof descriptor.set !== 'function' || apply(weakHas, hooks, [descriptor.set])) return;
      const hook = make(descriptor.set);
      apply(weakAdd, hooks, [hook]);
      defineProperty(target, name, { ...descriptor, set: hook });
    } catch (e) {
      error(`hook set ${name}`, e);
    }
  }

  /** The listener wrappers handed to the native addEventListener, per original listener and type. */
  const wrappers = new NativeWeakMap();
  function wrapperFor(listener, type, label) {
    let byType = apply(weakMapGet, wrappers, [listener]);
    if (byType === undefined) {
      byType = {};
      apply(weakMapSet, wrappers, [listener, byType]);
    }
    const key = `${label}|${type}`;
    if (byType[key] === undefined) {
      byType[key] = function (event) {
        observeEvent(`listener ${label}:${type}`, event);
        return typeof listener === 'function' ? apply(listener, this, [event]) : listener.handleEvent(event);
      };
    }
    return byType[key];
  }

  const labelOf = (target) => {
    const tag = tagOf(target);
    return tag === 'Window' ? 'window' : tag;
  };

  /** A setter for an accessor we put on a prototype: assigning still makes an own property, as it would have. */
  function ownValue(name) {
    return function (value) {
      defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true });
    };
  }

  // ---- the hooks -----------------------------------------------------------------------------------------------------

  function installHooks() {
    // MessageEvent: whatever a page can read from a message event, it reads through these getters.
    for (const name of ['data', 'ports', 'source', 'origin']) {
      replaceGetter(
        MessageEvent.prototype,
        name,
        (original) =>
          function () {
            const value = apply(original, this, []);
            observe(`MessageEvent.${name}`, value, apply(eventType, this, []));
            return value;
          },
      );
    }
    replaceGetter(
      CustomEvent.prototype,
      'detail',
      (original) =>
        function () {
          const value = apply(original, this, []);
          observe('CustomEvent.detail', value, apply(eventType, this, []));
          return value;
        },
    );

    // postMessage on workers, ports, windows, broadcast channels: arguments and transfer lists.
    const targets = [
      ['Worker', globalThis.Worker?.prototype],
      ['MessagePort', MessagePort.prototype],
      ['BroadcastChannel', globalThis.BroadcastChannel?.prototype],
      ['ServiceWorker', globalThis.ServiceWorker?.prototype],
      ['Window.prototype', Window.prototype],
      ['window', window],
    ];
    for (const [label, target] of targets) {
      replaceMethod(
        target,
        'postMessage',
        (original) =>
          function (...args) {
            observe(`${label}.postMessage`, args);
            return apply(original, this, args);
          },
      );
    }

    // Listeners: every event any listener (or on* handler) gets is looked at before the listener sees it.
    replaceMethod(
      EventTarget.prototype,
      'addEventListener',
      (original) =>
        function (type, listener, options) {
          count('addEventListener');
          if (
            listener === null ||
            listener === undefined ||
            (typeof listener !== 'function' && typeof listener !== 'object')
          ) {
            return apply(original, this, [type, listener, options]);
          }
          return apply(original, this, [type, wrapperFor(listener, String(type), labelOf(this)), options]);
        },
    );
    replaceMethod(
      EventTarget.prototype,
      'removeEventListener',
      (original) =>
        function (type, listener, options) {
          const byType = listener ? apply(weakMapGet, wrappers, [listener]) : undefined;
          const wrapped = byType?.[`${labelOf(this)}|${String(type)}`];
          if (wrapped) apply(original, this, [type, wrapped, options]);
          return apply(original, this, [type, listener, options]);
        },
    );
    replaceMethod(
      EventTarget.prototype,
      'dispatchEvent',
      (original) =>
        function (event) {
          observeEvent(`dispatchEvent ${labelOf(this)}`, event);
          return apply(original, this, [event]);
        },
    );
    const handlerTargets = [
      ['MessagePort', MessagePort.prototype],
      ['Worker', globalThis.Worker?.prototype],
      ['window', window],
      ['Window.prototype', Window.prototype],
      ['EventSource', globalThis.EventSource?.prototype],
      ['BroadcastChannel', globalThis.BroadcastChannel?.prototype],
    ];
    for (const [label, target] of handlerTargets) {
      for (const name of ['onmessage', 'onmessageerror', 'onerror']) {
        replaceSetter(
          target,
          name,
          (original) =>
            function (handler) {
              if (typeof handler !== 'function') return apply(original, this, [handler]);
              return apply(original, this, [
                function (event) {
                  observeEvent(`${label}.${name}`, event);
                  return apply(handler, this, [event]);
                },
              ]);
            },
        );
      }
    }

    // crypto.subtle: every call, its arguments, and what it resolves to.
    const subtleProto = globalThis.SubtleCrypto?.prototype;
    for (const name of subtleProto ? getNames(subtleProto) : []) {
      if (name === 'constructor') continue;
      replaceMethod(
        subtleProto,
        name,
        (original) =>
          function (...args) {
            observe(`crypto.subtle.${name}`, args);
            const result = apply(original, this, args);
            try {
              apply(nativeThen, result, [(value) => observe(`crypto.subtle.${name} result`, value), () => {}]);
            } catch (e) {
              error(`crypto.subtle.${name}`, e);
            }
            return result;
          },
      );
    }
    replaceMethod(
      Crypto.prototype,
      'getRandomValues',
      (original) =>
        function (array) {
          const result = apply(original, this, [array]);
          observe('crypto.getRandomValues', array);
          return result;
        },
    );
    // Reading a CryptoKey's fields in this realm means one got here.
    for (const name of ['type', 'extractable', 'algorithm', 'usages']) {
      replaceGetter(
        globalThis.CryptoKey?.prototype,
        name,
        (original) =>
          function () {
            alarm('CryptoKey', `CryptoKey.${name}`, 'a CryptoKey was read in the page realm');
            return apply(original, this, []);
          },
      );
    }

    // Promises: every fulfilled value a page-visible `then` sees, every resolve() of a page-made promise, and every
    // object a promise is resolved with (the engine reads its `then`).
    replaceMethod(
      Promise.prototype,
      'then',
      (original) =>
        function (onFulfilled, onRejected) {
          const fulfilled =
            typeof onFulfilled === 'function'
              ? function (value) {
                  observe('Promise.then value', value);
                  return apply(onFulfilled, this, [value]);
                }
              : onFulfilled;
          const rejected =
            typeof onRejected === 'function'
              ? function (reason) {
                  observe('Promise.then reason', reason);
                  return apply(onRejected, this, [reason]);
                }
              : onRejected;
          return apply(original, this, [fulfilled, rejected]);
        },
    );
    for (const name of ['catch', 'finally']) {
      replaceMethod(
        Promise.prototype,
        name,
        (original) =>
          function (...args) {
            count(`Promise.${name}`);
            return apply(original, this, args);
          },
      );
    }
    for (const name of ['resolve', 'reject', 'all', 'allSettled', 'any', 'race']) {
      replaceMethod(
        NativePromise,
        name,
        (original) =>
          function (...args) {
            observe(`Promise.${name}`, args);
            return apply(original, this, args);
          },
      );
    }
    if (!apply(weakHas, hooks, [window.Promise])) {
      const HostilePromise = new Proxy(NativePromise, {
        construct(target, args, newTarget) {
          const executor = args[0];
          if (typeof executor !== 'function') return construct(target, args, newTarget);
          return construct(
            target,
            [
              (resolve, reject) =>
                executor(
                  (value) => {
                    observe('new Promise resolve', value);
                    return resolve(value);
                  },
                  (reason) => {
                    observe('new Promise reject', reason);
                    return reject(reason);
                  },
                ),
            ],
            newTarget === HostilePromise ? target : newTarget,
          );
        },
      });
      apply(weakAdd, hooks, [HostilePromise]);
      defineProperty(window, 'Promise', { value: HostilePromise, writable: true, configurable: true });
    }
    // `await x` and every native then() read `constructor` of the promise: look at the value it settles with.
    const constructorDescriptor = getDescriptor(NativePromise.prototype, 'constructor');
    if (constructorDescriptor && 'value' in constructorDescriptor) {
      const watched = new NativeWeakSet();
      const read = function () {
        count('Promise.prototype.constructor');
        if (busy === 0 && !apply(weakHas, watched, [this])) {
          apply(weakAdd, watched, [this]);
          busy++;
          try {
            apply(nativeThen, this, [(value) => observe('awaited value', value), () => {}]);
          } catch (e) {
            error('Promise.prototype.constructor', e);
          } finally {
            busy--;
          }
        }
        return NativePromise;
      };
      apply(weakAdd, hooks, [read]);
      defineProperty(NativePromise.prototype, 'constructor', {
        get: read,
        set: ownValue('constructor'),
        configurable: true,
      });
    }
    if (!getDescriptor(O.prototype, 'then')) {
      const thenGetter = function () {
        if (this !== null && typeof this === 'object' && !(this instanceof NativePromise))
          observe('thenable check', this);
        return undefined;
      };
      apply(weakAdd, hooks, [thenGetter]);
      // The point: see every object a promise is resolved with (the engine reads its `then`).
      defineProperty(O.prototype, 'then', { get: thenGetter, set: ownValue('then'), configurable: true });
    }

    // Function.prototype.call / apply / bind and array iteration (also what WebIDL uses to read a sequence, such as
    // a transfer list): cheap checks for keys and ports passing by.
    const quickCheck = (where, values, max) => {
      if (busy > 0) return;
      busy++;
      try {
        for (let i = 0; i < values.length && i < max; i++) {
          const brand = brandOf(values[i]);
          if (brand === 'CryptoKey') alarm('CryptoKey', where, `${i}: ${errorStack(3)}`);
          else if ((brand === 'MessagePort' || brand === 'Worker') && !isMine(values[i])) {
            alarm(`foreign ${brand}`, where, `${i}: ${errorStack(3)}`);
          }
        }
      } finally {
        busy--;
      }
    };
    for (const name of ['call', 'apply', 'bind']) {
      replaceMethod(
        Function.prototype,
        name,
        (original) =>
          function (...args) {
            count(`Function.prototype.${name}`);
            quickCheck(`Function.prototype.${name}`, args, 4);
            return apply(original, this, args);
          },
      );
    }
    replaceMethod(
      Array.prototype,
      Symbol.iterator,
      (original) =>
        function () {
          count('Array iterator');
          if (isArray(this)) quickCheck('Array iterator', this, 8);
          return apply(original, this, []);
        },
    );

    // Our own channels and workers are no news.
    if (!apply(weakHas, hooks, [window.MessageChannel])) {
      const HostileChannel = new Proxy(NativeMessageChannel, {
        construct(target, args, newTarget) {
          const channel = construct(target, args, newTarget === HostileChannel ? target : newTarget);
          apply(weakAdd, mine, [channel]);
          apply(weakAdd, mine, [channel.port1]);
          apply(weakAdd, mine, [channel.port2]);
          return channel;
        },
      });
      apply(weakAdd, hooks, [HostileChannel]);
      defineProperty(window, 'MessageChannel', { value: HostileChannel, writable: true, configurable: true });
    }
    if (globalThis.Worker && !apply(weakHas, hooks, [window.Worker])) {
      const NativeWorker = globalThis.Worker;
      const HostileWorker = new Proxy(NativeWorker, {
        construct(target, args, newTarget) {
          const worker = construct(target, args, newTarget === HostileWorker ? target : newTarget);
          apply(weakAdd, mine, [worker]);
          return worker;
        },
      });
      apply(weakAdd, hooks, [HostileWorker]);
      defineProperty(window, 'Worker', { value: HostileWorker, writable: true, configurable: true });
    }
  }

  /** Listeners of our own for the hand-off's events, and for every message, on window and document. */
  const FRAMELOCK_EVENTS = ['framelock:bridge-hello', 'framelock:page-hello', 'framelock:port', 'framelock:problem'];
  function listenForHandshake() {
    for (const target of [window, document]) {
      for (const type of [...FRAMELOCK_EVENTS, 'message', 'messageerror']) {
        apply(nativeAddEventListener, target, [
          type,
          (event) => observeEvent(`capture ${labelOf(target)}`, event),
          true,
        ]);
      }
    }
  }

  function recordNatives() {
    const read = (label, fn) => {
      try {
        H.natives[label] = typeof fn === 'function' ? apply(fnToString, fn, []) : String(fn);
      } catch (e) {
        H.natives[label] = `threw ${e?.message}`;
      }
    };
    read('RTCPeerConnection', window.RTCPeerConnection);
    const pcProto = window.RTCPeerConnection?.prototype;
    for (const name of ['addTrack', 'addTransceiver', 'setLocalDescription', 'setRemoteDescription', 'getSenders']) {
      read(`RTCPeerConnection.prototype.${name}`, pcProto?.[name]);
    }
    read('RTCPeerConnection.prototype.constructor', pcProto?.constructor);
    const senderTransform = getDescriptor(globalThis.RTCRtpSender?.prototype ?? {}, 'transform');
    read('RTCRtpSender.prototype.transform set', senderTransform?.set);
    H.natives['RTCRtpSender.prototype.transform configurable'] = String(senderTransform?.configurable);
  }

  // ---- later: the transforms of the call -----------------------------------------------------------------------------

  function senderAndReceivers() {
    const pc = window.demo?.pc;
    if (!pc) return [];
    const out = [];
    for (const sender of pc.getSenders()) push(out, ['sender', sender]);
    for (const receiver of pc.getReceivers()) push(out, ['receiver', receiver]);
    return out;
  }

  /** Every property of every transform, own and inherited, read and scanned. */
  function walkTransforms() {
    const walked = [];
    for (const [side, endpoint] of senderAndReceivers()) {
      const transform = endpoint.transform;
      const entry = { side, kind: endpoint.track?.kind, tag: tagOf(transform), properties: [] };
      for (let object = transform; object !== null && typeof object === 'object'; object = getProto(object)) {
        for (const key of [...getNames(object), ...getSymbols(object)]) {
          const name = String(key);
          let summary;
          try {
            const value = transform[key];
            busy++;
            try {
              summary = scan(value, `transform.${name}`);
            } finally {
              busy--;
            }
          } catch (e) {
            summary = `threw ${e?.name}`;
          }
          push(entry.properties, `${tagOf(object)}.${name}: ${summary}`);
        }
      }
      push(walked, entry);
    }
    H.transforms = walked;
    return walked;
  }

  /**
   * A pass-through transform worker of the page's own, counting the frames it gets (to see whether it ever runs; on a
   * sender, each is a frame that left without Framelock's encryption). `started` once its worker holds the transformer.
   */
  function ownTransform(label) {
    const code = `let n = 0; const report = () => postMessage({ label: ${JSON.stringify(label)}, frames: n });
      onrtctransform = (e) => { const t = e.transformer; self.kept = t; t.readable.pipeThrough(new TransformStream({
      transform(frame, c) { n++; c.enqueue(frame); } })).pipeTo(t.writable).catch(() => {}); report(); };
      onmessage = (e) => { const end = Date.now() + e.data.busyMs; while (Date.now() < end) {} };
      setInterval(report, 500);`;
    const worker = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
    const state = { frames: 0, started: false };
    worker.onmessage = (event) => {
      state.frames = event.data.frames;
      state.started = true;
    };
    return { transform: new RTCRtpScriptTransform(worker, { label }), state, worker };
  }

  /** Tries to clear and replace every transform, directly and through a fresh about:blank frame's native setter. */
  function attackTransforms() {
    const attacks = {};
    const endpoints = senderAndReceivers();
    const record = (name, fn) => {
      try {
        attacks[name] = fn();
      } catch (e) {
        attacks[name] = `threw ${e?.name}: ${e?.message}`;
      }
    };
    const kept = (list) => list.map(([side, endpoint, before]) => `${side}:${endpoint.transform === before}`).join(' ');
    const snapshot = () => endpoints.map(([side, endpoint]) => [side, endpoint, endpoint.transform]);

    record('set null', () => {
      const before = snapshot();
      for (const [, endpoint] of endpoints) endpoint.transform = null;
      return `kept ${kept(before)}`;
    });
    const own = {};
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
    record('delete RTCRtpSender.prototype.transform', () => String(delete RTCRtpSender.prototype.transform));
    record('own property on a sender', () => {
      const [, sender] = endpoints.find(([side]) => side === 'sender') ?? [];
      if (!sender) return 'no sender';
      defineProperty(sender, 'transform', { value: null, configurable: true });
      const shadowed = sender.transform === null;
      delete sender.transform;
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
  async function crossRealmClear(replacement = null, source = 'blank', busyMs = 0) {
    const endpoints = senderAndReceivers();
    const own = {};
    const made = {};
    if (replacement === 'ready') {
      for (const [side, endpoint] of endpoints) {
        const label = `${side}-${endpoint.track?.kind}`;
        made[label] = ownTransform(label);
        own[label] = made[label].state;
      }
      for (let i = 0; i < 100 && !Object.values(own).every((state) => state.started); i++) {
        await new NativePromise((resolve) => nativeSetTimeout(resolve, 50));
      }
    }
    let realm;
    let close = () => {};
    if (source === 'early') {
      const reached = await reachChild('srcdoc');
      realm = reached.realm;
      close = reached.close;
    } else {
      const frame = document.createElement('iframe');
      frame.style.display = 'none';
      document.body.append(frame);
      realm = frame.contentWindow;
    }
    const result = { source, framePatched: realm[Symbol.for('framelock.page')] === true, kept: {} };
    const setters = {
      sender: getDescriptor(realm.RTCRtpSender.prototype, 'transform')?.set,
      receiver: getDescriptor(realm.RTCRtpReceiver.prototype, 'transform')?.set,
    };
    result.ownTransformFrames = own;
    H.lastOwn = own;
    H.replaced = [];
    // 'ready' with busyMs: the page's transform workers are busy when their transforms are attached and when Framelock
    // detaches them again (everything the browser does there waits until they are free).
    if (busyMs > 0) for (const { worker } of O.values(made)) worker.postMessage({ busyMs });
    for (const [side, endpoint] of endpoints) {
      const label = `${side}-${endpoint.track?.kind}`;
      const before = endpoint.transform;
      let value = null;
      if (replacement === 'own') {
        made[label] = ownTransform(label);
        own[label] = made[label].state;
      }
      if (made[label]) value = made[label].transform;
      try {
        apply(setters[side], endpoint, [value]);
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
  function replacedNow() {
    const endpoints = (H.replaced ?? []).map(([label, endpoint, value]) => ({
      label,
      stillReplaced: endpoint.transform === value,
      hasTransform: endpoint.transform instanceof RTCRtpScriptTransform,
    }));
    const frames = O.fromEntries(O.entries(H.lastOwn ?? {}).map(([label, state]) => [label, state.frames]));
    return { endpoints, frames };
  }

  /**
   * Opens a same-origin browsing context (`srcdoc`, `src`: a same-origin URL, `blob`: a blob: document, all in an
   * iframe; `popup`: window.open of a same-origin URL) and reaches its new realm as early as it can, polling through a
   * MessageChannel (not throttled). Resolves to { realm (null if never reached), polls, close() }.
   */
  async function reachChild(kind) {
    let frame;
    let child;
    if (kind === 'popup') {
      child = window.open(`/blank.html?child=${Math.random().toString(36).slice(2)}`);
    } else {
      frame = document.createElement('iframe');
      frame.style.display = 'none';
      if (kind === 'srcdoc') frame.srcdoc = '<p>child</p>';
      else if (kind === 'blob') frame.src = URL.createObjectURL(new Blob(['<p>child</p>'], { type: 'text/html' }));
      else frame.src = `/blank.html?child=${Math.random().toString(36).slice(2)}`;
      document.body.append(frame);
      child = frame.contentWindow;
    }
    const first = child.document;
    const ticker = new NativeMessageChannel();
    let polls = 0;
    const realm = await new NativePromise((resolve) => {
      ticker.port1.onmessage = () => {
        polls++;
        let current;
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
    return { realm, polls, close: () => (kind === 'popup' ? child.close() : frame.remove()) };
  }

  /**
   * "Before our script": reaches a new same-origin realm (see reachChild) before Framelock's page script runs in it
   * and replaces built-ins there first: CustomEvent.prototype.detail (to read the hand-off's hello) and MessageChannel
   * (a relay that sits between the worker and the bridge). Then it asks the bridge, through the relay, for the keys of
   * a KID of its choosing. Everything that passes the relay is scanned (alarms: where = `child realm ...`).
   */
  async function prehookChild(kind = 'srcdoc', waitMs = 2000) {
    const result = { kind, polls: 0, reached: false, patchedWhenReached: null, patchedLater: null };
    const { realm, polls, close } = await reachChild(kind);
    result.polls = polls;
    if (realm === null) return result;
    result.reached = true;
    result.patchedWhenReached = realm[Symbol.for('framelock.page')] === true;
    const relay = { nonces: 0, toBridge: 0, fromBridge: 0, bridgeSide: null };
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
    };
    await new NativePromise((resolve) => nativeSetTimeout(resolve, waitMs / 2));
    result.patchedLater = realm[Symbol.for('framelock.page')] === true;
    if (relay.bridgeSide) {
      relay.bridgeSide.postMessage({
        type: 'keys-request',
        kid: (0xbn << 60n) | 0x5eedn,
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

  // ---- the forged hand-off -------------------------------------------------------------------------------------------

  /**
   * Plays the page script's part of the hand-off after the fact: asks the bridge to say hello (and keeps any nonce it
   * gives away), forges a bridge hello naming a worker of ours, hands the bridge ports of ours (as the page script
   * does, and through window.postMessage), pretends to be the worker on them (hellos with every nonce it has, key
   * requests, junk) and reports everything that came back. Resolves after `waitMs`.
   */
  function forge(waitMs = 3000) {
    const result = { nonces: [], helloEvents: 0, portMessages: [], windowMessages: 0, posted: [] };
    const own = (value) => {
      if (value !== null && typeof value === 'object') apply(weakAdd, mine, [value]);
      return value;
    };
    const onHello = (event) => {
      if (isMine(event)) return;
      result.helloEvents++;
      const detail = apply(customDetail, event, []);
      busy++;
      try {
        scan(detail, 'forge: bridge hello');
      } finally {
        busy--;
      }
      if (typeof detail?.nonce === 'string') push(result.nonces, detail.nonce);
    };
    apply(nativeAddEventListener, window, ['framelock:bridge-hello', onHello, true]);
    const fromFramelock = (where) => (event) => {
      const data = apply(messageData, event, []);
      observe(where, data);
      push(result.portMessages, { where, summary: typeof data === 'object' ? tagOf(data) : typeof data });
    };

    // 1. Ask for the bridge's nonce the way our page script does (the bridge would answer at once).
    apply(nativeDispatchEvent, window, [own(new NativeCustomEvent('framelock:page-hello'))]);
    // 2. A bridge hello of our own: a page script still listening would build its worker from our URL.
    const evil = URL.createObjectURL(new Blob(['postMessage("evil worker ran")'], { type: 'text/javascript' }));
    apply(nativeDispatchEvent, window, [
      own(new NativeCustomEvent('framelock:bridge-hello', { detail: own({ workerUrl: evil, nonce: 'forged' }) })),
    ]);
    // 3. A port of ours, handed over as the page script hands over the worker's.
    const channel = new MessageChannel();
    channel.port1.onmessage = fromFramelock('forge: our port');
    apply(nativeDispatchEvent, window, [own(new NativeMessageEvent('framelock:port', { ports: [channel.port2] }))]);
    // 4. Pretend to be the worker: hellos with every nonce we have, then key requests, stats and junk.
    const nonces = [...result.nonces, 'forged', '', '0'.repeat(32)];
    const kid = (0xbn << 60n) | 0x123456789abcn;
    const junk = [
      ...nonces.map((nonce) => ({ type: 'hello', nonce })),
      { type: 'keys-request', kid, kind: 'video', endpoint: 'receive-video-1' },
      { type: 'keys-request', kid, kind: 'audio', endpoint: 'receive-audio-2' },
      { type: 'stats', stats: [] },
      { type: 'epoch-key', epoch: 0, key: 'AAAAAAAAAAAAAAAAAAAAAA==' },
      { type: 'epoch-keys', room: '', now: Date.now(), keys: [{ epoch: 0, key: 'AAAAAAAAAAAAAAAAAAAAAA==' }] },
      { type: 'epoch-keys-request', epochs: [0, 1, 2] },
      'junk',
      42,
      null,
      new Uint8Array(16),
    ];
    for (const message of junk) {
      own(message);
      try {
        channel.port1.postMessage(message);
        push(result.posted, typeof message === 'object' && message !== null ? (message.type ?? 'bytes') : message);
      } catch (e) {
        push(result.posted, `threw ${e?.name}`);
      }
    }
    // 5. A second port the same way, and one through window.postMessage with a protocol lookalike.
    const second = new MessageChannel();
    second.port1.onmessage = fromFramelock('forge: second port');
    apply(nativeDispatchEvent, window, [own(new NativeMessageEvent('framelock:port', { ports: [second.port2] }))]);
    second.port1.postMessage(own({ type: 'hello', nonce: nonces[0] }));
    const third = new MessageChannel();
    third.port1.onmessage = fromFramelock('forge: port via window.postMessage');
    const onWindowMessage = () => {
      result.windowMessages++;
    };
    apply(nativeAddEventListener, window, ['message', onWindowMessage, true]);
    window.postMessage({ __hostileOwn: true, type: 'framelock/port', nonce: nonces[0] }, '*', [third.port2]);
    window.postMessage({ __hostileOwn: true, type: 'hello', nonce: nonces[0] }, '*');
    third.port1.postMessage(own({ type: 'hello', nonce: nonces[0] }));
    return new NativePromise((resolve) => {
      nativeSetTimeout(() => {
        apply(nativeRemoveEventListener, window, ['framelock:bridge-hello', onHello, true]);
        apply(nativeRemoveEventListener, window, ['message', onWindowMessage, true]);
        H.forged = result;
        resolve(result);
      }, waitMs);
    });
  }

  /** Dispatches a problem report as if our page script had found one (the page has no business doing so). */
  function forgeProblem(problem = 'worker_blocked') {
    const event = new NativeCustomEvent('framelock:problem', { detail: problem });
    apply(weakAdd, mine, [event]);
    apply(nativeDispatchEvent, window, [event]);
  }

  // ---- storage and the whole realm -----------------------------------------------------------------------------------

  /** Every record of every IndexedDB database of this origin, localStorage, sessionStorage, cookies, cache names. */
  async function dumpStorage() {
    const dump = { localStorage: {}, sessionStorage: {}, cookie: document.cookie, indexedDB: {}, caches: [] };
    for (const area of ['localStorage', 'sessionStorage']) {
      const storage = window[area];
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i);
        dump[area][key] = storage.getItem(key);
      }
    }
    for (const info of (await indexedDB.databases?.()) ?? []) {
      const db = await new NativePromise((resolve, reject) => {
        const request = indexedDB.open(info.name);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const stores = {};
      for (const storeName of db.objectStoreNames) {
        const records = await new NativePromise((resolve, reject) => {
          const request = db.transaction(storeName).objectStore(storeName).getAll();
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
        stores[storeName] = records.map((record) => scan(record, `indexedDB ${info.name}/${storeName}`));
      }
      db.close();
      dump.indexedDB[info.name] = stores;
    }
    if (globalThis.caches) dump.caches = await caches.keys();
    busy++;
    try {
      scan(dump, 'storage');
    } finally {
      busy--;
    }
    H.storage = dump;
    return dump;
  }

  /**
   * Looks for `needle` in every string reachable from window (own and inherited enumerable-or-not data properties,
   * breadth first, bounded), in the page's HTML, in storage and in everything the hooks saw. Returns where it was found.
   */
  function search(needle, limit = 200_000) {
    const hits = [];
    const seen = new NativeWeakSet();
    const queue = [[window, 'window']];
    let visited = 0;
    while (queue.length > 0 && visited < limit) {
      const [object, path] = queue.shift();
      visited++;
      let keys;
      try {
        keys = [...getNames(object), ...getSymbols(object)];
      } catch {
        continue;
      }
      for (const key of keys) {
        let descriptor;
        try {
          descriptor = getDescriptor(object, key);
        } catch {
          continue;
        }
        if (!descriptor) continue;
        let value = descriptor.value;
        if (!('value' in descriptor)) {
          // Accessors are read on window itself only (document, location, storage...): elsewhere a getter may trap.
          if (object !== window || typeof descriptor.get !== 'function') continue;
          try {
            value = apply(descriptor.get, window, []);
          } catch {
            continue;
          }
        }
        const where = `${path}.${String(key)}`;
        if (typeof value === 'string') {
          if (value.includes(needle)) push(hits, where);
        } else if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
          if (apply(weakHas, seen, [value])) continue;
          apply(weakAdd, seen, [value]);
          if (isView(value) || tagOf(value) === 'ArrayBuffer') continue;
          push(queue, [value, where]);
        }
      }
    }
    if (document.documentElement.outerHTML.includes(needle)) push(hits, 'document.documentElement.outerHTML');
    if (JSON.stringify(H.storage ?? {}).includes(needle)) push(hits, '__hostile.storage');
    for (const text of H.strings) if (text.includes(needle)) push(hits, `a string the hooks saw: ${text.slice(0, 80)}`);
    return { hits, visited, exhausted: queue.length === 0 };
  }

  // ---- stages --------------------------------------------------------------------------------------------------------

  function enterStage(stage) {
    H.stage = stage;
    push(H.stages, stage);
    installHooks();
    recordNatives();
  }

  H.forge = forge;
  H.forgeProblem = forgeProblem;
  H.search = search;
  H.dumpStorage = dumpStorage;
  H.walkTransforms = walkTransforms;
  H.attackTransforms = attackTransforms;
  H.crossRealmClear = crossRealmClear;
  H.replacedNow = replacedNow;
  H.prehookChild = prehookChild;
  H.ownTransform = ownTransform;
  H.mine = (value) => apply(weakAdd, mine, [value]);

  try {
    installHooks();
    listenForHandshake();
    recordNatives();
  } catch (e) {
    error('install', e);
  }
  apply(nativeAddEventListener, document, ['DOMContentLoaded', () => enterStage('DOMContentLoaded')]);
  apply(nativeAddEventListener, window, ['load', () => enterStage('load')]);
  // Once the call is up: hooks again, then the transforms (walk only; the test asks for the attacks).
  const watch = nativeSetInterval(() => {
    if (window.demo?.state !== 'connected') return;
    nativeClearInterval(watch);
    enterStage('connected');
    try {
      walkTransforms();
    } catch (e) {
      error('walkTransforms', e);
    }
  }, 100);
})();
