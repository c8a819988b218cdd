/**
 * Sites that share a host (src/background/same-host.ts): in the Firefox build, whose match patterns cannot name a
 * port, another port of an enabled site's host is covered by its scripts; in Chrome's, never.
 */
import { describe, expect, it, vi } from 'vitest';

vi.mock('../../src/background/sites', () => ({
  listSites: async () => [{ origin: 'http://127.0.0.1:8080' }, { origin: 'https://meet.example.org' }],
}));

const { siteSharingScope } = await import('../../src/background/same-host');

describe('siteSharingScope', () => {
  it('Firefox: another port of an enabled host shares its scope', async () => {
    expect(await siteSharingScope('http://127.0.0.1:9090', 'firefox')).toBe('http://127.0.0.1:8080');
    expect(await siteSharingScope('http://127.0.0.1', 'firefox')).toBe('http://127.0.0.1:8080');
    expect(await siteSharingScope('https://meet.example.org:8443', 'firefox')).toBe('https://meet.example.org');
  });

  it('Firefox: the site itself, another scheme or another host shares nothing', async () => {
    expect(await siteSharingScope('http://127.0.0.1:8080', 'firefox')).toBeUndefined();
    expect(await siteSharingScope('https://127.0.0.1:8080', 'firefox')).toBeUndefined();
    expect(await siteSharingScope('https://other.example.org', 'firefox')).toBeUndefined();
  });

  it('Chrome: every pattern names its port, so no two origins share one', async () => {
    expect(await siteSharingScope('http://127.0.0.1:9090', 'chrome')).toBeUndefined();
    expect(await siteSharingScope('https://meet.example.org:8443', 'chrome')).toBeUndefined();
  });
});
