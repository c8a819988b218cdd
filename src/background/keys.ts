/**
 * @module Room keys, passphrase mode, protocol v2 (background only: the room key never leaves this realm).
 *
 * ```
 * passphrase ──normalizePassphrase, UTF-8──▶ Argon2id v1.3 (m = 64 MiB, t = 4, p = 1, 32 bytes,
 *            salt = UTF-8("Framelock v2 room\0" || origin || "\0" || room label)) ──▶ room key
 *                                                 (non-extractable HKDF CryptoKey, stored in IndexedDB)
 * room key ──HKDF-SHA256(salt = empty, info = UTF-8("Framelock v2 epoch base key") || uint64_be(epoch), 16 bytes)──▶
 *            epoch base key (sent to the content bridges of the room's tabs, which derive per-sender frame keys
 *            with the RFC 9605 key schedule)
 * room key ──HKDF-SHA256(salt = empty, info = UTF-8("Framelock v2 safety words"), 8 bytes)──▶ 5 safety words
 * ```
 *
 * Every constant below is **protocol**: participants derive the same keys only if they use the same values, so a
 * change needs a new protocol version (and the known answers in `test/unit/keys.test.ts` redone on purpose).
 * docs/keys.md explains the choices. The passphrase is never stored: it lives only for the duration of
 * {@link deriveRoomKey}.
 */
import { argon2id } from 'hash-wasm';
import { PASSPHRASE_LENGTH } from '../shared/messages';
import { normalizePassphrase, normalizeRoomLabel } from '../shared/normalize';
import { isNormalizedOrigin } from '../shared/origin';
import { SAFETY_WORD_COUNT, wordsFromBits } from '../shared/words';

/**
 * Argon2id (RFC 9106) parameters. 64 MiB and 4 passes take ~0.4 s on this project's CI cores and ~0.5-1 s on a
 * mid-range laptop: each guess at a passphrase costs an attacker (who can test guesses offline against any frame of
 * a recorded call) as much memory-hard work. One lane: the extension computes it on one thread, and more lanes
 * would only help an attacker's parallel hardware relative to us.
 */
export const ARGON2ID = Object.freeze({
  memoryKiB: 65_536,
  iterations: 4,
  parallelism: 1,
  /** Argon2 version 0x13 (1.3), the only one hash-wasm and RFC 9106 define. */
  version: 0x13,
});
/** Salt prefix; the NULs separate it, the origin and the room label unambiguously (neither may contain a NUL). */
export const ROOM_SALT_PREFIX = 'Framelock v2 room\0';
/** Room key length in bytes (the HKDF input keying material). */
export const ROOM_KEY_LENGTH = 32;
/** Shortest and longest passphrase accepted, in UTF-16 code units (before normalisation). */
export const PASSPHRASE_MIN_LENGTH: number = PASSPHRASE_LENGTH.min;
export const PASSPHRASE_MAX_LENGTH: number = PASSPHRASE_LENGTH.max;

/** HKDF info label of an epoch base key; the epoch follows it as an unsigned 64-bit big-endian integer. */
export const EPOCH_KEY_INFO_LABEL = 'Framelock v2 epoch base key';
/** Epoch base key length in bytes: an SFrame `base_key` for the AES-128 suites (RFC 9605 §4.4.2). */
export const EPOCH_KEY_LENGTH = 16;
/** HKDF info label of the safety-word fingerprint. */
export const SAFETY_WORDS_INFO_LABEL = 'Framelock v2 safety words';
/** Hash of every HKDF in the hierarchy (RFC 5869); their salts are empty. */
export const HKDF_HASH = 'SHA-256';

export { normalizePassphrase, normalizeRoomLabel, type RoomLabelResult } from '../shared/normalize';

const utf8 = new TextEncoder();

/** The Argon2id salt of a room: UTF-8({@link ROOM_SALT_PREFIX} || origin || "\0" || normalised label). */
export function roomSalt(origin: string, label: string): Uint8Array<ArrayBuffer> {
  return utf8.encode(`${ROOM_SALT_PREFIX}${origin}\0${label}`);
}

/**
 * Derives the room key of (`origin`, `label`) from `passphrase` with Argon2id ({@link ARGON2ID}).
 *
 * @param label a room label already normalised by {@link normalizeRoomLabel} ("" for the default room).
 * @returns a non-extractable HKDF `CryptoKey` usable only for `deriveBits`.
 * @throws TypeError if `origin` is not a normalised origin, `label` not a normalised label or `passphrase` not a
 *   string; RangeError if the passphrase is empty (after normalisation) or longer than {@link PASSPHRASE_MAX_LENGTH}.
 */
export async function deriveRoomKey(origin: string, label: string, passphrase: string): Promise<CryptoKey> {
  const bytes = await deriveRoomKeyBytes(origin, label, passphrase);
  try {
    return await importRoomKey(bytes);
  } finally {
    bytes.fill(0);
  }
}

/**
 * The room key's bytes, for a site whose keys are kept in memory only (`rememberKeys: false`, session-keys.ts): the
 * caller stores them in `storage.session` and must wipe this copy. Same checks and throws as {@link deriveRoomKey}.
 */
