/**
 * The bridge's side of the call chat (src/content/chat-link.ts): on its own over a fake `sendChat` on fake timers, what
 * the background hears of received and sent messages, the history a panel gets, the transcript's bound and its erasure
 * at the call's end; then a whole bridge (src/content/start-bridge.ts, on the fakes of bridge-fakes.ts) answering the
 * background's `chat-send` and `chat-history`.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatLink } from '../../src/content/chat-link';
import { CHAT_HOLD_MS, MAX_CHAT_TRANSCRIPT } from '../../src/content/constants';
import { systemTimers } from '../../src/content/timers';
import {
  type BridgeToBackground,
  type ChatEntry,
  type ChatSendResult,
  MAX_CHAT_ENTRIES_PER_MESSAGE,
  type ReceivedChat,
} from '../../src/shared/messages';
import {
  type BridgeUnderTest,
  epochKeys,
  START_MS,
  settle,
  startFakeBridge,
  transformStats,
  until,
  useBridgeTimers,
} from './bridge-fakes';

const BO = 0x0b0_b000_0002n;
const CY = 0x0c0_c000_0003n;

function received(pid: bigint, seq: number, text = `message ${seq}`): ReceivedChat {
  return {
    pid,
    fingerprint: pid === BO ? 'cobalt delta' : 'amber finch',
    seq,
    name: pid === BO ? 'Bo' : '',
    text,
    sentAt: 1_700_000_000_000 + seq,
  };
}

/** A chat link whose call answers `results` in turn (`sent` with seq 0, 1, ... once they run out). */
function chatLink({ inCall = true } = {}) {
  const toBackground: BridgeToBackground[] = [];
  const sends: [string, string][] = [];
  const results: ({ result: ChatSendResult; seq?: number } | Error)[] = [];
  let seq = 0;
  const state = { inCall };
  const link = new ChatLink({
    timers: systemTimers,
    toBackground: (message) => toBackground.push(message),
    sendChat: async (text, name) => {
      sends.push([text, name]);
      const next = results.shift() ?? { result: 'sent', seq: seq++ };
      if (next instanceof Error) throw next;
      return next;
    },
    inCall: () => state.inCall,
  });
  return {
    link,
    toBackground,
    sends,
    results,
    state,
    /** The `chat` messages posted, as `[replace, entry ids]`. */
    chats(): [boolean, string[]][] {
      return toBackground.flatMap((m) => (m.type === 'chat' ? [[m.replace, m.entries.map((e) => e.id)]] : []));
    },
    entries(): ChatEntry[] {
      return toBackground.flatMap((m) => (m.type === 'chat' ? m.entries : []));
    },
  };
}

