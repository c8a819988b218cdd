/**
 * @module The page side of the loopback-call benchmark: one call per mode, from a 720p/30 fps camera and a microphone
 * (Chromium's fake devices) through one RTCPeerConnection to another in the same page, each side with its own
 * transform worker, as two participants' browsers would have. Driven by bench/call.bench.ts through page.evaluate.
 */
import { KID_MARKER, SUITE_FOR_KIND } from '../../src/codecs/format';
import { deriveFrameKeys } from '../../src/sframe';
import type { BenchTransformOptions, WorkerSamples } from './hook';
import type { CapturedFrame, ScaleRunResult, ScaleStream } from './scale';

export type Mode = 'none' | 'passthrough' | 'bare' | 'livekit' | 'framelock';
type Side = 'send' | 'receive';
type Kind = 'audio' | 'video';

export interface CallConfig {
  mode: Mode;
  /** URLs the runner serves: the hook for the built-in modes, the wrappers for ours and LiveKit's. */
  urls: { hook: string; framelock: string; livekit: string };
}

export interface CallMark {
  at: number;
  video: { framesDecoded: number; framesDropped: number; framesReceived: number; framesEncoded: number };
  audio: { totalSamplesReceived: number; concealedSamples: number; packetsReceived: number };
  presented: number;
}

export interface CallSnapshot {
  start: CallMark;
  end: CallMark;
  samples: { send: WorkerSamples; receive: WorkerSamples };
  resolution: string;
  codec: string | undefined;
}

interface Call {
  mode: Mode;
  pcs: [RTCPeerConnection, RTCPeerConnection];
  workers: Partial<Record<Side, Worker>>;
  controls: Partial<Record<Side, MessagePort>>;
  stream: MediaStream;
  video: HTMLVideoElement;
  /** performance.timeOrigin-based times at which the receiving <video> presented a frame. */
  presentedAt: number[];
  startedAt: number;
  /** Framelock only: moves both workers to the next sender key generation (a re-key). */
  setEpoch?: (side: Side, epoch: number) => void;
  epoch?: number;
}

let call: Call | undefined;

function now(): number {
  return performance.timeOrigin + performance.now();
}

/** The participant id the bench's sending worker sends as (44 bits, as the bridge draws one per call). */
const BENCH_PARTICIPANT = 0xbe_ac00_0001n;

/**
 * Plays the content bridge for one Framelock worker, as it does in a call (docs/keys.md): it starts the call
 * (`call`, `generation`), and answers key requests with frame keys derived, as the bridge does, from the sender key of
 * the KID's participant and generation. Sender keys here are fixed functions of (participant, generation) instead of
 * an exchange, which the bench does not measure. `rotate` is a re-key: the sender announces the next generation
 * (its senders ask for its key ahead) and switches to it a moment later; the receiver is keyed for it ahead, as
 * `KeyServer.prime` does when a member's new generation arrives.
 */
function framelockBridge(
  worker: Worker,
  side: Side,
  senderKeys: (participant: bigint, generation: number) => Promise<Uint8Array>,
): (generation: number) => void {
  const channel = new MessageChannel();
  const nonce = crypto.randomUUID();
  let generation = 0;
  /** KIDs keyed so far (kind and sender id), to key the next generation ahead on the receiving side. */
  const tracks = new Map<string, { kind: Kind; senderId: bigint }>();
  const participantOf = (kid: bigint) => (kid >> 12n) & ((1n << 44n) - 1n);
  const key = async (kid: bigint, kind: Kind) => {
    const bits = Number((kid >> 56n) & 0xfn);
    // The newest generation with these bits, at most ours (or the next one, announced).
    const gen = [generation + 1, generation, generation - 1].find((g) => g >= 0 && g % 16 === bits);
    if (gen === undefined) return;
    const keys = await deriveFrameKeys(SUITE_FOR_KIND[kind], await senderKeys(participantOf(kid), gen), kid);
    channel.port1.postMessage({ type: 'keys', kid, kind, keys });
    tracks.set(`${kind}:${kid & ((1n << 56n) - 1n)}`, { kind, senderId: kid & ((1n << 56n) - 1n) });
  };
  channel.port1.onmessage = async (event: MessageEvent) => {
    const m = event.data as { type: string; kid?: bigint; kind?: Kind; nonce?: string };
    if (m.type === 'hello' && m.nonce === nonce) {
      channel.port1.postMessage({
        type: 'call',
        participant: side === 'send' ? BENCH_PARTICIPANT : BENCH_PARTICIPANT + 1n,
      });
      channel.port1.postMessage({ type: 'generation', current: generation });
    }
    if (m.type === 'keys-request' && typeof m.kid === 'bigint' && (m.kind === 'audio' || m.kind === 'video')) {
      await key(m.kid, m.kind);
    }
  };
  worker.postMessage({ type: 'framelock/port', nonce }, [channel.port2]);
  return (next: number) => {
    if (side === 'send') {
      channel.port1.postMessage({ type: 'generation', current: generation, next });
      setTimeout(() => {
        generation = next;
        channel.port1.postMessage({ type: 'generation', current: next });
      }, 50);
      return;
    }
    generation = next;
    for (const { kind, senderId } of tracks.values())
      void key((KID_MARKER << 60n) | (BigInt(next % 16) << 56n) | senderId, kind);
  };
}

