/**
 * The attacker of test/browser/recording.test.ts (issue 15, "Proof that a recording stays closed"), in Node, after the
 * call: it holds every frame the SFU forwarded, the passphrase, the room label, the site origin and whatever else it
 * is handed as candidate key material (`Source`s: the participants' profile files, or the control's tapped secrets).
 *
 * 1. {@link readRecording}: parses each recorded frame as a receiver does (src/codecs `inspectFrame`), and
 *    reassembles the control messages per sender and stream (src/worker/control-inbox.ts).
 * 2. {@link passphraseKeys} and {@link openControl}: the room key (Argon2id, src/background/keys.ts), the epoch base
 *    keys and control keys (src/content/exchange/seal.ts); every STATE opened: pids, public keys, wraps.
 * 3. {@link openFrames}: a key as the RFC 9605 base key of a (participant, generation), through the project's own
 *    receive path (`SFrameContext` + `openLocated`): the proof that counts.
 * 4. {@link attack}: every distinct 16-byte window of every source as a sender key, every distinct 32-byte window as an
 *    X25519 private key; for `literal` sources also every 32-byte window through the full derivation (either party's
 *    private key of every recorded pair, and the pair's shared secret) and every 16-byte window as a key-encryption
 *    key. Hundreds of thousands of candidates cannot each take WebCrypto's promise round trips, so this runs
 *    ./attack-kernel.ts (node:crypto's synchronous primitives, on every core; {@link checkFastPrimitives} proves them
 *    equal to the project's code); whatever they find is opened again through step 3.
 *
 * Why a 32-byte window's public key is its test: a recorded wrap S→R opens only under KEK(S→R), which needs
 * X25519(e_S, pub_R) = X25519(e_R, pub_S). A window c gives that secret only if c·pub_R = ±e_S·pub_R (or c·pub_S =
 * ±e_R·pub_S), i.e. c ≡ ±e_S (or ±e_R) modulo the prime order after clamping, i.e. c·B has the u-coordinate pub_S (or
 * pub_R). So "c's public key is a participant's" is exactly "c unwraps a recorded wrap" (up to HKDF and AES-KW
 * collisions), at one scalar multiplication instead of one per public key plus a KEK per pair. A window that passes
 * goes through the full derivation and unwrap; `literal` sources go through it for every window regardless.
 */
import { deriveRoomKeyBytes, epochKeyBytes, importRoomKey, roomTagBytes } from '../../src/background/keys';
import {
  type Framing,
  inspectFrame,
  KidMemo,
  kidGeneration,
  kidParticipant,
  type Located,
  makeControlRegion,
  makeKid,
  openLocated,
  opus,
  protectFrame,
  SUITE_FOR_KIND,
  senderIdOf,
  vp8,
} from '../../src/codecs';
import { CONTROL_KEY_BITS, CONTROL_LABEL } from '../../src/content/exchange/constants';
import { deriveKek, wrapSenderKey } from '../../src/content/exchange/identity';
import { decodeState, type State } from '../../src/content/exchange/messages';
import { ControlKeys, open } from '../../src/content/exchange/seal';
import { deriveKeyMaterial, getCipherSuite, SFrameContext, SFrameError } from '../../src/sframe';
import { keyScheduleLabel } from '../../src/sframe/key-schedule';
import { frameNonceAt } from '../../src/sframe/suites';
import { bytesToHex, concatBytes } from '../../src/shared/bytes';
import type { MediaKind } from '../../src/shared/messages/schema';
import { ControlInbox } from '../../src/worker/control-inbox';
import {
  type KernelCounts,
  type KernelJob,
  type KernelPair,
  type KernelTarget,
  kernel,
  runParallel,
} from './attack-kernel';
import type { Source } from './profile-sources';
import type { EncodedFrame } from './rtp';

// ---- the recording --------------------------------------------------------------------------------------------------

/** One RTP stream the SFU forwarded, depacketized. */
export interface RecordedStream {
  publisher: string;
  kind: MediaKind;
  frames: readonly EncodedFrame[];
}

