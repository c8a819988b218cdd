/**
 * @module Enabling a site, or setting the passphrase of one of its rooms (`sites/enable`), and the wait for the site's
 * permission that the popup may ask for (`waitForPermission`, cancelled by `sites/cancel-enable`).
 *
 * Enabling a site needs its host permission first. `permissions.request()` needs a user gesture, which only the page
 * has: the page asks for it, then sends `sites/enable`, and the background checks that it really holds it.
 */
import type { Origin } from '../shared/messages';
import { t } from '../ui/i18n';
import { MAX_ROOMS_PER_SITE, PERMISSION_POLL_MS, PERMISSION_WAIT_MS } from './constants';
import { deriveRoomKey, deriveRoomKeyBytes, importRoomKey } from './keys';
import { withSitesLock } from './locks';
import { hasSitePermission, registerSite } from './registration';
import { siteSharingScope } from './same-host';
import { putSessionRoomKey } from './session-keys';
import { notifyFrames } from './site-actions';
import { deleteSite, forgetRevoked, getSite, putSite } from './sites';
import { type AnyUiResponse, invalid, needsPermission } from './ui-answers';

/**
 * Derives and stores the key of room `room` of `origin` and makes it the active room, then registers the site's
 * scripts (or re-keys a site already enabled; its other rooms stay).
 */
export async function enableSite(
  origin: Origin,
  room: string,
  passphrase: string,
  waitForPermission = false,
): Promise<AnyUiResponse> {
  const sharing = await siteSharingScope(origin);
  if (sharing !== undefined) return invalid(t('bg_error_same_host', origin, sharing), 'origin');
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
    const sharingNow = await siteSharingScope(origin);
    if (sharingNow !== undefined) return invalid(t('bg_error_same_host', origin, sharingNow), 'origin');
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

/** Origins whose `waitForPermission` wait the UI cancelled (the user refused the permission). */
const cancelledWaits = new Set<Origin>();

/** Stops the wait for `origin`'s permission (`sites/cancel-enable`): that `sites/enable` enables nothing. */
export function cancelPermissionWait(origin: Origin): void {
  cancelledWaits.add(origin);
}

/**
 * Whether `origin`'s permission is granted within {@link PERMISSION_WAIT_MS}. Polling calls an extension API every
 * {@link PERMISSION_POLL_MS}, which also keeps this service worker from being stopped as idle meanwhile.
 */
async function waitForSitePermission(origin: Origin): Promise<boolean> {
  cancelledWaits.delete(origin);
  const deadline = Date.now() + PERMISSION_WAIT_MS;
  for (;;) {
    if (await hasSitePermission(origin)) return true;
    // Refused (the popup says so), or no answer in time: a later grant must not enable this passphrase.
    if (cancelledWaits.delete(origin) || Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, PERMISSION_POLL_MS));
  }
}
