/**
 * The background's trust boundaries with a fake extension API: who may send runtime messages and open bridge ports,
 * and that everything refused is counted (`diagnostics/get`). Malformed, oversized, wrongly typed and spoofed
 * messages go through the real handlers (src/background/runtime-messages.ts, bridge-port.ts, ui-handler.ts); only
 * storage of sites and keys is faked (and the Web Locks of Node's missing `navigator.locks` stood in for). What a real
 * hostile page can do in Chromium is tested in test/browser/hostile.test.ts.
 */
import './web-locks';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { type RejectionReason, SITES_REVISION_KEY } from '../../src/shared/messages';
import { transformStats } from '../transform-stats';

const EXTENSION_ID = 'abcdefghijklmnopabcdefghijklmnop';
const BASE_URL = `chrome-extension://${EXTENSION_ID}/`;
const OPTIONS_SENDER = { id: EXTENSION_ID, url: `${BASE_URL}src/options/index.html`, origin: BASE_URL.slice(0, -1) };
const ENABLED = 'https://meet.example.org';
const NOT_ENABLED = 'https://evil.example.net';

/** A content script's sender as Chrome fills it in: our id, the tab, the frame and the page's URL and origin. */
function contentSender(origin: string, overrides: Record<string, unknown> = {}) {
  return { id: EXTENSION_ID, url: `${origin}/call`, origin, tab: { id: 7 }, frameId: 0, ...overrides };
}

const fakes = vi.hoisted(() => ({
  session: new Map<string, unknown>(),
  /** Origins the fake sites store holds, with a room key each. */
  enabled: new Set<string>(),
  /** Origins blocked for tampering (`tampering_blocked` among their problems). */
  blocked: new Set<string>(),
  problems: [] as string[],
}));

vi.mock('webextension-polyfill', async () => {
  const none = { addListener() {} };
  return {
    default: {
      i18n: { getMessage: (await import('../dom/i18n')).getMessage },
      runtime: {
        id: 'abcdefghijklmnopabcdefghijklmnop',
        getURL: (path: string) => `chrome-extension://abcdefghijklmnopabcdefghijklmnop/${path}`,
        getManifest: () => ({ version: '0.1.0' }),
      },
      storage: {
        session: (await import('./fake-session-storage')).fakeSessionStorage(fakes.session),
      },
      action: { setTitle: async () => {}, setBadgeBackgroundColor: async () => {}, setBadgeText: async () => {} },
      tabs: { onRemoved: none },
    },
  };
});

vi.mock('../../src/background/sites', () => {
  const site = (origin: string) => ({
    origin,
    enabledAt: 1,
    rooms: [{ label: '', roomKey: { fake: true }, keyedAt: 1 }],
    activeRoom: '',
    problems: fakes.blocked.has(origin) ? ['tampering_blocked'] : [],
  });
  return {
    MAX_ROOMS_PER_SITE: 16,
    getSite: async (origin: string) => (fakes.enabled.has(origin) ? site(origin) : undefined),
    roomOf: (s: { rooms: { label: string }[]; activeRoom: string }, label = s.activeRoom) =>
      s.rooms.find((room) => room.label === label),
    addProblem: async (origin: string, problem: string) => {
      const added = fakes.enabled.has(origin) && !fakes.problems.includes(`${origin} ${problem}`);
      fakes.problems.push(`${origin} ${problem}`);
      if (problem === 'tampering_blocked' && fakes.enabled.has(origin)) fakes.blocked.add(origin);
      return added;
    },
    listSites: async () => [],
    listRevoked: async () => [],
  };
});

vi.mock('../../src/background/keys', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/background/keys')>()),
  // A recognisable epoch key: tests look for it in what a port was sent.
  epochKeyBytes: async () => new Uint8Array(16).fill(0xab),
  // The fake room key is no CryptoKey: the room tag is derived from it just as little.
  roomTagBytes: async () => new Uint8Array(16).fill(0xcd),
}));

vi.mock('../../src/background/registration', () => ({
  hasSitePermission: async () => true,
  reconcile: async () => ({ revoked: [], registered: [], unregistered: [] }),
  registerSite: async () => {},
  unregisterSite: async () => {},
}));