/** A recorded Framelock v4 frame, parsed as a receiver parses it. */
export interface RecordedFrame {
  publisher: string;
  framing: Framing;
  found: Located;
  kid: bigint;
  pid: bigint;
  genBits: number;
  /** The AAD and ciphertext || tag, exactly as a receiver hands them to AES-GCM. */
  aad: Uint8Array;
  sealed: Uint8Array;
}

export interface ControlMessage {
  publisher: string;
  kind: MediaKind;
  sender: bigint;
  bytes: Uint8Array;
}

export interface Recording {
  frames: RecordedFrame[];
  /** Frames that are not Framelock v4 frames, by what `inspectFrame` found (none expected). */
  other: Map<string, number>;
  /** Frames that carried a control region. */
  regions: number;
  messages: ControlMessage[];
}

const CLOCK_RATE: Readonly<Record<MediaKind, number>> = { audio: 48_000, video: 90_000 };

/**
 * The AAD and ciphertext || tag of a located frame, as the project's receive path builds them: `openLocated` hands
 * them to its context's `openAt`, so a context that only records what it is asked to open gives the same bytes.
 */
function sealedParts(framing: Framing, found: Located): { aad: Uint8Array; sealed: Uint8Array } | undefined {
  if (found.bigCtr !== undefined) return undefined; // a counter above 2^53: no sender gets there
  let parts: { aad: Uint8Array; sealed: Uint8Array } | undefined;
  const recorder = {
    suite: getCipherSuite(SUITE_FOR_KIND[framing.kind]),
    openAt(_kid: bigint, _ctr: number, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array> {
      parts = { aad: aad.slice(), sealed: sealed.slice() };
      return Promise.reject(new SFrameError('unknown_kid'));
    },
  };
  openLocated(recorder as unknown as SFrameContext, framing, found).catch(() => undefined);
  return parts;
}

/** Parses every recorded frame and reassembles the control messages, one inbox per stream as a receiver has. */
export function readRecording(streams: readonly RecordedStream[]): Recording {
  const recording: Recording = { frames: [], other: new Map(), regions: 0, messages: [] };
  for (const stream of streams) {
    const framing = stream.kind === 'audio' ? opus : vp8;
    const memo = new KidMemo();
    let now = 0;
    let sender = 0n;
    const inbox = new ControlInbox(
      (bytes) => recording.messages.push({ publisher: stream.publisher, kind: stream.kind, sender, bytes }),
      () => now,
    );
    const first = stream.frames[0]?.timestamp ?? 0;
    for (const frame of stream.frames) {
      // The inbox's clock (its time-outs): the RTP timestamp, as if received in real time.
      now = (((frame.timestamp - first) >>> 0) / CLOCK_RATE[stream.kind]) * 1_000;
      const seen = inspectFrame(framing, frame.data, memo);
      const parts = seen.protected ? sealedParts(framing, seen.found) : undefined;
      if (!seen.protected || parts === undefined) {
        const what = seen.protected ? 'counter above 2^53' : seen.found;
        recording.other.set(what, (recording.other.get(what) ?? 0) + 1);
        continue;
      }
      const pid = kidParticipant(seen.kid);
      if (seen.found.control !== undefined) {
        recording.regions++;
        sender = pid;
        inbox.take(pid, seen.found.control);
      }
      recording.frames.push({
        publisher: stream.publisher,
        framing,
        found: seen.found,
        kid: seen.kid,
        pid,
        genBits: kidGeneration(seen.kid),
        ...parts,
      });
    }
  }
  return recording;
}

// ---- what the passphrase gives ----------------------------------------------------------------------------------------

export interface PassphraseKeys {
  epochs: number[];
  /** Epoch base keys (16 bytes) by epoch: the pre-v4 media keys. */
  epochKeys: Map<number, Uint8Array>;
  /** Raw control keys (16 bytes) by epoch: they seal every exchange message. */
  controlKeys: Map<number, Uint8Array>;
  roomKey: Uint8Array;
  roomTag: Uint8Array;
  /** The project's control keys of these epochs, for `open`. */
  control: ControlKeys;
}

/** Everything the passphrase gives for `epochs`: the background's and the bridge's own derivations. */
export async function passphraseKeys(
  origin: string,
  label: string,
  passphrase: string,
  epochs: readonly number[],
): Promise<PassphraseKeys> {
  const roomKey = await deriveRoomKeyBytes(origin, label, passphrase);
  const room = await importRoomKey(roomKey);
  const epochKeys = new Map<number, Uint8Array>();
  const controlKeys = new Map<number, Uint8Array>();
  const imported = new Map<number, CryptoKey>();
  for (const epoch of epochs) {
    const bytes = await epochKeyBytes(room, epoch);
    epochKeys.set(epoch, bytes);
    const base = await crypto.subtle.importKey('raw', bytes, 'HKDF', false, ['deriveBits', 'deriveKey']);
    imported.set(epoch, base);
    const control = await crypto.subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: CONTROL_LABEL.slice() },
      base,
      CONTROL_KEY_BITS,
    );
    controlKeys.set(epoch, new Uint8Array(control));
  }
  return {
    epochs: [...epochs],
    epochKeys,
    controlKeys,
    roomKey,
    roomTag: await roomTagBytes(room),
    control: new ControlKeys((epoch) => imported.get(epoch)),
  };
}

