/**
 * What the background keeps of each frame's call and data channels in its tab's status, and how the held problems (`not_sending`,
 * `older_peer`: true while a bridge keeps reporting them) come and go: through the real port handler and tab status
 * (src/background/bridge-port.ts, tab-status.ts) with a fake extension API, fake sites and keys, and a clock for the
 * held problems' lapse (`performance.now`).
 */
import './web-locks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HELD_PROBLEM_TTL_MS, MAX_TAB_CHANNEL_FRAMES } from '../../src/background/constants';
import {
  BRIDGE_PORT_NAME,
  type CallStatus,
  type DataChannelReport,
  HELD_PROBLEM_REPEAT_MS,
  type TabStatus,
} from '../../src/shared/messages';
import { transformStats } from '../transform-stats';

const EXTENSION_ID = 'abcdefghijklmnopabcdefghijklmnop';
const ORIGIN = 'https://meet.example.org';
const TAB = 7;

const fakes = vi.hoisted(() => ({
  session: new Map<string, unknown>(),
  enabled: true,
  /** `<origin> <problem>` for each problem recorded in a site's record. */
  recorded: [] as string[],
  /** The badge text of each tab, as last set. */
  badge: new Map<number, string>(),
}));

vi.mock('webextension-polyfill', async () => ({
  default: {
    i18n: { getMessage: (await import('../dom/i18n')).getMessage },
    runtime: { id: 'abcdefghijklmnopabcdefghijklmnop' },
    storage: { session: (await import('./fake-session-storage')).fakeSessionStorage(fakes.session) },
    action: {
      setTitle: async () => {},
      setBadgeBackgroundColor: async () => {},
      setBadgeText: async ({ tabId, text }: { tabId: number; text: string }) => void fakes.badge.set(tabId, text),
    },
    tabs: { onRemoved: { addListener() {} } },
  },
}));

vi.mock('../../src/background/sites', () => ({
  getSite: async (origin: string) =>
    fakes.enabled
      ? { origin, enabledAt: 1, rooms: [{ label: '', roomKey: {}, keyedAt: 1 }], activeRoom: '', problems: [] }
      : undefined,
  roomOf: (s: { rooms: { label: string }[]; activeRoom: string }, label = s.activeRoom) =>
    s.rooms.find((room) => room.label === label),
  addProblem: async (origin: string, problem: string) => {
    fakes.recorded.push(`${origin} ${problem}`);
    return true;
  },
}));

vi.mock('../../src/background/keys', () => ({
  epochKeyBytes: async () => new Uint8Array(16).fill(0xab),
  roomTagBytes: async () => new Uint8Array(16).fill(0xcd),
}));

const { handleBridgePort, notifySiteChanged } = await import('../../src/background/bridge-port');

interface Frame {
  frameId: number;
  /** The bridge sends `message`. */
  send(message: unknown): void;
  /** The types of the messages the background sent the bridge, in order. */
  received: string[];
  /** The frame's page goes away: the browser closes its port. */
  close(): void;
}

/** A content bridge of frame `frameId` (document `documentId`) of tab {@link TAB} connects. */
function connect(frameId = 0, documentId = `doc-${frameId}`): Frame {
  const onMessage: ((message: unknown) => void)[] = [];
  const onDisconnect: (() => void)[] = [];
  const received: string[] = [];
  const port = {
    name: BRIDGE_PORT_NAME,
    sender: { id: EXTENSION_ID, url: `${ORIGIN}/call`, origin: ORIGIN, tab: { id: TAB }, frameId, documentId },
    postMessage: (message: { type: string }) => void received.push(message.type),
    disconnect: () => {},
    onMessage: { addListener: (listener: (message: unknown) => void) => onMessage.push(listener) },
    onDisconnect: { addListener: (listener: () => void) => onDisconnect.push(listener) },
  };
  handleBridgePort(port as unknown as Parameters<typeof handleBridgePort>[0]);
  return {
    frameId,
    received,
    send: (message) => {
      for (const listener of onMessage) listener(message);
    },
    close: () => {
      for (const listener of onDisconnect) listener();
    },
  };
}

const tab = () => fakes.session.get(`tab:${TAB}`) as TabStatus | undefined;
/** The tab's calls as `<frameId> <your fingerprint>`. */
const calls = () => tab()?.calls?.map((c) => `${c.frameId} ${c.call.you}`);

