/**
 * Sealing exchange messages under the epoch's control key (src/content/exchange/seal.ts): the epoch window, the
 * AAD, and refusals that never throw. The frozen bytes are in exchange-known-answers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { MAX_SEALED_BYTES } from '../../src/content/exchange/constants';
import { ControlKeys, open, seal } from '../../src/content/exchange/seal';
import { hkdfKey } from './exchange-fixtures';

const EPOCH = 2_900_000;

async function epochKeys(epochs: number[]): Promise<Map<number, CryptoKey>> {
  const keys = new Map<number, CryptoKey>();
  for (const e of epochs) keys.set(e, await hkdfKey(crypto.getRandomValues(new Uint8Array(16))));
  return keys;
}

describe('seal / open', () => {
  it('opens what it sealed, for the previous, current and next epoch, and no other', async () => {
    const base = await epochKeys([EPOCH - 2, EPOCH - 1, EPOCH, EPOCH + 1, EPOCH + 2]);
    const keys = new ControlKeys((e) => base.get(e));
    const plaintext = Uint8Array.from([1, 2, 3]);
    for (const e of [EPOCH - 1, EPOCH, EPOCH + 1]) {
      const sealed = (await seal(plaintext, e, keys)) as Uint8Array;
      expect(sealed.length).toBe(1 + 12 + 3 + 16);
      expect(sealed[0]).toBe(e % 256);
      expect(await open(sealed, EPOCH, keys)).toMatchObject({ epoch: e, plaintext, nonce: sealed.subarray(1, 13) });
    }
    for (const e of [EPOCH - 2, EPOCH + 2]) {
      const sealed = (await seal(plaintext, e, keys)) as Uint8Array;
      expect(await open(sealed, EPOCH, keys)).toBeUndefined();
    }
  });

  it('an epoch 256 away has the same byte, but another key: refused', async () => {
    const base = await epochKeys([EPOCH, EPOCH - 256]);
    const keys = new ControlKeys((e) => base.get(e));
    const sealed = (await seal(new Uint8Array(4), EPOCH - 256, keys)) as Uint8Array;
    expect(sealed[0]).toBe(EPOCH % 256);
    expect(await open(sealed, EPOCH, keys)).toBeUndefined();
  });

  it('draws a fresh nonce each time', async () => {
    const base = await epochKeys([EPOCH]);
    const keys = new ControlKeys((e) => base.get(e));
    const a = (await seal(new Uint8Array(4), EPOCH, keys)) as Uint8Array;
    const b = (await seal(new Uint8Array(4), EPOCH, keys)) as Uint8Array;
    expect(a.subarray(1, 13)).not.toEqual(b.subarray(1, 13));
  });

  it('refuses any altered bit, another passphrase’s key, and sizes out of bounds, without throwing', async () => {
    const base = await epochKeys([EPOCH]);
    const other = await epochKeys([EPOCH]);
    const keys = new ControlKeys((e) => base.get(e));
    const sealed = (await seal(new Uint8Array(20).fill(5), EPOCH, keys)) as Uint8Array;
    for (let i = 0; i < sealed.length; i++) {
      const altered = sealed.slice();
      altered[i] = (altered[i] as number) ^ 0x80;
      expect(await open(altered, EPOCH, keys)).toBeUndefined();
    }
    expect(await open(sealed, EPOCH, new ControlKeys((e) => other.get(e)))).toBeUndefined();
    expect(await open(sealed.subarray(0, 28), EPOCH, keys)).toBeUndefined();
    expect(await open(new Uint8Array(0), EPOCH, keys)).toBeUndefined();
    expect(await open(new Uint8Array(MAX_SEALED_BYTES + 1), EPOCH, keys)).toBeUndefined();
    expect(await open(sealed, EPOCH, new ControlKeys(() => undefined))).toBeUndefined();
  });

  it('seals nothing without the epoch’s key', async () => {
    expect(await seal(new Uint8Array(1), EPOCH, new ControlKeys(() => undefined))).toBeUndefined();
  });
});

describe('ControlKeys', () => {
  it('derives once per epoch base key, again for a new base key, and drops epochs outside the window', async () => {
    let base = await epochKeys([EPOCH - 1, EPOCH, EPOCH + 1]);
    let asked = 0;
    const keys = new ControlKeys((e) => {
      asked++;
      return base.get(e);
    });
    const k = await keys.get(EPOCH);
    expect(k?.extractable).toBe(false);
    expect(k?.algorithm).toMatchObject({ name: 'AES-GCM', length: 128 });
    expect(await keys.get(EPOCH)).toBe(k);
    expect(asked).toBe(2);
    base = await epochKeys([EPOCH]); // another room: another base key for the same epoch
    expect(await keys.get(EPOCH)).not.toBe(k);
    const previous = await keys.get(EPOCH - 1);
    expect(previous).toBeUndefined(); // the new room has no key for it
    base = await epochKeys([EPOCH - 1, EPOCH, EPOCH + 1]);
    const before = await keys.get(EPOCH - 1);
    keys.prune(EPOCH + 1); // EPOCH - 1 left the window
    expect(await keys.get(EPOCH - 1)).not.toBe(before);
  });
});