/** The passphrase's keys as one source, so they go through the same windows as the profiles' bytes. */
export function passphraseSource(keys: PassphraseKeys): Source {
  return {
    name: 'keys the passphrase gives (room key, room tag, epoch base keys, control keys)',
    bytes: concatBytes(keys.roomKey, keys.roomTag, ...keys.epochKeys.values(), ...keys.controlKeys.values()),
    literal: true,
  };
}

// ---- the control messages -----------------------------------------------------------------------------------------

/** A sender key wrapped from one participant to another, as recorded. */
export interface RecordedWrap {
  from: bigint;
  to: bigint;
  /** The generation, mod 256 (its low 4 bits are the KIDs'). */
  gen: number;
  wrapped: Uint8Array;
}

export interface ControlIntel {
  /** Distinct STATEs opened (by nonce). */
  states: { state: State; epoch: number; publisher: string }[];
  /** Reassembled messages no epoch's control key opened, or that were no STATE. */
  refused: number;
  /** Copies of a message already opened (every stream carries each message). */
  copies: number;
  publicKeys: Map<bigint, Uint8Array>;
  wraps: RecordedWrap[];
}

/** Opens every reassembled message under the control key of each epoch in turn, as a receiver in that epoch would. */
export async function openControl(messages: readonly ControlMessage[], keys: PassphraseKeys): Promise<ControlIntel> {
  const intel: ControlIntel = { states: [], refused: 0, copies: 0, publicKeys: new Map(), wraps: [] };
  const nonces = new Set<string>();
  const wraps = new Set<string>();
  for (const message of messages) {
    let opened: Awaited<ReturnType<typeof open>>;
    for (const epoch of keys.epochs) {
      opened = await open(message.bytes, epoch, keys.control);
      if (opened !== undefined) break;
    }
    const state = opened === undefined ? undefined : decodeState(opened.plaintext);
    if (opened === undefined || state === undefined) {
      intel.refused++;
      continue;
    }
    const nonce = bytesToHex(opened.nonce);
    if (nonces.has(nonce)) {
      intel.copies++;
      continue;
    }
    nonces.add(nonce);
    intel.states.push({ state, epoch: opened.epoch, publisher: message.publisher });
    intel.publicKeys.set(state.pid, state.publicKey);
    for (const wrap of state.wraps) {
      const id = `${state.pid}:${wrap.pid}:${state.gen}:${bytesToHex(wrap.wrapped)}`;
      if (wraps.has(id)) continue;
      wraps.add(id);
      intel.wraps.push({ from: state.pid, to: wrap.pid, gen: state.gen, wrapped: wrap.wrapped });
    }
  }
  return intel;
}

