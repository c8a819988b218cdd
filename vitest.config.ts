import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'dom',
          // Preact components of the popup and the options page, rendered in happy-dom with a fake extension API.
          include: ['test/dom/**/*.test.tsx'],
          environment: 'happy-dom',
          setupFiles: ['test/dom/setup.ts'],
        },
      },
      {
        test: {
          name: 'browser',
          // Real Chromium driven by puppeteer against the built extension in dist/ (npm test builds first).
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One Chromium at a time: the machines have 2 cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
