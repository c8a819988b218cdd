/**
 * The committed store listing (store/listing/<locale>/, written by `npm run store`, scripts/store.ts) is what the
 * script writes from the messages now: a changed or new translation of the listing's messages without a fresh
 * `npm run store` fails here, as does a language folder that is no longer shipped.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LISTING_DIR, LISTING_FILES, renderListing } from '../../scripts/store.ts';
import { SHIPPED_LOCALES } from '../../src/ui/locales.ts';

const root = process.cwd();
const STALE = 'the committed listing is stale: run `npm run store` and commit store/listing/';

describe('the store listing', () => {
  const expected = renderListing(root);

  it.each([...expected.keys()])('%s is what `npm run store` writes now', (file) => {
    const full = path.join(root, file);
    expect(existsSync(full), `${file} is missing: ${STALE}`).toBe(true);
    expect(readFileSync(full, 'utf8'), `${file}: ${STALE}`).toBe(expected.get(file));
  });

  it('has a folder for each shipped language and nothing else', () => {
    const listing = path.join(root, LISTING_DIR);
    const folders = readdirSync(listing).sort();
    expect(folders, STALE).toEqual([...SHIPPED_LOCALES].sort());
    for (const folder of folders) {
      expect(readdirSync(path.join(listing, folder)).sort(), `${folder}: ${STALE}`).toEqual(
        Object.keys(LISTING_FILES).sort(),
      );
    }
  });

  it('is the messages as they stand, bullets and paragraphs kept, with no chrome.i18n escape left in', () => {
    const description = expected.get(`${LISTING_DIR}/en/description.txt`) ?? '';
    expect(description).toMatch(/^Framelock adds end-to-end encryption/);
    expect(description).toContain('\n\nHow it works\n• ');
    expect(description).not.toMatch(/\$/);
    expect(expected.get(`${LISTING_DIR}/en/name.txt`)).toBe('Framelock\n');
  });
});
