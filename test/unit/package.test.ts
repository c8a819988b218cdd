/**
 * The release zips (scripts/package.ts): the same files give the same bytes whatever their order and whatever the file
 * system says about them, source maps stay out, the entries are what a store expects, and the checks refuse a build
 * that is not the shipped one for its browser. The end-to-end check (build each browser twice, compare) is
 * `npm run package -- --check`.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ACCEPTED_FIREFOX_LINT_WARNINGS,
  BUILDS,
  blockingLintFindings,
  checkBuiltManifest,
  checkManifestFiles,
  checkNoSourceMapComments,
  isShipped,
  type LintReport,
  manifestFiles,
  releaseZipName,
  reproducibleZip,
  sha256,
  shippedFiles,
} from '../../scripts/package.ts';
import { checkIcons, checkLocales, declaredIcons, pngSize } from '../../scripts/package-contents.ts';

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

describe('the two builds', () => {
  it('zips dist/ for Chrome and dist-firefox/ for Firefox, both without source maps, under their own names', () => {
    expect(BUILDS.chrome).toEqual({ outDir: 'dist', viteArgs: ['build', '--sourcemap', 'false'] });
    expect(BUILDS.firefox).toEqual({
      outDir: 'dist-firefox',
      viteArgs: ['build', '--mode', 'firefox', '--sourcemap', 'false'],
    });
    expect(releaseZipName('0.1.0', 'chrome')).toBe('framelock-0.1.0-chrome.zip');
    expect(releaseZipName('0.1.0', 'firefox')).toBe('framelock-0.1.0-firefox.zip');
  });
});

describe('checkBuiltManifest', () => {
  const chrome = { version: '0.1.0', name: '__MSG_extensionName__' };
  const firefox = { ...chrome, browser_specific_settings: { gecko: { id: 'framelock@framelock.dev' } } };

  it('accepts the shipped build of this version for each browser', () => {
    expect(() => checkBuiltManifest(chrome, '0.1.0', 'chrome')).not.toThrow();
    expect(() => checkBuiltManifest(firefox, '0.1.0', 'firefox')).not.toThrow();
  });

  it('refuses another version and the rotation test build', () => {
    expect(() => checkBuiltManifest(chrome, '0.2.0', 'chrome')).toThrow(/dist\/ is version 0\.1\.0/);
    expect(() => checkBuiltManifest(firefox, '0.2.0', 'firefox')).toThrow(/dist-firefox\/ is version/);
    const test = { ...chrome, name: 'Framelock (rotation test build)' };
    expect(() => checkBuiltManifest(test, '0.1.0', 'chrome')).toThrow(/test build/);
    expect(() => checkBuiltManifest({ ...firefox, name: test.name }, '0.1.0', 'firefox')).toThrow(/test build/);
  });

  it("refuses the other browser's manifest: Firefox's needs Framelock's gecko id, Chrome's has none", () => {
    expect(() => checkBuiltManifest(chrome, '0.1.0', 'firefox')).toThrow(/gecko id/);
    const otherId = { ...chrome, browser_specific_settings: { gecko: { id: 'other@example.org' } } };
    expect(() => checkBuiltManifest(otherId, '0.1.0', 'firefox')).toThrow(/gecko id "other@example.org"/);
    expect(() => checkBuiltManifest(firefox, '0.1.0', 'chrome')).toThrow(/Firefox manifest/);
  });
});

describe('checkManifestFiles', () => {
  const firefoxBuilt = {
    action: { default_popup: 'src/popup/index.html' },
    options_ui: { page: 'src/options/index.html', open_in_tab: true },
    sidebar_action: { default_panel: 'src/sidepanel/index.html' },
    background: { scripts: ['service-worker-loader.js'], type: 'module' },
  };
  const chromeBuilt = {
    action: { default_popup: 'src/popup/index.html' },
    options_page: 'src/options/index.html',
    side_panel: { default_path: 'src/sidepanel/index.html?tabId=1' },
    background: { service_worker: 'service-worker-loader.js', type: 'module' },
  };
  const pages = ['src/popup/index.html', 'src/options/index.html', 'src/sidepanel/index.html'];

  it('lists the pages and background scripts of either manifest', () => {
    expect(manifestFiles(firefoxBuilt)).toEqual([...pages, 'service-worker-loader.js']);
    expect(manifestFiles(chromeBuilt)).toEqual([...pages, 'service-worker-loader.js']);
  });

  it('refuses a build without a page its manifest names (crxjs builds only the pages it knows of)', () => {
    const all = new Map([...pages, 'service-worker-loader.js'].map((name) => [name, new Uint8Array(1)]));
    expect(() => checkManifestFiles(firefoxBuilt, all, 'dist-firefox')).not.toThrow();
    expect(() => checkManifestFiles(chromeBuilt, all, 'dist')).not.toThrow();
    const noPanel = new Map(all);
    noPanel.delete('src/sidepanel/index.html');
    expect(() => checkManifestFiles(firefoxBuilt, noPanel, 'dist-firefox')).toThrow(
      'dist-firefox/manifest.json names files the build does not have: src/sidepanel/index.html',
    );
  });
});

describe('checkNoSourceMapComments', () => {
  it('refuses a script that points to a source map', () => {
    expect(() => checkNoSourceMapComments(files)).not.toThrow();
    const withComment = new Map(files);
    withComment.set('assets/a.js', utf8.encode('x();\n//# sourceMappingURL=a.js.map\n'));
    expect(() => checkNoSourceMapComments(withComment)).toThrow(/assets\/a\.js points to a source map/);
  });
});

describe('blockingLintFindings (web-ext lint on the Firefox build)', () => {
  const report = (errors: string[], warnings: string[]): LintReport => ({
    summary: { errors: errors.length, warnings: warnings.length, notices: 0 },
    errors: errors.map((code) => ({ code, message: code })),
    warnings: warnings.map((code) => ({ code, message: code })),
    notices: [],
  });

  it('lets through only the accepted warnings, each as often as accepted', () => {
    const accepted = Object.keys(ACCEPTED_FIREFOX_LINT_WARNINGS);
    expect(accepted.sort()).toEqual(['KEY_FIREFOX_ANDROID_UNSUPPORTED_BY_MIN_VERSION', 'UNSAFE_VAR_ASSIGNMENT']);
    expect(blockingLintFindings(report([], accepted))).toEqual([]);
    expect(blockingLintFindings(report([], [...accepted, 'UNSAFE_VAR_ASSIGNMENT'])).map((f) => f.code)).toEqual([
      'UNSAFE_VAR_ASSIGNMENT',
    ]);
  });

  it('stops on any error and on any other warning', () => {
    expect(blockingLintFindings(report(['ADDON_ID_REQUIRED'], [])).map((f) => f.code)).toEqual(['ADDON_ID_REQUIRED']);
    expect(blockingLintFindings(report([], ['MANIFEST_PERMISSIONS'])).map((f) => f.code)).toEqual([
      'MANIFEST_PERMISSIONS',
    ]);
    expect(blockingLintFindings(report([], ['toString'])).map((f) => f.code)).toEqual(['toString']);
  });
});

/** The first 24 bytes of a `size` x `size` PNG: its signature and IHDR (enough for the checks, which read no more). */
function png(size: number, height = size): Uint8Array {
  const bytes = new Uint8Array(33);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, size);
  view.setUint32(20, height);
  return bytes;
}