// ---- opening frames with a key, the project's way ---------------------------------------------------------------------

/**
 * Frames of participant `pid` whose KIDs carry generation bits `genBits` that `baseKey` opens, through the receive
 * path of the extension (`SFrameContext.addKey` + `openLocated`), each KID in a context of its own.
 */
export async function openFrames(
  recording: Recording,
  pid: bigint,
  genBits: number,
  baseKey: Uint8Array,
): Promise<{ attempts: number; opened: number }> {
  const contexts = new Map<bigint, SFrameContext>();
  let attempts = 0;
  let opened = 0;
  for (const frame of recording.frames) {
    if (frame.pid !== pid || frame.genBits !== genBits) continue;
    let ctx = contexts.get(frame.kid);
    if (ctx === undefined) {
      ctx = new SFrameContext(SUITE_FOR_KIND[frame.framing.kind]);
      await ctx.addKey(frame.kid, baseKey);
      contexts.set(frame.kid, ctx);
    }
    attempts++;
    const plaintext = await openLocated(ctx, frame.framing, frame.found).catch(() => undefined);
    if (plaintext !== undefined) opened++;
  }
  return { attempts, opened };
}

/** The (participant, generation bits) pairs of the recording's frames: one sender key each. */
export function senderGenerations(recording: Recording): { pid: bigint; genBits: number; frames: number }[] {
  const out = new Map<string, { pid: bigint; genBits: number; frames: number }>();
  for (const frame of recording.frames) {
    const id = `${frame.pid}:${frame.genBits}`;
    const entry = out.get(id) ?? { pid: frame.pid, genBits: frame.genBits, frames: 0 };
    entry.frames++;
    out.set(id, entry);
  }
  return [...out.values()];
}

// ---- the fast path's targets and its check --------------------------------------------------------------------------

const ONE = Uint8Array.of(1);

/** The smallest frame of each (participant, generation): a 16-byte candidate is tried on it. */
function targetsOf(recording: Recording): { pid: bigint; genBits: number; target: KernelTarget }[] {
  const smallest = new Map<string, RecordedFrame>();
  for (const frame of recording.frames) {
    const id = `${frame.pid}:${frame.genBits}`;
    const held = smallest.get(id);
    if (held === undefined || frame.sealed.length < held.sealed.length) smallest.set(id, frame);
  }
  return [...smallest.values()].map((frame) => {
    const suite = getCipherSuite(SUITE_FOR_KIND[frame.framing.kind]);
    return {
      pid: frame.pid,
      genBits: frame.genBits,
      target: {
        keyInfo: concatBytes(keyScheduleLabel('key', frame.kid, suite.id), ONE),
        saltInfo: concatBytes(keyScheduleLabel('salt', frame.kid, suite.id), ONE),
        ctr: frame.found.ctr,
        aad: frame.aad,
        sealed: frame.sealed,
        tagLength: suite.nt,
      },
    };
  });
}

/**
 * Proves the kernel (./attack-kernel.ts) derives what the extension derives, end to end: frames protected by the
 * project's `protectFrame` (VP8 and Opus, with and without a control region) and read back by {@link readRecording}
 * open under their base key and not under another; the kernel's RFC 9605 keys equal `deriveKeyMaterial`'s and its
 * nonces `frameNonceAt`'s; and a sender key wrapped by the project's `wrapSenderKey` under its `deriveKek` unwraps
 * from the recipient's raw private key, which also gives the public key WebCrypto gave. Throws if not.
 */
