/**
 * @module The enabled sites and their room keys, in the background's IndexedDB (database `framelock`).
 *
 * The MV3 service worker can be stopped at any moment, so this store is the only truth about which sites are
 * enabled: nothing here is cached in memory but the open database connection. Room keys are non-extractable
 * `CryptoKey`s, which IndexedDB stores by structured clone without ever exposing their bytes to script, though
 * Chromium writes those bytes into the profile's files. A site with `rememberKeys: false` keeps its room keys out of
 * this store: its rooms are stored without a key, and the keys live in `storage.session` (session-keys.ts) until the
 * browser closes; {@link getSite} and {@link listSites} put them back into the records they return.
 *
 * Schema (one step per version in {@link upgrade}; never edit a shipped step, add the next one):
 *
 * | version | change |
 * |---|---|
 * | 1 | object store `sites` (key path `origin`): {origin, enabledAt, roomKey (PBKDF2, protocol v1), problems}; store `revoked` (key path `origin`): {@link RevokedSite} |
 * | 2 | `sites` records become {@link SiteRecord}: rooms with Argon2id keys (protocol v2). A v1 key cannot be turned into a v2 one without the passphrase, which is never stored, so it is erased: the site stays enabled with no room, and its calls carry no media until the user enters the passphrase again |
 *
 * What a record is (and is checked against, when written and when read) is declared in site-record.ts. Sequences
 * that read and then write (enable, disable, reconcile) must run inside `withSitesLock` (locks.ts), because messages
 * and start-up work interleave at every `await`.
 */
import { type DBSchema, type IDBPDatabase, type IDBPTransaction, openDB, type StoreNames } from 'idb';
import * as v from 'valibot';
import {
  type Origin,
  type RevokedSite,
  type RoomInfo,
  SITE_PROBLEMS,
  type SiteInfo,
  type SiteProblem,
} from '../shared/messages';
import { isNormalizedOrigin } from '../shared/origin';
import { ECHO_ORIGIN_MAX_LENGTH, MAX_REVOKED } from './constants';
import { safetyWords } from './keys';
import { sessionRoomKey } from './session-keys';
import { type RoomRecord, type SiteRecord, SiteRecordSchema, type StoredSite, StoredSiteSchema } from './site-record';

export { SITE_PROBLEMS };

export const DB_NAME = 'framelock';
export const DB_VERSION = 2;

/**
 * What IndexedDB holds in `sites`, before it is checked ({@link StoredSiteSchema}): a room without its key when the
 * site does not remember keys (the key is in session-keys.ts).
 */
type StoredSiteValue = Omit<SiteRecord, 'rooms'> & { rooms: (Omit<RoomRecord, 'roomKey'> & { roomKey?: CryptoKey })[] };

/** The room `label` of `site` (the active room by default), if it has a key. */
export function roomOf(site: SiteRecord, label: string = site.activeRoom): RoomRecord | undefined {
  return site.rooms.find((room) => room.label === label);
}

interface FramelockDB extends DBSchema {
  sites: { key: string; value: StoredSiteValue };
  revoked: { key: string; value: RevokedSite };
}

type Database = IDBPDatabase<FramelockDB>;

function upgrade(
  db: Database,
  oldVersion: number,
  _newVersion: number | null,
  transaction: IDBPTransaction<FramelockDB, StoreNames<FramelockDB>[], 'versionchange'>,
): void {
  // Fall through from the installed version to the current one, one step per version.
  if (oldVersion < 1) {
    db.createObjectStore('sites', { keyPath: 'origin' });
    db.createObjectStore('revoked', { keyPath: 'origin' });
  }
  if (oldVersion >= 1 && oldVersion < 2) void migrateV1Sites(transaction);
}

/** Version 2: every v1 site loses its PBKDF2 room key (see the schema table) and gets an empty list of rooms. */
async function migrateV1Sites(
  transaction: IDBPTransaction<FramelockDB, StoreNames<FramelockDB>[], 'versionchange'>,
): Promise<void> {
  let cursor = await transaction.objectStore('sites').openCursor();
  while (cursor) {
    const old = cursor.value as unknown as { origin: Origin; enabledAt?: unknown; problems?: unknown };
    const migrated: StoredSiteValue = {
      origin: old.origin,
      enabledAt: typeof old.enabledAt === 'number' ? old.enabledAt : Date.now(),
      rooms: [],
      activeRoom: '',
      problems: Array.isArray(old.problems) ? old.problems.filter(isSiteProblem) : [],
    };
    await cursor.update(migrated);
    cursor = await cursor.continue();
  }
}

