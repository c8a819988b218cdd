/**
 * @module `browser.storage.session` over a Map, for unit tests that mock webextension-polyfill: values are cloned in
 * and out, as the browser's storage does, so a test cannot pass by sharing an object with the code under test.
 */
export function fakeSessionStorage(store: Map<string, unknown>) {
  return {
    get: async (keys: string | string[] | null) => {
      const wanted = keys === null ? [...store.keys()] : typeof keys === 'string' ? [keys] : keys;
      const out: Record<string, unknown> = {};
      for (const key of wanted) if (store.has(key)) out[key] = structuredClone(store.get(key));
      return out;
    },
    set: async (items: Record<string, unknown>) => {
      for (const [key, value] of Object.entries(items)) store.set(key, structuredClone(value));
    },
    remove: async (keys: string | string[]) => {
      for (const key of typeof keys === 'string' ? [keys] : keys) store.delete(key);
    },
  };
}