export async function checkFastPrimitives(): Promise<void> {
  const base = crypto.getRandomValues(new Uint8Array(16));
  const kid = makeKid(5, senderIdOf(0x123456789abn, 1));
  for (const suite of [4, 0xf001]) {
    const expected = await deriveKeyMaterial(suite, base, kid);
    const prk = kernel.hkdfExtract(base);
    const key = kernel.hkdfExpand(prk, concatBytes(keyScheduleLabel('key', kid, suite), ONE), 16);
    const salt = kernel.hkdfExpand(prk, concatBytes(keyScheduleLabel('salt', kid, suite), ONE), 12);
    if (bytesToHex(key) !== bytesToHex(expected.sframeKey) || bytesToHex(salt) !== bytesToHex(expected.sframeSalt)) {
      throw new Error(`kernel's RFC 9605 key schedule differs from deriveKeyMaterial (suite ${suite})`);
    }
    for (const ctr of [0, 1, 255, 65_537, 2 ** 40 + 3]) {
      if (bytesToHex(kernel.frameNonce(salt, ctr)) !== bytesToHex(frameNonceAt(salt, ctr))) {
        throw new Error(`kernel's nonce differs from frameNonceAt (counter ${ctr})`);
      }
    }
  }

  const streams: RecordedStream[] = [];
  for (const [framing, frame] of [
    [vp8, Uint8Array.from([0x31, 0x02, 0x00, ...crypto.getRandomValues(new Uint8Array(300))])],
    [opus, Uint8Array.from([0x78, ...crypto.getRandomValues(new Uint8Array(60))])],
  ] as const) {
    const ctx = new SFrameContext(SUITE_FOR_KIND[framing.kind]);
    const trackKid = makeKid(5, senderIdOf(0x123456789abn, framing.kind === 'audio' ? 0 : 1));
    await ctx.addKey(trackKid, base);
    const frames: EncodedFrame[] = [];
    for (const control of [undefined, makeControlRegion(Uint8Array.of(1, 2, 3), 0, 0, 0)]) {
      const out = await protectFrame(ctx, trackKid, framing, frame, control);
      frames.push({ timestamp: frames.length, data: out.frame, keyframe: false, complete: true });
    }
    streams.push({ publisher: 'check', kind: framing.kind, frames });
  }
  const recording = readRecording(streams);
  const other = crypto.getRandomValues(new Uint8Array(16));
  for (const frame of recording.frames) {
    const [target] = targetsOf({ ...recording, frames: [frame] }).map((t) => t.target);
    if (target === undefined || !kernel.opensFrame(kernel.hkdfExtract(base), target)) {
      throw new Error(`the kernel does not open a ${frame.framing.name} frame protectFrame made`);
    }
    if (kernel.opensFrame(kernel.hkdfExtract(other), target))
      throw new Error('the kernel opens a frame with a wrong key');
  }
  if (recording.frames.length !== 4 || recording.regions !== 2) throw new Error('readRecording lost a check frame');

  const pair = async () => {
    const keys = (await crypto.subtle.generateKey({ name: 'X25519' }, true, ['deriveBits'])) as CryptoKeyPair;
    const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey));
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
    return { identity: { privateKey: keys.privateKey, publicKey }, raw: pkcs8.slice(-32) };
  };
  const [sender, recipient] = [await pair(), await pair()];
  const kek = await deriveKek(sender.identity, recipient.identity.publicKey, 'send');
  if (kek === undefined) throw new Error('deriveKek refused a fresh key pair');
  const container = await crypto.subtle.importKey('raw', base, { name: 'AES-GCM' }, true, ['encrypt']);
  const wrapped = await wrapSenderKey(container, kek);
  if (kernel.publicKeyOf(recipient.raw) !== Buffer.from(recipient.identity.publicKey).toString('base64url')) {
    throw new Error("the kernel's X25519 import does not give the public key WebCrypto gives");
  }
  const publicKeys = [sender.identity.publicKey, recipient.identity.publicKey];
  const derived = kernel.deriveKeks(recipient.raw, publicKeys, [{ s: 0, r: 1, wrapped }]);
  const opened = derived.map((d) => kernel.unwrap(d.kek, wrapped)).find((k) => k !== undefined);
  if (opened === undefined || bytesToHex(opened) !== bytesToHex(base)) {
    throw new Error("the kernel's KEK and AES-KW unwrap do not open what wrapSenderKey wrapped");
  }
}

