/**
 * The hot loops of test/browser/recording.test.ts's attacker (./recording-attack.ts): hundreds of thousands of
 * candidate keys, each tried with node:crypto's synchronous primitives (WebCrypto's promise per call would make it
 * hours), on every core. The same derivations as the extension's, checked against its code by
 * `checkFastPrimitives` (./recording-attack.ts):
 *
 * ```
 * frame keys   RFC 9605 §4.4.2  prk = HMAC-SHA256(salt = empty, base_key); key = T(1) of "SFrame 1.0 Secret key "
 *                               || KID || suite, 16 bytes; salt = T(1) of "SFrame 1.0 Secret salt " || ..., 12 bytes
 * frame nonce  RFC 9605 §4.4.3  salt XOR CTR (big-endian, right-aligned); AES-128-GCM with the suite's tag length
 * KEK(S→R)     identity.ts      HKDF-SHA256(X25519(e_S, pub_R), info = "Framelock v4 wrap" || pub_S || pub_R), 16 bytes
 * unwrap       RFC 3394         AES-KW with the default IV
 * ```
 *
 * {@link attackKernel} takes node:crypto as its only input and refers to nothing outside itself, so that its source
 * can run as a worker thread (`new Worker(source, { eval: true })`): the main thread and the workers run the same code.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** One recorded frame a 16-byte candidate is tried on (the smallest of a (participant, generation)). */
export interface KernelTarget {
  /** The key schedule labels (label || KID || suite) || 0x01: HKDF-Expand's T(1) input. */
  keyInfo: Uint8Array;
  saltInfo: Uint8Array;
  ctr: number;
  aad: Uint8Array;
  /** ciphertext || tag. */
  sealed: Uint8Array;
  tagLength: number;
}

/** A recorded ordered pair with a wrap: indices into the job's public keys, and the pair's first wrap. */
export interface KernelPair {
  s: number;
  r: number;
  wrapped: Uint8Array;
}

/**
 * - `sender-keys`: each 16-byte window as a sender key: hit [window, target] when it opens the target frame.
 * - `public-keys`: each 32-byte window as an X25519 private key: hit [window, key] when its public key is that one.
 * - `full-derivation`: each 32-byte window as either party's private key of every pair (X25519 with the other's
 *   public key) and as the pair's shared secret: hit [window, pair] when a KEK opens the pair's wrap.
 * - `keks`: each 16-byte window as every pair's KEK: hit [window, pair].
 */
export type KernelJob =
  | { kind: 'sender-keys'; targets: KernelTarget[] }
  | { kind: 'public-keys'; publicKeys: Uint8Array[] }
  | { kind: 'full-derivation'; publicKeys: Uint8Array[]; pairs: KernelPair[] }
  | { kind: 'keks'; pairs: KernelPair[] };

export interface KernelCounts {
  windows: number;
  /** Windows X25519 took as a private key. */
  privateKeys: number;
  dh: number;
  keks: number;
  unwraps: number;
  frames: number;
}

export interface KernelResult {
  hits: [number, number][];
  counts: KernelCounts;
}

/** What a KEK derivation tried: the pair, the window's role, the KEK. */
export interface DerivedKek {
  pair: number;
  role: 'sender' | 'recipient' | 'shared secret';
  kek: Uint8Array;
}

