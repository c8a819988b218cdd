/**
 * @module Which framing a session's frames get: the codec named in the frame's metadata, read only where it can change.
 */
import { type Framing, framingForMimeType, genericAudio, genericVideo } from '../codecs';
import type { MediaKind } from '../shared/messages/schema';
import { AUDIO_CODEC_RECHECK } from './constants';
import type { EncodedFrame } from './session';

export class CodecWatch {
  readonly #kind: MediaKind;
  /** The codec the metadata named last (RTP MIME type), for the counters. */
  codec: string | undefined;
  #framings = new Map<string, Framing>();
  /** The framing of the last frame whose metadata was read. */
  #framing: Framing | undefined;
  #sinceCodecCheck = 0;

  constructor(kind: MediaKind) {
    this.#kind = kind;
  }

  /**
   * The framing for this frame's codec. `getMetadata()` builds a whole dictionary per call (a fifth of our per-frame
   * time on 720p video), so it is read only where the codec can change: on a video keyframe (a new encoder always
   * starts with one) and every {@link AUDIO_CODEC_RECHECK} audio frames (audio has no keyframes).
   */
  framing(frame: EncodedFrame): Framing {
    const type = frame.type;
    const recheck =
      this.#framing === undefined ||
      (type === undefined ? ++this.#sinceCodecCheck >= AUDIO_CODEC_RECHECK : type === 'key');
    if (!recheck) return this.#framing as Framing;
    this.#sinceCodecCheck = 0;
    let mime: string | undefined;
    try {
      mime = frame.getMetadata().mimeType;
    } catch {
      mime = undefined;
    }
    this.codec = mime ?? this.codec;
    const key = mime ?? '';
    let framing = this.#framings.get(key);
    if (framing === undefined) {
      const generic = this.#kind === 'audio' ? genericAudio : genericVideo;
      framing = (mime ? framingForMimeType(mime) : undefined) ?? generic;
      // A video framing for an audio track (or the reverse) would pick the wrong suite: fall back to generic.
      if (framing.kind !== this.#kind) framing = generic;
      this.#framings.set(key, framing);
    }
    this.#framing = framing;
    return framing;
  }
}
