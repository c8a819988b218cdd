/**
 * @module The background's answer to {@link UiRequest}s: the requests of Framelock's own pages (options, popup).
 *
 * Only extension pages may ask. Content scripts run with our extension id too, but in a site's page, so the sender's
 * URL (which the browser fills in, the sender cannot choose it) must be one of the extension's own. Every field is
 * checked at runtime: the types in `messages.ts` say what a valid request looks like, not what arrives.
 *
 * Enabling a site needs its host permission first. `permissions.request()` needs a user gesture, which only the page
 * has: the page asks for it, then sends `sites/enable`, and the background checks that it really holds it.
 */

import * as v from 'valibot';
import browser from 'webextension-polyfill';
import {
  type Origin,
  PERMISSION_WAIT_MS,
  type TabStatus,
  TabStatusSchema,
  type UiError,
  type UiRequest,
  type UiResponse,
} from '../shared/messages';
import { normalizeOrigin } from '../shared/origin';
import { t } from '../ui/i18n';
import { notifySiteChanged, selectTabRoom } from './bridge-port';
import {
  deriveRoomKey,
  deriveRoomKeyBytes,
  importRoomKey,
  normalizePassphrase,
  normalizeRoomLabel,
  PASSPHRASE_MAX_LENGTH,
  PASSPHRASE_MIN_LENGTH,
} from './keys';
import { hasSitePermission, reconcile, registerSite, unregisterSite } from './registration';
import { countRejection, rejectionCounts } from './rejections';
import { forgetSessionRoomKeys, putSessionRoomKey } from './session-keys';
import {
  clearProblems,
  deleteSite,
  forgetRevoked,
  getSite,
  listRevoked,
  listSites,
  MAX_ROOMS_PER_SITE,
  putSite,
  roomOf,
  type SiteRecord,
  toSiteInfo,
  withSitesLock,
} from './sites';

export const UI_REQUEST_TYPES: readonly UiRequest['type'][] = [
  'sites/list',
  'sites/enable',
  'sites/disable',
  'sites/dismiss-revoked',
  'sites/clear-problems',
  'rooms/forget',
  'rooms/select',
  'tabs/select-room',
  'sites/settings',
  'sites/cancel-enable',
  'status/get',
  'diagnostics/get',
];

/** What a response to any request looks like. */
export type AnyUiResponse = UiResponse<UiRequest['type']>;

/** The parts of `runtime.MessageSender` that say who sent a message (filled in by the browser). */
export interface UiSender {
  id?: string;
  url?: string;
  origin?: string;
}

/** Whether `message` claims to be a UI request (its `type` is one): such messages get an answer, valid or not. */
export function isUiRequestMessage(message: unknown): boolean {
  return (
    typeof message === 'object' &&
    message !== null &&
    (UI_REQUEST_TYPES as readonly unknown[]).includes((message as { type?: unknown }).type)
  );
}

/**
 * Whether a message comes from one of the extension's own pages: our extension id and a URL under our base URL
 * (`chrome-extension://<id>/`). A content script has our id but the URL of the site it runs in; another extension
 * or a web page has another id.
 */
export function isExtensionPageSender(sender: UiSender, extensionId: string, extensionBaseUrl: string): boolean {
  if (extensionId === '' || sender.id !== extensionId) return false;
  if (!extensionBaseUrl.endsWith('/') || typeof sender.url !== 'string' || !sender.url.startsWith(extensionBaseUrl)) {
    return false;
  }
  // Chrome also reports the sender's origin: when it does, it must be ours too.
  return sender.origin === undefined || sender.origin === extensionBaseUrl.slice(0, -1);
}

/**
 * Checks an untrusted message field by field and returns the request it is, or the error to answer with. Origins
 * are normalised (`normalizeOrigin`), so `Meet.Example.org/` and `https://meet.example.org` are the same site.
 */
