/**
 * A participant's keys for a call (src/content/exchange/identity.ts): X25519 identities, KEKs and chat mac keys both
 * ways (from one X25519 secret per peer), sender keys wrapped and unwrapped, and refusals of bad public keys and wraps. Frozen bytes: exchange-known-answers.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { MAX_MEMBERS } from '../../src/content/exchange/constants';
import {
  deriveChatMacKey,
  deriveKek,
  derivePeerKeys,
  generateIdentity,
  generateSenderKey,
  PeerKeyring,
  unwrapSenderKey,
  wrapSenderKey,
} from '../../src/content/exchange/identity';
import { hexToBytes } from '../../src/shared/bytes';
import { keyProbe } from './exchange-fixtures';

/**
 * Public keys X25519 must refuse: each gives the all-zero shared secret with any private key (RFC 7748 §6.1). Zero,
 * one, the two points of order 8, and p - 1, p, p + 1 (which reduce to low-order points).
 */
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map(hexToBytes);

describe('identity', () => {
  it('a fresh X25519 key pair: private key non-extractable, public key 32 raw bytes', async () => {
    const a = await generateIdentity();
    expect(a.privateKey.extractable).toBe(false);
    expect(a.publicKey.length).toBe(32);
    expect((await generateIdentity()).publicKey).not.toEqual(a.publicKey);
  });

  it('KEK(A→B) wraps what KEK(A→B) computed by B unwraps; no other KEK does', async () => {
    const [a, b, c] = await Promise.all([generateIdentity(), generateIdentity(), generateIdentity()]);
    const send = (await deriveKek(a, b.publicKey, 'send')) as CryptoKey;
    expect(send.extractable).toBe(false);
    expect(send.usages).toEqual(['wrapKey']);
    const { baseKey, container } = await generateSenderKey();
    const wrapped = await wrapSenderKey(container, send);
    expect(wrapped.length).toBe(24);

    const receive = (await deriveKek(b, a.publicKey, 'receive')) as CryptoKey;
    expect(receive.usages).toEqual(['unwrapKey']);
    const got = (await unwrapSenderKey(wrapped, receive)) as CryptoKey;
    expect(got.extractable).toBe(false);
    expect(got.algorithm.name).toBe('HKDF');
    expect(await keyProbe(got)).toBe(await keyProbe(baseKey));

    // B→A is another KEK (the info names the sender first), and C's is another again.
    for (const wrong of [await deriveKek(a, b.publicKey, 'receive'), await deriveKek(c, a.publicKey, 'receive')]) {
      expect(await unwrapSenderKey(wrapped, wrong as CryptoKey)).toBeUndefined();
    }
  });

  it('refuses low-order and malformed public keys instead of throwing', async () => {
    const a = await generateIdentity();
    for (const point of LOW_ORDER) {
      expect(await deriveKek(a, point, 'send')).toBeUndefined();
      expect(await deriveKek(a, point, 'receive')).toBeUndefined();
    }
    expect(await deriveKek(a, new Uint8Array(31).fill(9), 'send')).toBeUndefined();
  });

  it('unwrapSenderKey: undefined for a wrap of another length', async () => {
    const [a, b] = await Promise.all([generateIdentity(), generateIdentity()]);
    const receive = (await deriveKek(b, a.publicKey, 'receive')) as CryptoKey;
    expect(await unwrapSenderKey(new Uint8Array(16), receive)).toBeUndefined();
    expect(await unwrapSenderKey(new Uint8Array(32), receive)).toBeUndefined();
  });

  it('a sender key: non-extractable base key, extractable container, the random bytes wiped', async () => {
    let drawn: Uint8Array | undefined;
    const { baseKey, container } = await generateSenderKey((n) => {
      drawn = new Uint8Array(n).fill(0x5a);
      return drawn;
    });
    expect(drawn).toEqual(new Uint8Array(16));
    expect(baseKey.extractable).toBe(false);
    expect(baseKey.usages.sort()).toEqual(['deriveBits', 'deriveKey']);
    expect(container.extractable).toBe(true);
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', container));
    expect(raw).toEqual(new Uint8Array(16).fill(0x5a));
    await expect(generateSenderKey((n) => new Uint8Array(n + 1))).rejects.toThrow(RangeError);
  });
});