function call(you: string, overrides: Partial<CallStatus> = {}): CallStatus {
  return {
    words: ['apple', 'bacon', 'cable', 'delta', 'eagle'],
    you,
    sending: true,
    members: [{ fingerprint: 'quiet otter', keyed: true }],
    ...overrides,
  };
}

/** Sends `messages`, then counters (a report of their own) that show once everything before them was handled. */
async function report(frame: Frame, ...messages: unknown[]): Promise<void> {
  const mark = ++marks;
  for (const message of messages) frame.send(message);
  frame.send({ type: 'stats', stats: [transformStats({ id: 'r1', protected: mark, status: 'encrypted' })] });
  await vi.waitFor(() => expect(tab()?.transforms.find((t) => t.id === `${frame.frameId}/r1`)?.protected).toBe(mark));
}

let marks = 0;
let now = 0;
const opened: Frame[] = [];

function open(frameId?: number, documentId?: string): Frame {
  const frame = connect(frameId, documentId);
  opened.push(frame);
  return frame;
}

beforeEach(() => {
  fakes.session.clear();
  fakes.enabled = true;
  fakes.recorded.length = 0;
  fakes.badge.clear();
  now = 100_000;
  vi.spyOn(performance, 'now').mockImplementation(() => now);
});

afterEach(async () => {
  // The background keeps its ports in one module-wide set: close this test's, and let their last updates settle.
  for (const frame of opened.splice(0)) frame.close();
  await vi.waitFor(() => expect(tab()?.calls).toBeUndefined());
  await vi.waitFor(() => expect(tab()?.channels).toBeUndefined());
  vi.restoreAllMocks();
});

describe("the tab's calls: the latest of each frame", () => {
  it('keeps the latest call of each frame, in frame order; a call without one forgets only that frame’s', async () => {
    const top = open(0);
    const inner = open(3);
    inner.send({ type: 'call', call: call('brave heron') });
    top.send({ type: 'call', call: call('calm lynx', { words: undefined, members: [] }) });
    await vi.waitFor(() => expect(calls()).toEqual(['0 calm lynx', '3 brave heron']));
    top.send({ type: 'call', call: call('calm lynx') });
    await vi.waitFor(() => expect(tab()?.calls?.[0]?.call.words).toHaveLength(5));
    expect(tab()?.calls?.[0]).toEqual({ frameId: 0, documentId: 'doc-0', call: call('calm lynx') });
    inner.send({ type: 'call' });
    await vi.waitFor(() => expect(calls()).toEqual(['0 calm lynx']));
    top.send({ type: 'call' });
    await vi.waitFor(() => expect(tab()?.calls).toBeUndefined());
  });

  it('forgets the call of a page that went away, not the one of the page that replaced it in its frame', async () => {
    const before = open(2, 'old');
    before.send({ type: 'call', call: call('brave heron') });
    await vi.waitFor(() => expect(calls()).toEqual(['2 brave heron']));
    // The frame reloads: the new page reports its call before the old page's port is seen closing.
    const after = open(2, 'new');
    after.send({ type: 'call', call: call('calm lynx') });
    await vi.waitFor(() => expect(calls()).toEqual(['2 calm lynx']));
    before.close();
    await report(before); // the closed port's queue: handled after its close
    expect(calls()).toEqual(['2 calm lynx']);
    after.close();
    await vi.waitFor(() => expect(tab()?.calls).toBeUndefined());
  });

  it('forgets a frame’s call with its counters when its worker stops, or its site is turned off', async () => {
    const top = open(0);
    const inner = open(1);
    top.send({ type: 'call', call: call('calm lynx') });
    inner.send({ type: 'call', call: call('brave heron') });
    await vi.waitFor(() => expect(calls()).toEqual(['0 calm lynx', '1 brave heron']));
    inner.send({ type: 'problem', problem: 'worker_stopped' });
    await vi.waitFor(() => expect(calls()).toEqual(['0 calm lynx']));
    fakes.enabled = false;
    await notifySiteChanged(ORIGIN);
    await vi.waitFor(() => expect(tab()?.calls).toBeUndefined());
  });

  it('refuses a call that is not one, and keeps none of it', async () => {
    const top = open(0);
    for (const bad of [
      { type: 'call', call: { ...call('calm lynx'), words: ['apple'] } },
      { type: 'call', call: { ...call('calm lynx'), you: 'not a fingerprint at all' } },
      { type: 'call', call: { ...call('calm lynx'), extra: 1 } },
      { type: 'call', call: call('calm lynx'), frameId: 3 },
    ]) {
      top.send(bad);
    }
    await report(top);
    expect(tab()?.calls).toBeUndefined();
  });
});