let connection: Promise<Database> | undefined;

/** The open database (opened on first use, reopened if the browser closed it). */
function database(): Promise<Database> {
  connection ??= openDB<FramelockDB>(DB_NAME, DB_VERSION, {
    upgrade,
    blocking() {
      // A newer version of the extension wants to upgrade the schema: let it, and reopen on next use.
      const closing = connection;
      connection = undefined;
      void closing?.then((db) => db.close());
    },
    terminated() {
      // The browser closed the connection abnormally (e.g. storage cleared): reopen on next use.
      connection = undefined;
    },
  }).catch((error: unknown) => {
    connection = undefined;
    throw new Error(`Framelock could not open its database: ${error instanceof Error ? error.message : error}`);
  });
  return connection;
}

export function isSiteProblem(value: unknown): value is SiteProblem {
  return (SITE_PROBLEMS as readonly unknown[]).includes(value);
}

/**
 * A record as read from IndexedDB, if it is a usable one ({@link StoredSiteSchema}); a record that is not is
 * reported and ignored, never used.
 */
function checked(untrustedStored: unknown): StoredSite | undefined {
  if (untrustedStored === undefined) return undefined;
  const parsed = v.safeParse(StoredSiteSchema, untrustedStored);
  if (parsed.success) return parsed.output;
  const claimed = (untrustedStored as { origin?: unknown } | null)?.origin;
  const origin = typeof claimed === 'string' ? claimed.slice(0, ECHO_ORIGIN_MAX_LENGTH) : '(unknown origin)';
  console.error(`Framelock: ignoring a damaged site record for ${origin}; disable and enable the site again.`);
  return undefined;
}

/**
 * A stored site with every room's key: from IndexedDB, or for a site that does not remember keys from this browser
 * session's memory. A room whose key is not there (the browser restarted) is left out: the site needs its passphrase.
 */
async function withKeys(record: StoredSite): Promise<SiteRecord> {
  if (record.rememberKeys !== false) return record;
  const rooms: RoomRecord[] = [];
  for (const { label, keyedAt } of record.rooms) {
    const roomKey = await sessionRoomKey(record.origin, label);
    if (roomKey !== undefined) rooms.push({ label, roomKey, keyedAt });
  }
  return { ...record, rooms };
}

/** Every enabled site, sorted by origin. Damaged records are left out (and reported on the console). */
export async function listSites(): Promise<SiteRecord[]> {
  const db = await database();
  const records = (await db.getAll('sites'))
    .map((record) => checked(record))
    .filter((record): record is StoredSite => record !== undefined)
    .sort((a, b) => (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0));
  return Promise.all(records.map(withKeys));
}

/** The enabled site `origin`, or `undefined` if it is not enabled (or not a normalised origin). */
export async function getSite(origin: Origin): Promise<SiteRecord | undefined> {
  if (!isNormalizedOrigin(origin)) return undefined;
  const db = await database();
  const record = checked(await db.get('sites', origin));
  return record === undefined ? undefined : withKeys(record);
}

/**
 * Stores (adds or replaces) a site.
 *
 * @throws TypeError if the record is malformed: origin not normalised, `enabledAt` not a finite number, a room
 *   whose label is not normalised or repeated or whose key is not a non-extractable HKDF `CryptoKey`, too many rooms,
 *   or an unknown problem.
 */
