import { describe, expect, it } from 'vitest';
import {
  decodeHeader,
  deriveKeyMaterial,
  encodeHeader,
  importRawFrameKeys,
  SFrameContext,
  SFrameError,
} from '../../src/sframe';
import { keyScheduleLabel } from '../../src/sframe/key-schedule';
import { aeadOpen, aeadSeal, frameNonce, getCipherSuite } from '../../src/sframe/suites';
import { bytesToHex, concatBytes } from '../../src/shared/bytes';
import { aesCtrHmacVectors, headerVectors, sframeVectors } from './vectors';

describe('RFC 9605 Appendix C: header vectors (§4.3)', () => {
  it('has all of them, including 2^64 - 1 read exactly', () => {
    expect(headerVectors.length).toBe(289);
    expect(headerVectors.some((v) => v.kid === (1n << 64n) - 1n && v.ctr === (1n << 64n) - 1n)).toBe(true);
  });

  it.each(headerVectors.map((v) => [bytesToHex(v.encoded), v] as const))('encodes and decodes %s', (_, v) => {
    expect(bytesToHex(encodeHeader(v.kid, v.ctr))).toBe(bytesToHex(v.encoded));
    expect(decodeHeader(v.encoded)).toEqual({ kid: v.kid, ctr: v.ctr, length: v.encoded.length });
    // Trailing payload bytes do not change what the header says.
    const withPayload = concatBytes(v.encoded, new Uint8Array([0xde, 0xad]));
    expect(decodeHeader(withPayload)).toEqual({ kid: v.kid, ctr: v.ctr, length: v.encoded.length });
    // Every strict prefix is truncated.
    for (let cut = 0; cut < v.encoded.length; cut++) {
      expect(() => decodeHeader(v.encoded.subarray(0, cut))).toThrow(SFrameError);
    }
  });
});

describe('RFC 9605 Appendix C: AES-CTR-HMAC vectors (§4.5.1)', () => {
  it.each(aesCtrHmacVectors.map((v) => [v.suite, v] as const))('suite %i seals and opens', async (_, v) => {
    const suite = getCipherSuite(v.suite);
    expect(bytesToHex(concatBytes(v.encKey, v.authKey))).toBe(bytesToHex(v.key));
    const keys = await importRawFrameKeys(v.suite, v.key, new Uint8Array(12));
    const nonce = new Uint8Array(v.nonce) as Uint8Array<ArrayBuffer>;
    const sealed = await aeadSeal(suite, keys, nonce, v.aad, v.pt);
    expect(bytesToHex(sealed)).toBe(bytesToHex(v.ct));
    expect(bytesToHex(await aeadOpen(suite, keys, nonce, v.aad, v.ct))).toBe(bytesToHex(v.pt));
    const forged = v.ct.slice();
    forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 1;
    await expect(aeadOpen(suite, keys, nonce, v.aad, forged)).rejects.toMatchObject({ reason: 'auth_failure' });
  });
});

describe('RFC 9605 Appendix C: full SFrame vectors (§4.4)', () => {
  it('covers all five suites', () => {
    expect(sframeVectors.map((v) => v.suite).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it.each(sframeVectors.map((v) => [v.suite, v] as const))('suite %i: key schedule', async (_, v) => {
    expect(bytesToHex(keyScheduleLabel('key', v.kid, v.suite))).toBe(bytesToHex(v.keyLabel));
    expect(bytesToHex(keyScheduleLabel('salt', v.kid, v.suite))).toBe(bytesToHex(v.saltLabel));
    const material = await deriveKeyMaterial(v.suite, v.baseKey, v.kid);
    expect(bytesToHex(material.sframeKey)).toBe(bytesToHex(v.sframeKey));
    expect(bytesToHex(material.sframeSalt)).toBe(bytesToHex(v.sframeSalt));
    expect(bytesToHex(frameNonce(material.sframeSalt, v.ctr))).toBe(bytesToHex(v.nonce));
  });

  it.each(sframeVectors.map((v) => [v.suite, v] as const))('suite %i: encrypt and decrypt', async (_, v) => {
    const sender = new SFrameContext(v.suite);
    await sender.addKey(v.kid, v.baseKey);
    const frame = await sender.encrypt(v.kid, v.metadata, v.pt, { ctr: v.ctr });
    expect(bytesToHex(frame)).toBe(bytesToHex(v.ct));
    // The AAD the RFC lists is header || metadata.
    const header = decodeHeader(v.ct);
    expect(bytesToHex(concatBytes(v.ct.subarray(0, header.length), v.metadata))).toBe(bytesToHex(v.aad));

    const receiver = new SFrameContext(v.suite);
    await receiver.addKey(v.kid, v.baseKey);
    const opened = await receiver.decrypt(v.metadata, v.ct);
    expect(opened.kid).toBe(v.kid);
    expect(opened.ctr).toBe(v.ctr);
    expect(bytesToHex(opened.plaintext)).toBe(bytesToHex(v.pt));
  });
});
