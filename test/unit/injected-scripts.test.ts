/**
 * The scripts injected into enabled sites, as scripts/injected-scripts.ts builds them (the build emits exactly these):
 * the transform worker's code travels inside the page script, and the worker makes no request of its own, so nothing
 * of ours passes through a request the page's origin (its service worker, CSP, network stack) could see or answer.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildInjectedScripts, buildWorkerSource } from '../../scripts/injected-scripts.ts';
import { BRIDGE_SCRIPT_FILE, PAGE_SCRIPT_FILE } from '../../src/shared/built-paths';

let worker: string;
let scripts: Record<string, string>;

beforeAll(async () => {
  worker = await buildWorkerSource();
  scripts = await buildInjectedScripts();
}, 60_000);

describe('the injected scripts', () => {
  it('are the bridge and the page script, each one classic script (no import, no export)', () => {
    expect(Object.keys(scripts).sort()).toEqual([BRIDGE_SCRIPT_FILE, PAGE_SCRIPT_FILE].sort());
    for (const [file, code] of Object.entries(scripts)) {
      expect(code.length, file).toBeGreaterThan(1_000);
      expect(code, file).not.toMatch(/^\s*(import|export)\s/m);
      expect(code, file).not.toMatch(/\bimport\s*\(/);
    }
  });

  it('the page script carries the worker’s code, and loads nothing', () => {
    const page = scripts[PAGE_SCRIPT_FILE] as string;
    expect(page).toContain(JSON.stringify(worker).slice(1, 200));
    expect(page).not.toMatch(/importScripts|chrome-extension:|getURL/);
  });

  it('the worker makes no request: no importScripts, fetch, XMLHttpRequest, EventSource, WebSocket or dynamic import', () => {
    expect(worker.length).toBeGreaterThan(10_000);
    expect(worker).not.toMatch(/importScripts|\bfetch\b|XMLHttpRequest|EventSource|WebSocket|\bimport\s*\(/);
    // It listens for the page script's hand-off and the transforms it is given.
    expect(worker).toMatch(/rtctransform/);
  });
});
