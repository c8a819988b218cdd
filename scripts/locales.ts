/**
 * Merges each language's fragments (src/ui/locales.ts) into one `_locales/<locale>/messages.json`, and checks every
 * translation against English. Used by the build (vite.config.ts), the package check (scripts/package.ts) and the
 * tests (test/dom/i18n.ts, test/unit/locales.test.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LOCALE_FOLDERS, SHIPPED_LOCALES } from '../src/ui/locales.ts';

export interface LocaleMessage {
  message: string;
  description?: string;
  placeholders?: Record<string, { content: string; example?: string }>;
}

export type Messages = Record<string, LocaleMessage>;

/** Chrome's rule for message names: ASCII letters, digits and underscores. */
const KEY = /^[A-Za-z0-9_]+$/;

/** A fragment's path, relative to the repository root. */
export function fragmentPath(folder: string, locale: string): string {
  return `${folder}/messages.${locale}.json`;
}

/**
 * The merged messages of `locale` (English by default); throws on a duplicate or malformed key, an entry without a
 * message, or a missing fragment.
 */
export function mergeLocaleFragments(root: string, locale: string = 'en'): Messages {
  const merged: Messages = {};
  const origin: Record<string, string> = {};
  for (const folder of LOCALE_FOLDERS) {
    const fragment = fragmentPath(folder, locale);
    const file = path.join(root, fragment);
    if (!existsSync(file)) throw new Error(`${fragment} is missing: each language has a fragment in each folder`);
    const entries = JSON.parse(readFileSync(file, 'utf8')) as Messages;
    for (const [key, value] of Object.entries(entries)) {
      if (!KEY.test(key)) throw new Error(`${fragment}: message name ${JSON.stringify(key)} is not [A-Za-z0-9_]+`);
      const lower = key.toLowerCase(); // chrome.i18n names are case-insensitive
      if (origin[lower] !== undefined) throw new Error(`${fragment}: ${key} is already defined in ${origin[lower]}`);
      if (typeof value?.message !== 'string' || value.message === '') {
        throw new Error(`${fragment}: ${key} has no message`);
      }
      origin[lower] = fragment;
      merged[key] = value;
    }
  }
  return merged;
}

/**
 * The substitutions a message uses, sorted: `$1`…`$9` and named `$NAME$` placeholders (`$$` is a dollar sign). Any
 * other `$` is reported as `$?`, which no English message has: chrome.i18n would print it as it stands, or eat it.
 */
export function substitutions(message: string): string[] {
  const found: string[] = [];
  for (const match of message.matchAll(/\$(\$|[1-9]|[A-Za-z0-9_]+\$)?/g)) {
    const what = match[1];
    if (what === '$') continue;
    found.push(what === undefined ? '$?' : `$${what.toLowerCase()}`);
  }
  return found.sort();
}

/** What is wrong with a translation, against English: each problem a line naming the key. Empty: nothing. */
export function localeProblems(english: Messages, translated: Messages): string[] {
  const problems: string[] = [];
  for (const [key, { message }] of Object.entries(english)) {
    const entry = translated[key];
    if (entry === undefined) {
      problems.push(`${key}: missing`);
      continue;
    }
    const want = new Set(substitutions(message));
    const got = substitutions(entry.message);
    // Each substitution English uses appears in the translation (a language may need one twice), and no other one.
    const lost = [...want].filter((s) => !got.includes(s));
    const extra = got.filter((s) => !want.has(s));
    if (lost.length > 0) problems.push(`${key}: drops ${lost.join(', ')}`);
    if (extra.length > 0) problems.push(`${key}: adds ${[...new Set(extra)].join(', ')} that English does not have`);
    if (JSON.stringify(entry.placeholders ?? {}) !== JSON.stringify(english[key]?.placeholders ?? {})) {
      problems.push(`${key}: its placeholders differ from English's`);
    }
  }
  for (const key of Object.keys(translated)) {
    if (english[key] === undefined) problems.push(`${key}: not an English key (renamed or removed there?)`);
  }
  return problems;
}

/**
 * Every shipped language's messages, as the build emits them: English with its descriptions (they are the
 * translators' notes), each other language with its messages only. Throws, naming each problem, when a translation
 * misses a key or breaks a substitution: a package never ships one.
 */
export function shippedLocales(root: string, locales: readonly string[] = SHIPPED_LOCALES): Map<string, Messages> {
  const english = mergeLocaleFragments(root, 'en');
  const out = new Map<string, Messages>([['en', english]]);
  const problems: string[] = [];
  for (const locale of locales) {
    if (locale === 'en') continue;
    const translated = mergeLocaleFragments(root, locale);
    problems.push(...localeProblems(english, translated).map((problem) => `${locale}: ${problem}`));
    const stripped: Messages = {};
    for (const [key, entry] of Object.entries(translated)) {
      stripped[key] =
        entry.placeholders === undefined
          ? { message: entry.message }
          : { message: entry.message, placeholders: entry.placeholders };
    }
    out.set(locale, stripped);
  }
  if (problems.length > 0) throw new Error(`translations do not match English:\n  ${problems.join('\n  ')}`);
  return out;
}
