/**
 * @module The background's answer to a {@link UiRequest} of Framelock's own pages (options, popup): the sender and
 * the request are checked (ui-request-check.ts), then the request is carried out (site-enable.ts, site-actions.ts,
 * tab-status.ts, rejections.ts) and answered.
 */
import browser from 'webextension-polyfill';
import type { UiRequest } from '../shared/messages';
import { t } from '../ui/i18n';
import { countRejection, rejectionCounts } from './rejections';
import { forgetSessionRoomKeys } from './session-keys';
import {
  changeSettings,
  changeSite,
  clearSiteProblems,
  disableSite,
  forgetRoom,
  reconcileSites,
  selectRoom,
  selectRoomForTab,
} from './site-actions';
import { cancelPermissionWait, enableSite } from './site-enable';
import { forgetRevoked, listRevoked, listSites, toSiteInfo } from './sites';
import { readTabStatuses } from './tab-status';
import type { AnyUiResponse } from './ui-answers';
import { isExtensionPageSender, parseUiRequest, type UiSender } from './ui-request-check';

/**
 * Answers one message from `sender`. Never throws: a refused sender, a malformed request or a failure all answer
 * `{ ok: false, error }` with a message fit for the user (never containing the passphrase).
 */
export async function handleUiMessage(untrustedMessage: unknown, sender: UiSender): Promise<AnyUiResponse> {
  if (!isExtensionPageSender(sender, browser.runtime.id, browser.runtime.getURL(''))) {
    countRejection('ui_sender');
    return { ok: false, error: t('bg_error_refused_sender') };
  }
  const request = parseUiRequest(untrustedMessage);
  if ('ok' in request) {
    countRejection('ui_invalid');
    return request;
  }
  try {
    return await carryOut(request);
  } catch (error) {
    console.error(`Framelock: ${request.type} failed`, error);
    return { ok: false, error: t('bg_error_failed', error instanceof Error ? error.message : String(error)) };
  }
}

/** Does what a checked request asks, and says how it went. */
async function carryOut(request: UiRequest): Promise<AnyUiResponse> {
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
      const response = await changeSite(request.origin, (site) => forgetRoom(site, request.room));
      if (response.ok) await forgetSessionRoomKeys(request.origin, request.room);
      return response;
    }
    case 'rooms/select':
      return await changeSite(request.origin, (site) => selectRoom(site, request.room));
    case 'tabs/select-room':
      return await selectRoomForTab(request.tabId, request.room);
    case 'sites/settings': {
      const response = await changeSite(request.origin, (site) => changeSettings(site, request));
      // Remembered now: the keys are in IndexedDB, so the memory copies go.
      if (response.ok && request.rememberKeys === true) await forgetSessionRoomKeys(request.origin);
      return response;
    }
    case 'sites/disable':
      return await disableSite(request.origin);
    case 'sites/cancel-enable':
      cancelPermissionWait(request.origin);
      return { ok: true };
    case 'sites/dismiss-revoked':
      await forgetRevoked(request.origin);
      return { ok: true };
    case 'sites/clear-problems':
      return await clearSiteProblems(request.origin);
    case 'status/get':
      return { ok: true, tabs: await readTabStatuses() };
    case 'diagnostics/get':
      return { ok: true, rejections: await rejectionCounts() };
  }
}
