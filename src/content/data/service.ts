/**
 * @module The bridge's data service (issue 16 part 2; docs/frame-format.md §2.8): one frame's state for the site's own
 * RTCDataChannel messages, per RTCPeerConnection the page script numbers. The page script asks, the service answers
 * what the page must do with each message; everything it is given is untrusted (the page's realm carries it), so every
 * method checks its inputs and never throws.
 *
 * ```
 * localLine(c, role)  ──▶ a=x-framelock:1 <sealed HELLO>   one X25519 key pair per connection, a fresh seal each time
 * remoteLine(c, v)    ◀── the peer's line                   opens under the control key (epoch window)
 *   our line of role R  +  the peer's HELLO of role other(R)  ──▶  direction keys (keys.ts): the connection is protected
 * seal / open         the envelope (envelope.ts), protected connections only: never a clear message on one
 * protectText / openText   the textroom profile (textroom.ts), connections that are not protected
 * ```
 *
 * Pairing. The answerer sees the offer's line first (remoteLine, then localLine) and derives at localLine; it answers
 * with a line only to an offer that carried a valid one. The offerer derives at remoteLine, when the answer's HELLO
 * names the other role than its latest local line. An offerer never
 * pairs with an answer HELLO held from before its offer (the peer could not have had our line), so both ends derive only
 * from the same two lines. Once protected, a connection keeps its keys for its life: a later description with no line,
 * or another key, changes nothing (counted: {@link DataService.ignoredLines}).
 */
import type { EpochSchedule } from '../epoch-schedule';
import { PUBLIC_KEY_BYTES } from '../exchange/constants';
import type { Identity } from '../exchange/identity';
import { ControlKeys, open as openSealed } from '../exchange/seal';
import { base64urlToBytes } from './base64url';
import {
  bump,
  type ChannelCounts,
  type ChannelReport,
  channelReport,
  newChannelCounts,
  reportedLabel,
} from './channel-counts';
import {
  CONTROL_CONFIRM,
  MAX_CONNECTION_ID,
  MAX_COUNTED_CHANNELS,
  MAX_DATA_CONNECTIONS,
  MAX_DATA_PLAINTEXT_BYTES,
  MAX_LINE_VALUE_CHARS,
  MAX_PROFILED_MESSAGE_CHARS,
  MAX_REPORTED_CHANNELS,
  MAX_RETIRED_CONNECTIONS,
  MAX_STREAM_ID,
  SEALED_HELLO_BYTES,
} from './constants';
import { DataReceiver, DataSender, type EnvelopeRefusal } from './envelope';
import { decodeHello, generateConnectionKeyPair, type Hello, helloLineValue, type Role } from './hello';
import { deriveDirectionKeys } from './keys';
import { TextKeys } from './text-key';
import { openIncoming, protectOutgoing } from './textroom';

/** Why the page must drop a message (not send it, or not deliver it). */
export type DataDropReason =
  | EnvelopeRefusal
  /** A text the profile would seal but cannot: no text key for the epoch. */
  | 'no_key'
  /** The connection was closed or forgotten while protected: nothing may go out in clear on it. */
  | 'closed'
  /** A text-profile request on a protected connection: its messages go through the envelope only. */
  | 'protected'
  /** Inputs that are not what the page script sends (a bad id, type or size). */
  | 'invalid';

/**
 * What the page must do with an outgoing message: send `data` (binary) or `text` (a string) instead, send its own
 * message as it is (the connection is not protected and no profile applies), or not send it at all.
 */
export type Outgoing<T> = { kind: 'send'; message: T } | { kind: 'as_is' } | { kind: 'drop'; reason: DataDropReason };

/**
 * What the page must do with an incoming message: deliver this instead, deliver it as it came, or drop it; or it was
 * Framelock's own control message (the peer's confirmation that it seals): deliver nothing, and the connection is
 * confirmed.
 */
export type Incoming<T> =
  | { kind: 'deliver'; message: T }
  | { kind: 'as_is' }
  | { kind: 'drop'; reason: DataDropReason }
  | { kind: 'consumed' };

/** An opened envelope: what the sender's page sent, a string as a string (the envelope decoded it), bytes as bytes. */
export type OpenedData = string | Uint8Array;
export type { ChannelReport, ChannelState } from './channel-counts';

