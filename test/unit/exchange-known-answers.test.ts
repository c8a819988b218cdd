/**
 * The key exchange's frozen vectors (test/vectors/framelock-exchange.json): made once, so a change to any byte on the
 * wire (STATE layout, the seal, the KEK's derivation, the words) fails here even when every participant changes it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { callWords, fingerprint } from '../../src/content/exchange/call-words';
import { deriveKek, unwrapSenderKey, wrapSenderKey } from '../../src/content/exchange/identity';
import { decodeState, encodeState, type State } from '../../src/content/exchange/messages';
import { ControlKeys, deriveControlKey, open, sealWith } from '../../src/content/exchange/seal';
import { asBufferSource, bytesToHex, hexToBytes } from '../../src/shared/bytes';
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
