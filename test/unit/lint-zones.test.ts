/**
 * The lint zones in biome.json keep pure code (src/sframe, src/codecs, src/shared) away from extension APIs, the DOM
 * and other contexts' code. This checks they bite: a probe file that breaks every rule must fail lint in pure code
 * and pass in the background context.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PROBE = `import browser from 'webextension-polyfill';
import { h } from 'preact';
import { openDB } from 'idb';

export const probe = (): string =>
  chrome.runtime.id + document.title + String(window) + String(browser) + String(h) + String(openDB);
`;

function lint(folder: string): { status: number | null; output: string } {
  const file = `${folder}/zz-lint-zone-probe.ts`;
  writeFileSync(`${root}${file}`, PROBE);
  try {
    const run = spawnSync('npx', ['biome', 'lint', '--max-diagnostics=50', file], { cwd: root, encoding: 'utf8' });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(`${root}${file}`, { force: true });
  }
}

describe('lint zones', () => {
  it.each(['src/sframe', 'src/codecs', 'src/shared'])(
    '%s may not use extension APIs, the DOM, UI or storage',
    (folder) => {
      const { status, output } = lint(folder);
      expect(status).not.toBe(0);
      expect(output.match(/noRestrictedImports/g)?.length).toBe(3);
      expect(output.match(/noRestrictedGlobals/g)?.length).toBe(3);
    },
  );

  it('the background context may', () => {
    const { output } = lint('src/background');
    expect(output).not.toMatch(/noRestricted/);
  });
});