export function parseUiRequest(message: unknown): UiRequest | UiError {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return invalid(t('bg_error_not_object'));
  }
  const fields = message as Record<string, unknown>;
  const type = fields.type;
  switch (type) {
    case 'sites/list':
    case 'status/get':
    case 'diagnostics/get': {
      const extra = unexpectedFields(fields, ['type']);
      return extra ?? { type };
    }
    case 'sites/enable': {
      const extra = unexpectedFields(fields, ['type', 'origin', 'passphrase', 'room', 'waitForPermission']);
      if (extra !== undefined) return extra;
      const origin = parseOrigin(fields.origin);
      if (typeof origin !== 'string') return origin;
      const passphrase = fields.passphrase;
      if (typeof passphrase !== 'string') return invalid(t('bg_error_passphrase_not_text'), 'passphrase');
      if (passphrase.length > PASSPHRASE_MAX_LENGTH) {
        return invalid(t('bg_error_passphrase_too_long', PASSPHRASE_MAX_LENGTH), 'passphrase');
      }
      if (normalizePassphrase(passphrase).length < PASSPHRASE_MIN_LENGTH) {
        return invalid(t('bg_error_passphrase_empty'), 'passphrase');
      }
      const room = parseRoom(fields.room ?? '');
      if (typeof room !== 'string') return room;
      if (fields.waitForPermission !== undefined && typeof fields.waitForPermission !== 'boolean') {
        return invalid(t('bg_error_setting_not_boolean', 'waitForPermission'));
      }
      return fields.waitForPermission === true
        ? { type, origin, passphrase, room, waitForPermission: true }
        : { type, origin, passphrase, room };
    }
    case 'rooms/forget':
    case 'rooms/select': {
      const extra = unexpectedFields(fields, ['type', 'origin', 'room']);
      if (extra !== undefined) return extra;
      const origin = parseOrigin(fields.origin);
      if (typeof origin !== 'string') return origin;
      const room = parseRoom(fields.room);
      return typeof room === 'string' ? { type, origin, room } : room;
    }
    case 'sites/settings': {
      const extra = unexpectedFields(fields, ['type', 'origin', 'strict', 'indicator', 'rememberKeys']);
      if (extra !== undefined) return extra;
      const origin = parseOrigin(fields.origin);
      if (typeof origin !== 'string') return origin;
      const request: Extract<UiRequest, { type: 'sites/settings' }> = { type, origin };
      for (const key of ['strict', 'indicator', 'rememberKeys'] as const) {
        const value = fields[key];
        if (value === undefined) continue;
        if (typeof value !== 'boolean') return invalid(t('bg_error_setting_not_boolean', key));
        request[key] = value;
      }
      return request;
    }
    case 'tabs/select-room': {
      const extra = unexpectedFields(fields, ['type', 'tabId', 'room']);
      if (extra !== undefined) return extra;
      if (!Number.isSafeInteger(fields.tabId) || (fields.tabId as number) < 0)
        return invalid(t('bg_error_unknown_tab'));
      const room = parseRoom(fields.room);
      return typeof room === 'string' ? { type, tabId: fields.tabId as number, room } : room;
    }
    case 'sites/disable':
    case 'sites/cancel-enable':
    case 'sites/dismiss-revoked':
    case 'sites/clear-problems': {
      const extra = unexpectedFields(fields, ['type', 'origin']);
      if (extra !== undefined) return extra;
      const origin = parseOrigin(fields.origin);
      return typeof origin === 'string' ? { type, origin } : origin;
    }
    default:
      return invalid(
        t('bg_error_unknown_request', typeof type === 'string' ? JSON.stringify(type.slice(0, 64)) : typeof type),
      );
  }
}

/**
 * Answers one message from `sender`. Never throws: a refused sender, a malformed request or a failure all answer
 * `{ ok: false, error }` with a message fit for the user (never containing the passphrase).
 */
