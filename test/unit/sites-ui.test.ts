/**
 * The background's answers to the extension's pages (src/background/ui-handler.ts and the modules it calls) over the
 * real sites store (src/background/sites.ts, in fake-indexeddb) and the real session keys (over a fake
 * `storage.session`): who may ask, how every field is checked, and the order of the steps of enabling and disabling a
 * site. The sites store and the session keys are observed, not replaced: each write is logged, then done. Faked are
 * the browser APIs, the script registration and the bridge ports, and the room key derivation (keys.test.ts tests the
 * real one). The real thing, through the real options page, is tested in test/browser/options.test.ts.
 */
import 'fake-indexeddb/auto';
import './web-locks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_ROOMS_PER_SITE, PERMISSION_POLL_MS, PERMISSION_WAIT_MS } from '../../src/background/constants';
import type { SiteRecord } from '../../src/background/site-record';

const EXTENSION_ID = 'abcdefghijklmnopabcdefghijklmnop';
const BASE_URL = `chrome-extension://${EXTENSION_ID}/`;
const OPTIONS_SENDER = { id: EXTENSION_ID, url: `${BASE_URL}src/options/index.html`, origin: BASE_URL.slice(0, -1) };

const fakes = vi.hoisted(() => ({
  calls: [] as string[],
  session: new Map<string, unknown>(),
  permission: true,
  failRegistration: false,
}));

