/**
 * @module What the background answers the extension's own pages (`UiResponse`), and the errors it answers with. Every
 * error's text is fit for the user (localised through `t()`, never containing the passphrase); its `field` names the
 * form field it is about, so the page can show it there.
 */
import type { Origin, UiError, UiRequest, UiResponse } from '../shared/messages';
import { t } from '../ui/i18n';

/** What a response to any request looks like. */
export type AnyUiResponse = UiResponse<UiRequest['type']>;

/** An error answer, about `field` when there is one. */
export function invalid(error: string, field?: UiError['field']): UiError {
  return field === undefined ? { ok: false, error } : { ok: false, error, field };
}

/** The site's host permission is not granted (the page must ask for it first). */
export function needsPermission(origin: Origin): UiError {
  return invalid(t('bg_error_needs_permission', origin), 'origin');
}

/** The site is not enabled. */
export function notEnabled(origin: Origin): UiError {
  return invalid(t('bg_error_not_enabled', origin), 'origin');
}

/** The request named a room the site has no passphrase for. */
export function noSuchRoom(): UiError {
  return invalid(t('bg_error_no_such_room'), 'room');
}
