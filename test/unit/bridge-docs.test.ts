/**
 * The threat model's rows about the content bridge cite the code that enforces each check: a function, a class and
 * its method (`WorkerLink.checkAlive`) or a constant. Those names must exist, or a refactor has left the threat model
 * pointing at nothing (issue 20). test/unit/docs.test.ts checks the shipped page itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

function sources(dir: string): { path: string; text: string }[] {
  return (
    readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
      // test/unit/lint-zones.test.ts writes and removes probe files under src while other test files run.
      .filter((file) => /\.tsx?$/.test(file) && !file.includes('zz-lint-zone-probe'))
      .map((file) => ({ path: `${dir}/${file}`, text: readFileSync(join(root, dir, file), 'utf8') }))
  );
}

const code = sources('src');
const threatModel = readFileSync(join(root, 'docs/threat-model.md'), 'utf8');
/** Rows of the threat model that cite the bridge's files. */
const bridgeRows = threatModel.split('\n').filter((line) => line.includes('src/content/'));

/** Backticked names that look like code: camelCase or PascalCase (optionally `Class.method`), or CONSTANT_CASE. */
function citedNames(line: string): string[] {
  return [...line.matchAll(/`([^`]+)`/g)]
    .map((match) => match[1] ?? '')
    .filter((name) => /^[A-Za-z]\w*(\.[a-z]\w*)?$/.test(name) && /[A-Z]/.test(name) && !/^[A-Z][a-z]+$/.test(name))
    .concat(
      [...line.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1] ?? '').filter((name) => name.includes('_')),
    );
}

const word = (name: string): RegExp => new RegExp(`(?<![\\w$])#?${name}(?![\\w$])`);

describe('the threat model on the content bridge', () => {
  it('cites some of its code', () => {
    expect(bridgeRows.length).toBeGreaterThan(5);
    expect(bridgeRows.flatMap(citedNames)).toContain('WorkerLink.checkAlive');
  });

  it.each([...new Set(bridgeRows.flatMap(citedNames))].map((name) => [name]))('names %s, which exists', (name) => {
    const [owner, member] = name.split('.') as [string, string | undefined];
    if (member === undefined) {
      expect(code.some(({ text }) => word(owner).test(text))).toBe(true);
      return;
    }
    const declaring = code.filter(({ text }) => new RegExp(`class ${owner}\\b`).test(text));
    expect(declaring.map(({ path }) => path)).toHaveLength(1);
    expect(declaring[0]?.text).toMatch(new RegExp(`^\\s+(async\\s+)?#?${member}\\(`, 'm'));
  });

  it('cites files that exist', () => {
    const files = new Set(code.map(({ path }) => path));
    for (const row of bridgeRows) {
      for (const [, path] of row.matchAll(/`(src\/[\w./-]+\.tsx?)`/g)) expect(files, path).toContain(path);
    }
  });
});
