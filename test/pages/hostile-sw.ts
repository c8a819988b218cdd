/**
 * @module A hostile page script, for tests (`?hostile=sw`): a site whose own service worker (hostile-sw-worker.ts)
 * rewrites every script it sees, chrome-extension:// URLs included, by putting its own code first, and records every
 * request it sees. The code it puts first records where it runs and, in a worker, every message that worker receives.
 * All of it lands in the origin's Cache Storage, which this page reads back (reports from before this script ran
 * included).
 *
 * window.__sw ({@link HostileSw}):
 *   controlled     the page was controlled by a service worker when this script ran
 *   ready()        registers the service worker; resolves once one controls this page
 *   read()         { seen: [{ url, destination }], ran: [{ where, name, url }], received: [{ name, type, keys, ports }],
 *                    other: [what the service worker rewrote, and its errors] }
 *   probeWorker()  a worker of the page's own that imports a script: the service worker's code reaches it (control)
 */
import { LOG_CACHE, type LogEntry, PROBE_PATH, SERVICE_WORKER_PATH } from './hostile-sw-log.ts';

/** What the service worker recorded, by kind. */
export interface SwLog {
  seen: { url: string; destination: string }[];
  ran: { where: string; name: string; url: string }[];
  received: Extract<LogEntry, { kind: 'received' }>[];
  /** What the service worker rewrote, and its errors. */
  other: LogEntry[];
}

export interface HostileSw {
  controlled: boolean;
  ready(): Promise<true>;
  read(): Promise<SwLog>;
  probeWorker(): Worker;
}

const controlled = navigator.serviceWorker.controller !== null;
async function ready(): Promise<true> {
  if (navigator.serviceWorker.controller !== null) return true;
  await navigator.serviceWorker.register(SERVICE_WORKER_PATH, { scope: '/' });
  await navigator.serviceWorker.ready;
  if (navigator.serviceWorker.controller === null) {
    await new Promise((resolve) =>
      navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }),
    );
  }
  return true;
}
async function read(): Promise<SwLog> {
  const log: SwLog = { seen: [], ran: [], received: [], other: [] };
  const cache = await caches.open(LOG_CACHE);
  for (const request of await cache.keys()) {
    const entry = (await (await cache.match(request))?.json()) as LogEntry;
    if (entry.kind === 'seen') log.seen.push({ url: entry.url, destination: entry.destination });
    else if (entry.kind === 'ran') log.ran.push({ where: entry.where, name: entry.name, url: entry.url });
    else if (entry.kind === 'received') log.received.push(entry);
    else log.other.push(entry);
  }
  return log;
}
function probeWorker(): Worker {
  const source = `importScripts(${JSON.stringify(new URL(PROBE_PATH, location.href).href)});`;
  return new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { name: 'page-probe' });
}
const sw: HostileSw = { controlled, ready, read, probeWorker };
Object.defineProperty(window, '__sw', { value: sw });
