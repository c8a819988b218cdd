/**
 * The fake `webextension-polyfill` of the dom tests (test/dom/setup.ts installs it): `i18n` answers from the real
 * message fragments; the other APIs are stubs each test can replace (e.g. `fakeBrowser.runtime.sendMessage = …`).
 */
import { getMessage } from './i18n';

const listeners = { addListener() {}, removeListener() {}, hasListener: () => false };

export const fakeBrowser = {
  runtime: {
    id: 'abcdefghijklmnopabcdefghijklmnop',
    sendMessage: async (_message: unknown): Promise<unknown> => ({ ok: false, error: 'no background in this test' }),
    getURL: (path: string) => `chrome-extension://abcdefghijklmnopabcdefghijklmnop/${path}`,
    onMessage: listeners,
    connect: (_info?: unknown): unknown => {
      throw new Error('no background in this test');
    },
  },
  permissions: {
    request: async (_: unknown): Promise<boolean> => true,
    remove: async (_: unknown): Promise<boolean> => true,
    contains: async (_: unknown): Promise<boolean> => true,
    onAdded: listeners,
    onRemoved: listeners,
  },
  tabs: {
    query: async (_: unknown): Promise<unknown[]> => [],
    reload: async (_: unknown): Promise<void> => undefined,
  },
  storage: {
    onChanged: listeners,
    session: { get: async (_?: unknown): Promise<Record<string, unknown>> => ({}) },
    local: {
      get: async (_?: unknown): Promise<Record<string, unknown>> => ({}),
      set: async (_: unknown): Promise<void> => undefined,
    },
  },
  i18n: { getMessage },
};
