/**
 * @module SFrameContext: the key store plus encryption and decryption of RFC 9605 §4.4.3-4 for one cipher suite.
 *
 * ```
 * +--------+------------------------------+-----+
 * | header |          ciphertext          | tag |     header = encode_sframe_header(CTR, KID)   (§4.3)
 * +--------+------------------------------+-----+     AAD    = header || metadata             (§4.4.3)
 * ```
 * Sending: each KID has its own counter; a counter is reserved before any await, so concurrent calls never share
 * one, and a context never wraps past 2^64 - 1. A sender may ask for a counter of a given parity (the Framelock format
 * flags a frame by its counter's parity, src/codecs/format.ts): it gets the smallest one above the last counter used,
 * so counters still only increase and now and then skip one. Receiving: a replay window per KID, advanced after the
 * tag verifies.
 */
import { MAX_SAFE, MAX_U64 } from '../shared/bytes';
import { SFrameError, type SFrameErrorReason } from './errors';
import { checkKid, checkU64, decodeHeader, encodeHeader, headerLength, writeHeader } from './header';
import { deriveFrameKeys } from './key-schedule';
import { ReplayWindow } from './replay';
import {
  aeadOpen,
  aeadSeal,
  type CipherSuite,
  checkGcmLength,
  type FrameKeys,
  frameNonce,
  frameNonceAt,
  gcmDecrypt,
  gcmEncrypt,
  gcmFailure,
  getCipherSuite,
} from './suites';

/** Counters a receiver tolerates below the highest one it accepted (out-of-order delivery, retransmissions). */
export const DEFAULT_REPLAY_WINDOW = 256;

export interface SFrameContextOptions {
  /** Replay window per KID, a power of two in [32, 65536]. Default 256 (5 s of audio, 8 s of 30 fps video). */
  replayWindow?: number;
}

interface KeyState {
  readonly keys: FrameKeys;
  /** This KID's part of every header: its config nibble (high 4 bits) and encoded bytes, computed once. */
  readonly kidConfig: number;
  readonly kidBytes: Uint8Array;
  /** Last counter this context encrypted under this KID while a safe integer; -1 before the first frame. */
  lastSent: number;
  /** The last counter once above 2^53 - 1 (explicit counters only: no sender counts that far). */
  lastSentBig: bigint | undefined;
  readonly window: ReplayWindow;
  /** Set when the KID is retired: a decryption that was in flight then fails as `unknown_kid`. */
  retired: boolean;
}

export interface DecryptedFrame {
  kid: bigint;
  ctr: bigint;
  plaintext: Uint8Array;
}

/** An SFrame ciphertext split where it is written: callers that place the header elsewhere use these parts. */
export interface SealedFrame {
  kid: bigint;
  ctr: bigint;
  /** The encoded SFrame header (§4.3), which was authenticated as the start of the AAD. */
  header: Uint8Array;
  /** ciphertext || tag. */
  sealed: Uint8Array;
}

function rejected(reason: SFrameErrorReason, message?: string): Promise<never> {
  return Promise.reject(new SFrameError(reason, message));
}

/**
 * Which counters a sender may take: `0` even ones only, `1` odd ones only, `undefined` any. The next counter is the
 * smallest one above the last counter used under the KID (of either parity) that has it.
 */
export type CounterParity = 0 | 1;

function isParity(parity: unknown): parity is CounterParity | undefined {
  return parity === undefined || parity === 0 || parity === 1;
}

function checkParity(parity: unknown): asserts parity is CounterParity | undefined {
  if (!isParity(parity)) throw new RangeError('SFrame: parity must be 0 or 1');
}

function checkBytes(name: string, value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
}

/**
 * A frame's AAD (§4.4.3): its SFrame header (§4.3: config || KID || CTR) written in place, then `metadata`. The KID
 * part was encoded once, when the key came (`#install`); the counter, a safe integer on every real frame, is written
 * with Number arithmetic, without BigInt work. The header is the AAD's first `length - metadata.length` bytes.
 */
