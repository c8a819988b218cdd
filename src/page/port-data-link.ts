/**
 * @module The page script's {@link DataLink} over its private port to the bridge (src/shared/data-messages.ts): each
 * member posts one request with a fresh id, and the bridge's one reply with that id, checked by hand on the natives
 * saved before the page ran, answers it. The bridge holds every key; this side only carries messages.
 *
 * The page never holds the port, so it can neither ask nor answer. What it can do is slow us down or make the bridge
 * disappear (a reload of the extension): every wait is bounded by the patch (answer.ts), and a reply that comes after
 * its deadline finds its entry gone or answers nothing (answerWithin takes one answer). Entries are bounded too: past
 * {@link MAX_PENDING} unanswered requests the oldest are answered with the fallback, so a bridge that stopped
 * answering costs a bounded amount of memory.
 */
import { checkDataReply, DATA_TEXT_MARKER, type DataReply, type ReplyCheckNatives } from '../shared/data-messages';
import type { ChannelReport, DataLink } from './data-link';
import { natives as N } from './natives';

const { apply } = N;

/** Unanswered requests kept at most (a healthy bridge has a few dozen in flight at the busiest). */
const MAX_PENDING = 4_096;

/** What the port link adds to a DataLink: the bridge's replies, handed over by the port's message handler. */
export interface PortDataLink extends DataLink {
  /**
   * One message of the bridge on the private port: true if it was a data reply (whatever became of it), false if it is
   * some other message for the caller to handle.
   */
  onMessage(untrusted: unknown): boolean;
}

/** What the hand check calls: natives saved at document_start (an ArrayBuffer's byteLength through its getter). */
const CHECK_NATIVES: ReplyCheckNatives = {
  keys: N.keys,
  byteLengthOf(value) {
    if (N.arrayBufferByteLength === undefined) return undefined;
    try {
      return apply(N.arrayBufferByteLength, value, []) as number; // throws for anything but an ArrayBuffer
    } catch {
      return undefined;
    }
  },
};

/** Whether `type` names a data reply (the prefix all of them share), by index: no String method of the page's. */
function isDataType(type: unknown): boolean {
  return typeof type === 'string' && type.length > 5 && type[0] === 'd' && type[4] === '-' && type[1] === 'a';
}

