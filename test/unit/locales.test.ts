/**
 * Every shipped language has every English key, with the same substitutions, and reads as a translation: the checks
 * the build (vite.config.ts) also runs, plus the limits the stores and Chrome set.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fragmentPath,
  localeProblems,
  type Messages,
  mergeLocaleFragments,
  shippedLocales,
  substitutions,
} from '../../scripts/locales.ts';
import { LOCALE_FOLDERS, SHIPPED_LOCALES } from '../../src/ui/locales.ts';

const root = process.cwd();
const english = mergeLocaleFragments(root, 'en');
const manifest = JSON.parse(readFileSync(path.join(root, 'manifest.json'), 'utf8')) as { default_locale: string };

/**
 * English messages a translation may keep as they are: names, codes, and strings made only of substitutions and
 * symbols. Anything else identical to English is a string someone forgot to translate.
 */
const SAME_AS_ENGLISH = new Set(['extensionName', 'locale_code']);

/** Words of at least 3 letters, to tell a sentence from a name or a code. */
function englishWords(message: string): number {
  return (message.replace(/\$[1-9]/g, '').match(/[A-Za-z]{3,}/g) ?? []).length;
}

describe('languages', () => {
  it('English is the default locale, and every locale has its folder name as locale_code (pt_BR: pt-BR)', () => {
    expect(manifest.default_locale).toBe('en');
    expect(SHIPPED_LOCALES[0]).toBe('en');
    for (const locale of SHIPPED_LOCALES) {
      expect(mergeLocaleFragments(root, locale).locale_code?.message, locale).toBe(locale.replace('_', '-'));
    }
  });

  it.each(SHIPPED_LOCALES.filter((l) => l !== 'en'))('%s has every English key, with its substitutions', (locale) => {
    expect(localeProblems(english, mergeLocaleFragments(root, locale))).toEqual([]);
  });

  it.each(SHIPPED_LOCALES.filter((l) => l !== 'en'))('%s translates every sentence', (locale) => {
    const translated = mergeLocaleFragments(root, locale);
    const untranslated = Object.entries(english)
      .filter(([key, { message }]) => !SAME_AS_ENGLISH.has(key) && englishWords(message) >= 2)
      .filter(([key, { message }]) => translated[key]?.message === message)
      .map(([key]) => key);
    expect(untranslated).toEqual([]);
  });

  it.each(SHIPPED_LOCALES)('%s keeps within the limits of Chrome and the stores', (locale) => {
    const messages = mergeLocaleFragments(root, locale);
    // Chrome: the manifest's name at most 75 characters (45 shown), short_name 12, description 132.
    expect((messages.extensionName?.message ?? '').length).toBeLessThanOrEqual(12);
    expect((messages.extensionDescription?.message ?? '').length).toBeLessThanOrEqual(132);
    // The Chrome Web Store's description: at most 16,000 characters.
    expect((messages.store_description?.message ?? '').length).toBeLessThanOrEqual(16_000);
    // The promo tile is 440 px wide: a rough bound here; test/browser/store.test.ts checks that it fits, rendered.
    expect((messages.store_promo_tagline?.message ?? '').length).toBeLessThanOrEqual(72);
  });

  it('every plural message has both forms, with the count as $1', () => {
    for (const key of Object.keys(english).filter((k) => k.endsWith('_one'))) {
      const other = `${key.slice(0, -'_one'.length)}_other`;
      expect(english[other], other).toBeDefined();
      expect(substitutions(english[key]?.message ?? '')).toContain('$1');
      expect(substitutions(english[other]?.message ?? '')).toContain('$1');
    }
  });
});

describe('the translation check', () => {
  const reference: Messages = {
    greet: { message: 'Hello $1, you have $2 calls' },
    price: { message: 'It costs $$5' },
  };

  it('passes a faithful translation, whatever the order of its substitutions, and a dollar sign written $$', () => {
    expect(
      localeProblems(reference, { greet: { message: '$2 Anrufe für $1' }, price: { message: 'Es kostet $$5' } }),
    ).toEqual([]);
  });

  it('names a missing key, a lost or added substitution, a stray $ and a key English does not have', () => {
    expect(
      localeProblems(reference, {
        greet: { message: 'Bonjour $1, $3 appels $' },
        extra: { message: 'x' },
      }),
    ).toEqual([
      'greet: drops $2',
      'greet: adds $3, $? that English does not have',
      'price: missing',
      'extra: not an English key (renamed or removed there?)',
    ]);
  });

  it('reads named placeholders case-insensitively', () => {
    expect(substitutions('$NAME$ and $name$ and $1')).toEqual(['$1', '$name$', '$name$']);
  });

  it('stops the build on a translation that lost a substitution, naming it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'framelock-locales-'));
    try {
      for (const folder of LOCALE_FOLDERS) {
        cpSync(path.join(root, fragmentPath(folder, 'en')), path.join(dir, fragmentPath(folder, 'en')));
        const english = JSON.parse(readFileSync(path.join(root, fragmentPath(folder, 'en')), 'utf8')) as Messages;
        const copy: Messages = {};
        for (const [key, { message }] of Object.entries(english)) copy[key] = { message: `«${message}»` };
        if (copy.popup_text_refused_other) copy.popup_text_refused_other = { message: 'refusés' };
        writeFileSync(path.join(dir, fragmentPath(folder, 'xx')), JSON.stringify(copy));
      }
      expect(() => shippedLocales(dir, ['en', 'xx'])).toThrow(/xx: popup_text_refused_other: drops \$1/);
      expect([...shippedLocales(dir, ['en']).keys()]).toEqual(['en']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
