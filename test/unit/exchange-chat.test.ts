/**
 * The CHAT message (src/content/exchange/chat.ts): its layout and body both ways, the limits in UTF-8 bytes, the
 * chat key and the pairwise MACs, and decoding that never throws on anything. Frozen bytes:
 * exchange-known-answers.test.ts; a call's chat end to end: exchange-call-chat.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Chat,
  type ChatBody,
  checkChatInput,
  decodeChat,
  decodeChatBody,
  encodeChat,
  encodeChatBody,
  openChatBody,
  readChat,
  signedBytes,
  verifyChatMac,
  writeChat,
} from '../../src/content/exchange/chat';
import {
  CHAT_MAC_BYTES,
  MAX_CHAT_BYTES,
  MAX_CHAT_NAME_BYTES,
  MAX_CHAT_TEXT_BYTES,
  MAX_OTHERS,
  MAX_PID,
  MAX_SEALED_BYTES,
  MAX_STATE_BYTES,
  WORKER_MESSAGE_LIMIT,
} from '../../src/content/exchange/constants';
import { deriveChatMacKey, generateIdentity } from '../../src/content/exchange/identity';
import { writeUintBE } from '../../src/shared/bytes';
import { hkdfKey } from './exchange-fixtures';

const utf8 = (s: string) => new TextEncoder().encode(s);
const body: ChatBody = { sentAt: 1_767_225_600_000, name: 'Ana', text: 'hello' };
/** A sealed body of `n` bytes (its content does not matter to the layout). */
const sealedBody = (n: number) => new Uint8Array(n).fill(0x5e);
const chat: Chat = {
  pid: 0x123456789abn,
  gen: 7,
  seq: 42,
  nonce: new Uint8Array(12).fill(9),
  sealedBody: sealedBody(40),
  macs: [
    { pid: 1n, mac: new Uint8Array(16).fill(1) },
    { pid: MAX_PID, mac: new Uint8Array(16).fill(2) },
  ],
};

describe('the body', () => {
  it('round-trips names and texts of any script, a BOM and new lines kept as typed', () => {
    for (const b of [
      body,
      { sentAt: 0, name: '', text: 'x' },
      { sentAt: Number.MAX_SAFE_INTEGER, name: 'Zoë 🦊', text: '\uFEFFfirst line\nsecond ✓ 中文 😀' },
    ]) {
      expect(decodeChatBody(encodeChatBody(b))).toEqual(b);
    }
  });

  it('counts the limits in UTF-8 bytes, not characters', () => {
    const euro = '€'.repeat(1365); // 3 bytes each: 4,095
    expect(checkChatInput(`${euro}a`, '')).toMatchObject({ text: { length: MAX_CHAT_TEXT_BYTES } });
    expect(checkChatInput(`${euro}ab`, '')).toBe('too_long');
    expect(checkChatInput('😀'.repeat(1024), '')).not.toBe('too_long'); // 4 bytes each: 4,096
    expect(checkChatInput(`${'😀'.repeat(1024)}a`, '')).toBe('too_long');
    expect(checkChatInput('hi', 'é'.repeat(32))).toMatchObject({ name: { length: MAX_CHAT_NAME_BYTES } });
    expect(checkChatInput('hi', `${'é'.repeat(32)}a`)).toBe('too_long');
    expect(checkChatInput('', 'Ana')).toBe('empty');
    expect(decodeChatBody(encodeChatBody({ ...body, text: `${euro}a` }))?.text).toBe(`${euro}a`);
  });

  it('refuses to encode what it could not decode', () => {
    for (const bad of [
      { text: '' },
      { text: 'x'.repeat(MAX_CHAT_TEXT_BYTES + 1) },
      { name: 'x'.repeat(MAX_CHAT_NAME_BYTES + 1) },
      { sentAt: -1 },
      { sentAt: 1.5 },
      { sentAt: Number.MAX_SAFE_INTEGER + 1 },
    ]) {
      expect(() => encodeChatBody({ ...body, ...bad }), JSON.stringify(bad)).toThrow(RangeError);
    }
  });

  it('decodes nothing malformed: short, name over 64, no text or over 4,096, invalid UTF-8, sent-at past 2^53', () => {
    const valid = encodeChatBody(body);
    const withName = (nameLength: number, rest: Uint8Array) => {
      const out = new Uint8Array(9 + rest.length);
      out.set(valid.subarray(0, 8));
      out[8] = nameLength;
      out.set(rest, 9);
      return out;
    };
    const bad = [
      new Uint8Array(0),
      valid.subarray(0, 9), // no text
      withName(65, new Uint8Array(66).fill(0x61)), // a name of 65 bytes
      withName(3, utf8('Ana')), // a name and no text
      withName(0, new Uint8Array(MAX_CHAT_TEXT_BYTES + 1).fill(0x61)),
      withName(0, Uint8Array.of(0xff)), // never UTF-8
      withName(0, Uint8Array.of(0xc0, 0xaf)), // an overlong "/"
      withName(0, Uint8Array.of(0xed, 0xa0, 0x80)), // a UTF-16 surrogate, encoded (CESU-8)
      withName(0, Uint8Array.of(0xe2, 0x82)), // cut in the middle of "€"
      withName(1, Uint8Array.of(0xff, 0x61)), // the name is not UTF-8
      (() => {
        const b = valid.slice();
        writeUintBE(b, 0, 8, 1n << 53n);
        return b;
      })(),
    ];
    for (const bytes of bad) expect(decodeChatBody(bytes)).toBeUndefined();
  });
});

