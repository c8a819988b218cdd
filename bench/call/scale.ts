/**
 * @module The receive side of a 100-participant call, replayed inside one transform worker: many streams of real
 * encoded frames (captured from the loopback call), first protected by the mode's own sender, then fed at their
 * frame rates through the mode's receivers. Runs next to the transform under test, as frames from WebRTC would.
 */

export interface CapturedFrame {
  data: ArrayBuffer;
  /** 'key' | 'delta' for video; absent for audio (as on RTCEncodedAudioFrame: LiveKit tells them apart by it). */
  type?: string;
  timestamp: number;
  mimeType: string;
  synchronizationSource: number;
  payloadType: number;
}

export interface ScaleStream {
  id: number;
  kind: 'audio' | 'video';
  /** The options each mode's transform expects, for the sending and the receiving side. */
  sendOptions: Record<string, unknown>;
  receiveOptions: Record<string, unknown>;
}

export interface ScaleRunResult {
  fed: number;
  decrypted: number;
  seconds: number;
  /** Frames still queued or never written when the run ended, per kind. */
  lost: { audio: number; video: number };
}

/** A frame as a transform sees it. */
class Frame {
  data: ArrayBuffer;
  readonly timestamp: number;
  readonly #metadata: { mimeType: string; synchronizationSource: number; payloadType: number };
  constructor(source: CapturedFrame, ssrc: number) {
    this.data = source.data.slice(0);
    this.timestamp = source.timestamp;
    this.#metadata = { mimeType: source.mimeType, synchronizationSource: ssrc, payloadType: source.payloadType };
    if (source.type !== undefined) (this as unknown as { type: string }).type = source.type;
  }
  getMetadata() {
    return { ...this.#metadata };
  }
}

type Dispatch = (transformer: object) => void;

interface Pipe {
  push(frame: Frame): void;
  out: Frame[];
  written: number;
}

/** A transformer whose readable we feed and whose writable we count: what RTCRtpScriptTransformer gives a worker. */
function pipe(dispatch: Dispatch, options: Record<string, unknown>, keep: boolean): Pipe {
  let controller!: ReadableStreamDefaultController<Frame>;
  const readable = new ReadableStream<Frame>(
    {
      start(c) {
        controller = c;
      },
    },
    { highWaterMark: 1_000_000 },
  );
  const state: Pipe = {
    push: (frame) => controller.enqueue(frame),
    out: [],
    written: 0,
  };
  const writable = new WritableStream<Frame>({
    write(frame) {
      state.written++;
      if (keep) state.out.push(frame);
    },
  });
  dispatch({
    readable,
    writable,
    options,
    generateKeyFrame: () => Promise.resolve(),
    sendKeyFrameRequest: () => Promise.resolve(),
  });
  return state;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ScaleDriver {
  readonly #dispatch: Dispatch;
  #streams: { stream: ScaleStream; frames: Frame[]; receive?: Pipe; next: number }[] = [];

  constructor(dispatch: Dispatch) {
    this.#dispatch = dispatch;
  }

  /**
   * Protects `count[kind]` frames per stream with the mode's sender (fresh frames: counters never repeat) and returns
   * them, to be replayed by another worker (a receiver never shares a worker with the senders it decrypts).
   */
  async protect(
    streams: ScaleStream[],
    captured: Record<'audio' | 'video', CapturedFrame[]>,
    count: Record<'audio' | 'video', number>,
  ): Promise<CapturedFrame[][]> {
    const out: CapturedFrame[][] = [];
    for (const stream of streams) {
      const source = captured[stream.kind];
      const want = count[stream.kind];
      const send = pipe(this.#dispatch, stream.sendOptions, true);
      // The first frames may be dropped while the sender's key comes: one frame, a pause, then the rest.
      let fed = 0;
      const feed = (n: number) => {
        for (let k = 0; k < n; k++)
          send.push(new Frame(source[fed++ % source.length] as CapturedFrame, 1000 + stream.id));
      };
      feed(1);
      await sleep(100);
      for (let attempt = 0; send.out.length < want && attempt < 50; attempt++) {
        feed(want - send.out.length);
        // Wait until the sender has written everything it was given (or stopped making progress).
        for (let idle = 0; send.written < fed && idle < 20; ) {
          const before = send.written;
          await sleep(2);
          idle = send.written === before ? idle + 1 : 0;
        }
      }
      const meta = source[0] as CapturedFrame;
      out.push(
        send.out.slice(0, want).map((f) => ({
          data: f.data,
          ...((f as { type?: string }).type !== undefined ? { type: (f as unknown as { type: string }).type } : {}),
          timestamp: f.timestamp,
          mimeType: meta.mimeType,
          synchronizationSource: 1000 + stream.id,
          payloadType: meta.payloadType,
        })),
      );
    }
    return out;
  }

  /** Takes the protected frames of each stream, to replay them. */
  load(streams: ScaleStream[], frames: CapturedFrame[][]): void {
    this.#streams = streams.map((stream, i) => ({
      stream,
      frames: (frames[i] ?? []).map((f) => new Frame(f, f.synchronizationSource)),
      next: 0,
    }));
  }

  /** Opens every receiver and gives each one frame, so keys are fetched before the timed run. */
  async warm(): Promise<void> {
    for (const s of this.#streams) {
      s.receive = pipe(this.#dispatch, s.stream.receiveOptions, false);
      const frame = s.frames[s.next++];
      if (frame) s.receive.push(frame);
    }
    await sleep(1_000);
  }

  /** Feeds every stream at its frame rate (audio 50/s, video 30/s) for `seconds`. */
  async run(seconds: number): Promise<ScaleRunResult> {
    const start = performance.now();
    const fedBefore = new Map(this.#streams.map((s) => [s, s.next]));
    const writtenBefore = new Map(this.#streams.map((s) => [s, s.receive?.written ?? 0]));
    const intervals = { audio: 20, video: 1000 / 30 };
    const end = start + seconds * 1000;
    // Streams start spread over one frame interval, as independent senders would.
    const due = this.#streams.map((s, i) => start + ((i * 7) % 20) * (intervals[s.stream.kind] / 20));
    while (performance.now() < end) {
      const now = performance.now();
      this.#streams.forEach((s, i) => {
        while ((due[i] as number) <= now && s.next < s.frames.length) {
          s.receive?.push(s.frames[s.next++] as Frame);
          due[i] = (due[i] as number) + intervals[s.stream.kind];
        }
      });
      await sleep(5);
    }
    const seconds_ = (performance.now() - start) / 1000;
    await sleep(300); // frames in flight finish
    let fed = 0;
    let decrypted = 0;
    const lost = { audio: 0, video: 0 };
    for (const s of this.#streams) {
      const f = s.next - (fedBefore.get(s) ?? 0);
      const d = (s.receive?.written ?? 0) - (writtenBefore.get(s) ?? 0);
      fed += f;
      decrypted += d;
      lost[s.stream.kind] += Math.max(0, f - d);
    }
    return { fed, decrypted, seconds: seconds_, lost };
  }
}
