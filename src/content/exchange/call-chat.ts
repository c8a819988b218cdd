/**
 * @module The call's chat (docs/keys.md, "Chat messages"): what a `Call` (call.ts) does with chat messages, and what
 * it keeps of them between its jobs. The bytes and the keys are chat.ts's; the members, keys and seal are the call's,
 * reached through {@link ChatContext}.
 *
 * - Sending: the body is sealed under our newest generation, with a MAC to each of that generation's recipients still
 *   in the call ({@link CallChat.send}). At most {@link MAX_CHATS_IN_FLIGHT} first copies are on their way through the
 *   worker ({@link ChatOutbox}); each is handed over once more, byte-identical, {@link CHAT_REPEAT_MS} after the
 *   worker reported it carried.
 * - Receiving: a CHAT is taken only from a member whose MAC to us verifies, and opened under the key of its
 *   generation; if that key has not come yet but still may, it waits ({@link PendingChats}) for
 *   {@link CHAT_PENDING_MS}. Everything else is refused (counted), our own echo ignored.
 *
 * Nothing here throws on what comes from the worker, and everything is bounded and dropped when the call ends.
 */

import type { ChatSendResult, ReceivedChat } from '../../shared/messages/chat';
import { type Chat, checkChatInput, decodeChat, openChatBody, verifyChatMac, writeChat } from './chat';
import {
  CHAT_PENDING_MS,
  CHAT_REPEAT_MS,
  CHAT_SENT_TIMEOUT_MS,
  MAX_CHAT_REPEATS_WAITING,
  MAX_CHAT_SEQ,
  MAX_CHATS_IN_FLIGHT,
  MAX_PENDING_CHATS,
  NONCE_BYTES,
} from './constants';
import { fullGen, type Generations } from './generations';
import type { PeerKeys } from './identity';

/**
 * What became of a chat message we were asked to send (`ChatSendResult`, src/shared/messages/chat.ts): `sent` (handed
 * to the worker; `seq` is its number), `no_one` (nobody holds our newest generation's key yet: nobody could read it),
 * `too_long` (text over 4,096 or name over 64 UTF-8 bytes), `empty`, `busy` (four messages are still on their way, or
 * the worker did not take it: try again), `ended` (the call is over). A received message is a `ReceivedChat`.
 */
export interface ChatSendOutcome {
  result: ChatSendResult;
  /** The message's seq, when it was sent. */
  seq?: number;
}

/** What the chat needs to know of a member (the call's own record of it). */
export interface ChatMember {
  readonly pid: bigint;
  readonly publicKey: Uint8Array;
  readonly fingerprint: string;
  /** Its newest generation seen, full number: the reference for a CHAT's gen byte. */
  readonly latest: number;
  readonly keys: Generations;
}

/** What the chat needs of its call. */
export interface ChatContext {
  readonly pid: bigint;
  now(): number;
  random(n: number): Uint8Array;
  /** Whether the call ended (checked after every await). */
  ended(): boolean;
  member(pid: bigint): ChatMember | undefined;
  peerKeys(publicKey: Uint8Array): Promise<PeerKeys | undefined>;
  /** Our newest generation: its number, its base key, and those of its recipients that are still members. */
  newest(): { gen: number; senderKey: CryptoKey | undefined; recipients: ChatMember[] };
  /** Seals a plaintext under the current epoch's control key; undefined without it. */
  seal(plaintext: Uint8Array): Promise<Uint8Array | undefined>;
  /** Hands a sealed message to the worker; its id, or undefined if the host failed. */
  send(sealed: Uint8Array): number | undefined;
  /** A message for the bridge. */
  deliver(message: ReceivedChat): void;
  /** Messages refused: one, or `count` (counted in the call's `counts.refused`). */
  refuse(count?: number): void;
}

/** The chat of one call: its sends, repeats, receipts and waiting messages. */
export class CallChat {
  readonly #context: ChatContext;
  readonly #outbox = new ChatOutbox();
  readonly #pending = new PendingChats();

  constructor(context: ChatContext) {
    this.#context = context;
  }