async function senderKey(participant: bigint, generation: number): Promise<Uint8Array> {
  const label = `bench call, participant ${participant}, generation ${generation}`;
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(label))).slice(0, 16);
}

/** LiveKit's E2EE worker in shared-key mode, set up as its SDK does (init, setKey, enable). */
async function livekitSetup(worker: Worker): Promise<void> {
  const waitFor = (kind: string) =>
    new Promise<void>((resolve, reject) => {
      setTimeout(() => reject(new Error(`LiveKit's worker did not answer ${kind} in 10 s`)), 10_000);
      const listener = (event: MessageEvent) => {
        if ((event.data as { kind?: string })?.kind === kind) {
          worker.removeEventListener('message', listener);
          resolve();
        }
      };
      worker.addEventListener('message', listener);
    });
  const initAck = waitFor('initAck');
  worker.postMessage({
    kind: 'init',
    data: {
      keyProviderOptions: {
        sharedKey: true,
        ratchetSalt: 'LKFrameEncryptionKey',
        ratchetWindowSize: 0,
        failureTolerance: -1,
        keyringSize: 16,
        keySize: 128,
      },
      loglevel: 'warn',
    },
  });
  await initAck;
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('bench passphrase'), 'PBKDF2', false, [
    'deriveBits',
    'deriveKey',
  ]);
  worker.postMessage({ kind: 'setKey', data: { key, keyIndex: 0, updateCurrentKeyIndex: true } });
  const enabled = waitFor('enable');
  worker.postMessage({ kind: 'enable', data: { participantIdentity: 'alice', enabled: true } });
  await enabled;
}

function makeWorker(mode: Mode, urls: CallConfig['urls'], side: Side): Worker {
  const worker = createWorker(mode, urls, side);
  worker.addEventListener('error', (event) => console.error(`${mode} ${side} worker: ${event.message}`));
  return worker;
}

function createWorker(mode: Mode, urls: CallConfig['urls'], side: Side): Worker {
  switch (mode) {
    case 'livekit':
      return new Worker(urls.livekit, { type: 'module', name: `livekit-${side}` });
    case 'framelock':
      return new Worker(urls.framelock, { name: `framelock-${side}` });
    default:
      return new Worker(urls.hook, { name: mode });
  }
}

/**
 * The options each mode's transform reads, plus the hook's `bench` field. `stream` names the track: its id, the
 * participant that sends it (LiveKit keys and enables per participant) and Framelock's per-transform id.
 */
function transformOptions(
  mode: Mode,
  side: Side,
  kind: Kind,
  stream: { trackId: string; participant: string; n: number },
): BenchTransformOptions & Record<string, unknown> {
  const bench = { side, kind };
  switch (mode) {
    case 'livekit':
      return {
        bench,
        kind: side === 'send' ? 'encode' : 'decode',
        participantIdentity: stream.participant,
        trackId: stream.trackId,
        ...(kind === 'video' ? { codec: 'vp8' } : {}),
      };
    case 'framelock':
      // An id of the shape our page script gives (`TRANSFORM_ID_PATTERN`): the worker refuses any other.
      return { bench, side, kind, id: `${side}-${kind}-${stream.n}`, trackId: stream.trackId };
    default:
      return { bench };
  }
}

