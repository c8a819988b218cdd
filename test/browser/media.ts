/**
 * Known media in, checkable media out. Chromium's fake capture devices can play a file instead of their built-in
 * animation (`--use-file-for-fake-video-capture=<y4m>`, `--use-file-for-fake-audio-capture=<wav>`, both looped), so
 * a call test can ask "did the far side decode *our* picture?" instead of "did some frames arrive?".
 *
 * The picture is four solid quadrants, the one thing lossy video coding cannot plausibly invent:
 *
 * ```
 *  ┌──────────┬──────────┐
 *  │   red    │  green   │
 *  │          │          │
 *  ├──────────┼──────────┤   a small white block runs along the middle line (never into the sampled
 *  │   blue   │  yellow  │   centres) so consecutive frames differ and the encoder keeps sending
 *  │          │          │
 *  └──────────┴──────────┘
 * ```
 *
 * {@link samplePattern} draws a `<video>` into a canvas inside the page and averages the centre of each quadrant;
 * {@link showsPattern} accepts the samples only when every quadrant is near its colour and flat. VP8 at a starved
 * bitrate keeps the colours well inside the tolerance; decoded ciphertext, grey, black, the all-zero "green" frame
 * and noise never meet it (see {@link PATTERN_TOLERANCE}).
 */
import { writeFile } from 'node:fs/promises';
import type { Frame, Page } from 'puppeteer-core';

/** An sRGB colour, 0-255 per channel. */
export interface Rgb {
  r: number;
  g: number;
  b: number;
}

/** Quadrant names in reading order: top-left, top-right, bottom-left, bottom-right. */
export const QUADRANTS = ['topLeft', 'topRight', 'bottomLeft', 'bottomRight'] as const;
export type Quadrant = (typeof QUADRANTS)[number];

/** The colour each quadrant of the test pattern shows. */
export const PATTERN_COLOURS: Readonly<Record<Quadrant, Rgb>> = {
  topLeft: { r: 255, g: 0, b: 0 },
  topRight: { r: 0, g: 255, b: 0 },
  bottomLeft: { r: 0, g: 0, b: 255 },
  bottomRight: { r: 255, g: 255, b: 0 },
};

/**
 * What the demo page's canvas track (`replaceTrackWithCanvas`, `addSecondVideoTrack`) shows in every quadrant's
 * centre: solid magenta (its moving white bar stays in the top strip, outside the sampled regions).
 */
export const SCREEN_COLOURS: Readonly<Record<Quadrant, Rgb>> = {
  topLeft: { r: 255, g: 0, b: 255 },
  topRight: { r: 255, g: 0, b: 255 },
  bottomLeft: { r: 255, g: 0, b: 255 },
  bottomRight: { r: 255, g: 0, b: 255 },
};

/**
 * The same four colours turned a quarter clockwise: a second camera whose picture can never pass for the first one
 * (every quadrant is at least 255 away from the pattern's in one channel). What a test injects as another sender.
 */
export const ROTATED_COLOURS: Readonly<Record<Quadrant, Rgb>> = {
  topLeft: PATTERN_COLOURS.bottomLeft,
  topRight: PATTERN_COLOURS.topLeft,
  bottomLeft: PATTERN_COLOURS.bottomRight,
  bottomRight: PATTERN_COLOURS.topRight,
};

