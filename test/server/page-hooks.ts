/**
 * @module The test hooks on HTML pages of the test server, asked for in the page's query (without them every page is
 * served as it is on disk):
 *
 * ```
 * ?hostile=1 | ?hostile=<name>   the page loads /hostile.js (or /hostile-<name>.js) as its first script, first thing
 *                                in <head>: a page script that attacks Framelock (test/pages/README.md)
 * ?csp=<preset>                  the page is served with that Content-Security-Policy header (csp-presets.ts)
 * ```
 *
 * The hostile script is a classic `<script src>` without `async` or `defer`, so it runs synchronously before any other
 * script of the page, and after Framelock's page script (injected at document_start): the order a site's own first
 * script gets, which is what it attacks.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../../demo/http-server.ts';
import { NO_STORE, type StaticFile } from '../../demo/static-files.ts';
import { CSP_PRESETS } from './csp-presets.ts';

/** `?hostile=` values: `1` (hostile.js) or a short name (hostile-<name>.js). */
const HOSTILE = /^(1|[a-z0-9-]{1,32})$/;

/** Whether `query` asks for a hook (on an HTML page). */
export function hasPageHooks(query: URLSearchParams): boolean {
  return query.has('hostile') || query.has('csp');
}

/** Sends the HTML page `file` with the hooks of `query` applied. */
export async function sendWithPageHooks(
  file: StaticFile,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const headers: Record<string, string | number> = { 'Content-Type': file.type, ...NO_STORE };
  const csp = query.get('csp');
  if (csp !== null) {
    const policy = Object.hasOwn(CSP_PRESETS, csp) ? CSP_PRESETS[csp] : undefined;
    if (policy === undefined) throw new HttpError(400, `unknown csp preset (one of ${Object.keys(CSP_PRESETS)})`);
    headers['Content-Security-Policy'] = policy;
  }
  let html = await readFile(file.path, 'utf8');
  const hostile = query.get('hostile');
  if (hostile !== null) {
    if (!HOSTILE.test(hostile)) throw new HttpError(400, 'bad hostile script name');
    const script = hostile === '1' ? '/hostile.js' : `/hostile-${hostile}.js`;
    const head = /<head[^>]*>/i.exec(html);
    if (head === null) throw new HttpError(500, 'the page has no <head>');
    const at = head.index + head[0].length;
    html = `${html.slice(0, at)}\n    <script src="${script}"></script>${html.slice(at)}`;
  }
  const body = Buffer.from(html, 'utf8');
  headers['Content-Length'] = body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}
