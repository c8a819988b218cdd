/**
 * The demo server (`npm start`) serves the demo call and nothing that exists for tests; the test server
 * (test/server/test-server.ts) serves the demo plus the test pages, and its hooks put a hostile script first in <head>
 * as one classic, non-strict script (test/server/page-scripts.ts). The browser tests rely on each of these.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../../demo/server';
import { CSP_PRESETS } from '../server/csp-presets';
import { PAGE_SCRIPTS } from '../server/page-scripts';
import { startTestServer, type TestServer } from '../server/test-server';

let demo: DemoServer;
let test: TestServer;

beforeAll(async () => {
  demo = await startDemoServer();
  test = await startTestServer();
});
afterAll(async () => {
  await demo?.close();
  await test?.close();
});

describe('the demo server', () => {
  it('serves the call page, and none of the test pages or hooks', async () => {
    expect((await fetch(`${demo.url}/`)).status).toBe(200);
    for (const path of ['/blank.html', ...Object.keys(PAGE_SCRIPTS)]) {
      expect((await fetch(`${demo.url}${path}`)).status, path).toBe(404);
    }
    const page = await fetch(`${demo.url}/?hostile=1&csp=no-blob-worker`);
    expect(page.headers.get('content-security-policy')).toBeNull();
    expect(await page.text()).not.toContain('hostile');
  });
});

describe('the test server', () => {
  it('serves the demo call page and the test pages', async () => {
    expect(await (await fetch(`${test.url}/`)).text()).toContain('<script src="call.js">');
    expect((await fetch(`${test.url}/blank.html`)).status).toBe(200);
  });

  it('puts the hostile script first thing in <head>, as a plain synchronous script', async () => {
    const html = await (await fetch(`${test.url}/?hostile=1`)).text();
    const head = html.slice(html.indexOf('<head>'), html.indexOf('</head>'));
    expect(head).toMatch(/^<head>\s*<script src="\/hostile\.js"><\/script>/);
    expect(await (await fetch(`${test.url}/blank.html?hostile=worker`)).text()).toContain(
      '<script src="/hostile-worker.js"></script>',
    );
    expect((await fetch(`${test.url}/?hostile=../x`)).status).toBe(400);
  });

  it('sends the CSP a page asks for', async () => {
    const page = await fetch(`${test.url}/?csp=worker-self`);
    expect(page.headers.get('content-security-policy')).toBe(CSP_PRESETS['worker-self']);
    expect((await fetch(`${test.url}/?csp=nonsense`)).status).toBe(400);
  });

  it('serves every page script as one classic script, not in strict mode', async () => {
    for (const path of Object.keys(PAGE_SCRIPTS)) {
      const response = await fetch(`${test.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toMatch(/^text\/javascript/);
      const code = await response.text();
      expect(code, path).toMatch(/^\(function\(\) \{/);
      expect(code, path).not.toMatch(/^\s*(import|export)\s/m);
      // The attacks count on sloppy mode: a `delete` of a non-configurable property is false there, not a TypeError.
      expect(code, path).not.toContain('use strict');
    }
  }, 30_000);
});
