/**
 * Writes test/vectors/framelock-chat.json: a known-answer CHAT (protocol v4, docs/keys.md "Chat messages";
 * src/content/exchange/chat.ts) from RFC 7748's Alice to Bob and to Carol, with every intermediate value: the chat
 * key, the body, its AAD and sealed bytes, both pairwise MAC keys and MACs, the CHAT plaintext, and the message sealed
 * under an epoch's control key. Dave holds an X25519 key too but is no recipient. Run ONCE, check the output in, and
 * never run it again to make a failing test pass (test/vectors/README.md): it refuses to overwrite the file.
 *
 *   npx tsx test/vectors/generate-framelock-chat.ts
 *
 * Every input is fixed here. Alice and Bob are RFC 7748 §6.1's; Carol's and Dave's private keys are 32 bytes of 0x61
 * and of 0x64.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { type ChatBody, decodeChat, writeChat } from '../../src/content/exchange/chat';
import { deriveChatMacKey, type Identity } from '../../src/content/exchange/identity';
import { deriveControlKey, sealWith } from '../../src/content/exchange/seal';
import { asBufferSource, bytesToHex, concatBytes, hexToBytes } from '../../src/shared/bytes';
import { hkdfKey, importX25519Private } from '../unit/exchange-fixtures';

const FILE = new URL('framelock-chat.json', import.meta.url);
if (existsSync(FILE)) throw new Error(`${FILE.pathname} exists and is frozen`);

const rfc7748 = JSON.parse(readFileSync(new URL('rfc7748-x25519.json', import.meta.url), 'utf8')) as Record<
  string,
  string
>;
const hex = (s: string | undefined) => hexToBytes(String(s));
const range = (start: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const utf8 = (s: string) => new TextEncoder().encode(s);
const subtle = crypto.subtle;

/** The public key of a fixed private key (WebCrypto's JWK export of the private key carries it as `x`). */
async function publicOf(privateKey: Uint8Array): Promise<Uint8Array> {
  const jwk = await subtle.exportKey('jwk', await importX25519Private(privateKey, true));
  return new Uint8Array(Buffer.from(String(jwk.x), 'base64url'));
}

async function party(privateHex: string, publicHex?: string): Promise<Identity & { privateHex: string }> {
  const privateKey = hex(privateHex);
  const publicKey = publicHex === undefined ? await publicOf(privateKey) : hex(publicHex);
  return { privateHex, privateKey: await importX25519Private(privateKey), publicKey };
}

/** A pairwise chat MAC key's raw bytes, computed with deriveBits all the way (the design's formula, written again). */
async function macKeyBytes(own: Identity, peerPublic: Uint8Array, sender: Uint8Array, recipient: Uint8Array) {
  const peer = await subtle.importKey('raw', asBufferSource(peerPublic), { name: 'X25519' }, true, []);
  const shared = await subtle.deriveBits({ name: 'X25519', public: peer }, own.privateKey, 256);
  const ikm = await subtle.importKey('raw', shared, 'HKDF', false, ['deriveBits']);
  const info = concatBytes(utf8('Framelock v4 chat mac'), sender, recipient);
  const params = { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: asBufferSource(info) };
  return new Uint8Array(await subtle.deriveBits(params, ikm, 256));
}

async function main(): Promise<void> {
  const alice = await party(rfc7748.alicePrivate as string, rfc7748.alicePublic);
  const bob = await party(rfc7748.bobPrivate as string, rfc7748.bobPublic);
  const carol = await party(bytesToHex(new Uint8Array(32).fill(0x61)));
  const dave = await party(bytesToHex(new Uint8Array(32).fill(0x64)));

  const pids = { alice: 0xa11ce000001n, bob: 0x0b0b0000002n, carol: 0xca401000003n, dave: 0xda7e0000004n };
  // Generation 300 goes out as 300 mod 256 = 44; seq 7: the sender's eighth message.
  const gen = 300;
  const seq = 7;
  const senderKey = range(0x20, 16);
  const nonce = range(0xb0, 12);
  const body: ChatBody = { sentAt: 1_767_225_600_123, name: 'Zoë', text: 'Grüße aus dem Call ✓ 😀\nline two' };

  const base = await hkdfKey(senderKey);
  const chatKey = new Uint8Array(
    await subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8('Framelock v4 chat') },
      base,
      128,
    ),
  );
  const recipients = [
    { name: 'bob', pid: pids.bob, identity: bob },
    { name: 'carol', pid: pids.carol, identity: carol },
  ];
  const plaintext = await writeChat({
    pid: pids.alice,
    gen,
    seq,
    body,
    senderKey: base,
    nonce,
    recipients: await Promise.all(
      recipients.map(async (r) => ({
        pid: r.pid,
        macKey: (await deriveChatMacKey(alice, r.identity.publicKey, 'send')) as CryptoKey,
      })),
    ),
  });
  const chat = decodeChat(plaintext);
  if (chat === undefined) throw new Error('the CHAT does not decode');
  const bodyBytes = concatBytes(
    hexToBytes(body.sentAt.toString(16).padStart(16, '0')),
    Uint8Array.of(utf8(body.name).length),
    utf8(body.name),
    utf8(body.text),
  );
  const header = plaintext.slice(0, 12);
  const signedLength = 12 + 12 + 2 + chat.sealedBody.length;

  const epochBaseKey = range(0x40, 16);
  const epoch = 2_900_321;
  const outerNonce = range(0xc0, 12);
  const sealed = await sealWith(await deriveControlKey(await hkdfKey(epochBaseKey)), epoch, outerNonce, plaintext);

  const out = {
    description:
      'Framelock call chat (protocol v4, docs/keys.md "Chat messages") known answers. Frozen: see test/vectors/README.md.',
    protocol: 4,
    sender: {
      name: 'alice',
      pid: pids.alice.toString(16),
      private: alice.privateHex,
      public: bytesToHex(alice.publicKey),
      gen,
      senderKey: bytesToHex(senderKey),
      chatKey: bytesToHex(chatKey),
    },
    recipients: await Promise.all(
      recipients.map(async (r, i) => ({
        name: r.name,
        pid: r.pid.toString(16),
        private: r.identity.privateHex,
        public: bytesToHex(r.identity.publicKey),
        macKey: bytesToHex(await macKeyBytes(alice, r.identity.publicKey, alice.publicKey, r.identity.publicKey)),
        mac: bytesToHex((chat.macs[i] as { mac: Uint8Array }).mac),
      })),
    ),
    outsider: {
      name: 'dave',
      pid: pids.dave.toString(16),
      private: dave.privateHex,
      public: bytesToHex(dave.publicKey),
    },
    chat: {
      seq,
      nonce: bytesToHex(nonce),
      sentAt: body.sentAt,
      name: body.name,
      text: body.text,
      body: bytesToHex(bodyBytes),
      aad: bytesToHex(concatBytes(utf8('Framelock v4 chat'), header)),
      sealedBody: bytesToHex(chat.sealedBody),
      signed: bytesToHex(plaintext.slice(0, signedLength)),
      plaintext: bytesToHex(plaintext),
    },
    sealed: {
      epochBaseKey: bytesToHex(epochBaseKey),
      epoch,
      nonce: bytesToHex(outerNonce),
      sealed: bytesToHex(sealed),
    },
  };
  writeFileSync(FILE, `${JSON.stringify(out, null, 2)}\n`);
}

await main();
