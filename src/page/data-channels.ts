/**
 * @module The site's own RTCDataChannel messages (issue 16 part 2): on a protected connection (data-sdp.ts) every
 * message is sealed by the bridge before it leaves and opened before the page sees it; on one that is not, strings go
 * past the link's text profiles (a relay's text field) and everything else passes untouched, in order.
 *
 * ```
 * page: send(x) ─▶ checks as the native (sync) ─▶ read Blobs ─▶ link.seal / protectText ─▶ native send, in order
 *                  bufferedAmount = native + queued    (in order)   (asked in order, answered in any)
 * native 'message' ─▶ our capture listener: stopImmediatePropagation ─▶ incoming queue ─▶ link.open / openText
 *                                                 ─▶ in arrival order: a MessageEvent to onmessage and every listener
 * ```
 * What the page sees is kept: `send` returns at once and throws what the native throws; `bufferedAmount` counts what
 * waits in our queue; Blobs are read in order; `close()` drops what is queued; messages arrive in order as a string,
 * an ArrayBuffer or a Blob as the native delivered them (per `binaryType` at arrival); `open`, `close`, `error`,
 * `label`, `id`, `readyState`... are the native's. Two things cannot be kept: a message we dispatch has `isTrusted`
 * false (no script can dispatch a trusted event), and on a protected connection a message may be at most
 * `maxMessageSize` minus {@link SEAL_OVERHEAD_BYTES}. Where nothing needs doing (a connection that is not protected,
 * nothing queued, bytes, or a string without the link's marker) the native call and the native event go through as
 * they are.
 *
 * Our listener is on each channel before the site can hold it: createDataChannel's result gets it before it is
 * returned, and a `datachannel` event's channel in our capture listener on the connection, added when it was built,
 * before the site's. Everything runs on built-ins saved at document_start (natives.ts); nothing awaits.
 */
import { answerWithin, type Timers } from './answer';
import {
  CHANNEL_REPORT_INTERVAL_MS,
  DATA_ANSWER_MS,
  ENVELOPE_MARKER,
  MAX_BUFFERED_BYTES,
  PROFILED_HINT,
  SEAL_OVERHEAD_BYTES,
} from './constants';
import type { ChannelReport, DataLink, ProfiledText, TextProfile } from './data-link';
import { type Connection, installSdpHooks } from './data-sdp';
import { type InOrder, inOrder } from './in-order';
import { natives as N } from './natives';
import { proxyOf } from './proxy';
import { arrayBufferLength, isBytes, type Outgoing, outgoing, sendDomException, sendTypeError } from './send-data';

const { apply } = N;

/** What the page script does with the connections its constructor builds (patch.ts calls it). */
export interface DataChannels {
  /** Follows `pc`, just built by this realm's constructor: its descriptions and every channel it gets. */
  adopt(pc: object): void;
}

/** A message the page sent, queued: what it sent (bytes copied) and what it counts for. */
interface Queued extends Outgoing {
  /** What it counts for against the native's queue limit: its size, plus the envelope if it may be sealed. */
  wire: number;
}

/** A queued message's data once read: a string or bytes, or undefined (a Blob that could not be read). */
type Readable = string | ArrayBuffer | undefined;

/** A queued message, read. */
interface Read {
  data: Readable;
  item: Queued;
}

/** What the queue hands the native for one message: the data, or undefined (not sent: counted). */
type Sending = string | ArrayBuffer | undefined;

/** A message the native delivered, as it delivered it. */
interface Arrived {
  data: unknown;
}

/**
 * What reaches the page for one arrived message, or undefined (dropped: counted), or null (the peer's confirmation,
 * Framelock's own: nothing reaches the page, nothing is counted).
 */
type Delivering = { data: unknown } | null | undefined;

