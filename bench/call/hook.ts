/**
 * @module Loaded first in every benchmark worker, before the transform under test (ours, LiveKit's, or the built-in
 * pass-through and bare AES-GCM ones below). It stands between Chromium's RTCRtpScriptTransformer and the transform:
 * every frame is stamped as it leaves the transformer's readable and timed again as the transform writes it, so all
 * modes are measured the same way, from outside, without changing their code.
 *
 * Control: the page posts `{ benchControl: port }` once; on that port `'stats'` answers with the samples since the
 * last call and starts new ones.
 */

import { type CapturedFrame, ScaleDriver, type ScaleStream } from './scale';

type Side = 'send' | 'receive';
type Kind = 'audio' | 'video';

/** What the page adds to each transform's options, next to the options the transform itself reads. */
export interface BenchTransformOptions {
  bench: { side: Side; kind: Kind };
}

/** `options` without the bench's own field. */
function withoutBench(options: unknown): unknown {
  if (typeof options !== 'object' || options === null) return options;
  const { bench: _, ...rest } = options as Record<string, unknown>;
  return rest;
}

interface EncodedFrameLike {
  data: ArrayBuffer;
  type?: string;
}

interface Transformer {
  readable: ReadableStream<EncodedFrameLike>;
  writable: WritableStream<EncodedFrameLike>;
  options: unknown;
  /** On a wrapped transformer: the side and kind the page set (`options.bench`), which the wrapper takes out. */
  bench?: BenchTransformOptions['bench'];
  generateKeyFrame?(rid?: string): Promise<unknown>;
  sendKeyFrameRequest?(): Promise<void>;
}

export interface StreamSamples {
  /** Milliseconds from leaving the readable to being written, per frame that came out. */
  times: number[];
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  /** Bytes of the frames that came out, and what those same frames weighed going in. */
  bytesOut: number;
  bytesInOfOut: number;
  /** Frames that came out larger than they went in (protected; not DTX passed as it is), and what they gained. */
  grown: number;
  bytesAddedToGrown: number;
  /** performance.timeOrigin + now() of the first frame out (for time to first frame). */
  firstOutAt?: number;
}

export type WorkerSamples = Record<string, StreamSamples>;

/** The parts of a dedicated worker's global scope the hook uses (the DOM lib does not type worker scopes). */
interface WorkerScope {
  name: string;
  onrtctransform: unknown;
  addEventListener(type: string, listener: unknown, options?: unknown): void;
}

const scope = self as unknown as WorkerScope;
const samples: WorkerSamples = {};

function streamSamples(key: string): StreamSamples {
  let s = samples[key];
  if (s === undefined) {
    s = {
      times: [],
      framesIn: 0,
      framesOut: 0,
      bytesIn: 0,
      bytesOut: 0,
      bytesInOfOut: 0,
      grown: 0,
      bytesAddedToGrown: 0,
    };
    samples[key] = s;
  }
  return s;
}

/** Wraps a transformer so that the time each frame spends in the transform is measured. */
function timed(transformer: Transformer): Transformer {
  const bench = (transformer.options as Partial<BenchTransformOptions> | null)?.bench;
  const key = bench ? `${bench.side}-${bench.kind}` : 'unknown';
  seen.push(key);
  const stamps = new WeakMap<object, { at: number; bytes: number }>();
  const readable = transformer.readable.pipeThrough(
    new TransformStream<EncodedFrameLike, EncodedFrameLike>({
      transform(frame, controller) {
        const s = streamSamples(key);
        s.framesIn++;
        s.bytesIn += frame.data.byteLength;
        stamps.set(frame, { at: performance.now(), bytes: frame.data.byteLength });
        if (bench?.side === 'send') capture(bench.kind, frame);
        controller.enqueue(frame);
      },
    }),
  );
  const out = new TransformStream<EncodedFrameLike, EncodedFrameLike>({
    transform(frame, controller) {
      const now = performance.now();
      const stamp = stamps.get(frame);
      const s = streamSamples(key);
      if (stamp !== undefined) {
        s.times.push(now - stamp.at);
        s.bytesInOfOut += stamp.bytes;
        if (frame.data.byteLength > stamp.bytes) {
          s.grown++;
          s.bytesAddedToGrown += frame.data.byteLength - stamp.bytes;
        }
      }
      s.framesOut++;
      s.bytesOut += frame.data.byteLength;
      s.firstOutAt ??= performance.timeOrigin + now;
      controller.enqueue(frame);
    },
  });
  out.readable.pipeTo(transformer.writable).catch(() => {});
  return {
    readable,
    writable: out.writable,
    // The transform under test sees its own options only: Framelock's worker refuses options with a field it does not
    // know (src/shared/messages/page-worker.ts), as it must refuse what the page could add.
    options: withoutBench(transformer.options),
    ...(bench ? { bench } : {}),
    generateKeyFrame: (rid?: string) => transformer.generateKeyFrame?.(rid) ?? Promise.resolve(),
    sendKeyFrameRequest: () => transformer.sendKeyFrameRequest?.() ?? Promise.resolve(),
  };
}

