/**
 * `npm run package`: builds the shipped extension for both browsers and writes the two store-ready zips, byte for
 * byte the same for the same sources (docs/permissions.md):
 *
 * - `release/framelock-<version>-chrome.zip`, from dist/ (`vite build`), for the Chrome Web Store;
 * - `release/framelock-<version>-firefox.zip`, from dist-firefox/ (`vite build --mode firefox`), for
 *   addons.mozilla.org;
 *
 * each with:
 *
 * - only its build folder, built without source maps: never dist-test/ (the rotation test build), no `*.map` file and
 *   no `sourceMappingURL` comment; the built manifest must be this version's, not a test build, the right browser's
 *   (the Firefox one with its gecko add-on id, the Chrome one without any), and every page and script it names must
 *   be in the build, with every icon and language it declares (scripts/package-contents.ts);
 * - entries sorted by path, no directory entries, every entry with the same timestamp ({@link ZIP_MTIME}), the
 *   same Unix permissions (0644) and the same DEFLATE level, and nothing taken from the file system but the bytes.
 *
 * The Firefox build must also pass `web-ext lint` (the linter addons.mozilla.org runs on an upload) with no error
 * and no warning but those {@link ACCEPTED_FIREFOX_LINT_WARNINGS} explains.
 *
 * `npm run package -- --check` builds each browser twice and fails unless both zips of each are identical (the
 * end-to-end proof that the build itself is reproducible); test/unit/package.test.ts checks the zip writer and the
 * checks alone.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ZippableFile, zipSync } from 'fflate';
import type { TargetBrowser } from '../src/shared/target-browser.ts';
import { SHIPPED_LOCALES } from '../src/ui/locales.ts';
import { FIREFOX_ADDON_ID } from './firefox-manifest.ts';
import { checkIcons, checkLocales } from './package-contents.ts';

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

/** The browsers Framelock builds for, as the build names them (src/shared/target-browser.ts). */
export type Browser = TargetBrowser;
export const BROWSERS: readonly Browser[] = ['chrome', 'firefox'];

/**
 * Each browser's build folder and the `vite build` arguments that make it. `--sourcemap false` overrides
 * vite.config.ts, which keeps source maps for the tests.
 */
export const BUILDS: Readonly<Record<Browser, { outDir: string; viteArgs: readonly string[] }>> = {
  chrome: { outDir: 'dist', viteArgs: ['build', '--sourcemap', 'false'] },
  firefox: { outDir: 'dist-firefox', viteArgs: ['build', '--mode', 'firefox', '--sourcemap', 'false'] },
};

/** `framelock-0.1.0-chrome.zip`, `framelock-0.1.0-firefox.zip`: the file under release/. */
export function releaseZipName(version: string, browser: Browser): string {
  return `framelock-${version}-${browser}.zip`;
}

/** What the checks read of a built manifest.json. */
export interface BuiltManifest {
  version?: unknown;
  name?: unknown;
  browser_specific_settings?: { gecko?: { id?: unknown } };
  [key: string]: unknown;
}

/**
 * Throws unless `manifest` is the shipped build of `version` for `browser`: the version, not the rotation test build,
 * and the right browser's manifest (Firefox's with Framelock's gecko add-on id, Chrome's with no Firefox settings).
 */
export function checkBuiltManifest(manifest: BuiltManifest, version: string, browser: Browser): void {
  const dir = `${BUILDS[browser].outDir}/`;
  if (manifest.version !== version) {
    throw new Error(`package: ${dir} is version ${String(manifest.version)}, not ${version}`);
  }
  if (typeof manifest.name !== 'string' || manifest.name.includes('test build')) {
    throw new Error(`package: ${dir} is a test build (name ${JSON.stringify(manifest.name)})`);
  }
  const geckoId = manifest.browser_specific_settings?.gecko?.id;
  if (browser === 'firefox' && geckoId !== FIREFOX_ADDON_ID) {
    throw new Error(`package: ${dir} has gecko id ${JSON.stringify(geckoId)}, not ${FIREFOX_ADDON_ID}`);
  }
  if (browser === 'chrome' && manifest.browser_specific_settings !== undefined) {
    throw new Error(`package: ${dir} has a Firefox manifest (browser_specific_settings)`);
  }
}

