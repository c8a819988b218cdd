/**
 * The key exchange's state machine (src/content/exchange/call.ts) in simulated calls (test/unit/exchange-sim.ts):
 * everyone ends with everyone's current keys, newcomers and leavers get nothing they should not, re-keys come on
 * time, lost messages are recovered through `want`, the words expose a man in the middle, a chat message sent during
 * a switch goes under the new generation, and nothing from the channel or the host makes a call throw. The chat
 * itself: exchange-call-chat.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Call, type CallHost } from '../../src/content/exchange/call';
import {
  HELLO_INTERVAL_MS,
  LEAVE_AFTER_MS,
  MAX_OTHERS,
  NONCE_BYTES,
  OLD_KEY_GRACE_MS,
  REKEY_INTERVAL_MS,
  SENDER_KEY_BYTES,
  SWITCH_MARGIN_MS,
  SWITCH_TIMEOUT_MS,
  TICK_MS,
  WANT_AFTER_MS,
  WORKER_MESSAGE_LIMIT,
} from '../../src/content/exchange/constants';
import { genBits } from '../../src/content/exchange/generations';
import { generateIdentity } from '../../src/content/exchange/identity';
import { encodeState, type State } from '../../src/content/exchange/messages';
import { sealWith } from '../../src/content/exchange/seal';
import { asBufferSource } from '../../src/shared/bytes';
import { hkdfKey, kekBytes } from './exchange-fixtures';
import { allKeyed, canDecrypt, Network, type Participant } from './exchange-sim';

const start = (host: Parameters<typeof Call.start>[0]) => Call.start(host);

async function network(names: string[]): Promise<{ net: Network; ps: Participant[] }> {
  const net = await Network.create();
  const ps: Participant[] = [];
  for (const name of names) ps.push(await net.join(name, start));
  return { net, ps };
}

/** Seals a STATE as anyone who knows the passphrase can. */
async function sealState(net: Network, state: State, epoch = net.epoch): Promise<Uint8Array> {
  const key = await net.control.get(epoch);
  return sealWith(key as CryptoKey, epoch, crypto.getRandomValues(new Uint8Array(12)), encodeState(state));
}

function healthy(...ps: Participant[]): void {
  for (const p of ps) expect(p.call.counts, p.name).toEqual({ refused: 0, failed: 0 });
}