export async function handleUiMessage(message: unknown, sender: UiSender): Promise<AnyUiResponse> {
  if (!isExtensionPageSender(sender, browser.runtime.id, browser.runtime.getURL(''))) {
    countRejection('ui_sender');
    return { ok: false, error: t('bg_error_refused_sender') };
  }
  const request = parseUiRequest(message);
  if ('ok' in request) {
    countRejection('ui_invalid');
    return request;
  }
  try {
    switch (request.type) {
      case 'sites/list':
        // Reconcile first: a permission removed a moment ago (the page reloads on permissions.onRemoved, maybe before
        // the background's own listener ran) must already show as a site turned off.
        await reconcileSites();
        return {
          ok: true,
          sites: await Promise.all((await listSites()).map(toSiteInfo)),
          revoked: await listRevoked(),
        };
      case 'sites/enable':
        return await enableSite(request.origin, request.room ?? '', request.passphrase, request.waitForPermission);
      case 'rooms/forget': {
        const response = await changeRooms(request.origin, (site) => forgetRoom(site, request.room));
        if (response.ok) await forgetSessionRoomKeys(request.origin, request.room);
        return response;
      }
      case 'rooms/select':
        return await changeRooms(request.origin, (site) =>
          roomOf(site, request.room) === undefined ? noSuchRoom() : { ...site, activeRoom: request.room },
        );
      case 'tabs/select-room':
        return await selectRoomForTab(request.tabId, request.room);
      case 'sites/settings': {
        const response = await changeRooms(request.origin, (site) => ({
          ...site,
          ...(request.strict !== undefined ? { strict: request.strict } : {}),
          ...(request.indicator !== undefined ? { indicator: request.indicator } : {}),
          ...(request.rememberKeys !== undefined ? rememberKeysChange(site, request.rememberKeys) : {}),
        }));
        // Remembered now: the keys are in IndexedDB, so the memory copies go.
        if (response.ok && request.rememberKeys === true) await forgetSessionRoomKeys(request.origin);
        return response;
      }
      case 'sites/disable':
        return await disableSite(request.origin);
      case 'sites/cancel-enable':
        cancelledWaits.add(request.origin);
        return { ok: true };
      case 'sites/dismiss-revoked':
        await forgetRevoked(request.origin);
        return { ok: true };
      case 'sites/clear-problems':
        return await clearSiteProblems(request.origin);
      case 'status/get':
        return { ok: true, tabs: await tabStatuses() };
      case 'diagnostics/get':
        return { ok: true, rejections: await rejectionCounts() };
    }
  } catch (error) {
    console.error(`Framelock: ${request.type} failed`, error);
    return { ok: false, error: t('bg_error_failed', error instanceof Error ? error.message : String(error)) };
  }
}

/**
 * Forgets the site's problems. A page blocked for tampering stays blocked until it reloads (its connections are
 * closed already); its next load, and every other page of the site, gets keys again.
 */