/** Starts a call in `config.mode` and resolves once the receiver presented its first video frame. */
export async function startCall(config: CallConfig): Promise<{ firstFrameMs: number }> {
  if (call) throw new Error('a call is already running');
  const { mode, urls } = config;
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: 1280, height: 720, frameRate: 30 },
    audio: true,
  });
  const workers: Call['workers'] = {};
  const controls: Call['controls'] = {};
  let setEpoch: Call['setEpoch'];
  if (mode !== 'none') {
    for (const side of ['send', 'receive'] as const) {
      const worker = makeWorker(mode, urls, side);
      const channel = new MessageChannel();
      worker.postMessage({ benchControl: channel.port2 }, [channel.port2]);
      workers[side] = worker;
      controls[side] = channel.port1;
      if (mode === 'livekit') await livekitSetup(worker);
    }
    if (mode === 'framelock') {
      const send = framelockBridge(workers.send as Worker, 'send', senderKey);
      const receive = framelockBridge(workers.receive as Worker, 'receive', senderKey);
      setEpoch = (side, epoch) => (side === 'send' ? send : receive)(epoch);
    }
  }
  const startedAt = now();
  const pcs: [RTCPeerConnection, RTCPeerConnection] = [new RTCPeerConnection(), new RTCPeerConnection()];
  const [a, b] = pcs;
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  for (const track of stream.getTracks()) {
    const { sender } = a.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    if (track.kind === 'video') {
      const vp8 = RTCRtpSender.getCapabilities('video')?.codecs.filter((c) => c.mimeType === 'video/VP8') ?? [];
      a.getTransceivers().at(-1)?.setCodecPreferences(vp8);
    }
    const worker = workers.send;
    if (worker) {
      sender.transform = new RTCRtpScriptTransform(
        worker,
        transformOptions(mode, 'send', track.kind as Kind, { trackId: track.id, participant: 'alice', n: 1 }),
      );
    }
  }
  const video = document.createElement('video');
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  document.body.append(video);
  const presentedAt: number[] = [];
  const firstFrame = new Promise<number>((resolve) => {
    const onFrame = () => {
      presentedAt.push(now());
      if (presentedAt.length === 1) resolve(now());
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  });
  const remote = new MediaStream();
  b.ontrack = (event) => {
    const worker = workers.receive;
    if (worker) {
      event.receiver.transform = new RTCRtpScriptTransform(
        worker,
        transformOptions(mode, 'receive', event.track.kind as Kind, {
          trackId: event.track.id,
          participant: 'alice',
          n: 1,
        }),
      );
    }
    remote.addTrack(event.track);
    if (event.track.kind === 'video') video.srcObject = remote;
    if (event.track.kind === 'audio') {
      const audio = new Audio();
      audio.srcObject = new MediaStream([event.track]);
      void audio.play().catch(() => {});
    }
  };
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription as RTCSessionDescription);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription as RTCSessionDescription);
  // Keep 720p: a loopback call starts at a low bitrate estimate and would begin at a fraction of the resolution.
  // (Set only now: before negotiation there are no encodings, and awaiting it earlier delays the sender's transform.)
  for (const sender of a.getSenders()) {
    if (sender.track?.kind !== 'video') continue;
    const parameters = sender.getParameters();
    parameters.degradationPreference = 'maintain-resolution';
    await sender.setParameters(parameters);
  }
  call = {
    mode,
    pcs,
    workers,
    controls,
    stream,
    video,
    presentedAt,
    startedAt,
    ...(setEpoch ? { setEpoch, epoch: 0 } : {}),
  };
  const first = await Promise.race([
    firstFrame,
    new Promise<number>((_, reject) =>
      setTimeout(async () => {
        const [send, receive] = await Promise.all([workerSamples('send'), workerSamples('receive')]);
        reject(
          new Error(
            `${mode}: no video frame in 20 s; transforms saw ${JSON.stringify({ send, receive }, (k, v) => (k === 'times' ? v.length : v))}`,
          ),
        );
      }, 20_000),
    ),
  ]);
  return { firstFrameMs: first - startedAt };
}

