/**
 * A real SFU for the browser tests: Debian's Janus (1.1.2), started in the foreground from a configuration this file
 * writes (HTTP transport only, the videoroom, echotest and textroom plugins only, no STUN/TURN, ports chosen per run), its
 * unmodified demo pages (`/usr/share/janus/demos`) served from a local static server, and a small client for the
 * Janus HTTP API (throw-away rooms, `rtp_forward`).
 *
 * ```ts
 * const janus = await startJanus();            // throws if Janus is not installed
 * const room = await janus.createRoom({ videocodec: 'vp8' });
 * await page.goto(janus.demoUrl('videoroomtest.html', { room }));
 * const chat = await janus.createTextroom();    // textroomtest.html?room=<chat>: a chat over data channels
 * await janus.stop();                           // by PID, always
 * ```
 *
 * Outside CI the Janus tests skip loudly when Janus is missing (`janusAvailable`); under CI a missing Janus fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const JANUS_BINARY = process.env.JANUS_PATH ?? '/usr/bin/janus';
export const JANUS_DEMOS = '/usr/share/janus/demos';
const JANUS_LIB = '/usr/lib/x86_64-linux-gnu/janus';
export const janusAvailable: boolean =
  existsSync(JANUS_BINARY) && existsSync(path.join(JANUS_DEMOS, 'videoroomtest.html'));

// The textroom relays chat messages over data channels: Debian's Janus is built with SCTP (libusrsctp). The
// audiobridge (an MCU: it decodes, mixes and re-encodes audio), the videocall (a 1:1 call relayed by the server) and
// the streaming plugin (a server streaming media to viewers) are patterns of docs/compatibility.md.
const KEPT_PLUGINS = [
  'libjanus_videoroom.so',
  'libjanus_echotest.so',
  'libjanus_textroom.so',
  'libjanus_audiobridge.so',
  'libjanus_videocall.so',
  'libjanus_streaming.so',
];
const KEPT_TRANSPORTS = ['libjanus_http.so'];

export interface RoomOptions {
  /** `vp8`, `vp9`, `h264`, `av1` (or a comma-separated list). Default: vp8. */
  videocodec?: string;
  /** Default: opus. */
  audiocodec?: string;
  /** Publishers allowed in the room (default 16). */
  publishers?: number;
  /** Opus DTX negotiated for publishers. */
  opusDtx?: boolean;
}

export interface RtpForwardTarget {
  host: string;
  audioPort?: number;
  videoPort?: number;
  /** Simulcast substreams 1 and 2 (substream 0 goes to `videoPort`). */
  videoPort2?: number;
  videoPort3?: number;
}

/** In a videoroom `switch`: publisher `feed`'s stream `mid` now feeds the subscription's stream `sub_mid`. */
export interface SwitchedStream {
  feed: number;
  mid: string;
  sub_mid: string;
}

export interface Publisher {
  id: number;
  display?: string;
}