describe('pngSize', () => {
  it("reads a PNG's width and height from its IHDR, and refuses what is not a PNG", () => {
    expect(pngSize(png(128))).toEqual({ width: 128, height: 128 });
    expect(pngSize(png(16, 32))).toEqual({ width: 16, height: 32 });
    expect(pngSize(utf8.encode('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeUndefined();
    expect(pngSize(png(16).subarray(0, 20))).toBeUndefined();
  });
});

describe('checkIcons', () => {
  const manifest = {
    icons: { 16: 'icons/on-16.png', 128: 'icons/framelock-128.png' },
    action: { default_icon: { 16: 'icons/off-16.png' } },
  };
  const toolbar = { on: { 16: 'icons/on-16.png' }, problem: { 16: 'icons/problem-16.png' } };
  const all = new Map([
    ['icons/on-16.png', png(16)],
    ['icons/framelock-128.png', png(128)],
    ['icons/off-16.png', png(16)],
    ['icons/problem-16.png', png(16)],
  ]);

  it("lists the manifest's icons, its action's, and each state icon the background sets", () => {
    expect(declaredIcons(manifest, toolbar).map((i) => `${i.by} ${i.path}`)).toEqual([
      'icons.16 icons/on-16.png',
      'icons.128 icons/framelock-128.png',
      'action.default_icon.16 icons/off-16.png',
      'TOOLBAR_ICONS.on.16 icons/on-16.png',
      'TOOLBAR_ICONS.problem.16 icons/problem-16.png',
    ]);
    expect(() => checkIcons(manifest, all, 'dist', toolbar)).not.toThrow();
  });

  it('refuses a missing icon, one that is no PNG, and one of another size', () => {
    const without = new Map(all);
    without.delete('icons/problem-16.png');
    expect(() => checkIcons(manifest, without, 'dist', toolbar)).toThrow(
      'dist has icons that do not match: icons/problem-16.png (TOOLBAR_ICONS.problem.16) is missing',
    );
    const notPng = new Map(all).set('icons/off-16.png', utf8.encode('<svg/>'));
    expect(() => checkIcons(manifest, notPng, 'dist', toolbar)).toThrow(
      'icons/off-16.png (action.default_icon.16) is not a PNG',
    );
    const wrongSize = new Map(all).set('icons/framelock-128.png', png(96));
    expect(() => checkIcons(manifest, wrongSize, 'dist', toolbar)).toThrow(
      'icons/framelock-128.png (icons.128) is 96x96, not 128x128',
    );
  });

  it('refuses a manifest without a 128 px icon, or with an icon of no declared size', () => {
    expect(() => checkIcons({ icons: { 16: 'icons/on-16.png' } }, all, 'dist', {})).toThrow(/no 128 px icon/);
    const unsized = { ...manifest, action: { default_icon: 'icons/off-16.png' } };
    expect(() => checkIcons(unsized, all, 'dist', toolbar)).toThrow(/action.default_icon names one icon/);
  });

  it('checks the real manifest and the icons the background sets (src/background/icon.ts)', () => {
    const paths = declaredIcons({ icons: { 128: 'icons/framelock-128.png' } }).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['icons/on-16.png', 'icons/problem-16.png', 'icons/off-32.png']));
  });
});

describe('checkLocales', () => {
  const manifest = { name: '__MSG_extensionName__', description: '__MSG_extensionDescription__', default_locale: 'en' };
  const messages = (keys: string[]) =>
    utf8.encode(JSON.stringify(Object.fromEntries(keys.map((k) => [k, { message: k }]))));
  const both = messages(['extensionName', 'extensionDescription']);
  const built = new Map([
    ['manifest.json', utf8.encode('{}')],
    ['_locales/en/messages.json', both],
    ['_locales/de/messages.json', both],
  ]);

  it('accepts one messages.json per shipped language and the default, each defining every __MSG_ name', () => {
    expect(() => checkLocales(manifest, built, 'dist', ['en', 'de'])).not.toThrow();
    // Chrome's message names ignore case; `@@` names are the browser's own.
    const cased = new Map(built).set('_locales/de/messages.json', messages(['EXTENSIONNAME', 'extensiondescription']));
    const own = { ...manifest, homepage_url: 'https://x.example/__MSG_@@extension_id__' };
    expect(() => checkLocales(own, cased, 'dist', ['en', 'de'])).not.toThrow();
  });

  it('refuses a shipped language or the default without its messages.json', () => {
    expect(() => checkLocales(manifest, built, 'dist', ['en', 'de', 'fr'])).toThrow(
      'dist has no _locales/fr/messages.json',
    );
    expect(() => checkLocales({ ...manifest, default_locale: 'pt_BR' }, built, 'dist', ['en', 'de'])).toThrow(
      'dist has no _locales/pt_BR/messages.json',
    );
    expect(() => checkLocales({ name: 'Framelock' }, built, 'dist', ['en'])).toThrow(/no default_locale/);
  });

  it('refuses anything else under _locales: a language that is not shipped, a stray file', () => {
    expect(() => checkLocales(manifest, built, 'dist', ['en'])).toThrow(
      'dist has files under _locales that no language ships: _locales/de/messages.json',
    );
    const stray = new Map(built).set('_locales/en/notes.txt', utf8.encode(''));
    expect(() => checkLocales(manifest, stray, 'dist', ['en', 'de'])).toThrow(/_locales\/en\/notes\.txt/);
  });

  it('refuses a language that misses a name the manifest uses, or is no JSON', () => {
    const missing = new Map(built).set('_locales/de/messages.json', messages(['extensionName']));
    expect(() => checkLocales(manifest, missing, 'dist', ['en', 'de'])).toThrow(
      'dist/_locales/de/messages.json does not define what manifest.json uses: extensionDescription',
    );
    const broken = new Map(built).set('_locales/de/messages.json', utf8.encode('{'));
    expect(() => checkLocales(manifest, broken, 'dist', ['en', 'de'])).toThrow(/is not JSON/);
  });
});
