/**
 * @module Built-ins the page script needs, saved at document_start before any page script can replace them. After
 * start-up the page script calls only these, through the saved `apply`, never the page's (possibly hooked) globals.
 */

const apply = Reflect.apply;
const getDescriptor = Object.getOwnPropertyDescriptor;

function method<T extends object, K extends keyof T>(proto: T | undefined, name: K): T[K] | undefined {
  return proto ? (getDescriptor(proto, name)?.value as T[K] | undefined) : undefined;
}

const w = window as unknown as Record<string, unknown>;
const pcProto = (w.RTCPeerConnection as { prototype?: RTCPeerConnection } | undefined)?.prototype;
const channelProto = (w.RTCDataChannel as { prototype?: RTCDataChannel } | undefined)?.prototype;
/** %TypedArray%.prototype: the getters every typed array shares. */
const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;

function getter(proto: object | undefined, name: string): (() => unknown) | undefined {
  return proto ? (getDescriptor(proto, name)?.get as (() => unknown) | undefined) : undefined;
}

export const natives = {
  apply,
  construct: Reflect.construct,
  defineProperty: Object.defineProperty,
  keys: Object.keys,
  dateNow: Date.now,
  setPrototypeOf: Object.setPrototypeOf,
  getDescriptor,
  Proxy,
  WeakSet,
  WeakMap,
  weakMapGet: WeakMap.prototype.get,
  weakMapSet: WeakMap.prototype.set,
  functionToString: Function.prototype.toString,
  weakSetHas: WeakSet.prototype.has,
  weakSetAdd: WeakSet.prototype.add,
  Map,
  mapSet: Map.prototype.set,
  mapDelete: Map.prototype.delete,
  mapForEach: Map.prototype.forEach,
  WeakRef,
  weakRefDeref: WeakRef.prototype.deref,
  setInterval: window.setInterval,
  Worker: w.Worker as typeof Worker | undefined,
  workerPostMessage: method(globalThis.Worker?.prototype, 'postMessage'),
  workerAddEventListener: EventTarget.prototype.addEventListener,
  workerTerminate: method(globalThis.Worker?.prototype, 'terminate'),
  Blob,
  createObjectURL: URL.createObjectURL,
  MessageChannel,
  channelPort1: getDescriptor(MessageChannel.prototype, 'port1')?.get,
  channelPort2: getDescriptor(MessageChannel.prototype, 'port2')?.get,
  messageEventData: getDescriptor(MessageEvent.prototype, 'data')?.get,
  portPostMessage: method(globalThis.MessagePort?.prototype, 'postMessage'),
  DOMException,
  MutationObserver: globalThis.MutationObserver as typeof MutationObserver | undefined,
  getAttribute: Element.prototype.getAttribute,
  iframeSrc: getDescriptor(globalThis.HTMLIFrameElement?.prototype ?? {}, 'src')?.get,
  MessageEvent,
  CustomEvent,
  dispatchEvent: EventTarget.prototype.dispatchEvent,
  addEventListener: EventTarget.prototype.addEventListener,
  removeEventListener: EventTarget.prototype.removeEventListener,
  promiseThen: Promise.prototype.then,
  RTCPeerConnection: w.RTCPeerConnection as typeof RTCPeerConnection | undefined,
  RTCRtpScriptTransform: w.RTCRtpScriptTransform as (new (worker: Worker, options?: unknown) => object) | undefined,
  getTransceivers: method(pcProto, 'getTransceivers'),
  closeConnection: method(pcProto, 'close'),
  senderTransform: getDescriptor(globalThis.RTCRtpSender?.prototype ?? {}, 'transform'),
  receiverTransform: getDescriptor(globalThis.RTCRtpReceiver?.prototype ?? {}, 'transform'),
  transceiverSender: getDescriptor(globalThis.RTCRtpTransceiver?.prototype ?? {}, 'sender')?.get,
  transceiverReceiver: getDescriptor(globalThis.RTCRtpTransceiver?.prototype ?? {}, 'receiver')?.get,
  senderTrack: getDescriptor(globalThis.RTCRtpSender?.prototype ?? {}, 'track')?.get,
  receiverTrack: getDescriptor(globalThis.RTCRtpReceiver?.prototype ?? {}, 'track')?.get,
  trackKind: getDescriptor(globalThis.MediaStreamTrack?.prototype ?? {}, 'kind')?.get,
  trackId: getDescriptor(globalThis.MediaStreamTrack?.prototype ?? {}, 'id')?.get,
  transceiverReceiverOf: getDescriptor(globalThis.RTCTrackEvent?.prototype ?? {}, 'receiver')?.get,
  transceiverOfTrackEvent: getDescriptor(globalThis.RTCTrackEvent?.prototype ?? {}, 'transceiver')?.get,
  // The data-channel patch (data-channels.ts, data-sdp.ts, send-data.ts).
  Promise,
  TypeError,
  Event,
  Uint8Array,
  setTimeout: window.setTimeout,
  clearTimeout: window.clearTimeout,
  mapGet: Map.prototype.get,
  stringIndexOf: String.prototype.indexOf,
  stopImmediatePropagation: Event.prototype.stopImmediatePropagation,
  RTCDataChannel: w.RTCDataChannel as typeof RTCDataChannel | undefined,
  channelSend: method(channelProto, 'send'),
  channelReadyState: getter(channelProto, 'readyState'),
  channelId: getter(channelProto, 'id'),
  channelLabel: getter(channelProto, 'label'),
  channelBufferedAmount: getter(channelProto, 'bufferedAmount'),
  channelLowThreshold: getter(channelProto, 'bufferedAmountLowThreshold'),
  channelOfEvent: getter(globalThis.RTCDataChannelEvent?.prototype, 'channel'),
  signalingState: getter(pcProto, 'signalingState'),
  pendingLocalDescription: getter(pcProto, 'pendingLocalDescription'),
  currentLocalDescription: getter(pcProto, 'currentLocalDescription'),
  currentRemoteDescription: getter(pcProto, 'currentRemoteDescription'),
  sctp: getter(pcProto, 'sctp'),
  maxMessageSize: getter(globalThis.RTCSctpTransport?.prototype, 'maxMessageSize'),
  RTCSessionDescription: w.RTCSessionDescription as typeof RTCSessionDescription | undefined,
  descriptionType: getter(globalThis.RTCSessionDescription?.prototype, 'type'),
  descriptionSdp: getter(globalThis.RTCSessionDescription?.prototype, 'sdp'),
  blobArrayBuffer: Blob.prototype.arrayBuffer,
  blobSize: getter(Blob.prototype, 'size'),
  arrayBufferByteLength: getter(ArrayBuffer.prototype, 'byteLength'),
  isView: ArrayBuffer.isView,
  typedArrayBuffer: getter(typedArrayProto, 'buffer'),
  typedArrayByteOffset: getter(typedArrayProto, 'byteOffset'),
  typedArrayByteLength: getter(typedArrayProto, 'byteLength'),
  typedArraySet: (typedArrayProto as { set?: unknown }).set as Uint8Array['set'],
  dataViewBuffer: getter(DataView.prototype, 'buffer'),
  dataViewByteOffset: getter(DataView.prototype, 'byteOffset'),
  dataViewByteLength: getter(DataView.prototype, 'byteLength'),
} as const;
