/**
 * The docs pages the build ships (scripts/docs.ts): the threat model the options page links to exists, says what it
 * must, and every link between docs points to a page that ships. The link itself is tested in test/dom/options.test.tsx.
 */
import { describe, expect, it } from 'vitest';
import { renderDocPage, renderDocs } from '../../scripts/docs.ts';

const pages = renderDocs(process.cwd());

describe('shipped docs', () => {
  it('has the page the About section links to, with the threat model in it', () => {
    // The About section links to /docs/threat-model.html (asserted in test/dom/options.test.tsx).
    const page = pages.get('threat-model.html');
    expect(page).toBeDefined();
    for (const expected of [
      '<title>Framelock threat model</title>',
      '<h2>Assets</h2>',
      '<h2>Trust boundaries and the checks that enforce them</h2>',
      '<h2>What Framelock does not protect</h2>',
      '<table>',
      'isExtensionPageSender',
      'parseBridgeMessage',
    ]) {
      expect(page).toContain(expected);
    }
  });

  it('links only to pages that ship, and runs no script', () => {
    for (const [name, page] of pages) {
      if (!name.endsWith('.html')) continue;
      expect(page).not.toMatch(/<script|\son\w+\s*=/i);
      expect(page).toContain('href="docs.css"');
      for (const [, href] of page.matchAll(/href="([^"]+)"/g)) {
        if (href === undefined || /^(https?:|#)/.test(href)) continue;
        expect(pages.has(href.replace(/#.*$/, '')), `${name} links to ${href}`).toBe(true);
      }
    }
  });

  it('rewrites links between docs to the shipped pages, fragments kept', () => {
    expect(renderDocPage('# T\n\nSee [keys](keys.md) and [a part](frame-format.md#kid).')).toContain(
      '<a href="keys.html">keys</a> and <a href="frame-format.html#kid">a part</a>',
    );
  });
});
