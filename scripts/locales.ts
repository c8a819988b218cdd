/**
 * Merges the `messages.en.json` fragments (src/ui/locales.ts) into one `_locales/en/messages.json`. Used by the build
 * (vite.config.ts) and by the tests' `chrome.i18n` stand-in (test/dom/i18n.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LOCALE_FRAGMENTS } from '../src/ui/locales.ts';

export interface LocaleMessage {
  message: string;
  description?: string;
  placeholders?: Record<string, { content: string; example?: string }>;
}

/** Chrome's rule for message names: ASCII letters, digits and underscores. */
const KEY = /^[A-Za-z0-9_]+$/;

/** The merged messages; throws on a duplicate or malformed key, or an entry without a message. */
export function mergeLocaleFragments(root: string): Record<string, LocaleMessage> {
  const merged: Record<string, LocaleMessage> = {};
  const origin: Record<string, string> = {};
  for (const fragment of LOCALE_FRAGMENTS) {
    const entries = JSON.parse(readFileSync(path.join(root, fragment), 'utf8')) as Record<string, LocaleMessage>;
    for (const [key, value] of Object.entries(entries)) {
      if (!KEY.test(key)) throw new Error(`${fragment}: message name ${JSON.stringify(key)} is not [A-Za-z0-9_]+`);
      const lower = key.toLowerCase(); // chrome.i18n names are case-insensitive
      if (origin[lower] !== undefined) throw new Error(`${fragment}: ${key} is already defined in ${origin[lower]}`);
      if (typeof value?.message !== 'string') throw new Error(`${fragment}: ${key} has no message`);
      origin[lower] = fragment;
      merged[key] = value;
    }
  }
  return merged;
}
