/**
 * `npm run package`: builds the shipped extension (`vite build`, into dist/) and writes the store-ready zip
 * `release/framelock-<version>.zip`, byte for byte the same for the same sources (docs/permissions.md):
 *
 * - only dist/, built without source maps: never dist-test/ (the rotation test build), no `*.map` file and no
 *   `sourceMappingURL` comment;
 * - entries sorted by path, no directory entries, every entry with the same timestamp ({@link ZIP_MTIME}), the
 *   same Unix permissions (0644) and the same DEFLATE level, and nothing taken from the file system but the bytes.
 *
 * `npm run package -- --check` builds twice and fails unless both zips are identical (the end-to-end proof that the
 * build itself is reproducible); test/unit/package.test.ts checks the zip writer alone.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ZippableFile, zipSync } from 'fflate';

/**
 * The timestamp of every entry: 1980-01-01 00:00, the earliest a zip's MS-DOS date can hold. Built from local time
 * fields because fflate converts with the local getters, so the stored fields are the same in every time zone.
 */
export const ZIP_MTIME = new Date(1980, 0, 1, 0, 0, 0);
/** Unix `-rw-r--r--` in the high 16 bits of the external attributes, with "made by" = Unix (3). */
const UNIX = 3;
const FILE_MODE = 0o100644;
const LEVEL = 9;

/** Files of the build that must not ship: source maps (they would publish our sources and paths). */
export function isShipped(relativePath: string): boolean {
  return !relativePath.endsWith('.map');
}

/** Every shipped file under `root`, by `/`-separated relative path, sorted by path (byte order). */
export function shippedFiles(root: string): Map<string, Uint8Array> {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) found.push(path.relative(root, full).split(path.sep).join('/'));
      else throw new Error(`package: ${full} is neither a file nor a folder (a link?): refusing to guess`);
    }
  };
  walk(root);
  const files = new Map<string, Uint8Array>();
  for (const relative of found.filter(isShipped).sort(byteOrder)) {
    files.set(relative, new Uint8Array(readFileSync(path.join(root, relative))));
  }
  return files;
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A zip of `files` that depends on their paths and bytes only: sorted, one timestamp, one mode, one level. The same
 * files in any order give the same bytes.
 */
export function reproducibleZip(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const entries: Record<string, ZippableFile> = {};
  for (const name of [...files.keys()].sort(byteOrder)) {
    if (name === '' || name.startsWith('/') || name.split('/').includes('..')) {
      throw new Error(`package: refusing the entry name ${JSON.stringify(name)}`);
    }
    const data = files.get(name) as Uint8Array;
    entries[name] = [data, { level: LEVEL, mtime: ZIP_MTIME, os: UNIX, attrs: (FILE_MODE << 16) >>> 0 }];
  }
  return zipSync(entries);
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The shipped build without source maps (`--sourcemap false` overrides vite.config.ts, which keeps them for tests). */
function build(): void {
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--sourcemap', 'false'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`package: vite build failed (exit code ${result.status})`);
}

/** Builds dist/ and returns its zip, after checking that it is the shipped build of this version. */
function buildAndZip(version: string): Uint8Array {
  build();
  const dist = path.join(root, 'dist');
  const builtManifest = JSON.parse(readFileSync(path.join(dist, 'manifest.json'), 'utf8')) as {
    version?: string;
    name?: string;
  };
  if (builtManifest.version !== version) throw new Error(`package: dist/ is version ${builtManifest.version}`);
  if (builtManifest.name?.includes('test build')) throw new Error('package: dist/ is a test build');
  const files = shippedFiles(dist);
  const decoder = new TextDecoder();
  for (const [name, data] of files) {
    if (name.endsWith('.js') && decoder.decode(data).includes('sourceMappingURL=')) {
      throw new Error(`package: ${name} points to a source map: the release build must have none`);
    }
  }
  return reproducibleZip(files);
}

function main(): void {
  const check = process.argv.includes('--check');
  const read = (file: string) => JSON.parse(readFileSync(path.join(root, file), 'utf8')) as { version: string };
  const version = read('manifest.json').version;
  if (read('package.json').version !== version) {
    throw new Error(`package: package.json and manifest.json disagree on the version (manifest: ${version})`);
  }
  const zip = buildAndZip(version);
  if (check) {
    const again = buildAndZip(version);
    if (sha256(again) !== sha256(zip)) {
      throw new Error('package: two builds of the same sources gave different zips: the build is not reproducible');
    }
    process.stdout.write('package: two builds gave byte-identical zips\n');
  }
  const out = path.join(root, 'release', `framelock-${version}.zip`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, zip);
  process.stdout.write(`package: ${path.relative(root, out)} (${zip.length} bytes), SHA-256 ${sha256(zip)}\n`);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