/**
 * The files a manifest names that the browser loads from the package: the popup, the options page, Chrome's side
 * panel or Firefox's sidebar, the background (service worker or event page scripts). Without query or fragment.
 */
export function manifestFiles(manifest: BuiltManifest): string[] {
  const m = manifest as {
    action?: { default_popup?: unknown };
    options_page?: unknown;
    options_ui?: { page?: unknown };
    side_panel?: { default_path?: unknown };
    sidebar_action?: { default_panel?: unknown };
    background?: { service_worker?: unknown; scripts?: unknown };
  };
  const named = [
    m.action?.default_popup,
    m.options_page,
    m.options_ui?.page,
    m.side_panel?.default_path,
    m.sidebar_action?.default_panel,
    m.background?.service_worker,
    ...(Array.isArray(m.background?.scripts) ? m.background.scripts : []),
  ];
  return named.filter((file): file is string => typeof file === 'string').map((file) => file.split(/[?#]/)[0] ?? '');
}

/** Throws unless every file the manifest names is in the build (crxjs builds only the pages it knows of). */
export function checkManifestFiles(manifest: BuiltManifest, files: ReadonlyMap<string, Uint8Array>, dir: string): void {
  const missing = manifestFiles(manifest).filter((file) => !files.has(file.replace(/^\//, '')));
  if (missing.length > 0) {
    throw new Error(`package: ${dir}/manifest.json names files the build does not have: ${missing.join(', ')}`);
  }
}

/** Throws if a shipped script still points to a source map (`sourceMappingURL`). */
export function checkNoSourceMapComments(files: ReadonlyMap<string, Uint8Array>): void {
  const decoder = new TextDecoder();
  for (const [name, data] of files) {
    if (name.endsWith('.js') && decoder.decode(data).includes('sourceMappingURL=')) {
      throw new Error(`package: ${name} points to a source map: the release build must have none`);
    }
  }
}

/** One finding of `web-ext lint --output json`. */
export interface LintFinding {
  code: string;
  message: string;
  file?: string;
}

/** `web-ext lint --output json`, the parts read here. */
export interface LintReport {
  summary: { errors: number; warnings: number; notices: number };
  errors: LintFinding[];
  warnings: LintFinding[];
  notices: LintFinding[];
}

/**
 * The `web-ext lint` warnings a release may carry, how many of each, and why. Any other warning, one more of these,
 * or any error stops `npm run package` (docs/permissions.md, "Firefox").
 */
export const ACCEPTED_FIREFOX_LINT_WARNINGS: Readonly<Record<string, { max: number; why: string }>> = {
  UNSAFE_VAR_ASSIGNMENT: {
    max: 1,
    why:
      "Preact's renderer assigns `innerHTML` for `dangerouslySetInnerHTML`, which Framelock never uses (no " +
      '`dangerouslySetInnerHTML` and no `innerHTML` in src/): the one assignment in the bundle is unreachable',
  },
  KEY_FIREFOX_ANDROID_UNSUPPORTED_BY_MIN_VERSION: {
    max: 1,
    why:
      '`data_collection_permissions` came with Firefox for Android 142, after the minimum version 140: a Firefox ' +
      'without it ignores the key, and the desktop Firefox 140 ESR the minimum is for has it',
  },
};

/** The findings that must stop a release: every error, and every warning beyond what is accepted above. */
export function blockingLintFindings(report: LintReport): LintFinding[] {
  const seen = new Map<string, number>();
  const blocking = [...report.errors];
  for (const warning of report.warnings) {
    const count = (seen.get(warning.code) ?? 0) + 1;
    seen.set(warning.code, count);
    const accepted = Object.hasOwn(ACCEPTED_FIREFOX_LINT_WARNINGS, warning.code)
      ? (ACCEPTED_FIREFOX_LINT_WARNINGS[warning.code]?.max ?? 0)
      : 0;
    if (count > accepted) blocking.push(warning);
  }
  return blocking;
}

/** `web-ext lint` on a Firefox build folder: prints the summary, throws on a blocking finding. */
function lintFirefox(dir: string): void {
  const webExt = path.join(root, 'node_modules', 'web-ext', 'bin', 'web-ext.js');
  const result = spawnSync(
    process.execPath,
    [webExt, 'lint', '--source-dir', dir, '--output', 'json', '--no-config-discovery'],
    { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_UPDATE_NOTIFIER: '1' } },
  );
  let report: LintReport;
  try {
    report = JSON.parse(result.stdout) as LintReport;
  } catch {
    throw new Error(`package: web-ext lint gave no report (exit code ${result.status}): ${result.stderr}`);
  }
  const { errors, warnings, notices } = report.summary;
  process.stdout.write(`package: web-ext lint ${dir}: ${errors} errors, ${warnings} warnings, ${notices} notices\n`);
  const blocking = blockingLintFindings(report);
  if (blocking.length > 0) {
    const lines = blocking.map((f) => `  ${f.code}: ${f.message}${f.file ? ` (${f.file})` : ''}`);
    throw new Error(`package: web-ext lint found what a release must not carry:\n${lines.join('\n')}`);
  }
}

/** The shipped build for `browser`, without source maps. */
function build(browser: Browser): void {
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, ...BUILDS[browser].viteArgs], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`package: vite build for ${browser} failed (exit code ${result.status})`);
}

/** Builds `browser`'s folder and returns its zip, after checking that it is the shipped build of this version. */
function buildAndZip(browser: Browser, version: string): Uint8Array {
  build(browser);
  const dir = path.join(root, BUILDS[browser].outDir);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as BuiltManifest;
  checkBuiltManifest(manifest, version, browser);
  const files = shippedFiles(dir);
  checkManifestFiles(manifest, files, BUILDS[browser].outDir);
  checkIcons(manifest, files, BUILDS[browser].outDir);
  checkLocales(manifest, files, BUILDS[browser].outDir, SHIPPED_LOCALES);
  checkNoSourceMapComments(files);
  if (browser === 'firefox') lintFirefox(BUILDS[browser].outDir);
  return reproducibleZip(files);
}

function main(): void {
  const check = process.argv.includes('--check');
  const read = (file: string) => JSON.parse(readFileSync(path.join(root, file), 'utf8')) as { version: string };
  const version = read('manifest.json').version;
  if (read('package.json').version !== version) {
    throw new Error(`package: package.json and manifest.json disagree on the version (manifest: ${version})`);
  }
  const zips = new Map<Browser, Uint8Array>();
  for (const browser of BROWSERS) zips.set(browser, buildAndZip(browser, version));
  if (check) {
    for (const browser of BROWSERS) {
      if (sha256(buildAndZip(browser, version)) !== sha256(zips.get(browser) as Uint8Array)) {
        throw new Error(
          `package: two ${browser} builds of the same sources gave different zips: the build is not reproducible`,
        );
      }
    }
    process.stdout.write(`package: two builds of each gave byte-identical zips (${BROWSERS.join(', ')})\n`);
  }
  mkdirSync(path.join(root, 'release'), { recursive: true });
  for (const [browser, zip] of zips) {
    const out = path.join(root, 'release', releaseZipName(version, browser));
    writeFileSync(out, zip);
    process.stdout.write(`package: ${path.relative(root, out)} (${zip.length} bytes), SHA-256 ${sha256(zip)}\n`);
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
