/**
 * The side panel's chat port (src/background/chat-port.ts) with the real bridge ports and tab status
 * (bridge-port.ts, tab-status.ts, dispatched by ports.ts) over a fake extension API: who may open it, what it relays
 * between a tab's panels and that tab's bridges (and to no other tab), how the bridges' answers to a send become the
 * panel's one answer, the count of frames with a call, and that nothing of the chat is stored.
 */
import './web-locks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CHAT_SEND_TIMEOUT_MS, MAX_PENDING_CHAT_SENDS } from '../../src/background/constants';
import {
  BRIDGE_PORT_NAME,
  type CallStatus,
  CHAT_PORT_NAME,
  type ChatEntry,
  type RejectionReason,
} from '../../src/shared/messages';

const EXTENSION_ID = 'abcdefghijklmnopabcdefghijklmnop';
const BASE_URL = `chrome-extension://${EXTENSION_ID}/`;
const ORIGIN = 'https://meet.example.org';
const TAB = 7;
const OTHER_TAB = 8;

/** The side panel as Chrome fills in its sender: our id, our page's URL and origin, and no tab. */
const PANEL_SENDER = {
  id: EXTENSION_ID,
  url: `${BASE_URL}src/sidepanel/index.html?tabId=${TAB}`,
  origin: BASE_URL.slice(0, -1),
};

const fakes = vi.hoisted(() => ({ session: new Map<string, unknown>() }));

vi.mock('webextension-polyfill', async () => ({
  default: {
    i18n: { getMessage: (await import('../dom/i18n')).getMessage },
    runtime: {
      id: 'abcdefghijklmnopabcdefghijklmnop',
      getURL: (path: string) => `chrome-extension://abcdefghijklmnopabcdefghijklmnop/${path}`,
    },
    storage: { session: (await import('./fake-session-storage')).fakeSessionStorage(fakes.session) },
    action: { setTitle: async () => {}, setBadgeBackgroundColor: async () => {}, setBadgeText: async () => {} },
    tabs: { onRemoved: { addListener() {} } },
  },
}));

vi.mock('../../src/background/sites', () => ({
  getSite: async (origin: string) => ({
    origin,
    enabledAt: 1,
    rooms: [{ label: '', roomKey: {}, keyedAt: 1 }],
    activeRoom: '',
    problems: [],
  }),
  roomOf: (s: { rooms: { label: string }[]; activeRoom: string }, label = s.activeRoom) =>
    s.rooms.find((room) => room.label === label),
  addProblem: async () => true,
}));

vi.mock('../../src/background/keys', () => ({
  epochKeyBytes: async () => new Uint8Array(16).fill(0xab),
  roomTagBytes: async () => new Uint8Array(16).fill(0xcd),
}));

const { handleRuntimePort } = await import('../../src/background/ports');
const { flushRejections, rejectionCounts } = await import('../../src/background/rejections');

/** A runtime port as the background sees it: what it posts is kept (cloned), the test plays the other end. */
class FakePort {
  readonly posted: Record<string, unknown>[] = [];
  disconnected = false;
  readonly #onMessage: ((message: unknown) => void)[] = [];
  readonly #onDisconnect: (() => void)[] = [];
  /** The port handed to the background. */
  readonly port: unknown;