/**
 * How far a decoded quadrant may be from its colour and still count.
 *
 * - `maxChannelError`: the largest |decoded − expected| over R, G and B of a quadrant's mean. Measured through real
 *   calls between two Chromium 156 profiles: VP8 ≤ 14 (also with the sender capped at 50 and 30 kbit/s, where
 *   Chromium drops to 480×360); VP9, AV1 and H.264 ≤ 41, because their decoders read our BT.601 values with the
 *   BT.709 matrix (green comes out as rgb(0, 215, 3)). What must fail is far away: uniform grey (128) is ≥ 127 from
 *   every quadrant colour, the all-zero YUV frame decodes to rgb(0, 135, 0), 120 from green and ≥ 135 from the
 *   others, black is 255 away, and a region of noise averages to grey. 64 sits between the two.
 * - `maxStdDev`: the largest standard deviation of any channel inside a sampled region. A solid quadrant after lossy
 *   coding measured ≤ 3; noise measures ~74; blocky garbage is far above 30.
 *
 * Decoded ciphertext rarely reaches the screen at all: Chromium's VP8, VP9, H.264 and AV1 decoders (WebCodecs)
 * refused each frame of the pattern we scrambled (payload XORed with random bytes after the first 10 bytes, or only
 * its last 50 % or 10 %) with an EncodingError instead of drawing garbage, so a receiver
 * without the key shows black or its last good frame; the rules above reject both, as long as the pattern was never
 * shown (pair with a frame-count check when it was: see `videoFlowing` in ./call).
 */
export const PATTERN_TOLERANCE = { maxChannelError: 64, maxStdDev: 30 } as const;

/** What {@link samplePattern} measures in one quadrant's centre region. */
export interface QuadrantSample {
  mean: Rgb;
  /** Standard deviation per channel over the region. */
  stdDev: Rgb;
}

export interface PatternSamples {
  /** The video's intrinsic size (0 × 0 before its first frame). */
  width: number;
  height: number;
  quadrants: Record<Quadrant, QuadrantSample>;
}

export interface Y4mOptions {
  width?: number;
  height?: number;
  frames?: number;
  fps?: number;
  /** The quadrants' colours (default {@link PATTERN_COLOURS}). */
  colours?: Readonly<Record<Quadrant, Rgb>>;
}

/**
 * Writes a YUV4MPEG2 file (4:2:0, `C420jpeg`) of the quadrant pattern, with a small white block moving along the
 * middle line. Colours are BT.601 limited range, which is how Chromium treats the fake capture's I420 frames.
 *
 * @throws RangeError if width or height is odd or smaller than 64, or frames/fps is not a positive integer.
 */
export async function writeTestPatternY4m(filePath: string, options: Y4mOptions = {}): Promise<void> {
  const { width = 640, height = 480, frames = 30, fps = 30, colours = PATTERN_COLOURS } = options;
  if (width % 2 !== 0 || height % 2 !== 0 || width < 64 || height < 64) {
    throw new RangeError(`y4m size must be even and ≥ 64 × 64, got ${width} × ${height}`);
  }
  if (!Number.isInteger(frames) || frames < 1 || !Number.isInteger(fps) || fps < 1) {
    throw new RangeError(`frames and fps must be positive integers, got ${frames} and ${fps}`);
  }
  const header = `YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`;
  const ySize = width * height;
  const cSize = (width / 2) * (height / 2);
  const frameSize = 'FRAME\n'.length + ySize + 2 * cSize;
  const out = Buffer.alloc(header.length + frames * frameSize);
  let offset = out.write(header, 0, 'latin1');

  const yuv = Object.fromEntries(QUADRANTS.map((q) => [q, rgbToYuv601(colours[q])])) as Record<
    Quadrant,
    [number, number, number]
  >;
  const quadrantAt = (x: number, y: number, w: number, h: number): Quadrant =>
    y < h / 2 ? (x < w / 2 ? 'topLeft' : 'topRight') : x < w / 2 ? 'bottomLeft' : 'bottomRight';

  const block = Math.max(8, Math.round(height / 15) & ~1); // even, so it maps onto whole chroma samples
  const white = rgbToYuv601({ r: 255, g: 255, b: 255 });
  for (let f = 0; f < frames; f++) {
    offset += out.write('FRAME\n', offset, 'latin1');
    const blockX = Math.round(((width - block) * f) / Math.max(1, frames - 1)) & ~1;
    const blockY = (height / 2 - block / 2) & ~1;
    const inBlock = (x: number, y: number): boolean =>
      x >= blockX && x < blockX + block && y >= blockY && y < blockY + block;
    for (let plane = 0; plane < 3; plane++) {
      const scale = plane === 0 ? 1 : 2;
      const w = width / scale;
      const h = height / scale;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const colour = inBlock(x * scale, y * scale) ? white : yuv[quadrantAt(x, y, w, h)];
          out[offset++] = colour[plane] as number;
        }
      }
    }
  }
  await writeFile(filePath, out);
}

