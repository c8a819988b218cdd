/**
 * @module What the extension's own pages (options page, popup) ask the background (`chrome.runtime.sendMessage`,
 * JSON), and what it answers. The background checks every request (src/background/ui.ts).
 */

import type { SiteProblem } from './problems';
import type { RejectionCounts } from './rejections';
import type { TabStatus } from './stats';

/** An origin as the user enabled it, normalised: scheme://host[:port], lower case, no path. */
export type Origin = string;

/** Bounds of `sites/enable`'s passphrase, in UTF-16 code units (checked by the UI, and again by the background). */
export const PASSPHRASE_LENGTH = { min: 1, max: 1024 } as const;
/** How long `sites/enable` with `waitForPermission` waits for the site's permission to be granted. */
export const PERMISSION_WAIT_MS = 60_000;
/** Longest room label, in code points after normalisation (`normalizeRoomLabel`). */
export const ROOM_LABEL_MAX_LENGTH = 64;

export type UiRequest =
  | { type: 'sites/list' }
  /**
   * Enable a site, or set the passphrase of one of its rooms (`room`: a label, "" or absent for the default room),
   * which becomes the site's active room. The UI must already hold the host permission (permissions.request needs a
   * user gesture), or set `waitForPermission`: the popup sends the request together with `permissions.request()`,
   * because Chrome may close the popup while its permission prompt is up, and the background then finishes alone
   * once the permission is granted (within {@link PERMISSION_WAIT_MS}).
   */
  | { type: 'sites/enable'; origin: Origin; passphrase: string; room?: string; waitForPermission?: boolean }
  /** Stop waiting for a permission the user refused (`sites/enable` with `waitForPermission`): nothing is enabled. */
  | { type: 'sites/cancel-enable'; origin: Origin }
  /** Turn a site off: its scripts go and every room key it had is erased. */
  | { type: 'sites/disable'; origin: Origin }
  /** Erase one room's key. */
  | { type: 'rooms/forget'; origin: Origin; room: string }
  /** Make a room the one the site's tabs use (unless a tab chose another). */
  | { type: 'rooms/select'; origin: Origin; room: string }
  /** Make a room the one this tab uses (until the tab closes). */
  | { type: 'tabs/select-room'; tabId: number; room: string }
  /** Change a site's settings (fields left out keep their value). */
  | { type: 'sites/settings'; origin: Origin; strict?: boolean; indicator?: boolean; rememberKeys?: boolean }
  /** Dismiss the notice that a site was turned off because its host permission was removed. */
  | { type: 'sites/dismiss-revoked'; origin: Origin }
  /**
   * Forget the problems a site's tabs ran into (the user read them). For `tampering_blocked` this is the user's
   * decision to allow the site's calls again, from its next page load: until then every page of the site is blocked.
   */
  | { type: 'sites/clear-problems'; origin: Origin }
  | { type: 'status/get' }
  /** How many messages each boundary refused, by reason (`RejectionCounts`): for diagnosis, not shown in the UI. */
  | { type: 'diagnostics/get' };

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
