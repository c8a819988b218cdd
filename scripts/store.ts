/**
 * Writes the store listing's text (`npm run store`): for each shipped language, `store/listing/<locale>/` with the
 * three texts the Chrome Web Store and addons.mozilla.org ask for, taken from the language's messages (the same ones
 * the build ships in `_locales`, scripts/locales.ts), so a translation of the extension is a translation of its
 * listing. What to paste where: store/README.md. test/unit/store-listing.test.ts fails when the committed listing is
 * not what this script writes now.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHIPPED_LOCALES } from '../src/ui/locales.ts';
import { mergeLocaleFragments } from './locales.ts';

/** Where the listing goes, relative to the repository root. */
export const LISTING_DIR = 'store/listing';

/** Each file of a language's listing, and the message it holds. */
export const LISTING_FILES = {
  /** The name (Chrome Web Store: from the manifest; addons.mozilla.org: "Name"). */
  'name.txt': 'extensionName',
  /** The one-line summary (Chrome Web Store: the manifest's description, ≤ 132 characters; AMO: "Summary"). */
  'summary.txt': 'extensionDescription',
  /** The long description (Chrome Web Store: "Description"; AMO: "Description"), plain text with "• " bullets. */
  'description.txt': 'store_description',
} as const;

/**
 * Every file of the listing, by path relative to the repository root, with its text: the message as it stands, and a
 * final newline.
 *
 * @throws if a shipped language's fragments are missing or malformed (scripts/locales.ts), or lack a listing message.
 */
export function renderListing(root: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const locale of SHIPPED_LOCALES) {
    const messages = mergeLocaleFragments(root, locale);
    for (const [file, key] of Object.entries(LISTING_FILES)) {
      const message = messages[key]?.message;
      if (message === undefined) throw new Error(`${locale}: ${key} is missing: the store listing needs it`);
      files.set(`${LISTING_DIR}/${locale}/${file}`, `${message}\n`);
    }
  }
  return files;
}

/** Writes the listing under `root`, and removes the folder of any language no longer shipped. */
export function writeListing(root: string): string[] {
  const files = renderListing(root);
  const listing = path.join(root, LISTING_DIR);
  const shipped = new Set<string>(SHIPPED_LOCALES);
  for (const entry of readdirSync(listing, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    if (!shipped.has(entry.name)) rmSync(path.join(listing, entry.name), { recursive: true });
  }
  for (const [file, text] of files) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return [...files.keys()];
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  mkdirSync(path.join(root, LISTING_DIR), { recursive: true });
  for (const file of writeListing(root)) process.stdout.write(`${file}\n`);
}
