/**
 * @module One participant's call: the key exchange's state machine (docs/keys.md, "When keys change").
 * Pure: the clock, the epoch keys, the room tag and the way to the worker are injected ({@link CallHost}).
 *
 * - Every {@link HELLO_INTERVAL_MS} we send a STATE (a hello: no wraps, our current `want`s).
 * - A STATE from an unknown pid adds a member; a member silent for {@link LEAVE_AFTER_MS} is removed. Either
 *   schedules a re-key ({@link REKEY_DEBOUNCE_MS} later), and one comes at least every {@link REKEY_INTERVAL_MS}.
 * - A re-key makes generation g+1, wraps it to every member, sends one STATE with the wraps, and switches our media to
 *   it ({@link CallHost.onSwitch}) once the worker carried that STATE on every stream ({@link Call.sent}) and
 *   {@link SWITCH_MARGIN_MS} passed, or after {@link SWITCH_TIMEOUT_MS} without that; g is dropped
 *   {@link OLD_KEY_GRACE_MS} later. No re-key starts while a switch is pending: receivers keep two generations per
 *   sender, so the one we still send under must not be pushed out by two newer ones.
 * - A STATE whose wraps include us gives that member's generation: we keep its two newest, and an older one until
 *   {@link OLD_KEY_GRACE_MS} after the member's hello says it moved on.
 * - A STATE naming us in `want` makes us re-send our current generation's wraps to the wanters (on the next tick,
 *   one STATE for all of them).
 * - The call's chat (call-chat.ts) rides the same seal: {@link Call.sendChat} seals a message under our newest
 *   generation, and a CHAT received (the plaintext's first byte says which message it is) goes to
 *   {@link CallHost.onChat} once it proves its sender and opens.
 *
 * The `gen` of a STATE is the generation of its wraps, or with none (a hello) the one we send under. Everything from
 * the worker is untrusted: {@link Call.receive} and {@link Call.tick} never throw, and every collection is bounded.
 */
import { bytesToHex, constantTimeEqual, readUintBE } from '../../shared/bytes';
import { dropOldest } from '../../shared/collections';
import type { ReceivedChat } from '../../shared/messages/chat';
import { CallChat, type ChatSendOutcome } from './call-chat';
import { callWords, compareBytes, fingerprint } from './call-words';
import { checkChatInput } from './chat';
import {
  CHAT_TYPE,
  GEN_BITS_MODULUS,
  GEN_BYTE_MODULUS,
  HELLO_INTERVAL_MS,
  LEAVE_AFTER_MS,
  MAX_CHATS_IN_FLIGHT,
  MAX_FAR_EPOCHS,
  MAX_OTHERS,
  MAX_PID,
  MAX_QUEUED_MESSAGES,
  MAX_SEEN_NONCES,
  OLD_KEY_GRACE_MS,
  PID_BYTES,
  REKEY_DEBOUNCE_MS,
  REKEY_INTERVAL_MS,
  SKEW_MEMORY_MS,
  STATE_TYPE,
  STRANGER_HELLO_MS,
  SWITCH_MARGIN_MS,
  SWITCH_TIMEOUT_MS,
  WANT_AFTER_MS,
} from './constants';
import { fullGen, Generations } from './generations';
import {
  generateIdentity,
  generateSenderKey,
  type Identity,
  PeerKeyring,
  unwrapSenderKey,
  wrapSenderKey,
} from './identity';
import { decodeState, encodeState, type State } from './messages';
import { ControlKeys, farEpochDistance, open, seal } from './seal';
import { Wants } from './wants';

export type { ChatSendResult, ReceivedChat } from '../../shared/messages/chat';
export type { ChatSendOutcome } from './call-chat';