export interface ToneOptions {
  hz?: number;
  seconds?: number;
  rate?: number;
  /** Peak amplitude, 0-1. */
  amplitude?: number;
  /** Silence after the tone (the capture loops the file): lets Opus DTX stop sending speech frames. */
  silentSeconds?: number;
}

/** Writes a mono 16-bit PCM WAV file of a sine tone. */
export async function writeToneWav(filePath: string, options: ToneOptions = {}): Promise<void> {
  const { hz = 440, seconds = 2, rate = 48_000, amplitude = 0.5, silentSeconds = 0 } = options;
  const toneSamples = Math.round(seconds * rate);
  const samples = toneSamples + Math.round(silentSeconds * rate);
  const dataSize = samples * 2;
  const out = Buffer.alloc(44 + dataSize);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + dataSize, 4);
  out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1');
  out.writeUInt32LE(16, 16); // fmt chunk size
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(rate, 24);
  out.writeUInt32LE(rate * 2, 28); // byte rate
  out.writeUInt16LE(2, 32); // block align
  out.writeUInt16LE(16, 34); // bits per sample
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(dataSize, 40);
  for (let i = 0; i < toneSamples; i++) {
    out.writeInt16LE(Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * hz * i) / rate)), 44 + 2 * i);
  }
  // The rest stays zero: silence.
  await writeFile(filePath, out);
}

/** BT.601 limited range (studio swing): Y in 16-235, Cb/Cr in 16-240. */
export function rgbToYuv601({ r, g, b }: Rgb): [number, number, number] {
  const [R, G, B] = [r / 255, g / 255, b / 255];
  const y = 16 + 65.481 * R + 128.553 * G + 24.966 * B;
  const cb = 128 - 37.797 * R - 74.203 * G + 112 * B;
  const cr = 128 + 112 * R - 93.786 * G - 18.214 * B;
  return [y, cb, cr].map((v) => Math.min(255, Math.max(0, Math.round(v)))) as [number, number, number];
}

/**
 * Draws the current frame of the `<video>` (or `<canvas>`) matching `selector` (in `target`, a page or a frame) into a
 * canvas and returns the mean and spread of each quadrant's centre region (the middle half of the quadrant in each
 * direction).
 *
 * @throws if no element matches `selector` or it is neither a `<video>` nor a `<canvas>`.
 */
export function samplePattern(target: Page | Frame, selector: string): Promise<PatternSamples> {
  return target.evaluate((sel: string) => {
    const source = document.querySelector(sel);
    let width: number;
    let height: number;
    if (source instanceof HTMLVideoElement) [width, height] = [source.videoWidth, source.videoHeight];
    else if (source instanceof HTMLCanvasElement) [width, height] = [source.width, source.height];
    else throw new Error(`no <video> or <canvas> matches ${sel}`);
    const names = ['topLeft', 'topRight', 'bottomLeft', 'bottomRight'] as const;
    const zero = { mean: { r: 0, g: 0, b: 0 }, stdDev: { r: 0, g: 0, b: 0 } };
    if (width === 0 || height === 0) {
      return { width, height, quadrants: Object.fromEntries(names.map((n) => [n, zero])) };
    }
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (context === null) throw new Error('no 2d canvas context');
    context.drawImage(source, 0, 0, width, height);
    const qw = Math.floor(width / 2);
    const qh = Math.floor(height / 2);
    const quadrants: Record<string, unknown> = {};
    names.forEach((name, i) => {
      const x0 = (i % 2) * qw + Math.floor(qw / 4);
      const y0 = Math.floor(i / 2) * qh + Math.floor(qh / 4);
      const w = Math.max(1, Math.floor(qw / 2));
      const h = Math.max(1, Math.floor(qh / 2));
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
      // No named helper functions in here: tsx (scripts/start.ts) would wrap them in a `__name` the page lacks.
      const [mr, mg, mb] = mean.map((v) => Math.round(v * 10) / 10);
      const [sr, sg, sb] = sd.map((v) => Math.round(v * 10) / 10);
      quadrants[name] = { mean: { r: mr, g: mg, b: mb }, stdDev: { r: sr, g: sg, b: sb } };
    });
    return { width, height, quadrants };
  }, selector) as Promise<PatternSamples>;
}