export interface DataServiceOptions {
  /** The frame's epoch keys (src/content/epoch-schedule.ts): the current epoch and its window's base keys. */
  epochs: Pick<EpochSchedule, 'epoch' | 'keyOf'>;
  /** Milliseconds, for "least recently used" when a connection must be forgotten. */
  now?: () => number;
  /**
   * Resolves once the frame has epoch keys, or the background said it has none, or `withinMs` passed: a page that
   * builds its connection as it loads asks for a line before the keys came (they follow document_start by a few
   * tens of milliseconds). Without it, a line is asked for with the keys the frame has.
   */
  keysReady?: (withinMs: number) => Promise<void>;
}

/** How long a line waits for the frame's first epoch keys (the page script waits 250 ms for the whole answer). */
export const KEYS_WAIT_MS = 200;

interface Connection {
  /** Our key pair, made at the first local line and kept for the connection's life. */
  identity: Promise<Identity> | undefined;
  /** The role of our latest local line, if it carried one. */
  localRole: Role | undefined;
  /** The peer's HELLO of its latest description, while not protected. */
  peer: Hello | undefined;
  sender: DataSender | undefined;
  receiver: DataReceiver | undefined;
  /** The peer's public key the keys came from. */
  peerKey: Uint8Array | undefined;
  /**
   * The page script's decision (its side decides, data-sdp.ts): whether the connection's messages are sealed. False:
   * its keys went and never come back. True without keys: every message is dropped, never let out in clear.
   */
  decision: boolean | undefined;
  /** Line operations run one at a time per connection, in call order. */
  queue: Promise<unknown>;
  channels: Map<number, ChannelCounts>;
  lastUsed: number;
}

/** As a data channel decodes a string: invalid UTF-8 becomes U+FFFD, a leading BOM stays. */
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

function isConnectionId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_CONNECTION_ID;
}

function isStreamId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_STREAM_ID;
}