/** The fast primitives and the job loop. Self-contained: see the module header. */
export function attackKernel(nodeCrypto: typeof import('node:crypto')) {
  const { createDecipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman } = nodeCrypto;
  const empty = new Uint8Array(0);
  const one = Uint8Array.of(1);
  const kwIv = Uint8Array.of(0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6);
  const wrapLabel = new TextEncoder().encode('Framelock v4 wrap');
  const b64 = (bytes: Uint8Array): string =>
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
  const concat = (...parts: Uint8Array[]): Uint8Array => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  };

  /** HKDF-SHA256 (RFC 5869) with an empty salt, outputs of at most 32 bytes: T(1) = HMAC(PRK, info || 0x01). */
  const hkdfExtract = (ikm: Uint8Array): Uint8Array => createHmac('sha256', empty).update(ikm).digest();
  const hkdfExpand = (prk: Uint8Array, infoAndOne: Uint8Array, length: number): Uint8Array =>
    createHmac('sha256', prk).update(infoAndOne).digest().subarray(0, length);

  /** RFC 9605 §4.4.3: the salt XOR the counter, right-aligned big-endian (12-byte nonce, 64-bit counter). */
  const frameNonce = (salt: Uint8Array, ctr: number): Uint8Array => {
    const nonce = Uint8Array.from(salt);
    let value = BigInt(ctr);
    for (let i = 11; i >= 4; i--, value >>= 8n) nonce[i] = (nonce[i] ?? 0) ^ Number(value & 0xffn);
    return nonce;
  };

  /** Whether the base key whose HKDF PRK is `prk` opens the target frame (AES-128-GCM, the suite's tag). */
  const opensFrame = (prk: Uint8Array, target: KernelTarget): boolean => {
    const key = hkdfExpand(prk, target.keyInfo, 16);
    const nonce = frameNonce(hkdfExpand(prk, target.saltInfo, 12), target.ctr);
    const tagAt = target.sealed.length - target.tagLength;
    try {
      const decipher = createDecipheriv('aes-128-gcm', key, nonce, { authTagLength: target.tagLength });
      decipher.setAAD(target.aad);
      decipher.update(target.sealed.subarray(0, tagAt));
      decipher.setAuthTag(target.sealed.subarray(tagAt));
      decipher.final();
      return true;
    } catch {
      return false;
    }
  };

  /** 32 raw bytes as an X25519 private key (RFC 8410's private key: the 32 bytes PKCS#8 wraps), if X25519 takes it. */
  const x25519Private = (raw: Uint8Array) => {
    try {
      // The same key as a PKCS#8 import of these bytes (RFC 8410 wraps exactly them), without OpenSSL's PKCS#8 decoder,
      // which costs ~0.5 ms a key here. Node reads a private OKP JWK from `d` (`x` must be a string, and is not checked
      // against `d`): checkFastPrimitives compares the public key it gives with WebCrypto's.
      return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(raw), x: '' }, format: 'jwk' });
    } catch {
      return undefined;
    }
  };
  const x25519Public = (raw: Uint8Array) =>
    createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64(raw) }, format: 'jwk' });
  /** The raw public key of 32 bytes taken as a private key, base64url; undefined if X25519 refuses them. */
  const publicKeyOf = (raw: Uint8Array): string | undefined => {
    const privateKey = x25519Private(raw);
    return privateKey === undefined ? undefined : createPublicKey(privateKey).export({ format: 'jwk' }).x;
  };

  const kekFrom = (shared: Uint8Array, pubS: Uint8Array, pubR: Uint8Array): Uint8Array =>
    hkdfExpand(hkdfExtract(shared), concat(wrapLabel, pubS, pubR, one), 16);

  /** AES-KW unwrap (RFC 3394); undefined when its integrity check fails. */
  const unwrap = (kek: Uint8Array, wrapped: Uint8Array): Uint8Array | undefined => {
    try {
      const decipher = createDecipheriv('id-aes128-wrap', kek, kwIv);
      return new Uint8Array(Buffer.concat([decipher.update(wrapped), decipher.final()]));
    } catch {
      return undefined;
    }
  };

  /**
   * Every KEK a 32-byte window gives for each pair: as the sender's private key (X25519 with pub_R), as the
   * recipient's (with pub_S), and as the shared secret itself.
   */
  const deriveKeks = (
    raw: Uint8Array,
    publicKeys: readonly Uint8Array[],
    pairs: readonly KernelPair[],
    counts?: KernelCounts,
  ): DerivedKek[] => {
    const out: DerivedKek[] = [];
    const privateKey = x25519Private(raw);
    const shared: (Uint8Array | undefined)[] = [];
    if (privateKey !== undefined) {
      if (counts) counts.privateKeys++;
      for (const pub of publicKeys) {
        if (counts) counts.dh++;
        try {
          shared.push(diffieHellman({ privateKey, publicKey: x25519Public(pub) }));
        } catch {
          shared.push(undefined); // a low-order result
        }
      }
    }
    pairs.forEach((pair, index) => {
      const pubS = publicKeys[pair.s] as Uint8Array;
      const pubR = publicKeys[pair.r] as Uint8Array;
      const asSender = shared[pair.r];
      const asRecipient = shared[pair.s];
      if (asSender) out.push({ pair: index, role: 'sender', kek: kekFrom(asSender, pubS, pubR) });
      if (asRecipient) out.push({ pair: index, role: 'recipient', kek: kekFrom(asRecipient, pubS, pubR) });
      out.push({ pair: index, role: 'shared secret', kek: kekFrom(raw, pubS, pubR) });
    });
    if (counts) counts.keks += out.length;
    return out;
  };

  /** Runs a job on `windows` (`width` bytes each, back to back); hit indices count from `first`. */
  const runJob = (job: KernelJob, windows: Uint8Array, width: number, first: number): KernelResult => {
    const counts: KernelCounts = { windows: 0, privateKeys: 0, dh: 0, keks: 0, unwraps: 0, frames: 0 };
    const hits: [number, number][] = [];
    const publicKeys = job.kind === 'public-keys' ? job.publicKeys.map(b64) : [];
    for (let at = 0, index = first; at + width <= windows.length; at += width, index++) {
      const raw = windows.subarray(at, at + width);
      counts.windows++;
      if (job.kind === 'sender-keys') {
        const prk = hkdfExtract(raw);
        job.targets.forEach((target, t) => {
          counts.frames++;
          if (opensFrame(prk, target)) hits.push([index, t]);
        });
      } else if (job.kind === 'public-keys') {
        const pub = publicKeyOf(raw);
        if (pub !== undefined) counts.privateKeys++;
        const match = pub === undefined ? -1 : publicKeys.indexOf(pub);
        if (match >= 0) hits.push([index, match]);
      } else if (job.kind === 'full-derivation') {
        for (const derived of deriveKeks(raw, job.publicKeys, job.pairs, counts)) {
          counts.unwraps++;
          if (unwrap(derived.kek, (job.pairs[derived.pair] as KernelPair).wrapped)) hits.push([index, derived.pair]);
        }
      } else {
        job.pairs.forEach((pair, p) => {
          counts.keks++;
          counts.unwraps++;
          if (unwrap(raw, pair.wrapped)) hits.push([index, p]);
        });
      }
    }
    return { hits, counts };
  };

  return { hkdfExtract, hkdfExpand, frameNonce, opensFrame, publicKeyOf, kekFrom, unwrap, deriveKeks, runJob };
}