beforeEach(() => {
  useBridgeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ChatLink', () => {
  it('posts each received message as an entry: from its fingerprint, when it came, its sender’s seq and clock', () => {
    const t = chatLink();
    vi.advanceTimersByTime(250);
    t.link.onReceived(received(BO, 4, 'hello there'));
    expect(t.toBackground).toEqual([
      {
        type: 'chat',
        replace: false,
        entries: [
          {
            id: 'b0b0000002-4',
            from: 'cobalt delta',
            name: 'Bo',
            text: 'hello there',
            at: START_MS + 250,
            sentAt: 1_700_000_000_004,
            seq: 4,
          },
        ],
      },
    ]);
    expect(t.link.transcript).toEqual(t.entries());
  });

  it(`holds a message ahead of a gap until the missing one comes, or ${CHAT_HOLD_MS} ms passed`, () => {
    const t = chatLink();
    t.link.onReceived(received(BO, 0));
    t.link.onReceived(received(BO, 2));
    t.link.onReceived(received(CY, 7));
    expect(t.chats()).toEqual([
      [false, ['b0b0000002-0']],
      [false, ['c0c0000003-7']],
    ]);
    t.link.onReceived(received(BO, 1));
    expect(t.chats().at(-1)).toEqual([false, ['b0b0000002-1', 'b0b0000002-2']]);
    // A gap that stays: released by the timer, the late one then dropped.
    t.link.onReceived(received(BO, 5));
    vi.advanceTimersByTime(CHAT_HOLD_MS - 1);
    expect(t.chats()).toHaveLength(3);
    vi.advanceTimersByTime(1);
    expect(t.chats().at(-1)).toEqual([false, ['b0b0000002-5']]);
    t.link.onReceived(received(BO, 4));
    t.link.onReceived(received(BO, 5)); // the repeat of a shown one
    expect(t.chats()).toHaveLength(4);
    expect(t.link.transcript.map((e) => e.seq)).toEqual([0, 7, 1, 2, 5]);
  });

  it('sends a panel’s message: once sent, ours joins the transcript (from you) before the result', async () => {
    const t = chatLink();
    t.results.push({ result: 'sent', seq: 3 });
    await t.link.send('m-1', 'hi all', 'Ann');
    expect(t.sends).toEqual([['hi all', 'Ann']]);
    expect(t.toBackground).toEqual([
      {
        type: 'chat',
        replace: false,
        entries: [{ id: 'm-1', from: 'you', name: 'Ann', text: 'hi all', at: START_MS, sentAt: START_MS, seq: 3 }],
      },
      { type: 'chat-result', id: 'm-1', result: 'sent' },
    ]);
  });

  it.each(['no_one', 'too_long', 'empty', 'busy', 'ended'] as const)(
    'answers %s and adds nothing to the transcript',
    async (result) => {
      const t = chatLink();
      t.results.push({ result });
      await t.link.send('m-2', 'hi', '');
      expect(t.toBackground).toEqual([{ type: 'chat-result', id: 'm-2', result }]);
      expect(t.link.transcript).toEqual([]);
    },
  );

  it('answers ended if the call threw (it never should)', async () => {
    const t = chatLink();
    t.results.push(new Error('a bug'));
    await t.link.send('m-3', 'hi', '');
    expect(t.toBackground).toEqual([{ type: 'chat-result', id: 'm-3', result: 'ended' }]);
  });

  it('sends a new panel the whole transcript, the first message replacing, in messages of at most 200', async () => {
    const t = chatLink();
    t.link.history();
    expect(t.toBackground).toEqual([{ type: 'chat', entries: [], replace: true }]); // a call without messages yet
    for (let seq = 0; seq < 450; seq++) t.link.onReceived(received(BO, seq));
    await t.link.send('mine', 'last', '');
    t.toBackground.length = 0;
    t.link.history();
    expect(t.chats().map(([replace, ids]) => [replace, ids.length])).toEqual([
      [true, MAX_CHAT_ENTRIES_PER_MESSAGE],
      [false, MAX_CHAT_ENTRIES_PER_MESSAGE],
      [false, 51],
    ]);
    expect(t.entries()).toEqual(t.link.transcript);
    expect(t.entries().at(-1)).toMatchObject({ id: 'mine', from: 'you' });
  });

  it('sends no history without a call', () => {
    const t = chatLink({ inCall: false });
    t.link.history();
    expect(t.toBackground).toEqual([]);
  });

  it(`keeps the last ${MAX_CHAT_TRANSCRIPT} messages of the call`, () => {
    const t = chatLink();
    for (let seq = 0; seq < MAX_CHAT_TRANSCRIPT + 20; seq++) t.link.onReceived(received(BO, seq));
    const transcript = t.link.transcript;
    expect(transcript).toHaveLength(MAX_CHAT_TRANSCRIPT);
    expect(transcript[0]?.seq).toBe(20);
    expect(transcript.at(-1)?.seq).toBe(MAX_CHAT_TRANSCRIPT + 19);
  });

  it('erases everything at the call’s end: the transcript, what waited for a gap, and a send that completes after', async () => {
    const t = chatLink();
    t.link.onReceived(received(BO, 0));
    t.link.onReceived(received(BO, 2)); // waits
    let finish: (value: { result: ChatSendResult; seq?: number }) => void = () => {};
    t.results.length = 0;
    const sending = new ChatLink({
      timers: systemTimers,
      toBackground: (message) => t.toBackground.push(message),
      sendChat: () =>
        new Promise((resolve) => {
          finish = resolve;
        }),
      inCall: () => true,
    });
    const inFlight = sending.send('late', 'from the old call', '');
    sending.clear();
    finish({ result: 'sent', seq: 0 });
    await inFlight;
    expect(sending.transcript).toEqual([]); // the old call's message is not the new call's
    expect(t.toBackground.at(-1)).toEqual({ type: 'chat-result', id: 'late', result: 'sent' });

    t.link.clear();
    expect(t.link.transcript).toEqual([]);
    const posted = t.toBackground.length;
    vi.advanceTimersByTime(10 * CHAT_HOLD_MS);
    expect(t.toBackground).toHaveLength(posted); // the held message went with the call
    // The next call's messages start afresh: a sender's seq 0 is no duplicate there.
    t.link.onReceived(received(BO, 0));
    expect(t.link.transcript.map((e) => e.id)).toEqual(['b0b0000002-0']);
  });
});

