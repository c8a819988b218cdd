/**
 * @module The sending side of the in-band control channel (docs/keys.md, "The exchange (in-band)"):
 * sealed messages from the bridge, split into chunks that ride one per frame on every RTP stream the participant sends.
 *
 * - Order: messages go out in the order enqueued. Every stream walks the queue on its own, one chunk per frame: a
 *   stream seen for the first time (or again after it was forgotten) starts at the oldest message not yet sent
 *   everywhere.
 * - Determinism: a message is split at {@link CONTROL_CHUNK_BYTES} of the stream's kind, and numbered by the outbox
 *   (msg id = its sequence number mod 256), so chunk i of a message is the same bytes on every stream of a kind. A
 *   receiver the SFU moves between simulcast layers mid-message still joins the chunks (control-inbox.ts).
 * - Sent: once every stream that carried a frame within {@link CONTROL_STREAM_IDLE_MS} carried every chunk of the
 *   oldest message, `onSent(id)` is called once and the message is forgotten. A stream idle longer is forgotten
 *   and holds nothing back. With no stream at all, messages wait.
 * - Bound: at most {@link MAX_CONTROL_QUEUE} messages; enqueueing past that drops the oldest and calls
 *   `onDropped(id)`. It is not reported as sent: the bridge switches to a new sender key only once the message that
 *   carries it was sent (docs/keys.md, "When keys change"), and a dropped one never reached anybody.
 *
 * Nothing here throws on the frame path (`next`); `enqueue` refuses what it cannot send by returning false.
 */
import type { MediaKind } from '../shared/messages/schema';
import {
  CONTROL_AUDIO_FRAME_MAX_BYTES,
  CONTROL_CHUNK_BYTES,
  CONTROL_MESSAGE_MAX_BYTES,
  CONTROL_STREAM_IDLE_MS,
  MAX_CONTROL_QUEUE,
} from './constants';
import { encodeRegion } from './control-region';

export interface ControlOutboxEvents {
  /** Every stream sending lately has carried every chunk of message `id` once. Called once per message, in order. */
  onSent(id: number): void;
  /** Message `id` was dropped unsent: the queue was full (see {@link MAX_CONTROL_QUEUE}). */
  onDropped(id: number): void;
}

interface QueuedMessage {
  /** The bridge's id, handed back in onSent / onDropped. */
  readonly id: number;
  /** The outbox's own number for the message, counted up over the whole call: its msg id is this mod 256. */
  readonly seq: number;
  readonly bytes: Uint8Array;
}

interface StreamState {
  kind: MediaKind;
  /** When the stream last had a frame that could carry a chunk. */
  lastFrame: number;
  /** The message it carries, or the next it will carry (a seq: queued messages have seq ≥ this one's). */
  seq: number;
  /** The chunk of that message its next frame carries. */
  index: number;
}

/** How many chunks `length` bytes make at `chunkBytes` each. */
export function chunkCount(length: number, chunkBytes: number): number {
  return Math.ceil(length / chunkBytes);
}

export class ControlOutbox {
  readonly #events: ControlOutboxEvents;
  /** Oldest first; seqs increase along it. */
  #queue: QueuedMessage[] = [];
  readonly #streams = new Map<string, StreamState>();
  /**
   * The next message's seq. It goes on across clear(): a receiver still remembers the msg ids it got lately, and a
   * message that reused one straight away could be taken for a duplicate, or joined with a stale partial one.
   */
  #nextSeq = 0;

  constructor(events: ControlOutboxEvents) {
    this.#events = events;
  }

  /** Messages waiting to be sent everywhere. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Queues a sealed message (copied) behind the others. Returns false, queueing nothing, for bytes that are empty, not
   * a Uint8Array, or longer than {@link CONTROL_MESSAGE_MAX_BYTES}. A full queue drops its oldest message first.
   */
  enqueue(id: number, bytes: Uint8Array): boolean {
    if (!(bytes instanceof Uint8Array) || bytes.length === 0 || bytes.length > CONTROL_MESSAGE_MAX_BYTES) return false;
    this.#queue.push({ id, seq: this.#nextSeq++, bytes: bytes.slice() });
    if (this.#queue.length > MAX_CONTROL_QUEUE) {
      const dropped = this.#queue.shift();
      // Streams still on it move to the next message on their next frame (#carry).
      if (dropped !== undefined) this.#events.onDropped(dropped.id);
    }
    return true;
  }

  /**
   * The control region for the frame about to be sent on RTP stream `stream` (the transform id and the frame's
   * synchronizationSource) of kind `kind`, or undefined when the frame carries none: nothing queued for this stream,
   * or an audio frame longer than {@link CONTROL_AUDIO_FRAME_MAX_BYTES}, which must stay within one RTP packet.
   * Call it only for a frame that will go out protected: the chunk returned counts as carried. Never throws.
   */
  next(stream: string, kind: MediaKind, frameLength: number, now: number): Uint8Array | undefined {
    // A frame too long to carry anything does not count as the stream's activity either: an Opus stream at a high
    // bitrate would otherwise hold every message back while able to carry none.
    if (kind === 'audio' && frameLength > CONTROL_AUDIO_FRAME_MAX_BYTES) return undefined;
    let state = this.#streams.get(stream);
    if (state === undefined) {
      state = { kind, lastFrame: now, seq: this.#queue[0]?.seq ?? this.#nextSeq, index: 0 };
      this.#streams.set(stream, state);
    } else if (state.kind !== kind) {
      // Chunks differ by kind: a stream that changed kind starts its message again.
      state.kind = kind;
      state.index = 0;
    }
    state.lastFrame = now;
    const region = this.#carry(state);
    this.#settle(now);
    return region;
  }

  /** Keys were dropped: forgets every message (reporting none) and every stream. Msg ids go on counting. */
  clear(): void {
    this.#queue = [];
    this.#streams.clear();
  }

  /** The chunk `state`'s stream carries next, advancing it; undefined when it has carried everything queued. */
  #carry(state: StreamState): Uint8Array | undefined {
    const message = this.#queue.find((m) => m.seq >= state.seq);
    if (message === undefined) return undefined;
    if (message.seq !== state.seq) {
      // Its message was sent everywhere else while it was away, or dropped: on to the next one, from its start.
      state.seq = message.seq;
      state.index = 0;
    }
    const size = CONTROL_CHUNK_BYTES[state.kind];
    const last = chunkCount(message.bytes.length, size) - 1;
    const index = state.index;
    const region = encodeRegion({
      msgId: message.seq % 256,
      index,
      last,
      payload: message.bytes.subarray(index * size, (index + 1) * size),
    });
    if (index < last) {
      state.index++;
    } else {
      state.seq = message.seq + 1;
      state.index = 0;
    }
    return region;
  }

  /** Forgets idle streams, then reports (oldest first) every message all the remaining streams have carried. */
  #settle(now: number): void {
    for (const [key, state] of this.#streams) {
      if (now - state.lastFrame > CONTROL_STREAM_IDLE_MS) this.#streams.delete(key);
    }
    if (this.#streams.size === 0) return;
    for (let head = this.#queue[0]; head !== undefined; head = this.#queue[0]) {
      // A stream past a message carried all of it: streams start at the queue's head and only move forward.
      for (const state of this.#streams.values()) if (state.seq <= head.seq) return;
      this.#queue.shift();
      this.#events.onSent(head.id);
    }
  }
}
