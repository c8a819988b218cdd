/**
 * Decoding depacketized RTP (./rtp) with WebCodecs in a real Chromium page, to tell "the media server saw our
 * picture / our tone" from "it saw ciphertext". The page must be a secure context (any http://127.0.0.1 page: WebCodecs
 * is not exposed on about:blank).
 *
 * ```ts
 * const frames = depacketize('vp8', sink.packets('video'));
 * const video = await decodeVideo(page, 'vp8', frames);
 * expect(video.samples && showsPattern(video.samples)).toBe(true);     // clear: the fake camera's quadrants
 * const audio = await decodeAudio(page, depacketize('opus', sink.packets('audio')));
 * expect(Math.abs((audio.toneHz ?? 0) - 440)).toBeLessThan(5);           // clear: the fake microphone's tone
 * ```
 *
 * A decoder error (what Chromium's decoders do with ciphertext, see ./media `PATTERN_TOLERANCE`) is reported in
 * `errors`, never thrown. As in ./media, the functions given to `evaluate` run in the page; a `__name` shim is
 * installed first in case the caller runs under tsx (which wraps named inner functions in `__name(...)`).
 */
import type { Frame, Page } from 'puppeteer-core';
import type { PatternSamples, QuadrantSample } from './media';
import { type RtpVideoCodec, splitAnnexB, vp9Header } from './rtp';

/** An encoded frame to decode: {@link EncodedFrame} from ./rtp fits, so does a fixture frame with `keyframe` set. */
export interface FrameToDecode {
  data: Uint8Array;
  keyframe?: boolean;
  /** RTP timestamp (90 kHz video, 48 kHz Opus); chunk timestamps are derived from it when present. */
  timestamp?: number;
}

export interface DecodeVideoOptions {
  /** Coded size hint for `VideoDecoder.configure` (the decoders find the real size in the bitstream). */
  width?: number;
  height?: number;
  /** WebCodecs codec string; default {@link videoCodecString}. */
  codecString?: string;
}

export interface VideoDecodeResult {
  /** The codec string the decoder was configured with. */
  codecString: string;
  /** Chunks handed to the decoder (from the first keyframe; after an error, again from the next keyframe). */
  fed: number;
  /** VideoFrames the decoder output. */
  decoded: number;
  /** Decoder errors (`name: message`), at most 50; decode() exceptions included. */
  errors: string[];
  /** Quadrant samples of the last decoded frame, in the shape of `samplePattern` (./media); absent if none. */
  samples?: PatternSamples;
  /** Mean and spread of the whole last decoded frame (e.g. to tell a picture from a blank frame). */
  overall?: QuadrantSample;
}

export interface DecodeAudioOptions {
  /** Channels to configure; default 2 if any packet's TOC has the stereo bit, else 1. */
  channels?: number;
}

export interface AudioDecodeResult {
  fed: number;
  /** AudioData outputs. */
  decoded: number;
  errors: string[];
  /** Decoded samples (first channel) at 48 kHz. */
  sampleCount: number;
  /** Dominant frequency of the loudest half second (see {@link estimateTone}); absent without samples. */
  toneHz?: number;
  /** Share of that window's power at `toneHz` (0-1): about 1 for a pure tone, small for noise. */
  tonePurity?: number;
  /** RMS of the decoded signal (first channel, -1..1), after the first 20 ms. */
  rms?: number;
}

const MAX_ERRORS = 50;

/**
 * The WebCodecs codec string for a stream: H.264 `avc1.PPCCLL` from the first SPS found (default `avc1.42e01f`), VP9
 * `vp09.0P.10.08` with the profile of the first keyframe (default profile 0), VP8 `vp8`, AV1 `av01.0.04M.08`.
 */
