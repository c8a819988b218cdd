/**
 * @module Known-answer self-test of the SFrame engine, run where the keys will live (the background's realm). It checks
 * the RFC 9605 Appendix C vector of suite 4 (video) end to end through the public API, and audio's suite 0xF001 against
 * that same vector: under the same frame keys it must give the same frame with the tag cut to 8 bytes. Plus a tamper
 * check of each. The result is kept in storage.session so the UI can warn when this browser's WebCrypto misbehaves.
 */
import browser from 'webextension-polyfill';
import { deriveFrameKeys, SFrameContext } from '../sframe';
import { bytesToHex, hexToBytes } from '../shared/bytes';

export interface SelfTestResult {
  ok: boolean;
  /** Which check failed, if any. */
  failure?: string;
  at: number;
}

// RFC 9605 Appendix C.4 (cipher suite 4): kid 0x123, ctr 0x4567, base_key 00..0f, metadata "IETF SFrame WG".
const SUITE_4_FRAME = '9901234567b7412c2513a1b66dbb48841bbaf17f598751176ad847681a69c6d0b091c07018ce4adb34eb';
/** Suite 0xF001 under suite 4's frame keys: the same frame, its 16-byte tag truncated to 8 (hex: 16 digits less). */
const VECTORS = [
  { suite: 4, keySuite: 4, ct: SUITE_4_FRAME },
  { suite: 0xf001, keySuite: 4, ct: SUITE_4_FRAME.slice(0, -16) },
] as const;

const BASE_KEY = '000102030405060708090a0b0c0d0e0f';
const METADATA = '4945544620534672616d65205747';
const PLAINTEXT = '64726166742d696574662d736672616d652d656e63';

async function check(): Promise<string | undefined> {
  for (const vector of VECTORS) {
    const keys = await deriveFrameKeys(vector.keySuite, hexToBytes(BASE_KEY), 0x123n);
    const sender = new SFrameContext(vector.suite);
    await sender.importFrameKeys(0x123n, keys);
    const frame = await sender.encrypt(0x123n, hexToBytes(METADATA), hexToBytes(PLAINTEXT), { ctr: 0x4567n });
    if (bytesToHex(frame) !== vector.ct) return `suite ${vector.suite}: known answer mismatch`;
    const receiver = new SFrameContext(vector.suite);
    await receiver.importFrameKeys(0x123n, keys);
    const opened = await receiver.decrypt(hexToBytes(METADATA), frame);
    if (bytesToHex(opened.plaintext) !== PLAINTEXT) return `suite ${vector.suite}: round trip mismatch`;
    const forged = frame.slice();
    forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 1;
    const accepted = await receiver.decrypt(hexToBytes(METADATA), forged).then(
      () => true,
      () => false,
    );
    if (accepted) return `suite ${vector.suite}: accepted a forged frame`;
  }
  return undefined;
}

export async function runSFrameSelfTest(): Promise<SelfTestResult> {
  let failure: string | undefined;
  try {
    failure = await check();
  } catch (error) {
    failure = `threw: ${String(error)}`;
  }
  const result: SelfTestResult =
    failure === undefined ? { ok: true, at: Date.now() } : { ok: false, failure, at: Date.now() };
  await browser.storage.session.set({ selfTest: result });
  if (!result.ok) console.error('Framelock: SFrame self-test failed:', failure);
  return result;
}
