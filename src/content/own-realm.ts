/**
 * @module The bridge's bytes are the bridge's own (Firefox). Imported first by the bridge's entry, before any module
 * that makes a `TextEncoder` or calls WebCrypto.
 *
 * A Firefox content script runs in a sandbox in front of the page's window: its `crypto` and `TextEncoder` are the
 * window's, reached through a wrapper, so what they return (an `ArrayBuffer` from `crypto.subtle`, a `Uint8Array` from
 * `encode`) is made in the page's realm. The page cannot reach those objects (it is never handed them), but to the
 * bridge they are foreign: `bytes instanceof Uint8Array` is false for them, so a message check refuses them, and
 * @noble/hashes throws reading their constructor. Checked in Firefox 153: a `structuredClone` made by the sandbox is
 * the sandbox's own.
 *
 * So in the Firefox build the sandbox gets its own `crypto` and `TextEncoder`, thin layers over the window's that
 * copy every result holding bytes into the bridge's realm (keys stay as they are: they are only passed back to
 * WebCrypto or posted to the worker). The Chrome build leaves both alone: an isolated world has its own built-ins.
 */
import { TARGET_BROWSER } from '../shared/target-browser';

/** The `SubtleCrypto` methods that return a promise. */
const SUBTLE_METHODS = [
  'encrypt',
  'decrypt',
  'sign',
  'verify',
  'digest',
  'generateKey',
  'deriveKey',
  'deriveBits',
  'importKey',
  'exportKey',
  'wrapKey',
  'unwrapKey',
] as const;

/** Whether `value` holds bytes or is plain data (an `ArrayBuffer`, a view, a JWK): what must be copied. */
function holdsData(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const tag = Object.prototype.toString.call(value);
  return (
    tag === '[object ArrayBuffer]' || ArrayBuffer.isView(value) || (tag === '[object Object]' && !isKeyPair(value))
  );
}

function isKeyPair(value: object): boolean {
  return 'privateKey' in value && 'publicKey' in value;
}

/** `value` as the sandbox's own object (bytes and plain data copied; keys and primitives as they are). */
export function own<T>(value: T): T {
  return holdsData(value) ? structuredClone(value) : value;
}

/**
 * Gives `scope` (the content script's global) a `crypto` and a `TextEncoder` whose results are `scope`'s own. Only
 * for Firefox: see the module comment.
 */
export function installOwnRealm(scope: typeof globalThis): void {
  const windowCrypto = scope.crypto;
  const windowSubtle = windowCrypto.subtle;
  const subtle: Record<string, unknown> = {};
  for (const name of SUBTLE_METHODS) {
    const method = windowSubtle[name] as (...args: unknown[]) => Promise<unknown>;
    subtle[name] = (...args: unknown[]) => method.apply(windowSubtle, args).then(own);
  }
  const crypto = {
    subtle: subtle as unknown as SubtleCrypto,
    getRandomValues: windowCrypto.getRandomValues.bind(windowCrypto),
    randomUUID: () => windowCrypto.randomUUID(),
  };
  const WindowEncoder = scope.TextEncoder;
  class OwnTextEncoder {
    readonly #encoder = new WindowEncoder();
    get encoding(): string {
      return this.#encoder.encoding;
    }
    encode(input?: string): Uint8Array {
      return own(this.#encoder.encode(input));
    }
    encodeInto(source: string, destination: Uint8Array): TextEncoderEncodeIntoResult {
      return this.#encoder.encodeInto(source, destination);
    }
  }
  Object.defineProperty(scope, 'crypto', { value: crypto, configurable: true, writable: true });
  Object.defineProperty(scope, 'TextEncoder', { value: OwnTextEncoder, configurable: true, writable: true });
}

if (TARGET_BROWSER === 'firefox') installOwnRealm(globalThis);