describe('chat mac keys', () => {
  it('mac key(A→B) as A computes it is mac key(A→B) as B does; B→A, C’s and the KEK are other keys', async () => {
    const [a, b, c] = await Promise.all([generateIdentity(), generateIdentity(), generateIdentity()]);
    const data = new TextEncoder().encode('a chat message');
    const tag = async (key: CryptoKey | undefined) =>
      Buffer.from(await crypto.subtle.sign('HMAC', key as CryptoKey, data)).toString('hex');
    const send = (await deriveChatMacKey(a, b.publicKey, 'send')) as CryptoKey;
    expect(send.extractable).toBe(false);
    expect(send.usages).toEqual(['sign']);
    expect(send.algorithm).toMatchObject({ name: 'HMAC', hash: { name: 'SHA-256' }, length: 256 });
    const ab = await tag(send);
    expect(await tag(await deriveChatMacKey(b, a.publicKey, 'receive'))).toBe(ab);
    expect(await tag(await deriveChatMacKey(a, b.publicKey, 'receive'))).not.toBe(ab); // B→A
    expect(await tag(await deriveChatMacKey(c, a.publicKey, 'receive'))).not.toBe(ab); // A→C
    for (const point of LOW_ORDER) expect(await deriveChatMacKey(a, point, 'send')).toBeUndefined();
  });

  it('derivePeerKeys: the four keys of a pair from one X25519 secret, equal to those derived one by one', async () => {
    const [a, b] = await Promise.all([generateIdentity(), generateIdentity()]);
    const keys = await derivePeerKeys(a, b.publicKey);
    expect(keys).toBeDefined();
    const { kek, chatMac } = keys as NonNullable<typeof keys>;
    expect(kek.send.usages).toEqual(['wrapKey']);
    expect(kek.receive.usages).toEqual(['unwrapKey']);
    // A's sending KEK wraps to B: B's receiving KEK, derived on its own, unwraps it.
    const { baseKey, container } = await generateSenderKey();
    const wrapped = await wrapSenderKey(container, kek.send);
    const atB = await unwrapSenderKey(wrapped, (await deriveKek(b, a.publicKey, 'receive')) as CryptoKey);
    expect(await keyProbe(atB)).toBe(await keyProbe(baseKey));
    const data = new TextEncoder().encode('x');
    for (const direction of ['send', 'receive'] as const) {
      const alone = (await deriveChatMacKey(a, b.publicKey, direction)) as CryptoKey;
      expect(Buffer.from(await crypto.subtle.sign('HMAC', chatMac[direction], data))).toEqual(
        Buffer.from(await crypto.subtle.sign('HMAC', alone, data)),
      );
    }
    expect(await derivePeerKeys(a, LOW_ORDER[0] as Uint8Array)).toBeUndefined();
  });
});

describe('PeerKeyring', () => {
  it('derives once per peer, and forgets a peer’s keys', async () => {
    const [a, b] = await Promise.all([generateIdentity(), generateIdentity()]);
    const keyring = new PeerKeyring(a);
    const keys = await keyring.get(b.publicKey);
    expect(keys).toBeDefined();
    expect(await keyring.get(b.publicKey)).toBe(keys);
    keyring.forget(b.publicKey);
    expect(await keyring.get(b.publicKey)).not.toBe(keys);
    expect(await keyring.get(LOW_ORDER[0] as Uint8Array)).toBeUndefined();
  });

  it('computes the X25519 secret once per peer, for both KEKs and both mac keys', async () => {
    const [a, b] = await Promise.all([generateIdentity(), generateIdentity()]);
    const keyring = new PeerKeyring(a);
    const deriveBits = vi.spyOn(crypto.subtle, 'deriveBits');
    try {
      await keyring.get(b.publicKey);
      await keyring.get(b.publicKey);
      const x25519 = deriveBits.mock.calls.filter(([params]) => (params as Algorithm).name === 'X25519');
      expect(x25519).toHaveLength(1);
    } finally {
      deriveBits.mockRestore();
    }
  });

  it('holds one entry per member at most: the oldest goes first', async () => {
    const a = await generateIdentity();
    const peers = await Promise.all(Array.from({ length: MAX_MEMBERS + 1 }, () => generateIdentity()));
    const keyring = new PeerKeyring(a);
    const first = await keyring.get((peers[0] as { publicKey: Uint8Array }).publicKey);
    for (const p of peers.slice(1)) await keyring.get(p.publicKey);
    expect(await keyring.get((peers[0] as { publicKey: Uint8Array }).publicKey)).not.toBe(first);
  });
});
