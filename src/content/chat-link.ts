/**
 * @module The bridge's side of the call chat (docs/architecture.md, "The call chat"): the transcript of the
 * frame's current call, in memory only, and what goes between it and the background.
 *
 * ```
 *  Call ──onChat──▶ ChatOrder (per-sender seq, 3 s hold) ──▶ transcript ──chat──────────▶ background ──▶ side panels
 *  Call ◀──sendChat── CallLink ◀──────────────────────────── send ◀──chat-send────────── background ◀── side panel
 *                                                            history ◀──chat-history───── (a panel opened)
 * ```
 *
 * The transcript keeps the last {@link MAX_CHAT_TRANSCRIPT} messages of the call and is erased when the call ends
 * ({@link ChatLink.clear}, from CallLink's end): nothing of it is ever written anywhere. The side panel keeps its own copy
 * of what it was shown.
 */
import {
  type BridgeToBackground,
  type ChatEntry,
  type ChatSendResult,
  MAX_CHAT_ENTRIES_PER_MESSAGE,
  type ReceivedChat,
} from '../shared/messages';
import { ChatOrder } from './chat-order';
import { MAX_CHAT_TRANSCRIPT } from './constants';
import type { TimerHandle, Timers } from './timers';

export interface ChatLinkOptions {
  timers: Timers;
  toBackground(message: BridgeToBackground): void;
  /** Sends a message in the frame's call (`CallLink.sendChat`): `ended` when none runs. */
  sendChat(text: string, name: string): Promise<{ result: ChatSendResult; seq?: number }>;
  /** Whether a call runs in the frame now: only then is there a transcript to send a panel. */
  inCall(): boolean;
}

export class ChatLink {
  readonly #options: ChatLinkOptions;
  /** The call's messages, in the order they were shown, oldest first. */
  #transcript: ChatEntry[] = [];
  readonly #order = new ChatOrder<bigint, ChatEntry>();
  /** The timer for the next message due out of {@link #order}, and when it fires. */
  #timer: TimerHandle | undefined;
  #timerDue: number | undefined;
  /** Bumped by every clear(): a send that completes after the call ended adds nothing to the next call's transcript. */
  #era = 0;

  constructor(options: ChatLinkOptions) {
    this.#options = options;
  }

  /** The transcript now (a copy), oldest first. */
  get transcript(): readonly ChatEntry[] {
    return [...this.#transcript];
  }

  /** The call opened and verified a member's message: shown once its sender's earlier ones are (or gave up on). */
  onReceived(message: ReceivedChat): void {
    const now = this.#options.timers.now();
    const entry: ChatEntry = {
      // Unique in the call: one pid, one seq per message (a repeat of the same seq is dropped as a duplicate).
      id: `${message.pid.toString(16)}-${message.seq}`,
      from: message.fingerprint,
      name: message.name,
      text: message.text,
      at: now,
      sentAt: message.sentAt,
      seq: message.seq,
    };
    this.#show(this.#order.add(message.pid, message.seq, entry, now));
    this.#schedule();
  }

  /**
   * A side panel asks to send `text` as message `id`: sent in the call, then our own message joins the transcript
   * (from `'you'`) and the background hears `chat-result` with what became of it, whatever that is.
   */
  async send(id: string, text: string, name: string): Promise<void> {
    const { timers, sendChat, toBackground } = this.#options;
    const era = this.#era;
    const at = timers.now();
    let outcome: { result: ChatSendResult; seq?: number };
    try {
      outcome = await sendChat(text, name);
    } catch {
      outcome = { result: 'ended' }; // the call never throws; if it did, nothing went out
    }
    if (outcome.result === 'sent' && era === this.#era) {
      this.#show([{ id, from: 'you', name, text, at, sentAt: at, seq: outcome.seq ?? 0 }]);
    }
    toBackground({ type: 'chat-result', id, result: outcome.result });
  }

  /**
   * A side panel opened: the whole transcript of the current call, the first message with `replace: true` (even when
   * empty: the panel then knows the call has no message yet). Nothing without a call.
   */
  history(): void {
    if (!this.#options.inCall()) return;
    this.#post(this.#transcript, true);
  }

  /** The call ended: the transcript, and every message waiting for its turn, are erased. */
  clear(): void {
    this.#era++;
    this.#transcript = [];
    this.#order.clear();
    this.#options.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = undefined;
  }

  /** Adds released messages to the transcript (the oldest dropped past its bound) and tells the background. */
  #show(entries: readonly ChatEntry[]): void {
    if (entries.length === 0) return;
    this.#transcript.push(...entries);
    if (this.#transcript.length > MAX_CHAT_TRANSCRIPT)
      this.#transcript.splice(0, this.#transcript.length - MAX_CHAT_TRANSCRIPT);
    this.#post(entries.slice(-MAX_CHAT_TRANSCRIPT), false);
  }

  /** Posts `entries` in messages of at most MAX_CHAT_ENTRIES_PER_MESSAGE; only the first may say `replace`. */
  #post(entries: readonly ChatEntry[], replace: boolean): void {
    const { toBackground } = this.#options;
    let start = 0;
    do {
      const chunk = entries.slice(start, start + MAX_CHAT_ENTRIES_PER_MESSAGE);
      toBackground({ type: 'chat', entries: chunk, replace: replace && start === 0 });
      start += MAX_CHAT_ENTRIES_PER_MESSAGE;
    } while (start < entries.length);
  }

  /** Runs the timer for the next held message due, if any waits. */
  #schedule(): void {
    const { timers } = this.#options;
    const due = this.#order.nextDue();
    if (due === this.#timerDue) return;
    timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = due;
    if (due === undefined) return;
    this.#timer = timers.setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerDue = undefined;
        this.#show(this.#order.due(timers.now()));
        this.#schedule();
      },
      Math.max(0, due - timers.now()),
    );
  }
}
