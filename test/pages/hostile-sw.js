// A hostile page script, for tests (`?hostile=sw`): a site whose own service worker (hostile-sw-worker.js) rewrites
// every script it sees, chrome-extension:// URLs included, by putting its own code first, and records every request
// it sees. The code it puts first records where it runs and, in a worker, every message that worker receives. All of
// it lands in the origin's Cache Storage, which this page reads back (reports from before this script ran included).
//
// window.__sw:
//   controlled     the page was controlled by a service worker when this script ran
//   ready()        registers the service worker; resolves once one controls this page
//   read()         { seen: [{ url, destination }], ran: [{ where, name, url }], received: [{ name, type, keys, ports }],
//                    other: [what the service worker rewrote, and its errors] }
//   probeWorker()  a worker of the page's own that imports a script: the service worker's code reaches it (control)
(() => {
  const controlled = navigator.serviceWorker.controller !== null;
  async function ready() {
    if (navigator.serviceWorker.controller !== null) return true;
    await navigator.serviceWorker.register('/hostile-sw-worker.js', { scope: '/' });
    await navigator.serviceWorker.ready;
    if (navigator.serviceWorker.controller === null) {
      await new Promise((resolve) =>
        navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }),
      );
    }
    return true;
  }
  async function read() {
    const log = { seen: [], ran: [], received: [], other: [] };
    const cache = await caches.open('hostile-sw-log');
    for (const request of await cache.keys()) {
      const entry = await (await cache.match(request)).json();
      if (entry.kind === 'seen') log.seen.push({ url: entry.url, destination: entry.destination });
      else if (entry.kind === 'ran') log.ran.push({ where: entry.where, name: entry.name, url: entry.url });
      else if (entry.kind === 'received') log.received.push(entry);
      else log.other.push(entry);
    }
    return log;
  }
  function probeWorker() {
    const source = `importScripts(${JSON.stringify(new URL('/hostile-sw-probe.js', location.href).href)});`;
    return new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { name: 'page-probe' });
  }
  Object.defineProperty(window, '__sw', { value: { controlled, ready, read, probeWorker } });
})();
