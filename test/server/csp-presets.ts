/**
 * @module Content-Security-Policy headers a page of the test server can ask for with `?csp=<preset>` (tests of sites
 * with strict policies: test/browser/csp.test.ts). Every preset lets the demo call itself run (its own scripts, inline
 * styles, same-origin fetch and EventSource, same-origin frames); they differ in what they allow workers.
 */
export const CSP_PRESETS: Readonly<Record<string, string>> = {
  /** No `blob:` anywhere: a Blob URL worker is refused (worker-src falls back to script-src). */
  'no-blob-worker':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; " +
    "img-src 'self' data:; media-src 'self' blob: mediastream:; frame-src 'self'",
  /** Only `worker-src` restricted: a site that locks down workers and nothing else. */
  'worker-self': "worker-src 'self'",
  /** Blob URL workers allowed, but scripts only from the site itself (what such a worker may import). */
  'blob-worker-script-self':
    "default-src 'self'; script-src 'self'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; " +
    "connect-src 'self'; img-src 'self' data:; media-src 'self' blob: mediastream:; frame-src 'self'",
};