/** One request on a worker's bench control port (the hook answers each in turn). */
function ask<T>(port: MessagePort | undefined, message: unknown): Promise<T | undefined> {
  if (!port) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    port.onmessage = (event) => {
      const data = event.data as { answer?: T } | T;
      resolve(typeof message === 'string' ? (data as T) : (data as { answer: T }).answer);
    };
    port.postMessage(message);
  });
}

async function workerSamples(side: Side): Promise<WorkerSamples> {
  return (await ask<WorkerSamples>(call?.controls[side], 'stats')) ?? {};
}

async function mark(): Promise<CallMark> {
  if (!call) throw new Error('no call');
  const [a, b] = call.pcs;
  const mark: CallMark = {
    at: now(),
    video: { framesDecoded: 0, framesDropped: 0, framesReceived: 0, framesEncoded: 0 },
    audio: { totalSamplesReceived: 0, concealedSamples: 0, packetsReceived: 0 },
    presented: call.presentedAt.length,
  };
  for (const report of (await a.getStats()).values()) {
    if (report.type === 'outbound-rtp' && report.kind === 'video') mark.video.framesEncoded = report.framesEncoded ?? 0;
  }
  for (const report of (await b.getStats()).values()) {
    if (report.type !== 'inbound-rtp') continue;
    if (report.kind === 'video') {
      mark.video.framesDecoded = report.framesDecoded ?? 0;
      mark.video.framesDropped = report.framesDropped ?? 0;
      mark.video.framesReceived = report.framesReceived ?? 0;
    } else {
      mark.audio.totalSamplesReceived = report.totalSamplesReceived ?? 0;
      mark.audio.concealedSamples = report.concealedSamples ?? 0;
      mark.audio.packetsReceived = report.packetsReceived ?? 0;
    }
  }
  return mark;
}

let started: CallMark | undefined;

/** Starts a measurement window: worker samples so far are discarded. */
export async function begin(): Promise<void> {
  await Promise.all([workerSamples('send'), workerSamples('receive')]);
  started = await mark();
}

/** Ends the measurement window. */
export async function end(): Promise<CallSnapshot> {
  if (!call || !started) throw new Error('no measurement window');
  const [send, receive] = await Promise.all([workerSamples('send'), workerSamples('receive')]);
  const finished = await mark();
  const { video } = call;
  let codec: string | undefined;
  for (const report of (await call.pcs[1].getStats()).values()) {
    if (report.type === 'codec' && String(report.mimeType).startsWith('video/')) codec = report.mimeType;
  }
  return {
    start: started,
    end: finished,
    samples: { send, receive },
    resolution: `${video.videoWidth}x${video.videoHeight}`,
    codec,
  };
}

/**
 * A key rotation (Framelock: a re-key to the next generation, the receiver keyed for it `skewMs` after the sender
 * announced it) or, in other modes,
 * nothing at the same moment. Resolves after `afterMs` with the largest gap between presented frames from `beforeMs`
 * before the rotation to the end, and the same over an equal window just before it (the call's own jitter).
 */
export async function rotate(
  skewMs: number,
  beforeMs: number,
  afterMs: number,
): Promise<{ gapMs: number; quietGapMs: number; rotated: boolean }> {
  if (!call) throw new Error('no call');
  const at = now();
  const c = call;
  const rotated = c.setEpoch !== undefined && c.epoch !== undefined;
  if (c.setEpoch && c.epoch !== undefined) {
    const next = c.epoch + 1;
    c.epoch = next;
    c.setEpoch('receive', next);
    setTimeout(() => c.setEpoch?.('send', next), skewMs);
  }
  await new Promise((r) => setTimeout(r, afterMs));
  const maxGap = (from: number, to: number) => {
    const times = c.presentedAt.filter((t) => t >= from && t <= to);
    let gap = 0;
    for (let i = 1; i < times.length; i++) gap = Math.max(gap, (times[i] as number) - (times[i - 1] as number));
    return gap;
  };
  const window = beforeMs + afterMs;
  return {
    gapMs: maxGap(at - beforeMs, at + afterMs),
    quietGapMs: maxGap(at - beforeMs - window, at - beforeMs),
    rotated,
  };
}

