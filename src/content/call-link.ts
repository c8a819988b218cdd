/**
 * @module The bridge's side of a call (docs/keys.md): it starts a call (`Call`, src/content/exchange/call.ts) when the
 * frame first carries media with keys at hand, passes the worker's control messages to it and its sealed messages to
 * the worker, tells the worker which sender key generation to send under, and ends the call when the keys go, the room
 * changes, the worker is replaced or no transform ran for {@link CALL_IDLE_MS}. The next media starts a new call: new
 * participant id, new ephemeral key pair, new sender keys. The call's chat goes through here too: a side panel's
 * messages to the call ({@link CallLink.sendChat}), the members' to the chat link (`onChat`, src/content/chat-link.ts).
 */
import type {
  BridgeToBackground,
  BridgeToWorker,
  CallStatus,
  ChatSendResult,
  ReceivedChat,
  TransformStats,
} from '../shared/messages';
import { CALL_IDLE_MS, CALL_STATUS_INTERVAL_MS, CLOCK_REPORT_INTERVAL_MS } from './constants';
import type { EpochSchedule } from './epoch-schedule';
import type { CallHost, CallStatus as ExchangeCallStatus } from './exchange/call';
import { TICK_MS } from './exchange/constants';
import type { TimerHandle, Timers } from './timers';

/**
 * What the link uses of a call, and nothing more: the exchange's `Call` (src/content/exchange/call.ts) is one, and
 * tests pass a fake. Each member is documented on `Call`.
 */
export interface CallLike {
  readonly pid: bigint;
  readonly sendingGeneration: number;
  senderKey(pid: bigint, bits: number): CryptoKey | undefined;
  want(pid: bigint, bits: number): void;
  sent(id: number): void;
  receive(untrusted: Uint8Array): Promise<void>;
  tick(): Promise<void>;
  end(): void;
  status(): ExchangeCallStatus;
  /** Sends a chat message in the call (never throws): `seq` is its number among our messages of the call when `sent`. */
  sendChat(text: string, name: string): Promise<{ result: ChatSendResult; seq?: number }>;
}

export interface CallLinkOptions {
  /** The frame may be the page's (src/content/unsafe-realm.ts): no call, no key. */
  unsafeRealm: boolean;
  timers: Timers;
  epochs: Pick<EpochSchedule, 'epoch' | 'keyOf' | 'roomTag'>;
  toWorker(message: BridgeToWorker): void;
  toBackground(message: BridgeToBackground): void;
  /** Keys came or went: key requests that waited for them are answered (KeyServer.answerPending). */
  onKeys(): void;
  /** A member's new sender key generation came: their tracks are keyed for it ahead (KeyServer.prime). */
  onMemberKey(participant: bigint, generation: number): void;
  /** The call ended: what was kept for it goes (KeyServer.forgetCall, ChatLink.clear). */
  onEnd(): void;
  /** A chat message of a member of the current call (ChatLink.onReceived). */
  onChat(message: ReceivedChat): void;
  /** Starts a call: the exchange's (`Call.start`), a fake in tests. */
  startCall(host: CallHost): Promise<CallLike>;
}

export class CallLink {
  readonly #options: CallLinkOptions;
  #call: CallLike | undefined;
  /** A call being started (the key pair is generated asynchronously); forgotten by end(), which drops it. */
  #starting: Promise<CallLike | undefined> | undefined;
  /** Bumped by every end(): a call that finishes starting after an end() is dropped at once. */
  #era = 0;
  #nextMessageId = 1;
  #tick: TimerHandle | undefined;
  /** When a transform last ran in this frame (the worker's counters say so). */
  #lastTransformAt = 0;
  #statusTimer: TimerHandle | undefined;
  #lastStatusAt = -Infinity;
  #lastSkewReport = Number.NEGATIVE_INFINITY;
  /** Whether a sender of ours protected frames in the last report: only then do our exchange messages go out. */
  #sending = false;

