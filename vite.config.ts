import { crx } from '@crxjs/vite-plugin';
import { defineConfig, type Plugin } from 'vite';
import manifest from './manifest.json' with { type: 'json' };
import { DOCS_OUTPUT_DIR, renderDocs } from './scripts/docs.ts';
import { firefoxManifest } from './scripts/firefox-manifest.ts';
import { buildInjectedScripts, SHIPPED_DEFINE } from './scripts/injected-scripts.ts';
import { fragmentPath, shippedLocales } from './scripts/locales.ts';
import { LOCALE_FOLDERS, SHIPPED_LOCALES } from './src/ui/locales.ts';

/**
 * Emits `_locales/<locale>/messages.json` for each shipped language, merged from the `messages.<locale>.json` fragments
 * (src/ui/locales.ts). Fails the build when a translation misses a key or breaks a substitution (scripts/locales.ts).
 */
function localesPlugin(): Plugin {
  return {
    name: 'framelock-locales',
    buildStart() {
      for (const folder of LOCALE_FOLDERS) {
        for (const locale of SHIPPED_LOCALES) this.addWatchFile(fragmentPath(folder, locale));
      }
    },
    generateBundle() {
      for (const [locale, messages] of shippedLocales(process.cwd())) {
        this.emitFile({
          type: 'asset',
          fileName: `_locales/${locale}/messages.json`,
          source: `${JSON.stringify(messages, null, 2)}\n`,
        });
      }
    },
  };
}

/** Emits docs/*.md as static pages under `docs/` (scripts/docs.ts): the options page links to the threat model. */
function docsPlugin(): Plugin {
  return {
    name: 'framelock-docs',
    generateBundle() {
      for (const [fileName, source] of renderDocs(process.cwd())) {
        this.emitFile({ type: 'asset', fileName: `${DOCS_OUTPUT_DIR}/${fileName}`, source });
      }
    },
  };
}

/**
 * Emits the scripts injected into enabled sites (scripts/injected-scripts.ts): the bridge, and the page script with the
 * transform worker's code inside it, so that the worker's code reaches the page through no request its origin could
 * see or answer, and nothing of ours is web-accessible.
 */
function injectedScriptsPlugin(define: Record<string, string>): Plugin {
  return {
    name: 'framelock-injected-scripts',
    apply: 'build',
    async generateBundle() {
      for (const [fileName, source] of Object.entries(await buildInjectedScripts(define))) {
        this.emitFile({ type: 'asset', fileName, source });
      }
    },
  };
}

/**
 * `vite build` makes the extension as shipped for Chrome, into dist/; `vite build --mode firefox` the same for Firefox,
 * into dist-firefox/ (the same code; only the manifest differs: scripts/firefox-manifest.ts). `vite build --mode
 * rotation-test` makes the build the key rotation tests load, into dist-test/ (`--mode firefox-rotation-test`: the
 * same for Firefox, into dist-firefox-test/): 6-second key epochs (so a test crosses
 * several boundaries), a periodic re-key every 5 seconds, and a clock that `storage.local.testClockOffsetMs` can shift
 * (src/background/clock.ts). Nothing else differs.
 */
export const ROTATION_TEST_EPOCH_MS = 6_000;
/** The rotation test build's periodic re-key (src/content/exchange/constants.ts): a new generation every 5 s. */
export const ROTATION_TEST_REKEY_INTERVAL_MS = 5_000;

export default defineConfig(({ mode }) => {
  const rotationTest = mode === 'rotation-test' || mode === 'firefox-rotation-test';
  const firefox = mode === 'firefox' || mode === 'firefox-rotation-test';
  const named = rotationTest ? { ...manifest, name: 'Framelock (rotation test build)' } : manifest;
  const browserDefine = { __FRAMELOCK_BROWSER__: JSON.stringify(firefox ? 'firefox' : 'chrome') };
  const define: Record<string, string> = rotationTest
    ? {
        __FRAMELOCK_EPOCH_MS__: String(ROTATION_TEST_EPOCH_MS),
        __FRAMELOCK_REKEY_INTERVAL_MS__: String(ROTATION_TEST_REKEY_INTERVAL_MS),
        __FRAMELOCK_TEST_BUILD__: 'true',
        ...browserDefine,
      }
    : { ...SHIPPED_DEFINE, ...browserDefine };
  return {
    plugins: [
      localesPlugin(),
      docsPlugin(),
      injectedScriptsPlugin(define),
      firefox ? crx({ manifest: firefoxManifest(named) as never, browser: 'firefox' }) : crx({ manifest: named }),
    ],
    define,
    build: {
      outDir: `dist${firefox ? '-firefox' : ''}${rotationTest ? '-test' : ''}`,
      emptyOutDir: true,
      // Extension code is loaded from disk: no need for legacy targets or inlined polyfills.
      target: firefox ? 'firefox140' : 'chrome118',
      sourcemap: true,
      // The password strength estimator's dictionaries (~1.7 MB) load lazily, on the options page only.
      chunkSizeWarningLimit: 2_000,
      // crxjs builds the pages Chrome's manifest keys name, not Firefox's sidebar_action.default_panel: add it.
      ...(firefox ? { rolldownOptions: { input: { sidepanel: 'src/sidepanel/index.html' } } } : {}),
    },
  };
});