/** What a call needs of the bridge. */
export interface CallHost {
  /** Milliseconds, monotonic enough for timeouts (`Date.now`). */
  now(): number;
  /** The epoch base keys (`EpochSchedule`): they key the control key that seals every message. */
  epochs: { readonly epoch: number | undefined; keyOf(epoch: number): CryptoKey | undefined };
  /** The room tag from the background (16 bytes), for the call words; undefined until it came. */
  roomTag(): Uint8Array | undefined;
  /** Hands a sealed message to the worker (`control-send`); returns its id, which {@link Call.sent} reports back. */
  send(sealed: Uint8Array): number;
  /** Our media now goes out under generation `gen` (its low 4 bits are the KIDs'). */
  onSwitch(gen: number): void;
  /** We made generation `gen` and sent its wraps: our senders ask for its frame keys ahead of the switch. */
  onNext(gen: number): void;
  /** A member's generation `gen` came (its wrap to us opened): its tracks are keyed ahead, before its switch. */
  onMemberKey(pid: bigint, gen: number): void;
  /** The frame keys of that sender generation can go (own or a member's; its low 4 bits are the KIDs'). */
  onRetire(pid: bigint, gen: number): void;
  /** Members, keys or words changed (for the popup). */
  onChange(): void;
  /**
   * Messages sealed `distance` epochs from ours keep coming (the same distance twice within {@link SKEW_MEMORY_MS}):
   * our clock or a participant's is off by more than the tolerance, and we cannot read each other's exchange.
   */
  onClockSkew(distance: number): void;
  /**
   * A member's chat message came: its MAC to us verified and its body opened. Copies of one message (one per stream,
   * and its repeat) come once; the same seq again (a member re-sealing its own message) is the bridge's to drop.
   */
  onChat(message: ReceivedChat): void;
}

export interface CallStatus {
  /** The call's five words; undefined until the room tag came. */
  words?: string[];
  /** Our own fingerprint (two words). */
  you: string;
  members: { fingerprint: string; keyed: boolean; lastSeen: number }[];
}

/** Messages the call refused (not authentic, malformed, a stranger beyond the member limit) and its own failures. */
export interface CallCounts {
  refused: number;
  /** Errors caught inside the call (a bug, or WebCrypto failing): always 0 in a healthy call. */
  failed: number;
}

interface Member {
  pid: bigint;
  publicKey: Uint8Array;
  fingerprint: string;
  lastSeen: number;
  /** The newest generation named in any of its STATEs (full number, kept by distance: see {@link fullGen}). */
  latest: number;
  /** The generation its last hello said it sends under. */
  current: number;
  keys: Generations;
}

interface OwnGeneration {
  /** Its wraps, by recipient, kept to re-send while it is current or pending. */
  wraps: Map<bigint, Uint8Array>;
}

interface PendingSwitch {
  gen: number;
  /** The worker's id of the STATE that carries it; undefined if handing it over failed (then only the timeout). */
  id: number | undefined;
  handedAt: number;
  confirmedAt: number | undefined;
}

const defaultRandom = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

const genByte = (gen: number): number => ((gen % GEN_BYTE_MODULUS) + GEN_BYTE_MODULUS) % GEN_BYTE_MODULUS;

export class Call {
  readonly pid: bigint;
  readonly #host: CallHost;
  readonly #random: (n: number) => Uint8Array;
  #identity: Identity | undefined;
  readonly #you: string;
  readonly #peers: PeerKeyring;
  readonly #chat: CallChat;
  readonly #control: ControlKeys;

  /** Our generations' base keys (sending, pending, and replaced ones in their grace). */
  readonly #ownKeys = new Generations();
  readonly #own = new Map<number, OwnGeneration>();
  #sending = 0;
  #latest = 0;
  #pending: PendingSwitch | undefined;

  readonly #members = new Map<bigint, Member>();
  readonly #wants = new Wants();
  /** Members that named us in `want`: they get our current wraps at the next tick. */
  readonly #resendTo = new Set<bigint>();
  /** When each member last got a re-send of ours. */
  readonly #resentAt = new Map<bigint, number>();
  /** Nonces of messages handled lately: the same message comes once per stream that carried it. */
  readonly #seen = new Set<string>();

  #rekeyAt: number | undefined;
  #lastRekeyAt: number;
  #lastStateAt = Number.NEGATIVE_INFINITY;
  /** Epoch distances of messages sealed outside our window, and when each came last (a clock off, or junk). */
  readonly #farEpochs = new Map<number, number>();
  /** Frames of a pid that is no member came since the last tick: say hello early. */
  #strangerSeen = false;

  /** Calls of {@link sendChat} waiting for their job. */
  #chatSendsQueued = 0;

  #words: string[] | undefined;
  /** What {@link #words} were computed from (room tag and keys), to recompute only when it changes. */
  #wordsFrom = '';
  #changed = false;

