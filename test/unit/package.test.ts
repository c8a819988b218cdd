/**
 * The release zip writer (scripts/package.ts): the same files give the same bytes whatever their order and whatever
 * the file system says about them, source maps stay out, and the entries are what a store expects. The end-to-end
 * check (build twice, compare) is `npm run package -- --check`.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { isShipped, reproducibleZip, sha256, shippedFiles } from '../../scripts/package.ts';

const utf8 = new TextEncoder();
const files = new Map<string, Uint8Array>([
  ['manifest.json', utf8.encode('{"manifest_version":3,"version":"0.1.0"}')],
  ['assets/index.ts-AbC123.js', utf8.encode('console.log(1);'.repeat(100))],
  ['_locales/en/messages.json', utf8.encode('{}')],
]);

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

/** Writes `files` under a fresh folder, with the given modification time, in the given order. */
function writeTree(entries: [string, Uint8Array][], mtime: Date): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'framelock-package-'));
  dirs.push(dir);
  for (const [name, data] of entries) {
    const full = path.join(dir, ...name.split('/'));
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, data, { mode: 0o600 });
    utimesSync(full, mtime, mtime);
  }
  return dir;
}

/** The fields of a zip's central directory entries, in order. */
function centralEntries(zip: Uint8Array) {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const end = zip.length - 22; // no archive comment: the end record is the last 22 bytes
  expect(view.getUint32(end, true)).toBe(0x06054b50);
  const count = view.getUint16(end + 10, true);
  let offset = view.getUint32(end + 16, true);
  const out = [];
  for (let i = 0; i < count; i++) {
    expect(view.getUint32(offset, true)).toBe(0x02014b50);
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    out.push({
      madeBy: view.getUint8(offset + 5),
      time: view.getUint16(offset + 12, true),
      date: view.getUint16(offset + 14, true),
      extraLength,
      mode: view.getUint32(offset + 38, true) >>> 16,
      name: new TextDecoder().decode(zip.subarray(offset + 46, offset + 46 + nameLength)),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}

describe('reproducibleZip', () => {
  it('gives the same bytes for the same files in any order, and on every call', () => {
    const first = reproducibleZip(files);
    const reversed = reproducibleZip(new Map([...files].reverse()));
    expect(sha256(reversed)).toBe(sha256(first));
    expect(sha256(reproducibleZip(files))).toBe(sha256(first));
  });

  it('changes when a byte of a file changes', () => {
    const changed = new Map(files);
    changed.set('_locales/en/messages.json', utf8.encode('{ }'));
    expect(sha256(reproducibleZip(changed))).not.toBe(sha256(reproducibleZip(files)));
  });

  it('writes sorted entries with one timestamp (1980-01-01 00:00), mode 0644, no directories and no extra fields', () => {
    const entries = centralEntries(reproducibleZip(files));
    expect(entries.map((e) => e.name)).toEqual([
      '_locales/en/messages.json',
      'assets/index.ts-AbC123.js',
      'manifest.json',
    ]);
    for (const entry of entries) {
      expect(entry).toMatchObject({
        madeBy: 3,
        time: 0,
        date: (0 << 9) | (1 << 5) | 1,
        extraLength: 0,
        mode: 0o100644,
      });
    }
  });

  it('round-trips the bytes', () => {
    const unzipped = unzipSync(reproducibleZip(files));
    expect(Object.keys(unzipped).sort()).toEqual([...files.keys()].sort());
    for (const [name, data] of files) expect(unzipped[name]).toEqual(data);
  });

  it('refuses entry names that would escape the folder', () => {
    for (const name of ['../evil.js', '/etc/passwd', 'a/../../b', '']) {
      expect(() => reproducibleZip(new Map([[name, new Uint8Array(1)]]))).toThrow(/refusing the entry name/);
    }
  });
});

describe('shippedFiles', () => {
  it('reads a build folder the same whatever its files’ times and creation order, without source maps', () => {
    const withMaps: [string, Uint8Array][] = [
      ...files,
      ['assets/index.ts-AbC123.js.map', utf8.encode('{"mappings":""}')],
    ];
    const a = writeTree(withMaps, new Date('2021-05-06T07:08:09Z'));
    const b = writeTree([...withMaps].reverse(), new Date('2030-01-02T03:04:05Z'));
    const zipA = reproducibleZip(shippedFiles(a));
    expect(sha256(reproducibleZip(shippedFiles(b)))).toBe(sha256(zipA));
    expect(Object.keys(unzipSync(zipA))).not.toContain('assets/index.ts-AbC123.js.map');
    expect(sha256(zipA)).toBe(sha256(reproducibleZip(files)));
  });

  it('ships everything but source maps', () => {
    expect(isShipped('assets/sframe-DWxqdWiD.js')).toBe(true);
    expect(isShipped('manifest.json')).toBe(true);
    expect(isShipped('assets/sframe-DWxqdWiD.js.map')).toBe(false);
  });
});
