/**
 * @module Room keys of sites that keep them in memory only (`SiteRecord.rememberKeys === false`).
 *
 * A non-extractable `CryptoKey` in IndexedDB cannot be read by script, but Chromium writes its raw bytes into the
 * profile's files: whoever can read the profile (a backup, a stolen laptop, malware running as the user) has the room
 * key, and with it every recorded call of that room. For a site that asks not to remember its keys, the room key's
 * bytes live in `chrome.storage.session` instead: held in memory by the browser, never written to disk, cleared when
 * the browser closes, readable only by the extension's own trusted contexts (its default access level, which we never
 * widen). Each use imports them as a non-extractable HKDF key and wipes the decoded copy. After a browser restart the
 * site has no key for those rooms, so its calls carry no media until the passphrase is entered again.
 */
import browser from 'webextension-polyfill';
import { base64ToBytes, bytesToBase64, wipe } from '../shared/bytes';
import type { Origin } from '../shared/messages';
import { importRoomKey, ROOM_KEY_LENGTH } from './keys';

/**
 * `storage.session` keys: this prefix and the JSON of `[origin, label]` (no NUL: Chromium cuts a storage key at the
 * first NUL, which made every room of a site one key).
 */
const PREFIX = 'roomkey:';

const storageKey = (origin: Origin, label: string): string => `${PREFIX}${JSON.stringify([origin, label])}`;

/** The origin of a `storage.session` key of ours, or undefined for any other key. */
function originOf(key: string): string | undefined {
  if (!key.startsWith(PREFIX)) return undefined;
  try {
    const parsed: unknown = JSON.parse(key.slice(PREFIX.length));
    return Array.isArray(parsed) && typeof parsed[0] === 'string' ? parsed[0] : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps the room key `bytes` of (`origin`, `label`) in memory for this browser session. The caller wipes `bytes`. */
export async function putSessionRoomKey(origin: Origin, label: string, bytes: Uint8Array): Promise<void> {
  if (bytes.length !== ROOM_KEY_LENGTH)
    throw new RangeError(`putSessionRoomKey: a room key is ${ROOM_KEY_LENGTH} bytes`);
  await browser.storage.session.set({ [storageKey(origin, label)]: bytesToBase64(bytes) });
}

/** The room key of (`origin`, `label`) kept for this session, as a non-extractable HKDF key, if there is one. */
export async function sessionRoomKey(origin: Origin, label: string): Promise<CryptoKey | undefined> {
  const key = storageKey(origin, label);
  const stored = (await browser.storage.session.get(key))[key];
  if (typeof stored !== 'string') return undefined;
  let bytes: Uint8Array | undefined;
  try {
    bytes = base64ToBytes(stored);
    if (bytes.length !== ROOM_KEY_LENGTH) return undefined;
    return await importRoomKey(new Uint8Array(bytes));
  } catch {
    return undefined; // damaged: as if absent (the passphrase is asked again)
  } finally {
    if (bytes !== undefined) wipe(bytes);
  }
}

/** Forgets the session room keys of `origin` (all its rooms, or only `label`'s). */
export async function forgetSessionRoomKeys(origin: Origin, label?: string): Promise<void> {
  if (label !== undefined) {
    await browser.storage.session.remove(storageKey(origin, label));
    return;
  }
  const all = await browser.storage.session.get(null);
  const keys = Object.keys(all).filter((k) => originOf(k) === origin);
  if (keys.length > 0) await browser.storage.session.remove(keys);
}
