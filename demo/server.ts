/**
 * The demo site: a tiny loopback web server that plays "a site that never built E2EE". It serves the static call page
 * in `demo/public/` and relays signalling between the two participants of a room, nothing else (no STUN/TURN, no
 * media: the browsers connect directly).
 *
 * ```
 * GET  /<file>                  static file from demo/public ("/" → index.html; no listings, no "..")
 * GET  /signal/<room>/<peer>    Server-Sent Events: everything addressed to <peer>, plus presence events
 * POST /signal/<room>/<peer>    JSON body (≤ 64 KB) → delivered to the other peer of the room, queued until it listens
 * ```
 *
 * Test hooks on HTML pages (additive; without them every page is served as it is on disk):
 *
 * ```
 * ?hostile=1 | ?hostile=<name>   the page loads /hostile.js (or /hostile-<name>.js) as its first script, first thing
 *                                in <head>: a page script that attacks Framelock (demo/public/hostile.js)
 * ?csp=<preset>                  the page is served with that Content-Security-Policy header (see CSP_PRESETS)
 * ```
 *
 * And `startDemoServer({ rewriteSignal })` lets a test rewrite or drop signalling messages on their way (e.g. ICE
 * candidates pointed at a lossy relay: test/browser/relay.ts).
 *
 * SSE events: `event: presence` with `{"type":"welcome","peers":[...]}` (the others present when the stream opens),
 * `{"type":"joined","peer":"bob"}` and `{"type":"left","peer":"bob"}`; plain `data:` events carry
 * `{"from":"alice","message":<the posted JSON>}`.
 *
 * Bounded: a room holds two peers, rooms are dropped after {@link LIMITS.roomIdleMs} without a listener (and after
 * {@link LIMITS.roomMaxAgeMs} in any case), at most {@link LIMITS.rooms} rooms and {@link LIMITS.queuedMessages}
 * queued messages per peer.
 *
 * Run it directly: `tsx demo/server.ts [--port 8080] [--host 127.0.0.1]`.
 */
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where the static site lives. */
export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

export const LIMITS = {
  /** Largest signalling message accepted (an SDP with many m-lines is ~10 KB). */
  bodyBytes: 64 * 1024,
  /** Peers per room: the demo page is a one-to-one call. */
  peersPerRoom: 2,
  rooms: 200,
  /** Messages queued for a peer that is not listening; older ones are dropped first. */
  queuedMessages: 200,
  /** A room nobody listens to is dropped after this long. */
  roomIdleMs: 5 * 60_000,
  /** And any room after this long. */
  roomMaxAgeMs: 6 * 60 * 60_000,
  /** SSE comment sent this often so proxies and browsers keep the stream open. */
  keepAliveMs: 15_000,
} as const;

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

/**
 * Content-Security-Policy headers a page can ask for with `?csp=<preset>` (tests of sites with strict policies). Every
 * preset lets the demo call itself run (its own scripts, inline styles, same-origin fetch and EventSource, same-origin
 * frames); they differ in what they allow workers.
 */
export const CSP_PRESETS: Readonly<Record<string, string>> = {
  /** No `blob:` anywhere: a Blob URL worker is refused (worker-src falls back to script-src). */
  'no-blob-worker':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; " +
    "img-src 'self' data:; media-src 'self' blob: mediastream:; frame-src 'self'",
  /** Only `worker-src` restricted: a site that locks down workers and nothing else. */
  'worker-self': "worker-src 'self'",
  /** Blob URL workers allowed, but scripts only from the site itself (what such a worker may import). */
  'blob-worker-script-self':
    "default-src 'self'; script-src 'self'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; " +
    "connect-src 'self'; img-src 'self' data:; media-src 'self' blob: mediastream:; frame-src 'self'",
};

/** `?hostile=` values: `1` (hostile.js) or a short name (hostile-<name>.js). */
const HOSTILE = /^(1|[a-z0-9-]{1,32})$/;

/** Room and peer names: short and plain, so they are safe in URLs, logs and SSE. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

export interface DemoServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Log each request and signalling event to stderr. */
  verbose?: boolean;
  /**
   * Tests: sees every signalling message before it is delivered, and returns what to deliver instead, or `undefined`
   * to drop it (e.g. to make the peers' ICE candidates point at a relay that impairs the path between them).
   */
  rewriteSignal?: (message: unknown) => unknown | Promise<unknown>;
}

