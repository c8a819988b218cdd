/**
 * @module The demo site's routes: the call page's static files (`demo/public/`) and the signalling room
 * (signalling-room.ts). What `npm start` serves, and what the test server (test/server/test-server.ts) puts its fixture
 * pages and test hooks in front of.
 */
import { fileURLToPath } from 'node:url';
import { allowMethods, HttpError, type RequestHandler } from './http-server.ts';
import { createSignalling, type RewriteSignal, SIGNAL_PATH } from './signalling-room.ts';
import { type StaticFiles, staticFiles } from './static-files.ts';

/** Where the static site lives. */
export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

export interface DemoSiteOptions {
  log: (line: string) => void;
  /** See {@link RewriteSignal}: only the test server sets one. */
  rewriteSignal?: RewriteSignal;
}

export interface DemoSite {
  /** The call page's files, for a server that serves them its own way (the test server's hooks). */
  files: StaticFiles;
  handle: RequestHandler;
  /** Ends the signalling streams. */
  close(): void;
}

export async function createDemoSite(options: DemoSiteOptions): Promise<DemoSite> {
  const files = await staticFiles(PUBLIC_DIR);
  const signalling = createSignalling(options);

  const handle: RequestHandler = async (req, res, url) => {
    const signal = SIGNAL_PATH.exec(url.pathname);
    if (signal !== null) return signalling.handle(req, res, signal);
    allowMethods(req, res, ['GET', 'HEAD']);
    const file = await files.find(url.pathname);
    if (file === undefined) throw new HttpError(404, 'not found');
    return files.send(file, req, res);
  };

  return { files, handle, close: () => signalling.close() };
}
