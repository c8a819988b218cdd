/**
 * @module The bridge's answer to each data request of the page script (src/shared/data-messages.ts): the request,
 * checked, goes to the frame's {@link DataService}, and its result becomes the one reply with the request's id, with
 * the ArrayBuffer to transfer (the reply's bytes are a fresh copy the bridge owns, so moving it costs nothing).
 */
import type { DataReply, DataRequest } from '../../shared/data-messages';
import type { DataService, Incoming, Outgoing } from './service';

const utf8 = new TextEncoder();

/** A reply and what to transfer with it. */
export interface AnsweredRequest {
  reply: DataReply;
  transfer: ArrayBuffer[];
}

/** `bytes` as an ArrayBuffer of exactly its length (a copy unless it already is one). */
function bufferOf(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer;
  }
  return bytes.slice().buffer as ArrayBuffer;
}

function plain(reply: DataReply): AnsweredRequest {
  return { reply, transfer: [] };
}

function outgoingText(id: number, result: Outgoing<string>): AnsweredRequest {
  if (result.kind === 'send') return plain({ type: 'data-send-text', id, text: result.message });
  if (result.kind === 'drop') return plain({ type: 'data-drop', id, reason: result.reason });
  return plain({ type: 'data-as-is', id });
}

function incomingText(id: number, result: Incoming<string>): AnsweredRequest {
  if (result.kind === 'deliver') return plain({ type: 'data-deliver-text', id, text: result.message });
  if (result.kind === 'drop') return plain({ type: 'data-drop', id, reason: result.reason });
  if (result.kind === 'consumed') return plain({ type: 'data-consumed', id });
  return plain({ type: 'data-as-is', id });
}

/**
 * The reply to a seal or a confirmation: its envelope, or drop. Asked only for a connection the page script decided is
 * protected, so the page's own message never goes out instead (`as_is` is dropped too).
 */
function sealed(id: number, result: Outgoing<Uint8Array>): AnsweredRequest {
  if (result.kind !== 'send') {
    return plain({ type: 'data-drop', id, reason: result.kind === 'drop' ? result.reason : 'no_key' });
  }
  const data = bufferOf(result.message);
  return { reply: { type: 'data-send', id, data }, transfer: [data] };
}

/** The reply to one checked request. Never throws (the service never does). */
export async function answerDataRequest(service: DataService, request: DataRequest): Promise<AnsweredRequest> {
  const { id } = request;
  switch (request.type) {
    case 'data-line': {
      const value = await service.localLine(request.connection, request.role);
      return plain(value === undefined ? { type: 'data-line', id } : { type: 'data-line', id, value });
    }
    case 'data-remote-line': {
      const accepted = await service.remoteLine(request.connection, request.value);
      return plain({ type: 'data-remote-line', id, accepted });
    }
    case 'data-decided':
      service.decide(request.connection, request.protected);
      return plain({ type: 'data-done', id });
    case 'data-channel':
      service.channel(request.connection, request.streamId, request.label, {
        sent: request.sent,
        received: request.received,
        refused: request.refused,
      });
      return plain({ type: 'data-done', id });
    case 'data-seal': {
      const isString = typeof request.data === 'string';
      const bytes = typeof request.data === 'string' ? utf8.encode(request.data) : new Uint8Array(request.data);
      return sealed(id, await service.seal(request.connection, request.streamId, bytes, isString));
    }
    case 'data-open': {
      const result = await service.open(request.connection, request.streamId, new Uint8Array(request.data));
      if (result.kind === 'drop') return plain({ type: 'data-drop', id, reason: result.reason });
      if (result.kind === 'consumed') return plain({ type: 'data-consumed', id });
      if (result.kind === 'as_is') return plain({ type: 'data-as-is', id });
      if (typeof result.message === 'string') return plain({ type: 'data-deliver-text', id, text: result.message });
      const data = bufferOf(result.message);
      return { reply: { type: 'data-deliver', id, data }, transfer: [data] };
    }
    case 'data-confirm':
      return sealed(id, await service.confirm(request.connection, request.streamId));
    case 'data-text-out':
      return outgoingText(id, await service.protectText(request.connection, request.streamId, request.text));
    case 'data-text-in':
      return incomingText(id, await service.openText(request.connection, request.streamId, request.text));
    case 'data-closed':
      service.forget(request.connection);
      return plain({ type: 'data-done', id });
  }
}