export interface DemoServer {
  /** `http://host:port` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Closes every stream and the listening socket. */
  close(): Promise<void>;
}

interface Peer {
  name: string;
  /** The open SSE response, if the peer listens now. */
  stream?: ServerResponse;
  /** Serialised SSE events waiting for the peer to listen. */
  queue: string[];
}

interface Room {
  peers: Map<string, Peer>;
  /** Posted while the room had no other peer: delivered to the next peer that joins (never back to the sender). */
  unaddressed: { from: string; event: string }[];
  createdAt: number;
  lastActive: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Starts the demo server; resolves once it listens. */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const { port = 0, host = '127.0.0.1', verbose = false } = options;
  const root = await realpath(PUBLIC_DIR);
  const rooms = new Map<string, Room>();
  const log = verbose ? (line: string) => console.error(`[demo] ${line}`) : () => undefined;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
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

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    log(`${req.method} ${url.pathname}`);
    const signal = /^\/signal\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (signal !== null) {
      const [room, peer] = [signal[1] ?? '', signal[2] ?? ''];
      if (!NAME.test(room) || !NAME.test(peer)) throw new HttpError(400, 'bad room or peer name');
      if (req.method === 'GET') return listen(room, peer, req, res);
      if (req.method === 'POST') return post(room, peer, req, res);
      res.setHeader('Allow', 'GET, POST');
      throw new HttpError(405, 'method not allowed');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      throw new HttpError(405, 'method not allowed');
    }
    return serveStatic(url.pathname, req, res, url.searchParams);
  }

  async function serveStatic(
    pathname: string,
    req: IncomingMessage,
    res: ServerResponse,
    query: URLSearchParams = new URLSearchParams(),
  ): Promise<void> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      throw new HttpError(400, 'bad path');
    }
    const segments = decoded.split('/').filter((s) => s !== '');
    if (segments.some((s) => s === '..' || s === '.' || s.includes('\\') || s.includes('\0') || s.startsWith('.'))) {
      throw new HttpError(404, 'not found');
    }
    if (decoded.endsWith('/')) segments.push('index.html');
    const candidate = path.join(root, ...segments);
    // Symlinks must not lead out of the public folder either.
    const resolved = await realpath(candidate).catch(() => undefined);
    if (resolved === undefined || !resolved.startsWith(root + path.sep)) throw new HttpError(404, 'not found');
    const info = await stat(resolved);
    if (!info.isFile()) throw new HttpError(404, 'not found'); // no directory listings
    const type = CONTENT_TYPES[path.extname(resolved).toLowerCase()] ?? 'application/octet-stream';
    if (type.startsWith('text/html') && (query.has('hostile') || query.has('csp'))) {
      return serveTestPage(resolved, type, query, req, res);
    }
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': info.size,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await new Promise<void>((resolve, reject) => {
      createReadStream(resolved).on('error', reject).pipe(res).on('finish', resolve).on('error', reject);
    });
  }

  /** An HTML page with the test hooks of its query applied (see the module comment). */
  async function serveTestPage(
    file: string,
    type: string,
    query: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const headers: Record<string, string | number> = {
      'Content-Type': type,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    };
    const csp = query.get('csp');
    if (csp !== null) {
      const policy = Object.hasOwn(CSP_PRESETS, csp) ? CSP_PRESETS[csp] : undefined;
      if (policy === undefined) throw new HttpError(400, `unknown csp preset (one of ${Object.keys(CSP_PRESETS)})`);
      headers['Content-Security-Policy'] = policy;
    }
    let html = await readFile(file, 'utf8');
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

  /** The room, created if needed, with `name` in it (registered if there is room). */
  function join(roomName: string, name: string): { room: Room; peer: Peer } {
    let room = rooms.get(roomName);
    if (room === undefined) {
      sweep();
      if (rooms.size >= LIMITS.rooms) throw new HttpError(503, 'too many rooms');
      room = { peers: new Map(), unaddressed: [], createdAt: Date.now(), lastActive: Date.now() };
      rooms.set(roomName, room);
    }
    room.lastActive = Date.now();
    let peer = room.peers.get(name);
    if (peer === undefined) {
      if (room.peers.size >= LIMITS.peersPerRoom) throw new HttpError(409, 'room is full');
      peer = { name, queue: [] };
      room.peers.set(name, peer);
      // What others posted before this peer existed is for it.
      for (const item of room.unaddressed.filter((u) => u.from !== name)) enqueue(peer, item.event);
      room.unaddressed = room.unaddressed.filter((u) => u.from === name);
    }
    return { room, peer };
  }

  function listen(roomName: string, name: string, req: IncomingMessage, res: ServerResponse): void {
    const { room, peer } = join(roomName, name);
    peer.stream?.end(); // A reconnect (reload, EventSource retry) replaces the old stream.
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    peer.stream = res;
    const others = [...room.peers.values()].filter((p) => p !== peer);
    send(peer, sseEvent('presence', { type: 'welcome', peers: others.filter((p) => p.stream).map((p) => p.name) }));
    for (const queued of peer.queue.splice(0)) res.write(queued);
    for (const other of others) enqueue(other, sseEvent('presence', { type: 'joined', peer: name }));
    log(`${roomName}/${name} listening (${others.length} other peer(s))`);

    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), LIMITS.keepAliveMs);
    req.on('close', () => {
      clearInterval(keepAlive);
      if (peer.stream !== res) return; // replaced by a newer stream
      peer.stream = undefined;
      room.lastActive = Date.now();
      for (const other of room.peers.values()) {
        if (other !== peer) enqueue(other, sseEvent('presence', { type: 'left', peer: name }));
      }
      log(`${roomName}/${name} left`);
    });
  }

  async function post(roomName: string, name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, LIMITS.bodyBytes);
    let message: unknown;
    try {
      message = JSON.parse(body);
    } catch {
      throw new HttpError(400, 'body is not JSON');
    }
    const { room } = join(roomName, name);
    if (options.rewriteSignal !== undefined) message = await options.rewriteSignal(message);
    if (message === undefined) {
      res.writeHead(204, { 'Cache-Control': 'no-store' });
      res.end();
      return;
    }
    const event = sseEvent(undefined, { from: name, message });
    const recipients = [...room.peers.values()].filter((p) => p.name !== name);
    if (recipients.length === 0) {
      room.unaddressed.push({ from: name, event });
      room.unaddressed.splice(0, Math.max(0, room.unaddressed.length - LIMITS.queuedMessages));
    }
    for (const peer of recipients) enqueue(peer, event);
    res.writeHead(204, { 'Cache-Control': 'no-store' });
    res.end();
  }

  function enqueue(peer: Peer, event: string): void {
    if (peer.stream !== undefined) {
      peer.stream.write(event);
      return;
    }
    peer.queue.push(event);
    peer.queue.splice(0, Math.max(0, peer.queue.length - LIMITS.queuedMessages));
  }

  function send(peer: Peer, event: string): void {
    peer.stream?.write(event);
  }

  /** Drops rooms nobody listened to for a while, and rooms too old. */
  function sweep(): void {
    const now = Date.now();
    for (const [name, room] of rooms) {
      const listening = [...room.peers.values()].some((p) => p.stream !== undefined);
      const idle = !listening && now - room.lastActive > LIMITS.roomIdleMs;
      if (idle || now - room.createdAt > LIMITS.roomMaxAgeMs) {
        for (const peer of room.peers.values()) peer.stream?.end();
        rooms.delete(name);
        log(`room ${name} expired`);
      }
    }
  }

  const sweeper = setInterval(sweep, 30_000);
  sweeper.unref();

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
        clearInterval(sweeper);
        for (const room of rooms.values()) for (const peer of room.peers.values()) peer.stream?.end();
        rooms.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function sseEvent(name: string | undefined, data: unknown): string {
  // JSON.stringify never emits a raw newline, so one `data:` line carries it whole.
  return `${name === undefined ? '' : `event: ${name}\n`}data: ${JSON.stringify(data)}\n\n`;
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
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

function parseArgs(argv: string[]): DemoServerOptions {
  const options: DemoServerOptions = { verbose: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--port' && value !== undefined) {
      options.port = Number(value);
      i++;
    } else if (arg === '--host' && value !== undefined) {
      options.host = value;
      i++;
    } else if (arg === '--quiet') {
      options.verbose = false;
    } else {
      throw new Error(`unknown argument ${arg} (usage: tsx demo/server.ts [--port N] [--host ADDR] [--quiet])`);
    }
  }
  return options;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startDemoServer({ port: 8080, ...parseArgs(process.argv.slice(2)) });
  process.stdout.write(`Demo call page: ${server.url}/?room=demo&name=alice (and &name=bob in a second browser)\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