// ---- the attack -------------------------------------------------------------------------------------------------------

/** A sender key the attacker found, and how. */
export interface FoundKey {
  pid: bigint;
  genBits: number;
  key: Uint8Array;
  how: string;
}

/** What one pass of windows did: how many, how many distinct, the kernel's counts, and how long. */
export interface WindowPass {
  windows: number;
  distinct: number;
  counts: KernelCounts;
  ms: number;
}

export interface AttackReport {
  sources: number;
  bytes: number;
  /** (participant, generation) pairs each 16-byte candidate was tried on. */
  targets: number;
  /** 16-byte windows of every source as sender keys. */
  senderKeys: WindowPass;
  /** 32-byte windows of every source as X25519 private keys (the public key test). */
  privateKeys: WindowPass;
  /** `literal` sources: 32-byte windows through the full derivation, 16-byte windows as KEKs. */
  literalSources: number;
  literalBytes: number;
  fullDerivation: WindowPass;
  keks: WindowPass;
  /** 32-byte windows whose public key is a participant's. */
  identities: { pid: bigint; source: string }[];
  unwrapped: { from: bigint; to: bigint; gen: number; how: string }[];
  keys: FoundKey[];
  /** Frames opened through the extension's receive path with every key found, by participant. */
  opened: Map<bigint, number>;
  msConfirm: number;
}

/** Distinct windows of `width` bytes over `sources`, back to back, with the source each came from first. */
function distinctWindows(
  sources: readonly Source[],
  width: number,
): { windows: number; packed: Uint8Array; from: number[] } {
  const seen = new Set<string>();
  const chunks: Buffer[] = [];
  const from: number[] = [];
  let windows = 0;
  sources.forEach((source, index) => {
    const buffer = Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength);
    for (let at = 0; at + width <= buffer.length; at++) {
      windows++;
      const window = buffer.toString('latin1', at, at + width);
      if (seen.has(window)) continue;
      seen.add(window);
      chunks.push(buffer.subarray(at, at + width));
      from.push(index);
    }
  });
  return { windows, packed: new Uint8Array(Buffer.concat(chunks)), from };
}

/** One pass of `job` over the distinct `width`-byte windows of `sources`, on every core. */
async function pass(
  sources: readonly Source[],
  width: number,
  job: KernelJob,
): Promise<WindowPass & { hits: { window: Uint8Array; detail: number; source: string }[] }> {
  const start = performance.now();
  const { windows, packed, from } = distinctWindows(sources, width);
  const result = await runParallel(job, packed, width);
  return {
    windows,
    distinct: from.length,
    counts: result.counts,
    ms: performance.now() - start,
    hits: result.hits.map(([index, detail]) => ({
      window: packed.slice(index * width, (index + 1) * width),
      detail,
      source: sources[from[index] ?? -1]?.name ?? '?',
    })),
  };
}

/**
 * Tries every window of every source as the module's header says, and opens the recording with whatever it finds.
 * `intel` is what the control messages told (public keys, wraps).
 */
