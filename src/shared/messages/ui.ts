/**
 * @module What the extension's own pages (options page, popup) ask the background (`chrome.runtime.sendMessage`,
 * JSON), and what it answers. The background checks every request (src/background/ui-request-check.ts).
 */

import * as v from 'valibot';
import { ROOM_LABEL_INPUT_MAX_LENGTH } from '../normalize';

/** Longest room label, in code points after normalisation (declared with `normalizeRoomLabel`). */
export { ROOM_LABEL_MAX_LENGTH } from '../normalize';

import { MAX_ORIGIN_INPUT_LENGTH } from '../origin';
import type { SiteProblem } from './problems';
import type { RejectionCounts } from './rejections';
import { boundedString, messageOf } from './schema';
import type { TabStatus } from './stats';

/** An origin as the user enabled it, normalised: scheme://host[:port], lower case, no path. */
export type Origin = string;

/** Bounds of `sites/enable`'s passphrase, in UTF-16 code units (checked by the UI, and again by the background). */
export const PASSPHRASE_LENGTH = { min: 1, max: 1024 } as const;
/** How long `sites/enable` with `waitForPermission` waits for the site's permission to be granted. */
export const PERMISSION_WAIT_MS = 60_000;

/**
 * A site's origin as the UI sends it: any text up to {@link MAX_ORIGIN_INPUT_LENGTH}, which the background normalises
 * (`normalizeOrigin`) into an {@link Origin} or refuses with a message fit for the user.
 */
const OriginInputSchema = boundedString(MAX_ORIGIN_INPUT_LENGTH);
/** A room label as typed, which the background normalises (`normalizeRoomLabel`). */
const RoomInputSchema = boundedString(ROOM_LABEL_INPUT_MAX_LENGTH);

/**
 * The requests of the extension's own pages. The background refuses any other sender, then checks the shape here
 * (exact fields, types, bounds) and the meaning itself (origin and room normalised, passphrase not empty).
 */
export const UiRequestSchema = messageOf([
  v.strictObject({ type: v.literal('sites/list') }),
  /**
   * Enable a site, or set the passphrase of one of its rooms (`room`: a label, "" or absent for the default room),
   * which becomes the site's active room. The UI must already hold the host permission (permissions.request needs a
   * user gesture), or set `waitForPermission`: the popup sends the request together with `permissions.request()`,
   * because Chrome may close the popup while its permission prompt is up, and the background then finishes alone
   * once the permission is granted (within {@link PERMISSION_WAIT_MS}).
   */
  v.strictObject({
    type: v.literal('sites/enable'),
    origin: OriginInputSchema,
    passphrase: boundedString(PASSPHRASE_LENGTH.max),
    room: v.optional(RoomInputSchema),
    waitForPermission: v.optional(v.boolean()),
  }),
  /** Stop waiting for a permission the user refused (`sites/enable` with `waitForPermission`): nothing is enabled. */
  v.strictObject({ type: v.literal('sites/cancel-enable'), origin: OriginInputSchema }),
  /** Turn a site off: its scripts go and every room key it had is erased. */
  v.strictObject({ type: v.literal('sites/disable'), origin: OriginInputSchema }),
  /** Erase one room's key. */
  v.strictObject({ type: v.literal('rooms/forget'), origin: OriginInputSchema, room: RoomInputSchema }),
  /** Make a room the one the site's tabs use (unless a tab chose another). */
  v.strictObject({ type: v.literal('rooms/select'), origin: OriginInputSchema, room: RoomInputSchema }),
  /** Make a room the one this tab uses (until the tab closes). */
  v.strictObject({
    type: v.literal('tabs/select-room'),
    tabId: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
    room: RoomInputSchema,
  }),
  /** Change a site's settings (fields left out keep their value). */
  v.strictObject({
    type: v.literal('sites/settings'),
    origin: OriginInputSchema,
    strict: v.optional(v.boolean()),
    indicator: v.optional(v.boolean()),
    rememberKeys: v.optional(v.boolean()),
  }),
  /** Dismiss the notice that a site was turned off because its host permission was removed. */
  v.strictObject({ type: v.literal('sites/dismiss-revoked'), origin: OriginInputSchema }),
  /**
   * Forget the problems a site's tabs ran into (the user read them). For `tampering_blocked` this is the user's
   * decision to allow the site's calls again, from its next page load: until then every page of the site is blocked.
   */
  v.strictObject({ type: v.literal('sites/clear-problems'), origin: OriginInputSchema }),
  v.strictObject({ type: v.literal('status/get') }),
  /** How many messages each boundary refused, by reason (`RejectionCounts`): for diagnosis, not shown in the UI. */
  v.strictObject({ type: v.literal('diagnostics/get') }),
]);
export type UiRequest = v.InferOutput<typeof UiRequestSchema>;

/** A site Framelock turned off because its host permission disappeared (removed in Chrome's extension settings). */
export interface RevokedSite {
  origin: Origin;
  /** When Framelock noticed, ms since the epoch. */
  at: number;
}

/** Any request can fail (a sender that is not an extension page, a malformed field, a storage error). */
export interface UiError {
  ok: false;
  error: string;
  /** The form field the error is about, when there is one. */
  field?: 'origin' | 'passphrase' | 'room';
}

/** A room as the UI sees it: never its key, only its safety words. */
export interface RoomInfo {
  /** Normalised label; "" is the default room. */
  label: string;
  /** When its passphrase was set, ms since the epoch. */
  keyedAt: number;
  /** Words everyone in the room reads aloud to check they typed the same passphrase (`safetyWords`). */
  safetyWords: string[];
}

export interface SiteInfo {
  origin: Origin;
  enabledAt: number;
  /** The rooms with a passphrase; empty means calls on this site carry no media until one is set. */
  rooms: RoomInfo[];
  /** The room the site's tabs use. */
  activeRoom: string;
  /** Strict mode: incoming media that is not end-to-end encrypted is dropped, not shown with a warning. Default off. */
  strict: boolean;
  /** Draw the in-page indicator (lock status and per-video markers) on this site's pages. Default on. */
  indicator: boolean;
  /**
   * Keep the room keys when the browser closes (default on): stored in the profile, where whoever can read its files
   * can read them. Off: in memory only (`storage.session`), and the passphrase is asked again after a restart.
   */
  rememberKeys: boolean;
  /** What we know about protecting calls on this site, from the tabs that ran it (worst first). */
  problems: SiteProblem[];
}

export type UiResponse<T extends UiRequest['type']> =
  | (T extends 'sites/list'
      ? { ok: true; sites: SiteInfo[]; revoked: RevokedSite[] }
      : T extends 'status/get'
        ? { ok: true; tabs: TabStatus[] }
        : T extends 'diagnostics/get'
          ? { ok: true; rejections: RejectionCounts }
          : { ok: true })
  | UiError;
