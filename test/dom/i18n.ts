/**
 * `chrome.i18n.getMessage` for component tests, from the same `messages.en.json` fragments the build ships (merged
 * the same way), with Chrome's substitution rules: `$1`…`$9` directly in a message, and named `$PLACEHOLDER$`s whose
 * content is `$n`.
 */
import { mergeLocaleFragments } from '../../scripts/locales.ts';

/** The repository root: vitest runs there (happy-dom's URL cannot express file paths for fileURLToPath). */
const root = process.cwd();
const messages = mergeLocaleFragments(root);
const byLowerKey = new Map(Object.entries(messages).map(([key, value]) => [key.toLowerCase(), value]));

export function getMessage(key: string, substitutions: string | string[] = []): string {
  const entry = byLowerKey.get(key.toLowerCase());
  if (entry === undefined) return '';
  const subs = Array.isArray(substitutions) ? substitutions : [substitutions];
  const positional = (text: string) => text.replace(/\$(\d)/g, (_, n: string) => subs[Number(n) - 1] ?? '');
  let text = entry.message.replace(/\$([A-Za-z0-9_]+)\$/g, (whole, name: string) => {
    const placeholder = entry.placeholders?.[name.toLowerCase()] ?? entry.placeholders?.[name];
    return placeholder === undefined ? whole : positional(placeholder.content);
  });
  text = positional(text);
  return text.replace(/\$\$/g, '$');
}