export async function attack(
  recording: Recording,
  intel: ControlIntel,
  sources: readonly Source[],
): Promise<AttackReport> {
  const targets = targetsOf(recording);
  const pids = [...intel.publicKeys.keys()];
  const publicKeys = pids.map((pid) => intel.publicKeys.get(pid) as Uint8Array);
  /** Recorded wraps by ordered pair whose public keys are both known. */
  const pairWraps = new Map<string, RecordedWrap[]>();
  for (const wrap of intel.wraps) {
    if (!intel.publicKeys.has(wrap.from) || !intel.publicKeys.has(wrap.to)) continue;
    const id = `${wrap.from}:${wrap.to}`;
    pairWraps.set(id, [...(pairWraps.get(id) ?? []), wrap]);
  }
  const pairList = [...pairWraps.values()];
  const pairs: KernelPair[] = pairList.map((wraps) => {
    const first = wraps[0] as RecordedWrap;
    return { s: pids.indexOf(first.from), r: pids.indexOf(first.to), wrapped: first.wrapped };
  });

  const keys: FoundKey[] = [];
  const unwrapped: AttackReport['unwrapped'] = [];
  const seen = new Set<string>();
  const foundKey = (key: FoundKey) => {
    const id = `${key.pid}:${key.genBits}:${bytesToHex(key.key)}`;
    if (!seen.has(id)) keys.push(key);
    seen.add(id);
  };
  /** A KEK that opened a pair's wrap: every wrap of the pair, every generation, opens with it. */
  const openPair = (kek: Uint8Array, pair: number, how: string) => {
    for (const wrap of pairList[pair] ?? []) {
      const key = kernel.unwrap(kek, wrap.wrapped);
      if (key === undefined) continue;
      const id = `wrap:${wrap.from}:${wrap.to}:${bytesToHex(wrap.wrapped)}`;
      if (!seen.has(id)) unwrapped.push({ from: wrap.from, to: wrap.to, gen: wrap.gen, how });
      seen.add(id);
      foundKey({ pid: wrap.from, genBits: wrap.gen % 16, key, how: `unwrapped (${how})` });
    }
  };
  /** The full derivation of one 32-byte window, on this thread: every KEK it gives, every wrap that opens. */
  const deriveFully = (window: Uint8Array, source: string) => {
    for (const derived of kernel.deriveKeks(window, publicKeys, pairs)) {
      const pair = pairs[derived.pair] as KernelPair;
      if (kernel.unwrap(derived.kek, pair.wrapped) === undefined) continue;
      const role =
        derived.role === 'shared secret'
          ? "the pair's X25519 shared secret"
          : `the ${derived.role}'s X25519 private key`;
      openPair(derived.kek, derived.pair, `32-byte window of ${source} as ${role}`);
    }
  };

  const senderKeys = await pass(sources, 16, { kind: 'sender-keys', targets: targets.map((t) => t.target) });
  for (const hit of senderKeys.hits) {
    const t = targets[hit.detail];
    if (t) foundKey({ pid: t.pid, genBits: t.genBits, key: hit.window, how: `16-byte window of ${hit.source}` });
  }
  const privateKeys = await pass(sources, 32, { kind: 'public-keys', publicKeys });
  const identities = privateKeys.hits.map((hit) => ({ pid: pids[hit.detail] as bigint, source: hit.source }));
  for (const hit of privateKeys.hits) deriveFully(hit.window, hit.source);
  const literal = sources.filter((s) => s.literal);
  const fullDerivation = await pass(literal, 32, { kind: 'full-derivation', publicKeys, pairs });
  for (const hit of fullDerivation.hits) deriveFully(hit.window, hit.source);
  const keks = await pass(literal, 16, { kind: 'keks', pairs });
  for (const hit of keks.hits) openPair(hit.window, hit.detail, `16-byte window of ${hit.source} as the KEK`);

  // Whatever was found opens frames only if the extension's own receive path says so.
  const start = performance.now();
  const opened = new Map<bigint, number>();
  for (const key of keys) {
    const result = await openFrames(recording, key.pid, key.genBits, key.key);
    opened.set(key.pid, (opened.get(key.pid) ?? 0) + result.opened);
  }
  const strip = ({ hits: _, ...rest }: WindowPass & { hits: unknown }): WindowPass => rest;
  return {
    sources: sources.length,
    bytes: sources.reduce((sum, s) => sum + s.bytes.length, 0),
    targets: targets.length,
    senderKeys: strip(senderKeys),
    privateKeys: strip(privateKeys),
    literalSources: literal.length,
    literalBytes: literal.reduce((sum, s) => sum + s.bytes.length, 0),
    fullDerivation: strip(fullDerivation),
    keks: strip(keks),
    identities,
    unwrapped,
    keys,
    opened,
    msConfirm: performance.now() - start,
  };
}
