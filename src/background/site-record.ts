/**
 * @module What a site record is, as valibot schemas (https://valibot.dev): the record the background works with
 * ({@link SiteRecordSchema}, checked before it is stored) and the record as IndexedDB holds it
 * ({@link StoredSiteSchema}, checked when it is read back). Only the background stores and reads these records, so
 * they are declared here rather than with the messages in src/shared/messages. A record that fails its schema is
 * damaged: reported and ignored, never used (sites.ts).
 */
import * as v from 'valibot';
import { type Origin, SITE_PROBLEMS } from '../shared/messages';
import { normalizeRoomLabel } from '../shared/normalize';
import { isNormalizedOrigin } from '../shared/origin';
import { MAX_ROOMS_PER_SITE } from './constants';

/** A normalised http(s) origin (`normalizeOrigin`): the key of a site. */
const OriginSchema = v.custom<Origin>(isNormalizedOrigin, 'not a normalised origin');
/** A room label already in its normal form (`normalizeRoomLabel`); "" is the site's default room. */
const RoomLabelSchema = v.custom<string>((label) => {
  const normalized = normalizeRoomLabel(label);
  return normalized.ok && normalized.label === label;
}, 'not a normalised room label');
/**
 * A room key: a non-extractable HKDF `CryptoKey` (`deriveRoomKey`). Checked by what it is, not by how it looks: a
 * structured clone from IndexedDB is still a `CryptoKey`, and nothing else is.
 */
const RoomKeySchema = v.custom<CryptoKey>(
  (key) => key instanceof CryptoKey && !key.extractable && key.algorithm.name === 'HKDF',
  'not a non-extractable HKDF key',
);
/** A time, ms since the epoch. */
const TimeSchema = v.pipe(v.number(), v.finite());

/** One room of a site: a room label and the key its passphrase gave. */
export const RoomRecordSchema = v.object({
  /** Normalised room label (`normalizeRoomLabel`); "" is the site's default room. */
  label: RoomLabelSchema,
  /** Non-extractable HKDF key derived from the passphrase (`deriveRoomKey`). */
  roomKey: RoomKeySchema,
  /** When its passphrase was (last) set, ms since the epoch. */
  keyedAt: TimeSchema,
});
export type RoomRecord = v.InferOutput<typeof RoomRecordSchema>;

/** A room as stored for a site that does not remember keys: never a key (it is in session-keys.ts). */
const KeylessRoomSchema = v.object({
  label: RoomLabelSchema,
  roomKey: v.optional(v.undefined()),
  keyedAt: TimeSchema,
});

/** A site's rooms: by label (unique), at most {@link MAX_ROOMS_PER_SITE}. */
function roomsOf<Room extends typeof RoomRecordSchema | typeof KeylessRoomSchema>(room: Room) {
  return v.pipe(
    v.array(room),
    v.maxLength(MAX_ROOMS_PER_SITE),
    v.check((rooms) => new Set(rooms.map((r) => r.label)).size === rooms.length, 'room labels repeat'),
  );
}

/** The fields of a site record, but its rooms and `rememberKeys` (which decide each other in what is stored). */
const siteEntries = {
  /** Normalised origin (`normalizeOrigin`), the key. */
  origin: OriginSchema,
  /** When the site was (last) enabled or re-keyed, ms since the epoch. */
  enabledAt: TimeSchema,
  /** The room a tab of this site uses unless the user chose another for that tab. */
  activeRoom: v.string(),
  /** Strict mode (`SiteInfo.strict`); absent means off. */
  strict: v.optional(v.boolean()),
  /** The in-page indicator (`SiteInfo.indicator`); absent means on. */
  indicator: v.optional(v.boolean()),
  /** What tabs of this site reported (`SITE_PROBLEMS` order, no duplicates). */
  problems: v.array(v.picklist(SITE_PROBLEMS)),
};

/** An enabled site, as the background works with it: every room with its key, wherever the key is kept. */
export const SiteRecordSchema = v.object({
  ...siteEntries,
  /** The site's rooms, by label (unique), at most {@link MAX_ROOMS_PER_SITE}. Empty: no key, calls carry no media. */
  rooms: roomsOf(RoomRecordSchema),
  /** Keep room keys across browser restarts, on disk (`SiteInfo.rememberKeys`); absent means on. */
  rememberKeys: v.optional(v.boolean()),
});
export type SiteRecord = v.InferOutput<typeof SiteRecordSchema>;

/**
 * A site as IndexedDB holds it. A site that remembers its keys stores them with its rooms; one that does not
 * (`rememberKeys: false`) stores its rooms without keys, and must have no key at all there.
 */
export const StoredSiteSchema = v.union([
  v.object({ ...siteEntries, rooms: roomsOf(KeylessRoomSchema), rememberKeys: v.literal(false) }),
  v.object({ ...siteEntries, rooms: roomsOf(RoomRecordSchema), rememberKeys: v.optional(v.literal(true)) }),
]);
export type StoredSite = v.InferOutput<typeof StoredSiteSchema>;