vi.mock('webextension-polyfill', async () => ({
  default: {
    // The UI's English, from the same message fragments the build ships.
    i18n: { getMessage: (await import('../dom/i18n')).getMessage },
    runtime: {
      id: 'abcdefghijklmnopabcdefghijklmnop',
      getURL: (path: string) => `chrome-extension://abcdefghijklmnopabcdefghijklmnop/${path}`,
    },
    storage: {
      session: (await import('./fake-session-storage')).fakeSessionStorage(fakes.session),
    },
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

vi.mock('../../src/background/keys', async (importOriginal) => {
  const keys = await importOriginal<typeof import('../../src/background/keys')>();
  return {
    ...keys,
    // The real derivation is tested in keys.test.ts; here it would only cost 0.3 s per call. A real key all the same
    // (the store takes nothing else), one per room, so a test can tell which key a room holds.
    deriveRoomKey: vi.fn(async (origin: string, room: string) => {
      fakes.calls.push(`derive ${origin} ${JSON.stringify(room)}`);
      return keys.importRoomKey(fastRoomKeyBytes(room));
    }),
    deriveRoomKeyBytes: vi.fn(async (origin: string, room: string) => {
      fakes.calls.push(`derive bytes ${origin} ${JSON.stringify(room)}`);
      return new Uint8Array(32).fill(7);
    }),
  };
});

/** The bytes of the stand-in room key of `room` (any 32 bytes would do; these differ by room). */
function fastRoomKeyBytes(room: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(32);
  new TextEncoder().encodeInto(`room:${room}`, bytes);
  return bytes;
}

// The real session keys and sites store, each write logged first.
vi.mock('../../src/background/session-keys', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/background/session-keys')>();
  return {
    ...real,
    putSessionRoomKey: async (origin: string, room: string, bytes: Uint8Array) => {
      fakes.calls.push(`session put ${origin} ${JSON.stringify(room)} ${bytes.length} bytes`);
      return real.putSessionRoomKey(origin, room, bytes);
    },
    forgetSessionRoomKeys: async (origin: string, room?: string) => {
      fakes.calls.push(`session forget ${origin}${room === undefined ? '' : ` ${JSON.stringify(room)}`}`);
      return real.forgetSessionRoomKeys(origin, room);
    },
  };
});

vi.mock('../../src/background/sites', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/background/sites')>();
  return {
    ...real,
    putSite: async (record: SiteRecord) => {
      fakes.calls.push(`put ${record.origin}`);
      return real.putSite(record);
    },
    deleteSite: async (origin: string) => {
      fakes.calls.push(`delete ${origin}`);
      return real.deleteSite(origin);
    },
    forgetRevoked: async (origin: string) => {
      fakes.calls.push(`forget-revoked ${origin}`);
      return real.forgetRevoked(origin);
    },
    clearProblems: async (origin: string) => {
      fakes.calls.push(`clear-problems ${origin}`);
      return real.clearProblems(origin);
    },
  };
});

const { handleUiMessage } = await import('../../src/background/ui-handler');
const { isExtensionPageSender, isUiRequestMessage, parseUiRequest } = await import(
  '../../src/background/ui-request-check'
);
const { deleteSite, getSite, listRevoked, listSites, forgetRevoked, noteRevoked, putSite } = await import(
  '../../src/background/sites'
);
const { importRoomKey, safetyWords } = await import('../../src/background/keys');
const { putSessionRoomKey } = await import('../../src/background/session-keys');

/** A room of a stored site, with the stand-in key of its label. */
async function room(label: string, keyedAt = 1) {
  return { label, roomKey: await importRoomKey(fastRoomKeyBytes(label)), keyedAt };
}

/** Stores a site as enabling it would have; rooms whose keys are kept in memory get them there too. */
async function storeSite(site: Partial<SiteRecord> & { origin: string }): Promise<void> {
  const record: SiteRecord = { enabledAt: 1, rooms: [], activeRoom: '', problems: [], ...site };
  if (record.rememberKeys === false) {
    for (const r of record.rooms) await putSessionRoomKey(record.origin, r.label, fastRoomKeyBytes(r.label));
  }
  await putSite(record);
}

beforeEach(async () => {
  // Failures are logged for the developer; the answers are what is tested here.
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  // A fresh store: what an earlier test enabled is gone (through the store's own API, so its connection stays open).
  for (const site of await listSites()) await deleteSite(site.origin);
  for (const revoked of await listRevoked()) await forgetRevoked(revoked.origin);
  fakes.calls.length = 0;
  fakes.session.clear();
  fakes.permission = true;
  fakes.failRegistration = false;
});

afterEach(() => {
  vi.useRealTimers();
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
  const ORIGIN = 'https://meet.example.org';
  const enable = { type: 'sites/enable', origin: ORIGIN, passphrase: 'correct horse' };

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
    const site = await getSite(ORIGIN);
    expect(site).toMatchObject({ origin: ORIGIN, rooms: [{ label: '' }], activeRoom: '', problems: [] });
    // The key the derivation gave, as stored.
    expect(await safetyWords(site?.rooms[0]?.roomKey as CryptoKey)).toEqual(
      await safetyWords((await room('')).roomKey),
    );
  });

  it('enabling a site it had turned off (permission removed) drops the notice', async () => {
    await noteRevoked([ORIGIN]);
    expect(await handleUiMessage(enable, OPTIONS_SENDER)).toEqual({ ok: true });
    expect(await listRevoked()).toEqual([]);
  });

  it('waitForPermission: finishes by itself once the permission comes (the popup may have closed)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    fakes.permission = false;
    const answer = handleUiMessage({ ...enable, waitForPermission: true }, OPTIONS_SENDER);
    await vi.advanceTimersByTimeAsync(PERMISSION_WAIT_MS / 2);
    expect(fakes.calls.some((c) => c.startsWith('derive'))).toBe(false); // still waiting
    fakes.permission = true;
    await vi.advanceTimersByTimeAsync(PERMISSION_POLL_MS);
    expect(await answer).toEqual({ ok: true });
    expect(await getSite(ORIGIN)).toBeDefined();
  });

  it('waitForPermission: gives up after PERMISSION_WAIT_MS, and a later grant enables nothing', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    fakes.permission = false;
    const answer = handleUiMessage({ ...enable, waitForPermission: true }, OPTIONS_SENDER);
    await vi.advanceTimersByTimeAsync(PERMISSION_WAIT_MS + PERMISSION_POLL_MS);
    expect(await answer).toMatchObject({ ok: false, field: 'origin' });
    fakes.permission = true;
    await vi.advanceTimersByTimeAsync(PERMISSION_POLL_MS);
    expect(await getSite(ORIGIN)).toBeUndefined();
  });

  it('waitForPermission: a cancelled wait (permission refused) enables nothing, even if granted later', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    fakes.permission = false;
    const waiting = handleUiMessage({ ...enable, waitForPermission: true }, OPTIONS_SENDER);
    await vi.advanceTimersByTimeAsync(100);
    expect(await handleUiMessage({ type: 'sites/cancel-enable', origin: ORIGIN }, OPTIONS_SENDER)).toEqual({
      ok: true,
    });
    await vi.advanceTimersByTimeAsync(PERMISSION_POLL_MS);
    expect(await waiting).toMatchObject({ ok: false, field: 'origin' });
    fakes.permission = true;
    await vi.advanceTimersByTimeAsync(PERMISSION_POLL_MS);
    expect(await getSite(ORIGIN)).toBeUndefined();
    expect(fakes.calls.some((c) => c.startsWith('derive'))).toBe(false);
  });

  it('adds rooms to a site, switches the active one, forgets one, and caps their number', async () => {
    await handleUiMessage(enable, OPTIONS_SENDER);
    await handleUiMessage({ ...enable, room: 'Team A' }, OPTIONS_SENDER);
    const site = async () => (await getSite(ORIGIN)) as SiteRecord;
    expect((await site()).rooms.map((r) => r.label)).toEqual(['', 'team a']);
    expect((await site()).activeRoom).toBe('team a');
    expect(await handleUiMessage({ type: 'rooms/select', origin: ORIGIN, room: '' }, OPTIONS_SENDER)).toEqual({
      ok: true,
    });
    expect((await site()).activeRoom).toBe('');
    expect(await handleUiMessage({ type: 'rooms/select', origin: ORIGIN, room: 'nope' }, OPTIONS_SENDER)).toMatchObject(
      { ok: false, field: 'room' },
    );
    expect(await handleUiMessage({ type: 'rooms/forget', origin: ORIGIN, room: '' }, OPTIONS_SENDER)).toEqual({
      ok: true,
    });
    expect((await site()).rooms.map((r) => r.label)).toEqual(['team a']);
    expect((await site()).activeRoom).toBe('team a'); // the only room left
    for (let n = 2; n <= MAX_ROOMS_PER_SITE; n++) {
      expect(await handleUiMessage({ ...enable, room: `room ${n}` }, OPTIONS_SENDER)).toEqual({ ok: true });
    }
    expect((await site()).rooms).toHaveLength(MAX_ROOMS_PER_SITE);
    expect(await handleUiMessage({ ...enable, room: 'one too many' }, OPTIONS_SENDER)).toMatchObject({
      ok: false,
      field: 'room',
    });
    expect(await handleUiMessage({ ...enable, room: 'room 2' }, OPTIONS_SENDER)).toEqual({ ok: true }); // re-key: fine
    expect(fakes.calls.filter((c) => c === `notify ${ORIGIN}`).length).toBeGreaterThanOrEqual(6);
  });

  it('two enables at once keep both rooms: the sites lock keeps their read-modify-writes apart', async () => {
    const answers = await Promise.all(
      ['a', 'b', 'c'].map((label) => handleUiMessage({ ...enable, room: label }, OPTIONS_SENDER)),
    );
    expect(answers).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect((await getSite(ORIGIN))?.rooms.map((r) => r.label).sort()).toEqual(['a', 'b', 'c']);
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
    expect(await getSite(ORIGIN)).toBeUndefined();
    expect(fakes.calls).not.toContain(`notify ${ORIGIN}`);
  });

  it('restores the previous key when re-keying fails', async () => {
    await storeSite({ origin: ORIGIN, enabledAt: 1, rooms: [await room('old', 1)], activeRoom: 'old' });
    fakes.failRegistration = true;
    expect(await handleUiMessage({ ...enable, room: 'old' }, OPTIONS_SENDER)).toMatchObject({ ok: false });
    const site = await getSite(ORIGIN);
    expect(site).toMatchObject({ enabledAt: 1, activeRoom: 'old', rooms: [{ label: 'old', keyedAt: 1 }] });
    expect(await safetyWords(site?.rooms[0]?.roomKey as CryptoKey)).toEqual(
      await safetyWords((await room('old')).roomKey),
    );
  });

  it('disables: forgets the key first, then unregisters, then tells the open frames', async () => {
    await storeSite({ origin: 'http://127.0.0.1:8080', rooms: [await room('')] });
    fakes.calls.length = 0;
    expect(await handleUiMessage({ type: 'sites/disable', origin: 'http://127.0.0.1:8080/' }, OPTIONS_SENDER)).toEqual({
      ok: true,
    });
    expect(fakes.calls).toEqual([
      'delete http://127.0.0.1:8080',
      'session forget http://127.0.0.1:8080',
      'unregister http://127.0.0.1:8080',
      'notify http://127.0.0.1:8080',
    ]);
    expect(await getSite('http://127.0.0.1:8080')).toBeUndefined();
  });

  it('clears a site’s problems (lifting a block for tampering), then re-keys its open frames', async () => {
    await storeSite({ origin: ORIGIN, problems: ['tampering_blocked'] });
    fakes.calls.length = 0;
    expect(await handleUiMessage({ type: 'sites/clear-problems', origin: ORIGIN }, OPTIONS_SENDER)).toEqual({
      ok: true,
    });
    expect(fakes.calls).toEqual([`clear-problems ${ORIGIN}`, `notify ${ORIGIN}`]);
    expect((await getSite(ORIGIN))?.problems).toEqual([]);
  });

  it('refuses to clear the problems of a site that is not enabled, and tells no frame', async () => {
    const response = await handleUiMessage({ type: 'sites/clear-problems', origin: 'https://a.org' }, OPTIONS_SENDER);
    expect(response).toMatchObject({ ok: false, field: 'origin', error: expect.stringContaining('https://a.org') });
    expect(fakes.calls).toEqual(['clear-problems https://a.org']);
  });

  it('lists sites after reconciling', async () => {
    await storeSite({ origin: ORIGIN, enabledAt: 5 });
    fakes.calls.length = 0;
    expect(await handleUiMessage({ type: 'sites/list' }, OPTIONS_SENDER)).toEqual({
      ok: true,
      sites: [
        {
          origin: ORIGIN,
          enabledAt: 5,
          rooms: [],
          activeRoom: '',
          strict: false,
          indicator: true,
          rememberKeys: true,
          problems: [],
        },
      ],
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
    expect(await getSite(ORIGIN)).toMatchObject({ rememberKeys: false, rooms: [], activeRoom: '' });
    expect(fakes.calls).toEqual([`put ${ORIGIN}`, `notify ${ORIGIN}`]);
  });

  it('a passphrase entered then derives bytes once, keeps them in session memory, and wipes its copy', async () => {
    await storeSite({ origin: ORIGIN, rememberKeys: false });
    fakes.calls.length = 0;
    const { deriveRoomKeyBytes } = await import('../../src/background/keys');
    expect(await handleUiMessage(enable, OPTIONS_SENDER)).toEqual({ ok: true });
    expect(fakes.calls).toContain(`derive bytes ${ORIGIN} ""`);
    expect(fakes.calls).toContain(`session put ${ORIGIN} "" 32 bytes`);
    expect(fakes.calls.some((c) => c.startsWith('derive https'))).toBe(false);
    const bytes = (await vi.mocked(deriveRoomKeyBytes).mock.results.at(-1)?.value) as Uint8Array;
    expect([...bytes]).toEqual(new Array(32).fill(0));
    // The room's key comes back from session memory: the derived bytes' key.
    const site = await getSite(ORIGIN);
    expect(site?.rooms.map((r) => r.label)).toEqual(['']);
    const derived = await importRoomKey(new Uint8Array(32).fill(7));
    expect(await safetyWords(site?.rooms[0]?.roomKey as CryptoKey)).toEqual(await safetyWords(derived));
  });

  it('a refused enable (too many rooms) keeps nothing in session memory and still wipes the bytes', async () => {
    const labels = Array.from({ length: MAX_ROOMS_PER_SITE }, (_, n) => `room ${n}`);
    await storeSite({
      origin: ORIGIN,
      rooms: await Promise.all(labels.map((label) => room(label))),
      activeRoom: 'room 0',
      rememberKeys: false,
    });
    fakes.calls.length = 0;
    const { deriveRoomKeyBytes } = await import('../../src/background/keys');
    expect(await handleUiMessage({ ...enable, room: 'one too many' }, OPTIONS_SENDER)).toMatchObject({
      ok: false,
      field: 'room',
    });
    expect(fakes.calls.some((c) => c.startsWith('session put'))).toBe(false);
    const bytes = (await vi.mocked(deriveRoomKeyBytes).mock.results.at(-1)?.value) as Uint8Array;
    expect([...bytes]).toEqual(new Array(32).fill(0));
  });

  it('turning it on again keeps the keys (now stored) and forgets the memory copies', async () => {
    await storeSite({ origin: ORIGIN, rooms: [await room('')], rememberKeys: false });
    fakes.calls.length = 0;
    expect(await handleUiMessage(settings(true), OPTIONS_SENDER)).toEqual({ ok: true });
    expect(fakes.calls).toEqual([`put ${ORIGIN}`, `notify ${ORIGIN}`, `session forget ${ORIGIN}`]);
    expect([...fakes.session.keys()].filter((key) => key.startsWith('roomkey:'))).toEqual([]);
    // The key is in the store now, where the session copy was.
    const site = await getSite(ORIGIN);
    expect(site).toMatchObject({ rememberKeys: true, rooms: [{ label: '' }] });
    expect(await safetyWords(site?.rooms[0]?.roomKey as CryptoKey)).toEqual(
      await safetyWords((await room('')).roomKey),
    );
  });

  it('disabling the site forgets its memory keys too', async () => {
    await storeSite({ origin: ORIGIN, rooms: [await room('')], rememberKeys: false });
    expect(await handleUiMessage({ type: 'sites/disable', origin: ORIGIN }, OPTIONS_SENDER)).toEqual({ ok: true });
    expect(fakes.calls).toContain(`session forget ${ORIGIN}`);
    expect([...fakes.session.keys()].filter((key) => key.startsWith('roomkey:'))).toEqual([]);
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
    for (const [key, value] of Object.entries({
      'tab:12': tab(12),
      'tab:3': tab(3),
      selfTest: { ok: true },
      'tab:x': tab(99),
      'tab:7': { tabId: 'seven' },
    })) {
      fakes.session.set(key, value);
    }
    expect(await handleUiMessage({ type: 'status/get' }, OPTIONS_SENDER)).toEqual({
      ok: true,
      tabs: [tab(3), tab(12)],
    });
  });
});