const { onRuntimeMessage } = await import('../../src/background/runtime-messages');
const { handleBridgePort } = await import('../../src/background/bridge-port');
const { BRIDGE_PORT_NAME } = await import('../../src/shared/messages');
const { flushRejections, rejectionCounts } = await import('../../src/background/rejections');

/** Sends a runtime message the way Chrome would; resolves with the answer, or `'no answer'`. */
async function runtimeMessage(message: unknown, sender: Record<string, unknown>): Promise<unknown> {
  let respond: (value: unknown) => void = () => {};
  const answered = new Promise((resolve) => {
    respond = resolve;
  });
  const claimed = onRuntimeMessage(message, sender, (response) => respond(response));
  return claimed === true ? answered : 'no answer';
}

interface FakePort {
  name: string;
  sender: Record<string, unknown>;
  posted: unknown[];
  disconnected: boolean;
  send(message: unknown): void;
}

/** Opens a runtime port to the background as `sender`. */
function connect(sender: Record<string, unknown>, name = BRIDGE_PORT_NAME): FakePort {
  const listeners: ((message: unknown) => void)[] = [];
  const fake: FakePort = {
    name,
    sender,
    posted: [],
    disconnected: false,
    send: (message) => {
      for (const listener of listeners) listener(message);
    },
  };
  const port = {
    name,
    sender,
    postMessage: (message: unknown) => fake.posted.push(structuredClone(message)),
    disconnect: () => {
      fake.disconnected = true;
    },
    onMessage: { addListener: (listener: (message: unknown) => void) => listeners.push(listener) },
    onDisconnect: { addListener: () => {} },
  };
  handleBridgePort(port as unknown as Parameters<typeof handleBridgePort>[0]);
  return fake;
}

async function count(reason: RejectionReason): Promise<number> {
  return (await rejectionCounts()).counts[reason];
}

/** Waits until `reason` was counted `expected` times in all (ports handle messages asynchronously). */
async function expectCount(reason: RejectionReason, expected: number): Promise<void> {
  await vi.waitFor(async () => expect(await count(reason)).toBe(expected), { timeout: 2_000, interval: 10 });
}

const stats = (id: string) => transformStats({ id, protected: 1, status: 'encrypted' });

beforeEach(async () => {
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  await flushRejections();
  fakes.session.clear();
  fakes.enabled = new Set([ENABLED]);
  fakes.blocked.clear();
  fakes.problems.length = 0;
});

