/**
 * The manifest asks for what docs/permissions.md explains and nothing more, and the extension pages' CSP stays
 * strict. A new permission or a looser policy must fail here until the doc says why.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import manifest from '../../manifest.json' with { type: 'json' };

const doc = readFileSync('docs/permissions.md', 'utf8');

/** The CSP as directive → sources. */
function directives(policy: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out.set(name, sources);
  }
  return out;
}

describe('manifest permissions', () => {
  it('asks only for storage, scripting, activeTab and sidePanel, and for no host at install', () => {
    expect([...manifest.permissions].sort()).toEqual(['activeTab', 'scripting', 'sidePanel', 'storage']);
    expect(manifest).not.toHaveProperty('host_permissions');
    expect(manifest).not.toHaveProperty('content_scripts');
    expect(manifest).not.toHaveProperty('externally_connectable');
    // Nothing web-accessible: no page can load a file of ours, so none can tell Framelock is installed (issue 14).
    expect(manifest).not.toHaveProperty('web_accessible_resources');
    expect(manifest.optional_host_permissions).toEqual(['http://*/*', 'https://*/*']);
  });

  it('has the call chat as its side panel, on a Chrome that can open it from the popup (sidePanel.open: 116)', () => {
    expect(manifest.side_panel).toEqual({ default_path: 'src/sidepanel/index.html' });
    expect(existsSync(manifest.side_panel.default_path)).toBe(true);
    expect(Number(manifest.minimum_chrome_version)).toBeGreaterThanOrEqual(116);
  });

  it('explains every permission it asks for in docs/permissions.md', () => {
    for (const permission of [
      ...manifest.permissions,
      ...manifest.optional_host_permissions,
      'optional_host_permissions',
    ]) {
      expect(doc).toContain(`\`${permission}\``);
    }
  });
});

describe('extension pages CSP', () => {
  const policy = manifest.content_security_policy.extension_pages;
  const csp = directives(policy);

  it('allows only our own scripts, plus WebAssembly compilation for Argon2id', () => {
    expect(csp.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(policy).not.toMatch(/'unsafe-eval'|'unsafe-inline'|https?:|data:|blob:|\*/);
  });

  it('has no plugins, no base URL, no network, no form targets, no framing', () => {
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('connect-src')).toEqual(["'none'"]);
    expect(csp.get('form-action')).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('is the policy docs/permissions.md documents', () => {
    expect(doc.replace(/\s+/g, ' ')).toContain(policy);
  });
});
