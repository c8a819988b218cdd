/**
 * Typed requests from the options page to the background (`UiRequest` → `UiResponse`). A background that does not
 * answer, or answers nonsense, becomes an ordinary `{ ok: false, error }`: callers handle one shape.
 */
import browser from 'webextension-polyfill';
import type { UiRequest, UiResponse } from '../shared/messages';

export async function request<T extends UiRequest['type']>(
  message: Extract<UiRequest, { type: T }>,
): Promise<UiResponse<T>> {
  let response: unknown;
  try {
    response = await browser.runtime.sendMessage(message);
  } catch (error) {
    return {
      ok: false,
      error: `Framelock's background did not answer (${error instanceof Error ? error.message : error}). Reload this page and try again.`,
    };
  }
  if (typeof response !== 'object' || response === null || typeof (response as { ok?: unknown }).ok !== 'boolean') {
    return { ok: false, error: "Framelock's background gave no usable answer. Reload this page and try again." };
  }
  return response as UiResponse<T>;
}
