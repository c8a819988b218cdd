/**
 * What a later attacker reads out of a Chromium profile, as candidate key material for test/browser/recording.test.ts:
 * every regular file below the profile directory, byte for byte, and the bytes that text inside those files encodes
 * (hex, base64 and lists of decimal bytes, in UTF-8/Latin-1 and in UTF-16LE), so a key stored as text is tried too.
 * Pure Node.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** One buffer the attacker windows over. */
export interface Source {
  /** Where it came from, for reports: `<profile>/<relative path>`, with a suffix for decoded text. */
  name: string;
  bytes: Uint8Array;
  /**
   * Every window also goes through the literal derivation (every recorded public key, every recorded wrap), not only
   * the fast test (recording-attack.ts). Set for LevelDB and IndexedDB files, where the extension's stores live.
   */
  literal: boolean;
}

export interface ProfileRead {
  sources: Source[];
  files: number;
  bytes: number;
  /** Files not read: larger than the limit (relative paths and sizes). */
  skipped: string[];
  /** Decoded-text sources added, and their bytes. */
  decoded: number;
  decodedBytes: number;
}

/** LevelDB's files (tables, logs, manifests, CURRENT, LOG) and anything under IndexedDB. */
const LEVELDB_FILE = /(^|\/)(\d{6}\.(ldb|log|sst)|MANIFEST-\d+|CURRENT|LOG(\.old)?)$/;

/** Whether a profile file (relative path) is a LevelDB or IndexedDB file. */
export function isStoreFile(relative: string): boolean {
  return relative.includes('IndexedDB/') || LEVELDB_FILE.test(relative);
}

/**
 * Caches of what servers sent and compilers made (HTTP, compiled code, GPU shaders): their bytes are windowed raw like
 * every file's, but text in them is not decoded (the base64 decoder finds thousands of runs in their binary data).
 */
const CACHE_FILE =
  /(^|\/)(Cache|Code Cache|GPUCache|DawnGraphiteCache|DawnWebGPUCache|GrShaderCache|GraphiteDawnCache|ShaderCache|GPUPersistentCache)\//;

/** Hex digits for 16 bytes or more. */
const HEX_RUN = /[0-9a-fA-F]{32,}/g;
/** Base64 (standard or URL-safe) for 16 bytes or more. */
const BASE64_RUN = /[A-Za-z0-9+/_-]{22,}/g;
/** Sixteen or more decimal numbers of up to 3 digits with short separators: `[1,2,...]`, `{"0":1,"1":2,...}`. */
const NUMBER_LIST = /\d{1,3}(?:[^0-9A-Za-z]{1,4}\d{1,3}){15,}/g;

/** The file as Latin-1 text, and its even and odd bytes (UTF-16LE text of ASCII characters shows in one of them). */
function textViews(bytes: Uint8Array): string[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const views = [buffer.toString('latin1')];
  for (const phase of [0, 1]) {
    const half = Buffer.alloc(Math.floor((bytes.length - phase + 1) / 2));
    for (let i = 0; i < half.length; i++) half[i] = bytes[2 * i + phase] ?? 0;
    views.push(half.toString('latin1'));
  }
  return views;
}

/** Byte strings the text in `bytes` encodes, each at least 16 bytes, every alignment of each run. */
export function decodeText(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const keep = (decoded: Uint8Array) => {
    if (decoded.length >= 16) out.push(decoded);
  };
  for (const text of textViews(bytes)) {
    for (const [run] of text.matchAll(HEX_RUN)) {
      for (const phase of [0, 1]) keep(Buffer.from(run.slice(phase), 'hex'));
    }
    for (const [run] of text.matchAll(BASE64_RUN)) {
      // Node's base64 decoder takes both alphabets; the run may start mid-quantum, so every alignment.
      for (const phase of [0, 1, 2, 3]) keep(Buffer.from(run.slice(phase), 'base64'));
    }
    for (const [run] of text.matchAll(NUMBER_LIST)) {
      const numbers = (run.match(/\d{1,3}/g) ?? []).map(Number);
      // The whole list, and every other number (an object's values between its keys).
      for (const list of [numbers, numbers.filter((_, i) => i % 2 === 0), numbers.filter((_, i) => i % 2 === 1)]) {
        if (list.every((n) => n <= 255)) keep(Uint8Array.from(list));
      }
    }
  }
  return out;
}

/**
 * Every regular file below `dir` (symbolic links and sockets are skipped: Chromium's Singleton* links point outside)
 * up to `maxFileBytes`, and the decoded text of each. Names start with `label`.
 */
export function readProfile(dir: string, label: string, maxFileBytes: number): ProfileRead {
  const read: ProfileRead = { sources: [], files: 0, bytes: 0, skipped: [], decoded: 0, decodedBytes: 0 };
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder).sort()) {
      const full = path.join(folder, entry);
      const info = lstatSync(full, { throwIfNoEntry: false });
      if (info === undefined) continue;
      if (info.isDirectory()) {
        walk(full);
        continue;
      }
      if (!info.isFile()) continue;
      const relative = path.relative(dir, full);
      if (info.size > maxFileBytes) {
        read.skipped.push(`${relative} (${info.size} bytes)`);
        continue;
      }
      const bytes = new Uint8Array(readFileSync(full));
      const literal = isStoreFile(relative);
      read.files++;
      read.bytes += bytes.length;
      read.sources.push({ name: `${label}/${relative}`, bytes, literal });
      const decoded = CACHE_FILE.test(relative) ? [] : decodeText(bytes);
      if (decoded.length > 0) {
        const joined = Buffer.concat(decoded);
        read.decoded++;
        read.decodedBytes += joined.length;
        // Decoded text gets the fast tests only: its bytes are not how a store keeps a CryptoKey.
        read.sources.push({
          name: `${label}/${relative} (decoded text)`,
          bytes: new Uint8Array(joined),
          literal: false,
        });
      }
    }
  };
  walk(dir);
  return read;
}
