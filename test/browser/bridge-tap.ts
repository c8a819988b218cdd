/**
 * A tap on one participant's content bridge, for the control of test/browser/recording.test.ts: it copies the secrets
 * forward secrecy erases (docs/keys.md, "When keys change") as the bridge draws them, during the call, so a test can
 * show that the attacker's code opens a recording once it holds them. Test harness only: the shipped build is loaded
 * unchanged, and the tap is what anyone running code in the live renderer could do (DevTools here), which forward
 * secrecy never claimed to resist. It never writes anything to disk.
 *
 * It runs in the bridge's own isolated world (the extension's content script context of the page's main frame, found
 * through DevTools' `Runtime` domain), before the call starts, and wraps two built-ins there:
 * - `crypto.getRandomValues`: every 16-byte draw is copied. A sender key is 16 random bytes drawn this way
 *   (src/content/exchange/identity.ts `generateSenderKey`); other 16-byte draws (nonces) are copied too and are
 *   simply keys that open nothing.
 * - `crypto.subtle.generateKey` for X25519: the pair is generated extractable, and its private key (PKCS#8) and public
 *   key (raw) copied. This is the one change to the participant's behaviour (its private key object is extractable);
 *   nothing on the wire differs.
 *
 * ```ts
 * await page.goto(url);                                   // the bridge is injected at document_start
 * const tap = await tapBridgeSecrets(page, ext.extensionId);
 * // ... the call runs ...
 * const secrets = await tap.read();                       // while the page is still open
 * ```
 */
import type { CDPSession, Page, Protocol } from 'puppeteer-core';
import { waitFor } from './harness';

/** One ephemeral X25519 key pair the bridge generated. */
export interface TappedIdentity {
  /** PKCS#8 DER of the private key (RFC 8410): its last 32 bytes are the raw private key. */
  pkcs8: Uint8Array;
  /** The raw private key (RFC 7748 §5), from {@link pkcs8}. */
  privateKey: Uint8Array;
  /** Raw, 32 bytes. */
  publicKey: Uint8Array;
}

export interface TappedSecrets {
  /** Every 16-byte `getRandomValues` draw of the bridge, in order: its sender keys among them. */
  random16: Uint8Array[];
  identities: TappedIdentity[];
}

export interface BridgeTap {
  /** What the tap copied so far. Rejects once the page is gone. */
  read(): Promise<TappedSecrets>;
  detach(): Promise<void>;
}

/** The name the tap keeps its copies under, in the bridge's isolated world only. */
const TAP_GLOBAL = '__framelockRecordingTestTap';

/**
 * Installed by `Runtime.evaluate` in the bridge's world (a string: it runs there, not in Node). Idempotent. The
 * bridge calls `crypto.getRandomValues` and `crypto.subtle.generateKey` through the globals at call time, so wrapping
 * them on this world's objects reaches it; the page's main world has objects of its own and sees nothing.
 */
const INSTALL_TAP = `(() => {
  if (globalThis.${TAP_GLOBAL}) return 'already installed';
  const tap = { random16: [], identities: [] };
  globalThis.${TAP_GLOBAL} = tap;
  const c = globalThis.crypto;
  const getRandomValues = c.getRandomValues.bind(c);
  c.getRandomValues = (array) => {
    const out = getRandomValues(array);
    if (array.byteLength === 16) tap.random16.push(Array.from(new Uint8Array(array.buffer, array.byteOffset, 16)));
    return out;
  };
  const subtle = c.subtle;
  const generateKey = subtle.generateKey.bind(subtle);
  subtle.generateKey = async (algorithm, extractable, usages) => {
    const name = typeof algorithm === 'string' ? algorithm : algorithm && algorithm.name;
    if (name !== 'X25519') return generateKey(algorithm, extractable, usages);
    const pair = await generateKey(algorithm, true, usages);
    const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey));
    const publicKey = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
    tap.identities.push({ pkcs8: Array.from(pkcs8), publicKey: Array.from(publicKey) });
    return pair;
  };
  return 'installed';
})()`;

interface RawTap {
  random16: number[][];
  identities: { pkcs8: number[]; publicKey: number[] }[];
}

/**
 * Installs the tap in the isolated world of extension `extensionId` in `page`'s main frame. Call it after the page
 * loaded (the bridge is there from document_start) and before the call starts (the bridge draws a call's keys at its
 * first transform).
 *
 * @throws if the bridge's world does not show up within 10 s (the site is not enabled, or the bridge was not injected).
 */
export async function tapBridgeSecrets(page: Page, extensionId: string): Promise<BridgeTap> {
  const cdp: CDPSession = await page.createCDPSession();
  const contexts: Protocol.Runtime.ExecutionContextDescription[] = [];
  cdp.on('Runtime.executionContextCreated', (event) => contexts.push(event.context));
  await cdp.send('Runtime.enable'); // reports every context that already exists
  const { frameTree } = await cdp.send('Page.getFrameTree');
  const origin = `chrome-extension://${extensionId}`;
  const contextId = await waitFor(
    () => {
      const ours = contexts.filter(
        (c) => c.origin === origin && (c.auxData as { frameId?: string } | undefined)?.frameId === frameTree.frame.id,
      );
      return ours.at(-1)?.id;
    },
    { description: "the bridge's isolated world in the page's main frame", timeoutMs: 10_000 },
  );
  const evaluate = async (expression: string): Promise<unknown> => {
    const answer = await cdp.send('Runtime.evaluate', { expression, contextId, returnByValue: true });
    if (answer.exceptionDetails !== undefined) {
      throw new Error(`bridge tap: ${answer.exceptionDetails.exception?.description ?? answer.exceptionDetails.text}`);
    }
    return answer.result.value;
  };
  const installed = await evaluate(INSTALL_TAP);
  if (installed !== 'installed') throw new Error(`bridge tap: ${String(installed)}`);
  return {
    async read() {
      const raw = (await evaluate(`globalThis.${TAP_GLOBAL}`)) as RawTap;
      return {
        random16: raw.random16.map((bytes) => Uint8Array.from(bytes)),
        identities: raw.identities.map(({ pkcs8, publicKey }) => ({
          pkcs8: Uint8Array.from(pkcs8),
          privateKey: Uint8Array.from(pkcs8.slice(-32)),
          publicKey: Uint8Array.from(publicKey),
        })),
      };
    },
    async detach() {
      await cdp.detach().catch(() => undefined);
    },
  };
}
