/**
 * The call's chat (src/content/exchange/call-chat.ts, through `Call.sendChat` and `CallHost.onChat`) in simulated
 * calls (test/unit/exchange-sim.ts): messages go round between two and three participants, only their writer can
 * have written them, only the members that held the sender's key when it was sealed read them, a recording plus the
 * passphrase holds no text, messages ahead of their key wait for it, the repeat and flow control behave, and nothing
 * malformed is delivered or thrown.
 */
import { describe, expect, it, vi } from 'vitest';
import { Call } from '../../src/content/exchange/call';
import {
  type Chat,
  decodeChat,
  deriveChatKey,
  encodeChat,
  openChatBody,
  sealChatBody,
  signedBytes,
  writeChat,
} from '../../src/content/exchange/chat';
import {
  CHAT_PENDING_MS,
  CHAT_REPEAT_MS,
  CHAT_SENT_TIMEOUT_MS,
  CHAT_TYPE,
  LEAVE_AFTER_MS,
  MAX_CHAT_REPEATS_WAITING,
  MAX_CHATS_IN_FLIGHT,
  MAX_PENDING_CHATS,
  TICK_MS,
} from '../../src/content/exchange/constants';
import { genBits } from '../../src/content/exchange/generations';
import { deriveChatMacKey, type Identity } from '../../src/content/exchange/identity';
import { open } from '../../src/content/exchange/seal';
import { asBufferSource, concatBytes } from '../../src/shared/bytes';
import { allKeyed, Network, type Participant } from './exchange-sim';

const start = (host: Parameters<typeof Call.start>[0]) => Call.start(host);

/** A call of `names`, run until everyone holds everyone's keys. */
async function keyedCall(names: string[]): Promise<{ net: Network; ps: Participant[] }> {
  const net = await Network.create();
  const ps: Participant[] = [];
  for (const name of names) ps.push(await net.join(name, start));
  await net.run(5_000);
  expect(await allKeyed(ps)).toBe(true);
  return { net, ps };
}

/** Joins a participant whose X25519 key pair the test keeps (as a member who turns against the others would). */
async function joinKnown(net: Network, name: string): Promise<{ p: Participant; privateKey: CryptoKey }> {
  let privateKey: CryptoKey | undefined;
  const generateKey = crypto.subtle.generateKey.bind(crypto.subtle) as (...args: unknown[]) => Promise<unknown>;
  const spy = vi.spyOn(crypto.subtle, 'generateKey').mockImplementation((async (...args: unknown[]) => {
    const made = await generateKey(...args);
    if ((args[0] as Algorithm).name === 'X25519') privateKey = (made as CryptoKeyPair).privateKey;
    return made;
  }) as typeof crypto.subtle.generateKey);
  try {
    const p = await net.join(name, start);
    return { p, privateKey: privateKey as CryptoKey };
  } finally {
    spy.mockRestore();
  }
}

/** A participant's public key, from its last STATE. */
async function publicKeyOf(net: Network, p: Participant): Promise<Uint8Array> {
  for (const m of [...p.sentLog].reverse()) {
    const state = await net.read(m.sealed);
    if (state !== undefined) return state.publicKey;
  }
  throw new Error(`${p.name} sent no STATE`);
}

/** Sends a chat and lets the messages go round (everyone hears it, the sender hears `sent`). */
async function say(net: Network, p: Participant, text: string, name = p.name) {
  const outcome = await p.call.sendChat(text, name);
  await net.deliver();
  return outcome;
}

function healthy(...ps: Participant[]): void {
  for (const p of ps) expect(p.call.counts, p.name).toEqual({ refused: 0, failed: 0 });
}

const texts = (p: Participant) => p.chats.map((c) => c.text);

