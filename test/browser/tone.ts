/**
 * @module What the far side hears: the remote audio a demo page plays, recorded in the page for a moment
 * (`MediaRecorder`), decoded (`OfflineAudioContext`, which needs no sound card) and measured: its level, and its
 * strength at the test tone's frequency against other frequencies (Goertzel). The same code in Chromium and Firefox:
 * Firefox reports no `totalAudioEnergy`, and a headless Firefox without a sound device never starts a live
 * `AudioContext`.
 */
import type { Frame, Page } from 'puppeteer-core';

/** The test tone every participant sends (test/browser/call.ts `createFakeMedia`, test/browser/firefox.ts). */
export const TONE_HZ = 440;
/** Frequencies the tone is compared with: none is a harmonic of it. */
const OTHER_HZ = [300, 620, 1_000, 2_000] as const;

export interface HeardTone {
  /** Root mean square of the decoded samples (0: silence; full scale 1). */
  rms: number;
  /** Amplitude at {@link TONE_HZ}. */
  atTone: number;
  /** The largest amplitude at any of the other frequencies. */
  elsewhere: number;
}

/**
 * Records `target`'s remote audio for `windowMs` and measures it: the element at `selector` (default the demo site's
 * `#remote-audio`; e.g. `#videoremote1 audio` in the Janus videoroom demo).
 */
export function heardTone(target: Page | Frame, windowMs = 1_500, selector = '#remote-audio'): Promise<HeardTone> {
  return target.evaluate(
    async (ms: number, toneHz: number, otherHz: readonly number[], sel: string) => {
      const element = document.querySelector<HTMLMediaElement>(sel);
      const source = element?.srcObject;
      if (!(source instanceof MediaStream) || source.getAudioTracks().length === 0) {
        throw new Error(`the page plays no remote audio at ${sel}`);
      }
      const recorder = new MediaRecorder(new MediaStream(source.getAudioTracks()));
      const chunks: Blob[] = [];
      recorder.ondataavailable = (event) => chunks.push(event.data);
      const stopped = new Promise((resolve) => {
        recorder.onstop = resolve;
      });
      recorder.start();
      await new Promise((resolve) => setTimeout(resolve, ms));
      recorder.stop();
      await stopped;
      const decoded = await new OfflineAudioContext(1, 48_000, 48_000).decodeAudioData(
        await new Blob(chunks).arrayBuffer(),
      );
      const samples = decoded.getChannelData(0);
      let sum = 0;
      for (const sample of samples) sum += sample * sample;
      const amplitudeAt = (hz: number): number => {
        const coefficient = 2 * Math.cos((2 * Math.PI * hz) / decoded.sampleRate);
        let previous = 0;
        let beforePrevious = 0;
        for (const sample of samples) {
          const current = sample + coefficient * previous - beforePrevious;
          beforePrevious = previous;
          previous = current;
        }
        const power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
        return (2 * Math.sqrt(Math.max(0, power))) / samples.length;
      };
      return {
        rms: Math.sqrt(sum / Math.max(1, samples.length)),
        atTone: amplitudeAt(toneHz),
        elsewhere: Math.max(...otherHz.map(amplitudeAt)),
      };
    },
    windowMs,
    TONE_HZ,
    OTHER_HZ,
    selector,
  );
}

/** Whether `tone` is the test tone, clearly: audible, and ten times stronger at its frequency than elsewhere. */
/** A level as dBFS, for messages (`-180.0 dBFS` for digital silence). */
export function dBFS(rms: number): string {
  return `${(20 * Math.log10(Math.max(rms, 1e-9))).toFixed(1)} dBFS`;
}

export function isTestTone(tone: HeardTone): boolean {
  return tone.rms > 0.01 && tone.atTone > 10 * tone.elsewhere;
}