export function videoCodecString(codec: RtpVideoCodec, frames: readonly FrameToDecode[]): string {
  switch (codec) {
    case 'vp8':
      return 'vp8';
    case 'vp9': {
      for (const f of frames) {
        const header = vp9Header(f.data);
        if (header?.keyframe) return `vp09.0${header.profile}.10.${header.profile >= 2 ? '10' : '08'}`;
      }
      return 'vp09.00.10.08';
    }
    case 'h264': {
      for (const f of frames) {
        const sps = splitAnnexB(f.data).find((n) => (n[0]! & 0x1f) === 7 && n.length >= 4);
        if (sps) return `avc1.${[sps[1]!, sps[2]!, sps[3]!].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
      }
      return 'avc1.42e01f';
    }
    case 'av1':
      return 'av01.0.04M.08';
  }
}

/** Microseconds since the first frame, from RTP timestamps (32-bit wrap-around unwrapped) or the frame index. */
function chunkTimestamps(frames: readonly FrameToDecode[], clockRate: number, frameUs: number): number[] {
  let previous: number | undefined;
  let unwrapped = 0;
  return frames.map((f, i) => {
    if (f.timestamp === undefined || previous === undefined) {
      if (f.timestamp !== undefined) previous = f.timestamp;
      return f.timestamp === undefined ? Math.round(i * frameUs) : 0;
    }
    const delta = ((((f.timestamp - previous + 2 ** 31) % 2 ** 32) + 2 ** 32) % 2 ** 32) - 2 ** 31;
    previous = f.timestamp;
    unwrapped += delta;
    return Math.round((unwrapped * 1_000_000) / clockRate);
  });
}

function toBase64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

async function installNameShim(target: Page | Frame): Promise<void> {
  await target.evaluate('globalThis.__name ??= (f) => f; undefined');
}

/**
 * Decodes `frames` with a WebCodecs `VideoDecoder` in `target`, starting at the first keyframe. After a decoder error
 * (the decoder closes) a new decoder takes over at the next keyframe. The last decoded frame is drawn into a canvas
 * and sampled like `samplePattern` (./media) does: mean and spread of the middle half of each quadrant.
 */
export async function decodeVideo(
  target: Page | Frame,
  codec: RtpVideoCodec,
  frames: readonly FrameToDecode[],
  options: DecodeVideoOptions = {},
): Promise<VideoDecodeResult> {
  const codecString = options.codecString ?? videoCodecString(codec, frames);
  const timestamps = chunkTimestamps(frames, 90_000, 1_000_000 / 30);
  const chunks = frames.map((f, i) => ({ key: f.keyframe === true, ts: timestamps[i] ?? 0, b64: toBase64(f.data) }));
  await installNameShim(target);
  return target.evaluate(
    async (config: { codec: string; width: number; height: number; maxErrors: number }, input: typeof chunks) => {
      const errors: string[] = [];
      const note = (e: unknown): void => {
        if (errors.length < config.maxErrors) errors.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
      };
      const decoderConfig: VideoDecoderConfig = {
        codec: config.codec,
        codedWidth: config.width,
        codedHeight: config.height,
        optimizeForLatency: true,
      };
      const support = await VideoDecoder.isConfigSupported(decoderConfig).catch((e: unknown) => {
        note(e);
        return { supported: false };
      });
      if (!support.supported) {
        if (errors.length === 0) errors.push(`NotSupportedError: ${config.codec} is not supported`);
        return { codecString: config.codec, fed: 0, decoded: 0, errors };
      }
      let decoded = 0;
      let fed = 0;
      let last: VideoFrame | null = null;
      let decoder: VideoDecoder | null = null;
      let needKey = true;
      for (const chunk of input) {
        if (decoder !== null && decoder.state === 'closed') decoder = null;
        if (chunk.key && decoder !== null && fed > 0) {
          // Settle what came before, so errors belong to their group of pictures (a flush wants a keyframe next).
          await decoder.flush().catch(() => undefined);
          if (decoder.state === 'closed') decoder = null;
        }
        if (decoder === null) {
          decoder = new VideoDecoder({
            output: (frame) => {
              decoded++;
              last?.close();
              last = frame;
            },
            error: note,
          });
          decoder.configure(decoderConfig);
          needKey = true;
        }
        if (needKey && !chunk.key) continue;
        needKey = false;
        const binary = atob(chunk.b64);
        const data = new Uint8Array(binary.length);
        for (let i = 0; i < binary.length; i++) data[i] = binary.charCodeAt(i);
        try {
          decoder.decode(new EncodedVideoChunk({ type: chunk.key ? 'key' : 'delta', timestamp: chunk.ts, data }));
          fed++;
        } catch (e) {
          note(e);
          if (decoder.state !== 'closed') decoder.close();
          decoder = null;
        }
        // Let the decoder's callbacks run between chunks.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      if (decoder !== null && decoder.state !== 'closed') {
        await decoder.flush().catch(() => undefined);
        // The error callback may have closed it meanwhile.
        if ((decoder.state as CodecState) !== 'closed') decoder.close();
      }
      const lastFrame = last as VideoFrame | null;
      if (lastFrame === null) return { codecString: config.codec, fed, decoded, errors };

      const width = lastFrame.displayWidth;
      const height = lastFrame.displayHeight;
      const canvas = new OffscreenCanvas(width, height);
      const context = canvas.getContext('2d', { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D;
      context.drawImage(lastFrame, 0, 0, width, height);
      lastFrame.close();
      const region = (x0: number, y0: number, w: number, h: number) => {
        const { data } = context.getImageData(x0, y0, w, h);
        const sum = [0, 0, 0];
        const sumSq = [0, 0, 0];
        for (let p = 0; p < data.length; p += 4) {
          for (let c = 0; c < 3; c++) {
            const v = data[p + c] ?? 0;
            sum[c] = (sum[c] ?? 0) + v;
            sumSq[c] = (sumSq[c] ?? 0) + v * v;
          }
        }
        const n = data.length / 4;
        const mean = sum.map((s) => s / n);
        const sd = sumSq.map((s, c) => Math.sqrt(Math.max(0, s / n - (mean[c] ?? 0) ** 2)));
        const [mr, mg, mb] = mean.map((v) => Math.round(v * 10) / 10);
        const [sr, sg, sb] = sd.map((v) => Math.round(v * 10) / 10);
        return { mean: { r: mr ?? 0, g: mg ?? 0, b: mb ?? 0 }, stdDev: { r: sr ?? 0, g: sg ?? 0, b: sb ?? 0 } };
      };
      // The same regions as samplePattern (./media): the middle half of each quadrant in each direction.
      const qw = Math.floor(width / 2);
      const qh = Math.floor(height / 2);
      const quadrants: Record<string, ReturnType<typeof region>> = {};
      ['topLeft', 'topRight', 'bottomLeft', 'bottomRight'].forEach((name, i) => {
        quadrants[name] = region(
          (i % 2) * qw + Math.floor(qw / 4),
          Math.floor(i / 2) * qh + Math.floor(qh / 4),
          Math.max(1, Math.floor(qw / 2)),
          Math.max(1, Math.floor(qh / 2)),
        );
      });
      return {
        codecString: config.codec,
        fed,
        decoded,
        errors,
        samples: { width, height, quadrants },
        overall: region(0, 0, width, height),
      };
    },
    { codec: codecString, width: options.width ?? 640, height: options.height ?? 480, maxErrors: MAX_ERRORS },
    chunks,
  ) as Promise<VideoDecodeResult>;
}

/**
 * Decodes Opus `frames` (48 kHz) with a WebCodecs `AudioDecoder` in `target` and measures the result: RMS, and the
 * dominant frequency and its purity ({@link estimateTone}). Empty frames (DTX) are skipped. After a decoder error a
 * new decoder takes over with the next frame.
 */
export async function decodeAudio(
  target: Page | Frame,
  frames: readonly FrameToDecode[],
  options: DecodeAudioOptions = {},
): Promise<AudioDecodeResult> {
  const channels = options.channels ?? (frames.some((f) => f.data.length > 0 && (f.data[0]! & 0x04) !== 0) ? 2 : 1);
  const timestamps = chunkTimestamps(frames, 48_000, 20_000);
  const chunks = frames
    .map((f, i) => ({ ts: timestamps[i] ?? 0, b64: toBase64(f.data), empty: f.data.length === 0 }))
    .filter((c) => !c.empty)
    .map(({ ts, b64 }) => ({ ts, b64 }));
  await installNameShim(target);
  const result = (await target.evaluate(
    async (config: { channels: number; maxErrors: number }, input: typeof chunks) => {
      const errors: string[] = [];
      const note = (e: unknown): void => {
        if (errors.length < config.maxErrors) errors.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
      };
      const decoderConfig: AudioDecoderConfig = {
        codec: 'opus',
        sampleRate: 48_000,
        numberOfChannels: config.channels,
      };
      const support = await AudioDecoder.isConfigSupported(decoderConfig).catch((e: unknown) => {
        note(e);
        return { supported: false };
      });
      if (!support.supported) {
        if (errors.length === 0) errors.push('NotSupportedError: opus is not supported');
        return { fed: 0, decoded: 0, errors, pcm: '' };
      }
      const pieces: Float32Array[] = [];
      let decoded = 0;
      let fed = 0;
      let decoder: AudioDecoder | null = null;
      for (const chunk of input) {
        if (decoder !== null && decoder.state === 'closed') decoder = null;
        if (decoder === null) {
          decoder = new AudioDecoder({
            output: (audio) => {
              decoded++;
              const samples = new Float32Array(audio.numberOfFrames);
              audio.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
              pieces.push(samples);
              audio.close();
            },
            error: note,
          });
          decoder.configure(decoderConfig);
        }
        const binary = atob(chunk.b64);
        const data = new Uint8Array(binary.length);
        for (let i = 0; i < binary.length; i++) data[i] = binary.charCodeAt(i);
        try {
          decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: chunk.ts, data }));
          fed++;
        } catch (e) {
          note(e);
          if (decoder.state !== 'closed') decoder.close();
          decoder = null;
        }
        if (fed % 25 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      }
      if (decoder !== null && decoder.state !== 'closed') {
        await decoder.flush().catch(() => undefined);
        // The error callback may have closed it meanwhile.
        if ((decoder.state as CodecState) !== 'closed') decoder.close();
      }
      // 16-bit PCM, base64: compact enough to analyse on the Node side.
      let total = 0;
      for (const p of pieces) total += p.length;
      const bytes = new Uint8Array(total * 2);
      const view = new DataView(bytes.buffer);
      let offset = 0;
      for (const p of pieces) {
        for (let i = 0; i < p.length; i++) {
          const v = Math.max(-1, Math.min(1, p[i] ?? 0));
          view.setInt16(offset, Math.round(v * 32767), true);
          offset += 2;
        }
      }
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) {
        binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      }
      return { fed, decoded, errors, pcm: btoa(binary) };
    },
    { channels, maxErrors: MAX_ERRORS },
    chunks,
  )) as { fed: number; decoded: number; errors: string[]; pcm: string };
  const raw = Buffer.from(result.pcm, 'base64');
  const samples = new Float32Array(raw.length / 2);
  for (let i = 0; i < samples.length; i++) samples[i] = raw.readInt16LE(2 * i) / 32767;
  const out: AudioDecodeResult = {
    fed: result.fed,
    decoded: result.decoded,
    errors: result.errors,
    sampleCount: samples.length,
  };
  const tone = estimateTone(samples, 48_000);
  if (tone) {
    out.toneHz = tone.hz;
    out.tonePurity = tone.purity;
    out.rms = tone.rms;
  }
  return out;
}

/**
 * Dominant frequency of `samples`: skips the first 20 ms (decoder start-up), picks the loudest window of up to 0.5 s
 * (0.1 s steps), scans 20 Hz - 12 kHz in 10 Hz steps over its first 0.1 s, then refines ±10 Hz in 0.25 Hz steps over
 * the whole window (single-bin DFT). `purity` is that bin's power (2|X|²/N²) over the window's mean square, clamped
 * to 0-1; `rms` is over everything after the first 20 ms. Undefined for fewer than 480 samples or pure silence.
 */
export function estimateTone(
  samples: Float32Array,
  sampleRate = 48_000,
): { hz: number; purity: number; rms: number } | undefined {
  const skip = Math.round(sampleRate * 0.02);
  const signal = samples.subarray(Math.min(skip, samples.length));
  if (signal.length < Math.round(sampleRate * 0.01)) return undefined;
  let total = 0;
  for (const v of signal) total += v * v;
  const rms = Math.sqrt(total / signal.length);
  if (rms === 0) return undefined;

  const windowLength = Math.min(signal.length, Math.round(sampleRate * 0.5));
  const step = Math.max(1, Math.round(sampleRate * 0.1));
  let bestStart = 0;
  let bestEnergy = -1;
  for (let start = 0; start + windowLength <= signal.length; start += step) {
    let energy = 0;
    for (let i = start; i < start + windowLength; i++) energy += (signal[i] ?? 0) ** 2;
    if (energy > bestEnergy) {
      bestEnergy = energy;
      bestStart = start;
    }
  }
  const window = signal.subarray(bestStart, bestStart + windowLength);
  const power = (hz: number, length: number): number => {
    const w = (2 * Math.PI * hz) / sampleRate;
    let re = 0;
    let im = 0;
    for (let i = 0; i < length; i++) {
      const v = window[i] ?? 0;
      re += v * Math.cos(w * i);
      im -= v * Math.sin(w * i);
    }
    return (2 * (re * re + im * im)) / (length * length);
  };
  const coarseLength = Math.min(window.length, Math.round(sampleRate * 0.1));
  const top = Math.min(12_000, sampleRate / 2 - 10);
  let coarse = 20;
  let coarsePower = -1;
  for (let hz = 20; hz <= top; hz += 10) {
    const p = power(hz, coarseLength);
    if (p > coarsePower) {
      coarsePower = p;
      coarse = hz;
    }
  }
  let hz = coarse;
  let best = -1;
  for (let f = coarse - 10; f <= coarse + 10; f += 0.25) {
    const p = power(f, window.length);
    if (p > best) {
      best = p;
      hz = f;
    }
  }
  let meanSquare = 0;
  for (const v of window) meanSquare += v * v;
  meanSquare /= window.length;
  return { hz, purity: meanSquare > 0 ? Math.min(1, best / meanSquare) : 0, rms };
}

export interface PatternEncodeOptions {
  width?: number;
  height?: number;
  /** Number of frames (keyframe first), default 10. */
  frames?: number;
  /** Force a keyframe every this many frames, default only the first. */
  keyframeInterval?: number;
  codecString?: string;
}

/**
 * Encodes the quadrant test pattern of ./media (red, green, blue, yellow; a white block moving along the middle line)
 * with a WebCodecs `VideoEncoder` in `target` (software, realtime, 300 kbit/s, 30 fps; H.264 as Annex B), so decode
 * paths can be checked against `showsPattern` without a call. Returns the chunks in order.
 * @throws if the encoder is unsupported or fails.
 */
export async function encodeTestPattern(
  target: Page | Frame,
  codec: RtpVideoCodec,
  options: PatternEncodeOptions = {},
): Promise<{ data: Uint8Array; keyframe: boolean; timestamp: number }[]> {
  const strings: Record<RtpVideoCodec, string> = {
    vp8: 'vp8',
    vp9: 'vp09.00.10.08',
    h264: 'avc1.42e01f',
    av1: 'av01.0.04M.08',
  };
  await installNameShim(target);
  const result = (await target.evaluate(
    async (config: {
      codec: string;
      width: number;
      height: number;
      frames: number;
      interval: number;
      h264: boolean;
    }) => {
      const w = config.width;
      const h = config.height;
      const encoderConfig: VideoEncoderConfig = {
        codec: config.codec,
        width: w,
        height: h,
        bitrate: 300_000,
        framerate: 30,
        latencyMode: 'realtime',
        ...(config.h264 ? { avc: { format: 'annexb' as const } } : {}),
      };
      const support = await VideoEncoder.isConfigSupported(encoderConfig);
      if (!support.supported) throw new Error(`VideoEncoder does not support ${config.codec}`);
      const out: { b64: string; key: boolean; ts: number }[] = [];
      const errors: string[] = [];
      const encoder = new VideoEncoder({
        output: (chunk) => {
          const bytes = new Uint8Array(chunk.byteLength);
          chunk.copyTo(bytes);
          let binary = '';
          for (let i = 0; i < bytes.length; i += 0x8000) {
            binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
          }
          out.push({ b64: btoa(binary), key: chunk.type === 'key', ts: chunk.timestamp });
        },
        error: (e) => errors.push(`${e.name}: ${e.message}`),
      });
      encoder.configure(encoderConfig);
      const canvas = new OffscreenCanvas(w, h);
      const context = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
      const block = Math.max(8, Math.round(h / 15) & ~1);
      for (let f = 0; f < config.frames; f++) {
        ['#ff0000', '#00ff00', '#0000ff', '#ffff00'].forEach((colour, i) => {
          context.fillStyle = colour;
          context.fillRect((i % 2) * (w / 2), Math.floor(i / 2) * (h / 2), w / 2, h / 2);
        });
        context.fillStyle = '#ffffff';
        const x = Math.round(((w - block) * f) / Math.max(1, config.frames - 1));
        context.fillRect(x, h / 2 - block / 2, block, block);
        const frame = new VideoFrame(canvas, { timestamp: Math.round((f * 1_000_000) / 30) });
        encoder.encode(frame, { keyFrame: f === 0 || (config.interval > 0 && f % config.interval === 0) });
        frame.close();
      }
      await encoder.flush();
      encoder.close();
      if (errors.length > 0) throw new Error(`VideoEncoder: ${errors.join('; ')}`);
      return out;
    },
    {
      codec: options.codecString ?? strings[codec],
      width: options.width ?? 320,
      height: options.height ?? 240,
      frames: options.frames ?? 10,
      interval: options.keyframeInterval ?? 0,
      h264: codec === 'h264',
    },
  )) as { b64: string; key: boolean; ts: number }[];
  return result.map((c) => ({
    data: new Uint8Array(Buffer.from(c.b64, 'base64')),
    keyframe: c.key,
    timestamp: Math.round((c.ts * 90_000) / 1_000_000),
  }));
}
