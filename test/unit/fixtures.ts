import { readdirSync, readFileSync } from 'node:fs';
import { base64ToBytes } from '../../src/shared/bytes';

export interface FrameFixture {
  name: string;
  codec: 'vp8' | 'vp9' | 'h264' | 'h265' | 'av1' | 'opus';
  source: string;
  frames: { type: 'key' | 'delta'; data: Uint8Array; dtx?: boolean }[];
}

const dir = new URL('../fixtures/frames/', import.meta.url);

/** Real encoded frames (test/fixtures/README.md says how they were made). */
export const fixtures: FrameFixture[] = readdirSync(dir)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => {
    const json = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as {
      codec: FrameFixture['codec'];
      source: string;
      frames: { type: 'key' | 'delta'; data: string; dtx?: boolean }[];
    };
    return {
      name: file.replace(/\.json$/, ''),
      codec: json.codec,
      source: json.source,
      frames: json.frames.map((f) => ({ type: f.type, data: base64ToBytes(f.data), ...(f.dtx ? { dtx: true } : {}) })),
    };
  });