export interface Janus {
  /** `http://127.0.0.1:<port>/janus` */
  readonly apiUrl: string;
  /** Base URL of the static server with the demo pages. */
  readonly demosUrl: string;
  /** A demo page's URL with query parameters (e.g. `{ room: 1234, vcodec: 'vp9' }`). */
  demoUrl(page: string, query?: Record<string, string | number>): string;
  /** Creates a throw-away videoroom (`permanent: false`, a keyframe request every second). Returns its id. */
  createRoom(options?: RoomOptions): Promise<number>;
  destroyRoom(room: number): Promise<void>;
  /** The publishers in a room. */
  listParticipants(room: number): Promise<Publisher[]>;
  /**
   * Creates a throw-away textroom (`permanent: false`; textroomtest.html joins it with `?room=<id>`). Returns its id.
   */
  createTextroom(): Promise<number>;
  destroyTextroom(room: number): Promise<void>;
  /** Copies a publisher's RTP to local UDP ports (the server's view of the media). */
  rtpForward(room: number, publisherId: number, target: RtpForwardTarget): Promise<void>;
  /**
   * What the server can do to any subscription, unasked: the subscriber handle `handle` of session `session` gets
   * another publisher's stream in place of one it receives (videoroom `switch`: no renegotiation, the subscriber's
   * track stays the same). Resolves once Janus acknowledged the request.
   */
  switchStreams(session: number, handle: number, streams: SwitchedStream[]): Promise<void>;
  /**
   * A synchronous request to any loaded plugin (`videoroom`, `audiobridge`, `videocall`, ...) on the harness's own
   * handle: e.g. `{ request: 'create', room, ... }`. Resolves to the plugin's answer; throws on a plugin error.
   */
  pluginRequest(plugin: string, body: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** This run's own folder (configuration; recordings a test asks for may go here). Removed by `stop`. */
  readonly workDir: string;
  /** Janus's own log so far (for failure messages). */
  log(): string;
  /** Stops Janus (SIGTERM, then SIGKILL) and the static server, and removes the configuration. Safe to call twice. */
  stop(): Promise<void>;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function janusConfig(dir: string, httpPort: number, rtpBase: number, wsPort?: number): Promise<void> {
  const keptTransports = wsPort === undefined ? KEPT_TRANSPORTS : [...KEPT_TRANSPORTS, 'libjanus_websockets.so'];
  const disabled = async (kind: 'plugins' | 'transports', kept: string[]): Promise<string> => {
    const { readdir } = await import('node:fs/promises');
    const all = (await readdir(path.join(JANUS_LIB, kind))).filter((f) => f.endsWith('.so'));
    return all.filter((f) => !kept.includes(f)).join(',');
  };
  await writeFile(
    path.join(dir, 'janus.jcfg'),
    `general: {
  configs_folder = "${dir}"
  plugins_folder = "${JANUS_LIB}/plugins"
  transports_folder = "${JANUS_LIB}/transports"
  events_folder = "${JANUS_LIB}/events"
  loggers_folder = "${JANUS_LIB}/loggers"
  debug_level = 4
  log_to_stdout = true
  server_name = "framelock-test"
}
certificates: {
}
media: {
  rtp_port_range = "${rtpBase}-${rtpBase + 999}"
}
nat: {
  nice_debug = false
  ignore_mdns = true
}
plugins: {
  disable = "${await disabled('plugins', KEPT_PLUGINS)}"
}
transports: {
  disable = "${await disabled('transports', keptTransports)}"
}
events: {
  broadcast = false
}
loggers: {
  disable = "libjanus_jsonlog.so"
}
`,
  );
  await writeFile(
    path.join(dir, 'janus.transport.http.jcfg'),
    `general: {
  json = "indented"
  base_path = "/janus"
  http = true
  port = ${httpPort}
  ip = "127.0.0.1"
  https = false
}
admin: {
  admin_http = false
}
cors: {
}
`,
  );
  if (wsPort !== undefined) {
    await writeFile(
      path.join(dir, 'janus.transport.websockets.jcfg'),
      `general: {\n  ws = true\n  ws_port = ${wsPort}\n  ws_ip = "127.0.0.1"\n  wss = false\n}\nadmin: {\n  admin_ws = false\n}\n`,
    );
  }
  await writeFile(path.join(dir, 'janus.plugin.videoroom.jcfg'), 'general: {\n}\n');
  await writeFile(path.join(dir, 'janus.plugin.echotest.jcfg'), 'general: {\n}\n');
  // Debian's own sample room (1234, the demo's default) is left out: tests create their rooms through the API.
  await writeFile(path.join(dir, 'janus.plugin.textroom.jcfg'), 'general: {\n  json = "indented"\n}\n');
  // Recordings of the audiobridge's mix (`record: true` on a room) go to this run's own folder.
  await writeFile(path.join(dir, 'janus.plugin.audiobridge.jcfg'), `general: {\n  record_tmp_ext = "tmp"\n}\n`);
  await writeFile(path.join(dir, 'janus.plugin.videocall.jcfg'), 'general: {\n}\n');
  // No mountpoint of Debian's samples (they wait for GStreamer sources): tests create theirs through the API.
  await writeFile(path.join(dir, 'janus.plugin.streaming.jcfg'), 'general: {\n}\n');
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.map': 'application/json',
};

/**
 * Serves the demo pages as Debian ships them, except `settings.js`: Debian's leaves `token` and `apisecret`
 * undeclared (the page throws on Start), so it is replaced by one that declares `server`, `iceServers`, `token` and
 * `apisecret`, as the file itself says deployments do.
 */
async function serveDemos(
  apiPort: number,
  extraPages: Readonly<Record<string, string>>,
  wsPort?: number,
): Promise<{ server: Server; url: string }> {
  const settings = `var server = ${
    wsPort === undefined
      ? `"http://" + window.location.hostname + ":${apiPort}/janus"`
      : `"ws://" + window.location.hostname + ":${wsPort}"`
  };
var iceServers = [];
var token = null;
var apisecret = null;
`;
  const root = await realpath(JANUS_DEMOS);
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const relative = decodeURIComponent(url.pathname).replace(/^\/+/, '') || 'index.html';
      const extra = extraPages[relative];
      if (extra !== undefined) {
        const body = await readFile(extra).catch(() => undefined);
        response.writeHead(body === undefined ? 404 : 200, { 'content-type': CONTENT_TYPES['.html'] as string });
        response.end(body);
        return;
      }
      if (relative === 'settings.js') {
        response.writeHead(200, { 'content-type': CONTENT_TYPES['.js'] as string });
        response.end(settings);
        return;
      }
      const file = path.resolve(root, relative);
      // Symbolic links inside the demos (fonts, popper.js) point to sibling Debian packages: allow /usr/share only.
      const real = await realpath(file).catch(() => undefined);
      if (!file.startsWith(`${root}/`) || real === undefined || !real.startsWith('/usr/share/')) {
        response.writeHead(404).end();
        return;
      }
      const body = await readFile(real).catch(() => undefined);
      if (body === undefined) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, {
        'content-type': CONTENT_TYPES[path.extname(real)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
      });
      response.end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}/` };
}

type Json = Record<string, unknown>;

export interface JanusOptions {
  /** The HTTP API's port (default: a free one; env JANUS_HTTP_PORT). */
  httpPort?: number;
  /** The first of 1,000 media (RTP) ports (default: a random block in 20000-59999; env JANUS_RTP_BASE). */
  rtpBase?: number;
  /**
   * Pages of our own served next to the demos (same origin), by path: e.g. the scale run's audio-only participant.
   * The demos themselves are always served unmodified.
   */
  extraPages?: Record<string, string>;
  /**
   * Pages talk to Janus over WebSockets instead of HTTP long polling. Needed past ~5 participants in one browser:
   * every page holds a long-poll request open, and Chromium allows 6 connections per host.
   */
  websockets?: boolean;
}

/** Starts Janus and the demo server; resolves once `/janus/info` answers. */
export async function startJanus(options: JanusOptions = {}): Promise<Janus> {
  if (!janusAvailable) throw new Error(`Janus is not installed (${JANUS_BINARY}, ${JANUS_DEMOS})`);
  const dir = await mkdtemp(path.join(tmpdir(), 'framelock-janus-'));
  const httpPort = options.httpPort ?? (Number(process.env.JANUS_HTTP_PORT) || (await freePort()));
  // A media port range of its own per run (tests may run Janus more than once).
  const rtpBase =
    options.rtpBase ?? (Number(process.env.JANUS_RTP_BASE) || 20_000 + Math.floor(Math.random() * 40) * 1_000);
  const wsPort = options.websockets ? await freePort() : undefined;
  await janusConfig(dir, httpPort, rtpBase, wsPort);
  const output: string[] = [];
  const child: ChildProcess = spawn(JANUS_BINARY, ['-F', dir, '-C', path.join(dir, 'janus.jcfg')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 2_000) output.splice(0, 1_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const apiUrl = `http://127.0.0.1:${httpPort}/janus`;
  const demos = await serveDemos(httpPort, options.extraPages ?? {}, wsPort);

  const stop = async (): Promise<void> => {
    if (!exited && child.pid !== undefined) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await gone;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => demos.server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`Janus exited at start:\n${output.join('').slice(-4_000)}`);
    }
    const info = await fetch(`${apiUrl}/info`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    if (info?.ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Janus did not answer ${apiUrl}/info within 10 s:\n${output.join('').slice(-4_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const post = async (url: string, body: Json): Promise<Json> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, transaction: Math.random().toString(36).slice(2) }),
      signal: AbortSignal.timeout(10_000), // a request Janus never answers fails the test, saying so
    });
    const answer = (await response.json()) as Json;
    if (answer.janus === 'error') throw new Error(`Janus: ${JSON.stringify(answer.error)}`);
    return answer;
  };

  /** One admin-like session per plugin, with the plugin attached, created on first use. */
  const handleUrls = new Map<string, Promise<string>>();
  const attached = (plugin: string): Promise<string> => {
    let url = handleUrls.get(plugin);
    if (url === undefined) {
      url = (async () => {
        const session = (await post(apiUrl, { janus: 'create' })).data as { id: number };
        const handle = (await post(`${apiUrl}/${session.id}`, { janus: 'attach', plugin })).data as { id: number };
        // Keep the session alive (Janus drops idle HTTP sessions after 60 s).
        const keepAlive = setInterval(
          () => void post(`${apiUrl}/${session.id}`, { janus: 'keepalive' }).catch(() => {}),
          20_000,
        );
        keepAlive.unref();
        return `${apiUrl}/${session.id}/${handle.id}`;
      })();
      handleUrls.set(plugin, url);
    }
    return url;
  };
  const pluginMessage = async (plugin: string, body: Json): Promise<Json> => {
    const answer = await post(await attached(`janus.plugin.${plugin}`), { janus: 'message', body });
    const data = (answer.plugindata as { data?: Json } | undefined)?.data ?? {};
    if (typeof data.error === 'string') throw new Error(`${plugin}: ${data.error}`);
    return data;
  };
  const message = (body: Json): Promise<Json> => pluginMessage('videoroom', body);

  return {
    apiUrl,
    demosUrl: demos.url,
    demoUrl(page, query = {}) {
      const url = new URL(page, demos.url);
      for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
      return url.href;
    },
    async createRoom(options = {}) {
      const room = 100_000 + Math.floor(Math.random() * 800_000);
      await message({
        request: 'create',
        room,
        permanent: false,
        description: `framelock test ${room}`,
        publishers: options.publishers ?? 16,
        videocodec: options.videocodec ?? 'vp8',
        audiocodec: options.audiocodec ?? 'opus',
        fir_freq: 1,
        ...(options.opusDtx ? { opus_dtx: true } : {}),
      });
      return room;
    },
    async destroyRoom(room) {
      await message({ request: 'destroy', room, permanent: false }).catch(() => undefined);
    },
    async createTextroom() {
      const room = 100_000 + Math.floor(Math.random() * 800_000);
      await pluginMessage('textroom', {
        request: 'create',
        room,
        permanent: false,
        description: `framelock test ${room}`,
      });
      return room;
    },
    async destroyTextroom(room) {
      await pluginMessage('textroom', { request: 'destroy', room, permanent: false }).catch(() => undefined);
    },
    async listParticipants(room) {
      const data = await message({ request: 'listparticipants', room });
      return ((data.participants as Publisher[] | undefined) ?? []).filter(
        (p) => (p as { publisher?: boolean }).publisher !== false,
      );
    },
    async rtpForward(room, publisherId, target) {
      await message({
        request: 'rtp_forward',
        room,
        publisher_id: publisherId,
        host: target.host,
        ...(target.audioPort !== undefined ? { audio_port: target.audioPort } : {}),
        ...(target.videoPort !== undefined ? { video_port: target.videoPort } : {}),
        ...(target.videoPort2 !== undefined ? { video_port_2: target.videoPort2 } : {}),
        ...(target.videoPort3 !== undefined ? { video_port_3: target.videoPort3 } : {}),
      });
    },
    async switchStreams(session, handle, streams) {
      await post(`${apiUrl}/${session}/${handle}`, { janus: 'message', body: { request: 'switch', streams } });
    },
    pluginRequest: pluginMessage,
    workDir: dir,
    log: () => output.join(''),
    stop,
  };
}