describe('the sites store: records are checked when read', () => {
  const ORIGIN = 'https://meet.example.org';

  /** Writes `value` straight into IndexedDB, past `putSite`'s check (as a bug, or another version, could have). */
  async function storeRaw(value: unknown): Promise<void> {
    await listSites(); // the store's own connection has created the database at its version
    const { openDB } = await import('idb');
    const { DB_NAME, DB_VERSION } = await import('../../src/background/sites');
    const db = await openDB(DB_NAME, DB_VERSION);
    await db.put('sites', value);
    db.close();
  }

  it('reads back what it stored', async () => {
    await storeSite({ origin: ORIGIN, rooms: [await room('a')], activeRoom: 'a', strict: true });
    expect(await getSite(ORIGIN)).toMatchObject({ origin: ORIGIN, activeRoom: 'a', strict: true, indicator: true });
  });

  it.each([
    [
      'a room key that is not a CryptoKey',
      async () => ({ rooms: [{ label: '', roomKey: { fake: true }, keyedAt: 1 }] }),
    ],
    ['a room label not in its normal form', async () => ({ rooms: [{ ...(await room('a')), label: 'A' }] })],
    [
      'a room key on a site that keeps keys in memory only',
      async () => ({ rooms: [await room('')], rememberKeys: false }),
    ],
    ['an unknown problem', async () => ({ problems: ['bored'] })],
    ['an enabledAt that is not finite', async () => ({ enabledAt: Number.POSITIVE_INFINITY })],
    ['two rooms with one label', async () => ({ rooms: [await room('a'), await room('a')] })],
  ])('ignores a damaged record (%s), and says so', async (_name, damage) => {
    await storeRaw({ origin: ORIGIN, enabledAt: 1, rooms: [], activeRoom: '', problems: [], ...(await damage()) });
    expect(await getSite(ORIGIN)).toBeUndefined();
    expect(await listSites()).toEqual([]);
    expect(console.error).toHaveBeenCalledWith(expect.stringContaining(`damaged site record for ${ORIGIN}`));
  });

  it('refuses to store a record that is not one', async () => {
    const record = { origin: ORIGIN, enabledAt: 1, rooms: [], activeRoom: '', problems: ['bored'] };
    await expect(putSite(record as unknown as SiteRecord)).rejects.toThrow(TypeError);
    expect(await getSite(ORIGIN)).toBeUndefined();
  });
});