async function clearSiteProblems(origin: Origin): Promise<AnyUiResponse> {
  const cleared = await clearProblems(origin); // one transaction: no lock needed
  if (!cleared) return invalid(t('bg_error_not_enabled', origin), 'origin');
  await notifySiteChanged(origin);
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

/**
 * Derives and stores the key of room `room` of `origin` and makes it the active room, then registers the site's
 * scripts (or re-keys a site already enabled; its other rooms stay).
 */
async function enableSite(
  origin: Origin,
  room: string,
  passphrase: string,
  waitForPermission = false,
): Promise<AnyUiResponse> {
  if (!(await (waitForPermission ? waitForSitePermission(origin) : hasSitePermission(origin)))) {
    return needsPermission(origin);
  }
  // Outside the lock: Argon2id takes a while, and other requests need not wait for it. A site that does not remember
  // its keys gets them in memory only (session-keys.ts): then the bytes are needed once, to put them there.
  const remember = (await getSite(origin))?.rememberKeys ?? true;
  let roomKey: CryptoKey;
  let sessionBytes: Uint8Array<ArrayBuffer> | undefined;
  if (remember) {
    roomKey = await deriveRoomKey(origin, room, passphrase);
  } else {
    sessionBytes = await deriveRoomKeyBytes(origin, room, passphrase);
    roomKey = await importRoomKey(sessionBytes);
  }
  const result = await withSitesLock(async (): Promise<AnyUiResponse> => {
    // The permission may have been removed while the key was derived.
    if (!(await hasSitePermission(origin))) return needsPermission(origin);
    const previous = await getSite(origin);
    const others = (previous?.rooms ?? []).filter((r) => r.label !== room);
    if (others.length >= MAX_ROOMS_PER_SITE) {
      return invalid(t('bg_error_too_many_rooms', MAX_ROOMS_PER_SITE), 'room');
    }
    // The setting may have changed while the key was derived: keep the key where the site now says.
    if (sessionBytes !== undefined && previous?.rememberKeys === false) {
      await putSessionRoomKey(origin, room, sessionBytes);
    }
    const now = Date.now();
    // Problems are reset: a fresh enable is how the user starts over; tabs report again what still holds.
    await putSite({
      ...(previous ?? {}),
      origin,
      enabledAt: previous?.enabledAt ?? now,
      rooms: [...others, { label: room, roomKey, keyedAt: now }],
      activeRoom: room,
      problems: [],
    });
    try {
      await registerSite(origin);
    } catch (error) {
      // Leave things as they were: the old key and scripts, or nothing.
      if (previous === undefined) {
        await deleteSite(origin);
      } else {
        await putSite(previous);
        await registerSite(origin).catch(() => undefined);
      }
      throw error;
    }
    await forgetRevoked(origin);
    return { ok: true };
  }).finally(() => sessionBytes?.fill(0)); // whatever the outcome: the bytes are in session memory, or nowhere
  if (result.ok) await notifyFrames(origin);
  return result;
}

/**
 * Whether `origin`'s permission is granted within {@link PERMISSION_WAIT_MS}. Polling calls an extension API every
 * quarter second, which also keeps this service worker from being stopped as idle meanwhile.
 */
async function waitForSitePermission(origin: Origin): Promise<boolean> {
  cancelledWaits.delete(origin);
  const deadline = Date.now() + PERMISSION_WAIT_MS;
  for (;;) {
    if (await hasSitePermission(origin)) return true;
    // Refused (the popup says so), or no answer in time: a later grant must not enable this passphrase.
    if (cancelledWaits.delete(origin) || Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Origins whose `waitForPermission` wait the UI cancelled (the user refused the permission). */
const cancelledWaits = new Set<Origin>();

/** Applies `change` to an enabled site (its rooms or settings), then re-keys its open frames. */
async function changeRooms(origin: Origin, change: (site: SiteRecord) => SiteRecord | UiError): Promise<AnyUiResponse> {
  const result = await withSitesLock(async (): Promise<AnyUiResponse> => {
    const site = await getSite(origin);
    if (site === undefined) return invalid(t('bg_error_not_enabled', origin), 'origin');
    const changed = change(site);
    if ('ok' in changed) return changed;
    await putSite(changed);
    return { ok: true };
  });
  if (result.ok) await notifyFrames(origin);
  return result;
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

/** Erases a room's key; the active room becomes the default room (or the first one left). */
function forgetRoom(site: SiteRecord, label: string): SiteRecord | UiError {
  if (roomOf(site, label) === undefined) return noSuchRoom();
  const rooms = site.rooms.filter((r) => r.label !== label);
  const activeRoom =
    site.activeRoom !== label ? site.activeRoom : ((rooms.find((r) => r.label === '') ?? rooms[0])?.label ?? '');
  return { ...site, rooms, activeRoom };
}

/** Makes a room the one a tab uses (the tab's site must have it). */
async function selectRoomForTab(tabId: number, room: string): Promise<AnyUiResponse> {
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

function noSuchRoom(): UiError {
  return invalid(t('bg_error_no_such_room'), 'room');
}

/** Forgets the site and its key, then unregisters its scripts. The page removes the permission afterwards. */
async function disableSite(origin: Origin): Promise<AnyUiResponse> {
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

/** Re-keys (or un-keys) the open frames of `origin`. A failure there must not fail the request. */
async function notifyFrames(origin: Origin): Promise<void> {
  try {
    await notifySiteChanged(origin);
  } catch (error) {
    console.error(`Framelock: could not update the open frames of ${origin}`, error);
  }
}

/** Per-tab status the bridge ports keep in `storage.session` under `tab:<id>`, by tab id. */
async function tabStatuses(): Promise<TabStatus[]> {
  const items = await browser.storage.session.get(null);
  return Object.entries(items)
    .filter(([key, value]) => /^tab:\d+$/.test(key) && v.is(TabStatusSchema, value))
    .map(([, value]) => value as TabStatus)
    .sort((a, b) => a.tabId - b.tabId);
}

function parseRoom(value: unknown): string | UiError {
  const result = normalizeRoomLabel(value);
  return result.ok ? result.label : invalid(result.error, 'room');
}

function parseOrigin(value: unknown): Origin | UiError {
  if (typeof value !== 'string') return invalid(t('bg_error_origin_not_text'), 'origin');
  const result = normalizeOrigin(value);
  return result.ok ? result.origin : invalid(result.error, 'origin');
}

function unexpectedFields(fields: Record<string, unknown>, allowed: readonly string[]): UiError | undefined {
  const extra = Object.keys(fields).filter((key) => !allowed.includes(key));
  return extra.length === 0 ? undefined : invalid(t('bg_error_unexpected_field', extra.join(', ').slice(0, 200)));
}

function needsPermission(origin: Origin): UiError {
  return { ok: false, error: t('bg_error_needs_permission', origin), field: 'origin' };
}

function invalid(error: string, field?: UiError['field']): UiError {
  return field === undefined ? { ok: false, error } : { ok: false, error, field };
}
