/**
 * Writes test/vectors/framelock-exchange.json: known-answer vectors of the key exchange's formats (protocol v4,
 * docs/keys.md): STATE encodings, a sealed message, a sender key wrapped from one participant to another,
 * call words and fingerprints. Run ONCE, check the output in, and never run it again to make a failing test pass:
 * the point of the file is that it does not follow the code (test/vectors/README.md).
 *
 *   npx tsx test/vectors/generate-framelock-exchange.ts
 *
 * Every input is fixed here; the X25519 keys are RFC 7748 §6.1's Alice (sender) and Bob (recipient).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { callWords, fingerprint } from '../../src/content/exchange/call-words';
import { deriveKek, wrapSenderKey } from '../../src/content/exchange/identity';
import { encodeState, type State } from '../../src/content/exchange/messages';
import { deriveControlKey, sealWith } from '../../src/content/exchange/seal';
import { asBufferSource, bytesToHex, hexToBytes } from '../../src/shared/bytes';
import { hkdfKey, importX25519Private, kekBytes } from '../unit/exchange-fixtures';

const rfc7748 = JSON.parse(readFileSync(new URL('rfc7748-x25519.json', import.meta.url), 'utf8')) as Record<
  string,
  string
>;
const hex = (s: string | undefined) => hexToBytes(String(s));
const range = (start: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

async function main(): Promise<void> {
  // ---- a wrap: Alice's sender key to Bob
  const alice = { privateKey: await importX25519Private(hex(rfc7748.alicePrivate)), publicKey: hex(rfc7748.alicePublic) };
  const bobPublic = hex(rfc7748.bobPublic);
  const senderKey = range(0x10, 16);
  const container = await crypto.subtle.importKey('raw', asBufferSource(senderKey), 'AES-GCM', true, ['encrypt']);
  const kek = (await deriveKek(alice, bobPublic, 'send')) as CryptoKey;
  const wrapped = await wrapSenderKey(container, kek);
  const wrap = {
    senderPrivate: rfc7748.alicePrivate,
    senderPublic: rfc7748.alicePublic,
    recipientPrivate: rfc7748.bobPrivate,
    recipientPublic: rfc7748.bobPublic,
    senderKey: bytesToHex(senderKey),
    kek: bytesToHex(await kekBytes(alice.privateKey, alice.publicKey, bobPublic, 'send')),
    wrapped: bytesToHex(wrapped),
  };

  // ---- STATE: a hello, and one with wants and wraps
  const states: { name: string; state: State }[] = [
    { name: 'hello', state: { pid: 0x0123456789an, publicKey: alice.publicKey, gen: 0, want: [], wraps: [] } },
    {
      name: 'wants and wraps',
      state: {
        pid: 0xfedcba98765n,
        publicKey: alice.publicKey,
        gen: 0x2a,
        want: [0x00000000001n, 0xfffffffffffn],
        wraps: [
          { pid: 0x0123456789an, wrapped },
          { pid: 0x00000000002n, wrapped: range(0xc0, 24) },
        ],
      },
    },
  ];
  const state = states.map(({ name, state: s }) => ({
    name,
    pid: s.pid.toString(16),
    publicKey: bytesToHex(s.publicKey),
    gen: s.gen,
    want: s.want.map((p) => p.toString(16)),
    wraps: s.wraps.map((w) => ({ pid: w.pid.toString(16), wrapped: bytesToHex(w.wrapped) })),
    encoded: bytesToHex(encodeState(s)),
  }));

  // ---- a sealed message: the second STATE, for an epoch
  const epochBaseKey = range(0x00, 16);
  const epoch = 2_900_123;
  const nonce = range(0xa0, 12);
  const plaintext = encodeState((states[1] as { state: State }).state);
  const base = await hkdfKey(epochBaseKey);
  const controlKey = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new TextEncoder().encode('Framelock v4 control') },
      base,
      128,
    ),
  );
  const sealed = {
    epochBaseKey: bytesToHex(epochBaseKey),
    epoch,
    controlKey: bytesToHex(controlKey),
    nonce: bytesToHex(nonce),
    plaintext: bytesToHex(plaintext),
    sealed: bytesToHex(await sealWith(await deriveControlKey(base), epoch, nonce, plaintext)),
  };

  // ---- call words and fingerprints
  const roomTag = range(0xf0, 16);
  const publicKeys = [rfc7748.bobPublic, rfc7748.alicePublic, bytesToHex(range(0x40, 32))];
  const words = {
    roomTag: bytesToHex(roomTag),
    publicKeys,
    words: await callWords(roomTag, publicKeys.map(hex)),
  };
  const fingerprints = await Promise.all(
    [rfc7748.alicePublic, rfc7748.bobPublic].map(async (k) => ({ publicKey: k, fingerprint: await fingerprint(hex(k)) })),
  );

  const out = {
    description:
      'Framelock key exchange (protocol v4, docs/keys.md) known answers. Frozen: see test/vectors/README.md.',
    protocol: 4,
    state,
    sealed,
    wrap,
    callWords: words,
    fingerprints,
  };
  writeFileSync(new URL('framelock-exchange.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
}

await main();
