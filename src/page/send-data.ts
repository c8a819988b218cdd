/**
 * @module What RTCDataChannel.send() accepts, read as the native reads it: its WebIDL overloads are a string, a Blob,
 * an ArrayBuffer or an ArrayBufferView, and anything else becomes a string. The data-channel patch (data-channels.ts)
 * queues what this returns; it must throw, synchronously, what the native throws (messages as Chromium 156 words them).
 *
 * Bytes are copied at once: the native copies them inside send(), and the page may change or transfer its buffer as
 * soon as send returns. Brand checks call the saved native getters, which throw for anything else (`instanceof` would
 * consult `Symbol.hasInstance`, which the page can define on Blob).
 */
import { natives as N } from './natives';
import { utf8Length } from './utf8-length';

const { apply } = N;

const PREFIX = "Failed to execute 'send' on 'RTCDataChannel': ";

/** One message the page sent: the data to seal or pass on (bytes copied), and the bytes it counts for. */
export interface Outgoing {
  data: string | ArrayBuffer | Blob;
  /** Its size as the native counts it: UTF-8 bytes of a string, a Blob's size, the bytes of a buffer or view. */
  size: number;
}

/** A TypeError of the page's realm with the native's wording. */
export function sendTypeError(message: string): TypeError {
  return new N.TypeError(`${PREFIX}${message}`);
}

/** A DOMException with the native's wording (`InvalidStateError`, `OperationError`). */
export function sendDomException(message: string, name: string): DOMException {
  return new N.DOMException(`${PREFIX}${message}`, name);
}

/** The byte length of `value` if it is an ArrayBuffer (not a SharedArrayBuffer), else undefined. */
export function arrayBufferLength(value: unknown): number | undefined {
  if (N.arrayBufferByteLength === undefined) return undefined;
  try {
    return apply(N.arrayBufferByteLength, value, []) as number;
  } catch {
    return undefined;
  }
}

/** Whether `value` is something the native sends as bytes as it is (an ArrayBuffer or an ArrayBufferView). */
export function isBytes(value: unknown): boolean {
  return apply(N.isView, undefined, [value]) === true || arrayBufferLength(value) !== undefined;
}

/** A copy of `length` bytes of `buffer` from `offset`, made with the saved Uint8Array and %TypedArray%.set. */
function copyBytes(buffer: ArrayBufferLike, offset: number, length: number): ArrayBuffer {
  const copy = new N.Uint8Array(length);
  apply(N.typedArraySet, copy, [new N.Uint8Array(buffer, offset, length)]);
  return apply(N.typedArrayBuffer as () => ArrayBuffer, copy, []);
}

/** A view's buffer, offset and length, read with the saved getters (%TypedArray%'s, else DataView's). */
function viewParts(view: unknown): { buffer: ArrayBufferLike; offset: number; length: number } {
  try {
    return {
      buffer: apply(N.typedArrayBuffer as () => ArrayBufferLike, view, []),
      offset: apply(N.typedArrayByteOffset as () => number, view, []),
      length: apply(N.typedArrayByteLength as () => number, view, []),
    };
  } catch {
    return {
      buffer: apply(N.dataViewBuffer as () => ArrayBufferLike, view, []),
      offset: apply(N.dataViewByteOffset as () => number, view, []),
      length: apply(N.dataViewByteLength as () => number, view, []),
    };
  }
}

/**
 * Reads send()'s arguments as the native does. Throws the native's TypeError for a missing argument, a Symbol and
 * shared memory, and whatever the page's own `toString` throws for an object that becomes a string.
 */
export function outgoing(args: readonly unknown[]): Outgoing {
  if (args.length === 0) throw sendTypeError('1 argument required, but only 0 present.');
  const value = args[0];
  if (typeof value === 'symbol') throw sendTypeError('Cannot convert a Symbol value to a string');
  if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
    if (N.blobSize !== undefined) {
      try {
        return { data: value as Blob, size: apply(N.blobSize, value, []) as number };
      } catch {
        // not a Blob
      }
    }
    const length = arrayBufferLength(value);
    if (length !== undefined) return { data: copyBytes(value as ArrayBuffer, 0, length), size: length };
    if (apply(N.isView, undefined, [value]) === true) {
      const { buffer, offset, length } = viewParts(value);
      if (arrayBufferLength(buffer) === undefined) {
        throw sendTypeError('The provided ArrayBufferView value must not be shared.');
      }
      return { data: copyBytes(buffer, offset, length), size: length };
    }
  }
  // The USVString overload: the page's own conversion, as the native would run it (a lone surrogate is sent as
  // U+FFFD, and counted so).
  const text = `${value as string}`;
  return { data: text, size: utf8Length(text) };
}
