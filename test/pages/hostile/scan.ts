/**
 * @module Looks through any value the hooks are handed for what a page must never get: a CryptoKey, a MessagePort or
 * Worker it did not make itself, a protocol message (types and fields of Framelock's hand-off), a BigInt (KIDs), raw
 * bytes of key sizes. Raises an alarm for each (log.ts) and returns a short summary of the value.
 */
import { alarm, error, isMine, noteBytes, noteString } from './log.ts';
import {
  type AnyFunction,
  apply,
  byteLengthOfBuffer,
  channelPort1,
  getDescriptor,
  getNames,
  isArray,
  isView,
  keyAlgorithm,
  keyExtractable,
  keyType,
  NativeSet,
  NativeWeakSet,
  page,
  portOnMessage,
  push,
  setHas,
  sharedByteLength,
  tagOf,
  weakAdd,
  weakHas,
  workerOnMessage,
} from './natives.ts';

/** Message types and fields of Framelock's hand-off (src/shared/messages/, src/shared/handshake.ts). */
const PROTOCOL_TYPES = new NativeSet<unknown>([
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
const PROTOCOL_FIELDS = new NativeSet<string>([
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

/** Whether the native `getter` accepts `value`: a brand check that a prototype or a lookalike cannot pass. */
const passes = (native: AnyFunction | undefined, value: unknown): boolean => {
  if (native === undefined) return false;
  try {
    apply(native, value, []);
    return true;
  } catch {
    return false;
  }
};
type Brand = 'CryptoKey' | 'MessagePort' | 'Worker' | 'MessageChannel' | 'ArrayBuffer' | 'SharedArrayBuffer';
const BRANDS: [Brand, AnyFunction | undefined][] = [
  ['CryptoKey', keyType],
  ['MessagePort', portOnMessage],
  ['Worker', workerOnMessage],
  ['MessageChannel', channelPort1],
  ['ArrayBuffer', byteLengthOfBuffer],
  ['SharedArrayBuffer', sharedByteLength],
];
/** What `value` really is, among the things worth an alarm (or undefined). Cheap for ordinary objects. */
export function brandOf(value: unknown): Brand | 'view' | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  if (isView(value)) return 'view';
  const tag = tagOf(value);
  for (let i = 0; i < BRANDS.length; i++) {
    // Indexed, not destructured: destructuring runs the page's (hooked) array iterator.
    const entry = BRANDS[i] as [Brand, AnyFunction | undefined];
    if (tag === entry[0]) return passes(entry[1], value) ? entry[0] : undefined;
  }
  return undefined;
}

function byteLength(value: unknown, tag: string): number {
  try {
    if (tag === 'ArrayBuffer') return apply(byteLengthOfBuffer, value, []);
    if (tag === 'SharedArrayBuffer') return apply(sharedByteLength as AnyFunction, value, []);
    return (value as ArrayBufferView).byteLength;
  } catch {
    return -1;
  }
}

interface ScanState {
  visited: number;
  seen: WeakSet<object>;
}

/**
 * Looks through `value` (own data properties only, never getters: a getter could be a trap) for what a page must
 * never get, and returns a short summary. Bounded in depth and in the number of values visited.
 */
export function scan(
  value: unknown,
  where: string,
  path = '$',
  depth = 0,
  state: ScanState = { visited: 0, seen: new NativeWeakSet() },
): string {
  if (state.visited++ > 400 || depth > 6) return '…';
  const type = typeof value;
  if (type === 'string') {
    const text = value as string;
    noteString(text);
    return text.length > 60 ? `"${text.slice(0, 57)}…"` : JSON.stringify(text);
  }
  if (type === 'bigint') {
    alarm('bigint', where, path);
    return 'bigint';
  }
  if (value === null || (type !== 'object' && type !== 'function')) return String(value);
  const object = value as object;
  if (apply(weakHas, state.seen, [object])) return '(seen)';
  apply(weakAdd, state.seen, [object]);
  if (isMine(object)) return '(ours)';
  const tag = tagOf(object);
  const brand = brandOf(object);
  if (brand === 'CryptoKey') {
    let detail = path;
    try {
      const algorithm = apply(keyAlgorithm as AnyFunction, object, []) as KeyAlgorithm | undefined;
      detail = `${path}: ${apply(keyType as AnyFunction, object, [])} ${algorithm?.name} extractable=${apply(keyExtractable as AnyFunction, object, [])}`;
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
    const length = byteLength(object, brand);
    noteBytes(length, where, path);
    return `${tag}(${length})`;
  }
  if (tag === 'RTCRtpScriptTransform' && object !== page.RTCRtpScriptTransform?.prototype) return tag;
  if (type === 'function') return `function ${(object as AnyFunction).name || ''}`;
  let names: string[];
  try {
    names = getNames(object);
  } catch {
    return tag;
  }
  if (isArray(object) && names.length > 60) names = names.slice(0, 60);
  const typeDescriptor = getDescriptor(object, 'type');
  if (typeDescriptor && 'value' in typeDescriptor && apply(setHas, PROTOCOL_TYPES, [typeDescriptor.value])) {
    alarm('protocol message', where, `${path}.type = ${typeDescriptor.value}`);
  }
  const parts: string[] = [];
  for (let i = 0; i < names.length && i < 60; i++) {
    const name = names[i] as string;
    if (apply(setHas, PROTOCOL_FIELDS, [name]) && !isArray(object)) alarm('protocol field', where, `${path}.${name}`);
    let descriptor: PropertyDescriptor | undefined;
    try {
      descriptor = getDescriptor(object, name);
    } catch {
      continue;
    }
    if (descriptor === undefined || !('value' in descriptor)) continue;
    const summary = scan(descriptor.value, where, `${path}.${name}`, depth + 1, state);
    if (parts.length < 8) push(parts, `${name}: ${summary}`);
  }
  return `${tag} {${parts.join(', ')}}`;
}