describe('a call of 2', () => {
  it('each gets the other’s key, switches to a generation made for the other, and reads the same words', async () => {
    const { net, ps } = await network(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    expect(a.call.sendingGeneration).toBe(0);
    await net.run(5_000);
    expect(await allKeyed(ps)).toBe(true);
    // Generation 0 was made before anyone was seen: nobody got it, and it is not what goes out now.
    expect(a.call.sendingGeneration).toBeGreaterThan(0);
    expect(a.switches.map((s) => s.gen)).toEqual([a.call.sendingGeneration]);
    const sa = a.call.status();
    const sb = b.call.status();
    expect(sa.words).toHaveLength(5);
    expect(sa.words).toEqual(sb.words);
    expect(sa.members).toEqual([{ fingerprint: sb.you, keyed: true, lastSeen: expect.any(Number) }]);
    expect(a.changes).toBeGreaterThan(0);
    healthy(a, b);
  });

  it('switches only after the worker carried the STATE, plus the margin; without that, after the timeout', async () => {
    for (const reportSent of [true, false]) {
      const { net, ps } = await network(['A', 'B']);
      net.reportSent = reportSent;
      const [a] = ps as [Participant];
      let rekeyAt: number | undefined;
      await net.run(6_000, async () => {
        if (rekeyAt !== undefined) return;
        for (const m of a.sentLog) if ((await net.read(m.sealed))?.wraps.length) rekeyAt = m.at;
      });
      expect(rekeyAt).toBeDefined();
      const switched = a.switches[0]?.at as number;
      // The STATE went round in the same step it was sent (`sent` then), so the switch waits the margin, rounded up
      // to the next tick; without `sent`, the timeout.
      const wait = reportSent ? SWITCH_MARGIN_MS : SWITCH_TIMEOUT_MS;
      expect(switched - (rekeyAt as number)).toBeGreaterThanOrEqual(wait);
      expect(switched - (rekeyAt as number)).toBeLessThan(wait + TICK_MS);
    }
  });

  it('holds its next generation before the switch, and drops the replaced one after the grace', async () => {
    const { net, ps } = await network(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    net.reportSent = false;
    await net.run(1_000);
    // A re-keyed for B and waits for the switch: both generations are there.
    expect(a.call.sendingGeneration).toBe(0);
    expect(a.call.senderKey(a.call.pid, 0)).toBeDefined();
    expect(a.call.senderKey(a.call.pid, 1)).toBeDefined();
    expect(b.call.senderKey(a.call.pid, 1)).toBeDefined();
    await net.run(SWITCH_TIMEOUT_MS);
    expect(a.call.sendingGeneration).toBe(1);
    const switched = a.switches[0]?.at as number;
    await net.run(OLD_KEY_GRACE_MS + TICK_MS);
    const own = a.retired.filter((r) => r.pid === a.call.pid);
    expect(own.map((r) => r.gen)).toEqual([0]);
    expect((own[0]?.at as number) - switched).toBeGreaterThanOrEqual(OLD_KEY_GRACE_MS);
    expect(a.call.senderKey(a.call.pid, 0)).toBeUndefined();
    healthy(a, b);
  });

  it('re-keys on its own at least every REKEY_INTERVAL_MS, across an epoch boundary, and retires old keys', async () => {
    const { net, ps } = await network(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    await net.run(5_000);
    const epoch = net.epoch;
    const first = a.call.sendingGeneration;
    await net.run(2 * REKEY_INTERVAL_MS + 5_000);
    expect(net.epoch).toBeGreaterThan(epoch);
    expect(a.call.sendingGeneration).toBe(first + 2);
    const times = a.switches.map((s) => s.at);
    expect((times[2] as number) - (times[1] as number)).toBeLessThanOrEqual(REKEY_INTERVAL_MS + 2 * TICK_MS);
    expect(await allKeyed(ps)).toBe(true);
    // B keeps at most A's two newest generations, and dropped the first one once A moved on.
    expect(b.call.senderKey(a.call.pid, genBits(first))).toBeUndefined();
    expect(b.retired.some((r) => r.pid === a.call.pid && genBits(r.gen) === genBits(first))).toBe(true);
    healthy(a, b);
  });
});

describe('a call of 3', () => {
  it('a newcomer never gets a generation made before it was seen', async () => {
    const { net, ps } = await network(['A', 'B']);
    await net.run(5_000);
    const before = new Map(ps.map((p) => [p.call.pid, p.call.sendingGeneration]));
    const c = await net.join('C', start);
    await net.run(5_000);
    const all = [...ps, c];
    expect(await allKeyed(all)).toBe(true);
    // Every wrap that ever named C carries a generation newer than its sender's when C came.
    let wrapsToC = 0;
    for (const d of net.delivered.filter((m) => m.to === c)) {
      const state = await net.read(d.sealed);
      if (!state?.wraps.some((w) => w.pid === c.call.pid)) continue;
      wrapsToC++;
      expect(state.gen).toBeGreaterThan(before.get(state.pid) as number);
    }
    expect(wrapsToC).toBe(2);
    for (const p of ps) {
      expect(c.call.senderKey(p.call.pid, genBits(before.get(p.call.pid) as number))).toBeUndefined();
    }
    const words = all.map((p) => p.call.status().words?.join(' '));
    expect(new Set(words).size).toBe(1);
    expect(words[0]).toBeDefined();
    healthy(...all);
  });

  it('after a leave, the new generation is wrapped to the others only, and the leaver cannot unwrap it', async () => {
    const { net, ps } = await network(['A', 'B', 'C']);
    const [a, b, c] = ps as [Participant, Participant, Participant];
    await net.run(5_000);
    expect(await allKeyed(ps)).toBe(true);
    const wordsBefore = a.call.status().words;
    const gen = a.call.sendingGeneration;
    c.online = false;
    const leftAt = net.now;
    await net.run(LEAVE_AFTER_MS + 3_000);
    expect(a.call.status().members).toHaveLength(1);
    expect(a.call.sendingGeneration).toBe(gen + 1);
    expect(await allKeyed([a, b])).toBe(true);
    expect(a.call.status().words).not.toEqual(wordsBefore);
    expect(a.retired.some((r) => r.pid === c.call.pid)).toBe(true);

    const rekey = [];
    for (const m of a.sentLog.filter((s) => s.at > leftAt)) {
      const state = await net.read(m.sealed);
      if (state?.wraps.length) rekey.push({ state, sealed: m.sealed });
    }
    expect(rekey).toHaveLength(1);
    const { state, sealed } = rekey[0] as { state: State; sealed: Uint8Array };
    expect(state.wraps.map((w) => w.pid)).toEqual([b.call.pid]);
    // The leaver hears it after all: there is nothing in it for it.
    await c.call.receive(sealed);
    expect(c.call.senderKey(a.call.pid, genBits(gen + 1))).toBeUndefined();
    // Nor can it use B's wrap, even relabelled as its own (the KEK is B's): refused.
    const relabelled = { ...state, wraps: [{ pid: c.call.pid, wrapped: state.wraps[0]?.wrapped as Uint8Array }] };
    await c.call.receive(await sealState(net, relabelled));
    expect(c.call.senderKey(a.call.pid, genBits(gen + 1))).toBeUndefined();
    expect(c.call.counts).toEqual({ refused: 1, failed: 0 });
    healthy(a, b);
  });

  it('a lost re-key is recovered: the receiver’s want makes the sender re-send its wraps', async () => {
    const { net, ps } = await network(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    await net.run(5_000);
    // The next STATE with wraps from A to B is lost.
    let dropped = 0;
    net.filter = async (from, to, sealed) => {
      if (from === a && to === b && dropped === 0 && (await net.read(sealed))?.wraps.length) {
        dropped++;
        return undefined;
      }
      return sealed;
    };
    const joinedAt = net.now;
    const c = await net.join('C', start); // A re-keys for C
    let keyedAt: number | undefined;
    let switchedAt: number | undefined;
    await net.run(10_000, () => {
      // B's worker: frames of A's current generation, and no key for them.
      const bits = genBits(a.call.sendingGeneration);
      if (a.switches.length > 1) switchedAt ??= net.now;
      if (b.call.senderKey(a.call.pid, bits) === undefined) b.call.want(a.call.pid, bits);
      else if (switchedAt !== undefined) keyedAt ??= net.now;
    });
    expect(dropped).toBe(1);
    expect(await allKeyed([a, b, c])).toBe(true);
    // Recovered within the want delay, a hello's round trip and a re-send.
    expect((keyedAt as number) - (switchedAt as number)).toBeLessThanOrEqual(WANT_AFTER_MS + 3 * TICK_MS);
    // One re-send from A: a STATE with A's current generation wrapped to B alone.
    const resends = [];
    for (const m of a.sentLog.filter((s) => s.at > joinedAt)) {
      const state = await net.read(m.sealed);
      if (state?.wraps.length === 1 && state.wraps[0]?.pid === b.call.pid) resends.push(state);
    }
    expect(resends.map((s) => s.gen)).toEqual([a.call.sendingGeneration]);
    healthy(a, b, c);
  });
});

describe('wants that cannot be met', () => {
  it('late frames of a generation we never got ask for nothing, and cause no re-send', async () => {
    const { net, ps } = await network(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    await net.run(5_000);
    expect(await allKeyed([a, b])).toBe(true);
    const since = net.now;
    // B's worker still sees frames of A's generation 0 (never wrapped to anybody), as late frames do.
    await net.run(3_000, () => b.call.want(a.call.pid, 0));
    const resends = [];
    for (const m of a.sentLog.filter((x) => x.at > since)) {
      const state = await net.read(m.sealed);
      if (state !== undefined && state.wraps.length > 0) resends.push(state);
    }
    expect(resends).toEqual([]);
  });
});

describe('a call of 10', () => {
  it('starting together: one round of re-keys, then everyone has everyone’s keys', async () => {
    const { net, ps } = await network(Array.from({ length: 10 }, (_, i) => `P${i}`));
    await net.run(5_000);
    expect(await allKeyed(ps)).toBe(true);
    for (const p of ps) expect(p.call.sendingGeneration).toBe(1);
    healthy(...ps);
  });

  it('joining one after another: everyone ends with everyone’s current keys and the same words', async () => {
    const net = await Network.create();
    const ps: Participant[] = [];
    for (let i = 0; i < 10; i++) {
      ps.push(await net.join(`P${i}`, start));
      await net.run(300 + 250 * (i % 3));
    }
    await net.run(6_000);
    expect(await allKeyed(ps)).toBe(true);
    for (const p of ps) expect(p.call.status().members).toHaveLength(9);
    expect(new Set(ps.map((p) => p.call.status().words?.join(' '))).size).toBe(1);
    // Hellos keep going, and nobody is dropped while everyone is there.
    await net.run(3 * HELLO_INTERVAL_MS);
    expect(await allKeyed(ps)).toBe(true);
    healthy(...ps);
  });
});

describe('a lossy call with churn', () => {
  /** Each receiver's worker: it sees every sender's current generation, and asks for what it lacks. */
  const workers = (ps: readonly Participant[]) => () => {
    for (const p of ps) {
      for (const q of ps) {
        if (p === q || !p.online || !q.online) continue;
        const bits = genBits(q.call.sendingGeneration);
        if (p.call.senderKey(q.call.pid, bits) === undefined) p.call.want(q.call.pid, bits);
      }
    }
  };

  it.each([1, 2, 3])(
    '30%% of messages lost, participants dropping out and back (seed %i): all keyed once it calms',
    async (seed) => {
      let state = seed;
      const random = () => {
        state = (state * 1_103_515_245 + 12_345) & 0x7fffffff;
        return state / 0x7fffffff;
      };
      const { net, ps } = await network(['A', 'B', 'C', 'D', 'E', 'F']);
      net.filter = (_from, _to, sealed) => (random() < 0.3 ? undefined : sealed);
      const want = workers(ps);
      await net.run(20_000, () => {
        if (random() < 0.01) {
          const p = ps[Math.floor(random() * ps.length)] as Participant;
          p.online = !p.online;
        }
        want();
      });
      for (const p of ps) p.online = true;
      net.filter = undefined;
      await net.run(15_000, want);
      expect(await allKeyed(ps)).toBe(true);
      expect(new Set(ps.map((p) => p.call.status().words?.join(' '))).size).toBe(1);
      healthy(...ps);
    },
  );
});

describe('verification', () => {
  it('a man in the middle who knows the passphrase relays keys both ways, and the words differ', async () => {
    const { net, ps } = await network(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    // M shows B his key toward A's pid, and A his key toward B's pid, and re-wraps every sender key in between.
    const toward = new Map([
      [a, await generateIdentity()], // what B sees as A
      [b, await generateIdentity()], // what A sees as B
    ]);
    const realKey = new Map<Participant, Uint8Array>();
    net.filter = async (from, to, sealed) => {
      const state = await net.read(sealed);
      if (state === undefined) return undefined;
      realKey.set(from, state.publicKey);
      const asFrom = toward.get(from)!; // M's face toward `to`, as `from`
      const asTo = toward.get(to)!; // M's face toward `from`, as `to`
      const wraps = [];
      for (const w of state.wraps) {
        // from wrapped to M's `asTo` key (it thinks that is `to`'s): M unwraps, and wraps again to the real `to`.
        const inKek = await kekBytes(asTo.privateKey, asTo.publicKey, state.publicKey, 'receive');
        const outKek = await kekBytes(asFrom.privateKey, asFrom.publicKey, realKey.get(to)!, 'send');
        const kIn = await crypto.subtle.importKey('raw', asBufferSource(inKek), 'AES-KW', false, ['unwrapKey']);
        const kOut = await crypto.subtle.importKey('raw', asBufferSource(outKek), 'AES-KW', false, ['wrapKey']);
        const sender = await crypto.subtle.unwrapKey('raw', asBufferSource(w.wrapped), kIn, 'AES-KW', 'AES-GCM', true, [
          'encrypt',
        ]);
        wraps.push({ pid: w.pid, wrapped: new Uint8Array(await crypto.subtle.wrapKey('raw', sender, kOut, 'AES-KW')) });
      }
      return sealState(net, { ...state, publicKey: asFrom.publicKey, wraps });
    };
    // Each learns the other's real key from its first hello (M keeps it to wrap to), then M rewrites everything.
    await net.run(6_000);
    expect(await allKeyed(ps)).toBe(true); // M relays media keys: nothing looks wrong...
    const wa = a.call.status().words;
    const wb = b.call.status().words;
    expect(wa).toHaveLength(5);
    expect(wa).not.toEqual(wb); // ...but the words differ.
    expect(a.call.status().members[0]?.fingerprint).not.toBe(b.call.status().you);
    healthy(a, b);
  });
});

describe('untrusted input', () => {
  it('refuses malformed, oversized, forged, low-order and other-epoch messages, without throwing', async () => {
    const { net, ps } = await network(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    await net.run(5_000);
    const stranger = await generateIdentity();
    const hello = (extra: Partial<State> = {}): State => ({
      pid: 0x777n,
      publicKey: stranger.publicKey,
      gen: 0,
      want: [],
      wraps: [],
      ...extra,
    });
    const valid = await sealState(net, hello());
    const tampered = valid.slice();
    tampered[20] = (tampered[20] as number) ^ 1;
    const garbage = await net.control.get(net.epoch);
    const notAState = await sealWith(garbage as CryptoKey, net.epoch, new Uint8Array(12).fill(1), Uint8Array.of(9, 9));
    const bad = [
      new Uint8Array(0),
      crypto.getRandomValues(new Uint8Array(100)),
      new Uint8Array(20_000),
      tampered,
      notAState,
      await sealState(net, hello(), net.epoch - 2), // a recording from an earlier epoch
      await sealState(net, hello({ pid: 0x778n, publicKey: new Uint8Array(32) })), // low-order key
      await sealState(net, hello({ pid: b.call.pid })), // B's pid with another key
    ];
    for (const bytes of bad) await expect(a.call.receive(bytes)).resolves.toBeUndefined();
    expect(a.call.counts).toEqual({ refused: bad.length, failed: 0 });
    expect(a.call.status().members).toHaveLength(1);

    // The previous epoch's seal is still taken (a sender a moment behind), and a copy of a message changes nothing.
    await a.call.receive(await sealState(net, hello(), net.epoch - 1));
    await a.call.receive(valid);
    await a.call.receive(valid);
    expect(a.call.status().members).toHaveLength(2);
    expect(a.call.counts).toEqual({ refused: bad.length, failed: 0 });
    // Our own message coming back is not a member.
    await a.call.receive(a.sentLog.at(-1)?.sealed as Uint8Array);
    expect(a.call.status().members).toHaveLength(2);
    await net.run(1_000);
    expect(await canDecrypt(a, b)).toBe(true);
  });

  it('admits at most MAX_OTHERS members', async () => {
    const { net, ps } = await network(['A']);
    const [a] = ps as [Participant];
    await net.step();
    const strangers = await Promise.all(Array.from({ length: MAX_OTHERS + 5 }, () => generateIdentity()));
    for (const [i, s] of strangers.entries()) {
      await a.call.receive(
        await sealState(net, { pid: BigInt(1000 + i), publicKey: s.publicKey, gen: 0, want: [], wraps: [] }),
      );
    }
    expect(a.call.status().members).toHaveLength(MAX_OTHERS);
    expect(a.call.counts).toEqual({ refused: 5, failed: 0 });
    // Its re-key wraps to all of them, in one STATE within the worker's limit.
    await net.run(1_000);
    const rekey = a.sentLog.at(-1)?.sealed as Uint8Array;
    expect(rekey.length).toBeLessThanOrEqual(WORKER_MESSAGE_LIMIT);
    expect((await net.read(rekey))?.wraps.length ?? 0).toBeLessThanOrEqual(MAX_OTHERS);
  });

  it('bounds wants, and ignores wants for itself or outside 44 bits and 4 bits', async () => {
    const { net, ps } = await network(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    await net.run(5_000);
    a.call.want(a.call.pid, 1);
    a.call.want(1n << 44n, 1);
    a.call.want(b.call.pid, 16);
    a.call.want(b.call.pid, -1);
    for (let i = 0; i < 1_000; i++) a.call.want(BigInt(i + 5), i % 16);
    await net.run(2_000);
    const last = await net.read(a.sentLog.at(-1)?.sealed as Uint8Array);
    expect(last?.want).toEqual([]); // none of those is a member
    healthy(a, b);
  });
});

describe('a host that throws', () => {
  it('never makes receive or tick throw, and the call goes on', async () => {
    const { net, ps } = await network(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    let thrown = 0;
    const boom = () => {
      thrown++;
      throw new Error('host failure');
    };
    // C's bridge throws from every callback.
    const c = await net.join('C', (h) =>
      Call.start({ ...h, onChange: boom, onRetire: boom, onSwitch: boom, onChat: boom }),
    );
    await net.run(5_000);
    expect(await a.call.sendChat('to a bridge that throws', '')).toMatchObject({ result: 'sent' });
    await net.run(1_000);
    expect(b.chats).toHaveLength(1);
    expect(thrown).toBeGreaterThan(0);
    expect(c.call.counts.refused).toBe(0);
    expect(c.call.counts.failed).toBe(thrown);
    expect(c.call.sendingGeneration).toBeGreaterThan(0);
    expect(await allKeyed([a, b, c])).toBe(true);
  });

  it('a host whose send throws: sendChat answers busy, counts the failure, and the next one goes', async () => {
    const { net, ps } = await network(['A']);
    let failing = false;
    const b = await net.join('B', (h) =>
      Call.start({
        ...h,
        send: (sealed) => {
          if (failing) throw new Error('worker gone');
          return h.send(sealed);
        },
      }),
    );
    await net.run(5_000);
    failing = true;
    expect(await b.call.sendChat('lost', '')).toEqual({ result: 'busy' });
    expect(b.call.counts.failed).toBe(1);
    failing = false;
    expect(await b.call.sendChat('found', '')).toEqual({ result: 'sent', seq: 0 });
    await net.deliver();
    expect((ps[0] as Participant).chats.map((m) => m.text)).toEqual(['found']);
  });
});

describe('chat during a switch', () => {
  it('a message sent while a re-key waits for its switch goes under the new generation, and everyone reads it', async () => {
    const { net, ps } = await network(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    await net.run(5_000);
    net.reportSent = false; // switches wait for their timeout
    const c = await net.join('C', start);
    await net.run(1_000);
    const sending = a.call.sendingGeneration;
    expect(a.call.senderKey(a.call.pid, genBits(sending + 1))).toBeDefined(); // made, not switched to
    expect(await a.call.sendChat('during the switch', '')).toEqual({ result: 'sent', seq: 0 });
    await net.deliver();
    const sent = await net.readChat(a.sentLog.at(-1)?.sealed as Uint8Array);
    expect(sent?.gen).toBe((sending + 1) % 256);
    expect(sent?.macs.map((m) => m.pid).sort()).toEqual([b.call.pid, c.call.pid].sort());
    expect(a.call.sendingGeneration).toBe(sending);
    for (const p of [b, c]) expect(p.chats.map((m) => m.text)).toEqual(['during the switch']);
    healthy(a, b, c);
  });
});

describe('end', () => {
  it('erases every key and member, and sends nothing more', async () => {
    const { net, ps } = await network(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    await net.run(5_000);
    const bits = genBits(a.call.sendingGeneration);
    const bBits = genBits(b.call.sendingGeneration);
    expect(a.call.senderKey(b.call.pid, bBits)).toBeDefined();
    a.call.end();
    expect(a.call.senderKey(a.call.pid, bits)).toBeUndefined();
    expect(a.call.senderKey(b.call.pid, bBits)).toBeUndefined();
    expect(a.call.status().members).toEqual([]);
    expect(a.call.status().words).toBeUndefined();
    const sent = a.sentLog.length;
    await a.call.receive(b.sentLog.at(-1)?.sealed as Uint8Array);
    await net.run(5_000);
    expect(a.sentLog.length).toBe(sent);
    expect(a.call.status().members).toEqual([]);
  });

  it('calls no host method once ended, not even from a re-key under way', async () => {
    const net = await Network.create();
    const calls: string[] = [];
    let started = false;
    let rekeying = false;
    let ended = false;
    /** Records a host method called after the end. */
    const note = (name: string): undefined => {
      if (ended) calls.push(name);
      return undefined;
    };
    const b = await net.join('B', start);
    // A ends while the STATE of its first re-key (for B) is being sealed: a page leaving in the middle of a re-key.
    const a = await net.join('A', (host) =>
      Call.start(
        {
          ...host,
          send: (sealed) => {
            note('send');
            return host.send(sealed);
          },
          onNext: (gen) => note('onNext') ?? host.onNext(gen),
          onSwitch: (gen) => note('onSwitch') ?? host.onSwitch(gen),
          onRetire: (pid, gen) => note('onRetire') ?? host.onRetire(pid, gen),
          onMemberKey: (pid, gen) => note('onMemberKey') ?? host.onMemberKey(pid, gen),
          onChange: () => note('onChange') ?? host.onChange(),
          onChat: (message) => note('onChat') ?? host.onChat?.(message),
        },
        (n) => {
          if (started && n === SENDER_KEY_BYTES) rekeying = true; // a new generation's key is drawn
          if (rekeying && n === NONCE_BYTES && !ended) {
            ended = true; // the STATE that carries it is being sealed
            a.call.end();
          }
          return crypto.getRandomValues(new Uint8Array(n));
        },
      ),
    );
    started = true;
    await net.run(5_000);
    expect(ended).toBe(true);
    expect(calls).toEqual([]);
    expect(a.switches).toEqual([]);
    expect(b.call.counts.failed).toBe(0);
  });
});

describe('a clock off by more than the tolerance', () => {
  /** A host whose epoch is `epoch`, with keys for its window, that collects what it sends and its skew reports. */
  async function hostAt(epoch: number, keys: Map<number, CryptoKey>) {
    const sent: Uint8Array[] = [];
    const skews: number[] = [];
    let now = 0;
    const host: CallHost = {
      now: () => now,
      epochs: { epoch, keyOf: (e) => keys.get(e) },
      roomTag: () => new Uint8Array(16),
      send: (sealed) => sent.push(sealed),
      onSwitch: () => {},
      onNext: () => {},
      onMemberKey: () => {},
      onRetire: () => {},
      onChange: () => {},
      onClockSkew: (distance) => void skews.push(distance),
      onChat: () => {},
    };
    const advance = (ms: number): void => {
      now += ms;
    };
    return { host, sent, skews, advance };
  }

  it('reports the distance once messages sealed that far recur, never for one stray message', async () => {
    const keys = new Map<number, CryptoKey>();
    for (let e = 9; e <= 14; e++) keys.set(e, await hkdfKey(new Uint8Array(16).fill(e)));
    const ours = await hostAt(10, keys);
    const theirs = await hostAt(13, keys);
    const us = await Call.start(ours.host);
    const them = await Call.start(theirs.host);
    await them.tick(); // a hello, sealed in epoch 13
    theirs.advance(HELLO_INTERVAL_MS);
    await them.tick(); // the next one
    expect(theirs.sent.length).toBeGreaterThanOrEqual(2);
    await us.receive(theirs.sent[0] as Uint8Array);
    expect(ours.skews).toEqual([]); // one message proves nothing
    ours.advance(HELLO_INTERVAL_MS);
    await us.receive(theirs.sent[1] as Uint8Array);
    expect(ours.skews).toEqual([3]);
    expect(us.status().members).toEqual([]); // nothing of it was believed
  });
});