describe('a bridge answering the background’s chat messages', () => {
  let bridge: BridgeUnderTest;

  afterEach(() => {
    bridge.teardown.abort();
  });

  const chatPosts = () => bridge.background.posted.filter((m) => m.type === 'chat' || m.type === 'chat-result');

  it('answers ended without a call, and sends no history', async () => {
    bridge = startFakeBridge();
    bridge.background.send({ type: 'chat-send', id: 'x1', text: 'hello', name: 'Ann' });
    bridge.background.send({ type: 'chat-history' });
    await settle();
    expect(chatPosts()).toEqual([{ type: 'chat-result', id: 'x1', result: 'ended' }]);
  });

  it('ignores a chat-send that breaks its schema (a bug of ours must not half-apply)', async () => {
    bridge = startFakeBridge();
    bridge.background.send({ type: 'chat-send', id: 'x1', text: 'é'.repeat(2_049), name: '' }); // 4,098 bytes
    bridge.background.send({ type: 'chat-send', id: 'x'.repeat(65), text: 'hi', name: '' });
    bridge.background.send({ type: 'chat-history', tabId: 3 });
    await settle();
    expect(chatPosts()).toEqual([]);
  });

  it('answers ended in an unsafe realm, which never runs a call', async () => {
    bridge = startFakeBridge({ unsafeRealm: true });
    bridge.background.send({ type: 'chat-send', id: 'x2', text: 'hello', name: '' });
    bridge.background.send({ type: 'chat-history' });
    await settle();
    expect(chatPosts()).toEqual([{ type: 'chat-result', id: 'x2', result: 'ended' }]);
  });

  it('sends the history of a running call, and none once the call ended with its keys', async () => {
    bridge = startFakeBridge();
    bridge.trustWorker();
    bridge.background.send(epochKeys());
    await settle();
    bridge.worker.receive({ type: 'stats', stats: [transformStats({ id: 'send-video-1', side: 'send' })] });
    await until(() => bridge.worker.ofType('call').length > 0);
    bridge.background.send({ type: 'chat-history' });
    await settle();
    expect(chatPosts()).toEqual([{ type: 'chat', entries: [], replace: true }]);
    bridge.background.send({ type: 'no-key' }); // the keys went: the call ends, its chat with it
    await settle();
    expect(bridge.background.posted.at(-1)).toEqual({ type: 'call' });
    bridge.background.send({ type: 'chat-history' });
    bridge.background.send({ type: 'chat-send', id: 'x3', text: 'anyone?', name: '' });
    await settle();
    expect(chatPosts().slice(1)).toEqual([{ type: 'chat-result', id: 'x3', result: 'ended' }]);
  });
});
