// The service worker of the `?hostile=sw` test site (see hostile-sw.js): it answers every request of its pages and
// their workers itself. Scripts (by destination, or a .js URL) get its own code put first; everything it sees is
// recorded in the origin's Cache Storage (`hostile-sw-log`), which outlives every context and which the page reads
// back: reports made before the page's own scripts run (at document_start) are kept too. `/hostile-sw-probe.js` it
// makes up (a script with nothing but its code).
const record = (entry) =>
  caches
    .open('hostile-sw-log')
    .then((cache) =>
      cache.put(`/__hostile-sw-log/${Date.now()}-${crypto.randomUUID()}`, new Response(JSON.stringify(entry))),
    );

// Runs first in every script it rewrites: records where it runs and, in a worker, every message the worker gets
// (listening before the worker's own code can) and every transform it is handed.
const INJECTED = `;(() => {
  try {
    const record = (entry) => caches.open('hostile-sw-log').then((cache) =>
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

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = request.url;
  event.waitUntil(record({ kind: 'seen', url, destination: request.destination }));
  const script =
    request.destination === 'script' ||
    request.destination === 'worker' ||
    request.destination === 'sharedworker' ||
    /\.m?js(\?|$)/.test(new URL(url).pathname);
  if (new URL(url).pathname === '/hostile-sw-probe.js') {
    event.respondWith(new Response(`${INJECTED}\n// probe\n`, { headers: { 'Content-Type': 'text/javascript' } }));
    return;
  }
  if (!script || url.endsWith('/hostile-sw-worker.js')) return; // the network answers (the browser's own fetch)
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
