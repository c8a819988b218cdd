/**
 * @module `t()`: every string the UI shows goes through `chrome.i18n` (English complete in the `messages.en.json`
 * fragments, see locales.ts). Substitutions are `$1`…`$9` in the message, as `chrome.i18n.getMessage` does.
 */
import browser from 'webextension-polyfill';
import type { MessageKey } from './locales';

/**
 * The message `key` with `substitutions`. A key the build did not ship shows as `⟦key⟧`: visible in the UI and in
 * tests, never an empty label.
 */
export function t(key: MessageKey, ...substitutions: (string | number)[]): string {
  const text = browser.i18n.getMessage(key, substitutions.map(String));
  return text === '' ? `⟦${key}⟧` : text;
}