export type AttackKernel = ReturnType<typeof attackKernel>;

/** The kernel on this thread (for the few candidates that hit, and the checks). */
export const kernel: AttackKernel = attackKernel(createRequire(import.meta.url)('node:crypto'));

/**
 * A worker's source: the kernel, compiled as the test runs it, evaluated with node:crypto. Stack traces are off: every
 * wrong candidate throws in node:crypto (GCM and AES-KW report a failed check by throwing), and capturing a stack for
 * each costs more than the check.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
Error.stackTraceLimit = 0;
const kernel = (${attackKernel.toString()})(require('node:crypto'));
const { job, windows, width, first } = workerData;
parentPort.postMessage(kernel.runJob(job, windows, width, first));
`;

/** Worker threads used: one per core, at most 4. */
export const THREADS = Math.max(1, Math.min(4, availableParallelism()));

/** Runs `job` on `windows` (`width` bytes each) split over {@link THREADS} worker threads. */
export async function runParallel(job: KernelJob, windows: Uint8Array, width: number): Promise<KernelResult> {
  const count = Math.floor(windows.length / width);
  const per = Math.ceil(count / THREADS);
  const parts: Promise<KernelResult>[] = [];
  for (let first = 0; first < count; first += per) {
    const chunk = windows.slice(first * width, Math.min(count, first + per) * width);
    parts.push(
      new Promise<KernelResult>((resolve, reject) => {
        const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { job, windows: chunk, width, first } });
        worker.once('message', (result: KernelResult) => {
          resolve(result);
          void worker.terminate();
        });
        worker.once('error', reject);
        worker.once('exit', (code) => {
          if (code !== 0) reject(new Error(`attack worker exited with ${code}`));
        });
      }),
    );
  }
  const results = await Promise.all(parts);
  const counts: KernelCounts = { windows: 0, privateKeys: 0, dh: 0, keks: 0, unwraps: 0, frames: 0 };
  for (const result of results) {
    for (const key of Object.keys(counts) as (keyof KernelCounts)[]) counts[key] += result.counts[key];
  }
  return { hits: results.flatMap((r) => r.hits), counts };
}
