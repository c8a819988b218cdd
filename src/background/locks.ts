/**
 * @module The background's read-modify-write sequences, each under a Web Lock (`navigator.locks`, exclusive, granted
 * in request order per name: https://w3c.github.io/web-locks/). Messages, bridge reports and start-up work interleave
 * at every `await`, so a sequence that reads a store and writes it back must not let another one in between.
 *
 * A lock is held until the task's promise settles, and released if the service worker stops (its tasks die with it).
 * Locks are not re-entrant: never ask for a lock from inside a task that holds it (it would wait for itself forever).
 * The names are shared by every context of the extension's origin; only the service worker takes them.
 */

/** The sites store (IndexedDB `framelock`) together with the content script registrations. */
const SITES_LOCK = 'framelock/sites';
/** One tab's status in `storage.session` (`tab:<id>`), by tab id. */
const tabStatusLock = (tabId: number) => `framelock/tab-status/${tabId}`;
/** The rejection counts in `storage.session` (rejections.ts). */
const REJECTIONS_LOCK = 'framelock/rejections';

/**
 * Runs `task` once every task asked for before it has settled, so read-modify-write sequences over the sites store
 * and the content script registrations (enable, disable, room changes, reconcile) never interleave. Settles as `task`
 * does.
 */
export function withSitesLock<T>(task: () => Promise<T>): Promise<T> {
  return navigator.locks.request(SITES_LOCK, task) as Promise<T>;
}

/**
 * Runs `task` once every earlier update of tab `tabId`'s status has settled: each update is a read-modify-write of
 * `storage.session`, so two at once could lose one. Tabs do not wait for each other.
 */
export function withTabStatusLock<T>(tabId: number, task: () => Promise<T>): Promise<T> {
  return navigator.locks.request(tabStatusLock(tabId), task) as Promise<T>;
}

/** Runs `task` once every earlier write of the rejection counts has settled (each reads, adds and writes them back). */
export function withRejectionsLock<T>(task: () => Promise<T>): Promise<T> {
  return navigator.locks.request(REJECTIONS_LOCK, task) as Promise<T>;
}
