/**
 * @module `t()`: every string the UI shows goes through `chrome.i18n` (English complete in the `messages.en.json`
 * fragments, each other language beside it, see locales.ts). Substitutions are `$1`…`$9` in the message, as
 * `chrome.i18n.getMessage` does. `tp()` picks a count's plural form, `formatCount()` writes a number, both in the
 * language of the messages shown (which is not always the browser's: a browser in Russian gets English).
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

/** The BCP 47 tag of the messages chrome.i18n picked ("en", "pt-BR"): each translation's own `locale_code`. */
export function messagesLocale(): string {
  const code = browser.i18n.getMessage('locale_code');
  try {
    return Intl.getCanonicalLocales(code)[0] ?? 'en';
  } catch {
    return 'en';
  }
}

let numbers: Intl.NumberFormat | undefined;
let plurals: Intl.PluralRules | undefined;

/** `value` written as the messages' language writes numbers ("1,234", "1.234", "1 234"). */
export function formatCount(value: number): string {
  numbers ??= new Intl.NumberFormat(messagesLocale());
  return numbers.format(value);
}

/** The keys with a plural pair, `<key>_one` and `<key>_other`. */
export type PluralKey = {
  [K in MessageKey]: K extends `${infer Base}_one` ? (`${Base}_other` extends MessageKey ? Base : never) : never;
}[MessageKey];

/**
 * The message for `count` things: `<key>_one` where the messages' language puts `count` in its "one" form (English
 * 1; French 0 and 1; Japanese never), else `<key>_other`. `$1` is the count, written by {@link formatCount}, then
 * `substitutions` from `$2`. Languages with more forms (few, many) get `_other` for them: one that needs them in a
 * sentence we show extends this first (README.md, "Adding a language").
 */
export function tp(key: PluralKey, count: number, ...substitutions: (string | number)[]): string {
  plurals ??= new Intl.PluralRules(messagesLocale());
  const form = plurals.select(count) === 'one' ? 'one' : 'other';
  return t(`${key}_${form}` as MessageKey, formatCount(count), ...substitutions);
}
