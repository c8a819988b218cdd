/**
 * Renders docs/*.md into static pages the extension ships (`docs/<name>.html`, with `docs/docs.css`), so the options
 * page's About section can link to the threat model from inside the extension. The pages hold no script (the
 * extension pages' CSP allows only our bundled scripts anyway) and link to each other: `keys.md` becomes `keys.html`.
 * Used by the build (vite.config.ts) and tested in test/unit/docs.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Marked } from 'marked';

/** Where the pages go in the build; the options page links to `/docs/threat-model.html`. */
export const DOCS_OUTPUT_DIR = 'docs';

const STYLE = `body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #8884; padding: 0.3rem 0.5rem; vertical-align: top; text-align: left; }
code, pre { font-family: ui-monospace, monospace; font-size: 0.9em; }
pre { overflow-x: auto; padding: 0.5rem; background: #8881; }
@media (prefers-color-scheme: dark) { body { background: #1e1e1e; color: #ddd; } a { color: #8ab4f8; } }
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

/** One page: the Markdown as HTML (GitHub's dialect: tables), links between docs rewritten to the shipped pages. */
export function renderDocPage(markdown: string): string {
  const title = /^# (.+)$/m.exec(markdown)?.[1] ?? 'Framelock';
  const marked = new Marked({ gfm: true, async: false });
  const body = (marked.parse(markdown) as string).replace(
    /href="([\w-]+)\.md(#[\w-]*)?"/g,
    (_, name: string, fragment: string | undefined) => `href="${name}.html${fragment ?? ''}"`,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="docs.css">
</head>
<body>
${body}</body>
</html>
`;
}

/** Every page to ship, by file name under {@link DOCS_OUTPUT_DIR}: one per docs/*.md, and the style sheet. */
export function renderDocs(root: string): Map<string, string> {
  const dir = path.join(root, 'docs');
  const pages = new Map<string, string>([['docs.css', STYLE]]);
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.md'))
    .sort()) {
    pages.set(name.replace(/\.md$/, '.html'), renderDocPage(readFileSync(path.join(dir, name), 'utf8')));
  }
  return pages;
}