  /** Jobs (receive, tick) run one at a time, in order: each sees the state the one before left. */
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;
  #tickQueued = false;
  #ended = false;
  readonly #counts: CallCounts = { refused: 0, failed: 0 };

  private constructor(
    host: CallHost,
    random: (n: number) => Uint8Array,
    pid: bigint,
    identity: Identity,
    you: string,
    firstKey: CryptoKey,
  ) {
    this.#host = host;
    this.#random = random;
    this.pid = pid;
    this.#identity = identity;
    this.#you = you;
    this.#peers = new PeerKeyring(identity);
    this.#chat = this.#newChat();
    this.#control = new ControlKeys((epoch) => host.epochs.keyOf(epoch));
    this.#ownKeys.add(0, firstKey);
    this.#own.set(0, { wraps: new Map() });
    this.#lastRekeyAt = host.now();
  }

  /**
   * A new call: a random 44-bit pid, a fresh X25519 key pair, and generation 0 (wrapped to nobody: nobody was seen
   * before it was made). Media may go out under generation 0 at once; {@link CallHost.onSwitch} reports later ones.
   *
   * @throws what WebCrypto throws where it lacks X25519 (Chromium before 133): no call can start there.
   */
  static async start(host: CallHost, random: (n: number) => Uint8Array = defaultRandom): Promise<Call> {
    const pidBytes = random(PID_BYTES);
    const pid = readUintBE(pidBytes, 0, PID_BYTES) & MAX_PID;
    const identity = await generateIdentity();
    const you = await fingerprint(identity.publicKey);
    // Generation 0 has no recipient: its container is dropped unused.
    const { baseKey } = await generateSenderKey(random);
    return new Call(host, random, pid, identity, you, baseKey);
  }

  /** The generation our media goes out under. */
  get sendingGeneration(): number {
    return this.#sending;
  }

