/**
 * A simulated call for the key exchange's tests: participants (src/content/exchange/call.ts) on one fake clock,
 * exchanging sealed messages through an in-memory channel that a test can watch, drop or rewrite, with the epoch keys
 * of one passphrase. One step is one tick (TICK_MS): every participant ticks, then every message sent goes to every
 * other participant, and the sender hears `sent` for it (its worker carried it on every stream).
 */

import { SUITE_FOR_KIND } from '../../src/codecs';
import type { Call, CallHost, ReceivedChat } from '../../src/content/exchange/call';
import { type Chat, decodeChat } from '../../src/content/exchange/chat';
import { TICK_MS } from '../../src/content/exchange/constants';
import { genBits } from '../../src/content/exchange/generations';
import { decodeState, type State } from '../../src/content/exchange/messages';
import { ControlKeys, open, sealWith } from '../../src/content/exchange/seal';
import { SFrameContext } from '../../src/sframe';
import { EPOCH_MS, epochAt } from '../../src/shared/epoch';
import { hkdfKey } from './exchange-fixtures';

export interface Participant {
  name: string;
  call: Call;
  /** Ticks and hears messages; false: gone (its page closed, or its network), though its call still holds its keys. */
  online: boolean;
  /** Generations it switched to, with when. */
  switches: { gen: number; at: number }[];
  retired: { pid: bigint; gen: number; at: number }[];
  /** What it handed its worker, with when and the id it got. */
  sentLog: { sealed: Uint8Array; at: number; id: number }[];
  /** Chat messages it received (`onChat`), with when. */
  chats: (ReceivedChat & { at: number })[];
  changes: number;
}

/** What the channel does with one message on its way from one participant to another: the bytes, or undefined (lost). */
export type Filter = (
  from: Participant,
  to: Participant,
  sealed: Uint8Array,
) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

/** A few seconds before an epoch boundary, so that longer runs cross one. */
const START = 2_900_000 * EPOCH_MS + EPOCH_MS - 20_000;

export class Network {
  now = START;
  readonly participants: Participant[] = [];
  /** The room's epoch base keys (everyone who knows the passphrase has them, a man in the middle too). */
  readonly epochKeys = new Map<number, CryptoKey>();
  readonly roomTag = new Uint8Array(16).fill(0x35);
  readonly control = new ControlKeys((e) => this.epochKeys.get(e));
  filter: Filter | undefined;
  /** Whether senders hear `sent` for what they sent (false: a worker that never confirms). */
  reportSent = true;
  /** Every message delivered, for tests to look at. */
  readonly delivered: { from: Participant; to: Participant; sealed: Uint8Array; at: number }[] = [];
  #queue: { from: Participant; sealed: Uint8Array; id: number }[] = [];
  #nextId = 1;

  static async create(): Promise<Network> {
    const network = new Network();
    const current = epochAt(network.now);
    for (let e = current - 3; e <= current + 4; e++) {
      network.epochKeys.set(e, await hkdfKey(crypto.getRandomValues(new Uint8Array(16))));
    }
    return network;
  }

  get epoch(): number {
    return epochAt(this.now);
  }

  /** A host for a participant: this network's clock, epoch keys, room tag and channel. */
  host(p: () => Participant): CallHost {
    const network = this;
    return {
      now: () => this.now,
      epochs: {
        get epoch() {
          return network.epoch;
        },
        keyOf: (e: number) => network.epochKeys.get(e),
      },
      roomTag: () => this.roomTag,
      send: (sealed) => {
        const id = this.#nextId++;
        this.#queue.push({ from: p(), sealed, id });
        p().sentLog.push({ sealed, at: this.now, id });
        return id;
      },
      onSwitch: (gen) => void p().switches.push({ gen, at: this.now }),
      onNext: () => {},
      onClockSkew: () => {},
      onMemberKey: () => {},
      onRetire: (pid, gen) => void p().retired.push({ pid, gen, at: this.now }),
      onChange: () => void p().changes++,
      onChat: (message) => void p().chats.push({ ...message, at: this.now }),
    };
  }

