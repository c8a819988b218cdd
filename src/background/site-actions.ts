/**
 * @module What the extension's pages can do to an enabled site, but enable it (site-enable.ts): change its rooms and
 * settings, choose a tab's room, clear its problems, disable it; and {@link reconcileSites}, which brings the content
 * script registrations in line with the enabled sites. Each change is a read-modify-write under the sites lock
 * (locks.ts), then re-keys the site's open frames.
 */

import browser from 'webextension-polyfill';
import type { Origin, UiError } from '../shared/messages';
import { normalizeOrigin } from '../shared/origin';
import { t } from '../ui/i18n';
import { notifySiteChanged, selectTabRoom } from './bridge-port';
import { withSitesLock } from './locks';
import { reconcile, unregisterSite } from './registration';
import { forgetSessionRoomKeys } from './session-keys';
import type { SiteRecord } from './site-record';
import { clearProblems, deleteSite, getSite, putSite, roomOf } from './sites';
import { type AnyUiResponse, invalid, noSuchRoom, notEnabled } from './ui-answers';

/** Applies `change` to an enabled site (its rooms or settings), then re-keys its open frames. */
export async function changeSite(
  origin: Origin,
  change: (site: SiteRecord) => SiteRecord | UiError,
): Promise<AnyUiResponse> {
  const result = await withSitesLock(async (): Promise<AnyUiResponse> => {
    const site = await getSite(origin);
    if (site === undefined) return notEnabled(origin);
    const changed = change(site);
    if ('ok' in changed) return changed;
    await putSite(changed);
    return { ok: true };
  });
  if (result.ok) await notifyFrames(origin);
  return result;
}

/** Makes `room` the site's active room (the one its tabs use unless a tab chose another). */
export function selectRoom(site: SiteRecord, room: string): SiteRecord | UiError {
  return roomOf(site, room) === undefined ? noSuchRoom() : { ...site, activeRoom: room };
}

/** Erases a room's key; the active room becomes the default room (or the first one left). */
export function forgetRoom(site: SiteRecord, label: string): SiteRecord | UiError {
  if (roomOf(site, label) === undefined) return noSuchRoom();
  const rooms = site.rooms.filter((r) => r.label !== label);
  const activeRoom =
    site.activeRoom !== label ? site.activeRoom : ((rooms.find((r) => r.label === '') ?? rooms[0])?.label ?? '');
  return { ...site, rooms, activeRoom };
}

/** The settings a `sites/settings` request changes (fields left out keep their value). */
export interface SiteSettings {
  strict?: boolean | undefined;
  indicator?: boolean | undefined;
  rememberKeys?: boolean | undefined;
}

/** Applies `settings` to `site`. */
export function changeSettings(site: SiteRecord, settings: SiteSettings): SiteRecord {
  return {
    ...site,
    ...(settings.strict !== undefined ? { strict: settings.strict } : {}),
    ...(settings.indicator !== undefined ? { indicator: settings.indicator } : {}),
    ...(settings.rememberKeys !== undefined ? rememberKeysChange(site, settings.rememberKeys) : {}),
  };
}

/**
 * Where a site's room keys are kept. Remembered (on disk, in IndexedDB) from memory only: the keys in memory are
 * non-extractable, so they move as keys and the memory copies go. From remembered to memory only: a key in IndexedDB
 * cannot be read back as bytes, so the site forgets its keys now and the passphrase is asked again (the options page
 * says so before); whatever the disk held before may stay in its files until they are rewritten.
 */
function rememberKeysChange(site: SiteRecord, rememberKeys: boolean): Partial<SiteRecord> {
  if ((site.rememberKeys ?? true) === rememberKeys) return {};
  return rememberKeys ? { rememberKeys } : { rememberKeys, rooms: [], activeRoom: '' };
}

/** Makes a room the one a tab uses (the tab's site must have it). */
export async function selectRoomForTab(tabId: number, room: string): Promise<AnyUiResponse> {
  let url: string | undefined;
  try {
    url = (await browser.tabs.get(tabId)).url;
  } catch {
    return invalid(t('bg_error_tab_gone'));
  }
  let origin: ReturnType<typeof normalizeOrigin> | undefined;
  try {
    origin = url === undefined ? undefined : normalizeOrigin(new URL(url).origin);
  } catch {
    origin = undefined;
  }
  const site = origin?.ok ? await getSite(origin.origin) : undefined;
  if (site === undefined) return invalid(t('bg_error_tab_not_enabled'));
  if (roomOf(site, room) === undefined) return noSuchRoom();
  await selectTabRoom(tabId, room);
  return { ok: true };
}

/**
 * Forgets the site's problems. A page blocked for tampering stays blocked until it reloads (its connections are
 * closed already); its next load, and every other page of the site, gets keys again.
 */
export async function clearSiteProblems(origin: Origin): Promise<AnyUiResponse> {
  const cleared = await clearProblems(origin); // one transaction: no lock needed
  if (!cleared) return notEnabled(origin);
  await notifySiteChanged(origin);
  return { ok: true };
}

/** Forgets the site and its key, then unregisters its scripts. The page removes the permission afterwards. */
export async function disableSite(origin: Origin): Promise<AnyUiResponse> {
  await withSitesLock(async () => {
    // Key first: if the worker stops in between, start-up reconciliation removes the scripts of a site it no longer
    // knows, which is what the user asked for (the other order would re-register them).
    await deleteSite(origin);
    await forgetSessionRoomKeys(origin);
    await unregisterSite(origin);
  });
  await notifyFrames(origin);
  return { ok: true };
}

/**
 * Makes the registered scripts match the enabled sites (see `reconcile`) and tells the open frames of sites that
 * were turned off. Never throws (it runs at start-up, with nobody to report to but the console).
 */
export async function reconcileSites(): Promise<void> {
  try {
    const report = await reconcile();
    for (const origin of report.revoked) await notifySiteChanged(origin);
  } catch (error) {
    console.error('Framelock: could not bring the content script registrations up to date', error);
  }
}

/** Re-keys (or un-keys) the open frames of `origin`. A failure there must not fail the request. */
export async function notifyFrames(origin: Origin): Promise<void> {
  try {
    await notifySiteChanged(origin);
  } catch (error) {
    console.error(`Framelock: could not update the open frames of ${origin}`, error);
  }
}
