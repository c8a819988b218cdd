/**
 * The toolbar badge of a tab (src/background/badge.ts): its text, colour and tooltip for each state, the tooltip from
 * the same message fragments the build ships. The badge of a real call is checked in test/browser/csp.test.ts.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { TabStatus, TransformStats } from '../../src/shared/messages';

const calls = vi.hoisted(() => [] as unknown[]);

vi.mock('webextension-polyfill', async () => ({
  default: {
    i18n: { getMessage: (await import('../dom/i18n')).getMessage },
    action: {
      setTitle: async (details: unknown) => void calls.push(['title', details]),
      setBadgeBackgroundColor: async (details: unknown) => void calls.push(['color', details]),
      setBadgeText: async (details: unknown) => void calls.push(['text', details]),
    },
  },
}));

const { updateBadge } = await import('../../src/background/badge');

function transform(side: 'send' | 'receive', status: TransformStats['status']): TransformStats {
  const counts = { protected: 0, unencrypted: 0, undecryptable: 0, dropped: 0, passthrough: 0, echoed: 0 };
  return { id: `${side}-${status}`, side, kind: 'video', ...counts, status };
}

function tab(transforms: TransformStats[], problems: TabStatus['problems'] = []): TabStatus {
  return { tabId: 3, origin: 'https://meet.example.org', transforms, problems, updatedAt: 1 };
}

beforeEach(() => {
  calls.length = 0;
});

describe('updateBadge', () => {
  it('says nothing before any media flows', async () => {
    await updateBadge(3, tab([transform('send', 'waiting')]));
    expect(calls).toEqual([
      ['title', { tabId: 3, title: 'Framelock' }],
      ['color', { tabId: 3, color: '#1b6e3a' }],
      ['text', { tabId: 3, text: '' }],
    ]);
  });

  it('shows E2E while the media is encrypted', async () => {
    await updateBadge(3, tab([transform('send', 'encrypted'), transform('receive', 'encrypted')]));
    expect(calls).toEqual([
      ['title', { tabId: 3, title: 'Framelock: calls on this page are end-to-end encrypted' }],
      ['color', { tabId: 3, color: '#1b6e3a' }],
      ['text', { tabId: 3, text: 'E2E' }],
    ]);
  });

  it.each([
    ['unencrypted media arrives', tab([transform('send', 'encrypted'), transform('receive', 'unencrypted')])],
    ['media cannot be decrypted', tab([transform('receive', 'undecryptable')])],
    ['a problem leaves media unprotected', tab([transform('send', 'encrypted')], ['encryption_removed'])],
    ['we send nothing, so nobody can send us keys', tab([transform('receive', 'encrypted')], ['not_sending'])],
    ['a participant runs an older Framelock', tab([transform('receive', 'encrypted')], ['older_peer'])],
  ])('warns when %s, title first', async (_name, status) => {
    await updateBadge(3, status);
    expect(calls).toEqual([
      ['title', { tabId: 3, title: 'Framelock: some media on this page is NOT end-to-end encrypted' }],
      ['color', { tabId: 3, color: '#b3261e' }],
      ['text', { tabId: 3, text: '!' }],
    ]);
  });
});