/** Reads a Blob's bytes with the saved `Blob.prototype.arrayBuffer` (undefined if it cannot be read). */
function readBlob(blob: Blob, take: (bytes: ArrayBuffer | undefined) => void): void {
  try {
    const reading = apply(N.blobArrayBuffer, blob, []) as Promise<ArrayBuffer>;
    apply(N.promiseThen, reading, [take, () => take(undefined)]);
  } catch {
    take(undefined);
  }
}

function contains(text: string, part: string): boolean {
  return (apply(N.stringIndexOf, text, [part]) as number) !== -1;
}

export function installDataChannels(link: DataLink): DataChannels | undefined {
  const { RTCPeerConnection: NativePC, RTCDataChannel: NativeChannel, channelSend, channelReadyState } = N;
  if (NativePC === undefined || NativeChannel === undefined || channelSend === undefined) return undefined;
  if (channelReadyState === undefined || N.channelBufferedAmount === undefined) return undefined;
  const timers: Timers = {
    setTimeout: (callback, ms) => apply(N.setTimeout, window, [callback, ms]),
    clearTimeout: (handle) => apply(N.clearTimeout, window, [handle]),
  };
  const sdp = installSdpHooks(link, timers);
  if (sdp === undefined) return undefined;
  const marker = link.textMarker;
  const channels = new N.WeakMap<object, ChannelState>();
  let serial = 0;

  const readyState = (channel: object) => apply(channelReadyState, channel, []) as RTCDataChannelState;
  const nativeBuffered = (channel: object) => apply(N.channelBufferedAmount as () => number, channel, []);
  const lowThreshold = (channel: object) =>
    N.channelLowThreshold === undefined ? 0 : (apply(N.channelLowThreshold, channel, []) as number);

  /** The connection's SCTP maxMessageSize (Infinity if the browser says none, or we cannot read it). */
  function maxMessageSize(pc: object): number {
    try {
      const transport = N.sctp === undefined ? null : apply(N.sctp, pc, []);
      if (transport === null || N.maxMessageSize === undefined) return Number.POSITIVE_INFINITY;
      return apply(N.maxMessageSize, transport, []) as number;
    } catch {
      return Number.POSITIVE_INFINITY;
    }
  }

  class ChannelState {
    readonly channel: object;
    readonly connection: Connection;
    readonly number: number;
    readonly label: string;
    /**
     * What the page sends goes through two in-order steps, so that the link is asked to seal in the page's order
     * (the bridge numbers sealed messages as it is asked): Blobs are read first, which takes a while.
     */
    readonly reading: InOrder<Queued>;
    readonly sealing: InOrder<Read>;
    readonly incoming: InOrder<Arrived>;
    /** Bytes the page sent that wait in our queue: what `bufferedAmount` adds to the native's. */
    queuedBytes = 0;
    /** The same, counting the envelope on what may be sealed: checked against the native's queue limit. */
    queuedWire = 0;
    /** The page may be waiting for `bufferedamountlow` that the native will not send (see {@link onLow}). */
    owed = false;
    sent = 0;
    received = 0;
    dropped = 0;
    unsent = 0;
    unprotected = 0;
    profile: TextProfile | undefined = undefined;
    /** Our confirmation went out on this channel (offerer of a protected connection). */
    confirmSent = false;
    /** A report waits for its throttle; the last one (closed) went. */
    reportDue = false;
    finished = false;

    constructor(channel: object, connection: Connection) {
      this.channel = channel;
      this.connection = connection;
      this.number = ++serial;
      let label = '';
      try {
        label = N.channelLabel === undefined ? '' : (apply(N.channelLabel, channel, []) as string);
      } catch {
        // not a channel after all: it gets no label
      }
      this.label = label;
      this.sealing = inOrder<Read, Sending>({
        process: (read, done) => this.seal(read, done),
        deliver: (data, read) => this.sendNative(data, read.item),
      });
      this.reading = inOrder<Queued, Readable>({
        process: (item, done) => this.read(item, done),
        deliver: (data, item) => this.sealing.push({ data, item }),
      });
      this.reading.start(); // reading needs no decision; sealing starts with it
      this.incoming = inOrder<Arrived, Delivering>({
        process: (item, done) => this.open(item, done),
        deliver: (out) => this.deliver(out),
      });
    }

    /** The stream id the envelope binds a message to (the channel's id: known once it is open). */
    streamId(): number | undefined {
      const id = N.channelId === undefined ? null : apply(N.channelId, this.channel, []);
      return typeof id === 'number' ? id : undefined;
    }

    /** The first step out: a Blob's bytes (read in order, as the native does not), anything else as it is. */
    read(item: Queued, done: (data: Readable) => void): void {
      const { data } = item;
      if (typeof data === 'string' || arrayBufferLength(data) !== undefined) done(data as string | ArrayBuffer);
      else readBlob(data as Blob, done);
    }

    /** The second: sealed (protected), past the text profiles (a string otherwise), or as it is (bytes). */
    seal({ data }: Read, done: (data: Sending) => void): void {
      const { id, decision } = this.connection;
      const streamId = this.streamId();
      if (data === undefined || (decision === true && streamId === undefined)) {
        done(undefined); // a Blob that could not be read; or no stream id to bind to (never the case once open)
      } else if (decision === true) {
        answerWithin<ArrayBuffer | undefined>(
          timers,
          DATA_ANSWER_MS,
          undefined,
          (answer) => link.seal(id, streamId as number, data, answer),
          (sealed) => done(sealed),
        );
      } else if (typeof data === 'string') {
        answerWithin<ProfiledText | 'drop' | undefined>(
          timers,
          DATA_ANSWER_MS,
          undefined,
          (answer) => link.protectText(id, streamId ?? 0, data, answer),
          (rewritten, source) => {
            if (source !== 'answered') {
              this.unprotected++;
              // Unexamined, it may be a chat text the profile would have sealed: never in clear.
              if (contains(data, PROFILED_HINT)) {
                done(undefined);
                return;
              }
            }
            if (rewritten === 'drop') done(undefined);
            else {
              if (rewritten !== undefined) this.profile = rewritten.profile;
              done(rewritten === undefined ? data : rewritten.text);
            }
          },
        );
      } else done(data);
    }

    /** Messages the page sent that are not on the native yet. */
    queued(): number {
      return this.reading.length + this.sealing.length;
    }

    sendNative(data: Sending, item: Queued): void {
      this.queuedBytes -= item.size;
      this.queuedWire -= item.wire;
      if (data === undefined) this.unsent++;
      else {
        try {
          apply(channelSend as (data: unknown) => void, this.channel, [data]);
          this.sent++;
        } catch {
          this.unsent++;
          // Closing or closed: nothing queued can go any more.
          if (readyState(this.channel) !== 'open') this.dropQueue();
        }
      }
      if (this.queued() === 0) this.settleLow();
      this.changed();
    }

    open(item: Arrived, done: (out: Delivering) => void): void {
      const { data } = item;
      const { id } = this.connection;
      const isBlob = typeof data === 'object' && data !== null && arrayBufferLength(data) === undefined;
      if (this.connection.decision === true) {
        const streamId = this.streamId();
        // A sealed message is always binary: a string on a protected connection is plaintext, refused.
        if (typeof data === 'string' || streamId === undefined) {
          done(undefined);
          return;
        }
        const openBytes = (bytes: ArrayBuffer) =>
          answerWithin<string | ArrayBuffer | null | undefined>(
            timers,
            DATA_ANSWER_MS,
            undefined,
            (answer) => link.open(id, streamId, bytes, answer),
            (opened) => {
              if (opened === undefined || opened === null) {
                done(opened);
                return;
              }
              // Bytes reach the page as the native delivered the sealed message: a Blob if binaryType was 'blob'.
              // (Blink reads an array literal without its iterator: a replaced Array iterator is not called,
              // measured on Chromium 156 and asserted by test/browser/data-channels.test.ts.)
              done({ data: isBlob && typeof opened !== 'string' ? new N.Blob([opened]) : opened });
            },
          );
        if (isBlob) readBlob(data as Blob, (bytes) => (bytes === undefined ? done(undefined) : openBytes(bytes)));
        else openBytes(data as ArrayBuffer);
        return;
      }
      if (typeof data === 'string' && contains(data, marker)) {
        answerWithin<ProfiledText | 'drop' | undefined>(
          timers,
          DATA_ANSWER_MS,
          undefined,
          (answer) => link.openText(id, this.streamId() ?? 0, data, answer),
          (opened, source) => {
            if (source !== 'answered') this.unprotected++;
            if (opened === 'drop') {
              done(undefined);
              return;
            }
            if (opened !== undefined) this.profile = opened.profile;
            done({ data: opened === undefined ? data : opened.text });
          },
        );
        return;
      }
      done({ data });
    }

    deliver(out: Delivering): void {
      if (out === null) return; // the peer's confirmation: not the page's
      if (out === undefined) this.dropped++;
      else {
        this.received++;
        // No prototype: the constructor reads every MessageEventInit member, and would look absent ones up on
        // Object.prototype.
        const init = { data: out.data };
        N.setPrototypeOf(init, null);
        apply(N.dispatchEvent, this.channel, [new N.MessageEvent('message', init)]);
      }
      this.changed();
    }

    /**
     * Sends our confirmation on this channel (see data-sdp.ts), once, when we are the offerer of a protected
     * connection and the channel is open: straight to the native, beside the page's sealed messages (the receiver
     * takes envelopes in any order within its window).
     */
    sendConfirm(): void {
      const streamId = this.streamId();
      if (this.confirmSent || !this.connection.confirms || streamId === undefined) return;
      if (readyState(this.channel) !== 'open') return;
      this.confirmSent = true;
      answerWithin<ArrayBuffer | undefined>(
        timers,
        DATA_ANSWER_MS,
        undefined,
        (answer) => link.confirm(this.connection.id, streamId, answer),
        (sealed) => {
          if (sealed === undefined) return;
          try {
            apply(channelSend as (data: unknown) => void, this.channel, [sealed]);
          } catch {
            // closing: the answerer decides by its deadline
          }
        },
      );
    }

    /**
     * While the connection awaits the offerer's confirmation: what the first message from it says. An envelope
     * (binary, 0xF1, at least a header and tag long) says it seals; anything else, that it sends in clear.
     */
    probe(data: unknown): void {
      const judge = (bytes: ArrayBuffer | undefined) => {
        const length = bytes === undefined ? undefined : arrayBufferLength(bytes);
        const first =
          length === undefined || length < SEAL_OVERHEAD_BYTES ? -1 : new N.Uint8Array(bytes as ArrayBuffer, 0, 1)[0];
        this.connection.confirmed(first === ENVELOPE_MARKER);
      };
      if (typeof data === 'string') this.connection.confirmed(false);
      else if (arrayBufferLength(data) !== undefined) judge(data as ArrayBuffer);
      else readBlob(data as Blob, judge);
    }

    /** Drops what waits to be sent (close, or the channel closed under it). */
    dropQueue(): void {
      this.unsent += this.reading.clear() + this.sealing.clear();
      this.queuedBytes = 0;
      this.queuedWire = 0;
      this.owed = false;
    }

    /**
     * The native sends `bufferedamountlow` when its own amount falls to the threshold, but the page saw ours (native +
     * queued): a page that waits for the event after seeing ours above the threshold may wait forever if the native
     * never went above it (small messages, drained one by one as we send them). When our queue empties with the
     * native at or below the threshold, the event the page may be waiting for is ours to send.
     */
    settleLow(): void {
      if (!this.owed) return;
      this.owed = false;
      if (nativeBuffered(this.channel) <= lowThreshold(this.channel)) {
        apply(N.dispatchEvent, this.channel, [new N.Event('bufferedamountlow')]);
      }
      // Otherwise the native is above the threshold, and sends the event itself when it falls.
    }

    /** The native's `bufferedamountlow`: the page sees it; does it still see an amount above the threshold? */
    onLow(): void {
      this.owed = this.queued() > 0 && nativeBuffered(this.channel) + this.queuedBytes > lowThreshold(this.channel);
    }

    /** Counts changed: a report within {@link CHANNEL_REPORT_INTERVAL_MS}. */
    changed(): void {
      if (this.reportDue || this.finished || this.connection.decision === undefined) return;
      this.reportDue = true;
      timers.setTimeout(() => {
        this.reportDue = false;
        this.report(false);
      }, CHANNEL_REPORT_INTERVAL_MS);
    }

    report(closed: boolean): void {
      const isProtected = this.connection.decision;
      if (this.finished || isProtected === undefined) return;
      if (closed) this.finished = true;
      const report: ChannelReport = {
        connection: this.connection.id,
        channel: this.number,
        streamId: this.streamId(),
        label: this.label,
        protected: isProtected,
        profile: this.profile,
        sent: this.sent,
        received: this.received,
        dropped: this.dropped,
        unsent: this.unsent,
        unprotected: this.unprotected,
        closed,
      };
      try {
        link.report(report);
      } catch {
        // the link's problem: the channel goes on
      }
    }
  }

  const stateOf = (value: unknown): ChannelState | undefined =>
    value !== null && typeof value === 'object' ? apply(N.weakMapGet, channels, [value]) : undefined;

  // The listeners each channel gets first (capture, before any the site can add), and run for trusted events only:
  // the site's own dispatches (and ours) are not the network's.
  function onMessage(this: object, event: Event): void {
    const state = stateOf(this);
    if (state === undefined || !event.isTrusted) return;
    const data: unknown = N.messageEventData === undefined ? undefined : apply(N.messageEventData, event, []);
    if (
      state.connection.decision === false &&
      state.incoming.length === 0 &&
      (typeof data !== 'string' || !contains(data, marker))
    ) {
      state.received++; // nothing to examine: the page gets the native event itself
      state.changed();
      return;
    }
    apply(N.stopImmediatePropagation, event, []);
    if (state.connection.decision === undefined) state.connection.settle();
    if (state.connection.awaiting) state.probe(data); // decides (now, or once a Blob is read); the message waits
    state.incoming.push({ data });
  }
  function onOpen(this: object, event: Event): void {
    if (!event.isTrusted) return;
    const state = stateOf(this);
    state?.connection.settle();
    state?.sendConfirm();
  }
  function onLow(this: object, event: Event): void {
    if (event.isTrusted) stateOf(this)?.onLow();
  }
  function onClose(this: object, event: Event): void {
    const state = stateOf(this);
    if (state === undefined || !event.isTrusted) return;
    state.dropQueue();
    state.report(true);
  }

  function adoptChannel(channel: unknown, connection: Connection): void {
    if (channel === null || typeof channel !== 'object' || stateOf(channel) !== undefined) return;
    const state = new ChannelState(channel, connection);
    apply(N.weakMapSet, channels, [channel, state]);
    // `true` (capture), not an options object: its absent members would be looked up on Object.prototype.
    apply(N.addEventListener, channel, ['message', onMessage, true]);
    apply(N.addEventListener, channel, ['open', onOpen, true]);
    apply(N.addEventListener, channel, ['bufferedamountlow', onLow, true]);
    apply(N.addEventListener, channel, ['close', onClose, true]);
    connection.whenDecided(() => {
      state.sendConfirm(); // if it opened before the decision
      state.sealing.start();
      state.incoming.start();
      state.report(false);
    });
  }

  const channelProto = NativeChannel.prototype;

  // send: synchronous, with the native's checks and errors; queued, sealed, and sent in the page's order.
  const sendDescriptor = N.getDescriptor(channelProto, 'send');
  if (sendDescriptor !== undefined) {
    const wrapped = proxyOf(channelSend, {
      apply(target, thisArg, args) {
        const state = stateOf(thisArg);
        // Not ours, or not open: the native throws what it throws (arguments first, then the state), and sends nothing.
        if (state === undefined || readyState(thisArg) !== 'open') return apply(target, thisArg, args);
        const { connection } = state;
        if (connection.decision === undefined) connection.settle(); // open: the browser negotiated it
        if (connection.decision === false && state.queued() === 0 && args.length > 0 && isBytes(args[0])) {
          const result = apply(target, thisArg, args); // nothing to change or wait for: the native, as it is
          state.sent++;
          state.changed();
          return result;
        }
        const message = outgoing(args);
        const envelope = connection.decision === false ? 0 : SEAL_OVERHEAD_BYTES;
        if (message.size + envelope > maxMessageSize(connection.pc)) {
          throw sendTypeError('Trying to send message larger than max-message-size');
        }
        if (nativeBuffered(thisArg) + state.queuedWire + message.size + envelope > MAX_BUFFERED_BYTES) {
          throw sendDomException('RTCDataChannel send queue is full', 'OperationError');
        }
        state.queuedBytes += message.size;
        state.queuedWire += message.size + envelope;
        if (nativeBuffered(thisArg) + state.queuedBytes > lowThreshold(thisArg)) state.owed = true;
        state.reading.push({ data: message.data, size: message.size, wire: message.size + envelope });
        return undefined;
      },
    });
    N.defineProperty(channelProto, 'send', { ...sendDescriptor, value: wrapped });
  }

  // bufferedAmount: the native's, plus what waits in our queue.
  const bufferedDescriptor = N.getDescriptor(channelProto, 'bufferedAmount');
  if (bufferedDescriptor?.get !== undefined) {
    const wrapped = proxyOf(bufferedDescriptor.get, {
      apply(target, thisArg, args) {
        const native = apply(target, thisArg, args) as number;
        const state = stateOf(thisArg);
        return state === undefined ? native : native + state.queuedBytes;
      },
    });
    N.defineProperty(channelProto, 'bufferedAmount', { ...bufferedDescriptor, get: wrapped });
  }

  // close: what waits in our queue is dropped, as the native drops what it had not sent.
  const closeDescriptor = N.getDescriptor(channelProto, 'close');
  const nativeClose = closeDescriptor?.value as (() => void) | undefined;
  if (closeDescriptor !== undefined && typeof nativeClose === 'function') {
    const wrapped = proxyOf(nativeClose, {
      apply(target, thisArg, args) {
        stateOf(thisArg)?.dropQueue();
        return apply(target, thisArg, args);
      },
    });
    N.defineProperty(channelProto, 'close', { ...closeDescriptor, value: wrapped });
  }

  // createDataChannel: its channel is ours before the site holds it (another realm's connection: left alone).
  const pcProto = NativePC.prototype;
  const createDescriptor = N.getDescriptor(pcProto, 'createDataChannel');
  const nativeCreate = createDescriptor?.value as ((...args: unknown[]) => unknown) | undefined;
  if (createDescriptor !== undefined && typeof nativeCreate === 'function') {
    const wrapped = proxyOf(nativeCreate, {
      apply(target, thisArg, args) {
        const channel = apply(target, thisArg, args);
        const connection = sdp.of(thisArg);
        if (connection !== undefined) adoptChannel(channel, connection);
        return channel;
      },
    });
    N.defineProperty(pcProto, 'createDataChannel', { ...createDescriptor, value: wrapped });
  }

  return {
    adopt(pc) {
      const connection = sdp.adopt(pc);
      // Capture, added as the connection is built: it runs before any `datachannel` listener of the site's.
      const onDataChannel = (event: Event) => {
        if (!event.isTrusted || N.channelOfEvent === undefined) return;
        adoptChannel(apply(N.channelOfEvent, event, []), connection);
      };
      apply(N.addEventListener, pc, ['datachannel', onDataChannel, true]);
    },
  };
}