  get counts(): Readonly<CallCounts> {
    return { ...this.#counts };
  }

  /** The worker carried message `id` on all its streams (`control-sent`). */
  sent(id: number): void {
    if (this.#ended || this.#chat.sent(id, this.#host.now())) return;
    const pending = this.#pending;
    if (pending === undefined || pending.id !== id || pending.confirmedAt !== undefined) return;
    pending.confirmedAt = this.#host.now();
  }

  /**
   * Sends a chat message (call-chat.ts): its body sealed under our newest generation (the one being switched to, if
   * any: the STATE that carries its key went to the worker first, and the worker keeps order), with a MAC to each of
   * that generation's recipients still in the call. It runs as a job, after the receives and ticks before it, so it
   * sees the members and keys they left. Never throws.
   */
  sendChat(text: string, name: string): Promise<ChatSendOutcome> {
    if (this.#ended) return Promise.resolve({ result: 'ended' });
    const input = checkChatInput(text, name);
    if (input === 'empty' || input === 'too_long') return Promise.resolve({ result: input });
    // More sends waiting for their job than may be in flight: the last of them would be busy anyway.
    if (this.#chatSendsQueued >= MAX_CHATS_IN_FLIGHT) return Promise.resolve({ result: 'busy' });
    this.#chatSendsQueued++;
    let outcome: ChatSendOutcome | undefined;
    return this.#run(async () => {
      outcome = await this.#chat.send(text, name);
    }).then(() => {
      this.#chatSendsQueued--;
      // No outcome: the job never ran (the call ended first) or failed (counted).
      return outcome ?? { result: this.#ended ? 'ended' : 'busy' };
    });
  }

  /** A reassembled message from the worker (`control-received`): untrusted, anything. Never throws. */
  receive(untrusted: Uint8Array): Promise<void> {
    if (this.#ended) return Promise.resolve();
    if (this.#queued >= MAX_QUEUED_MESSAGES) {
      this.#counts.refused++;
      return Promise.resolve();
    }
    this.#queued++;
    return this.#run(async () => {
      this.#queued--;
      await this.#receive(untrusted);
    });
  }

  /** Called every `TICK_MS`: hellos, leaves, re-keys, switches, retirements, re-sends. Never throws. */
  tick(): Promise<void> {
    if (this.#ended || this.#tickQueued) return Promise.resolve();
    this.#tickQueued = true;
    return this.#run(async () => {
      this.#tickQueued = false;
      await this.#tick();
    });
  }

  /**
   * The worker sees frames of (pid, generation bits) and has no key for them. A pid that is no member yet is someone
   * who cannot know us either (an SFU subscribed us to each other just now, after our last STATE went by): we say
   * hello at once rather than at the next interval, so the exchange starts within a frame (at most one early hello
   * per {@link STRANGER_HELLO_MS}, whatever a flood of junk KIDs asks).
   */
  want(pid: bigint, bits: number): void {
    if (this.#ended || pid === this.pid || pid < 0n || pid > MAX_PID) return;
    if (!Number.isInteger(bits) || bits < 0 || bits >= GEN_BITS_MODULUS) return;
    if (this.senderKey(pid, bits) !== undefined) return;
    const now = this.#host.now();
    const member = this.#members.get(pid);
    // Frames of a generation older than the one the member last said it sends under, whose key we hold: late frames
    // of a generation we never got (its generation 0, one made before we came). Nothing to ask for: asking again and
    // again would only make it re-send its current wraps, which we hold. (A newer one, ahead of its last hello, is
    // asked for: it switched and we missed the wraps.)
    if (member?.keys.has(member.current)) {
      const ahead = (bits - (member.current % GEN_BITS_MODULUS) + GEN_BITS_MODULUS) % GEN_BITS_MODULUS;
      if (ahead === 0 || ahead >= GEN_BITS_MODULUS / 2) return;
    }
    this.#wants.note(pid, bits, now, member === undefined);
    if (member === undefined) {
      // Held until a STATE goes out (at most one early hello per STRANGER_HELLO_MS), never dropped: a newcomer's first
      // re-key must not miss a member because that member's hello went out a moment before.
      this.#strangerSeen = true;
      if (now - this.#lastStateAt >= STRANGER_HELLO_MS) void this.tick();
    }
  }

  /**
   * The HKDF base key of a sender generation, by the KID's 4 bits: the newest held with those bits. Our own pid gives
   * our generations, the next one included before the switch (so frame keys can be ready).
   */
  senderKey(pid: bigint, bits: number): CryptoKey | undefined {
    if (this.#ended) return undefined;
    if (pid === this.pid) return this.#ownKeys.byBits(bits);
    return this.#members.get(pid)?.keys.byBits(bits);
  }

  status(): CallStatus {
    const members = [...this.#members.values()]
      .map((m) => ({ fingerprint: m.fingerprint, keyed: m.keys.has(m.current), lastSeen: m.lastSeen }))
      .sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
    return { ...(this.#words === undefined ? {} : { words: [...this.#words] }), you: this.#you, members };
  }

  /**
   * The call is over: every key (ours, received, KEKs, chat MAC keys, control keys), every member, every chat message
   * on its way or waiting for a key, and every pending job is dropped. Calls no host method: the bridge drops the
   * worker's keys itself.
   */
  end(): void {
    this.#ended = true;
    this.#identity = undefined;
    this.#ownKeys.clear();
    this.#own.clear();
    this.#pending = undefined;
    for (const m of this.#members.values()) m.keys.clear();
    this.#members.clear();
    this.#wants.clear();
    this.#resendTo.clear();
    this.#resentAt.clear();
    this.#seen.clear();
    this.#peers.clear();
    this.#chat.clear();
    this.#control.clear();
    this.#words = undefined;
  }

  /** What the chat reaches of the call: its members, keys, seal and host (see {@link CallChat}). */
  #newChat(): CallChat {
    return new CallChat({
      pid: this.pid,
      now: () => this.#host.now(),
      random: (n) => this.#random(n),
      ended: () => this.#ended,
      member: (pid) => this.#members.get(pid),
      peerKeys: (publicKey) => this.#peers.get(publicKey),
      newest: () => ({
        gen: this.#latest,
        senderKey: this.#ownKeys.get(this.#latest),
        recipients: [...(this.#own.get(this.#latest)?.wraps.keys() ?? [])].flatMap((pid) => {
          const member = this.#members.get(pid);
          return member === undefined ? [] : [member];
        }),
      }),
      seal: async (plaintext) => {
        const epoch = this.#host.epochs.epoch;
        return epoch === undefined ? undefined : seal(plaintext, epoch, this.#control, this.#random);
      },
      send: (sealed) => {
        let id: number | undefined;
        this.#call(() => {
          id = this.#host.send(sealed);
        });
        return id;
      },
      deliver: (message) => this.#call(() => this.#host.onChat(message)),
      refuse: (count = 1) => {
        this.#counts.refused += count;
      },
    });
  }

  // ---- jobs -----------------------------------------------------------------------------------------------------------

  #run(job: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(async () => {
      if (this.#ended) return;
      try {
        await job();
      } catch {
        this.#counts.failed++;
      }
      if (this.#changed && !this.#ended) {
        this.#changed = false;
        this.#call(() => this.#host.onChange());
      }
    });
    this.#queue = run;
    return run;
  }

  /** Calls the host; a host that throws must not leave the call half-updated. */
  #call(hostCall: () => void): void {
    try {
      hostCall();
    } catch {
      this.#counts.failed++;
    }
  }

  async #receive(untrusted: Uint8Array): Promise<void> {
    const current = this.#host.epochs.epoch;
    const opened = current === undefined ? undefined : await open(untrusted, current, this.#control);
    if (opened === undefined) {
      this.#counts.refused++;
      if (current !== undefined) this.#noteFarEpoch(farEpochDistance(untrusted, current));
      return;
    }
    const nonce = bytesToHex(opened.nonce);
    if (this.#seen.has(nonce)) return; // another stream's copy
    if (this.#seen.size >= MAX_SEEN_NONCES) dropOldest(this.#seen);
    this.#seen.add(nonce);

    const type = opened.plaintext[0];
    if (type === STATE_TYPE) await this.#receiveState(opened.plaintext);
    else if (type === CHAT_TYPE) await this.#chat.receive(opened.plaintext);
    else this.#counts.refused++;
  }

  async #receiveState(plaintext: Uint8Array): Promise<void> {
    const state = decodeState(plaintext);
    const identity = this.#identity;
    if (state === undefined || identity === undefined) {
      this.#counts.refused++;
      return;
    }
    // Our own message, echoed back (by an SFU, or a second stream of ours).
    if (state.pid === this.pid || constantTimeEqual(state.publicKey, identity.publicKey)) return;

    const now = this.#host.now();
    const member = this.#members.get(state.pid) ?? (await this.#admit(state, now));
    if (member === undefined || this.#ended) return;
    // A pid keeps the public key it came with: another key under it is a collision or a forgery, never followed.
    if (!constantTimeEqual(member.publicKey, state.publicKey)) {
      this.#counts.refused++;
      return;
    }
    member.lastSeen = now;
    const gen = fullGen(member.latest, state.gen);
    member.latest = Math.max(member.latest, gen);

    if (state.wraps.length === 0 && gen > member.current) {
      // A hello: the member sends under `gen` now. What it sent before may still be in flight for a while.
      member.current = gen;
      member.keys.retireOlderThan(gen, now + OLD_KEY_GRACE_MS);
      this.#changed = true;
    }
    const mine = state.wraps.find((w) => w.pid === this.pid);
    if (mine !== undefined && member.keys.wouldTake(gen)) {
      const kek = (await this.#peers.get(member.publicKey))?.kek.receive;
      const key = kek === undefined ? undefined : await unwrapSenderKey(mine.wrapped, kek);
      if (key === undefined) {
        this.#counts.refused++;
      } else if (this.#members.get(member.pid) === member && !this.#ended) {
        member.keys.add(gen, key);
        member.keys.keepNewest(2, now + OLD_KEY_GRACE_MS);
        this.#retireDue(member.pid, member.keys, now);
        this.#changed = true;
        this.#call(() => this.#host.onMemberKey(member.pid, gen));
        await this.#chat.keyCame(member, gen, key); // chats that came ahead of it
      }
    }
    // Named in its want: our current wraps go to it again, at most once per WANT_AFTER_MS (its wants ride on every
    // STATE it sends, re-sends included, and two members must not re-send to each other on every tick).
    if (
      state.want.includes(this.pid) &&
      now - (this.#resentAt.get(member.pid) ?? Number.NEGATIVE_INFINITY) >= WANT_AFTER_MS
    ) {
      this.#resendTo.add(member.pid);
    }
  }

  /** A message sealed in an epoch outside our window: reported once the same distance came twice lately. */
  #noteFarEpoch(distance: number | undefined): void {
    if (distance === undefined) return;
    const now = this.#host.now();
    const last = this.#farEpochs.get(distance);
    this.#farEpochs.delete(distance);
    this.#farEpochs.set(distance, now);
    if (this.#farEpochs.size > MAX_FAR_EPOCHS) dropOldest(this.#farEpochs);
    if (last !== undefined && now - last <= SKEW_MEMORY_MS) this.#call(() => this.#host.onClockSkew(distance));
  }

  /** A STATE from an unknown pid: a new member, if there is room and its public key is one X25519 takes. */
  async #admit(state: State, now: number): Promise<Member | undefined> {
    if (this.#members.size >= MAX_OTHERS) {
      this.#counts.refused++;
      return undefined;
    }
    if ((await this.#peers.get(state.publicKey)) === undefined) {
      this.#peers.forget(state.publicKey); // keys X25519 refuses must not push members' keys out of the cache
      this.#counts.refused++;
      return undefined;
    }
    const member: Member = {
      pid: state.pid,
      publicKey: state.publicKey,
      fingerprint: await fingerprint(state.publicKey),
      lastSeen: now,
      latest: state.gen,
      current: state.gen,
      keys: new Generations(),
    };
    if (this.#ended || this.#members.has(state.pid)) return this.#members.get(state.pid);
    this.#members.set(member.pid, member);
    this.#scheduleRekey(now);
    this.#changed = true;
    return member;
  }

  async #tick(): Promise<void> {
    const now = this.#host.now();
    const epoch = this.#host.epochs.epoch;
    if (epoch !== undefined) this.#control.prune(epoch);

    this.#switchIfDue(now);
    this.#removeSilent(now);
    this.#retireDue(this.pid, this.#ownKeys, now);
    for (const m of this.#members.values()) this.#retireDue(m.pid, m.keys, now);
    this.#wants.prune(now, (pid, bits) => this.senderKey(pid, bits) !== undefined);

    const rekeyDue =
      (this.#rekeyAt !== undefined && now >= this.#rekeyAt) || now - this.#lastRekeyAt >= REKEY_INTERVAL_MS;
    this.#chat.tick(now);
    if (rekeyDue && this.#pending === undefined) await this.#rekey(now);
    if (this.#resendTo.size > 0) await this.#resend(now);
    const known = (pid: bigint) => this.#members.has(pid);
    // Early (a stranger's frames, a want not asked yet), but never more often than STRANGER_HELLO_MS: a flood of junk
    // KIDs, each a stranger, must not turn into a flood of hellos.
    const early =
      (this.#strangerSeen || this.#wants.unasked(now, known)) && now - this.#lastStateAt >= STRANGER_HELLO_MS;
    if (early || now - this.#lastStateAt >= HELLO_INTERVAL_MS) {
      if ((await this.#sendState(now, this.#sending, [])) !== undefined) this.#strangerSeen = false;
    }
    await this.#refreshWords();
  }

  #scheduleRekey(now: number): void {
    this.#rekeyAt ??= now + REKEY_DEBOUNCE_MS;
  }

  #switchIfDue(now: number): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    const confirmed = pending.confirmedAt !== undefined && now >= pending.confirmedAt + SWITCH_MARGIN_MS;
    if (!confirmed && now < pending.handedAt + SWITCH_TIMEOUT_MS) return;
    const previous = this.#sending;
    this.#pending = undefined;
    this.#sending = pending.gen;
    this.#own.delete(previous); // its wraps: nobody needs them re-sent any more
    this.#ownKeys.retireOlderThan(pending.gen, now + OLD_KEY_GRACE_MS);
    this.#changed = true;
    this.#call(() => this.#host.onSwitch(pending.gen));
  }

  #removeSilent(now: number): void {
    for (const member of [...this.#members.values()]) {
      if (now - member.lastSeen <= LEAVE_AFTER_MS) continue;
      this.#members.delete(member.pid);
      this.#peers.forget(member.publicKey);
      this.#chat.left(member.pid);
      this.#wants.forget(member.pid);
      this.#resendTo.delete(member.pid);
      this.#resentAt.delete(member.pid);
      for (const gen of member.keys.clear()) this.#call(() => this.#host.onRetire(member.pid, gen));
      this.#scheduleRekey(now);
      this.#changed = true;
    }
  }

  #retireDue(pid: bigint, keys: Generations, now: number): void {
    for (const gen of keys.dropDue(now)) {
      this.#changed = true;
      this.#call(() => this.#host.onRetire(pid, gen));
    }
  }

  /** A new generation, wrapped to every member, in one STATE; the switch waits for the worker ({@link #switchIfDue}). */
  async #rekey(now: number): Promise<void> {
    const epoch = this.#host.epochs.epoch;
    // Without the epoch's key nothing can be sent: the re-key stays due.
    if (epoch === undefined || (await this.#control.get(epoch)) === undefined) return;
    const gen = this.#latest + 1;
    const { baseKey, container } = await generateSenderKey(this.#random);
    const members = [...this.#members.values()];
    const wrapped = await Promise.all(
      members.map(async (m) => {
        const kek = (await this.#peers.get(m.publicKey))?.kek.send;
        return kek === undefined ? undefined : wrapSenderKey(container, kek);
      }),
    );
    // `container` goes out of scope here: the only extractable copy of the key is dropped with it.
    if (this.#ended) return;
    const wraps = new Map<bigint, Uint8Array>();
    members.forEach((m, i) => {
      const w = wrapped[i];
      if (w !== undefined && this.#members.get(m.pid) === m) wraps.set(m.pid, w);
    });
    this.#latest = gen;
    this.#ownKeys.add(gen, baseKey);
    this.#own.set(gen, { wraps });
    this.#rekeyAt = undefined;
    this.#lastRekeyAt = now;
    this.#changed = true;
    const id = await this.#sendState(now, gen, [...wraps.keys()]);
    // Ended while the STATE was sealed: nothing more goes to the host (see end()).
    if (this.#ended) return;
    this.#pending = { gen, id, handedAt: now, confirmedAt: undefined };
    this.#call(() => this.#host.onNext(gen));
  }

  /** Our current generation's wraps again, to the members that asked (`want`) and are among its recipients. */
  async #resend(now: number): Promise<void> {
    const wraps = this.#own.get(this.#sending)?.wraps;
    const to = [...this.#resendTo].filter((pid) => wraps?.has(pid));
    this.#resendTo.clear();
    for (const pid of to) this.#resentAt.set(pid, now);
    // A wanter that is not a recipient joined after this generation was made: the re-key its joining scheduled
    // carries our key to it, never this generation.
    if (to.length > 0) await this.#sendState(now, this.#sending, to);
  }

  /** Seals and hands over one STATE of `gen` with the wraps to `recipients`; its worker id, if it went. */
  async #sendState(now: number, gen: number, recipients: readonly bigint[]): Promise<number | undefined> {
    const epoch = this.#host.epochs.epoch;
    const identity = this.#identity;
    if (epoch === undefined || identity === undefined) return undefined;
    const wraps = this.#own.get(gen)?.wraps;
    const known = (pid: bigint) => this.#members.has(pid);
    const want = this.#wants.due(now, known, MAX_OTHERS);
    const plaintext = encodeState({
      pid: this.pid,
      publicKey: identity.publicKey,
      gen: genByte(gen),
      want,
      wraps: recipients.flatMap((pid) => {
        const wrapped = wraps?.get(pid);
        return wrapped === undefined ? [] : [{ pid, wrapped }];
      }),
    });
    const sealed = await seal(plaintext, epoch, this.#control, this.#random);
    if (sealed === undefined || this.#ended) return undefined;
    let id: number | undefined;
    this.#call(() => {
      id = this.#host.send(sealed);
    });
    if (id === undefined) return undefined;
    this.#lastStateAt = now;
    this.#wants.asked(want);
    return id;
  }

  /** Recomputes the call words when the room tag or the set of public keys changed. */
  async #refreshWords(): Promise<void> {
    const identity = this.#identity;
    const tag = this.#host.roomTag();
    if (identity === undefined) return;
    const keys = [identity.publicKey, ...[...this.#members.values()].map((m) => m.publicKey)].sort(compareBytes);
    const from = tag === undefined ? '' : [tag, ...keys].map(bytesToHex).join(':');
    if (from === this.#wordsFrom) return;
    this.#wordsFrom = from;
    let words: string[] | undefined;
    try {
      words = tag === undefined ? undefined : await callWords(tag, keys);
    } catch {
      words = undefined; // a room tag of the wrong length: no words rather than wrong ones
    }
    if (this.#ended || this.#wordsFrom !== from) return;
    this.#words = words;
    this.#changed = true;
  }
}
