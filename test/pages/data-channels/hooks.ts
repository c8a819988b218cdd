/**
 * @module A hostile page's hooks, for the data-channel test page: every built-in the patch's data path could reach
 * after start-up (string, collection, promise, event, buffer and Blob methods and getters; RTCDataChannel's and
 * RTCPeerConnection's getters; `Reflect.apply` and Function.prototype's call/apply/bind; members a dictionary
 * conversion or property descriptor would look up on Object.prototype) replaced by a recorder that calls the original.
 * What the test's own code calls (the fake link, the site's listeners) runs quietly (quiet.ts) and is not recorded.
 * The patch took its natives before this page's scripts ran: it should record nothing.
 */
import { isQuiet, quietly } from './quiet';

const rApply = Reflect.apply;
const define = Object.defineProperty;
const describe = Object.getOwnPropertyDescriptor;
const setPrototype = Object.setPrototypeOf;

/** A property descriptor without a prototype: once members like `value` are hooked on Object.prototype, one with a
 * prototype would seem to have them all. */
function bare(descriptor: PropertyDescriptor): PropertyDescriptor {
  return setPrototype({ ...descriptor }, null) as PropertyDescriptor;
}

type Hooked = [target: object, key: PropertyKey, kind: 'value' | 'get'];

function targets(): Hooked[] {
  const typedArray = Object.getPrototypeOf(Uint8Array.prototype) as object;
  const arrayIterator = Object.getPrototypeOf([][Symbol.iterator]()) as object;
  const methods: [object, PropertyKey[]][] = [
    [String.prototype, ['indexOf', 'slice', 'charCodeAt', 'includes', 'split']],
    [Array.prototype, [Symbol.iterator, 'slice', 'indexOf']],
    [arrayIterator, ['next']],
    [Map.prototype, ['get', 'set', 'forEach', 'delete', 'has']],
    [WeakMap.prototype, ['get', 'set', 'has']],
    [WeakSet.prototype, ['has', 'add']],
    [Promise.prototype, ['then', 'catch', 'finally']],
    [Blob.prototype, ['arrayBuffer', 'slice']],
    [Reflect, ['apply', 'construct']],
    [Function.prototype, ['call', 'apply', 'bind', 'toString']],
    [EventTarget.prototype, ['addEventListener', 'removeEventListener', 'dispatchEvent']],
    [Event.prototype, ['stopImmediatePropagation', 'stopPropagation', 'preventDefault']],
    [ArrayBuffer, ['isView']],
    [ArrayBuffer.prototype, ['slice']],
    [typedArray, ['set', 'subarray', 'slice']],
    [Object, ['setPrototypeOf', 'defineProperty', 'getOwnPropertyDescriptor', 'create', 'assign']],
  ];
  const getters: [object, PropertyKey[]][] = [
    [MessageEvent.prototype, ['data']],
    [Blob.prototype, ['size']],
    [ArrayBuffer.prototype, ['byteLength']],
    [typedArray, ['buffer', 'byteOffset', 'byteLength']],
    [DataView.prototype, ['buffer', 'byteOffset', 'byteLength']],
    [RTCDataChannel.prototype, ['readyState', 'id', 'label', 'bufferedAmountLowThreshold', 'binaryType']],
    [RTCDataChannelEvent.prototype, ['channel']],
    [
      RTCPeerConnection.prototype,
      ['sctp', 'signalingState', 'currentLocalDescription', 'pendingLocalDescription', 'currentRemoteDescription'],
    ],
    [RTCSctpTransport.prototype, ['maxMessageSize']],
    [RTCSessionDescription.prototype, ['sdp', 'type']],
  ];
  const out: Hooked[] = [];
  for (const [target, keys] of methods) for (const key of keys) out.push([target, key, 'value']);
  for (const [target, keys] of getters) for (const key of keys) out.push([target, key, 'get']);
  return out;
}

/**
 * Members looked up on Object.prototype when an object lacks them: by a dictionary conversion (MessageEventInit,
 * RTCSessionDescriptionInit), a property descriptor, or a Proxy handler (each trap it does not define).
 */
const ABSENT_MEMBERS = ['bubbles', 'cancelable', 'composed', 'lastEventId', 'origin', 'ports', 'source', 'sdp', 'type'];
const DESCRIPTOR_MEMBERS = ['get', 'set', 'value', 'writable', 'enumerable', 'configurable'];
const PROXY_TRAPS = [
  'apply',
  'construct',
  'has',
  'getPrototypeOf',
  'setPrototypeOf',
  'ownKeys',
  'getOwnPropertyDescriptor',
  'defineProperty',
  'deleteProperty',
  'isExtensible',
  'preventExtensions',
];

export function hookBuiltins(): { stop(): string[] } {
  return quietly(install);
}

/** Installs the hooks (quietly: its own loops run on the hooked iterator). */
function install(): { stop(): string[] } {
  const called: string[] = [];
  const restore: (() => void)[] = [];
  const note = (name: string) => {
    // With where it was called from: a failure says which of the patch's calls reached the page.
    if (!isQuiet()) quietly(() => called.push(`${name} ${new Error().stack?.split('\n').slice(3, 6).join(' |')}`));
  };
  for (const [target, key, kind] of targets()) {
    const descriptor = describe(target, key);
    const original = kind === 'value' ? descriptor?.value : descriptor?.get;
    if (descriptor === undefined || typeof original !== 'function') continue;
    const name = `${(target as { constructor?: { name?: string } }).constructor?.name ?? '?'}.${String(key)}`;
    const recorder = function (this: unknown, ...args: unknown[]) {
      note(name);
      return rApply(original, this, args);
    };
    define(target, key, bare(kind === 'value' ? { ...descriptor, value: recorder } : { ...descriptor, get: recorder }));
    restore[restore.length] = () => define(target, key, bare(descriptor));
  }
  for (const member of [...ABSENT_MEMBERS, ...DESCRIPTOR_MEMBERS, ...PROXY_TRAPS]) {
    define(
      Object.prototype,
      member,
      bare({
        configurable: true,
        get() {
          note(`Object.prototype.${member}`);
          return undefined;
        },
      }),
    );
    restore[restore.length] = () => delete (Object.prototype as Record<string, unknown>)[member];
  }
  return {
    stop() {
      quietly(() => {
        for (let i = restore.length - 1; i >= 0; i--) restore[i]?.();
      });
      return called;
    },
  };
}
