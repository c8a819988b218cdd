/**
 * @module The demo site: a tiny loopback web server that plays "a site that never built E2EE". It serves the static
 * call page in `demo/public/` and relays signalling between the two participants of a room, nothing else (no
 * STUN/TURN, no media: the browsers connect directly).
 *
 * ```
 * GET  /<file>                  static file from demo/public ("/" → index.html; no listings, no "..")
 * GET  /signal/<room>/<peer>    Server-Sent Events: everything addressed to <peer>, plus presence events
 * POST /signal/<room>/<peer>    JSON body (≤ 64 KB) → delivered to the other peer of the room, queued until it listens
 * ```
 *
 * Its parts: http-server.ts (listening, errors, bodies), static-files.ts (the files), signalling-room.ts (the rooms,
 * their events and limits), demo-site.ts (the routes). The tests use test/server/test-server.ts instead: this site,
 * plus the pages and hooks that exist only for tests.
 *
 * Run it directly: `tsx demo/server.ts [--port 8080] [--host 127.0.0.1]`.
 */
import { pathToFileURL } from 'node:url';
import { createDemoSite } from './demo-site.ts';
import { listenHttp, type RunningServer } from './http-server.ts';

export interface DemoServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Log each request and signalling event to stderr. */
  verbose?: boolean;
}

export type DemoServer = RunningServer;

/** Starts the demo server; resolves once it listens. */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const { port = 0, host = '127.0.0.1', verbose = false } = options;
  const log = verbose ? (line: string) => console.error(`[demo] ${line}`) : () => undefined;
  const site = await createDemoSite({ log });
  return listenHttp(site.handle, { port, host, log, onClose: site.close });
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
