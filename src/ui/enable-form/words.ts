/**
 * @module The enable form's two layouts, and the words that differ between them. The form is one (EnableForm.tsx);
 * the options page shows it roomy, with a "Site" field, and the popup compact, about the tab's site. Words both
 * layouts say alike are `enable_*` messages (src/ui/messages.en.json); these are the ones each page words its own way
 * (the popup's are shorter, and speak of "this popup").
 */
import type { MessageKey } from '../locales';

/** `page`: the options page (the user types the site). `popup`: the toolbar popup (the site is the tab's). */
export type Layout = 'page' | 'popup';

export interface LayoutWords {
  /** The passphrase field is empty. */
  passphraseMissing: MessageKey;
  /** "Generate passphrase" filled the field ($1: the number of words). */
  generated: MessageKey;
  /** The passphrase was copied. */
  copied: MessageKey;
  /** The clipboard refused. */
  copyFailed: MessageKey;
  /** Wraps the background's refusal ($1), or `undefined` to show it as it is. */
  enableFailed: MessageKey | undefined;
}

export const WORDS: Readonly<Record<Layout, LayoutWords>> = {
  page: {
    passphraseMissing: 'options_passphrase_missing',
    generated: 'options_generated_announce',
    copied: 'options_copied',
    copyFailed: 'options_copy_failed',
    // The page shows it next to its field, or as an alert under the form: it needs no preamble.
    enableFailed: undefined,
  },
  popup: {
    passphraseMissing: 'popup_error_no_passphrase',
    generated: 'popup_generated_announce',
    copied: 'popup_passphrase_copied',
    copyFailed: 'popup_copy_failed',
    enableFailed: 'popup_error_enable',
  },
};