  constructor(name: string, sender: Record<string, unknown>) {
    this.port = {
      name,
      sender,
      postMessage: (message: unknown) => {
        if (this.disconnected) throw new Error('Attempting to use a disconnected port object');
        this.posted.push(structuredClone(message) as Record<string, unknown>);
      },
      disconnect: () => {
        this.disconnected = true;
      },
      onMessage: { addListener: (listener: (message: unknown) => void) => this.#onMessage.push(listener) },
      onDisconnect: { addListener: (listener: () => void) => this.#onDisconnect.push(listener) },
    };
  }

  /** The other end sends `message`. */
  send(message: unknown): void {
    for (const listener of this.#onMessage) listener(message);
  }

  /** The other end goes away. */
  close(): void {
    this.disconnected = true;
    for (const listener of this.#onDisconnect) listener();
  }

  ofType(type: string): Record<string, unknown>[] {
    return this.posted.filter((m) => m.type === type);
  }

  /** What was posted, but the bridge port's keys and settings. */
  chat(): Record<string, unknown>[] {
    return this.posted.filter((m) => !['settings', 'epoch-keys', 'no-key', 'blocked'].includes(m.type as string));
  }
}

const opened: FakePort[] = [];

function connect(name: string, sender: Record<string, unknown>): FakePort {
  const fake = new FakePort(name, sender);
  opened.push(fake);
  handleRuntimePort(fake.port as Parameters<typeof handleRuntimePort>[0]);
  return fake;
}

/** A content bridge of frame `frameId` of tab `tabId`, keyed (so its first messages are not raced by its keying). */
async function bridge(tabId = TAB, frameId = 0): Promise<FakePort> {
  const port = connect(BRIDGE_PORT_NAME, {
    id: EXTENSION_ID,
    url: `${ORIGIN}/call`,
    origin: ORIGIN,
    tab: { id: tabId },
    frameId,
    documentId: `doc-${tabId}-${frameId}`,
  });
  await vi.waitFor(() => expect(port.ofType('epoch-keys')).toHaveLength(1));
  return port;
}

/** A side panel that opened for tab `tabId`, once it heard how many calls the tab has. */
async function panel(tabId = TAB): Promise<FakePort> {
  const port = connect(CHAT_PORT_NAME, PANEL_SENDER);
  port.send({ type: 'open', tabId });
  await vi.waitFor(() => expect(port.ofType('calls')).toHaveLength(1));
  return port;
}

const call = (you: string): CallStatus => ({
  you,
  sending: true,
  members: [{ fingerprint: 'quiet otter', keyed: true }],
});

const entry = (id: string, text = `text of ${id}`): ChatEntry => ({
  id,
  from: 'quiet otter',
  name: 'Otto',
  text,
  at: 1_700_000_000_500,
  sentAt: 1_700_000_000_000,
  seq: 0,
});

/** Waits on real turns of the event loop (setImmediate is never faked) until `condition` holds, at most 2 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = performance.now() + 2_000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`never true: ${condition}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function count(reason: RejectionReason): Promise<number> {
  return (await rejectionCounts()).counts[reason];
}

beforeEach(async () => {
  await flushRejections();
  fakes.session.clear();
});

afterEach(async () => {
  vi.useRealTimers();
  // The background keeps its ports in module-wide sets: close this test's.
  for (const port of opened.splice(0)) port.close();
  await vi.waitFor(() =>
    expect((fakes.session.get(`tab:${TAB}`) as { calls?: unknown } | undefined)?.calls).toBeUndefined(),
  );
});

describe('who may open the chat port', () => {
  it('accepts the side panel: our id, our page, no tab', async () => {
    const port = await panel();
    expect(port.disconnected).toBe(false);
    expect(port.posted).toEqual([{ type: 'calls', count: 0 }]);
    expect(await count('chat_port_sender')).toBe(0);
  });

  it('accepts our own page opened in a tab (the panel detached, or opened by a test): our id and our page', async () => {
    const port = connect(CHAT_PORT_NAME, { ...PANEL_SENDER, tab: { id: TAB + 1 } });
    expect(port.disconnected).toBe(false);
    expect(await count('chat_port_sender')).toBe(0);
  });

  it.each([
    [
      'a content script (our id, a site’s page, a tab)',
      { id: EXTENSION_ID, url: `${ORIGIN}/call`, origin: ORIGIN, tab: { id: TAB }, frameId: 0 },
    ],
    [
      'another extension’s page',
      { id: 'ponmlkjihgfedcbaponmlkjihgfedcba', url: 'chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba/x.html' },
    ],
    ['another extension claiming our URL', { ...PANEL_SENDER, id: 'ponmlkjihgfedcbaponmlkjihgfedcba' }],
    ['our id with a web origin', { ...PANEL_SENDER, origin: ORIGIN }],
    ['no sender at all', {}],
  ])('disconnects %s, sends it nothing, and counts it', async (_, sender) => {
    const b = await bridge();
    const port = connect(CHAT_PORT_NAME, sender);
    expect(port.disconnected).toBe(true);
    port.send({ type: 'open', tabId: TAB });
    port.send({ type: 'send', id: 'm1', text: 'hi', name: '' });
    expect(port.posted).toEqual([]);
    expect(b.chat()).toEqual([]); // nothing reached the tab's bridge
    expect(await count('chat_port_sender')).toBe(1);
  });

  it('counts a panel’s malformed or out-of-turn messages, and acts on none of them', async () => {
    const b = await bridge();
    const port = connect(CHAT_PORT_NAME, PANEL_SENDER);
    port.send({ type: 'send', id: 'm1', text: 'before open', name: '' }); // which tab?
    port.send({ type: 'open', tabId: -1 });
    port.send({ type: 'open', tabId: TAB, extra: 1 });
    port.send({ type: 'send', id: 'm1', text: 'é'.repeat(2_049), name: '' });
    port.send([{ type: 'open', tabId: TAB }]);
    await vi.waitFor(async () => expect(await count('chat_port_invalid')).toBe(5));
    expect(b.chat()).toEqual([]);
    port.send({ type: 'open', tabId: TAB });
    port.send({ type: 'open', tabId: OTHER_TAB }); // one tab per port
    await vi.waitFor(async () => expect(await count('chat_port_invalid')).toBe(6));
    expect(b.chat()).toEqual([{ type: 'chat-history' }]);
    expect(port.disconnected).toBe(false);
  });
});

describe('what the chat port relays', () => {
  it('asks the tab’s bridges for their history on open, and no other tab’s', async () => {
    const top = await bridge(TAB, 0);
    const inner = await bridge(TAB, 3);
    const elsewhere = await bridge(OTHER_TAB, 0);
    await panel(TAB);
    expect(top.chat()).toEqual([{ type: 'chat-history' }]);
    expect(inner.chat()).toEqual([{ type: 'chat-history' }]);
    expect(elsewhere.chat()).toEqual([]);
  });

  it('relays a bridge’s messages and the end of its call to the panels of its tab only', async () => {
    const top = await bridge(TAB, 0);
    const inner = await bridge(TAB, 3);
    const elsewhere = await bridge(OTHER_TAB, 0);
    const [mine, second, other] = [await panel(TAB), await panel(TAB), await panel(OTHER_TAB)];
    inner.send({ type: 'call', call: call('calm lynx') });
    inner.send({ type: 'chat', entries: [entry('a-0'), entry('a-1')], replace: true });
    elsewhere.send({ type: 'call', call: call('brave heron') });
    elsewhere.send({ type: 'chat', entries: [entry('b-0', 'not for tab 7')], replace: false });
    inner.send({ type: 'call' });
    await vi.waitFor(() => expect(mine.ofType('ended')).toHaveLength(1));
    for (const port of [mine, second]) {
      expect(port.ofType('entries')).toEqual([
        { type: 'entries', frameId: 3, entries: [entry('a-0'), entry('a-1')], replace: true },
      ]);
      expect(port.ofType('ended')).toEqual([{ type: 'ended', frameId: 3 }]);
    }
    await vi.waitFor(() => expect(other.ofType('entries')).toHaveLength(1));
    expect(other.ofType('entries')).toEqual([
      { type: 'entries', frameId: 0, entries: [entry('b-0', 'not for tab 7')], replace: false },
    ]);
    expect(other.ofType('ended')).toEqual([]);
    expect(top.chat()).toEqual([{ type: 'chat-history' }, { type: 'chat-history' }]); // one per panel of tab 7
  });

  it('relays nothing a bridge sends that is not a valid chat message', async () => {
    const top = await bridge();
    const mine = await panel();
    top.send({ type: 'chat', entries: [{ ...entry('a-0'), text: '' }], replace: false });
    top.send({ type: 'chat', entries: [entry('a-1')], replace: false, frameId: 9 });
    top.send({ type: 'chat', entries: [entry('a-2')], replace: false }); // a valid one: handled after the others
    await vi.waitFor(() => expect(mine.ofType('entries')).toHaveLength(1));
    expect(mine.ofType('entries')[0]).toMatchObject({ entries: [{ id: 'a-2' }] });
    expect(await count('port_invalid')).toBe(2);
  });

  it('tells a panel the call ended when the bridge of a frame in a call goes away', async () => {
    const top = await bridge(TAB, 0);
    const idle = await bridge(TAB, 2);
    const mine = await panel();
    top.send({ type: 'call', call: call('calm lynx') });
    await vi.waitFor(() => expect(mine.ofType('calls').at(-1)).toEqual({ type: 'calls', count: 1 }));
    idle.close(); // had no call: nothing to end
    top.close();
    await vi.waitFor(() => expect(mine.ofType('ended')).toEqual([{ type: 'ended', frameId: 0 }]));
  });

  it('tells a panel how many frames of its tab have a call, on open and at each change', async () => {
    const top = await bridge(TAB, 0);
    const inner = await bridge(TAB, 3);
    top.send({ type: 'call', call: call('calm lynx') });
    await vi.waitFor(() => expect(fakes.session.get(`tab:${TAB}`)).toHaveProperty('calls'));
    const mine = await panel();
    expect(mine.ofType('calls')).toEqual([{ type: 'calls', count: 1 }]);
    inner.send({ type: 'call', call: call('brave heron') });
    await vi.waitFor(() => expect(mine.ofType('calls').at(-1)).toEqual({ type: 'calls', count: 2 }));
    top.send({ type: 'call', call: { ...call('calm lynx'), sending: false } }); // the same frame's call: no change
    top.send({ type: 'call' });
    inner.send({ type: 'call' });
    await vi.waitFor(() => expect(mine.ofType('calls').at(-1)).toEqual({ type: 'calls', count: 0 }));
    expect(mine.ofType('calls').map((m) => m.count)).toEqual([1, 2, 1, 0]);
  });
});

describe('a panel’s message', () => {
  it('goes to every bridge of the tab; the panels hear one answer: the first `sent`', async () => {
    const top = await bridge(TAB, 0);
    const inner = await bridge(TAB, 3);
    const elsewhere = await bridge(OTHER_TAB, 0);
    const [mine, second] = [await panel(), await panel()];
    mine.send({ type: 'send', id: 'm1', text: 'hello', name: 'Ann' });
    const forwarded = { type: 'chat-send', id: 'm1', text: 'hello', name: 'Ann' };
    expect(top.ofType('chat-send')).toEqual([forwarded]);
    expect(inner.ofType('chat-send')).toEqual([forwarded]);
    expect(elsewhere.chat()).toEqual([]);
    top.send({ type: 'chat-result', id: 'm1', result: 'ended' }); // no call in the top frame
    inner.send({ type: 'chat', entries: [{ ...entry('m1'), from: 'you' }], replace: false });
    inner.send({ type: 'chat-result', id: 'm1', result: 'sent' });
    inner.send({ type: 'chat-result', id: 'm1', result: 'sent' }); // once only
    await vi.waitFor(() => expect(mine.ofType('result')).toHaveLength(1));
    for (const port of [mine, second]) {
      expect(port.ofType('result')).toEqual([{ type: 'result', id: 'm1', result: 'sent' }]);
      expect(port.ofType('entries')).toHaveLength(1);
    }
  });

  it('without a `sent`: the most telling answer, once every bridge answered (`ended` says least)', async () => {
    const top = await bridge(TAB, 0);
    const inner = await bridge(TAB, 3);
    const mine = await panel();
    mine.send({ type: 'send', id: 'm2', text: 'hello', name: '' });
    inner.send({ type: 'chat-result', id: 'm2', result: 'busy' });
    top.send({ type: 'chat-result', id: 'm3', result: 'sent' }); // not asked: ignored
    top.send({ type: 'chat-result', id: 'm2', result: 'ended' });
    await vi.waitFor(() => expect(mine.ofType('result')).toEqual([{ type: 'result', id: 'm2', result: 'busy' }]));
  });

  it('takes no answer from a bridge of another tab, and none from a bridge it did not ask', async () => {
    const top = await bridge(TAB, 0);
    const elsewhere = await bridge(OTHER_TAB, 0);
    const mine = await panel();
    mine.send({ type: 'send', id: 'm4', text: 'hello', name: '' });
    elsewhere.send({ type: 'chat-result', id: 'm4', result: 'sent' });
    const late = await bridge(TAB, 5); // connected after the send: not asked
    late.send({ type: 'chat-result', id: 'm4', result: 'sent' });
    late.send({ type: 'chat', entries: [entry('marker')], replace: false }); // handled after its result
    await vi.waitFor(() => expect(mine.ofType('entries')).toHaveLength(1));
    expect(mine.ofType('result')).toEqual([]);
    top.send({ type: 'chat-result', id: 'm4', result: 'no_one' });
    await vi.waitFor(() => expect(mine.ofType('result')).toEqual([{ type: 'result', id: 'm4', result: 'no_one' }]));
  });

  it('is answered ended at once in a tab without a bridge, and when the bridges it waits for go away', async () => {
    const mine = await panel();
    mine.send({ type: 'send', id: 'm5', text: 'anyone?', name: '' });
    expect(mine.ofType('result')).toEqual([{ type: 'result', id: 'm5', result: 'ended' }]);
    const top = await bridge(TAB, 0);
    mine.send({ type: 'send', id: 'm6', text: 'anyone?', name: '' });
    top.close();
    await vi.waitFor(() => expect(mine.ofType('result').at(-1)).toEqual({ type: 'result', id: 'm6', result: 'ended' }));
  });

  it(`is answered after ${CHAT_SEND_TIMEOUT_MS} ms with what came, if a bridge never answers`, async () => {
    const top = await bridge(TAB, 0);
    const inner = await bridge(TAB, 3);
    const mine = await panel();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    mine.send({ type: 'send', id: 'm7', text: 'hello', name: '' });
    inner.send({ type: 'chat-result', id: 'm7', result: 'no_one' });
    inner.send({ type: 'chat', entries: [entry('marker')], replace: false }); // handled after the result
    // (vi.waitFor would advance the fake clock: wait on real turns of the event loop instead.)
    await until(() => mine.ofType('entries').length === 1);
    vi.advanceTimersByTime(CHAT_SEND_TIMEOUT_MS - 1);
    expect(mine.ofType('result')).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(mine.ofType('result')).toEqual([{ type: 'result', id: 'm7', result: 'no_one' }]);
    top.send({ type: 'chat-result', id: 'm7', result: 'sent' }); // too late: answered already
    top.send({ type: 'chat', entries: [entry('marker-2')], replace: false });
    await until(() => mine.ofType('entries').length === 2);
    expect(mine.ofType('result')).toHaveLength(1);
  });

  it(`waits for at most ${MAX_PENDING_CHAT_SENDS} at once per tab; past that: busy`, async () => {
    const top = await bridge();
    const mine = await panel();
    for (let i = 0; i < MAX_PENDING_CHAT_SENDS + 1; i++) {
      mine.send({ type: 'send', id: `p${i}`, text: 'hello', name: '' });
    }
    expect(top.ofType('chat-send')).toHaveLength(MAX_PENDING_CHAT_SENDS);
    expect(mine.ofType('result')).toEqual([{ type: 'result', id: `p${MAX_PENDING_CHAT_SENDS}`, result: 'busy' }]);
    mine.send({ type: 'send', id: 'p0', text: 'the same id again', name: '' });
    await vi.waitFor(async () => expect(await count('chat_port_invalid')).toBe(1));
    for (let i = 0; i < MAX_PENDING_CHAT_SENDS; i++) top.send({ type: 'chat-result', id: `p${i}`, result: 'sent' });
    await vi.waitFor(() => expect(mine.ofType('result')).toHaveLength(MAX_PENDING_CHAT_SENDS + 1));
  });
});

describe('nothing of the chat is stored', () => {
  it('writes no message text, name or id to storage.session', async () => {
    const top = await bridge();
    const mine = await panel();
    top.send({ type: 'call', call: call('calm lynx') });
    mine.send({ type: 'send', id: 'secret-id', text: 'the secret plan', name: 'Secret Name' });
    top.send({ type: 'chat', entries: [entry('their-id', 'their secret reply')], replace: false });
    top.send({ type: 'chat-result', id: 'secret-id', result: 'sent' });
    await vi.waitFor(() => expect(mine.ofType('result')).toHaveLength(1));
    await flushRejections();
    const stored = JSON.stringify([...fakes.session]);
    expect(stored).toContain('calm lynx'); // the tab's status is there
    for (const secret of ['secret plan', 'Secret Name', 'secret-id', 'their secret reply', 'their-id']) {
      expect(stored).not.toContain(secret);
    }
  });
});
