/**
 * @module The wire tap of the data-channel test page (`/data-channels-tap.js`), a classic script that runs before the
 * page module: it replaces RTCDataChannel.prototype.send with a recorder, so the natives the patch saves at start
 * (src/page/natives.ts) are this, and every message the patch hands the browser is recorded: what the channel carried.
 * It keeps the real native for the test to send below the patch (plaintext on a protected channel). Its recording is
 * the test's own work (quiet.ts); it calls the native with the `Reflect.apply` it took first.
 */
import { PLAIN_MARK, type WireApi, type WireRecord } from './api';
import { quietly } from './quiet';

const rApply = Reflect.apply;
const nativeSend = RTCDataChannel.prototype.send;
const labelOf = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'label')?.get as () => string;
const MARK = new TextEncoder().encode(PLAIN_MARK);

function hasMark(bytes: Uint8Array): boolean {
  outer: for (let i = 0; i + MARK.length <= bytes.length; i++) {
    for (let j = 0; j < MARK.length; j++) if (bytes[i + j] !== MARK[j]) continue outer;
    return true;
  }
  return false;
}

function record(label: string, data: unknown): WireRecord {
  if (typeof data === 'string') {
    return {
      label,
      kind: 'string',
      size: data.length,
      first: data.charCodeAt(0),
      plain: data.includes(PLAIN_MARK),
      text: data.slice(0, 64),
    };
  }
  if (data instanceof Blob) return { label, kind: 'blob', size: data.size, first: -1, plain: false, text: '' };
  const bytes = ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data as ArrayBuffer);
  return { label, kind: 'binary', size: bytes.length, first: bytes[0] ?? -1, plain: hasMark(bytes), text: '' };
}

function isConfirmation(data: unknown): boolean {
  const bytes = ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : undefined;
  return bytes?.[1] === 2;
}

const wire: WireApi = {
  log: [],
  confirmations: 0,
  send: nativeSend,
  clear() {
    wire.log.length = 0;
    wire.confirmations = 0;
  },
};

RTCDataChannel.prototype.send = function send(this: RTCDataChannel, data: never) {
  quietly(() => {
    const entry = record(labelOf.call(this), data);
    // The offerer's confirmation (the fake's control envelope: 0xF1, flags 2) is counted apart: not the page's.
    if (entry.kind === 'binary' && entry.first === 0xf1 && isConfirmation(data)) wire.confirmations++;
    else wire.log.push(entry);
  });
  return rApply(nativeSend, this, [data]);
} as RTCDataChannel['send'];

(window as unknown as { __wire: WireApi }).__wire = wire;