describe('runtime messages: only the extension’s own pages are answered', () => {
  it('answers a UI request from a content script with a refusal, does nothing, and counts it', async () => {
    for (const message of [
      { type: 'sites/list' },
      { type: 'sites/disable', origin: ENABLED },
      { type: 'diagnostics/get' },
    ]) {
      expect(await runtimeMessage(message, contentSender(ENABLED))).toEqual({
        ok: false,
        error: "Refused: only Framelock's own pages may send this request.",
      });
    }
    expect(await count('ui_sender')).toBe(3);
  });

  it.each([
    [
      'another extension',
      { id: 'ponmlkjihgfedcbaponmlkjihgfedcba', url: 'chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba/x.html' },
    ],
    ['our id with a web page URL and no tab', { id: EXTENSION_ID, url: `${ENABLED}/`, origin: ENABLED }],
    ['no sender id', { url: `${BASE_URL}src/options/index.html` }],
  ])('refuses a UI request from %s', async (_, sender) => {
    expect(await runtimeMessage({ type: 'status/get' }, sender)).toMatchObject({ ok: false });
    expect(await count('ui_sender')).toBe(1);
  });

  it('gives a control message from a content script no answer, and counts it', async () => {
    expect(await runtimeMessage({ type: 'framelock/ping' }, contentSender(ENABLED))).toBe('no answer');
    expect(await runtimeMessage({ type: 'framelock/self-test' }, contentSender(NOT_ENABLED))).toBe('no answer');
    expect(await count('runtime_sender')).toBe(2);
    expect(await runtimeMessage({ type: 'framelock/ping' }, OPTIONS_SENDER)).toEqual({ ok: true, version: '0.1.0' });
    expect(await count('runtime_sender')).toBe(2);
  });

  it.each([
    ['a string', 'sites/list'],
    ['null', null],
    ['an array', [{ type: 'sites/list' }]],
    ['an unknown type', { type: 'keys/export' }],
    ['a type of the wrong type', { type: ['sites/list'] }],
  ])('gives %s no answer, and counts it', async (_, message) => {
    expect(await runtimeMessage(message, OPTIONS_SENDER)).toBe('no answer');
    expect(await count('runtime_unknown')).toBe(1);
  });

  it('counts a malformed, oversized or wrongly typed UI request from our own pages as invalid', async () => {
    const bad = [
      { type: 'sites/enable', origin: ENABLED, passphrase: 'x'.repeat(1025) },
      { type: 'sites/enable', origin: 'x'.repeat(100_000), passphrase: 'p' },
      { type: 'sites/enable', origin: ENABLED, passphrase: 'p', room: 'r'.repeat(1_000_000) },
      { type: 'sites/settings', origin: ENABLED, strict: 'yes' },
      { type: 'tabs/select-room', tabId: 2 ** 60, room: '' },
      { type: 'status/get', tabs: [] },
      { type: 'diagnostics/get', reset: true },
    ];
    for (const message of bad) expect(await runtimeMessage(message, OPTIONS_SENDER)).toMatchObject({ ok: false });
    expect(await count('ui_invalid')).toBe(bad.length);
  });

  it('diagnostics/get: every reason, and what was counted', async () => {
    await runtimeMessage({ type: 'framelock/ping' }, contentSender(ENABLED));
    const answer = (await runtimeMessage({ type: 'diagnostics/get' }, OPTIONS_SENDER)) as {
      ok: boolean;
      rejections: { counts: Record<string, number>; since: number };
    };
    expect(answer.ok).toBe(true);
    expect(answer.rejections.counts).toMatchObject({ runtime_sender: 1, ui_sender: 0, port_invalid: 0 });
    expect(Object.keys(answer.rejections.counts)).toHaveLength(13);
    expect(answer.rejections.since).toBeLessThanOrEqual(Date.now());
  });
});

