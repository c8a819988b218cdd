/**
 * @module The server the browser tests run against: the demo site (demo/demo-site.ts: the call page and the
 * signalling room) with what exists only for tests in front of it, so that `npm start` serves none of it:
 *
 * - the fixture pages and scripts of `test/pages/` at the site's root (`/blank.html`, `/hostile.js`, ...; a page
 *   script's service worker must sit at the root to control the whole site), see test/pages/README.md;
 * - the hooks on HTML pages, `?hostile=<name>` and `?csp=<preset>` (page-hooks.ts), on the demo's pages and these;
 * - `rewriteSignal`, which sees every signalling message on its way (test/browser/relay.ts points ICE candidates at a
 *   lossy relay with it);
 * - third-party browser libraries a fixture page loads as a site would (`/vendor/peerjs.min.js`: PeerJS's own browser
 *   bundle from node_modules, for test/pages/peerjs.html).
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createDemoSite } from '../../demo/demo-site.ts';
import { listenHttp, type RequestHandler, type RunningServer } from '../../demo/http-server.ts';
import { type RewriteSignal, SIGNAL_PATH } from '../../demo/signalling-room.ts';
import { NO_STORE, staticFiles } from '../../demo/static-files.ts';
import { hasPageHooks, sendWithPageHooks } from './page-hooks.ts';
import { pageScript } from './page-scripts.ts';

/** The fixture pages, served at the root of the site. */
export const TEST_PAGES_DIR = fileURLToPath(new URL('../pages/', import.meta.url));

export interface TestServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Log each request and signalling event to stderr. */
  verbose?: boolean;
  /** Sees every signalling message before it is delivered; returns what to deliver instead, or undefined to drop it. */
  rewriteSignal?: RewriteSignal;
}

export type TestServer = RunningServer;

/** Browser bundles of libraries the fixture pages load, by URL path: the files their packages ship. */
const VENDOR_SCRIPTS: Readonly<Record<string, URL>> = {
  '/vendor/peerjs.min.js': new URL('../../node_modules/peerjs/dist/peerjs.min.js', import.meta.url),
};

/** Starts the test server on loopback; resolves once it listens. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { port = 0, verbose = false, rewriteSignal } = options;
  const log = verbose ? (line: string) => console.error(`[test server] ${line}`) : () => undefined;
  const site = await createDemoSite({ log, rewriteSignal });
  const pages = await staticFiles(TEST_PAGES_DIR);

  const handle: RequestHandler = async (req, res, url) => {
    if (SIGNAL_PATH.test(url.pathname) || (req.method !== 'GET' && req.method !== 'HEAD')) {
      return site.handle(req, res, url);
    }
    const script = pageScript(url.pathname);
    if (script !== undefined) return sendScript(await script, req, res);
    const vendor = VENDOR_SCRIPTS[url.pathname];
    if (vendor !== undefined) return sendScript(await readFile(vendor, 'utf8'), req, res);
    const fixture = await pages.find(url.pathname);
    const file = fixture ?? (await site.files.find(url.pathname));
    if (file?.type.startsWith('text/html') && hasPageHooks(url.searchParams)) {
      return sendWithPageHooks(file, url.searchParams, req, res);
    }
    if (fixture !== undefined) return pages.send(fixture, req, res);
    return site.handle(req, res, url);
  };

  return listenHttp(handle, { port, host: '127.0.0.1', log, onClose: site.close });
}

/** A bundled page script, with the headers of the site's own files. */
function sendScript(code: string, req: IncomingMessage, res: ServerResponse): void {
  const body = Buffer.from(code, 'utf8');
  res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Content-Length': body.length, ...NO_STORE });
  res.end(req.method === 'HEAD' ? undefined : body);
}
