/**
 * @module Built-ins saved before anything is hooked: this script's own work must not trip its hooks. Every other
 * module of the hostile page reads the built-ins it needs from here, and calls methods through the saved `apply`.
 * Evaluated first (main.ts imports nothing before it), while the page's built-ins are still the browser's (and
 * Framelock's page script's, which ran at document_start).
 */

/** A function of any shape, as the hooks see what they wrap. */
// biome-ignore lint/suspicious/noExplicitAny: the hooks wrap built-ins of every signature
export type AnyFunction = (...args: any[]) => any;

export const O = Object;
export const apply = Reflect.apply;
export const construct = Reflect.construct;
export const getDescriptor = O.getOwnPropertyDescriptor;
export const getNames = O.getOwnPropertyNames;
export const getSymbols = O.getOwnPropertySymbols;
export const getProto = O.getPrototypeOf;
export const defineProperty = O.defineProperty;
export const objectToString = O.prototype.toString;
export const fnToString = Function.prototype.toString;
export const nativeThen = Promise.prototype.then;
export const NativePromise = Promise;
export const NativeWeakSet = WeakSet;
export const weakHas = WeakSet.prototype.has;
export const weakAdd = WeakSet.prototype.add;
export const NativeWeakMap = WeakMap;
export const weakMapGet = WeakMap.prototype.get;
export const weakMapSet = WeakMap.prototype.set;
export const NativeSet = Set;
export const setHas = Set.prototype.has;
export const setAdd = Set.prototype.add;
export const arrayPush = Array.prototype.push;
export const isArray = Array.isArray;
export const isView = ArrayBuffer.isView;
export const regexpTest = RegExp.prototype.test;
export const NativeMessageChannel = MessageChannel;
export const NativeMessageEvent = MessageEvent;
export const NativeCustomEvent = CustomEvent;
export const nativeAddEventListener = EventTarget.prototype.addEventListener;
export const nativeRemoveEventListener = EventTarget.prototype.removeEventListener;
export const nativeDispatchEvent = EventTarget.prototype.dispatchEvent;
export const nativeSetTimeout = setTimeout;
export const nativeSetInterval = setInterval;
export const nativeClearInterval = clearInterval;

/** The getter of `proto[name]`, if there is one. */
export const getter = (proto: object | undefined, name: string): AnyFunction | undefined =>
  proto ? getDescriptor(proto, name)?.get : undefined;

/** The page's globals, some of which a browser may lack (looked up as the page would, through `globalThis`). */
export const page = globalThis as unknown as Partial<
  Pick<
    typeof globalThis,
    'CryptoKey' | 'Worker' | 'SharedArrayBuffer' | 'BroadcastChannel' | 'ServiceWorker' | 'EventSource'
  >
> &
  Pick<typeof globalThis, 'SubtleCrypto' | 'RTCRtpSender' | 'RTCRtpScriptTransform' | 'caches'>;

// Getters every browser has (hence the casts), then those of what a page may lack (CryptoKey: secure contexts only).
export const eventType = getter(Event.prototype, 'type') as AnyFunction;
export const messageData = getter(MessageEvent.prototype, 'data') as AnyFunction;
export const messagePorts = getter(MessageEvent.prototype, 'ports') as AnyFunction;
export const customDetail = getter(CustomEvent.prototype, 'detail') as AnyFunction;
export const byteLengthOfBuffer = getter(ArrayBuffer.prototype, 'byteLength') as AnyFunction;
export const portOnMessage = getter(MessagePort.prototype, 'onmessage') as AnyFunction;
export const channelPort1 = getter(MessageChannel.prototype, 'port1') as AnyFunction;
export const keyType = getter(page.CryptoKey?.prototype, 'type');
export const keyExtractable = getter(page.CryptoKey?.prototype, 'extractable');
export const keyAlgorithm = getter(page.CryptoKey?.prototype, 'algorithm');
export const workerOnMessage = getter(page.Worker?.prototype, 'onmessage');
export const sharedByteLength = getter(page.SharedArrayBuffer?.prototype, 'byteLength');

/** Where the caller was called from: `skip` frames up, six frames. */
export const errorStack = (skip: number): string =>
  (new Error().stack ?? '')
    .split('\n')
    .slice(skip, skip + 6)
    .join(' | ');

/** `list.push(item)` without the page's (hooked) Array.prototype.push. */
export const push = <T>(list: T[], item: T): number => apply(arrayPush, list, [item]);

/** The `[object Tag]` of `value`, read with the saved Object.prototype.toString. */
export const tagOf = (value: unknown): string => {
  try {
    return (apply(objectToString, value, []) as string).slice(8, -1);
  } catch {
    return 'unknown';
  }
};

/** Whether `value` is an object or a function: something that can carry properties and be a key of a WeakSet. */
export const isObject = (value: unknown): value is object =>
  value !== null && (typeof value === 'object' || typeof value === 'function');