export function portDataLink(port: MessagePort): PortDataLink {
  const post = N.portPostMessage;
  /** Unanswered requests by id, in the order they were made (a Map keeps insertion order). */
  const pending = new N.Map<number, (reply: DataReply | undefined) => void>();
  let nextId = 0;
  /** Channels already named to the bridge (connection and stream id), so each is named once. */
  const named = new N.Map<string, true>();

  /** Posts `request` with a fresh id; `then` gets the checked reply, or undefined if it cannot be sent or is refused. */
  function ask(
    request: Record<string, unknown>,
    transfer: ArrayBuffer[],
    then: (reply: DataReply | undefined) => void,
  ) {
    if (post === undefined) {
      then(undefined);
      return;
    }
    const id = nextId++;
    request.id = id; // our own fresh object literal's data property: no setter of the page's runs
    if (pending.size >= MAX_PENDING) {
      // The oldest first: a bridge this far behind is not answering. (Its answer, if it comes, finds nothing.)
      let oldest: number | undefined;
      apply(N.mapForEach, pending, [
        (_: unknown, key: number) => {
          if (oldest === undefined) oldest = key;
        },
      ]);
      if (oldest !== undefined) {
        const stale = apply(N.mapGet, pending, [oldest]) as (reply: DataReply | undefined) => void;
        apply(N.mapDelete, pending, [oldest]);
        stale(undefined);
      }
    }
    apply(N.mapSet, pending, [id, then]);
    try {
      apply(post, port, [request, transfer]);
    } catch {
      apply(N.mapDelete, pending, [id]);
      then(undefined); // a string too long to clone, say: nothing goes
    }
  }

  /** A request literal without a prototype: posting it reads only its own members. */
  function request<T extends object>(fields: T): T {
    N.setPrototypeOf(fields, null);
    return fields;
  }

  return {
    textMarker: DATA_TEXT_MARKER,

    onMessage(untrusted) {
      if (typeof untrusted !== 'object' || untrusted === null) return false;
      if (!isDataType((untrusted as { type?: unknown }).type)) return false;
      const reply = checkDataReply(untrusted, CHECK_NATIVES);
      if (reply === undefined) return true; // not a reply we can read: the request's deadline answers it
      const then = apply(N.mapGet, pending, [reply.id]) as ((reply: DataReply | undefined) => void) | undefined;
      if (then === undefined) return true; // answered already (late, or a duplicate)
      apply(N.mapDelete, pending, [reply.id]);
      then(reply);
      return true;
    },

    localLine(connection, role, answer) {
      ask(request({ type: 'data-line', connection, role }), [], (reply) =>
        answer(reply?.type === 'data-line' ? reply.value : undefined),
      );
    },

    remoteLine(connection, line, answer) {
      const fields =
        line === undefined
          ? request({ type: 'data-remote-line', connection })
          : request({ type: 'data-remote-line', connection, value: line });
      ask(fields, [], (reply) => answer(reply?.type === 'data-remote-line' && reply.accepted));
    },

    closed(connection) {
      ask(request({ type: 'data-closed', connection }), [], () => {});
    },

    decided(connection, isProtected) {
      ask(request({ type: 'data-decided', connection, protected: isProtected }), [], () => {});
    },

    seal(connection, streamId, data, answer) {
      // `data` is the patch's own copy of the page's bytes (or the page's string): moving it costs nothing.
      const transfer = typeof data === 'string' ? [] : [data];
      ask(request({ type: 'data-seal', connection, streamId, data }), transfer, (reply) =>
        answer(reply?.type === 'data-send' ? reply.data : undefined),
      );
    },

    open(connection, streamId, data, answer) {
      ask(request({ type: 'data-open', connection, streamId, data }), [data], (reply) => {
        if (reply?.type === 'data-deliver') answer(reply.data);
        else if (reply?.type === 'data-deliver-text') answer(reply.text);
        else if (reply?.type === 'data-consumed') answer(null);
        else answer(undefined);
      });
    },

    confirm(connection, streamId, answer) {
      ask(request({ type: 'data-confirm', connection, streamId }), [], (reply) =>
        answer(reply?.type === 'data-send' ? reply.data : undefined),
      );
    },

    protectText(connection, streamId, text, answer) {
      // No reply (it could not be posted, or the bridge fell far behind): no answer, so the patch's deadline decides,
      // and a text that may be a profile's never goes out unexamined (data-channels.ts).
      ask(request({ type: 'data-text-out', connection, streamId, text }), [], (reply) => {
        if (reply === undefined) return;
        if (reply.type === 'data-send-text') answer({ text: reply.text, profile: 'textroom' });
        else if (reply.type === 'data-as-is') answer(undefined);
        else answer('drop');
      });
    },

    openText(connection, streamId, text, answer) {
      ask(request({ type: 'data-text-in', connection, streamId, text }), [], (reply) => {
        if (reply === undefined) return;
        if (reply.type === 'data-deliver-text') answer({ text: reply.text, profile: 'textroom' });
        else if (reply.type === 'data-as-is') answer(undefined);
        else answer('drop');
      });
    },

    report(channel: ChannelReport) {
      // The bridge keeps the counts the user sees (it sealed and opened each message); it needs each channel's label.
      const { connection, streamId, label } = channel;
      if (streamId === undefined) return;
      const key = `${connection}/${streamId}`;
      if (apply(N.mapGet, named, [key]) === true) return;
      apply(N.mapSet, named, [key, true]);
      ask(request({ type: 'data-channel', connection, streamId, label: cut(label) }), [], () => {});
    },
  };
}

/** A label as the bridge takes it: at most 128 UTF-16 code units (MAX_DATA_LABEL_CHARS), cut by index. */
function cut(label: string): string {
  if (label.length <= 128) return label;
  let out = '';
  for (let i = 0; i < 128; i++) out += label[i];
  return out;
}
