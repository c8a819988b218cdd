/**
 * @module The Firefox manifest, made from the one `manifest.json` (Chrome's) so the two cannot drift apart: the same
 * name, version, permissions, pages and CSP, with only what Firefox wants differently (docs/architecture.md,
 * "Firefox"):
 *
 * - `browser_specific_settings.gecko`: a fixed add-on id (Firefox keys storage and permissions by it), the oldest
 *   Firefox with everything Framelock needs, and the data-collection declaration AMO requires (none);
 * - the background as an event page (`background.scripts`; Firefox has no extension service worker). The crx plugin
 *   writes the loader's name there when it builds with `browser: 'firefox'`;
 * - `options_ui` rather than `options_page`, opened in a tab as in Chrome;
 * - the call chat in Firefox's sidebar (`sidebar_action`) rather than Chrome's side panel, so no `sidePanel`
 *   permission;
 * - no `minimum_chrome_version`.
 */

/** Firefox's add-on id for Framelock: storage, permissions and the extension's origin follow it. */
export const FIREFOX_ADDON_ID = 'framelock@framelock.dev';

/**
 * The oldest Firefox that has all Framelock uses: `RTCRtpScriptTransform` (117), MAIN-world
 * `scripting.registerContentScripts` with `matchOriginAsFallback` (128), X25519 in WebCrypto (130). 140 is the
 * oldest ESR past all three, and the tests run 153 ESR.
 */
export const FIREFOX_MIN_VERSION = '140.0';

/** What this module reads of the Chrome manifest. */
export interface ChromeManifest {
  background: { service_worker: string; type?: string };
  permissions: string[];
  options_page: string;
  side_panel: { default_path: string };
  action: { default_title: string; default_popup: string };
  minimum_chrome_version?: string;
  [key: string]: unknown;
}

/** The Firefox manifest for `chrome` (not mutated). */
export function firefoxManifest(chrome: ChromeManifest): Record<string, unknown> {
  const {
    background,
    options_page: optionsPage,
    side_panel: sidePanel,
    minimum_chrome_version: _minimumChromeVersion,
    ...shared
  } = chrome;
  return {
    ...shared,
    permissions: chrome.permissions.filter((permission) => permission !== 'sidePanel'),
    background: { scripts: [background.service_worker], ...(background.type ? { type: background.type } : {}) },
    options_ui: { page: optionsPage, open_in_tab: true },
    sidebar_action: {
      default_panel: sidePanel.default_path,
      default_title: chrome.action.default_title,
      open_at_install: false,
    },
    browser_specific_settings: {
      gecko: {
        id: FIREFOX_ADDON_ID,
        strict_min_version: FIREFOX_MIN_VERSION,
        data_collection_permissions: { required: ['none'] },
      },
    },
  };
}