describe('bridge ports: only our content scripts, in tabs of enabled origins', () => {
  it('keys a bridge of an enabled origin and takes its counters', async () => {
    const port = connect(contentSender(ENABLED));
    await vi.waitFor(() => expect(port.posted).toContainEqual(expect.objectContaining({ type: 'epoch-keys' })));
    port.send({ type: 'stats', stats: [stats('receive-video-1')] });
    await vi.waitFor(() =>
      expect((fakes.session.get('tab:7') as { transforms: { id: string }[] } | undefined)?.transforms).toEqual([
        expect.objectContaining({ id: '0/receive-video-1' }),
      ]),
    );
    expect(port.disconnected).toBe(false);
  });

  it.each([
    ['another extension', contentSender(ENABLED, { id: 'ponmlkjihgfedcbaponmlkjihgfedcba' })],
    ['an extension page (no tab)', { id: EXTENSION_ID, url: `${BASE_URL}x.html`, origin: BASE_URL.slice(0, -1) }],
    ['a frame of our own origin in a tab', contentSender(BASE_URL.slice(0, -1))],
    ['a file: page', contentSender('file://', { url: 'file:///home/me/call.html', origin: 'null' })],
    ['a frame with an opaque origin', contentSender('null', { url: 'data:text/html,x' })],
    ['a tab id that is not a tab id', contentSender(ENABLED, { tab: { id: -1 } })],
    ['no sender at all', {}],
  ])('disconnects %s, sends it nothing, and counts it', async (_, sender) => {
    const port = connect(sender);
    expect(port.disconnected).toBe(true);
    expect(port.posted).toEqual([]);
    expect(await count('port_sender')).toBe(1);
  });

  it('disconnects a port with another name, and counts it', async () => {
    const port = connect(contentSender(ENABLED), 'framelock-bridge-v0');
    expect(port.disconnected).toBe(true);
    expect(await count('port_name')).toBe(1);
  });

  it('gives a tab of an origin that is not enabled no key, and refuses and counts everything it sends', async () => {
    const port = connect(contentSender(NOT_ENABLED));
    await vi.waitFor(() => expect(port.posted).toEqual([{ type: 'no-key' }]));
    port.send({ type: 'stats', stats: [stats('send-video-1')] });
    port.send({ type: 'epoch-keys-request', epochs: [1, 2] });
    port.send({ type: 'problem', problem: 'worker_blocked' });
    port.send({ type: 'rejections', counts: { worker_invalid: 1000 } });
    await expectCount('port_not_enabled', 4);
    expect(port.posted).toEqual([{ type: 'no-key' }]); // no epoch key, even when asked
    expect(fakes.session.has('tab:7')).toBe(false);
    expect(fakes.problems).toEqual([]);
    expect(await count('worker_invalid')).toBe(0);
  });

  it('refuses the messages of a site disabled after its tab connected, and takes the tab off the badge', async () => {
    const port = connect(contentSender(ENABLED));
    port.send({ type: 'stats', stats: [stats('receive-video-1')] });
    await vi.waitFor(() => expect(fakes.session.has('tab:7')).toBe(true));
    fakes.enabled.delete(ENABLED);
    const { notifySiteChanged } = await import('../../src/background/bridge-port');
    await notifySiteChanged(ENABLED);
    await vi.waitFor(() => expect((fakes.session.get('tab:7') as { transforms: unknown[] }).transforms).toEqual([]));
    port.send({ type: 'stats', stats: [stats('receive-video-1')] });
    await expectCount('port_not_enabled', 1);
    expect((fakes.session.get('tab:7') as { transforms: unknown[] }).transforms).toEqual([]);
  });

  it.each([
    ['not an object', 'stats'],
    ['an array', [{ type: 'stats', stats: [] }]],
    ['an unknown type', { type: 'epoch-keys', keys: [] }],
    ['an extra field', { type: 'stats', stats: [], origin: ENABLED }],
    [
      'counters with an extra, oversized field',
      { type: 'stats', stats: [{ ...stats('a'), junk: 'x'.repeat(1 << 20) }] },
    ],
    ['too many counters', { type: 'stats', stats: Array.from({ length: 257 }, (_, i) => stats(`s${i}`)) }],
    ['a counter that is text', { type: 'stats', stats: [{ ...stats('a'), protected: '1' }] }],
    ['an oversized id', { type: 'stats', stats: [stats('x'.repeat(65))] }],
    ['no epochs', { type: 'epoch-keys-request', epochs: [] }],
    ['too many epochs', { type: 'epoch-keys-request', epochs: [1, 2, 3, 4, 5] }],
    ['a negative epoch', { type: 'epoch-keys-request', epochs: [-1] }],
    ['an epoch that is text', { type: 'epoch-keys-request', epochs: ['1'] }],
    ['an unknown problem', { type: 'problem', problem: 'everything_fine' }],
    ['a problem only the background may claim', { type: 'problem', problem: 'no_room_key' }],
    ['a clock problem within the tolerance', { type: 'problem', problem: 'clock_skew', detail: '1' }],
    ['a clock problem that is not a distance', { type: 'problem', problem: 'clock_skew', detail: '-12' }],
    [
      'a frame origin that is not an origin',
      { type: 'problem', problem: 'cross_origin_frame', detail: 'javascript:alert(1)' },
    ],
    [
      'an oversized frame origin',
      { type: 'problem', problem: 'cross_origin_frame', detail: `https://${'a'.repeat(5000)}` },
    ],
    ['a detail on a problem without one', { type: 'problem', problem: 'worker_blocked', detail: 'x' }],
    ['a rejection reason of the background', { type: 'rejections', counts: { ui_sender: 1 } }],
    ['a huge rejection count', { type: 'rejections', counts: { worker_invalid: 1e12 } }],
    ['a fractional rejection count', { type: 'rejections', counts: { worker_invalid: 1.5 } }],
    ['no rejection counts', { type: 'rejections', counts: {} }],
  ])('refuses and counts a bridge message with %s', async (_, message) => {
    const port = connect(contentSender(ENABLED));
    await vi.waitFor(() => expect(port.posted.length).toBeGreaterThan(0));
    const posted = port.posted.length;
    port.send(message);
    await expectCount('port_invalid', 1);
    expect(port.posted.length).toBe(posted); // no answer (no key sent for a malformed request)
    expect(fakes.problems).toEqual([]);
    expect((fakes.session.get('tab:7') as { transforms?: unknown[] } | undefined)?.transforms ?? []).toEqual([]);
  });

  it('gives a tab of a site blocked for tampering no key, even when it asks, but a block', async () => {
    fakes.blocked.add(ENABLED);
    const port = connect(contentSender(ENABLED));
    await vi.waitFor(() => expect(port.posted).toContainEqual({ type: 'blocked' }));
    port.send({ type: 'epoch-keys-request', epochs: [1, 2] });
    await vi.waitFor(() =>
      expect(port.posted.filter((m) => (m as { type: string }).type === 'blocked')).toHaveLength(2),
    );
    expect(port.posted.map((m) => (m as { type: string }).type)).toEqual(['settings', 'blocked', 'blocked']);
    expect(fakes.session.get('tab:7')).toMatchObject({ problems: ['tampering_blocked'] });
  });

  it('blocks every open tab of a site at once when one of them reports tampering', async () => {
    const first = connect(contentSender(ENABLED));
    const second = connect(contentSender(ENABLED, { tab: { id: 8 } }));
    for (const port of [first, second]) {
      await vi.waitFor(() => expect(port.posted).toContainEqual(expect.objectContaining({ type: 'epoch-keys' })));
    }
    first.send({ type: 'problem', problem: 'tampering_blocked' });
    await vi.waitFor(() => expect(second.posted).toContainEqual({ type: 'blocked' }));
    expect(first.posted).toContainEqual({ type: 'blocked' });
    expect(fakes.problems).toEqual([`${ENABLED} tampering_blocked`]);
    expect(fakes.session.get('tab:8')).toMatchObject({ problems: ['tampering_blocked'] });
  });

  it('tells an open options page when a site gets a new problem, not each time a tab repeats it', async () => {
    const port = connect(contentSender(ENABLED));
    await vi.waitFor(() => expect(port.posted).toContainEqual(expect.objectContaining({ type: 'epoch-keys' })));
    expect(fakes.session.has(SITES_REVISION_KEY)).toBe(false);
    port.send({ type: 'problem', problem: 'unsafe_frame' });
    await vi.waitFor(() => expect(fakes.session.get('tab:7')).toMatchObject({ problems: ['unsafe_frame'] }));
    expect(fakes.session.get(SITES_REVISION_KEY)).toEqual(expect.any(Number));
    fakes.session.delete(SITES_REVISION_KEY);
    port.send({ type: 'problem', problem: 'unsafe_frame' });
    port.send({ type: 'rejections', counts: { worker_unproven: 1 } }); // handled after the repeat: a marker
    await expectCount('worker_unproven', 1);
    expect(fakes.problems).toEqual([`${ENABLED} unsafe_frame`, `${ENABLED} unsafe_frame`]);
    expect(fakes.session.has(SITES_REVISION_KEY)).toBe(false);
  });

  it('adds the refusals a bridge reports to the counts', async () => {
    const port = connect(contentSender(ENABLED));
    port.send({ type: 'rejections', counts: { worker_unproven: 3, page_report_invalid: 2 } });
    await expectCount('worker_unproven', 3);
    expect(await count('page_report_invalid')).toBe(2);
  });

  it('records a cross-origin frame reported by an enabled tab, normalised', async () => {
    const port = connect(contentSender(ENABLED));
    port.send({ type: 'problem', problem: 'cross_origin_frame', detail: 'HTTPS://Video.Example.com:443' });
    await vi.waitFor(() =>
      expect(fakes.session.get('tab:7')).toMatchObject({ unprotectedFrames: ['https://video.example.com'] }),
    );
    expect(fakes.problems).toEqual([`${ENABLED} cross_origin_frame`]);
  });
});
