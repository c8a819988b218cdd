/**
 * @module Typed requests from the popup and the options page to the background (`UiRequest` → `UiResponse`). A
 * background that does not answer, or answers nonsense, becomes an ordinary `{ ok: false, error }`: callers handle
 * one shape.
 */
import browser from 'webextension-polyfill';
import type { UiRequest, UiResponse } from '../shared/messages';
import { t } from './i18n';

export async function request<T extends UiRequest['type']>(
  message: Extract<UiRequest, { type: T }>,
): Promise<UiResponse<T>> {
  let response: unknown;
  try {
    response = await browser.runtime.sendMessage(message);
  } catch (error) {
    return {
      ok: false,
      error: t('api_no_answer', error instanceof Error ? error.message : String(error)),
    };
  }
  if (typeof response !== 'object' || response === null || typeof (response as { ok?: unknown }).ok !== 'boolean') {
    return { ok: false, error: t('api_bad_answer') };
  }
  return response as UiResponse<T>;
}