// ---- capturing real encoded frames, for the scale replay ---------------------------------------------------------------

let capturing: { want: number; frames: Record<Kind, CapturedFrame[]>; done: () => void } | undefined;

function capture(kind: Kind, frame: EncodedFrameLike): void {
  if (capturing === undefined || capturing.frames[kind].length >= capturing.want) return;
  const metadata = (frame as unknown as { getMetadata(): Partial<CapturedFrame> }).getMetadata();
  capturing.frames[kind].push({
    data: frame.data.slice(0),
    ...(frame.type !== undefined ? { type: frame.type } : {}),
    timestamp: (frame as unknown as { timestamp: number }).timestamp,
    mimeType: metadata.mimeType ?? '',
    synchronizationSource: metadata.synchronizationSource ?? 0,
    payloadType: metadata.payloadType ?? 0,
  });
  if (capturing.frames.audio.length >= capturing.want && capturing.frames.video.length >= capturing.want) {
    capturing.done();
  }
}

// ---- hand every rtctransform event to the transform under test, with a timed transformer -----------------------------

type Listener = (event: { type: string; transformer: Transformer }) => void;
const listeners: Listener[] = [];
const realAdd = scope.addEventListener.bind(scope);
scope.addEventListener = (type: string, listener: unknown, options?: unknown) => {
  if (type === 'rtctransform') listeners.push(listener as Listener);
  else realAdd(type, listener, options);
};
let handler: Listener | null = null;
Object.defineProperty(scope, 'onrtctransform', {
  configurable: true,
  get: () => handler,
  set: (value: Listener | null) => {
    handler = value;
  },
});
realAdd('rtctransform', (event: Event) => {
  const proxied = {
    type: 'rtctransform',
    transformer: timed((event as unknown as { transformer: Transformer }).transformer),
  };
  for (const listener of listeners) listener.call(scope, proxied);
  handler?.call(scope, proxied);
});

/** Hands a transformer to the transform under test as Chromium would, untimed (the scale replay counts CPU). */
function dispatch(transformer: object): void {
  const given = transformer as Transformer;
  const bench = (given.options as Partial<BenchTransformOptions> | null)?.bench;
  const event = {
    type: 'rtctransform',
    transformer: { ...given, options: withoutBench(given.options), ...(bench ? { bench } : {}) },
  };
  for (const listener of listeners) listener.call(scope, event);
  handler?.call(scope, event);
}

const driver = new ScaleDriver(dispatch);

type Control =
  | { capture: number }
  | { scale: 'protect'; streams: ScaleStream[]; captured: Record<Kind, CapturedFrame[]>; count: Record<Kind, number> }
  | { scale: 'load'; streams: ScaleStream[]; frames: CapturedFrame[][] }
  | { scale: 'warm' }
  | { scale: 'run'; seconds: number };

async function control(message: Control): Promise<unknown> {
  if ('capture' in message) {
    return new Promise((resolve) => {
      const frames: Record<Kind, CapturedFrame[]> = { audio: [], video: [] };
      capturing = {
        want: message.capture,
        frames,
        done: () => {
          capturing = undefined;
          resolve(frames);
        },
      };
    });
  }
  switch (message.scale) {
    case 'protect':
      return driver.protect(message.streams, message.captured, message.count);
    case 'load':
      driver.load(message.streams, message.frames);
      return true;
    case 'warm':
      await driver.warm();
      return true;
    case 'run':
      return driver.run(message.seconds);
  }
}