describe('the message', () => {
  it('round-trips, and the MACs cover every byte before the mac count', () => {
    const bytes = encodeChat(chat);
    expect(bytes.length).toBe(12 + 12 + 2 + 40 + 2 + 2 * 22);
    expect(decodeChat(bytes)).toEqual(chat);
    expect(signedBytes(chat)).toEqual(bytes.subarray(0, 12 + 12 + 2 + 40));
    expect(decodeChat(encodeChat({ ...chat, macs: [] }))).toEqual({ ...chat, macs: [] });
  });

  it('at its largest (4,096 bytes of text, a 64-byte name, 255 MACs) fits the limit, and the worker’s 16 KiB', () => {
    const largest: Chat = {
      ...chat,
      sealedBody: sealedBody(8 + 1 + MAX_CHAT_NAME_BYTES + MAX_CHAT_TEXT_BYTES + 16),
      macs: Array.from({ length: MAX_OTHERS }, (_, i) => ({ pid: BigInt(i + 1), mac: new Uint8Array(16) })),
    };
    const bytes = encodeChat(largest);
    expect(bytes.length).toBe(MAX_CHAT_BYTES);
    expect([MAX_CHAT_BYTES, MAX_SEALED_BYTES]).toEqual([9_823, 9_852]); // as docs/frame-format.md §2.7 says
    expect(decodeChat(bytes)).toEqual(largest);
    expect(MAX_SEALED_BYTES).toBe(13 + Math.max(MAX_STATE_BYTES, MAX_CHAT_BYTES) + 16);
    expect(MAX_SEALED_BYTES).toBeLessThanOrEqual(WORKER_MESSAGE_LIMIT);
  });

  it('refuses to encode what it could not decode', () => {
    const mac = new Uint8Array(CHAT_MAC_BYTES);
    const bad: Partial<Chat>[] = [
      { pid: MAX_PID + 1n },
      { pid: -1n },
      { gen: 256 },
      { seq: 2 ** 32 },
      { seq: -1 },
      { nonce: new Uint8Array(11) },
      { sealedBody: sealedBody(25) }, // shorter than a tag and a one-byte body
      { sealedBody: sealedBody(8 + 1 + 64 + 4096 + 16 + 1) },
      { macs: [{ pid: 1n, mac: new Uint8Array(15) }] },
      { macs: [{ pid: MAX_PID + 1n, mac }] },
      {
        macs: [
          { pid: 1n, mac },
          { pid: 1n, mac },
        ],
      },
      { macs: [{ pid: chat.pid, mac }] },
      { macs: Array.from({ length: MAX_OTHERS + 1 }, (_, i) => ({ pid: BigInt(i + 1), mac })) },
    ];
    for (const fields of bad) expect(() => encodeChat({ ...chat, ...fields })).toThrow(RangeError);
  });

  it('decodes nothing malformed', () => {
    const bytes = encodeChat(chat);
    const at = (offset: number, value: number, length = 1) => {
      const b = bytes.slice();
      writeUintBE(b, offset, length, BigInt(value));
      return b;
    };
    const macsAt = 12 + 12 + 2 + 40;
    const bad = [
      new Uint8Array(0),
      bytes.subarray(0, bytes.length - 1),
      Uint8Array.from([...bytes, 0]), // trailing byte
      at(0, 0x01), // a STATE's type
      at(0, 0x03),
      at(1, 0x10), // a pid's top bits
      at(24, 25, 2), // a body too short for a tag
      at(24, 8 + 1 + 64 + 4096 + 16 + 1, 2), // longer than any body
      at(24, 41, 2), // the body length does not add up
      at(24, 39, 2),
      at(macsAt, 3, 2), // more MACs than there are
      at(macsAt, 1, 2), // fewer
      at(macsAt + 2, 0x10), // a recipient's pid's top bits
      at(macsAt + 2 + 22, 1, 6), // a recipient named twice
      at(macsAt + 2, Number(chat.pid), 6), // the sender among its recipients
      new Uint8Array(MAX_CHAT_BYTES + 1).fill(2),
    ];
    for (const [i, b] of bad.entries()) expect(decodeChat(b), `case ${i}`).toBeUndefined();
    // More than MAX_OTHERS MACs, each well formed.
    const many = encodeChat({ ...chat, macs: [] });
    const over = new Uint8Array(many.length + (MAX_OTHERS + 1) * 22);
    over.set(many);
    writeUintBE(over, many.length - 2, 2, BigInt(MAX_OTHERS + 1));
    for (let i = 0; i <= MAX_OTHERS; i++) writeUintBE(over, many.length + i * 22, 6, BigInt(i + 1));
    expect(decodeChat(over)).toBeUndefined();
  });

  it('decoding never throws, and what decodes encodes to the same bytes (random bytes and random fields)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const decoded = decodeChat(bytes);
        if (decoded !== undefined) expect(encodeChat(decoded)).toEqual(bytes);
        decodeChatBody(bytes);
      }),
      { numRuns: 2_000 },
    );
    const pid = fc.bigInt({ min: 0n, max: MAX_PID });
    fc.assert(
      fc.property(
        pid,
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.uint8Array({ minLength: 26, maxLength: 300 }),
        fc.uniqueArray(pid, { maxLength: 8 }),
        (sender, gen, seq, sealed, recipients) => {
          const c: Chat = {
            pid: sender,
            gen,
            seq,
            nonce: new Uint8Array(12).fill(3),
            sealedBody: sealed,
            macs: recipients.filter((r) => r !== sender).map((r) => ({ pid: r, mac: new Uint8Array(16).fill(7) })),
          };
          expect(decodeChat(encodeChat(c))).toEqual(c);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('sealing and MACs', () => {
  async function setting() {
    const [alice, bob, carol] = await Promise.all([generateIdentity(), generateIdentity(), generateIdentity()]);
    const senderKey = await hkdfKey(crypto.getRandomValues(new Uint8Array(16)));
    const macTo = async (peer: Uint8Array) => (await deriveChatMacKey(alice, peer, 'send')) as CryptoKey;
    const macFrom = async (own: typeof bob) => (await deriveChatMacKey(own, alice.publicKey, 'receive')) as CryptoKey;
    const bytes = await writeChat({
      pid: 0xa1n,
      gen: 258, // sent as 2
      seq: 3,
      body,
      senderKey,
      nonce: crypto.getRandomValues(new Uint8Array(12)),
      recipients: [{ pid: 0xb0n, macKey: await macTo(bob.publicKey) }],
    });
    return { alice, bob, carol, senderKey, bytes, macFrom };
  }

  it('the recipient reads what the sender wrote; the generation goes out mod 256', async () => {
    const { bob, senderKey, bytes, macFrom } = await setting();
    const c = decodeChat(bytes) as Chat;
    expect(c.gen).toBe(2);
    expect(await readChat(c, 0xb0n, await macFrom(bob), senderKey)).toEqual(body);
  });

  it('the body is sealed: it is not in the bytes, and opens under that sender key only', async () => {
    const { senderKey, bytes } = await setting();
    const c = decodeChat(bytes) as Chat;
    expect(Buffer.from(bytes).includes(Buffer.from('hello'))).toBe(false);
    expect(await openChatBody(senderKey, c)).toEqual(body);
    expect(await openChatBody(await hkdfKey(new Uint8Array(16)), c)).toBeUndefined();
    // The header is the body's AAD: the same body under another seq, gen or pid does not open.
    for (const changed of [{ seq: 4 }, { gen: 3 }, { pid: 0xa2n }]) {
      expect(await openChatBody(senderKey, { ...c, ...changed })).toBeUndefined();
    }
  });

  it('only the recipient’s own mac key verifies its MAC; a non-recipient has none', async () => {
    const { bob, carol, senderKey, bytes, macFrom } = await setting();
    const c = decodeChat(bytes) as Chat;
    expect(await verifyChatMac(c, 0xb0n, await macFrom(bob))).toBe(true);
    expect(await verifyChatMac(c, 0xb0n, await macFrom(carol))).toBe(false);
    expect(await verifyChatMac(c, 0xc0n, await macFrom(carol))).toBe(false);
    expect(await readChat(c, 0xc0n, await macFrom(carol), senderKey)).toBeUndefined();
    // Bob's MAC, relabelled as Carol's: her key does not verify it.
    const relabelled = { ...c, macs: [{ pid: 0xc0n, mac: (c.macs[0] as { mac: Uint8Array }).mac }] };
    expect(await verifyChatMac(relabelled, 0xc0n, await macFrom(carol))).toBe(false);
  });

  it('writeChat refuses a body or fields the layout cannot carry', async () => {
    const { senderKey } = await setting();
    const base = { pid: 1n, gen: 0, seq: 0, body, senderKey, nonce: new Uint8Array(12), recipients: [] };
    await expect(writeChat({ ...base, body: { ...body, text: '' } })).rejects.toThrow(RangeError);
    await expect(writeChat({ ...base, nonce: new Uint8Array(8) })).rejects.toThrow(RangeError);
    await expect(writeChat({ ...base, seq: 2 ** 32 })).rejects.toThrow(RangeError);
  });
});
