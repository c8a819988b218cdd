/**
 * @module The demo's signalling: relays messages between the two participants of a room over Server-Sent Events, and
 * nothing else (no STUN/TURN, no media: the browsers connect directly).
 *
 * ```
 * GET  /signal/<room>/<peer>    Server-Sent Events: everything addressed to <peer>, plus presence events
 * POST /signal/<room>/<peer>    JSON body (≤ 64 KB) → delivered to the other peer of the room, queued until it listens
 * ```
 *
 * SSE events: `event: presence` with `{"type":"welcome","peers":[...]}` (the others present when the stream opens),
 * `{"type":"joined","peer":"bob"}` and `{"type":"left","peer":"bob"}`; plain `data:` events carry
 * `{"from":"alice","message":<the posted JSON>}`.
 *
 * Bounded: a room holds two peers, rooms are dropped after {@link LIMITS.roomIdleMs} without a listener (and after
 * {@link LIMITS.roomMaxAgeMs} in any case), at most {@link LIMITS.rooms} rooms and {@link LIMITS.queuedMessages}
 * queued messages per peer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { allowMethods, HttpError, readBody } from './http-server.ts';

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

/** The path of a room's signalling for one peer: `/signal/<room>/<peer>`. */
export const SIGNAL_PATH = /^\/signal\/([^/]+)\/([^/]+)$/;

/** Room and peer names: short and plain, so they are safe in URLs, logs and SSE. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Sees every signalling message before it is delivered, and returns what to deliver instead, or `undefined` to drop
 * it. Only the test server sets one (e.g. to point the peers' ICE candidates at a relay that impairs the path).
 */
export type RewriteSignal = (message: unknown) => unknown | Promise<unknown>;

export interface SignallingOptions {
  log: (line: string) => void;
  rewriteSignal?: RewriteSignal;
}

export interface Signalling {
  /** Answers a request whose path matched {@link SIGNAL_PATH}. */
  handle(req: IncomingMessage, res: ServerResponse, match: RegExpExecArray): Promise<void>;
  /** Ends every stream and forgets every room. */
  close(): void;
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

export function createSignalling(options: SignallingOptions): Signalling {
  const { log, rewriteSignal } = options;
  const rooms = new Map<string, Room>();

  async function handle(req: IncomingMessage, res: ServerResponse, match: RegExpExecArray): Promise<void> {
    const [room, peer] = [match[1] ?? '', match[2] ?? ''];
    if (!NAME.test(room) || !NAME.test(peer)) throw new HttpError(400, 'bad room or peer name');
    allowMethods(req, res, ['GET', 'POST']);
    if (req.method === 'GET') return listen(room, peer, req, res);
    return post(room, peer, req, res);
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
    if (rewriteSignal !== undefined) message = await rewriteSignal(message);
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

  return {
    handle,
    close() {
      clearInterval(sweeper);
      for (const room of rooms.values()) for (const peer of room.peers.values()) peer.stream?.end();
      rooms.clear();
    },
  };
}

function sseEvent(name: string | undefined, data: unknown): string {
  // JSON.stringify never emits a raw newline, so one `data:` line carries it whole.
  return `${name === undefined ? '' : `event: ${name}\n`}data: ${JSON.stringify(data)}\n\n`;
}
