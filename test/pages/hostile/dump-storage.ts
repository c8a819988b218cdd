/**
 * @module Everything the page can read of its origin's storage: localStorage, sessionStorage, cookies, every record of
 * every IndexedDB database, Cache Storage names. Each record is scanned (a key at rest would raise an alarm).
 */
import type { StorageDump } from './api.ts';
import { H, state } from './log.ts';
import { NativePromise, page } from './natives.ts';
import { scan } from './scan.ts';

/** Every record of every IndexedDB database of this origin, localStorage, sessionStorage, cookies, cache names. */
export async function dumpStorage(): Promise<StorageDump> {
  const dump: StorageDump = {
    localStorage: {},
    sessionStorage: {},
    cookie: document.cookie,
    indexedDB: {},
    caches: [],
  };
  for (const area of ['localStorage', 'sessionStorage'] as const) {
    const storage = window[area];
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i) as string;
      dump[area][key] = storage.getItem(key);
    }
  }
  for (const info of (await indexedDB.databases?.()) ?? []) {
    const name = info.name as string;
    const db = await new NativePromise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const stores: Record<string, string[]> = {};
    for (const storeName of db.objectStoreNames) {
      const records = await new NativePromise<unknown[]>((resolve, reject) => {
        const request = db.transaction(storeName).objectStore(storeName).getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      stores[storeName] = records.map((record) => scan(record, `indexedDB ${name}/${storeName}`));
    }
    db.close();
    dump.indexedDB[name] = stores;
  }
  if (page.caches) dump.caches = await caches.keys();
  state.busy++;
  try {
    scan(dump, 'storage');
  } finally {
    state.busy--;
  }
  H.storage = dump;
  return dump;
}
