import { crx } from '@crxjs/vite-plugin';
import { defineConfig } from 'vite';
import manifest from './manifest.json' with { type: 'json' };

export default defineConfig({
  plugins: [crx({ manifest })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Extension code is loaded from disk: no need for legacy targets or inlined polyfills.
    target: 'chrome118',
    sourcemap: true,
  },
});