/** Why `samples` is not the pattern (empty when it is). */
export function patternMismatches(
  samples: PatternSamples,
  colours: Readonly<Record<Quadrant, Rgb>> = PATTERN_COLOURS,
  tolerance: { maxChannelError: number; maxStdDev: number } = PATTERN_TOLERANCE,
): string[] {
  if (samples.width === 0 || samples.height === 0) return ['no video frame yet'];
  const problems: string[] = [];
  for (const quadrant of QUADRANTS) {
    const { mean, stdDev } = samples.quadrants[quadrant];
    const expected = colours[quadrant];
    const error = Math.max(Math.abs(mean.r - expected.r), Math.abs(mean.g - expected.g), Math.abs(mean.b - expected.b));
    const spread = Math.max(stdDev.r, stdDev.g, stdDev.b);
    if (error > tolerance.maxChannelError) {
      problems.push(`${quadrant} ${formatRgb(mean)} is ${error.toFixed(0)} from ${formatRgb(expected)}`);
    } else if (spread > tolerance.maxStdDev) {
      problems.push(`${quadrant} is not flat (std dev ${spread.toFixed(0)})`);
    }
  }
  return problems;
}

/**
 * True only when every quadrant is within {@link PATTERN_TOLERANCE} of its colour (default: the fake camera's
 * pattern; {@link SCREEN_COLOURS} for the demo page's canvas track) and flat.
 */
export function showsPattern(
  samples: PatternSamples,
  colours: Readonly<Record<Quadrant, Rgb>> = PATTERN_COLOURS,
  tolerance: { maxChannelError: number; maxStdDev: number } = PATTERN_TOLERANCE,
): boolean {
  return patternMismatches(samples, colours, tolerance).length === 0;
}

/** One line per quadrant, for failure messages and logs. */
export function describeSamples(samples: PatternSamples): string {
  const parts = QUADRANTS.map((q) => {
    const { mean, stdDev } = samples.quadrants[q];
    return `${q} ${formatRgb(mean)} ±${Math.max(stdDev.r, stdDev.g, stdDev.b).toFixed(0)}`;
  });
  return `${samples.width}×${samples.height}: ${parts.join(', ')}`;
}

function formatRgb({ r, g, b }: Rgb): string {
  return `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`;
}

/** The frames {@link renderControlFrames} draws, each into its own `<canvas id="control-<name>">`. */
export const CONTROL_FRAMES = ['pattern', 'noise', 'grey', 'black', 'zeroYuv', 'ciphertext'] as const;
export type ControlFrame = (typeof CONTROL_FRAMES)[number];

export interface ControlFrames {
  /** CSS selector of each control canvas, for {@link samplePattern}. */
  selectors: Record<ControlFrame, string>;
  /** What the VP8 decoder did with the "ciphertext" frame: `decoded` (garbage drawn) or the decoder's error. */
  ciphertext: string;
}

/**
 * Draws frames the detector must reject (and one it must accept) into canvases of `target`, which must be a secure
 * context (WebCodecs): the pattern after a VP8 round trip (accept); random noise, uniform grey, black, the all-zero YUV
 * frame (what a decoder shows for nothing: rgb(0, 135, 0)); and a VP8 keyframe of the pattern whose payload after the
 * 10-byte clear header is XORed with random bytes, as a receiver without the key would get it, through VP8 decoding
 * (the canvas stays black if the decoder refuses it).
 */
