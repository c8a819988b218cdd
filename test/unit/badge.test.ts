/**
 * The toolbar button of a tab (src/background/badge.ts): its badge text, colour, tooltip and icon for each state, the
 * tooltip from the same message fragments the build ships; the icon's state (src/background/icon.ts). The badge of a real call is checked in test/browser/csp.test.ts.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import manifest from '../../manifest.json' with { type: 'json' };
import type { TabStatus, TransformStats } from '../../src/shared/messages';

const calls = vi.hoisted(() => [] as unknown[]);

vi.mock('webextension-polyfill', async () => ({
  default: {
    i18n: { getMessage: (await import('../dom/i18n')).getMessage },
    action: {
      setTitle: async (details: unknown) => void calls.push(['title', details]),
      setBadgeBackgroundColor: async (details: unknown) => void calls.push(['color', details]),
      setBadgeText: async (details: unknown) => void calls.push(['text', details]),
      setIcon: async (details: unknown) => void calls.push(['icon', details]),
    },
  },
}));

const { updateBadge } = await import('../../src/background/badge');
const { TOOLBAR_ICONS, toolbarState } = await import('../../src/background/icon');

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
    await updateBadge(3, tab([transform('send', 'waiting')]), true);
    expect(calls).toEqual([
      ['title', { tabId: 3, title: 'Framelock' }],
      ['color', { tabId: 3, color: '#1b6e3a' }],
      ['text', { tabId: 3, text: '' }],
      ['icon', { tabId: 3, path: TOOLBAR_ICONS.on }],
    ]);
  });

  it('shows E2E while the media is encrypted', async () => {
    await updateBadge(3, tab([transform('send', 'encrypted'), transform('receive', 'encrypted')]), true);
    expect(calls).toEqual([
      ['title', { tabId: 3, title: 'Framelock: calls on this page are end-to-end encrypted' }],
      ['color', { tabId: 3, color: '#1b6e3a' }],
      ['text', { tabId: 3, text: 'E2E' }],
      ['icon', { tabId: 3, path: TOOLBAR_ICONS.on }],
    ]);
  });

  it.each([
    ['unencrypted media arrives', tab([transform('send', 'encrypted'), transform('receive', 'unencrypted')])],
    ['media cannot be decrypted', tab([transform('receive', 'undecryptable')])],
    ['a problem leaves media unprotected', tab([transform('send', 'encrypted')], ['encryption_removed'])],
    ['we send nothing, so nobody can send us keys', tab([transform('receive', 'encrypted')], ['not_sending'])],
    ['a participant runs an older Framelock', tab([transform('receive', 'encrypted')], ['older_peer'])],
  ])('warns when %s, title first, with the problem icon', async (_name, status) => {
    await updateBadge(3, status, true);
    expect(calls).toEqual([
      ['title', { tabId: 3, title: 'Framelock: some media on this page is NOT end-to-end encrypted' }],
      ['color', { tabId: 3, color: '#b3261e' }],
      ['text', { tabId: 3, text: '!' }],
      ['icon', { tabId: 3, path: TOOLBAR_ICONS.problem }],
    ]);
  });

  it('shows the off icon, no badge, when the site is not enabled (turned off in this tab)', async () => {
    await updateBadge(3, tab([]), false);
    expect(calls).toEqual([
      ['title', { tabId: 3, title: 'Framelock' }],
      ['color', { tabId: 3, color: '#1b6e3a' }],
      ['text', { tabId: 3, text: '' }],
      ['icon', { tabId: 3, path: TOOLBAR_ICONS.off }],
    ]);
  });

  it('never throws, when the tab closed', async () => {
    calls.push = () => {
      throw new Error('No tab with id: 3');
    };
    await expect(updateBadge(3, tab([]), true)).resolves.toBeUndefined();
    calls.push = Array.prototype.push;
  });
});

describe('toolbarState (the icon README.md describes)', () => {
  it('is "on" on an enabled site with nothing wrong, with or without a call', () => {
    expect(toolbarState('idle', true, false)).toBe('on');
    expect(toolbarState('protected', true, true)).toBe('on');
  });

  it('is "problem" whenever the badge warns', () => {
    expect(toolbarState('warning', true, false)).toBe('problem');
    expect(toolbarState('warning', true, true)).toBe('problem');
    expect(toolbarState('warning', false, true)).toBe('problem');
  });

  it('is "off" on a site that is not enabled, unless an enabled frame of the tab carries media', () => {
    expect(toolbarState('idle', false, false)).toBe('off');
    expect(toolbarState('warning', false, false)).toBe('off');
    expect(toolbarState('protected', false, true)).toBe('on');
  });

  it("is the manifest's default icon when off: what the browser shows after it resets a tab", () => {
    expect(manifest.action.default_icon).toEqual(TOOLBAR_ICONS.off);
  });
});
