/**
 * A lossy, reordering network between two browsers of a demo call: a UDP relay on loopback that stands in for every
 * ICE candidate the peers signal. Chromium's own network emulation (CDP `Network.emulateNetworkConditions`) does not
 * touch WebRTC, so the test owns the path instead.
 *
 * ```ts
 * const relay = await startLossyRelay();
 * const server = await startDemoServer({ rewriteSignal: relay.rewriteSignal });
 * // ... start a call on `server`: every packet between the peers now goes through the relay
 * relay.impair({ loss: 0.08, reorder: 0.1, delayMs: [20, 60] });
 * relay.impair(null); // a clean path again
 * await relay.close();
 * ```
 *
 * How: `rewriteSignal` replaces the address of each IPv4 UDP candidate (in trickled candidates and in SDP) with a relay
 * socket of its own, and drops every other candidate, so ICE can only pair relay sockets. A datagram that reaches the
 * relay socket standing for browser socket B, from browser socket A, leaves the relay socket standing for A towards B:
 * each peer sees the other at the addresses it was told, and ICE, DTLS and SRTP run end to end, untouched. Only
 * RTP and RTCP (first byte 128-191, RFC 7983) are impaired: STUN keeps the connection alive, as on a real lossy link.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';

export interface Impairment {
  /** Share of RTP/RTCP datagrams dropped, 0-1. */
  loss: number;
  /** Share of the others held back for a random time in `delayMs`, so that later datagrams overtake them, 0-1. */
  reorder: number;
  /** Range of the hold-back (ms). */
  delayMs: [number, number];
}

export interface RelayStats {
  /** Datagrams forwarded (at once or late). */
  forwarded: number;
  /** RTP/RTCP datagrams dropped. */
  dropped: number;
  /** RTP/RTCP datagrams held back (and overtaken by the ones after them). */
  delayed: number;
  /** Candidates replaced by a relay address, and candidates dropped (IPv6, TCP, mDNS names). */
  candidates: { relayed: number; dropped: number };
}

export interface LossyRelay {
  /** For `startDemoServer({ rewriteSignal })`: points every candidate of a signalling message at the relay. */
  rewriteSignal(message: unknown): Promise<unknown>;
  /** Impairs the path from now on (`null`: a clean path). */
  impair(impairment: Impairment | null): void;
  /** Counts since the start. */
  stats(): RelayStats;
  close(): Promise<void>;
}

interface Endpoint {
  /** The browser socket this relay socket stands for. */
  address: string;
  port: number;
  socket: Socket;
  relayPort: number;
}

/** A small seeded PRNG (mulberry32): the same seed drops and delays the same datagrams' share in every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** RTP or RTCP, by RFC 7983's first-byte ranges (STUN is 0-3, DTLS 20-63). */
function isRtpOrRtcp(datagram: Buffer): boolean {
  const first = datagram[0] ?? 0;
  return first >= 128 && first <= 191;
}

export async function startLossyRelay(options: { seed?: number } = {}): Promise<LossyRelay> {
  const next = random(options.seed ?? 0x5eed);
  const endpoints = new Map<string, Promise<Endpoint>>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const stats: RelayStats = { forwarded: 0, dropped: 0, delayed: 0, candidates: { relayed: 0, dropped: 0 } };
  let impairment: Impairment | null = null;
  let closed = false;

  /** The relay socket that stands for the browser socket `address:port` (made on first use). */
  function endpointFor(address: string, port: number): Promise<Endpoint> {
    const key = `${address}:${port}`;
    let endpoint = endpoints.get(key);
    if (endpoint === undefined) {
      endpoint = new Promise<Endpoint>((resolve, reject) => {
        const socket = createSocket('udp4');
        socket.once('error', reject);
        socket.bind(0, '127.0.0.1', () => {
          socket.off('error', reject);
          const self: Endpoint = { address, port, socket, relayPort: socket.address().port };
          socket.on('message', (datagram, from) => void forward(datagram, from.address, from.port, self));
          socket.on('error', () => undefined); // e.g. ICMP unreachable after a peer left: nothing to do
          resolve(self);
        });
      });
      endpoints.set(key, endpoint);
    }
    return endpoint;
  }

  /** A datagram from browser socket `fromAddress:fromPort` to the browser socket `to` stands for. */
  async function forward(datagram: Buffer, fromAddress: string, fromPort: number, to: Endpoint): Promise<void> {
    const from = await endpointFor(fromAddress, fromPort);
    const send = () => {
      if (closed) return;
      stats.forwarded++;
      from.socket.send(datagram, to.port, to.address);
    };
    if (impairment === null || !isRtpOrRtcp(datagram)) {
      send();
    } else if (next() < impairment.loss) {
      stats.dropped++;
    } else if (next() < impairment.reorder) {
      stats.delayed++;
      const [min, max] = impairment.delayMs;
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          send();
        },
        min + next() * (max - min),
      );
      timers.add(timer);
    } else {
      send();
    }
  }

  /** `candidate:<foundation> <component> <transport> <priority> <address> <port> typ ...` with the relay's address. */
  async function rewriteCandidate(candidate: string): Promise<string | undefined> {
    const fields = candidate.split(' ');
    const [transport, address, port] = [fields[2], fields[4], Number(fields[5])];
    if (transport?.toLowerCase() !== 'udp' || address === undefined || !isIPv4(address) || !Number.isInteger(port)) {
      stats.candidates.dropped++;
      return undefined;
    }
    const endpoint = await endpointFor(address, port);
    stats.candidates.relayed++;
    fields[4] = '127.0.0.1';
    fields[5] = String(endpoint.relayPort);
    return fields.join(' ');
  }

  async function rewriteSdp(sdp: string): Promise<string> {
    const lines: string[] = [];
    for (const line of sdp.split('\r\n')) {
      if (!line.startsWith('a=candidate:')) {
        lines.push(line);
        continue;
      }
      const rewritten = await rewriteCandidate(line.slice('a='.length));
      if (rewritten !== undefined) lines.push(`a=${rewritten}`);
    }
    return lines.join('\r\n');
  }

  return {
    async rewriteSignal(message) {
      if (message === null || typeof message !== 'object') return message;
      const m = message as { description?: { sdp?: unknown }; candidate?: { candidate?: unknown } };
      if (typeof m.description?.sdp === 'string') {
        return { ...m, description: { ...m.description, sdp: await rewriteSdp(m.description.sdp) } };
      }
      const candidate = m.candidate?.candidate;
      if (typeof candidate === 'string' && candidate !== '') {
        const rewritten = await rewriteCandidate(candidate);
        return rewritten === undefined ? undefined : { ...m, candidate: { ...m.candidate, candidate: rewritten } };
      }
      return message;
    },
    impair(next) {
      impairment = next;
    },
    stats: () => structuredClone(stats),
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      const all = await Promise.allSettled(endpoints.values());
      for (const result of all) if (result.status === 'fulfilled') result.value.socket.close();
    },
  };
}