describe('held problems: shown while a bridge repeats them', () => {
  it('not_sending: a warning on the badge while repeated, never recorded for the site, gone once no longer reported', async () => {
    const top = open(0);
    await report(top);
    expect(fakes.badge.get(TAB)).toBe('E2E');
    await report(top, { type: 'problem', problem: 'not_sending' });
    expect(tab()?.problems).toEqual(['not_sending']);
    expect(fakes.badge.get(TAB)).toBe('!');
    // Repeated as the bridge does, with the counters flowing in between: it stays.
    for (let i = 0; i < 3; i++) {
      now += HELD_PROBLEM_REPEAT_MS;
      await report(top, { type: 'problem', problem: 'not_sending' });
    }
    now += HELD_PROBLEM_TTL_MS; // the longest a report is believed
    await report(top);
    expect(tab()?.problems).toEqual(['not_sending']);
    // No longer reported: the next counters clear it.
    now += 1;
    await report(top);
    expect(tab()?.problems).toEqual([]);
    expect(fakes.badge.get(TAB)).toBe('E2E');
    expect(fakes.recorded).toEqual([]);
  });

  it('older_peer beside a recorded problem: only the held one lapses', async () => {
    const top = open(0);
    await report(
      top,
      { type: 'problem', problem: 'older_peer' },
      { type: 'problem', problem: 'clock_skew', detail: '3' },
    );
    expect(tab()?.problems).toEqual(['older_peer', 'clock_skew']);
    expect(fakes.badge.get(TAB)).toBe('!');
    expect(fakes.recorded).toEqual([`${ORIGIN} clock_skew`]);
    now += HELD_PROBLEM_TTL_MS + 1;
    await report(top);
    expect(tab()?.problems).toEqual(['clock_skew']);
  });

  it('a frame’s held problems end with its call, or with its page; another frame that holds one keeps it', async () => {
    const top = open(0);
    const inner = open(4);
    await report(top, { type: 'call', call: call('calm lynx', { sending: false }) });
    await report(top, { type: 'problem', problem: 'not_sending' });
    inner.send({ type: 'problem', problem: 'older_peer' });
    inner.send({ type: 'problem', problem: 'not_sending' });
    await vi.waitFor(() => expect(tab()?.problems).toEqual(['not_sending', 'older_peer']));
    inner.close();
    await report(inner); // after the close: the inner frame's reports are gone with it
    expect(tab()?.problems).toEqual(['not_sending']);
    await report(top, { type: 'call' });
    expect(tab()?.problems).toEqual([]);
    expect(tab()?.calls).toBeUndefined();
    expect(fakes.badge.get(TAB)).toBe('E2E');
  });
});

/** A data channel's line of a bridge's report. */
function channel(streamId: number, overrides: Partial<DataChannelReport> = {}): DataChannelReport {
  return {
    connection: 0,
    streamId,
    label: `ch${streamId}`,
    state: 'e2e',
    sent: 1,
    received: 1,
    refused: 0,
    ...overrides,
  };
}

/** The tab's data channels as `<frameId> <label>:<state>`, in the order kept. */
const channels = () => tab()?.channels?.flatMap((f) => f.channels.map((c) => `${f.frameId} ${c.label}:${c.state}`));