export function renderControlFrames(target: Page | Frame, width = 640, height = 480): Promise<ControlFrames> {
  // For Vitest: under tsx (scripts/) the named callbacks below would call a `__name` helper the page lacks.
  return target.evaluate(
    async (w: number, h: number, names: readonly string[]) => {
      const canvases: Record<string, CanvasRenderingContext2D> = {};
      for (const name of names) {
        const canvas = document.createElement('canvas');
        Object.assign(canvas, { id: `control-${name}`, width: w, height: h });
        document.body.append(canvas);
        const context = canvas.getContext('2d', { willReadFrequently: true });
        if (context === null) throw new Error('no 2d canvas context');
        context.fillStyle = '#000000';
        context.fillRect(0, 0, w, h);
        canvases[name] = context;
      }
      for (const [name, colour] of [
        ['grey', 'rgb(128, 128, 128)'],
        ['zeroYuv', 'rgb(0, 135, 0)'],
      ] as const) {
        const context = canvases[name] as CanvasRenderingContext2D;
        context.fillStyle = colour;
        context.fillRect(0, 0, w, h);
      }
      const noise = new ImageData(w, h);
      // getRandomValues fills at most 64 KiB per call.
      for (let i = 0; i < noise.data.length; i += 65_536) {
        crypto.getRandomValues(noise.data.subarray(i, Math.min(noise.data.length, i + 65_536)));
      }
      for (let i = 3; i < noise.data.length; i += 4) noise.data[i] = 255;
      canvases.noise?.putImageData(noise, 0, 0);

      // The pattern, encoded to VP8 and decoded twice: as sent, and with its payload scrambled.
      const source = new OffscreenCanvas(w, h);
      const sourceContext = source.getContext('2d') as OffscreenCanvasRenderingContext2D;
      ['#ff0000', '#00ff00', '#0000ff', '#ffff00'].forEach((colour, i) => {
        sourceContext.fillStyle = colour;
        sourceContext.fillRect((i % 2) * (w / 2), Math.floor(i / 2) * (h / 2), w / 2, h / 2);
      });
      const chunks: EncodedVideoChunk[] = [];
      const encoder = new VideoEncoder({
        output: (chunk) => chunks.push(chunk),
        error: (error) => console.error('control encoder', error),
      });
      encoder.configure({ codec: 'vp8', width: w, height: h, bitrate: 300_000, framerate: 30 });
      const frame = new VideoFrame(source, { timestamp: 0 });
      encoder.encode(frame, { keyFrame: true });
      frame.close();
      await encoder.flush();
      encoder.close();
      const keyframe = chunks[0];
      if (keyframe === undefined) throw new Error('the VP8 encoder produced nothing');
      const clearBytes = new Uint8Array(keyframe.byteLength);
      keyframe.copyTo(clearBytes);
      const scrambled = clearBytes.slice();
      const mask = crypto.getRandomValues(new Uint8Array(scrambled.length));
      for (let i = 10; i < scrambled.length; i++) scrambled[i] = (scrambled[i] ?? 0) ^ (mask[i] ?? 0);

      const outcomes: Record<string, string> = {};
      for (const [name, data] of [
        ['pattern', clearBytes],
        ['ciphertext', scrambled],
      ] as const) {
        const context = canvases[name] as CanvasRenderingContext2D;
        outcomes[name] = 'nothing';
        const decoder = new VideoDecoder({
          output: (decoded) => {
            context.drawImage(decoded, 0, 0, w, h);
            decoded.close();
            outcomes[name] = 'decoded';
          },
          error: (error) => {
            outcomes[name] = `${error.name}: ${error.message}`;
          },
        });
        decoder.configure({ codec: 'vp8', codedWidth: w, codedHeight: h });
        decoder.decode(new EncodedVideoChunk({ type: 'key', timestamp: 0, data }));
        await decoder.flush().catch(() => undefined);
        if (decoder.state !== 'closed') decoder.close();
      }
      if (outcomes.pattern !== 'decoded') throw new Error(`the clear VP8 keyframe did not decode: ${outcomes.pattern}`);
      return {
        selectors: Object.fromEntries(names.map((name) => [name, `#control-${name}`])),
        ciphertext: outcomes.ciphertext ?? 'nothing',
      };
    },
    width,
    height,
    CONTROL_FRAMES,
  ) as Promise<ControlFrames>;
}
