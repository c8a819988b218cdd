/**
 * @module The HTTP side of the demo server, whatever it serves: listening on loopback, turning what a handler throws
 * into a plain-text answer ({@link HttpError} says which status), reading a bounded request body, and closing every
 * connection on close. Plain HTTP: loopback is a secure context, which is all WebRTC and WebCodecs ask for.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Thrown by a handler: answered with `status` and `message` as plain text. Anything else is a 500. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Answers one request; `url` is the request's URL, parsed. Throws an {@link HttpError} to refuse it. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

export interface ListenOptions {
  /** 0 picks a free port. */
  port: number;
  host: string;
  /** One line per request (method and path); a no-op when not verbose. */
  log: (line: string) => void;
  /** Runs first on close (ends the open event streams, which would otherwise keep their connections). */
  onClose?: () => void;
}

export interface RunningServer {
  /** `http://host:port` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Closes every stream and the listening socket. */
  close(): Promise<void>;
}

/** Serves `handle` on `host:port`; resolves once it listens. */
export async function listenHttp(handle: RequestHandler, options: ListenOptions): Promise<RunningServer> {
  const { port, host, log, onClose } = options;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    log(`${req.method} ${url.pathname}`);
    handle(req, res, url).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) console.error('[demo] internal error:', error);
      if (!res.headersSent) {
        res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
        res.end(`${status} ${error instanceof HttpError ? error.message : 'internal error'}\n`);
      } else {
        res.destroy();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        onClose?.();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** Refuses every method but `allowed` with a 405 that names them. */
export function allowMethods(req: IncomingMessage, res: ServerResponse, allowed: readonly string[]): void {
  if (allowed.includes(req.method ?? '')) return;
  res.setHeader('Allow', allowed.join(', '));
  throw new HttpError(405, 'method not allowed');
}

/** The request body as UTF-8, refused with a 413 past `limit` bytes (declared or sent). */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new HttpError(413, `body larger than ${limit} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        // Answer now and discard the rest (the error response closes the connection).
        req.off('data', onData);
        chunks.length = 0;
        req.resume();
        reject(new HttpError(413, `body larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