function headerAad(state: KeyState, ctr: number, metadata: Uint8Array): Uint8Array {
  let ctrLength = 0;
  if (ctr >= 8) for (let v = ctr; v > 0; v = Math.floor(v / 256)) ctrLength++;
  const kidLength = state.kidBytes.length;
  const hlen = 1 + kidLength + ctrLength;
  const aad = new Uint8Array(hlen + metadata.length);
  aad[0] = state.kidConfig | (ctrLength === 0 ? ctr : 0x08 | (ctrLength - 1));
  aad.set(state.kidBytes, 1);
  for (let i = hlen - 1, v = ctr; i > kidLength; i--, v = Math.floor(v / 256)) aad[i] = v % 256;
  aad.set(metadata, hlen);
  return aad;
}

/** {@link headerAad} for a counter above 2^53 - 1 (only an explicit one gets there), through header.ts. */
function bigHeaderAad(kid: bigint, ctr: bigint, metadata: Uint8Array): Uint8Array {
  const hlen = headerLength(kid, ctr);
  const aad = new Uint8Array(hlen + metadata.length);
  writeHeader(aad, 0, kid, ctr);
  aad.set(metadata, hlen);
  return aad;
}

export class SFrameContext {
  readonly suite: CipherSuite;
  readonly #replayWindow: number;
  readonly #keys = new Map<bigint, KeyState>();
  /** KIDs that had a key: never keyed again, so a counter can never restart under an old (KID, key). */
  readonly #used = new Set<bigint>();
  /** The KID looked up last and its state: almost every frame has the previous frame's KID (no Map lookup then). */
  #lastKid: bigint | undefined;
  #lastState: KeyState | undefined;

  /** @throws RangeError unless suite is 1..5 (RFC 9605 §4.5) and the replay window is valid. */
  constructor(suite: number, options: SFrameContextOptions = {}) {
    this.suite = getCipherSuite(suite);
    this.#replayWindow = options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    new ReplayWindow(this.#replayWindow); // validates the size now rather than at the first key
  }

  /**
   * Derives and stores the frame keys for `kid` from `baseKey` (RFC 9605 §4.4.2).
   * @throws RangeError if `kid` already has (or had) a key: re-keying a KID could restart its counter under the same
   * key and reuse a nonce. Use a fresh KID instead.
   */
  async addKey(kid: bigint, baseKey: Uint8Array | CryptoKey): Promise<void> {
    checkKid(kid);
    this.#reserveKid(kid);
    try {
      this.#install(kid, await deriveFrameKeys(this.suite.id, baseKey, kid));
    } catch (error) {
      this.#used.delete(kid);
      throw error;
    }
  }

