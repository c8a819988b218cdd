/**
 * @module What every Framelock transform's session shares: the frame it works on, what it needs from the worker, its
 * counters and its stats snapshot. A sender encrypts every frame (send-session.ts); a receiver decrypts, classifies
 * and counts (receive-session.ts). Sessions are independent of the browser's transform API (the worker entry,
 * transform.ts, adapts RTCRtpScriptTransformer to them), so they are unit-tested on fake frames.
 *
 * The frame path never throws and never waits for keys: a frame a session cannot protect or accept is dropped and
 * counted.
 */
import type { MediaKind } from '../shared/messages/schema';
import type { TransformStats } from '../shared/messages/stats';
import { CodecWatch } from './codec-watch';
import type { ControlOutbox } from './control-outbox';
import type { Keyring } from './keyring';

/** The parts of RTCEncodedVideoFrame / RTCEncodedAudioFrame we use. */
export interface EncodedFrame {
  data: ArrayBuffer;
  /** Video only: `key` for a keyframe (audio frames have no type). */
  readonly type?: string;
  /** `synchronizationSource`: the RTP stream (each simulcast layer has its own). */
  getMetadata(): { mimeType?: string; synchronizationSource?: number };
}

/** The call our senders send in, as the bridge described it (docs/keys.md). */
export interface CallState {
  /** Counts the calls of this worker: a new one means new track numbers. */
  number: number;
  participant: bigint;
  /** The sender key generation our frames go out under. */
  generation: number;
  /** The generation we switch to next, once the bridge announced it. */
  next?: number;
}

/** What a session needs from its surroundings. */
export interface SessionHost {
  keyring: Keyring;
  /** The call, or undefined before the bridge started one (nothing is sent then). */
  call(): CallState | undefined;
  /** A track number of the current call, never given twice in it; undefined once they ran out. */
  newTrack(): number | undefined;
  /** Control messages our senders carry in-band. */
  outbox: ControlOutbox;
  /** A receiver reassembled a control message from a remote sender's frames (untrusted: for the bridge). */
  onControl(bytes: Uint8Array): void;
  /** Ask the browser for a keyframe: the sender generates one, the receiver asks its peer. Best effort. */
  requestKeyFrame(): void;
}

export type Counters = Pick<
  TransformStats,
  'protected' | 'unencrypted' | 'undecryptable' | 'dropped' | 'passthrough' | 'echoed'
>;

const zero = (): Counters => ({
  protected: 0,
  unencrypted: 0,
  undecryptable: 0,
  dropped: 0,
  passthrough: 0,
  echoed: 0,
});

/** Replaces the frame's payload. Encoded frames want an ArrayBuffer of exactly the payload. */
export function setData(frame: EncodedFrame, bytes: Uint8Array): void {
  frame.data =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? (bytes.buffer as ArrayBuffer)
      : (bytes.slice().buffer as ArrayBuffer);
}

export abstract class Session {
  readonly id: string;
  readonly kind: MediaKind;
  protected readonly host: SessionHost;
  protected readonly total: Counters = zero();
  /** Counters since the last stats snapshot: they decide the status a person sees. */
  protected recent: Counters = zero();
  protected kid: bigint | undefined;
  protected lastError: string | undefined;
  /** Which framing this session's frames get (their codec). */
  protected readonly codec: CodecWatch;

  constructor(id: string, kind: MediaKind, host: SessionHost) {
    this.id = id;
    this.kind = kind;
    this.host = host;
    this.codec = new CodecWatch(kind);
  }

  /** Returns true if the frame (possibly rewritten) goes on, false if it must be dropped. Never throws. */
  abstract process(frame: EncodedFrame): Promise<boolean>;

  /** Our transform was put back after the site removed it: peers or our decoder missed frames. */
  abstract expectGap(): void;

  /** Every frame this session has seen, whatever became of it. */
  frames(): number {
    const t = this.total;
    return t.protected + t.unencrypted + t.undecryptable + t.dropped + t.passthrough;
  }

  protected count(counter: keyof Counters): void {
    this.total[counter]++;
    this.recent[counter]++;
  }

  protected abstract status(): TransformStats['status'];

  /** Counters for the UI; starts a new "recent" period. */
  snapshot(side: 'send' | 'receive'): TransformStats {
    const codec = this.codec.codec;
    const stats: TransformStats = {
      id: this.id,
      side,
      kind: this.kind,
      ...this.total,
      status: this.status(),
      ...(codec ? { codec } : {}),
      ...(this.kid !== undefined ? { kid: this.kid.toString() } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
    this.recent = zero();
    return stats;
  }
}