describe('a call’s chat', () => {
  it('between two: each reads the other’s messages, with the sender’s verified fingerprint, seq and time', async () => {
    const { net, ps } = await keyedCall(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    const sentAt = net.now;
    expect(await say(net, a, 'hello B', 'Ana')).toEqual({ result: 'sent', seq: 0 });
    expect(b.chats).toEqual([
      {
        pid: a.call.pid,
        fingerprint: a.call.status().you,
        seq: 0,
        name: 'Ana',
        text: 'hello B',
        sentAt,
        at: net.now,
      },
    ]);
    expect(await say(net, b, 'hi A 👋', '')).toEqual({ result: 'sent', seq: 0 });
    expect(await say(net, a, 'second')).toEqual({ result: 'sent', seq: 1 });
    expect(a.chats.map((c) => [c.fingerprint, c.name, c.text])).toEqual([[b.call.status().you, '', 'hi A 👋']]);
    expect(b.chats.map((c) => [c.seq, c.text])).toEqual([
      [0, 'hello B'],
      [1, 'second'],
    ]);
    // The repeats come and go without a second delivery.
    await net.run(3_000);
    expect(b.chats).toHaveLength(2);
    expect(a.chats).toHaveLength(1);
    healthy(a, b);
  });

  it('between three: everyone reads everyone, once, at the largest size', async () => {
    const { net, ps } = await keyedCall(['A', 'B', 'C']);
    const longest = `${'€'.repeat(1365)}a`; // 4,096 bytes
    for (const p of ps)
      expect((await say(net, p, `${p.name}: ${longest}`.slice(0, 1366), 'é'.repeat(32))).result).toBe('sent');
    await net.run(3_000);
    for (const p of ps) {
      expect(texts(p).sort()).toEqual(
        ps
          .filter((q) => q !== p)
          .map((q) => `${q.name}: ${longest}`.slice(0, 1366))
          .sort(),
      );
      expect(p.chats.map((c) => c.fingerprint).sort()).toEqual(
        ps
          .filter((q) => q !== p)
          .map((q) => q.call.status().you)
          .sort(),
      );
    }
    expect((await say(net, ps[0] as Participant, longest)).result).toBe('sent');
    expect(texts(ps[1] as Participant)).toContain(longest);
    healthy(...ps);
  });

  it('seals under the newest generation, with a MAC to each of its recipients', async () => {
    const { net, ps } = await keyedCall(['A', 'B', 'C']);
    const [a, b, c] = ps as [Participant, Participant, Participant];
    await say(net, a, 'to both');
    const [sent] = await net.chatsSent(a);
    expect(sent?.chat.gen).toBe(a.call.sendingGeneration % 256);
    expect(sent?.chat.macs.map((m) => m.pid).sort()).toEqual([b.call.pid, c.call.pid].sort());
  });

  it('ignores its own messages echoed back', async () => {
    const { net, ps } = await keyedCall(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    await say(net, a, 'echo');
    const [sent] = await net.chatsSent(a);
    await a.call.receive(sent?.sealed as Uint8Array);
    expect(a.chats).toEqual([]);
    healthy(a, b);
  });
});

describe('who wrote it', () => {
  it('a member cannot change another’s message: re-sealed under the sender’s chat key, the MACs no longer hold', async () => {
    const { net, ps } = await keyedCall(['A', 'B', 'C']);
    const [a, b, c] = ps as [Participant, Participant, Participant];
    // B keeps C's copy from it, then rewrites it.
    net.filter = async (from, to, sealed) =>
      from === a && to === c && (await net.readChat(sealed)) ? undefined : sealed;
    await say(net, a, 'meet at 5', 'Ana');
    net.filter = undefined;
    const [sent] = await net.chatsSent(a);
    const original = sent?.chat as Chat;
    expect(texts(b)).toEqual(['meet at 5']);
    // B holds A's sender key of that generation (everyone A wrapped it to does): it makes A's chat key, and a body
    // that opens under it.
    const aKey = b.call.senderKey(a.call.pid, genBits(a.call.sendingGeneration)) as CryptoKey;
    const nonce = crypto.getRandomValues(new Uint8Array(12));
    const forgedBody = await sealChatBody(await deriveChatKey(aKey), original, nonce, {
      sentAt: net.now,
      name: 'Ana',
      text: 'meet at 6',
    });
    const forged = { ...original, nonce, sealedBody: forgedBody };
    const cKey = c.call.senderKey(a.call.pid, genBits(a.call.sendingGeneration)) as CryptoKey;
    expect((await openChatBody(cKey, forged))?.text).toBe('meet at 6'); // the body alone would fool C...
    await c.call.receive(await net.seal(encodeChat(forged)));
    expect(c.chats).toEqual([]); // ...but A's MAC to C is over the bytes A wrote
    expect(c.call.counts.refused).toBe(1);
  });

  it('a member cannot write a message as another: its own MACs are not the sender’s', async () => {
    const net = await Network.create();
    const a = await net.join('A', start);
    const { p: b, privateKey } = await joinKnown(net, 'B');
    const c = await net.join('C', start);
    await net.run(5_000);
    expect(await allKeyed([a, b, c])).toBe(true);
    const bIdentity: Identity = { privateKey, publicKey: await publicKeyOf(net, b) };
    const aPublic = await publicKeyOf(net, a);
    const cPublic = await publicKeyOf(net, c);
    const gen = a.call.sendingGeneration;
    const aKey = b.call.senderKey(a.call.pid, genBits(gen)) as CryptoKey;
    const bKey = b.call.senderKey(b.call.pid, genBits(b.call.sendingGeneration)) as CryptoKey;
    const write = (pid: bigint, g: number, senderKey: CryptoKey, macKey: CryptoKey) =>
      writeChat({
        pid,
        gen: g,
        seq: 9,
        body: { sentAt: net.now, name: 'Ana', text: 'send me the passphrase' },
        senderKey,
        nonce: crypto.getRandomValues(new Uint8Array(12)),
        recipients: [{ pid: c.call.pid, macKey }],
      });
    // B's real mac key to C, and one over B's secret with C but labelled as if A had made it.
    const bToC = (await deriveChatMacKey(bIdentity, cPublic, 'send')) as CryptoKey;
    const shared = await crypto.subtle.deriveBits(
      {
        name: 'X25519',
        public: await crypto.subtle.importKey('raw', asBufferSource(cPublic), { name: 'X25519' }, true, []),
      },
      privateKey,
      256,
    );
    const asIfA = await crypto.subtle.deriveKey(
      {
        name: 'HKDF',
        hash: 'SHA-256',
        salt: new Uint8Array(0),
        info: asBufferSource(concatBytes(new TextEncoder().encode('Framelock v4 chat mac'), aPublic, cPublic)),
      },
      await crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']),
      { name: 'HMAC', hash: 'SHA-256', length: 256 },
      false,
      ['sign'],
    );
    for (const macKey of [bToC, asIfA]) {
      await c.call.receive(await net.seal(await write(a.call.pid, gen, aKey, macKey)));
    }
    expect(c.chats).toEqual([]);
    expect(c.call.counts.refused).toBe(2);
    // The control: the same construction under B's own pid and key is B's message, and C takes it as B's.
    await c.call.receive(await net.seal(await write(b.call.pid, b.call.sendingGeneration, bKey, bToC)));
    expect(c.chats.map((m) => [m.fingerprint, m.text])).toEqual([[b.call.status().you, 'send me the passphrase']]);
  });
});

describe('who reads it', () => {
  it('a recording plus the passphrase opens the outer seal and finds no text, no name', async () => {
    const { net, ps } = await keyedCall(['A', 'B']);
    const [a] = ps as [Participant];
    const text = 'the launch code is 0000';
    const name = 'Commander Ana';
    await say(net, a, text, name);
    const [sent] = await net.chatsSent(a);
    // Everything the passphrase gives: the epoch keys, hence the control key and the CHAT's plaintext.
    const opened = await open(sent?.sealed as Uint8Array, net.epoch, net.control);
    const plaintext = Buffer.from(opened?.plaintext as Uint8Array);
    expect(plaintext[0]).toBe(CHAT_TYPE);
    for (const secret of [text, name, 'launch', 'Ana']) expect(plaintext.includes(Buffer.from(secret))).toBe(false);
  });

  it('a newcomer admitted after the message was sealed cannot read it, nor a member it was not for', async () => {
    const { net, ps } = await keyedCall(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    const before = a.call.sendingGeneration;
    await say(net, a, 'before C came');
    const [sent] = await net.chatsSent(a);
    const c = await net.join('C', start);
    await net.run(5_000);
    expect(await allKeyed([a, b, c])).toBe(true);
    expect(a.call.sendingGeneration).toBeGreaterThan(before);
    await c.call.receive(sent?.sealed as Uint8Array);
    expect(c.chats).toEqual([]);
    expect(c.call.counts.refused).toBe(1); // not among its MACs
    expect(c.call.senderKey(a.call.pid, genBits(before))).toBeUndefined();
    // Messages after it came reach it.
    await say(net, a, 'after C came');
    expect(texts(c)).toEqual(['after C came']);
    expect(texts(b)).toEqual(['before C came', 'after C came']);
  });

  it('answers no_one while nobody holds our newest key: alone, or before the first re-key', async () => {
    const net = await Network.create();
    const a = await net.join('A', start);
    await net.run(1_000);
    expect(await a.call.sendChat('anyone?', '')).toEqual({ result: 'no_one' });
    const b = await net.join('B', start);
    await net.step(); // B's hello reaches A; A's re-key for B is not due yet
    expect(a.call.status().members).toHaveLength(1);
    expect(await a.call.sendChat('anyone?', '')).toEqual({ result: 'no_one' });
    await net.run(1_000);
    expect((await say(net, a, 'now?')).result).toBe('sent');
    expect(texts(b)).toEqual(['now?']);
  });
});

describe('a message ahead of its key', () => {
  /** A, B and C keyed; C joins, and A's re-key for it reaches everyone but B (held back). */
  async function rekeyMissedByB() {
    const { net, ps } = await keyedCall(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    const held: Uint8Array[] = [];
    net.filter = async (from, to, sealed) => {
      if (from === a && to === b && (await net.read(sealed))?.wraps.some((w) => w.pid === b.call.pid)) {
        held.push(sealed);
        return undefined;
      }
      return sealed;
    };
    const c = await net.join('C', start);
    await net.run(1_000);
    expect(held).toHaveLength(1);
    net.filter = undefined;
    return { net, a, b, c, held: held[0] as Uint8Array };
  }

  it('waits for it, and is delivered when the key comes', async () => {
    const { net, a, b, c, held } = await rekeyMissedByB();
    await say(net, a, 'ahead');
    expect(texts(c)).toEqual(['ahead']);
    expect(b.chats).toEqual([]);
    await net.run(1_000);
    expect(b.chats).toEqual([]);
    await b.call.receive(held);
    expect(texts(b)).toEqual(['ahead']);
    healthy(a, b, c);
  });

  it('is delivered once the lost key comes back through want, well within CHAT_PENDING_MS', async () => {
    const { net, a, b, c } = await rekeyMissedByB();
    await say(net, a, 'ahead');
    const sentAt = net.now;
    // B's worker sees A's frames of a generation it has no key for, and says so.
    await net.run(CHAT_PENDING_MS - TICK_MS, () => {
      const bits = genBits(a.call.sendingGeneration);
      if (b.call.senderKey(a.call.pid, bits) === undefined) b.call.want(a.call.pid, bits);
    });
    expect(texts(b)).toEqual(['ahead']);
    expect((b.chats[0]?.at as number) - sentAt).toBeLessThan(1_000);
    healthy(a, b, c);
  });

  it('is dropped (counted) after CHAT_PENDING_MS without it', async () => {
    const { net, a, b, held } = await rekeyMissedByB();
    await say(net, a, 'ahead');
    await net.run(CHAT_PENDING_MS - 2 * TICK_MS);
    expect(b.call.counts.refused).toBe(0);
    await net.run(3 * TICK_MS);
    expect(b.call.counts.refused).toBe(1);
    await b.call.receive(held);
    expect(b.chats).toEqual([]);
  });

  it(`waits ${MAX_PENDING_CHATS} at most: the next is refused`, async () => {
    const { net, a, b, held } = await rekeyMissedByB();
    for (let i = 0; i <= MAX_PENDING_CHATS; i++) expect((await say(net, a, `m${i}`)).result).toBe('sent');
    expect(b.call.counts.refused).toBe(1);
    await b.call.receive(held);
    expect(texts(b)).toEqual(Array.from({ length: MAX_PENDING_CHATS }, (_, i) => `m${i}`));
  });

  it('of a generation already retired is refused at once', async () => {
    const { net, ps } = await keyedCall(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    // Neither the message nor its repeat reaches B now.
    net.filter = async (_from, _to, sealed) => ((await net.readChat(sealed)) ? undefined : sealed);
    await say(net, a, 'late');
    const [sent] = await net.chatsSent(a);
    // Two re-keys later, A's generation of that message is gone from B.
    await net.join('C', start);
    await net.run(5_000);
    await net.join('D', start);
    await net.run(5_000);
    expect(b.call.senderKey(a.call.pid, genBits(sent?.chat.gen as number))).toBeUndefined();
    await b.call.receive(sent?.sealed as Uint8Array);
    expect(b.chats).toEqual([]);
    expect(b.call.counts.refused).toBe(1);
  });

  it('from a member that leaves is dropped with it (counted)', async () => {
    const { net, a, b, c } = await rekeyMissedByB();
    await say(net, a, 'ahead');
    a.online = false;
    await net.run(LEAVE_AFTER_MS + 500);
    expect(b.call.status().members).toHaveLength(1);
    expect(b.call.counts.refused).toBe(1);
    expect(texts(c)).toEqual(['ahead']);
  });
});

describe('the repeat', () => {
  it('goes once, byte-identical, CHAT_REPEAT_MS after the worker carried the first copy', async () => {
    const { net, ps } = await keyedCall(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    await say(net, a, 'twice on the wire, once on screen');
    const carriedAt = net.now; // `sent` came as the message went round
    await net.run(2 * CHAT_REPEAT_MS);
    const copies = await net.chatsSent(a);
    expect(copies).toHaveLength(2);
    const [first, repeat] = copies as [(typeof copies)[0], (typeof copies)[0]];
    expect(Buffer.from(repeat.sealed).equals(Buffer.from(first.sealed))).toBe(true);
    expect(repeat.at - carriedAt).toBeGreaterThanOrEqual(CHAT_REPEAT_MS);
    expect(repeat.at - carriedAt).toBeLessThan(CHAT_REPEAT_MS + TICK_MS);
    expect(texts(b)).toEqual(['twice on the wire, once on screen']);
    healthy(a, b);
  });

  it('brings the message to a receiver that lost the first copy', async () => {
    const { net, ps } = await keyedCall(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    let lost = 0;
    net.filter = async (_from, _to, sealed) => ((await net.readChat(sealed)) && lost++ === 0 ? undefined : sealed);
    await say(net, a, 'lost once');
    expect(b.chats).toEqual([]);
    await net.run(CHAT_REPEAT_MS + TICK_MS);
    expect(texts(b)).toEqual(['lost once']);
  });

  it('waits for the worker: nothing is repeated that the worker never reported carried', async () => {
    const { net, ps } = await keyedCall(['A', 'B']);
    const [a] = ps as [Participant];
    net.reportSent = false;
    await say(net, a, 'unconfirmed');
    await net.run(CHAT_SENT_TIMEOUT_MS + CHAT_REPEAT_MS);
    expect(await net.chatsSent(a)).toHaveLength(1);
  });
});

describe('flow control', () => {
  it(`${MAX_CHATS_IN_FLIGHT} first copies on their way at most: the next answers busy until one is carried`, async () => {
    const { net, ps } = await keyedCall(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    net.reportSent = false;
    for (let i = 0; i < MAX_CHATS_IN_FLIGHT; i++)
      expect(await say(net, a, `m${i}`)).toEqual({ result: 'sent', seq: i });
    expect(await say(net, a, 'one more')).toEqual({ result: 'busy' });
    const [first] = await net.chatsSent(a);
    a.call.sent(first?.id as number);
    expect(await say(net, a, 'one more')).toEqual({ result: 'sent', seq: MAX_CHATS_IN_FLIGHT });
    expect(await say(net, a, 'and another')).toEqual({ result: 'busy' });
    // The worker never reports the others (it dropped them, or restarted): they stop holding their places.
    await net.run(CHAT_SENT_TIMEOUT_MS);
    expect((await say(net, a, 'and another')).result).toBe('sent');
    expect(texts(b)).toEqual(['m0', 'm1', 'm2', 'm3', 'one more', 'and another']);
  });

  it('answers busy for sends beyond the limit made at once, before any of them ran', async () => {
    const { ps } = await keyedCall(['A', 'B']);
    const [a] = ps as [Participant];
    const outcomes = await Promise.all(Array.from({ length: 7 }, (_, i) => a.call.sendChat(`m${i}`, '')));
    expect(outcomes.map((o) => o.result)).toEqual(['sent', 'sent', 'sent', 'sent', 'busy', 'busy', 'busy']);
    expect(outcomes.map((o) => o.seq)).toEqual([0, 1, 2, 3, undefined, undefined, undefined]);
  });

  it(`holds ${MAX_CHAT_REPEATS_WAITING} repeats at most: past them, busy`, async () => {
    const { net, ps } = await keyedCall(['A', 'B']);
    const [a] = ps as [Participant];
    const results = [];
    for (let i = 0; i < MAX_CHATS_IN_FLIGHT + MAX_CHAT_REPEATS_WAITING + 1; i++)
      results.push((await say(net, a, `m${i}`)).result);
    expect(results.filter((r) => r === 'sent')).toHaveLength(MAX_CHATS_IN_FLIGHT + MAX_CHAT_REPEATS_WAITING);
    expect(results.at(-1)).toBe('busy');
    await net.run(CHAT_REPEAT_MS + TICK_MS);
    expect((await say(net, a, 'again')).result).toBe('sent');
  });
});

describe('what is refused before anything is sealed', () => {
  it('too_long past 4,096 UTF-8 bytes of text or 64 of name, empty for no text, ended after the end', async () => {
    const { net, ps } = await keyedCall(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    const sent = a.sentLog.length;
    expect(await a.call.sendChat(`${'€'.repeat(1365)}ab`, '')).toEqual({ result: 'too_long' }); // 4,097 bytes
    expect(await a.call.sendChat(`${'😀'.repeat(1024)}a`, '')).toEqual({ result: 'too_long' });
    expect(await a.call.sendChat('hi', `${'é'.repeat(32)}a`)).toEqual({ result: 'too_long' }); // a 65-byte name
    expect(await a.call.sendChat('', 'Ana')).toEqual({ result: 'empty' });
    expect(a.sentLog.length).toBe(sent);
    expect(await say(net, a, '😀'.repeat(1024), 'é'.repeat(32))).toEqual({ result: 'sent', seq: 0 });
    expect(texts(b)).toEqual(['😀'.repeat(1024)]);
    a.call.end();
    expect(await a.call.sendChat('hi', '')).toEqual({ result: 'ended' });
  });

  it('a send queued behind a job answers ended when the call ends first', async () => {
    const { ps } = await keyedCall(['A', 'B']);
    const [a] = ps as [Participant];
    const tick = a.call.tick();
    const send = a.call.sendChat('hi', '');
    a.call.end();
    await tick;
    expect(await send).toEqual({ result: 'ended' });
  });
});

describe('the end', () => {
  it('drops every chat message on its way or waiting: no repeat, no late delivery', async () => {
    const { net, a, b, held } = await (async () => {
      const { net, ps } = await keyedCall(['A', 'B']);
      const [a, b] = ps as [Participant, Participant];
      const held: Uint8Array[] = [];
      net.filter = async (from, to, sealed) => {
        if (from === a && to === b && (await net.read(sealed))?.wraps.length) {
          held.push(sealed);
          return undefined;
        }
        return sealed;
      };
      await net.join('C', start);
      await net.run(1_000);
      net.filter = undefined;
      return { net, a, b, held: held[0] as Uint8Array };
    })();
    await say(net, a, 'before the end');
    a.call.end();
    b.call.end();
    await net.run(CHAT_REPEAT_MS * 2);
    expect(await net.chatsSent(a)).toHaveLength(1); // no repeat
    await b.call.receive(held);
    expect(b.chats).toEqual([]);
  });
});

describe('untrusted chat messages', () => {
  it('thousands of mutations of a valid CHAT: never a throw, never altered text delivered', async () => {
    const { net, ps } = await keyedCall(['A', 'B', 'C']);
    const [a, b] = ps as [Participant, Participant];
    const text = 'the original text';
    net.filter = async (_from, _to, sealed) => ((await net.readChat(sealed)) ? undefined : sealed);
    await say(net, a, text, 'Ana');
    net.filter = undefined;
    const [sent] = await net.chatsSent(a);
    const valid = encodeChat(sent?.chat as Chat);
    expect(decodeChat(valid)).toEqual(sent?.chat);
    let seed = 0x5eed;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
      return seed % n;
    };
    const mutate = (bytes: Uint8Array): Uint8Array => {
      const out = Array.from(bytes);
      const edits = 1 + random(3);
      for (let e = 0; e < edits; e++) {
        const i = random(out.length + 1);
        switch (random(6)) {
          case 0:
            out[i % out.length] = (out[i % out.length] as number) ^ (1 << random(8));
            break;
          case 1:
            out[i % out.length] = random(256);
            break;
          case 2:
            out.splice(i, 1 + random(30));
            break;
          case 3:
            out.splice(i, 0, ...Array.from({ length: 1 + random(30) }, () => random(256)));
            break;
          case 4:
            out.length = random(out.length + 1);
            break;
          default: {
            // A region copied from elsewhere in the message (a length, a MAC, a piece of the body).
            const from = random(out.length);
            out.splice(i, 0, ...out.slice(from, from + 1 + random(24)));
          }
        }
      }
      return Uint8Array.from(out);
    };
    for (let i = 0; i < 3_000; i++) {
      const mutated = mutate(valid);
      await expect(b.call.receive(await net.seal(mutated))).resolves.toBeUndefined();
    }
    // Only a mutation that changes nothing B's MAC covers or B's own entry could come through, and then unaltered.
    for (const got of b.chats) expect(got).toMatchObject({ pid: a.call.pid, seq: 0, name: 'Ana', text });
    expect(b.call.counts.failed).toBe(0);
    expect(b.call.counts.refused).toBeGreaterThan(2_500);
    // And the call goes on.
    await say(net, a, 'still here');
    expect(texts(b)).toContain('still here');
  });

  it('a CHAT from a stranger, a pid with another member’s MAC, or of an unknown type is refused', async () => {
    const { net, ps } = await keyedCall(['A', 'B']);
    const [a, b] = ps as [Participant, Participant];
    net.filter = async (_from, _to, sealed) => ((await net.readChat(sealed)) ? undefined : sealed);
    await say(net, a, 'hi');
    net.filter = undefined;
    const [sent] = await net.chatsSent(a);
    const chat = sent?.chat as Chat;
    const bad = [
      encodeChat({ ...chat, pid: 0x777n }), // no member
      encodeChat({ ...chat, macs: [] }), // not for B
      Uint8Array.from([0x03, ...encodeChat(chat).subarray(1)]), // a type nobody knows
      signedBytes(chat), // no mac count
    ];
    for (const bytes of bad) await b.call.receive(await net.seal(bytes));
    expect(b.chats).toEqual([]);
    expect(b.call.counts).toEqual({ refused: bad.length, failed: 0 });
    await b.call.receive(await net.seal(encodeChat(chat)));
    expect(texts(b)).toEqual(['hi']);
  });
});