  /**
   * Stores frame keys derived elsewhere (on the trusted side) for `kid`: the context then never sees a base key.
   * @throws TypeError if the keys do not fit this suite or are extractable, RangeError if `kid` already has (or had)
   * a key.
   */
  async importFrameKeys(kid: bigint, keys: FrameKeys): Promise<void> {
    checkKid(kid);
    this.#checkFrameKeys(keys);
    this.#reserveKid(kid);
    this.#install(kid, {
      key: keys.key,
      ...(keys.authKey ? { authKey: keys.authKey } : {}),
      salt: new Uint8Array(keys.salt),
    });
  }

  /** True while `kid` has usable keys. */
  hasKey(kid: bigint): boolean {
    return this.#keys.has(kid);
  }

  /**
   * Retires `kid`: its keys are dropped, frames under it are refused as `unknown_kid`, and it can never be keyed
   * again in this context. Returns false if it had no key.
   */
  retireKey(kid: bigint): boolean {
    const state = this.#keys.get(kid);
    if (state === undefined) return false;
    state.retired = true;
    this.#keys.delete(kid);
    if (this.#lastState === state) {
      this.#lastKid = undefined;
      this.#lastState = undefined;
    }
    return true;
  }

  /**
   * Forgets `kid` as if it had never been keyed, but only if its keys never sealed a frame and never opened one: then
   * no counter and no replay window can restart (keying it again derives the same keys into a fresh, equally empty
   * state). For a receiver's keys that proved nothing, e.g. the junk KIDs of a key-request flood, so that they fill
   * neither this context nor its memory of used KIDs. Returns false (and keeps the key) otherwise.
   */
  discardUnusedKey(kid: bigint): boolean {
    const state = this.#keys.get(kid);
    if (state === undefined || state.lastSent !== -1 || state.lastSentBig !== undefined) return false;
    if (state.window.highest !== undefined) return false;
    this.retireKey(kid);
    this.#used.delete(kid);
    return true;
  }

  /** KIDs that currently have keys. */
  kids(): bigint[] {
    return [...this.#keys.keys()];
  }

  /**
   * RFC 9605 §4.4.3. Returns header || ciphertext || tag. `options.parity` takes the next counter of that parity
   * ({@link CounterParity}); `options.ctr` an explicit one (of that parity, if both are given).
   * @throws TypeError for non-bytes input; RangeError for an explicit ctr at or below the last one used for this KID,
   * outside [0, 2^64 - 1] or of the wrong parity, or a parity other than 0 or 1; SFrameError `unknown_kid` without a
   * key, `counter_exhausted` when no counter of the asked parity is left below 2^64.
   */
  async encrypt(
    kid: bigint,
    metadata: Uint8Array,
    plaintext: Uint8Array,
    options?: { ctr?: bigint; parity?: CounterParity },
  ): Promise<Uint8Array> {
    const { header, sealed } = await this.seal(kid, metadata, plaintext, options);
    const out = new Uint8Array(header.length + sealed.length);
    out.set(header, 0);
    out.set(sealed, header.length);
    return out;
  }

  /** Like `encrypt`, but returns the header and ciphertext || tag apart, for framings that lay them out elsewhere. */
  async seal(
    kid: bigint,
    metadata: Uint8Array,
    plaintext: Uint8Array,
    options?: { ctr?: bigint; parity?: CounterParity },
  ): Promise<SealedFrame> {
    checkKid(kid);
    checkBytes('metadata', metadata);
    checkBytes('plaintext', plaintext);
    checkParity(options?.parity);
    const state = this.#state(kid);
    if (state === undefined) throw new SFrameError('unknown_kid', `SFrame: no key for KID ${kid}`);
    const ctr = this.#nextCounter(state, options?.ctr, options?.parity);
    // Reserve the counter before the first await: two concurrent frames must never share a nonce.
    const small = ctr <= MAX_SAFE;
    if (small) state.lastSent = Number(ctr);
    else state.lastSentBig = ctr;
    const aad = small ? headerAad(state, Number(ctr), metadata) : bigHeaderAad(kid, ctr, metadata);
    const sealed = await aeadSeal(this.suite, state.keys, frameNonce(state.keys.salt, ctr), aad, plaintext);
    return { kid, ctr, header: aad.subarray(0, aad.length - metadata.length), sealed };
  }

  /**
   * The per-frame send path: `seal` under the KID's next counter, without BigInt work while counters are safe integers
   * (past 2^53 - 1 it takes `seal`'s path). Hands the header and ciphertext || tag to `finish` as soon as WebCrypto
   * answers, and resolves to what `finish` returns: a frame waits for the encryption and one hop after it. With
   * `parity`, the counter is the next one of that parity ({@link CounterParity}). Rejects as `seal` does, or with what
   * `finish` throws.
   */
  sealNext<T>(
    kid: bigint,
    metadata: Uint8Array,
    plaintext: Uint8Array,
    finish: (header: Uint8Array, sealed: Uint8Array) => T,
    parity?: CounterParity,
  ): Promise<T> {
    const state = this.#state(kid);
    let ctr = (state?.lastSent ?? -1) + 1;
    if (parity !== undefined && ctr % 2 !== parity) ctr++;
    if (state === undefined || state.lastSentBig !== undefined || ctr > Number.MAX_SAFE_INTEGER || !isParity(parity)) {
      const options = parity === undefined ? undefined : { parity };
      return this.seal(kid, metadata, plaintext, options).then(({ header, sealed }) => finish(header, sealed));
    }
    if (!(metadata instanceof Uint8Array) || !(plaintext instanceof Uint8Array)) {
      return Promise.reject(new TypeError('metadata and plaintext must be Uint8Arrays'));
    }
    // Reserved before anything can wait: two concurrent frames must never share a nonce.
    state.lastSent = ctr;
    const aad = headerAad(state, ctr, metadata);
    const nonce = frameNonceAt(state.keys.salt, ctr);
    const header = aad.subarray(0, aad.length - metadata.length);
    if (this.suite.aead === 'gcm' && checkGcmLength(this.suite, aad.length, plaintext.length)) {
      return gcmEncrypt(this.suite, state.keys, nonce, aad, plaintext).then((sealed) =>
        finish(header, new Uint8Array(sealed)),
      );
    }
    return aeadSeal(this.suite, state.keys, nonce, aad, plaintext).then((sealed) => finish(header, sealed));
  }

  /**
   * RFC 9605 §4.4.4. Never returns plaintext of a frame whose tag does not verify, and rejects only with SFrameError:
   * `header_truncated` / `header_non_minimal` (§4.3), `frame_too_short`, `unknown_kid`, `auth_failure`, `replay`.
   */
  async decrypt(metadata: Uint8Array, frame: Uint8Array): Promise<DecryptedFrame> {
    if (!(frame instanceof Uint8Array)) throw new SFrameError('invalid_input', 'SFrame: frame must be a Uint8Array');
    const header = decodeHeader(frame);
    return this.open(frame.subarray(0, header.length), header.kid, header.ctr, metadata, frame.subarray(header.length));
  }

  /**
   * Decrypts ciphertext || tag whose header (already parsed into kid and ctr) was written elsewhere. Same guarantees
   * and errors as `decrypt`.
   */
  async open(
    header: Uint8Array,
    kid: bigint,
    ctr: bigint,
    metadata: Uint8Array,
    sealed: Uint8Array,
  ): Promise<DecryptedFrame> {
    if (!(metadata instanceof Uint8Array) || !(sealed instanceof Uint8Array) || !(header instanceof Uint8Array)) {
      throw new SFrameError('invalid_input', 'SFrame: metadata and frame must be Uint8Arrays');
    }
    const aad = new Uint8Array(header.length + metadata.length);
    aad.set(header, 0);
    aad.set(metadata, header.length);
    const plaintext = await this.openAt(kid, ctr, aad, sealed);
    return { kid, ctr, plaintext };
  }

  /**
   * The per-frame receive path, and `open`'s: decrypts a frame whose AAD the caller already laid out (its SFrame
   * header, then the metadata: §4.4.3). A counter that is a safe integer (every real one) comes as a Number and takes
   * no BigInt work; the only wait is WebCrypto's. Rejects only with SFrameError, as `open`; resolves to the plaintext.
   */
  openAt(kid: bigint, ctr: number | bigint, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array> {
    if (sealed.length < this.suite.nt) return rejected('frame_too_short');
    const state = this.#state(kid);
    if (state === undefined) return rejected('unknown_kid', `SFrame: no key for KID ${kid}`);
    const small = typeof ctr === 'number';
    const window = state.window;
    if (small ? window.isReplayAt(ctr) : window.isReplay(ctr)) return rejected('replay');
    const nonce = small ? frameNonceAt(state.keys.salt, ctr) : frameNonce(state.keys.salt, ctr);
    // GCM: WebCrypto's own promise, so that a frame waits for one promise hop after the decryption, not two.
    const gcm = this.suite.aead === 'gcm';
    let opening: Promise<ArrayBuffer | Uint8Array>;
    try {
      opening = gcm
        ? gcmDecrypt(this.suite, state.keys, nonce, aad, sealed)
        : aeadOpen(this.suite, state.keys, nonce, aad, sealed);
    } catch (error) {
      return rejected('crypto_failure', `SFrame: ${String(error)}`);
    }
    return opening.then(
      (opened) => {
        // Re-check after the wait: the key may have been retired, or a duplicate may have won the race.
        if (state.retired) throw new SFrameError('unknown_kid', `SFrame: KID ${kid} was retired`);
        if (small ? window.isReplayAt(ctr) : window.isReplay(ctr)) throw new SFrameError('replay');
        if (small) window.acceptAt(ctr);
        else window.accept(ctr);
        return opened instanceof Uint8Array ? opened : new Uint8Array(opened);
      },
      (error: unknown) => {
        if (gcm) throw gcmFailure(error);
        throw error instanceof SFrameError ? error : new SFrameError('crypto_failure', `SFrame: ${String(error)}`);
      },
    );
  }

  /** The state of `kid`, if it has keys. */
  #state(kid: bigint): KeyState | undefined {
    if (kid === this.#lastKid) return this.#lastState;
    const state = this.#keys.get(kid);
    if (state !== undefined) {
      this.#lastKid = kid;
      this.#lastState = state;
    }
    return state;
  }

  #nextCounter(state: KeyState, explicit: bigint | undefined, parity: CounterParity | undefined): bigint {
    const last = state.lastSentBig ?? BigInt(state.lastSent);
    if (explicit === undefined) {
      let next = last + 1n;
      if (parity !== undefined && next % 2n !== BigInt(parity)) next++;
      if (next > MAX_U64) {
        throw new SFrameError('counter_exhausted', 'SFrame: counter space exhausted for this KID; use a new KID');
      }
      return next;
    }
    checkU64('ctr', explicit);
    if (explicit <= last) {
      throw new RangeError(`SFrame: counter ${explicit} is not above the last one used (${last})`);
    }
    if (parity !== undefined && explicit % 2n !== BigInt(parity)) {
      throw new RangeError(`SFrame: counter ${explicit} is not of parity ${parity}`);
    }
    return explicit;
  }

  #reserveKid(kid: bigint): void {
    if (this.#used.has(kid)) throw new RangeError(`SFrame: KID ${kid} already has or had a key; use a fresh KID`);
    this.#used.add(kid);
  }

  #install(kid: bigint, keys: FrameKeys): void {
    const probe = encodeHeader(kid, 0n);
    this.#keys.set(kid, {
      keys,
      kidConfig: (probe[0] ?? 0) & 0xf0,
      kidBytes: probe.subarray(1),
      lastSent: -1,
      lastSentBig: undefined,
      window: new ReplayWindow(this.#replayWindow),
      retired: false,
    });
  }

  #checkFrameKeys(keys: FrameKeys): void {
    const cs = this.suite;
    if (typeof keys !== 'object' || keys === null) throw new TypeError('SFrame: frame keys must be an object');
    const { key, authKey, salt } = keys;
    if (!(salt instanceof Uint8Array) || salt.length !== cs.nn)
      throw new TypeError(`SFrame: salt must be ${cs.nn} bytes`);
    if (!(key instanceof CryptoKey)) throw new TypeError('SFrame: key must be a CryptoKey');
    // The contexts that import keys are the ones that must never be able to read them (the page-side worker).
    if (key.extractable || authKey?.extractable) throw new TypeError('SFrame: frame keys must be non-extractable');
    const aes = key.algorithm as AesKeyAlgorithm;
    if (cs.aead === 'gcm') {
      if (aes.name !== 'AES-GCM' || aes.length !== cs.aesKeyLength * 8) {
        throw new TypeError(`SFrame: suite ${cs.id} needs an AES-GCM-${cs.aesKeyLength * 8} key`);
      }
      return;
    }
    if (aes.name !== 'AES-CTR' || aes.length !== cs.aesKeyLength * 8) {
      throw new TypeError(`SFrame: suite ${cs.id} needs an AES-CTR-${cs.aesKeyLength * 8} key`);
    }
    // The shape of the DOM lib's HmacKeyAlgorithm, which the WebWorker lib (src/worker's tsconfig) lacks.
    const hmac = authKey?.algorithm as { name: string; hash: KeyAlgorithm } | undefined;
    if (!(authKey instanceof CryptoKey) || hmac?.name !== 'HMAC' || hmac.hash.name !== cs.hash) {
      throw new TypeError(`SFrame: suite ${cs.id} needs an HMAC-${cs.hash} auth key`);
    }
  }
}