  /**
   * Seals and hands over one message (run as one of the call's jobs, so the members and keys hold still). Never throws
   * for what the host does.
   */
  async send(text: string, name: string): Promise<ChatSendOutcome> {
    const c = this.#context;
    const now = c.now();
    const input = checkChatInput(text, name);
    if (input === 'empty' || input === 'too_long') return { result: input };
    if (this.#outbox.full(now)) return { result: 'busy' };
    // That generation's recipients still here: only they hold its key. A member that came after it was made gets
    // the next one (its joining scheduled it), never this one, so it cannot read this message.
    const { gen, senderKey, recipients } = c.newest();
    const macKeys = await Promise.all(recipients.map(async (m) => (await c.peerKeys(m.publicKey))?.chatMac.send));
    const to = recipients.flatMap((m, i) => {
      const macKey = macKeys[i];
      return macKey === undefined ? [] : [{ pid: m.pid, macKey }];
    });
    if (senderKey === undefined || to.length === 0) return { result: 'no_one' };
    const seq = this.#outbox.nextSeq;
    const plaintext = await writeChat({
      pid: c.pid,
      gen,
      seq,
      body: { sentAt: Math.max(0, Math.floor(now)), name, text },
      senderKey,
      nonce: c.random(NONCE_BYTES),
      recipients: to,
    });
    const sealed = await c.seal(plaintext);
    if (c.ended()) return { result: 'ended' };
    if (sealed === undefined) return { result: 'busy' }; // no control key this moment
    const id = c.send(sealed);
    if (id === undefined) return { result: 'busy' };
    this.#outbox.handed(id, sealed, now);
    return { result: 'sent', seq };
  }

  /** The worker carried message `id` on every stream: whether it was a chat message of ours (its repeat is set). */
  sent(id: number, now: number): boolean {
    return this.#outbox.sent(id, now);
  }

  /** A CHAT's plaintext, opened from the control seal and seen for the first time. Never throws. */
  async receive(plaintext: Uint8Array): Promise<void> {
    const c = this.#context;
    const chat = decodeChat(plaintext);
    if (chat?.pid === c.pid) return; // our own message, echoed back
    const member = chat === undefined ? undefined : c.member(chat.pid);
    const macKey = member === undefined ? undefined : (await c.peerKeys(member.publicKey))?.chatMac.receive;
    if (chat === undefined || member === undefined || macKey === undefined) {
      c.refuse();
      return;
    }
    if (!(await verifyChatMac(chat, c.pid, macKey))) {
      c.refuse();
      return;
    }
    if (c.ended() || c.member(member.pid) !== member) return; // it left meanwhile
    const gen = fullGen(member.latest, chat.gen);
    const key = member.keys.get(gen);
    if (key !== undefined) {
      await this.#deliver(member, chat, key);
      return;
    }
    // Only a generation whose key may still come (newer than all but the newest held): an older one was retired.
    if (!member.keys.wouldTake(gen) || !this.#pending.add(member.pid, gen, chat, c.now())) c.refuse();
  }

  /** Generation `gen` of `member` came: the chats that waited for it are opened. */
  async keyCame(member: ChatMember, gen: number, key: CryptoKey): Promise<void> {
    for (const chat of this.#pending.take(member.pid, gen)) await this.#deliver(member, chat, key);
  }

  /** Every tick: repeats that are due go to the worker; chats that waited too long for their key are dropped. */
  tick(now: number): void {
    for (const sealed of this.#outbox.due(now)) this.#context.send(sealed);
    this.#context.refuse(this.#pending.expire(now));
  }

  /** A member left: its waiting chats will never open. */
  left(pid: bigint): void {
    this.#context.refuse(this.#pending.forget(pid));
  }

  clear(): void {
    this.#outbox.clear();
    this.#pending.clear();
  }

  async #deliver(member: ChatMember, chat: Chat, key: CryptoKey): Promise<void> {
    const body = await openChatBody(key, chat);
    if (body === undefined) {
      this.#context.refuse();
      return;
    }
    if (this.#context.ended()) return;
    this.#context.deliver({ pid: member.pid, fingerprint: member.fingerprint, seq: chat.seq, ...body });
  }
}

interface Outgoing {
  /** The sealed message, handed to the worker again byte for byte as the repeat. */
  sealed: Uint8Array;
  handedAt: number;
  /** When the worker reported the first copy carried on every stream; undefined until then. */
  sentAt: number | undefined;
}

/**
 * Our chat messages between the worker and their repeat. A message is *in flight* from the moment it is handed to the
 * worker until the worker reports it carried (`sent`) or {@link CHAT_SENT_TIMEOUT_MS} passed; at most
 * {@link MAX_CHATS_IN_FLIGHT} are. A reported one is handed over once more {@link CHAT_REPEAT_MS} later, then forgotten.
 */
export class ChatOutbox {
  /** By the worker's id of the first copy. */
  readonly #messages = new Map<number, Outgoing>();
  #nextSeq = 0;

  /** The seq the next message takes: seqs count the messages handed to the worker, from 0. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Whether no message may go now: too many in flight, too many repeats waiting, or every seq used. */
  full(now: number): boolean {
    if (this.#nextSeq > MAX_CHAT_SEQ) return true;
    let inFlight = 0;
    for (const m of this.#messages.values()) {
      if (m.sentAt === undefined && now - m.handedAt < CHAT_SENT_TIMEOUT_MS) inFlight++;
    }
    return inFlight >= MAX_CHATS_IN_FLIGHT || this.#messages.size >= MAX_CHATS_IN_FLIGHT + MAX_CHAT_REPEATS_WAITING;
  }

  /** Message {@link nextSeq} was handed to the worker as `id`. */
  handed(id: number, sealed: Uint8Array, now: number): void {
    this.#messages.set(id, { sealed, handedAt: now, sentAt: undefined });
    this.#nextSeq++;
  }

  /** The worker carried message `id` on every stream. Whether it was one of ours (a first copy). */
  sent(id: number, now: number): boolean {
    const m = this.#messages.get(id);
    if (m === undefined || m.sentAt !== undefined) return false;
    m.sentAt = now;
    return true;
  }

  /**
   * The repeats due by `now` (each once, then forgotten), oldest first; first copies the worker never reported within
   * {@link CHAT_SENT_TIMEOUT_MS} are forgotten without one (the worker dropped them, or restarted).
   */
  due(now: number): Uint8Array[] {
    const repeats: Uint8Array[] = [];
    for (const [id, m] of this.#messages) {
      if (m.sentAt === undefined) {
        if (now - m.handedAt >= CHAT_SENT_TIMEOUT_MS) this.#messages.delete(id);
      } else if (now >= m.sentAt + CHAT_REPEAT_MS) {
        this.#messages.delete(id);
        repeats.push(m.sealed);
      }
    }
    return repeats;
  }

  clear(): void {
    this.#messages.clear();
  }
}

interface Waiting {
  pid: bigint;
  /** The full number of the sender generation it waits for. */
  gen: number;
  chat: Chat;
  until: number;
}

/**
 * Received chats that passed their sender's MAC but are sealed under a generation whose key has not come yet: at most
 * {@link MAX_PENDING_CHATS}, each for {@link CHAT_PENDING_MS}. Every message that leaves without being taken is
 * reported as dropped, for the call to count.
 */
export class PendingChats {
  #waiting: Waiting[] = [];

  /** Keeps a chat of member `pid` until the key of its generation `gen` comes. False if full (it is not kept). */
  add(pid: bigint, gen: number, chat: Chat, now: number): boolean {
    if (this.#waiting.length >= MAX_PENDING_CHATS) return false;
    this.#waiting.push({ pid, gen, chat, until: now + CHAT_PENDING_MS });
    return true;
  }

  /** The chats that waited for generation `gen` of `pid` (its key came), in the order they came; no longer kept. */
  take(pid: bigint, gen: number): Chat[] {
    const taken = this.#waiting.filter((w) => w.pid === pid && w.gen === gen);
    if (taken.length > 0) this.#waiting = this.#waiting.filter((w) => !(w.pid === pid && w.gen === gen));
    return taken.map((w) => w.chat);
  }

  /** Drops those whose wait is over; how many. */
  expire(now: number): number {
    const before = this.#waiting.length;
    this.#waiting = this.#waiting.filter((w) => now < w.until);
    return before - this.#waiting.length;
  }

  /** Drops those of a member that left; how many. */
  forget(pid: bigint): number {
    const before = this.#waiting.length;
    this.#waiting = this.#waiting.filter((w) => w.pid !== pid);
    return before - this.#waiting.length;
  }

  clear(): void {
    this.#waiting = [];
  }
}
