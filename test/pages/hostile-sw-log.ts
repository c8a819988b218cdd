/**
 * @module What the `?hostile=sw` site's service worker (hostile-sw-worker.ts) records, and where: entries in the
 * origin's Cache Storage, which outlives every context and which the page (hostile-sw.ts) reads back.
 */

/** The Cache Storage cache the entries go to, one response per entry. */
export const LOG_CACHE = 'hostile-sw-log';
/** Where the service worker is registered: at the root, so that its scope is the whole site. */
export const SERVICE_WORKER_PATH = '/hostile-sw-worker.js';
/** A script only the service worker answers (with nothing but its own code): a control for probeWorker(). */
export const PROBE_PATH = '/hostile-sw-probe.js';

export type LogEntry =
  /** A request the service worker saw. */
  | { kind: 'seen'; url: string; destination: string }
  /** Its code ran in a window or worker. */
  | { kind: 'ran'; where: 'window' | 'worker'; name: string; url: string }
  /** A worker where its code ran received a message (or a transform: type `rtctransform`). */
  | { kind: 'received'; name: string; type: string; keys: string[]; ports: number }
  /** It rewrote a script. */
  | { kind: 'rewrote'; url: string; length: number }
  /** It could not fetch a script the CORS way (and fetched the request itself). */
  | { kind: 'error'; url: string; message: string };
