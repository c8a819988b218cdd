/**
 * @module Room keys, passphrase mode, protocol version 1 (background only: the room key never leaves this realm).
 *
 * ```
 * passphrase ──NFC, UTF-8──▶ PBKDF2-HMAC-SHA256 (600,000 iterations,
 *                            salt = UTF-8("Framelock v1 room key\0" || origin)) ──32 bytes──▶ room key
 *                                                                                     (non-extractable HKDF CryptoKey,
 *                                                                                      stored in IndexedDB)
 * room key ──HKDF-SHA256 (salt = empty, info = UTF-8("Framelock v1 epoch base key") || uint64_be(epoch))──▶
 *            epoch base key (16 bytes, sent to the content bridge of the site's frames)
 * ```
 *
 * Every constant below is **protocol**: participants derive the same keys only if they use the same values, so a
 * change needs a new protocol version (and the known-answer test in `test/unit/keys.test.ts` to be redone on
 * purpose). A later version replaces PBKDF2 with Argon2id and adds epochs from wall-clock time (DESIGN.md §4).
 *
 * The passphrase is never stored: it lives only for the duration of {@link deriveRoomKey}.
 */
import { PASSPHRASE_LENGTH } from '../shared/messages';
import { isNormalizedOrigin } from '../shared/origin';

/** PBKDF2's PRF is HMAC with this hash (RFC 8018 §5.2). */
export const ROOM_KEY_PBKDF2_HASH = 'SHA-256';
/**
 * PBKDF2 iteration count: OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. Anyone who records a call can test
 * passphrase guesses offline against a captured frame; this makes each guess cost ~0.3 s of one core here.
 */
export const ROOM_KEY_PBKDF2_ITERATIONS = 600_000;
/**
 * Salt prefix; the salt is UTF-8(prefix || origin), the origin normalised by `normalizeOrigin`. The NUL separates
 * the label from the origin, and binding the origin means one passphrase gives unrelated keys on two sites.
 */
export const ROOM_KEY_SALT_PREFIX = 'Framelock v1 room key\0';
/** Room key length in bytes (the HKDF input keying material). */
export const ROOM_KEY_LENGTH = 32;
/**
 * Unicode normalisation applied to the passphrase before UTF-8 encoding, so that the same visible passphrase typed
 * on two systems (e.g. "é" as one code point or as "e" + combining accent) gives the same key (as RFC 8265's
 * OpaqueString profile does).
 */
export const PASSPHRASE_NORMALIZATION = 'NFC';
/** Shortest and longest passphrase accepted, in UTF-16 code units (before normalisation). */
export const PASSPHRASE_MIN_LENGTH: number = PASSPHRASE_LENGTH.min;
export const PASSPHRASE_MAX_LENGTH: number = PASSPHRASE_LENGTH.max;

/** HKDF info label of an epoch base key; the epoch follows it as an unsigned 64-bit big-endian integer. */
export const EPOCH_KEY_INFO_LABEL = 'Framelock v1 epoch base key';
/** Epoch base key length in bytes: an SFrame `base_key` for the AES-128 suites (RFC 9605 §4.4.2). */
export const EPOCH_KEY_LENGTH = 16;
/** Hash of the epoch key HKDF (RFC 5869); the HKDF salt is empty. */
export const EPOCH_KEY_HKDF_HASH = 'SHA-256';

const utf8 = new TextEncoder();

/**
 * Derives the room key of `origin` from `passphrase` (≈ 0.3 s: PBKDF2 with 600,000 iterations).
 *
 * @returns a non-extractable HKDF `CryptoKey` usable only for `deriveBits` (see {@link epochKeyBytes}).
 * @throws TypeError if `origin` is not a normalised origin or `passphrase` is not a string; RangeError if the
 *   passphrase is empty or longer than {@link PASSPHRASE_MAX_LENGTH}.
 */
export async function deriveRoomKey(origin: string, passphrase: string): Promise<CryptoKey> {
  if (!isNormalizedOrigin(origin)) throw new TypeError('deriveRoomKey: origin is not a normalised http(s) origin');
  if (typeof passphrase !== 'string') throw new TypeError('deriveRoomKey: passphrase must be a string');
  if (passphrase.length < PASSPHRASE_MIN_LENGTH || passphrase.length > PASSPHRASE_MAX_LENGTH) {
    // Never put the passphrase (or its length beyond the bounds) into an error message.
    throw new RangeError(
      `deriveRoomKey: passphrase must be ${PASSPHRASE_MIN_LENGTH} to ${PASSPHRASE_MAX_LENGTH} characters`,
    );
  }
  const secret = utf8.encode(passphrase.normalize(PASSPHRASE_NORMALIZATION));
  let roomKeyBytes: Uint8Array<ArrayBuffer> | undefined;
  try {
    const pbkdf2Key = await crypto.subtle.importKey('raw', secret, 'PBKDF2', false, ['deriveBits']);
    roomKeyBytes = new Uint8Array(
      await crypto.subtle.deriveBits(
        {
          name: 'PBKDF2',
          hash: ROOM_KEY_PBKDF2_HASH,
          salt: utf8.encode(ROOM_KEY_SALT_PREFIX + origin),
          iterations: ROOM_KEY_PBKDF2_ITERATIONS,
        },
        pbkdf2Key,
        ROOM_KEY_LENGTH * 8,
      ),
    );
    // HKDF keys cannot be extractable (WebCrypto refuses), which is what we want: the bytes never leave WebCrypto
    // again once this copy is wiped.
    return await crypto.subtle.importKey('raw', roomKeyBytes, 'HKDF', false, ['deriveBits']);
  } finally {
    secret.fill(0);
    roomKeyBytes?.fill(0);
  }
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
  if (!(roomKey instanceof CryptoKey) || roomKey.algorithm.name !== 'HKDF' || !roomKey.usages.includes('deriveBits')) {
    throw new TypeError('epochKeyBytes: roomKey must be an HKDF CryptoKey with the deriveBits usage');
  }
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new RangeError('epochKeyBytes: epoch must be an integer from 0 to 2^53 - 1');
  }
  const label = utf8.encode(EPOCH_KEY_INFO_LABEL);
  const info = new Uint8Array(label.length + 8);
  info.set(label);
  new DataView(info.buffer).setBigUint64(label.length, BigInt(epoch)); // big-endian by default
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: EPOCH_KEY_HKDF_HASH, salt: new Uint8Array(0), info },
    roomKey,
    EPOCH_KEY_LENGTH * 8,
  );
  return new Uint8Array(bits);
}
