/**
 * The Firefox manifest (scripts/firefox-manifest.ts) is Chrome's manifest.json with only what Firefox wants
 * differently: what both share stays exactly the same, and the Firefox-only keys are what docs/permissions.md says.
 * When dist-firefox/ has been built (`npm test` builds before it runs the tests; `vitest run --project unit` alone may
 * not), the built manifest is checked too.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import manifest from '../../manifest.json' with { type: 'json' };
import { FIREFOX_ADDON_ID, FIREFOX_MIN_VERSION, firefoxManifest } from '../../scripts/firefox-manifest.ts';
import { manifestFiles } from '../../scripts/package.ts';

const firefox = firefoxManifest(manifest);
const BUILT = path.join('dist-firefox', 'manifest.json');

describe('firefoxManifest', () => {
  it('keeps what both browsers share exactly', () => {
    for (const key of [
      'manifest_version',
      'name',
      'short_name',
      'version',
      'description',
      'default_locale',
      'optional_host_permissions',
      'content_security_policy',
      'action',
    ] as const) {
      expect(firefox[key], key).toEqual(manifest[key]);
    }
  });

  it("asks for Chrome's permissions minus sidePanel, and for no host at install", () => {
    expect(firefox.permissions).toEqual(manifest.permissions.filter((p) => p !== 'sidePanel'));
    expect(firefox.permissions).toEqual(['storage', 'scripting', 'activeTab']);
    for (const key of ['host_permissions', 'content_scripts', 'externally_connectable', 'web_accessible_resources']) {
      expect(firefox).not.toHaveProperty(key);
    }
  });

  it('has the gecko add-on id, the minimum Firefox and no data collection', () => {
    expect(firefox.browser_specific_settings).toEqual({
      gecko: {
        id: 'framelock@framelock.dev',
        strict_min_version: '140.0',
        data_collection_permissions: { required: ['none'] },
      },
    });
    expect(FIREFOX_ADDON_ID).toBe('framelock@framelock.dev');
    expect(FIREFOX_MIN_VERSION).toBe('140.0');
  });

  it('runs the background as an event page (background.scripts), as a module like Chrome’s service worker', () => {
    expect(firefox.background).toEqual({ scripts: [manifest.background.service_worker], type: 'module' });
  });

  it('opens the options page in a tab (options_ui), and the chat in the sidebar', () => {
    expect(firefox.options_ui).toEqual({ page: manifest.options_page, open_in_tab: true });
    expect(firefox.sidebar_action).toEqual({
      default_panel: manifest.side_panel.default_path,
      default_title: manifest.action.default_title,
      open_at_install: false,
    });
    expect(existsSync(manifest.side_panel.default_path)).toBe(true);
  });

  it('has none of the Chrome-only keys', () => {
    for (const key of ['side_panel', 'minimum_chrome_version', 'options_page']) {
      expect(firefox).not.toHaveProperty(key);
    }
  });

  it('does not change the manifest it is given', () => {
    const before = structuredClone(manifest);
    firefoxManifest(manifest);
    expect(manifest).toEqual(before);
  });
});

describe.runIf(existsSync(BUILT))('dist-firefox/manifest.json (the last Firefox build)', () => {
  const built = existsSync(BUILT) ? (JSON.parse(readFileSync(BUILT, 'utf8')) as Record<string, unknown>) : {};

  it('is firefoxManifest(manifest.json), with crxjs’s loader as the background script', () => {
    const { background, ...rest } = built;
    const { background: _source, ...expected } = firefox;
    expect(rest).toEqual(expected);
    expect(background).toEqual({ scripts: [expect.stringMatching(/\.js$/)], type: 'module' });
  });

  it('has every page and script it names (crxjs does not build sidebar_action.default_panel: vite.config.ts adds it)', () => {
    const missing = manifestFiles(built).filter((file) => !existsSync(path.join('dist-firefox', file)));
    expect(missing).toEqual([]);
  });
});