describe("the tab's data channels: the latest report of each frame", () => {
  it('replaces what a frame reported with its new report, in frame order; an empty report clears only that frame', async () => {
    const top = open(0);
    const inner = open(3);
    inner.send({ type: 'data-channels', channels: [channel(1, { state: 'clear' })] });
    top.send({ type: 'data-channels', channels: [channel(1), channel(2, { state: 'passphrase' })] });
    await vi.waitFor(() => expect(channels()).toEqual(['0 ch1:e2e', '0 ch2:passphrase', '3 ch1:clear']));
    expect(tab()?.channels?.[0]).toEqual({
      frameId: 0,
      documentId: 'doc-0',
      channels: [channel(1), channel(2, { state: 'passphrase' })],
    });
    // Replaced, not merged: a channel the new report leaves out is gone.
    top.send({ type: 'data-channels', channels: [channel(2, { state: 'passphrase', refused: 3 })] });
    await vi.waitFor(() => expect(channels()).toEqual(['0 ch2:passphrase', '3 ch1:clear']));
    expect(tab()?.channels?.[0]?.channels[0]?.refused).toBe(3);
    inner.send({ type: 'data-channels', channels: [] });
    await vi.waitFor(() => expect(channels()).toEqual(['0 ch2:passphrase']));
    top.send({ type: 'data-channels', channels: [] });
    await vi.waitFor(() => expect(tab()?.channels).toBeUndefined());
  });

  it('writes no status for a tab that has none when a frame reports that it has no channels', async () => {
    const top = open(0);
    await vi.waitFor(() => expect(tab()?.room).toBe('')); // keyed: the room is written
    fakes.session.clear();
    top.send({ type: 'data-channels', channels: [] });
    // The background answers a key request after it handled what came before it on the port.
    const answered = top.received.length;
    top.send({ type: 'epoch-keys-request', epochs: [1] });
    await vi.waitFor(() => expect(top.received.slice(answered)).toEqual(['epoch-keys']));
    expect(tab()).toBeUndefined();
  });

  it('forgets the channels of a page that went away, not those of the page that replaced it in its frame', async () => {
    const before = open(2, 'old');
    before.send({ type: 'data-channels', channels: [channel(1, { label: 'old' })] });
    await vi.waitFor(() => expect(channels()).toEqual(['2 old:e2e']));
    // The frame reloads: the new page reports before the old page's port is seen closing.
    const after = open(2, 'new');
    after.send({ type: 'data-channels', channels: [channel(1, { label: 'new', state: 'clear' })] });
    await vi.waitFor(() => expect(channels()).toEqual(['2 new:clear']));
    before.close();
    await report(before); // the closed port's queue: handled after its close
    expect(channels()).toEqual(['2 new:clear']);
    after.close();
    await vi.waitFor(() => expect(tab()?.channels).toBeUndefined());
  });

  it('keeps a frame’s channels when its worker stops (they do not go through it), forgets them when its site is turned off', async () => {
    const top = open(0);
    const inner = open(1);
    top.send({ type: 'data-channels', channels: [channel(1)] });
    inner.send({ type: 'call', call: call('brave heron') });
    inner.send({ type: 'data-channels', channels: [channel(4, { state: 'clear' })] });
    await vi.waitFor(() => expect(channels()).toEqual(['0 ch1:e2e', '1 ch4:clear']));
    inner.send({ type: 'problem', problem: 'worker_stopped' });
    await vi.waitFor(() => expect(calls()).toBeUndefined());
    expect(channels()).toEqual(['0 ch1:e2e', '1 ch4:clear']);
    fakes.enabled = false;
    await notifySiteChanged(ORIGIN);
    await vi.waitFor(() => expect(tab()?.channels).toBeUndefined());
  });

  it(`keeps the channels of the first ${MAX_TAB_CHANNEL_FRAMES} frames that report some`, async () => {
    const frames = Array.from({ length: MAX_TAB_CHANNEL_FRAMES + 1 }, (_, i) => open(MAX_TAB_CHANNEL_FRAMES - i));
    for (const frame of frames) frame.send({ type: 'data-channels', channels: [channel(frame.frameId)] });
    for (const frame of frames) await report(frame);
    const kept = tab()?.channels?.map((f) => f.frameId);
    expect(kept).toEqual(Array.from({ length: MAX_TAB_CHANNEL_FRAMES }, (_, i) => i));
  });

  it('refuses a report that is not one, and keeps the last good one', async () => {
    const top = open(0);
    await report(top, { type: 'data-channels', channels: [channel(1)] });
    for (const bad of [
      { type: 'data-channels', channels: [channel(1, { label: 'x'.repeat(129) })] },
      { type: 'data-channels', channels: [{ ...channel(1), state: 'maybe' }] },
      { type: 'data-channels', channels: [{ ...channel(1), sent: -1 }] },
      { type: 'data-channels', channels: [channel(1)], frameId: 3 },
      { type: 'data-channels', channels: Array.from({ length: 65 }, (_, i) => channel(i)) },
    ]) {
      top.send(bad);
    }
    await report(top);
    expect(channels()).toEqual(['0 ch1:e2e']);
  });
});
