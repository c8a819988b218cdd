/**
 * @module Static files from one folder, read-only: `/` maps to `index.html`, and nothing outside the folder can be
 * reached (no `..`, no hidden files, no symlink that leads out, no directory listings). Every answer is `no-store`
 * and `nosniff`: the tests reload pages and must get what is on disk now.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { HttpError } from './http-server.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Headers every answer of the demo server's files carries. */
export const NO_STORE = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' } as const;

/** A file found for a URL path. */
export interface StaticFile {
  /** Its real path on disk (symlinks resolved). */
  path: string;
  /** Its Content-Type, from its extension. */
  type: string;
  size: number;
}

export interface StaticFiles {
  /** The file `pathname` (still URL-encoded) names, or undefined if there is none. Throws 400 on a malformed path. */
  find(pathname: string): Promise<StaticFile | undefined>;
  /** Sends `file` as it is on disk (headers only for HEAD). */
  send(file: StaticFile, req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** The files under `dir`. */
export async function staticFiles(dir: string): Promise<StaticFiles> {
  const root = await realpath(dir);

  async function find(pathname: string): Promise<StaticFile | undefined> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      throw new HttpError(400, 'bad path');
    }
    const segments = decoded.split('/').filter((s) => s !== '');
    if (segments.some((s) => s === '..' || s === '.' || s.includes('\\') || s.includes('\0') || s.startsWith('.'))) {
      return undefined;
    }
    if (decoded.endsWith('/')) segments.push('index.html');
    const candidate = path.join(root, ...segments);
    // Symlinks must not lead out of the folder either.
    const resolved = await realpath(candidate).catch(() => undefined);
    if (resolved === undefined || !resolved.startsWith(root + path.sep)) return undefined;
    const info = await stat(resolved);
    if (!info.isFile()) return undefined; // no directory listings
    const type = CONTENT_TYPES[path.extname(resolved).toLowerCase()] ?? 'application/octet-stream';
    return { path: resolved, type, size: info.size };
  }

  async function send(file: StaticFile, req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.writeHead(200, { 'Content-Type': file.type, 'Content-Length': file.size, ...NO_STORE });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await new Promise<void>((resolve, reject) => {
      createReadStream(file.path).on('error', reject).pipe(res).on('finish', resolve).on('error', reject);
    });
  }

  return { find, send };
}
