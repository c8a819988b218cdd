/**
 * The lint zones in biome.json: pure code (src/sframe, src/codecs, src/shared) stays away from extension APIs, the DOM
 * and every context's code, and each execution context (page, content, background, worker, popup, options, the chat
 * side panel, and the shared UI code in src/ui) imports no other context's code. This checks they bite: a probe that breaks a zone fails
 * lint, the same probe passes once that zone is taken out of the config (so it is the zone that fires), and what a
 * context may import passes.
 *
 * Probes are linted in a temporary copy of the project's biome.json, never written into src/: biome's overrides match
 * paths relative to the config, so `<tmp>/src/page/probe.ts` is linted as page code. (`biome lint --stdin-file-path`
 * would avoid files altogether, but biome 2.6 reports no diagnostics for stdin, only that it fails, even for a clean
 * file.)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const BIOME = path.join(root, 'node_modules', '.bin', 'biome');

interface Override {
  includes: string[];
}
const config = JSON.parse(readFileSync(path.join(root, 'biome.json'), 'utf8')) as {
  vcs?: unknown;
  $schema?: string;
  overrides: Override[];
};
// No git repository around the copy, and no schema next to it: neither changes what the rules say.
const { vcs: _vcs, $schema: _schema, ...base } = config;

/** Each case runs biome up to three times, a second or more each on a busy machine. */
const CASE_TIMEOUT_MS = 60_000;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Lints `source` as `file` (relative to the root) under `overrides`; the names of the rules it reports, in order. */
function lint(file: string, source: string, overrides: Override[] = config.overrides): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'framelock-lint-zones-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'biome.json'), JSON.stringify({ ...base, overrides }));
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), source);
  const run = spawnSync(BIOME, ['lint', '--max-diagnostics=50', file], { cwd: dir, encoding: 'utf8' });
  const output = `${run.stdout}${run.stderr}`;
  if (run.error !== undefined) throw run.error;
  return [...output.matchAll(/lint\/\w+\/(\w+)/g)].map((match) => match[1] as string);
}

/** The config without the zone(s) that include `folder`. */
const without = (folder: string): Override[] =>
  config.overrides.filter((override) => !override.includes.some((glob) => glob.startsWith(`${folder}/`)));

/** A probe importing each of `specifiers` (and using them, so nothing else is reported). */
const importing = (specifiers: readonly string[]): string =>
  `${specifiers.map((specifier, index) => `import * as m${index} from '${specifier}';`).join('\n')}\nexport const probe = [${specifiers.map((_, index) => `m${index}`).join(', ')}];\n`;

const PURE_PROBE = `import browser from 'webextension-polyfill';
import { h } from 'preact';
import { openDB } from 'idb';

export const probe = (): string =>
  chrome.runtime.id + document.title + String(window) + String(browser) + String(h) + String(openDB);
`;

describe('lint zones: pure code', { timeout: CASE_TIMEOUT_MS }, () => {
  it.each(['src/sframe', 'src/codecs', 'src/shared'])(
    '%s may not use extension APIs, the DOM, UI, storage or a context’s code',
    (folder) => {
      const rules = lint(`${folder}/probe.ts`, PURE_PROBE);
      expect(rules.filter((rule) => rule === 'noRestrictedImports')).toHaveLength(3);
      expect(rules.filter((rule) => rule === 'noRestrictedGlobals')).toHaveLength(3);
      expect(
        lint(`${folder}/probe.ts`, importing(['../background/keys', '../popup/Popup', '../sidepanel/ChatPanel'])),
      ).toEqual(['noRestrictedImports', 'noRestrictedImports', 'noRestrictedImports']);
      expect(lint(`${folder}/probe.ts`, PURE_PROBE, without(folder))).not.toContain('noRestrictedImports');
    },
  );
});

/** For each zone: what its code may not import, and what it may. */
const ZONES: { folder: string; denied: string[]; allowed: string[] }[] = [
  {
    folder: 'src/page',
    denied: [
      '../background/keys',
      '../content/bridge',
      '../worker/transform',
      '../popup/Popup',
      '../options/App',
      '../sidepanel/ChatPanel',
      '../ui/i18n',
      'webextension-polyfill',
      'preact',
    ],
    allowed: ['./natives', '../shared/handshake'],
  },
  {
    folder: 'src/content',
    denied: [
      '../background/keys',
      '../page/patch',
      '../worker/transform',
      '../popup/Popup',
      '../options/App',
      '../sidepanel/ChatPanel',
      '../ui/api',
      'preact',
    ],
    allowed: ['../ui/i18n', '../shared/origin', 'webextension-polyfill', './checks'],
  },
  {
    folder: 'src/background',
    denied: [
      '../content/bridge',
      '../page/patch',
      '../worker/transform',
      '../popup/Popup',
      '../options/App',
      '../sidepanel/ChatPanel',
      '../ui/api',
      'preact',
    ],
    allowed: ['../ui/i18n', '../shared/origin', '../sframe', 'webextension-polyfill', 'idb', './keys'],
  },
  {
    folder: 'src/worker',
    denied: [
      '../background/keys',
      '../content/bridge',
      '../page/patch',
      '../popup/Popup',
      '../options/App',
      '../sidepanel/ChatPanel',
      '../ui/i18n',
      'webextension-polyfill',
      'preact',
    ],
    allowed: ['../sframe', '../codecs', '../shared/bytes', './keyring'],
  },
  {
    folder: 'src/popup',
    denied: [
      '../background/keys',
      '../content/bridge',
      '../page/patch',
      '../worker/transform',
      '../options/api',
      '../sidepanel/protocol',
    ],
    allowed: ['../ui/api', '../ui/enable-form/EnableForm', '../shared/messages', 'preact', 'webextension-polyfill'],
  },
  {
    folder: 'src/options',
    denied: [
      '../background/keys',
      '../content/bridge',
      '../page/patch',
      '../worker/transform',
      '../popup/Share',
      '../sidepanel/ChatPanel',
    ],
    allowed: ['../ui/api', '../ui/enable-form/EnableForm', '../shared/messages', 'preact', 'webextension-polyfill'],
  },
  {
    folder: 'src/sidepanel',
    denied: [
      '../background/chat-port',
      '../content/chat-link',
      '../page/patch',
      '../worker/transform',
      '../popup/tab',
      '../options/App',
    ],
    allowed: ['../ui/i18n', '../ui/tab-id', '../shared/messages', 'preact', 'webextension-polyfill', './protocol'],
  },
  {
    folder: 'src/ui',
    denied: [
      '../background/keys',
      '../content/bridge',
      '../page/patch',
      '../worker/transform',
      '../popup/Share',
      '../options/rooms',
      '../sidepanel/ChatPanel',
    ],
    allowed: ['../shared/words', './i18n', '../popup/messages.en.json', 'preact', 'webextension-polyfill'],
  },
];

describe('lint zones: one per execution context', { timeout: CASE_TIMEOUT_MS }, () => {
  it.each(ZONES)('$folder imports no other context’s code', ({ folder, denied, allowed }) => {
    const file = `${folder}/probe.ts`;
    expect(lint(file, importing(denied))).toEqual(denied.map(() => 'noRestrictedImports'));
    // It is this zone that fires: without it, the same probe passes.
    expect(lint(file, importing(denied), without(folder))).not.toContain('noRestrictedImports');
    expect(lint(file, importing(allowed))).not.toContain('noRestrictedImports');
  });
});
