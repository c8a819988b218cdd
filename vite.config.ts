import { crx } from '@crxjs/vite-plugin';
import { defineConfig, type Plugin } from 'vite';
import manifest from './manifest.json' with { type: 'json' };
import { DOCS_OUTPUT_DIR, renderDocs } from './scripts/docs.ts';
import { mergeLocaleFragments } from './scripts/locales.ts';
import { LOCALE_FRAGMENTS } from './src/ui/locales.ts';

/** Emits `_locales/en/messages.json`, merged from the UI's `messages.en.json` fragments (src/ui/locales.ts). */
function localesPlugin(): Plugin {
  return {
    name: 'framelock-locales',
    buildStart() {
      for (const fragment of LOCALE_FRAGMENTS) this.addWatchFile(fragment);
    },
    generateBundle() {
      const messages = mergeLocaleFragments(process.cwd());
      this.emitFile({
        type: 'asset',
        fileName: '_locales/en/messages.json',
        source: `${JSON.stringify(messages, null, 2)}\n`,
      });
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
 * `vite build` makes the extension as shipped, into dist/. `vite build --mode rotation-test` makes the build the key
 * rotation tests load, into dist-test/: 6-second key epochs (so a test crosses several boundaries) and a clock that
 * `storage.local.testClockOffsetMs` can shift (src/background/clock.ts). Nothing else differs.
 */
export const ROTATION_TEST_EPOCH_MS = 6_000;

export default defineConfig(({ mode }) => {
  const rotationTest = mode === 'rotation-test';
  return {
    plugins: [
      localesPlugin(),
      docsPlugin(),
      crx({
        manifest: rotationTest ? { ...manifest, name: 'Framelock (rotation test build)' } : manifest,
      }),
    ],
    define: rotationTest
      ? { __FRAMELOCK_EPOCH_MS__: String(ROTATION_TEST_EPOCH_MS), __FRAMELOCK_TEST_BUILD__: 'true' }
      : { __FRAMELOCK_EPOCH_MS__: 'undefined', __FRAMELOCK_TEST_BUILD__: 'false' },
    build: {
      outDir: rotationTest ? 'dist-test' : 'dist',
      emptyOutDir: true,
      // Extension code is loaded from disk: no need for legacy targets or inlined polyfills.
      target: 'chrome118',
      sourcemap: true,
      // The password strength estimator's dictionaries (~1.7 MB) load lazily, on the options page only.
      chunkSizeWarningLimit: 2_000,
    },
  };
});