export async function putSite(record: SiteRecord): Promise<void> {
  if (!v.is(SiteRecordSchema, record)) {
    throw new TypeError(
      'putSite: a site needs a normalised origin, a finite enabledAt, distinct rooms with non-extractable HKDF keys and known problems',
    );
  }
  const problems = SITE_PROBLEMS.filter((problem) => record.problems.includes(problem));
  const remember = record.rememberKeys ?? true;
  const db = await database();
  await db.put('sites', {
    origin: record.origin,
    enabledAt: record.enabledAt,
    // A site that does not remember keys: never a key in this store (the caller put it in session-keys.ts).
    rooms: record.rooms.map(({ label, roomKey, keyedAt }) =>
      remember ? { label, roomKey, keyedAt } : { label, keyedAt },
    ),
    activeRoom: record.activeRoom,
    strict: record.strict ?? false,
    indicator: record.indicator ?? true,
    rememberKeys: remember,
    problems,
  });
}

/** Deletes a site and every room key it had. Returns whether it was enabled. */
export async function deleteSite(origin: Origin): Promise<boolean> {
  if (!isNormalizedOrigin(origin)) return false;
  const db = await database();
  const transaction = db.transaction('sites', 'readwrite');
  const existed = (await transaction.store.getKey(origin)) !== undefined;
  if (existed) await transaction.store.delete(origin);
  await transaction.done;
  return existed;
}

/**
 * Records that a tab of `origin` ran into `problem` (kept in worst-first order, once). Returns whether it was new for
 * the site (a problem for a site that is not enabled is dropped).
 */
export async function addProblem(origin: Origin, problem: SiteProblem): Promise<boolean> {
  if (!isNormalizedOrigin(origin) || !isSiteProblem(problem)) return false;
  const db = await database();
  const transaction = db.transaction('sites', 'readwrite');
  const record = checked(await transaction.store.get(origin));
  const added = record !== undefined && !record.problems.includes(problem);
  if (added) {
    const problems = SITE_PROBLEMS.filter((known) => known === problem || record.problems.includes(known));
    await transaction.store.put({ ...record, problems });
  }
  await transaction.done;
  return added;
}

/** Forgets every problem recorded for `origin` (the user read them). Returns whether the site is enabled. */
export async function clearProblems(origin: Origin): Promise<boolean> {
  if (!isNormalizedOrigin(origin)) return false;
  const db = await database();
  const transaction = db.transaction('sites', 'readwrite');
  const record = checked(await transaction.store.get(origin));
  if (record !== undefined && record.problems.length > 0) await transaction.store.put({ ...record, problems: [] });
  await transaction.done;
  return record !== undefined;
}

/** The public view of a site (everything but the keys; each room's safety words instead), as the UI gets it. */
export async function toSiteInfo(record: SiteRecord): Promise<SiteInfo> {
  const rooms: RoomInfo[] = [];
  for (const room of record.rooms) {
    rooms.push({ label: room.label, keyedAt: room.keyedAt, safetyWords: await safetyWords(room.roomKey) });
  }
  return {
    origin: record.origin,
    enabledAt: record.enabledAt,
    activeRoom: record.activeRoom,
    rooms,
    strict: record.strict ?? false,
    indicator: record.indicator ?? true,
    rememberKeys: record.rememberKeys ?? true,
    problems: [...record.problems],
  };
}

// ---- sites turned off because their permission was removed ---------------------------------------------------------

/** Remembers that these sites were turned off because their host permission was removed, so the UI can say so. */
export async function noteRevoked(origins: readonly Origin[], at = Date.now()): Promise<void> {
  if (origins.length === 0) return;
  const db = await database();
  const transaction = db.transaction('revoked', 'readwrite');
  for (const origin of origins) await transaction.store.put({ origin, at });
  const all = await transaction.store.getAll();
  const excess = all.sort((a, b) => b.at - a.at).slice(MAX_REVOKED);
  for (const old of excess) await transaction.store.delete(old.origin);
  await transaction.done;
}

/** Sites turned off because their permission was removed, newest first. */
export async function listRevoked(): Promise<RevokedSite[]> {
  const db = await database();
  const all = await db.getAll('revoked');
  return all.filter((entry) => isNormalizedOrigin(entry.origin)).sort((a, b) => b.at - a.at);
}

/** Forgets the notice about `origin` (the user dismissed it, or enabled the site again). */
export async function forgetRevoked(origin: Origin): Promise<void> {
  if (!isNormalizedOrigin(origin)) return;
  const db = await database();
  await db.delete('revoked', origin);
}