export function hangUp(): void {
  if (!call) return;
  for (const pc of call.pcs) pc.close();
  for (const track of call.stream.getTracks()) track.stop();
  for (const worker of Object.values(call.workers)) worker?.terminate();
  call.video.remove();
  call = undefined;
  started = undefined;
}

// ---- the scale replay (see scale.ts) -----------------------------------------------------------------------------------

let captured: Record<Kind, CapturedFrame[]> | undefined;

/** Copies `count` encoded frames of each kind as the running call's sender produces them (before any transform). */
export async function captureFrames(count: number): Promise<{ audio: number; video: number; videoBytes: number }> {
  captured = await ask<Record<Kind, CapturedFrame[]>>(call?.controls.send, { capture: count });
  if (!captured) throw new Error('no call to capture from');
  return {
    audio: captured.audio.length,
    video: captured.video.length,
    videoBytes: captured.video.reduce((n, f) => n + f.data.byteLength, 0) / captured.video.length,
  };
}

let scale: { workers: Worker[]; receive: MessagePort } | undefined;

/**
 * Sets up the receive load of a call with `audio` audio and `video` video streams in `mode`: one worker protects
 * `seconds` worth of fresh frames per stream, another (the receiver's) loads them and fetches its keys.
 */
export async function scaleSetup(
  mode: Mode,
  urls: CallConfig['urls'],
  audio: number,
  video: number,
  seconds: number,
): Promise<number> {
  if (!captured) throw new Error('capture frames first');
  const streams: ScaleStream[] = [];
  for (let i = 0; i < audio + video; i++) {
    const kind: Kind = i < audio ? 'audio' : 'video';
    streams.push({
      id: i,
      kind,
      sendOptions: transformOptions(mode, 'send', kind, { trackId: `t${i}`, participant: `p${i}`, n: i + 1 }),
      receiveOptions: transformOptions(mode, 'receive', kind, {
        trackId: `t${i}`,
        participant: `p${i}`,
        n: i + 1,
      }),
    });
  }
  const ports: MessagePort[] = [];
  const workers: Worker[] = [];
  for (const side of ['send', 'receive'] as const) {
    const worker = makeWorker(mode, urls, side);
    const channel = new MessageChannel();
    worker.postMessage({ benchControl: channel.port2 }, [channel.port2]);
    if (mode === 'livekit') {
      await livekitSetup(worker);
      for (const stream of streams) {
        worker.postMessage({ kind: 'enable', data: { participantIdentity: `p${stream.id}`, enabled: true } });
      }
    }
    if (mode === 'framelock') framelockBridge(worker, side, senderKey);
    workers.push(worker);
    ports.push(channel.port1);
  }
  const [sendPort, receivePort] = ports as [MessagePort, MessagePort];
  // A little more than the run needs: the warm-up takes one frame per stream.
  const count = { audio: Math.ceil(seconds * 50) + 5, video: Math.ceil(seconds * 30) + 5 };
  const frames = await ask<CapturedFrame[][]>(sendPort, { scale: 'protect', streams, captured, count });
  if (!frames) throw new Error('the sending worker protected nothing');
  await ask(receivePort, { scale: 'load', streams, frames });
  await ask(receivePort, { scale: 'warm' });
  workers[0]?.terminate(); // the senders' worker is done: only the receiver's load is measured
  scale = { workers, receive: receivePort };
  return frames.reduce((n, f) => n + f.length, 0);
}

export async function scaleRun(seconds: number): Promise<ScaleRunResult> {
  const result = await ask<ScaleRunResult>(scale?.receive, { scale: 'run', seconds });
  if (!result) throw new Error('no scale setup');
  return result;
}

export function scaleStop(): void {
  for (const worker of scale?.workers ?? []) worker.terminate();
  scale = undefined;
}
