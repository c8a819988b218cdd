/**
 * @module The service worker of the `?hostile=sw` test site (see hostile-sw.ts): it answers every request of its pages
 * and their workers itself. Scripts (by destination, or a .js URL) get its own code put first; everything it sees is
 * recorded in the origin's Cache Storage (hostile-sw-log.ts), which outlives every context and which the page reads
 * back: reports made before the page's own scripts run (at document_start) are kept too. `/hostile-sw-probe.js` it
 * makes up (a script with nothing but its code).
 *
 * Type-checked with the DOM's types (tsconfig.test.json), so the few service worker types it uses are declared here.
 */
import { LOG_CACHE, type LogEntry, PROBE_PATH, SERVICE_WORKER_PATH } from './hostile-sw-log.ts';

interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}
interface ServiceWorkerScope {
  skipWaiting(): Promise<void>;
  readonly clients: { claim(): Promise<void> };
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
}
const worker = self as unknown as ServiceWorkerScope;

const record = (entry: LogEntry) =>
  caches
    .open(LOG_CACHE)
    .then((cache) =>
      cache.put(`/__hostile-sw-log/${Date.now()}-${crypto.randomUUID()}`, new Response(JSON.stringify(entry))),
    );

// Runs first in every script it rewrites: records where it runs and, in a worker, every message the worker gets
// (listening before the worker's own code can) and every transform it is handed. A string: it runs in other contexts.
const INJECTED = `;(() => {
  try {
    const record = (entry) => caches.open(${JSON.stringify(LOG_CACHE)}).then((cache) =>
      cache.put(self.origin + '/__hostile-sw-log/' + Date.now() + '-' + crypto.randomUUID(), new Response(JSON.stringify(entry))));
    const inWorker = typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope;
    const name = inWorker ? String(self.name) : '';
    record({ kind: 'ran', where: inWorker ? 'worker' : 'window', name, url: String(location.href) });
    if (inWorker) {
      self.addEventListener('message', (event) => {
        const data = event.data;
        const keys = data !== null && typeof data === 'object' ? Object.keys(data) : [];
        record({ kind: 'received', name, type: typeof data, keys, ports: event.ports.length });
      }, true);
      self.addEventListener('rtctransform', () => {
        record({ kind: 'received', name, type: 'rtctransform', keys: [], ports: 0 });
      }, true);
    }
  } catch {}
})();
`;

worker.addEventListener('install', () => worker.skipWaiting());
worker.addEventListener('activate', (event) => event.waitUntil(worker.clients.claim()));

worker.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = request.url;
  event.waitUntil(record({ kind: 'seen', url, destination: request.destination }));
  const script =
    request.destination === 'script' ||
    request.destination === 'worker' ||
    request.destination === 'sharedworker' ||
    /\.m?js(\?|$)/.test(new URL(url).pathname);
  if (new URL(url).pathname === PROBE_PATH) {
    event.respondWith(new Response(`${INJECTED}\n// probe\n`, { headers: { 'Content-Type': 'text/javascript' } }));
    return;
  }
  if (!script || url.endsWith(SERVICE_WORKER_PATH)) return; // the network answers (the browser's own fetch)
  event.respondWith(
    (async () => {
      let original = '';
      try {
        const response = await fetch(request.url, { mode: 'cors', credentials: 'omit' });
        original = await response.text();
      } catch (error) {
        await record({ kind: 'error', url, message: String(error) });
        const response = await fetch(request);
        original = await response.text();
      }
      await record({ kind: 'rewrote', url, length: original.length });
      return new Response(`${INJECTED}\n${original}`, { headers: { 'Content-Type': 'text/javascript' } });
    })(),
  );
});