  constructor(options: CallLinkOptions) {
    this.#options = options;
  }

  /** The call's participant id, while one runs. */
  get participant(): bigint | undefined {
    return this.#call?.pid;
  }

  /** The HKDF base key of a sender generation (ours or a member's) held now, or undefined. */
  senderKey(participant: bigint, genBits: number): CryptoKey | undefined {
    return this.#call?.senderKey(participant, genBits);
  }

  /** The worker sees frames of `participant`'s generation `genBits` and we hold no key for it. */
  want(participant: bigint, genBits: number): void {
    this.#call?.want(participant, genBits);
  }

  /**
   * Starts a call unless one runs: when the worker first asks for a key or reports a transform, with epoch keys at
   * hand (they seal the exchange). Resolves once it runs (or could not start).
   */
  async ensure(): Promise<void> {
    const { unsafeRealm, epochs, timers } = this.#options;
    if (this.#call !== undefined || unsafeRealm || epochs.epoch === undefined) return;
    this.#lastTransformAt = timers.now();
    if (this.#starting === undefined) {
      const era = this.#era;
      const starting: Promise<CallLike | undefined> = this.#options.startCall(this.#host(era)).then(
        (call) => {
          // Only its own: after an end(), a newer start may be under way.
          if (this.#starting === starting) this.#starting = undefined;
          if (era !== this.#era) {
            call.end();
            return undefined;
          }
          this.#begin(call);
          return call;
        },
        () => {
          if (this.#starting === starting) this.#starting = undefined;
          return undefined;
        },
      );
      this.#starting = starting;
    }
    await this.#starting;
  }

  #begin(call: CallLike): void {
    const { toWorker, timers } = this.#options;
    this.#call = call;
    toWorker({ type: 'call', participant: call.pid });
    toWorker({ type: 'generation', current: call.sendingGeneration });
    this.#tick = timers.setInterval(() => void this.#call?.tick(), TICK_MS);
    this.#statusSoon();
  }

  /** Ends the call: every key of it is erased, and the next media starts a new one. */
  end(): void {
    this.#era++;
    // A call still starting is dropped when it has (see ensure): the next request starts a new one at once.
    this.#starting = undefined;
    this.#options.timers.clearInterval(this.#tick);
    this.#tick = undefined;
    if (this.#call === undefined) return;
    this.#call.end();
    this.#call = undefined;
    this.#options.onEnd();
    this.#options.toBackground({ type: 'call' });
  }

  /**
   * Sends a chat message in the current call (a side panel's, through the background): `ended` when none runs (one
   * still starting included: its members could not have our key yet anyway).
   */
  sendChat(text: string, name: string): Promise<{ result: ChatSendResult; seq?: number }> {
    return this.#call?.sendChat(text, name) ?? Promise.resolve({ result: 'ended' });
  }

  /** The worker carried our control message `id` on all its streams. */
  sent(id: number): void {
    this.#call?.sent(id);
  }

  /** A control message the worker reassembled (untrusted: the call opens it under the control key or drops it). */
  async received(untrustedBytes: Uint8Array): Promise<void> {
    await this.#call?.receive(untrustedBytes);
  }

  /**
   * The worker's counters, every second: a call starts with the first transform and ends after {@link CALL_IDLE_MS}
   * without one; a frame that receives protected media but sends none is told it cannot get keys (`not_sending`).
   */
  async noteStats(stats: readonly TransformStats[]): Promise<void> {
    const now = this.#options.timers.now();
    if (stats.length > 0) {
      this.#lastTransformAt = now;
      await this.ensure();
    } else if (this.#call !== undefined && now - this.#lastTransformAt >= CALL_IDLE_MS) {
      this.end();
      return;
    }
    const sending = stats.some((t) => t.side === 'send' && (t.status === 'encrypted' || t.protected > 0));
    if (sending !== this.#sending) {
      this.#sending = sending;
      this.#statusSoon();
    }
    // Receivers that wait for keys (protected frames they cannot open), not those that get plaintext.
    const waiting = stats.some(
      (t) =>
        t.side === 'receive' &&
        (t.status === 'waiting' || t.status === 'undecryptable') &&
        t.dropped + t.undecryptable > 0,
    );
    if (!sending && waiting && this.#call !== undefined) this.#problem('not_sending');
    if (stats.some((t) => t.olderFormat === true)) this.#problem('older_peer');
  }

  /**
   * A held problem (src/shared/messages/bridge.ts `HELD_PROBLEMS`): reported with every report of counters (each
   * second) while it holds, well within `HELD_PROBLEM_REPEAT_MS`; the background forgets it once we stop.
   */
  #problem(problem: 'not_sending' | 'older_peer'): void {
    this.#options.toBackground({ type: 'problem', problem });
  }

  /**
   * Exchange messages keep coming sealed `distance` epochs from ours: a clock is off (ours or a participant's), and
   * until it is fixed neither side reads the other's keys. Told as `clock_skew` at most every CLOCK_REPORT_INTERVAL_MS.
   */
  #clockSkew(distance: number): void {
    const now = this.#options.timers.now();
    if (now - this.#lastSkewReport < CLOCK_REPORT_INTERVAL_MS) return;
    this.#lastSkewReport = now;
    const clamped = Math.max(-9, Math.min(9, distance));
    this.#options.toBackground({ type: 'problem', problem: 'clock_skew', detail: String(clamped) });
  }

  /** The background's port was opened again: it dropped this frame's call with the old port, so it hears it again. */
  reannounce(): void {
    if (this.#call !== undefined) this.#statusSoon();
  }

  /** The host of a call started in `era`: its chat messages count only while it is the link's call. */
  #host(era: number): CallHost {
    const { timers, epochs, toWorker, onKeys, onMemberKey, onChat } = this.#options;
    return {
      now: () => timers.now(),
      epochs,
      roomTag: () => epochs.roomTag,
      send: (sealed) => {
        const id = this.#nextMessageId++;
        toWorker({ type: 'control-send', id, bytes: sealed });
        return id;
      },
      onSwitch: (gen) => toWorker({ type: 'generation', current: gen }),
      onNext: (gen) => {
        const current = this.#call?.sendingGeneration;
        if (current !== undefined) toWorker({ type: 'generation', current, next: gen });
      },
      // (The call is not yet this link's while it starts: a generation made then is announced by #begin.)
      onRetire: (participant, generation) => toWorker({ type: 'retire', participant, generation }),
      onMemberKey,
      onClockSkew: (distance) => this.#clockSkew(distance),
      onChange: () => {
        onKeys();
        this.#statusSoon();
      },
      onChat: (message) => {
        // An ended call opens nothing more, but a message must never land in the transcript of the call after it.
        if (era === this.#era && this.#call !== undefined) onChat(message);
      },
    };
  }

  /** Sends the call's status to the background, at most every {@link CALL_STATUS_INTERVAL_MS}. */
  #statusSoon(): void {
    const { timers, toBackground } = this.#options;
    if (this.#statusTimer !== undefined) return;
    const wait = Math.max(0, this.#lastStatusAt + CALL_STATUS_INTERVAL_MS - timers.now());
    this.#statusTimer = timers.setTimeout(() => {
      this.#statusTimer = undefined;
      this.#lastStatusAt = timers.now();
      const call = this.#call;
      if (call === undefined) return;
      const status = call.status();
      const view: CallStatus = {
        you: status.you,
        sending: this.#sending,
        members: status.members.map(({ fingerprint, keyed }) => ({ fingerprint, keyed })),
        ...(status.words !== undefined ? { words: status.words } : {}),
      };
      toBackground({ type: 'call', call: view });
    }, wait);
  }
}