  /** Starts a participant's call (it says hello at its first tick). */
  async join(name: string, start: (host: CallHost) => Promise<Call>): Promise<Participant> {
    let participant: Participant | undefined;
    const host = this.host(() => participant as Participant);
    participant = {
      name,
      call: await start(host),
      online: true,
      switches: [],
      retired: [],
      sentLog: [],
      chats: [],
      changes: 0,
    };
    this.participants.push(participant);
    return participant;
  }

  /** One tick for everyone online, then the messages go round. */
  async step(): Promise<void> {
    this.now += TICK_MS;
    for (const p of this.participants) if (p.online) await p.call.tick();
    await this.deliver();
  }

  async run(ms: number, each?: () => void | Promise<void>): Promise<void> {
    for (let t = 0; t < ms; t += TICK_MS) {
      await each?.();
      await this.step();
    }
  }

  async deliver(): Promise<void> {
    while (this.#queue.length > 0) {
      const { from, sealed, id } = this.#queue.shift() as { from: Participant; sealed: Uint8Array; id: number };
      for (const to of this.participants) {
        if (to === from || !to.online) continue;
        const bytes = this.filter === undefined ? sealed : await this.filter(from, to, sealed);
        if (bytes === undefined) continue;
        this.delivered.push({ from, to, sealed: bytes, at: this.now });
        await to.call.receive(bytes);
      }
      if (this.reportSent && from.online) from.call.sent(id);
    }
  }

  /** What a sealed message says, if it is a STATE (the test holds the epoch keys). */
  async read(sealed: Uint8Array): Promise<State | undefined> {
    const opened = await open(sealed, this.epoch, this.control);
    return opened === undefined ? undefined : decodeState(opened.plaintext);
  }

  /** What a sealed message says, if it is a CHAT (its body still sealed). */
  async readChat(sealed: Uint8Array): Promise<Chat | undefined> {
    const opened = await open(sealed, this.epoch, this.control);
    return opened === undefined ? undefined : decodeChat(opened.plaintext);
  }

  /** Seals any plaintext for an epoch, as anyone who knows the passphrase can. */
  async seal(plaintext: Uint8Array, epoch = this.epoch): Promise<Uint8Array> {
    const key = await this.control.get(epoch);
    return sealWith(key as CryptoKey, epoch, crypto.getRandomValues(new Uint8Array(12)), plaintext);
  }

  /** The chat messages a participant handed its worker (first copies and repeats), oldest first. */
  async chatsSent(p: Participant): Promise<{ sealed: Uint8Array; at: number; id: number; chat: Chat }[]> {
    const out = [];
    for (const m of p.sentLog) {
      const chat = await this.readChat(m.sealed);
      if (chat !== undefined) out.push({ ...m, chat });
    }
    return out;
  }
}

/** A v4 KID (docs/keys.md): mark 0b1100, generation bits, pid, track 0. */
export function kidOf(pid: bigint, gen: number): bigint {
  return (0xcn << 60n) | (BigInt(genBits(gen)) << 56n) | (pid << 12n);
}

/**
 * Whether `receiver` can decrypt what `sender` sends now: a frame sealed with the sender's own current key (RFC 9605
 * frame keys of the video suite) opens with the receiver's key for that KID.
 */
export async function canDecrypt(sender: Participant, receiver: Participant): Promise<boolean> {
  const gen = sender.call.sendingGeneration;
  const kid = kidOf(sender.call.pid, gen);
  const own = sender.call.senderKey(sender.call.pid, genBits(gen));
  const theirs = receiver.call.senderKey(sender.call.pid, genBits(gen));
  if (own === undefined || theirs === undefined) return false;
  const tx = new SFrameContext(SUITE_FOR_KIND.video);
  const rx = new SFrameContext(SUITE_FOR_KIND.video);
  await tx.addKey(kid, own);
  await rx.addKey(kid, theirs);
  const plaintext = new TextEncoder().encode(`${sender.name} to ${receiver.name}`);
  const frame = await tx.encrypt(kid, new Uint8Array(0), plaintext);
  try {
    const got = await rx.decrypt(new Uint8Array(0), frame);
    return Buffer.from(got.plaintext).equals(Buffer.from(plaintext));
  } catch {
    return false;
  }
}

/** Every pair of `participants` decrypts the other's current media. */
export async function allKeyed(participants: readonly Participant[]): Promise<boolean> {
  for (const a of participants) for (const b of participants) if (a !== b && !(await canDecrypt(a, b))) return false;
  return true;
}