function isBytes(value: unknown, max: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length <= max;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A channel's counts as the page script keeps them (every message it sent, delivered or dropped). */
export interface PageCounts {
  sent: number;
  received: number;
  refused: number;
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_PROFILED_MESSAGE_CHARS;
}

const INVALID = { kind: 'drop', reason: 'invalid' } as const;
const AS_IS = { kind: 'as_is' } as const;
const CONSUMED = { kind: 'consumed' } as const;

export class DataService {
  readonly #epochs: Pick<EpochSchedule, 'epoch' | 'keyOf'>;
  readonly #now: () => number;
  readonly #keysReady: ((withinMs: number) => Promise<void>) | undefined;
  readonly #control: ControlKeys;
  readonly #text: TextKeys;
  readonly #connections = new Map<number, Connection>();
  /** Connections closed or forgotten while protected (oldest first): their messages are dropped, never sent in clear. */
  readonly #retired = new Set<number>();
  #ignoredLines = 0;

  constructor(options: DataServiceOptions) {
    this.#epochs = options.epochs;
    this.#now = options.now ?? Date.now;
    this.#keysReady = options.keysReady;
    const keyOf = (epoch: number) => this.#epochs.keyOf(epoch);
    this.#control = new ControlKeys(keyOf);
    this.#text = new TextKeys(keyOf);
  }

  /** Remote lines that changed nothing: invalid, of the wrong role, or after the connection was protected. */
  get ignoredLines(): number {
    return this.#ignoredLines;
  }

  /** The current epoch, with the derived keys of epochs that left its window dropped; undefined without keys. */
  #epoch(): number | undefined {
    const epoch = this.#epochs.epoch;
    if (epoch === undefined) return undefined;
    this.#control.prune(epoch);
    this.#text.prune(epoch);
    return epoch;
  }

  /** The connection's state, made if new (the least recently used one forgotten past {@link MAX_DATA_CONNECTIONS}). */
  #connection(id: number): Connection {
    let connection = this.#connections.get(id);
    if (connection === undefined) {
      if (this.#connections.size >= MAX_DATA_CONNECTIONS) this.#evictOldest();
      connection = {
        identity: undefined,
        localRole: undefined,
        peer: undefined,
        sender: undefined,
        receiver: undefined,
        peerKey: undefined,
        decision: undefined,
        queue: Promise.resolve(),
        channels: new Map(),
        lastUsed: this.#now(),
      };
      this.#connections.set(id, connection);
    }
    connection.lastUsed = this.#now();
    return connection;
  }

  #evictOldest(): void {
    let oldest: [number, Connection] | undefined;
    for (const entry of this.#connections)
      if (oldest === undefined || entry[1].lastUsed < oldest[1].lastUsed) oldest = entry;
    if (oldest !== undefined) this.forget(oldest[0]);
  }

  /** Runs `step` after the connection's earlier line operations; `step` must check it is still the current state. */
  #serial<T>(connection: Connection, step: () => Promise<T>): Promise<T> {
    const result = connection.queue.then(step, step);
    connection.queue = result.catch(() => undefined);
    return result;
  }

  /** Whether `connection` is (still) the live state of `id`: forget or clear may have run during an await. */
  #live(id: number, connection: Connection): boolean {
    return this.#connections.get(id) === connection;
  }

  /**
   * The line value for a new local description of `connection`, made as `role`: our HELLO sealed under the current
   * epoch's control key (a fresh seal each time, always the connection's one key pair). Undefined without keys, for
   * bad inputs, for a connection that was closed, and for an answer to an offer without a valid line. An answerer holding the offer's HELLO is protected from here on.
   * Never throws.
   */
  async localLine(connection: number, role: Role): Promise<string | undefined> {
    if (!isConnectionId(connection) || (role !== 'offerer' && role !== 'answerer')) return undefined;
    if (this.#retired.has(connection)) return undefined;
    if (this.#epoch() === undefined) await this.#keysReady?.(KEYS_WAIT_MS);
    if (this.#epoch() === undefined) return undefined;
    const state = this.#connection(connection);
    return this.#serial(state, async () => {
      const epoch = this.#epoch();
      if (epoch === undefined || !this.#live(connection, state) || state.decision === false) return undefined;
      // An answer carries our line only to an offer that carried the peer's: were the offer's stripped, the offerer
      // would pair with our answer's line while we could not, and seal what we then refuse.
      if (role === 'answerer' && state.sender === undefined && state.peer?.role !== 'offerer') {
        state.localRole = undefined;
        return undefined;
      }
      try {
        state.identity ??= generateConnectionKeyPair();
        const identity = await state.identity;
        const value = await helloLineValue({ publicKey: identity.publicKey, role }, epoch, this.#control);
        if (value === undefined || !this.#live(connection, state)) return undefined;
        state.localRole = role;
        // The peer's offer came first: our answer completes the pair. An offer of ours starts a new exchange.
        if (state.sender === undefined && role === 'answerer' && state.peer?.role === 'offerer') {
          await this.#derive(connection, state, identity, role, state.peer.publicKey);
          // No keys (a bad peer key, or decided meanwhile): no line, or the offerer would seal what we cannot open.
          if (state.sender === undefined) return undefined;
        }
        if (role === 'offerer') state.peer = undefined;
        return value;
      } catch {
        state.identity = undefined; // generating failed: try afresh next time
        return undefined;
      }
    });
  }

  /**
   * The line value of the peer's new description (undefined: it had none). Opens it under the control key of an epoch
   * in the window; once our latest local line has the other role, derives the connection's keys. On a protected
   * connection it changes nothing (counted when it is not the same key). Never throws.
   *
   * Resolves to whether the line is accepted ({@link DataLink.remoteLine} in src/page/data-link.ts): an offer's HELLO
   * that opened (our answer's line will complete the pair), or the connection has its keys.
   */
  async remoteLine(connection: number, untrustedValue: string | undefined): Promise<boolean> {
    if (!isConnectionId(connection) || this.#retired.has(connection)) return false;
    if (untrustedValue !== undefined && this.#epoch() === undefined) await this.#keysReady?.(KEYS_WAIT_MS);
    const state = this.#connection(connection);
    return this.#serial(state, async () => {
      const hello = await this.#openLine(untrustedValue);
      if (!this.#live(connection, state) || state.decision === false) return false;
      if (state.sender !== undefined) {
        if (hello === undefined || state.peerKey === undefined || !sameBytes(hello.publicKey, state.peerKey)) {
          this.#ignoredLines = bump(this.#ignoredLines);
        }
        return true;
      }
      if (hello === undefined) {
        if (untrustedValue !== undefined) this.#ignoredLines = bump(this.#ignoredLines);
        state.peer = undefined;
        return false;
      }
      if (hello.role === 'offerer') {
        state.peer = hello; // our answer's line completes the pair (localLine)
        return true;
      }
      if (state.localRole !== 'offerer' || state.identity === undefined) {
        this.#ignoredLines = bump(this.#ignoredLines); // an answer to an offer of ours that carried no line
        return false;
      }
      try {
        const identity = await state.identity;
        if (this.#live(connection, state)) await this.#derive(connection, state, identity, 'offerer', hello.publicKey);
      } catch {
        // no key pair: the connection stays unprotected
      }
      return state.sender !== undefined;
    });
  }

  /**
   * The page script decided whether `connection`'s messages are sealed (once; later calls change nothing). Not
   * protected: its keys go now (a line of ours may have reached the bridge too late for its description), and text
   * profiles apply. Protected: from now on nothing of it goes out or comes in unsealed, keys or not. Never throws.
   */
  decide(connection: number, isProtected: boolean): void {
    if (!isConnectionId(connection) || typeof isProtected !== 'boolean' || this.#retired.has(connection)) return;
    const state = this.#connection(connection);
    if (state.decision !== undefined) return;
    state.decision = isProtected;
    if (isProtected) return;
    state.sender = undefined;
    state.receiver = undefined;
    state.peerKey = undefined;
    state.peer = undefined;
  }

  /** The peer's HELLO of an untrusted line value, of either role (the caller pairs it). Never throws. */
  async #openLine(untrustedValue: unknown): Promise<Hello | undefined> {
    if (typeof untrustedValue !== 'string' || untrustedValue.length > MAX_LINE_VALUE_CHARS) return undefined;
    const epoch = this.#epoch();
    const sealed = base64urlToBytes(untrustedValue);
    if (epoch === undefined || sealed?.length !== SEALED_HELLO_BYTES) return undefined;
    const opened = await openSealed(sealed, epoch, this.#control);
    return opened && decodeHello(opened.plaintext);
  }

  async #derive(id: number, state: Connection, own: Identity, role: Role, peerKey: Uint8Array): Promise<void> {
    const keys = await deriveDirectionKeys(own, role, peerKey);
    if (keys === undefined || !this.#live(id, state) || state.sender !== undefined || state.decision === false) return;
    state.sender = new DataSender(keys.send);
    state.receiver = new DataReceiver(keys.receive);
    state.peerKey = peerKey.slice(0, PUBLIC_KEY_BYTES);
    state.peer = undefined;
  }

  /** Whether `connection` is protected: its messages go in envelopes under its own keys (or are dropped). */
  isProtected(connection: number): boolean {
    const state = this.#connections.get(connection);
    return state !== undefined && (state.decision ?? state.sender !== undefined);
  }

  /** The channel's counts (made if there is room), for the report. */
  #channel(state: Connection | undefined, streamId: number): ChannelCounts | undefined {
    if (state === undefined) return undefined;
    let channel = state.channels.get(streamId);
    if (channel === undefined && state.channels.size < MAX_COUNTED_CHANNELS) {
      channel = newChannelCounts();
      state.channels.set(streamId, channel);
    }
    return channel;
  }

  /** Names a channel for the report (its `label`, cut to {@link MAX_LABEL_CHARS}). Never throws. */
  channel(connection: number, streamId: number, label: string, counts?: PageCounts): void {
    if (!isConnectionId(connection) || !isStreamId(streamId) || typeof label !== 'string') return;
    if (this.#retired.has(connection)) return;
    const channel = this.#channel(this.#connection(connection), streamId);
    if (channel === undefined) return;
    channel.label = reportedLabel(label);
    // The page script's counts take in what never reaches the bridge (bytes, and strings without the profile's
    // marker, on a connection that is not protected); they only ever raise ours. Counts are what the popup shows
    // beside the state, which is the bridge's alone.
    if (counts !== undefined && [counts.sent, counts.received, counts.refused].every(isCount)) {
      channel.sent = Math.max(channel.sent, counts.sent);
      channel.received = Math.max(channel.received, counts.received);
      channel.refused = Math.max(channel.refused, counts.refused);
    }
  }

  /** The live state of a connection a message belongs to, or why the message must be dropped; undefined: not known. */
  #forMessage(connection: unknown, streamId: unknown): Connection | undefined | { drop: DataDropReason } {
    if (!isConnectionId(connection) || !isStreamId(streamId)) return { drop: 'invalid' };
    if (this.#retired.has(connection)) return { drop: 'closed' };
    return this.#connection(connection);
  }

  /**
   * An outgoing message of the page on channel `streamId` (`data`: its bytes, UTF-8 when the page sent a string). On a
   * protected connection: send the envelope; else send it as it is (a string may still go through
   * {@link protectText}). Never throws.
   */
  async seal(connection: number, streamId: number, data: Uint8Array, isString: boolean): Promise<Outgoing<Uint8Array>> {
    const state = this.#forMessage(connection, streamId);
    if (state !== undefined && 'drop' in state) return { kind: 'drop', reason: state.drop };
    const channel = this.#channel(state, streamId);
    const refuse = (reason: DataDropReason) => {
      if (channel) channel.refused = bump(channel.refused);
      return { kind: 'drop', reason } as const;
    };
    if (!isBytes(data, MAX_DATA_PLAINTEXT_BYTES) || typeof isString !== 'boolean') {
      return refuse(data instanceof Uint8Array ? 'too_large' : 'invalid');
    }
    if (state?.sender === undefined) {
      if (state?.decision === true) return refuse('no_key');
      if (channel) channel.sent = bump(channel.sent);
      return AS_IS;
    }
    try {
      const sealed = await state.sender.seal(streamId, isString ? utf8Decoder.decode(data) : data);
      if (channel) channel.sent = bump(channel.sent);
      return { kind: 'send', message: sealed };
    } catch {
      return refuse('too_large'); // over the limit once a string's invalid UTF-8 became U+FFFD, or counters used up
    }
  }

  /**
   * Our confirmation that we seal this connection, to send on channel `streamId` (the offerer sends one on each channel
   * as it opens: {@link CONTROL_CONFIRM}). Dropped without keys. Never throws.
   */
  async confirm(connection: number, streamId: number): Promise<Outgoing<Uint8Array>> {
    const state = this.#forMessage(connection, streamId);
    if (state !== undefined && 'drop' in state) return { kind: 'drop', reason: state.drop };
    if (state?.sender === undefined) return { kind: 'drop', reason: 'no_key' };
    try {
      return { kind: 'send', message: await state.sender.sealControl(streamId, Uint8Array.of(CONTROL_CONFIRM)) };
    } catch {
      return { kind: 'drop', reason: 'too_large' }; // the counters are used up
    }
  }

  /**
   * An incoming message on channel `streamId`. On a protected connection: deliver what the envelope held, or drop it
   * (anything else: a clear message, a replay, another stream's, a forgery); else deliver it as it came (a string may
   * still go through {@link openText}). Never throws.
   */
  async open(connection: number, streamId: number, untrusted: Uint8Array): Promise<Incoming<OpenedData>> {
    const state = this.#forMessage(connection, streamId);
    if (state !== undefined && 'drop' in state) return { kind: 'drop', reason: state.drop };
    const channel = this.#channel(state, streamId);
    if (state?.receiver === undefined) {
      if (!(untrusted instanceof Uint8Array)) return INVALID;
      if (state?.decision === true) {
        if (channel) channel.refused = bump(channel.refused);
        return { kind: 'drop', reason: 'no_key' };
      }
      if (channel) channel.received = bump(channel.received);
      return AS_IS;
    }
    const bytes: unknown = untrusted;
    const opened =
      bytes instanceof Uint8Array
        ? await state.receiver.open(streamId, bytes) // refuses over MAX_ENVELOPE_BYTES itself: `too_large`
        : ({ ok: false, reason: 'not_envelope' } as const);
    if (!opened.ok) {
      if (channel) channel.refused = bump(channel.refused);
      return { kind: 'drop', reason: opened.reason };
    }
    // The peer's own confirmation (an authentic one: only its direction key seals it), never the page's message.
    if (opened.control) return opened.data[0] === CONTROL_CONFIRM ? CONSUMED : { kind: 'drop', reason: 'not_envelope' };
    if (channel) channel.received = bump(channel.received);
    return { kind: 'deliver', message: opened.data };
  }

  /**
   * An outgoing string of a connection that is not protected, through the textroom profile: send the message with its
   * text sealed under the epoch's text key, send it as it is (not a textroom chat message, or no room keys at all), or
   * drop it (a chat text that cannot be sealed must not go out in clear). Never throws.
   */
  async protectText(connection: number, streamId: number, text: string): Promise<Outgoing<string>> {
    const state = this.#forMessage(connection, streamId);
    if (state !== undefined && 'drop' in state) return { kind: 'drop', reason: state.drop };
    const channel = this.#channel(state, streamId);
    const refuse = (reason: DataDropReason) => {
      if (channel) channel.refused = bump(channel.refused);
      return { kind: 'drop', reason } as const;
    };
    if (!isText(text)) return refuse(typeof text === 'string' ? 'too_large' : 'invalid');
    if (state?.sender !== undefined || state?.decision === true) return refuse('protected');
    const epoch = this.#epoch();
    const result = epoch === undefined ? undefined : await protectOutgoing(text, this.#text, epoch);
    if (result?.kind === 'refused') return refuse(result.reason);
    if (channel) {
      channel.sent = bump(channel.sent);
      if (result !== undefined) channel.passphrase = true;
    }
    return result === undefined ? AS_IS : { kind: 'send', message: result.text };
  }

  /**
   * An incoming string of a connection that is not protected, through the textroom profile: deliver it with its text
   * opened, or as it came (not a chat message, not sealed, or sealed for another room: the reader sees the marker).
   * Never throws.
   */
  async openText(connection: number, streamId: number, untrusted: string): Promise<Incoming<string>> {
    const state = this.#forMessage(connection, streamId);
    if (state !== undefined && 'drop' in state) return { kind: 'drop', reason: state.drop };
    const channel = this.#channel(state, streamId);
    if (!isText(untrusted)) {
      if (channel) channel.refused = bump(channel.refused);
      return { kind: 'drop', reason: typeof untrusted === 'string' ? 'too_large' : 'invalid' };
    }
    if (state?.receiver !== undefined || state?.decision === true) {
      if (channel) channel.refused = bump(channel.refused);
      return { kind: 'drop', reason: 'protected' };
    }
    const epoch = this.#epoch();
    const result = epoch === undefined ? undefined : await openIncoming(untrusted, this.#text, epoch);
    if (channel) {
      channel.received = bump(channel.received);
      if (result?.opened) channel.passphrase = true;
    }
    return result?.opened ? { kind: 'deliver', message: result.text } : AS_IS;
  }

  /**
   * The connection closed: its key pair and keys go. Were it protected, its id is remembered, so a message the page
   * still sends on it is dropped, never sent in clear.
   */
  forget(connection: number): void {
    const state = this.#connections.get(connection);
    if (state === undefined) return;
    this.#connections.delete(connection);
    if (state.sender !== undefined || state.decision === true) {
      this.#retired.add(connection);
      if (this.#retired.size > MAX_RETIRED_CONNECTIONS) {
        const oldest = this.#retired.values().next();
        if (!oldest.done) this.#retired.delete(oldest.value);
      }
    }
  }

  /**
   * The room changed or the keys were dropped: every connection's state, and every derived key, goes. Connections that
   * were protected are remembered as {@link forget} does.
   */
  clear(): void {
    for (const id of [...this.#connections.keys()]) this.forget(id);
    this.#control.clear();
    this.#text.clear();
  }

  /** Each counted channel's state and counts, at most {@link MAX_REPORTED_CHANNELS}, most recently used connection first. */
  report(): ChannelReport[] {
    const out: ChannelReport[] = [];
    const connections = [...this.#connections].sort((a, b) => b[1].lastUsed - a[1].lastUsed);
    for (const [connection, state] of connections) {
      for (const [streamId, c] of state.channels) {
        if (out.length >= MAX_REPORTED_CHANNELS) return out;
        out.push(channelReport(connection, streamId, c, this.isProtected(connection)));
      }
    }
    return out;
  }
}

/** Public keys are public: a plain comparison. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