realAdd('message', (event: MessageEvent) => {
  const port = (event.data as { benchControl?: unknown } | null)?.benchControl;
  if (!(port instanceof MessagePort)) return;
  port.onmessage = (e: MessageEvent) => {
    if (typeof e.data === 'object' && e.data !== null) {
      void control(e.data as Control).then((answer) => port.postMessage({ answer }));
      return;
    }
    if (e.data === 'stats') {
      port.postMessage({ ...structuredClone(samples), ...(lastError ? { error: lastError } : {}), seen });
      for (const key of Object.keys(samples)) delete samples[key];
    }
  };
});

// ---- the built-in modes: pass-through, and bare AES-GCM --------------------------------------------------------------

/** Bytes left clear, as Framelock (and LiveKit) leave them: VP8 payload header 10 (keyframe) or 3, Opus TOC 1. */
function clearBytes(frame: EncodedFrameLike, kind: Kind): number {
  if (kind === 'audio') return 1;
  return frame.type === 'key' ? 10 : 3;
}

const IV_BYTES = 12;
const seen: string[] = [];
/** The bare transform's last failure, reported with the samples (`bare-error`). */
let lastError: string | undefined;

/**
 * Moves frames from a transformer's readable to its writable through `step` (false drops the frame), one at a time and
 * in order, with a reader and a writer: the plumbing Framelock's worker uses, so that the baselines pay no more for
 * it than Framelock does.
 */
async function pump(transformer: Transformer, step: (frame: EncodedFrameLike) => Promise<boolean> | boolean) {
  const reader = transformer.readable.getReader();
  const writer = transformer.writable.getWriter();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    if (await step(value)) writer.write(value).catch(() => {});
  }
}

async function bareAesGcm(transformer: Transformer, key: CryptoKey): Promise<void> {
  const { side, kind } = transformer.bench ?? (transformer.options as BenchTransformOptions).bench;
  // IV = 4 random bytes per stream || 8-byte counter, sent as a trailer.
  const iv = new Uint8Array(IV_BYTES);
  crypto.getRandomValues(iv.subarray(0, 4));
  const ivView = new DataView(iv.buffer);
  let counter = 0n;
  await pump(transformer, async (frame) => {
    const data = new Uint8Array(frame.data);
    try {
      if (side === 'send') {
        const clear = Math.min(clearBytes(frame, kind), data.length);
        ivView.setBigUint64(4, counter++);
        const ivNow = iv.slice();
        const ct = await crypto.subtle.encrypt(
          { name: 'AES-GCM', iv: ivNow, additionalData: data.subarray(0, clear) },
          key,
          data.subarray(clear),
        );
        const out = new Uint8Array(clear + ct.byteLength + IV_BYTES);
        out.set(data.subarray(0, clear));
        out.set(new Uint8Array(ct), clear);
        out.set(ivNow, clear + ct.byteLength);
        frame.data = out.buffer;
      } else {
        const clear = Math.min(clearBytes(frame, kind), data.length);
        const ivAt = data.length - IV_BYTES;
        const pt = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: data.subarray(ivAt), additionalData: data.subarray(0, clear) },
          key,
          data.subarray(clear, ivAt),
        );
        const out = new Uint8Array(clear + pt.byteLength);
        out.set(data.subarray(0, clear));
        out.set(new Uint8Array(pt), clear);
        frame.data = out.buffer;
      }
      return true;
    } catch (error) {
      // Dropped: counted as frames in minus frames out.
      lastError = String(error);
      return false;
    }
  });
}

if (scope.name === 'passthrough' || scope.name === 'bare') {
  const keyPromise = crypto.subtle.importKey('raw', new Uint8Array(16).fill(7), 'AES-GCM', false, [
    'encrypt',
    'decrypt',
  ]);
  scope.addEventListener('rtctransform', (event: { transformer: Transformer }) => {
    const { transformer } = event;
    if (scope.name === 'passthrough') {
      // The same plumbing as bare AES-GCM and Framelock (a reader and a writer), doing nothing.
      void pump(transformer, () => true).catch(() => {});
    } else {
      void keyPromise.then((key) => bareAesGcm(transformer, key)).catch(() => {});
    }
  });
}
