/**
 * @module The strings of Framelock's UI, kept next to the code that shows them: each context has a
 * `messages.en.json` fragment in `chrome.i18n`'s format (`{ "key": { "message": "…", "description": "…" } }`), and a
 * `messages.<locale>.json` beside it for each other language. The build merges each language's fragments into
 * `_locales/<locale>/messages.json` (vite.config.ts, `localesPlugin`), refusing duplicate keys, and a translation that
 * misses a key or changes a substitution (scripts/locales.ts). {@link MessageKey} is the union of the English keys, so a
 * typo is a type error.
 */
import type background from '../background/messages.en.json';
import type content from '../content/messages.en.json';
import type options from '../options/messages.en.json';
import type popup from '../popup/messages.en.json';
import type sidepanel from '../sidepanel/messages.en.json';
import type shared from './messages.en.json';

export type MessageKey =
  | keyof typeof shared
  | keyof typeof options
  | keyof typeof popup
  | keyof typeof sidepanel
  | keyof typeof content
  | keyof typeof background;

/**
 * The folders holding a fragment each, relative to the repository root (the build and the tests read them): English
 * in `messages.en.json`, each other language in `messages.<locale>.json` beside it, with the same keys. `store/` holds
 * the Web Store listing's text, shipped in `_locales` like the rest but shown by no page.
 */
export const LOCALE_FOLDERS = [
  'src/ui',
  'src/options',
  'src/popup',
  'src/sidepanel',
  'src/content',
  'src/background',
  'store',
] as const;

/**
 * The languages Framelock ships, as `_locales` folder names (Chrome's: `pt_BR`, not `pt-BR`). English is the default
 * (manifest.json `default_locale`) and the reference: every other one has each of its keys, with the same `$1`…`$9`.
 * Adding a language: README.md, "Adding a language".
 */
export const SHIPPED_LOCALES = ['en', 'de', 'es', 'fr', 'ja', 'pt_BR'] as const;
