/** The locale fragments merge, every key the code uses exists, and the substitution rules hold. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeLocaleFragments } from '../../scripts/locales.ts';
import { formatCount, messagesLocale, t, tp } from '../../src/ui/i18n';
import { getMessage } from './i18n';

/** The repository root: vitest runs there (happy-dom's URL cannot express file paths for fileURLToPath). */
const root = process.cwd();

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sources(full) : /\.tsx?$/.test(name) ? [full] : [];
  });
}

describe('UI strings', () => {
  it('merge into one locale with no duplicate key', () => {
    const messages = mergeLocaleFragments(root);
    expect(messages.extensionName?.message).toBe('Framelock');
  });

  it('every t("…") key in src exists in English', () => {
    const messages = mergeLocaleFragments(root);
    const missing: string[] = [];
    for (const file of sources(path.join(root, 'src'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([A-Za-z0-9_]+)'/g)) {
        if (messages[match[1] as string] === undefined) missing.push(`${path.relative(root, file)}: ${match[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('never say the passphrase opens recordings: keys are per call and forward secret (docs/keys.md)', () => {
    const messages = mergeLocaleFragments(root);
    const stale = Object.entries(messages)
      .filter(([, { message }]) =>
        /decrypt(s)? recordings|no forward secrecy|keys made from the passphrase/i.test(message),
      )
      .map(([key]) => key);
    expect(stale).toEqual([]);
  });

  it('substitutes $1… and named placeholders as chrome.i18n does; a missing key is visible', () => {
    expect(getMessage('extensionName')).toBe('Framelock');
    expect(t('extensionName')).toBe('Framelock');
    expect(t('noSuchKey' as never)).toBe('⟦noSuchKey⟧');
  });

  it('picks a plural form by the messages’ language, and writes numbers in it', () => {
    expect(messagesLocale()).toBe('en');
    expect(tp('popup_text_refused', 1)).toBe('1 message refused');
    expect(tp('popup_text_refused', 0)).toBe('0 messages refused');
    expect(tp('popup_text_refused', 12_345)).toBe('12,345 messages refused');
    expect(formatCount(1_234_567)).toBe('1,234,567');
  });
});