export async function deriveRoomKeyBytes(
  origin: string,
  label: string,
  passphrase: string,
): Promise<Uint8Array<ArrayBuffer>> {
  if (!isNormalizedOrigin(origin)) throw new TypeError('deriveRoomKey: origin is not a normalised http(s) origin');
  const checked = normalizeRoomLabel(label);
  if (!checked.ok || checked.label !== label) throw new TypeError('deriveRoomKey: label is not a normalised label');
  if (typeof passphrase !== 'string') throw new TypeError('deriveRoomKey: passphrase must be a string');
  const normalized = passphrase.length <= PASSPHRASE_MAX_LENGTH ? normalizePassphrase(passphrase) : '';
  if (normalized.length < PASSPHRASE_MIN_LENGTH || passphrase.length > PASSPHRASE_MAX_LENGTH) {
    // Never put the passphrase (or its length beyond the bounds) into an error message.
    throw new RangeError(
      `deriveRoomKey: passphrase must be ${PASSPHRASE_MIN_LENGTH} to ${PASSPHRASE_MAX_LENGTH} characters`,
    );
  }
  const secret = utf8.encode(normalized);
  let roomKeyBytes: Uint8Array | undefined;
  try {
    roomKeyBytes = await argon2id({
      password: secret,
      salt: roomSalt(origin, label),
      iterations: ARGON2ID.iterations,
      memorySize: ARGON2ID.memoryKiB,
      parallelism: ARGON2ID.parallelism,
      hashLength: ROOM_KEY_LENGTH,
      outputType: 'binary',
    });
    return new Uint8Array(roomKeyBytes);
  } finally {
    secret.fill(0);
    roomKeyBytes?.fill(0);
  }
}

/**
 * Imports room key bytes as a non-extractable HKDF key (WebCrypto refuses extractable HKDF keys, which is what we
 * want). The caller still owns and wipes `bytes`.
 *
 * @throws RangeError if `bytes` is not {@link ROOM_KEY_LENGTH} long.
 */
export async function importRoomKey(bytes: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  if (!(bytes instanceof Uint8Array) || bytes.length !== ROOM_KEY_LENGTH) {
    throw new RangeError(`importRoomKey: a room key is ${ROOM_KEY_LENGTH} bytes`);
  }
  return crypto.subtle.importKey('raw', bytes, 'HKDF', false, ['deriveBits']);
}

function assertRoomKey(roomKey: CryptoKey, caller: string): void {
  if (!(roomKey instanceof CryptoKey) || roomKey.algorithm.name !== 'HKDF' || !roomKey.usages.includes('deriveBits')) {
    throw new TypeError(`${caller}: roomKey must be an HKDF CryptoKey with the deriveBits usage`);
  }
}

async function hkdf(
  roomKey: CryptoKey,
  info: Uint8Array<ArrayBuffer>,
  length: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: HKDF_HASH, salt: new Uint8Array(0), info },
    roomKey,
    length * 8,
  );
  return new Uint8Array(bits);
}

/**
 * Derives the epoch base key of `epoch` from a room key: HKDF-SHA256 with an empty salt and info =
 * UTF-8({@link EPOCH_KEY_INFO_LABEL}) || uint64_be(epoch), {@link EPOCH_KEY_LENGTH} bytes.
 *
 * @returns fresh bytes owned by the caller, who must wipe them (`fill(0)`) once sent or imported.
 * @throws TypeError if `roomKey` is not an HKDF `CryptoKey` allowed to `deriveBits`; RangeError if `epoch` is not an
 *   integer in [0, 2^53 - 1].
 */
export async function epochKeyBytes(roomKey: CryptoKey, epoch: number): Promise<Uint8Array<ArrayBuffer>> {
  assertRoomKey(roomKey, 'epochKeyBytes');
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new RangeError('epochKeyBytes: epoch must be an integer from 0 to 2^53 - 1');
  }
  const label = utf8.encode(EPOCH_KEY_INFO_LABEL);
  const info = new Uint8Array(label.length + 8);
  info.set(label);
  new DataView(info.buffer).setBigUint64(label.length, BigInt(epoch)); // big-endian by default
  return hkdf(roomKey, info, EPOCH_KEY_LENGTH);
}

/** HKDF info label of the room tag (protocol v4: docs/keys.md, "Per-call words"). */
export const ROOM_TAG_INFO_LABEL = 'Framelock v4 room tag';
/** Bytes of the room tag. */
export const ROOM_TAG_LENGTH = 16;

/**
 * The room tag: HKDF-SHA256(room key, info = UTF-8({@link ROOM_TAG_INFO_LABEL}), 16 bytes). The content bridge mixes it
 * into the per-call words, so those words also name the room: two calls on different passphrases or rooms never show
 * the same words. It opens nothing (no frame, no exchange message), and tells a passphrase guesser no more than a
 * recorded frame does.
 *
 * @returns fresh bytes owned by the caller, who must wipe them once sent.
 */
export async function roomTagBytes(roomKey: CryptoKey): Promise<Uint8Array<ArrayBuffer>> {
  assertRoomKey(roomKey, 'roomTagBytes');
  return hkdf(roomKey, utf8.encode(ROOM_TAG_INFO_LABEL), ROOM_TAG_LENGTH);
}

/**
 * The room key's safety words: {@link SAFETY_WORD_COUNT} words (55 bits) of HKDF-SHA256(room key, info =
 * UTF-8({@link SAFETY_WORDS_INFO_LABEL})). Participants who read the same words aloud hold the same room key; a
 * mistyped passphrase or another room changes them all but with probability 2^-55.
 */
export async function safetyWords(roomKey: CryptoKey): Promise<string[]> {
  assertRoomKey(roomKey, 'safetyWords');
  const bytes = await hkdf(roomKey, utf8.encode(SAFETY_WORDS_INFO_LABEL), 8);
  try {
    return wordsFromBits(bytes, SAFETY_WORD_COUNT);
  } finally {
    bytes.fill(0);
  }
}
