/**
 * @module The English strings of Framelock's UI, kept next to the code that shows them: each context has a
 * `messages.en.json` fragment in `chrome.i18n`'s format (`{ "key": { "message": "…", "description": "…" } }`).
 * The build merges the fragments into `_locales/en/messages.json` (vite.config.ts, `localesPlugin`), refusing
 * duplicate keys; {@link MessageKey} is the union of their keys, so a typo is a type error.
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

/** The fragments, relative to the repository root (the build and the tests read them). */
export const LOCALE_FRAGMENTS = [
  'src/ui/messages.en.json',
  'src/options/messages.en.json',
  'src/popup/messages.en.json',
  'src/sidepanel/messages.en.json',
  'src/content/messages.en.json',
  'src/background/messages.en.json',
] as const;
