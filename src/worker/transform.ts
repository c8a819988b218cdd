/**
 * Transform worker entry. Created by the page script from a Blob URL in the page's origin (importScripts of this
 * file), it owns every Framelock transform of its page: RTCRtpScriptTransform hands it each sender's and receiver's
 * encoded frames, and a private MessagePort (the first and only port it accepts) connects it to the content bridge,
 * which supplies frame keys. It never sees a passphrase, a room key or an epoch base key.
 */
import type { BridgeToWorker, TransformStats, WorkerToBridge } from '../shared/messages';
import { Keyring, type MediaKind } from './keyring';
import { type EncodedFrame, ReceiveSession, SendSession, type SessionHost } from './session';

/** What Chromium gives an RTCRtpScriptTransform's worker (webrtc-encoded-transform §7). */
interface ScriptTransformer {
  readonly readable: ReadableStream<EncodedFrame>;
  readonly writable: WritableStream<EncodedFrame>;
  readonly options: unknown;
  generateKeyFrame?(rid?: string): Promise<unknown>;
  sendKeyFrameRequest?(): Promise<void>;
}

/** How often counters go to the bridge (and from there to the badge and the UI). */
const STATS_INTERVAL_MS = 1_000;

const scope = globalThis as unknown as {
  addEventListener(type: string, listener: (event: MessageEvent & { transformer?: ScriptTransformer }) => void): void;
};

let port: MessagePort | undefined;
let epoch: number | undefined;
/** Strict mode: receivers drop plaintext from the start. */
let strict = false;

function post(message: WorkerToBridge): void {
  port?.postMessage(message);
}

const keyring = new Keyring((kid, kind) => post({ type: 'keys-request', kid, kind }));
const sessions = new Map<string, { side: 'send' | 'receive'; session: SendSession | ReceiveSession }>();

function randomSenderId(): bigint {
  const bytes = crypto.getRandomValues(new Uint8Array(7));
  let id = 0n;
  for (const byte of bytes) id = (id << 8n) | BigInt(byte);
  return id;
}

function isKind(value: unknown): value is MediaKind {
  return value === 'audio' || value === 'video';
}

async function onBridgeMessage(event: MessageEvent<BridgeToWorker>): Promise<void> {
  const message = event.data;
  if (typeof message !== 'object' || message === null) return;
  switch (message.type) {
    case 'epoch':
      if (Number.isSafeInteger(message.epoch) && message.epoch >= 0) enterEpoch(message.epoch);
      break;
    case 'keys':
      if (typeof message.kid === 'bigint' && isKind(message.kind) && Number.isSafeInteger(message.epoch)) {
        await keyring.install(message.kind, message.kid, message.keys, message.epoch);
      }
      break;
    case 'keys-refused':
      if (
        typeof message.kid === 'bigint' &&
        isKind(message.kind) &&
        (message.reason === 'epoch' || message.reason === 'rate')
      ) {
        const distance = Number.isInteger(message.distance) ? message.distance : undefined;
        keyring.refuse(message.kind, message.kid, {
          reason: message.reason,
          ...(distance !== undefined ? { distance } : {}),
        });
      }
      break;
    case 'settings':
      if (typeof message.strict === 'boolean') {
        strict = message.strict;
        for (const { session } of sessions.values()) if (session instanceof ReceiveSession) session.strict = strict;
      }
      break;
    case 'no-key':
      epoch = undefined;
      keyring.clear();
      break;
  }
}

/** A new epoch (at every boundary, by the bridge's clock): old keys go, the next epoch's are asked for ahead. */
function enterEpoch(next: number): void {
  epoch = next;
  keyring.advance(next);
  for (const { session } of sessions.values()) session.prepare(next);
}

function accept(event: MessageEvent): void {
  if (port !== undefined) return; // only the first port, handed over before any page script ran
  const [first] = event.ports;
  const nonce = event.data?.nonce;
  if (event.data?.type !== 'framelock/port' || first === undefined || typeof nonce !== 'string') return;
  port = first;
  port.onmessage = (e: MessageEvent<BridgeToWorker>) => void onBridgeMessage(e);
  // Prove to the bridge that we are the worker its page script made: only that script saw the nonce.
  post({ type: 'hello', nonce });
}

function startTransform(transformer: ScriptTransformer): void {
  const options = transformer.options as { side?: unknown; kind?: unknown; id?: unknown; trackId?: unknown } | null;
  const side = options?.side;
  const kind = options?.kind;
  if ((side !== 'send' && side !== 'receive') || !isKind(kind)) return;
  const id = typeof options?.id === 'string' ? options.id : `${side}-${sessions.size}`;
  const host: SessionHost = {
    keyring,
    epoch: () => epoch,
    randomSenderId,
    requestKeyFrame: () => {
      const request = side === 'send' ? transformer.generateKeyFrame?.() : transformer.sendKeyFrameRequest?.();
      request?.catch(() => {}); // not every frame type or state allows it: best effort
    },
  };
  const session = side === 'send' ? new SendSession(id, kind, host) : new ReceiveSession(id, kind, host);
  if (session instanceof ReceiveSession) {
    session.strict = strict;
    if (typeof options?.trackId === 'string' && options.trackId.length <= 64) session.trackId = options.trackId;
  }
  sessions.set(id, { side, session });
  void run(transformer, session).finally(() => {
    post({ type: 'stats', stats: [session.snapshot(side)] });
    sessions.delete(id);
  });
}

/**
 * Moves frames from the transformer's readable to its writable through the session, one at a time and in order. A
 * reader and a writer of our own rather than pipeThrough(new TransformStream(...)): per frame that is one pipe and
 * one stream queue fewer, whose promise hops cost more than the rest of our JavaScript on a received video frame.
 */
async function run(transformer: ScriptTransformer, session: SendSession | ReceiveSession): Promise<void> {
  const reader = transformer.readable.getReader();
  const writer = transformer.writable.getWriter();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (await session.process(value)) {
        // Not awaited: the sink is native and takes frames at once. A failed write loses that frame only.
        writer.write(value).catch(() => {});
      }
    }
  } catch {
    // the transform was detached or the connection closed
  } finally {
    reader.releaseLock();
    writer.releaseLock();
  }
}

scope.addEventListener('message', accept);
scope.addEventListener('rtctransform', (event) => {
  if (event.transformer) startTransform(event.transformer);
});

// Every second, even with no transform: the bridge takes a silence of several seconds as this worker gone.
setInterval(() => {
  const stats: TransformStats[] = [];
  for (const { side, session } of sessions.values()) stats.push(session.snapshot(side));
  post({ type: 'stats', stats });
}, STATS_INTERVAL_MS);
