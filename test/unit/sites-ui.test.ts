/**
 * The background's UI request handler (src/background/ui.ts) with fake senders and fake storage: who may ask,
 * how every field is checked, and the order of the steps of enabling and disabling a site. The real thing, through
 * the real options page, is tested in test/browser/options.test.ts.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { SiteRecord } from '../../src/background/sites';

const EXTENSION_ID = 'abcdefghijklmnopabcdefghijklmnop';
const BASE_URL = `chrome-extension://${EXTENSION_ID}/`;
const OPTIONS_SENDER = { id: EXTENSION_ID, url: `${BASE_URL}src/options/index.html`, origin: BASE_URL.slice(0, -1) };

const fakes = vi.hoisted(() => {
  const calls: string[] = [];
  const sites = new Map<string, unknown>();
  return {
    calls,
    sites,
    session: {} as Record<string, unknown>,
    permission: true,
    failRegistration: false,
  };
});

vi.mock('webextension-polyfill', async () => ({
  default: {
    // The UI's English, from the same message fragments the build ships.
    i18n: { getMessage: (await import('../dom/i18n')).getMessage },
    runtime: {
      id: 'abcdefghijklmnopabcdefghijklmnop',
      getURL: (path: string) => `chrome-extension://abcdefghijklmnopabcdefghijklmnop/${path}`,
    },
    storage: { session: { get: async () => ({ ...fakes.session }) } },
    tabs: {
      get: async (tabId: number) => {
        if (tabId !== 4) throw new Error('No tab with id');
        return { id: 4, url: 'https://meet.example.org/call/1' };
      },
    },
  },
}));

vi.mock('../../src/background/bridge-port', () => ({
  notifySiteChanged: vi.fn(async (origin: string) => {
    fakes.calls.push(`notify ${origin}`);
  }),
  selectTabRoom: vi.fn(async (tabId: number, room: string) => {
    fakes.calls.push(`tab ${tabId} room ${JSON.stringify(room)}`);
  }),
}));

vi.mock('../../src/background/registration', () => ({
  hasSitePermission: vi.fn(async (origin: string) => {
    fakes.calls.push(`permission? ${origin}`);
    return fakes.permission;
  }),
  reconcile: vi.fn(async () => {
    fakes.calls.push('reconcile');
    return { revoked: [], registered: [], unregistered: [] };
  }),
  registerSite: vi.fn(async (origin: string) => {
    fakes.calls.push(`register ${origin}`);
    if (fakes.failRegistration) throw new Error('Chrome said no');
  }),
  unregisterSite: vi.fn(async (origin: string) => {
    fakes.calls.push(`unregister ${origin}`);
  }),
}));

vi.mock('../../src/background/keys', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/background/keys')>()),
  // The real derivation is tested in keys.test.ts; here it would only cost 0.3 s per call.
  deriveRoomKey: vi.fn(async (origin: string, room: string) => {
    fakes.calls.push(`derive ${origin} ${JSON.stringify(room)}`);
    return { fake: 'room key', room };
  }),
  deriveRoomKeyBytes: vi.fn(async (origin: string, room: string) => {
    fakes.calls.push(`derive bytes ${origin} ${JSON.stringify(room)}`);
    return new Uint8Array(32).fill(7);
  }),
  importRoomKey: vi.fn(async () => ({ fake: 'imported room key' })),
}));

vi.mock('../../src/background/session-keys', () => ({
  putSessionRoomKey: vi.fn(async (origin: string, room: string, bytes: Uint8Array) => {
    fakes.calls.push(`session put ${origin} ${JSON.stringify(room)} ${bytes.length} bytes`);
  }),
  forgetSessionRoomKeys: vi.fn(async (origin: string, room?: string) => {
    fakes.calls.push(`session forget ${origin}${room === undefined ? '' : ` ${JSON.stringify(room)}`}`);
  }),
}));

vi.mock('../../src/background/sites', () => ({
  MAX_ROOMS_PER_SITE: 3,
  roomOf: (site: SiteRecord, label: string = site.activeRoom) => site.rooms.find((room) => room.label === label),
  withSitesLock: <T>(task: () => Promise<T>) => task(),
  listSites: async () => [...fakes.sites.values()],
  listRevoked: async () => [],
  getSite: async (origin: string) => fakes.sites.get(origin),
  putSite: async (record: SiteRecord) => {
    fakes.calls.push(`put ${record.origin}`);
    fakes.sites.set(record.origin, record);
  },
  deleteSite: async (origin: string) => {
    fakes.calls.push(`delete ${origin}`);
    return fakes.sites.delete(origin);
  },
  forgetRevoked: async (origin: string) => {
    fakes.calls.push(`forget-revoked ${origin}`);
  },
  clearProblems: async (origin: string) => {
    fakes.calls.push(`clear-problems ${origin}`);
    return fakes.sites.has(origin);
  },
  toSiteInfo: async (record: SiteRecord) => ({ origin: record.origin, enabledAt: record.enabledAt, problems: [] }),
}));

const { handleUiMessage, isExtensionPageSender, isUiRequestMessage, parseUiRequest } = await import(
  '../../src/background/ui'
);

beforeEach(() => {
  // Failures are logged for the developer; the answers are what is tested here.
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  fakes.calls.length = 0;
  fakes.sites.clear();
  fakes.session = {};
  fakes.permission = true;
  fakes.failRegistration = false;
});

describe('isExtensionPageSender', () => {
  it('accepts the extension’s own pages', () => {
    expect(isExtensionPageSender(OPTIONS_SENDER, EXTENSION_ID, BASE_URL)).toBe(true);
    // Older Chrome versions do not report sender.origin.
    expect(isExtensionPageSender({ id: EXTENSION_ID, url: `${BASE_URL}popup.html` }, EXTENSION_ID, BASE_URL)).toBe(
      true,
    );
  });

  it.each([
    [
      'a content script (our id, a web page URL)',
      { id: EXTENSION_ID, url: 'https://meet.example.org/', origin: 'https://meet.example.org' },
    ],
    [
      'a content script in an about:blank frame',
      { id: EXTENSION_ID, url: 'about:blank', origin: 'https://meet.example.org' },
    ],
    [
      'another extension',
      { id: 'ponmlkjihgfedcbaponmlkjihgfedcba', url: 'chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba/x.html' },
    ],
    [
      'another extension whose id starts like ours',
      { id: `${EXTENSION_ID}x`, url: `chrome-extension://${EXTENSION_ID}x/x.html` },
    ],
    [
      'our id but another extension’s URL',
      { id: EXTENSION_ID, url: 'chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba/x.html' },
    ],
    ['our URL but no id', { url: `${BASE_URL}src/options/index.html` }],
    ['no URL', { id: EXTENSION_ID }],
    ['our URL with a foreign origin', { ...OPTIONS_SENDER, origin: 'https://meet.example.org' }],
    ['a URL that only starts like ours', { id: EXTENSION_ID, url: `chrome-extension://${EXTENSION_ID}` }],
  ])('refuses %s', (_name, sender) => {
    expect(isExtensionPageSender(sender, EXTENSION_ID, BASE_URL)).toBe(false);
  });

  it('refuses everything when the extension id is unknown', () => {
    expect(isExtensionPageSender({ id: '', url: 'chrome-extension:///x' }, '', 'chrome-extension:///')).toBe(false);
  });
});

describe('handleUiMessage: the sender check', () => {
  it('answers a content script with an error, and does nothing', async () => {
    const contentScript = {
      id: EXTENSION_ID,
      url: 'https://meet.example.org/call',
      origin: 'https://meet.example.org',
    };
    for (const message of [
      { type: 'sites/enable', origin: 'https://meet.example.org', passphrase: 'secret' },
      { type: 'sites/disable', origin: 'https://meet.example.org' },
      { type: 'sites/list' },
      { type: 'status/get' },
    ]) {
      expect(await handleUiMessage(message, contentScript)).toEqual({
        ok: false,
        error: "Refused: only Framelock's own pages may send this request.",
      });
    }
    expect(fakes.calls).toEqual([]);
  });
});

describe('isUiRequestMessage', () => {
  it('claims only messages typed as UI requests', () => {
    expect(isUiRequestMessage({ type: 'sites/list' })).toBe(true);
    expect(isUiRequestMessage({ type: 'sites/enable' })).toBe(true);
    expect(isUiRequestMessage({ type: 'framelock/ping' })).toBe(false);
    expect(isUiRequestMessage('sites/list')).toBe(false);
    expect(isUiRequestMessage(null)).toBe(false);
  });
});

describe('parseUiRequest', () => {
  it('accepts well-formed requests and normalises origins', () => {
    expect(parseUiRequest({ type: 'sites/list' })).toEqual({ type: 'sites/list' });
    expect(parseUiRequest({ type: 'status/get' })).toEqual({ type: 'status/get' });
    expect(parseUiRequest({ type: 'diagnostics/get' })).toEqual({ type: 'diagnostics/get' });
    expect(parseUiRequest({ type: 'sites/enable', origin: 'Meet.Example.org/', passphrase: 'p' })).toEqual({
      type: 'sites/enable',
      origin: 'https://meet.example.org',
      passphrase: 'p',
      room: '',
    });
    expect(
      parseUiRequest({ type: 'sites/enable', origin: 'https://a.org', passphrase: 'p', room: '  Team  A ' }),
    ).toMatchObject({ room: 'team a' });
    expect(parseUiRequest({ type: 'rooms/forget', origin: 'https://a.org', room: 'X' })).toEqual({
      type: 'rooms/forget',
      origin: 'https://a.org',
      room: 'x',
    });
    expect(parseUiRequest({ type: 'tabs/select-room', tabId: 4, room: '' })).toEqual({
      type: 'tabs/select-room',
      tabId: 4,
      room: '',
    });
    expect(parseUiRequest({ type: 'sites/disable', origin: 'http://127.0.0.1:8080' })).toEqual({
      type: 'sites/disable',
      origin: 'http://127.0.0.1:8080',
    });
    expect(parseUiRequest({ type: 'sites/dismiss-revoked', origin: 'https://meet.example.org' })).toEqual({
      type: 'sites/dismiss-revoked',
      origin: 'https://meet.example.org',
    });
    expect(parseUiRequest({ type: 'sites/clear-problems', origin: 'Meet.Example.org' })).toEqual({
      type: 'sites/clear-problems',
      origin: 'https://meet.example.org',
    });
    expect(
      parseUiRequest({ type: 'sites/enable', origin: 'https://a.org', passphrase: 'x'.repeat(1024) }),
    ).toMatchObject({ type: 'sites/enable' });
  });

  it.each([
    [null, undefined, /not an object/],
    ['sites/list', undefined, /not an object/],
    [[{ type: 'sites/list' }], undefined, /not an object/],
    [{}, undefined, /Unknown request type/],
    [{ type: 'sites/nuke' }, undefined, /Unknown request type: "sites\/nuke"/],
    [{ type: 42 }, undefined, /Unknown request type: number/],
    [{ type: 'sites/list', extra: 1 }, undefined, /Unexpected field.*extra/],
    [{ type: 'sites/enable', origin: 'https://a.org', passphrase: 'p', key: 'x' }, undefined, /Unexpected field.*key/],
    [{ type: 'sites/enable', passphrase: 'p' }, 'origin', /must be given as text/],
    [{ type: 'sites/enable', origin: 42, passphrase: 'p' }, 'origin', /must be given as text/],
    [{ type: 'sites/enable', origin: 'https://a.org/path', passphrase: 'p' }, 'origin', /without a path/],
    [{ type: 'sites/enable', origin: 'https://*.a.org', passphrase: 'p' }, 'origin', /Wildcards/],
    [{ type: 'sites/enable', origin: 'ftp://a.org', passphrase: 'p' }, 'origin', /Only http/],
    [{ type: 'sites/enable', origin: 'https://a.org' }, 'passphrase', /must be text/],
    [{ type: 'sites/enable', origin: 'https://a.org', passphrase: ['p'] }, 'passphrase', /must be text/],
    [{ type: 'sites/enable', origin: 'https://a.org', passphrase: '' }, 'passphrase', /Enter a passphrase/],
    [{ type: 'sites/enable', origin: 'https://a.org', passphrase: ' \n ' }, 'passphrase', /Enter a passphrase/],
    [{ type: 'sites/enable', origin: 'https://a.org', passphrase: 'p', room: 'a\u0000' }, 'room', /invisible/],
    [{ type: 'sites/enable', origin: 'https://a.org', passphrase: 'p', room: 'r'.repeat(65) }, 'room', /too long/],
    // Longer than any label could be even after white space collapses: refused before NFKC runs over it.
    [{ type: 'sites/enable', origin: 'https://a.org', passphrase: 'p', room: ' '.repeat(1025) }, 'room', /too long/],
    [{ type: 'diagnostics/get', reset: true }, undefined, /Unexpected field.*reset/],
    [{ type: 'sites/enable', origin: 'https://a.org', passphrase: 'p', room: 3 }, 'room', /must be text/],
    [{ type: 'rooms/select', origin: 'https://a.org' }, 'room', /must be text/],
    [{ type: 'tabs/select-room', tabId: -1, room: '' }, undefined, /Unknown tab/],
    [{ type: 'tabs/select-room', tabId: '4', room: '' }, undefined, /Unknown tab/],
    [{ type: 'sites/enable', origin: 'https://a.org', passphrase: 'x'.repeat(1025) }, 'passphrase', /too long/],
    [{ type: 'sites/disable', origin: 'javascript:alert(1)' }, 'origin', /Only http/],
    [{ type: 'sites/disable' }, 'origin', /must be given as text/],
    [{ type: 'sites/clear-problems' }, 'origin', /must be given as text/],
    [{ type: 'sites/clear-problems', origin: 'https://a.org', problem: 'tampering_blocked' }, undefined, /Unexpected/],
  ])('refuses %j', (message, field, error) => {
    const result = parseUiRequest(message);
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(error) });
    expect((result as { field?: string }).field).toBe(field);
  });
});

describe('handleUiMessage: enabling and disabling', () => {
  const enable = { type: 'sites/enable', origin: 'https://meet.example.org', passphrase: 'correct horse' };

  it('refuses to enable a site whose permission is not granted, before deriving anything', async () => {
    fakes.permission = false;
    expect(await handleUiMessage(enable, OPTIONS_SENDER)).toEqual({
      ok: false,
      error: 'Framelock needs permission for https://meet.example.org',
      field: 'origin',
    });
    expect(fakes.calls).toEqual(['permission? https://meet.example.org']);
  });

  it('enables: permission, key, store, scripts, then the open frames', async () => {
    expect(await handleUiMessage(enable, OPTIONS_SENDER)).toEqual({ ok: true });
    expect(fakes.calls).toEqual([
      'permission? https://meet.example.org',
      'derive https://meet.example.org ""',
      'permission? https://meet.example.org', // again: it may have been removed during the derivation
      'put https://meet.example.org',
      'register https://meet.example.org',
      'forget-revoked https://meet.example.org',
      'notify https://meet.example.org',
    ]);
    expect(fakes.sites.get('https://meet.example.org')).toMatchObject({
      origin: 'https://meet.example.org',
      rooms: [{ label: '', roomKey: { fake: 'room key', room: '' } }],
      activeRoom: '',
      problems: [],
    });
  });

  it('waitForPermission: finishes by itself once the permission comes (the popup may have closed)', async () => {
    fakes.permission = false;
    setTimeout(() => {
      fakes.permission = true;
    }, 400);
    expect(await handleUiMessage({ ...enable, waitForPermission: true }, OPTIONS_SENDER)).toEqual({ ok: true });
    expect(fakes.sites.has('https://meet.example.org')).toBe(true);
  });

  it('waitForPermission: a cancelled wait (permission refused) enables nothing, even if granted later', async () => {
    fakes.permission = false;
    const waiting = handleUiMessage({ ...enable, waitForPermission: true }, OPTIONS_SENDER);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(
      await handleUiMessage({ type: 'sites/cancel-enable', origin: 'https://meet.example.org' }, OPTIONS_SENDER),
    ).toEqual({ ok: true });
    expect(await waiting).toMatchObject({ ok: false, field: 'origin' });
    fakes.permission = true;
    expect(fakes.sites.has('https://meet.example.org')).toBe(false);
    expect(fakes.calls.some((c) => c.startsWith('derive'))).toBe(false);
  });

  it('adds rooms to a site, switches the active one, forgets one, and caps their number', async () => {
    await handleUiMessage(enable, OPTIONS_SENDER);
    await handleUiMessage({ ...enable, room: 'Team A' }, OPTIONS_SENDER);
    const site = () => fakes.sites.get('https://meet.example.org') as SiteRecord;
    expect(site().rooms.map((r) => r.label)).toEqual(['', 'team a']);
    expect(site().activeRoom).toBe('team a');
    const origin = 'https://meet.example.org';
    expect(await handleUiMessage({ type: 'rooms/select', origin, room: '' }, OPTIONS_SENDER)).toEqual({ ok: true });
    expect(site().activeRoom).toBe('');
    expect(await handleUiMessage({ type: 'rooms/select', origin, room: 'nope' }, OPTIONS_SENDER)).toMatchObject({
      ok: false,
      field: 'room',
    });
    expect(await handleUiMessage({ type: 'rooms/forget', origin, room: '' }, OPTIONS_SENDER)).toEqual({ ok: true });
    expect(site().rooms.map((r) => r.label)).toEqual(['team a']);
    expect(site().activeRoom).toBe('team a'); // the only room left
    await handleUiMessage({ ...enable, room: 'b' }, OPTIONS_SENDER);
    await handleUiMessage({ ...enable, room: 'c' }, OPTIONS_SENDER);
    expect(await handleUiMessage({ ...enable, room: 'd' }, OPTIONS_SENDER)).toMatchObject({ ok: false, field: 'room' });
    expect(await handleUiMessage({ ...enable, room: 'c' }, OPTIONS_SENDER)).toEqual({ ok: true }); // re-key: fine
    expect(fakes.calls.filter((c) => c === `notify ${origin}`).length).toBeGreaterThanOrEqual(6);
  });

  it('lets a tab choose one of its site’s rooms', async () => {
    await handleUiMessage({ ...enable, room: 'team a' }, OPTIONS_SENDER);
    expect(await handleUiMessage({ type: 'tabs/select-room', tabId: 4, room: 'team a' }, OPTIONS_SENDER)).toEqual({
      ok: true,
    });
    expect(fakes.calls).toContain('tab 4 room "team a"');
    expect(await handleUiMessage({ type: 'tabs/select-room', tabId: 4, room: 'other' }, OPTIONS_SENDER)).toMatchObject({
      ok: false,
      field: 'room',
    });
    expect(await handleUiMessage({ type: 'tabs/select-room', tabId: 5, room: '' }, OPTIONS_SENDER)).toMatchObject({
      ok: false,
      error: 'That tab is gone.',
    });
  });

  it('leaves nothing behind when the registration fails', async () => {
    fakes.failRegistration = true;
    const answer = await handleUiMessage(enable, OPTIONS_SENDER);
    expect(answer).toEqual({ ok: false, error: expect.stringMatching(/Chrome said no/) });
    expect(JSON.stringify(answer)).not.toContain('correct horse');
    expect(fakes.sites.has('https://meet.example.org')).toBe(false);
    expect(fakes.calls).not.toContain('notify https://meet.example.org');
  });

  it('restores the previous key when re-keying fails', async () => {
    const previous = {
      origin: 'https://meet.example.org',
      enabledAt: 1,
      rooms: [{ label: '', roomKey: { old: true }, keyedAt: 1 }],
      activeRoom: '',
      problems: [],
    };
    fakes.sites.set(previous.origin, previous);
    fakes.failRegistration = true;
    expect(await handleUiMessage(enable, OPTIONS_SENDER)).toMatchObject({ ok: false });
    expect(fakes.sites.get('https://meet.example.org')).toBe(previous);
  });

  it('disables: forgets the key first, then unregisters, then tells the open frames', async () => {
    fakes.sites.set('http://127.0.0.1:8080', { origin: 'http://127.0.0.1:8080' });
    expect(await handleUiMessage({ type: 'sites/disable', origin: 'http://127.0.0.1:8080/' }, OPTIONS_SENDER)).toEqual({
      ok: true,
    });
    expect(fakes.calls).toEqual([
      'delete http://127.0.0.1:8080',
      'session forget http://127.0.0.1:8080',
      'unregister http://127.0.0.1:8080',
      'notify http://127.0.0.1:8080',
    ]);
  });

  it('clears a site’s problems (lifting a block for tampering), then re-keys its open frames', async () => {
    fakes.sites.set('https://meet.example.org', { origin: 'https://meet.example.org' });
    expect(
      await handleUiMessage({ type: 'sites/clear-problems', origin: 'https://meet.example.org' }, OPTIONS_SENDER),
    ).toEqual({ ok: true });
    expect(fakes.calls).toEqual(['clear-problems https://meet.example.org', 'notify https://meet.example.org']);
  });

  it('refuses to clear the problems of a site that is not enabled, and tells no frame', async () => {
    const response = await handleUiMessage({ type: 'sites/clear-problems', origin: 'https://a.org' }, OPTIONS_SENDER);
    expect(response).toMatchObject({ ok: false, field: 'origin', error: expect.stringContaining('https://a.org') });
    expect(fakes.calls).toEqual(['clear-problems https://a.org']);
  });

  it('lists sites after reconciling', async () => {
    fakes.sites.set('https://meet.example.org', {
      origin: 'https://meet.example.org',
      enabledAt: 5,
      rooms: [],
      activeRoom: '',
    });
    expect(await handleUiMessage({ type: 'sites/list' }, OPTIONS_SENDER)).toEqual({
      ok: true,
      sites: [{ origin: 'https://meet.example.org', enabledAt: 5, problems: [] }],
      revoked: [],
    });
    expect(fakes.calls[0]).toBe('reconcile');
  });
});

describe('handleUiMessage: keys kept in memory only (rememberKeys)', () => {
  const ORIGIN = 'https://meet.example.org';
  const enable = { type: 'sites/enable', origin: ORIGIN, passphrase: 'correct horse' };
  const settings = (rememberKeys: boolean) => ({ type: 'sites/settings', origin: ORIGIN, rememberKeys });

  it('turning it off forgets the stored keys at once: the site asks for its passphrase again', async () => {
    expect(await handleUiMessage(enable, OPTIONS_SENDER)).toEqual({ ok: true });
    fakes.calls.length = 0;
    expect(await handleUiMessage(settings(false), OPTIONS_SENDER)).toEqual({ ok: true });
    expect(fakes.sites.get(ORIGIN)).toMatchObject({ rememberKeys: false, rooms: [], activeRoom: '' });
    expect(fakes.calls).toEqual([`put ${ORIGIN}`, `notify ${ORIGIN}`]);
  });

  it('a passphrase entered then derives bytes once, keeps them in session memory, and wipes its copy', async () => {
    fakes.sites.set(ORIGIN, {
      origin: ORIGIN,
      enabledAt: 1,
      rooms: [],
      activeRoom: '',
      rememberKeys: false,
      problems: [],
    });
    const { deriveRoomKeyBytes } = await import('../../src/background/keys');
    expect(await handleUiMessage(enable, OPTIONS_SENDER)).toEqual({ ok: true });
    expect(fakes.calls).toContain(`derive bytes ${ORIGIN} ""`);
    expect(fakes.calls).toContain(`session put ${ORIGIN} "" 32 bytes`);
    expect(fakes.calls.some((c) => c.startsWith('derive https'))).toBe(false);
    const bytes = (await vi.mocked(deriveRoomKeyBytes).mock.results.at(-1)?.value) as Uint8Array;
    expect([...bytes]).toEqual(new Array(32).fill(0));
    expect(fakes.sites.get(ORIGIN)).toMatchObject({ rooms: [{ label: '', roomKey: { fake: 'imported room key' } }] });
  });

  it('a refused enable (too many rooms) keeps nothing in session memory and still wipes the bytes', async () => {
    const room = (label: string) => ({ label, roomKey: { fake: label } as unknown as CryptoKey, keyedAt: 1 });
    fakes.sites.set(ORIGIN, {
      origin: ORIGIN,
      enabledAt: 1,
      rooms: [room('a'), room('b'), room('c')],
      activeRoom: 'a',
      rememberKeys: false,
      problems: [],
    });
    const { deriveRoomKeyBytes } = await import('../../src/background/keys');
    expect(await handleUiMessage({ ...enable, room: 'd' }, OPTIONS_SENDER)).toMatchObject({ ok: false, field: 'room' });
    expect(fakes.calls.some((c) => c.startsWith('session put'))).toBe(false);
    const bytes = (await vi.mocked(deriveRoomKeyBytes).mock.results.at(-1)?.value) as Uint8Array;
    expect([...bytes]).toEqual(new Array(32).fill(0));
  });

  it('turning it on again keeps the keys (now stored) and forgets the memory copies', async () => {
    fakes.sites.set(ORIGIN, {
      origin: ORIGIN,
      enabledAt: 1,
      rooms: [{ label: '', roomKey: { fake: 'from session' } as unknown as CryptoKey, keyedAt: 1 }],
      activeRoom: '',
      rememberKeys: false,
      problems: [],
    });
    expect(await handleUiMessage(settings(true), OPTIONS_SENDER)).toEqual({ ok: true });
    expect(fakes.sites.get(ORIGIN)).toMatchObject({ rememberKeys: true, rooms: [{ label: '' }] });
    expect(fakes.calls).toEqual([`put ${ORIGIN}`, `notify ${ORIGIN}`, `session forget ${ORIGIN}`]);
  });

  it('disabling the site forgets its memory keys too', async () => {
    expect(await handleUiMessage(enable, OPTIONS_SENDER)).toEqual({ ok: true });
    expect(await handleUiMessage({ type: 'sites/disable', origin: ORIGIN }, OPTIONS_SENDER)).toEqual({ ok: true });
    expect(fakes.calls).toContain(`session forget ${ORIGIN}`);
  });

  it('refuses a rememberKeys that is not a boolean', async () => {
    const answer = await handleUiMessage({ ...settings(true), rememberKeys: 'no' }, OPTIONS_SENDER);
    expect(answer).toMatchObject({ ok: false });
  });
});

describe('handleUiMessage: status/get', () => {
  it('returns the tab statuses kept in storage.session, and nothing else', async () => {
    const tab = (tabId: number) => ({
      tabId,
      origin: 'https://meet.example.org',
      transforms: [],
      problems: [],
      updatedAt: 1,
    });
    fakes.session = {
      'tab:12': tab(12),
      'tab:3': tab(3),
      selfTest: { ok: true },
      'tab:x': tab(99),
      'tab:7': { tabId: 'seven' },
    };
    expect(await handleUiMessage({ type: 'status/get' }, OPTIONS_SENDER)).toEqual({
      ok: true,
      tabs: [tab(3), tab(12)],
    });
  });
});
