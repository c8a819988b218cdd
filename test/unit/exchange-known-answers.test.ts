/**
 * The key exchange's frozen vectors (test/vectors/framelock-exchange.json) and the chat's (framelock-chat.json): made
 * once, so a change to any byte on the wire (STATE and CHAT layouts, the seal, the KEK's and the chat keys'
 * derivations, the MACs, the words) fails here even when every participant changes it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { callWords, fingerprint } from '../../src/content/exchange/call-words';
import {
  type Chat,
  decodeChat,
  encodeChat,
  encodeChatBody,
  readChat,
  signedBytes,
  verifyChatMac,
  writeChat,
} from '../../src/content/exchange/chat';
import {
  deriveChatMacKey,
  deriveKek,
  type Identity,
  unwrapSenderKey,
  wrapSenderKey,
} from '../../src/content/exchange/identity';
import { decodeState, encodeState, type State } from '../../src/content/exchange/messages';
import { ControlKeys, deriveControlKey, open, sealWith } from '../../src/content/exchange/seal';
import { asBufferSource, bytesToHex, concatBytes, hexToBytes } from '../../src/shared/bytes';
import { hkdfKey, importX25519Private, kekBytes, keyProbe } from './exchange-fixtures';

interface Stored {
  protocol: number;
  state: {
    name: string;
    pid: string;
    publicKey: string;
    gen: number;
    want: string[];
    wraps: { pid: string; wrapped: string }[];
    encoded: string;
  }[];
  sealed: { epochBaseKey: string; epoch: number; controlKey: string; nonce: string; plaintext: string; sealed: string };
  wrap: Record<
    'senderPrivate' | 'senderPublic' | 'recipientPrivate' | 'recipientPublic' | 'senderKey' | 'kek' | 'wrapped',
    string
  >;
  callWords: { roomTag: string; publicKeys: string[]; words: string[] };
  fingerprints: { publicKey: string; fingerprint: string }[];
}

const stored = JSON.parse(
  readFileSync(new URL('../vectors/framelock-exchange.json', import.meta.url), 'utf8'),
) as Stored;
const hex = (s: string) => asBufferSource(hexToBytes(s));
const pid = (s: string) => BigInt(`0x${s}`);

describe('frozen key exchange vectors', () => {
  it('are protocol v4’s and cover a hello and a STATE with wants and wraps', () => {
    expect(stored.protocol).toBe(4);
    expect(stored.state.map((s) => s.name)).toEqual(['hello', 'wants and wraps']);
  });

  it.each(stored.state.map((s) => [s.name, s] as const))('STATE %s: encodes to the frozen bytes and back', (_, v) => {
    const state: State = {
      pid: pid(v.pid),
      publicKey: hexToBytes(v.publicKey),
      gen: v.gen,
      want: v.want.map(pid),
      wraps: v.wraps.map((w) => ({ pid: pid(w.pid), wrapped: hexToBytes(w.wrapped) })),
    };
    expect(bytesToHex(encodeState(state))).toBe(v.encoded);
    expect(decodeState(hexToBytes(v.encoded))).toEqual(state);
  });

  it('the sealed message: its control key, its bytes, and it opens', async () => {
    const v = stored.sealed;
    const base = await hkdfKey(hex(v.epochBaseKey));
    const controlBits = await crypto.subtle.deriveBits(
      {
        name: 'HKDF',
        hash: 'SHA-256',
        salt: new Uint8Array(0),
        info: new TextEncoder().encode('Framelock v4 control'),
      },
      base,
      128,
    );
    expect(bytesToHex(new Uint8Array(controlBits))).toBe(v.controlKey);
    const sealed = await sealWith(await deriveControlKey(base), v.epoch, hex(v.nonce), hex(v.plaintext));
    expect(bytesToHex(sealed)).toBe(v.sealed);
    // And the same bytes under the control key's raw bytes, with no code of ours in between.
    const raw = await crypto.subtle.importKey('raw', hex(v.controlKey), 'AES-GCM', false, ['decrypt']);
    const aad = Uint8Array.from([...new TextEncoder().encode('Framelock v4 control'), v.epoch % 256]);
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: hex(v.nonce), additionalData: aad },
      raw,
      hex(v.sealed).subarray(13),
    );
    expect(bytesToHex(new Uint8Array(plain))).toBe(v.plaintext);
    const opened = await open(hex(v.sealed), v.epoch + 1, new ControlKeys((e) => (e === v.epoch ? base : undefined)));
    expect(opened && bytesToHex(opened.plaintext)).toBe(v.plaintext);
  });

  it('the wrap: KEK(Alice→Bob)’s bytes, the wrapped bytes, and Bob unwraps the sender key', async () => {
    const v = stored.wrap;
    const alice = {
      privateKey: await importX25519Private(hex(v.senderPrivate)),
      publicKey: hexToBytes(v.senderPublic),
    };
    const bob = {
      privateKey: await importX25519Private(hex(v.recipientPrivate)),
      publicKey: hexToBytes(v.recipientPublic),
    };
    expect(bytesToHex(await kekBytes(alice.privateKey, alice.publicKey, bob.publicKey, 'send'))).toBe(v.kek);
    expect(bytesToHex(await kekBytes(bob.privateKey, bob.publicKey, alice.publicKey, 'receive'))).toBe(v.kek);

    const container = await crypto.subtle.importKey('raw', hex(v.senderKey), 'AES-GCM', true, ['encrypt']);
    const kek = (await deriveKek(alice, bob.publicKey, 'send')) as CryptoKey;
    expect(bytesToHex(await wrapSenderKey(container, kek))).toBe(v.wrapped);
    const rawKek = await crypto.subtle.importKey('raw', hex(v.kek), 'AES-KW', false, ['wrapKey']);
    expect(bytesToHex(new Uint8Array(await crypto.subtle.wrapKey('raw', container, rawKek, 'AES-KW')))).toBe(v.wrapped);

    const unwrapped = await unwrapSenderKey(
      hex(v.wrapped),
      (await deriveKek(bob, alice.publicKey, 'receive')) as CryptoKey,
    );
    expect(await keyProbe(unwrapped)).toBe(await keyProbe(await hkdfKey(hex(v.senderKey))));
  });

  it('call words and fingerprints', async () => {
    const v = stored.callWords;
    expect(await callWords(hex(v.roomTag), v.publicKeys.map(hexToBytes))).toEqual(v.words);
    for (const f of stored.fingerprints) expect(await fingerprint(hexToBytes(f.publicKey))).toBe(f.fingerprint);
  });
});

interface StoredChat {
  protocol: number;
  sender: { pid: string; private: string; public: string; gen: number; senderKey: string; chatKey: string };
  recipients: { name: string; pid: string; private: string; public: string; macKey: string; mac: string }[];
  outsider: { pid: string; private: string; public: string };
  chat: {
    seq: number;
    nonce: string;
    sentAt: number;
    name: string;
    text: string;
    body: string;
    aad: string;
    sealedBody: string;
    signed: string;
    plaintext: string;
  };
  sealed: { epochBaseKey: string; epoch: number; nonce: string; sealed: string };
}

const chatVector = JSON.parse(
  readFileSync(new URL('../vectors/framelock-chat.json', import.meta.url), 'utf8'),
) as StoredChat;

describe('frozen chat vectors', () => {
  const v = chatVector;
  const identity = async (p: { private: string; public: string }): Promise<Identity> => ({
    privateKey: await importX25519Private(hex(p.private)),
    publicKey: hexToBytes(p.public),
  });
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const hkdfBits = async (ikm: CryptoKey, info: Uint8Array, bits: number) =>
    bytesToHex(
      new Uint8Array(
        await crypto.subtle.deriveBits(
          { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: asBufferSource(info) },
          ikm,
          bits,
        ),
      ),
    );
  /** What a recipient (or anyone with an X25519 key) holds: its mac key from Alice. */
  const macKeyFrom = async (p: { private: string; public: string }) =>
    (await deriveChatMacKey(await identity(p), hexToBytes(v.sender.public), 'receive')) as CryptoKey;
  const body = { sentAt: v.chat.sentAt, name: v.chat.name, text: v.chat.text };

  it('are protocol v4’s: Alice to Bob and Carol, generation 300 (sent as 44), seq 7, multi-byte name and text', () => {
    expect(v.protocol).toBe(4);
    expect(v.recipients.map((r) => r.name)).toEqual(['bob', 'carol']);
    expect(hexToBytes(v.chat.plaintext)[7]).toBe(v.sender.gen % 256);
    expect(utf8(v.chat.text).length).toBeGreaterThan(v.chat.text.length);
  });

  it('the chat key, the mac keys and the MACs, computed with WebCrypto’s primitives alone', async () => {
    expect(await hkdfBits(await hkdfKey(hex(v.sender.senderKey)), utf8('Framelock v4 chat'), 128)).toBe(
      v.sender.chatKey,
    );
    const alice = await identity(v.sender);
    for (const r of v.recipients) {
      // X25519(Alice, pub_R) from Alice's side and X25519(R, pub_Alice) from R's: one secret, one mac key.
      for (const [own, peer] of [
        [alice, hexToBytes(r.public)],
        [await identity(r), alice.publicKey],
      ] as const) {
        const peerKey = await crypto.subtle.importKey('raw', asBufferSource(peer), { name: 'X25519' }, true, []);
        const shared = await crypto.subtle.deriveBits({ name: 'X25519', public: peerKey }, own.privateKey, 256);
        const ikm = await crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveBits']);
        const info = concatBytes(utf8('Framelock v4 chat mac'), alice.publicKey, hexToBytes(r.public));
        expect(await hkdfBits(ikm, info, 256)).toBe(r.macKey);
      }
      const raw = await crypto.subtle.importKey('raw', hex(r.macKey), { name: 'HMAC', hash: 'SHA-256' }, false, [
        'sign',
      ]);
      const tag = new Uint8Array(await crypto.subtle.sign('HMAC', raw, hex(v.chat.signed)));
      expect(bytesToHex(tag.subarray(0, 16))).toBe(r.mac);
    }
    // The body under the chat key's raw bytes, with no code of ours in between.
    const chatKey = await crypto.subtle.importKey('raw', hex(v.sender.chatKey), 'AES-GCM', false, ['decrypt']);
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: hex(v.chat.nonce), additionalData: hex(v.chat.aad) },
      chatKey,
      hex(v.chat.sealedBody),
    );
    expect(bytesToHex(new Uint8Array(plain))).toBe(v.chat.body);
    expect(v.chat.aad).toBe(bytesToHex(utf8('Framelock v4 chat')) + v.chat.plaintext.slice(0, 24));
  });

  it('our code writes the frozen bytes, body and CHAT, and seals them to the frozen message', async () => {
    expect(bytesToHex(encodeChatBody(body))).toBe(v.chat.body);
    const alice = await identity(v.sender);
    const plaintext = await writeChat({
      pid: pid(v.sender.pid),
      gen: v.sender.gen,
      seq: v.chat.seq,
      body,
      senderKey: await hkdfKey(hex(v.sender.senderKey)),
      nonce: hexToBytes(v.chat.nonce),
      recipients: await Promise.all(
        v.recipients.map(async (r) => ({
          pid: pid(r.pid),
          macKey: (await deriveChatMacKey(alice, hexToBytes(r.public), 'send')) as CryptoKey,
        })),
      ),
    });
    expect(bytesToHex(plaintext)).toBe(v.chat.plaintext);
    const chat = decodeChat(plaintext) as Chat;
    expect(bytesToHex(signedBytes(chat))).toBe(v.chat.signed);
    expect(encodeChat(chat)).toEqual(plaintext);
    const control = await deriveControlKey(await hkdfKey(hex(v.sealed.epochBaseKey)));
    expect(bytesToHex(await sealWith(control, v.sealed.epoch, hex(v.sealed.nonce), plaintext))).toBe(v.sealed.sealed);
  });

  it('decodes, and each recipient reads it, from the sealed bytes', async () => {
    const base = await hkdfKey(hex(v.sealed.epochBaseKey));
    const opened = await open(hex(v.sealed.sealed), v.sealed.epoch, new ControlKeys(() => base));
    expect(opened && bytesToHex(opened.plaintext)).toBe(v.chat.plaintext);
    const chat = decodeChat(hexToBytes(v.chat.plaintext)) as Chat;
    expect(chat).toMatchObject({ pid: pid(v.sender.pid), gen: v.sender.gen % 256, seq: v.chat.seq });
    expect(chat.macs.map((m) => [m.pid.toString(16), bytesToHex(m.mac)])).toEqual(
      v.recipients.map((r) => [r.pid, r.mac]),
    );
    const senderKey = await hkdfKey(hex(v.sender.senderKey));
    for (const r of v.recipients) {
      expect(await readChat(chat, pid(r.pid), await macKeyFrom(r), senderKey)).toEqual(body);
    }
  });

  it('no one else reads it: an outsider, a recipient under another’s pid, a wrong generation key', async () => {
    const chat = decodeChat(hexToBytes(v.chat.plaintext)) as Chat;
    const senderKey = await hkdfKey(hex(v.sender.senderKey));
    const [bob, carol] = v.recipients as [StoredChat['recipients'][0], StoredChat['recipients'][0]];
    const dave = await macKeyFrom(v.outsider);
    // Dave holds Alice's sender key (a member of the call) but no MAC was made for him, under his pid or another's.
    expect(await readChat(chat, pid(v.outsider.pid), dave, senderKey)).toBeUndefined();
    expect(await readChat(chat, pid(bob.pid), dave, senderKey)).toBeUndefined();
    // Bob's mac key checks Bob's MAC only.
    expect(await readChat(chat, pid(carol.pid), await macKeyFrom(bob), senderKey)).toBeUndefined();
    // The MAC verifies, but the body was sealed under another generation's key.
    const otherGeneration = hex(v.sender.senderKey).slice();
    otherGeneration[15] = (otherGeneration[15] as number) ^ 1;
    expect(await verifyChatMac(chat, pid(bob.pid), await macKeyFrom(bob))).toBe(true);
    expect(await readChat(chat, pid(bob.pid), await macKeyFrom(bob), await hkdfKey(otherGeneration))).toBeUndefined();
  });

  it('an altered bit anywhere: every recipient refuses it, but one whose own MAC entry is intact may read it', async () => {
    const plaintext = hexToBytes(v.chat.plaintext);
    const senderKey = await hkdfKey(hex(v.sender.senderKey));
    const readers = await Promise.all(
      v.recipients.map(async (r) => ({ pid: pid(r.pid), macKey: await macKeyFrom(r) })),
    );
    const macsAt = plaintext.length - readers.length * 22; // the MAC entries: 22 bytes each, in order
    let readDespite = 0;
    for (let i = 0; i < plaintext.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const altered = plaintext.slice();
        altered[i] = (altered[i] as number) ^ bit;
        const chat = decodeChat(altered);
        for (const [index, reader] of readers.entries()) {
          const got = chat && (await readChat(chat, reader.pid, reader.macKey, senderKey));
          const entry = i >= macsAt ? Math.floor((i - macsAt) / 22) : undefined;
          if (entry === undefined || entry === index) {
            expect(got, `byte ${i} bit ${bit}, ${v.recipients[index]?.name}`).toBeUndefined();
          } else if (got !== undefined) {
            // Another recipient's entry changed (not a top pid bit, which makes the message malformed): the MAC
            // to this one still covers every byte it reads.
            expect(got).toEqual(body);
            readDespite++;
          }
        }
      }
    }
    expect(readDespite).toBeGreaterThan(0);
  });
});
