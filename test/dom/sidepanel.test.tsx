/** @jsxImportSource preact */
/**
 * The call chat side panel (src/sidepanel) rendered in happy-dom against a fake background port ("framelock-chat"):
 * the conversation merged from the bridges' entries (by frame and id, in order of time, `replace`), our own messages
 * from sending to sent or not sent (each reason, and no answer in 10 s), Enter and Shift+Enter, the size of a message
 * in UTF-8 bytes and the error past the limit, the name (saved, bounded), "Copy conversation", the tab without a call
 * and the call that ended, text shown as text, messages of the wrong shape ignored, and the port opened again (with
 * `open` again) after it dropped.
 */
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/preact';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatPanel } from '../../src/sidepanel/ChatPanel';
import type { ChatEntry, PanelToBackground } from '../../src/sidepanel/protocol';
import { fakeBrowser } from './fake-browser';

const TAB_ID = 7;
const SEARCH = `?tabId=${TAB_ID}`;

type Listener = (...args: unknown[]) => void;

/** One end of a runtime port, as the panel sees it; the test plays the background at the other end. */
class FakePort {
  readonly posted: PanelToBackground[] = [];
  disconnected = false;
  readonly #onMessage = new Set<Listener>();
  readonly #onDisconnect = new Set<Listener>();
  readonly onMessage = FakePort.#event(this.#onMessage);
  readonly onDisconnect = FakePort.#event(this.#onDisconnect);

  constructor(readonly name: string) {}

  static #event(listeners: Set<Listener>) {
    return {
      addListener: (listener: Listener) => listeners.add(listener),
      removeListener: (listener: Listener) => listeners.delete(listener),
      hasListener: (listener: Listener) => listeners.has(listener),
    };
  }

  postMessage(message: unknown): void {
    if (this.disconnected) throw new Error('Attempting to use a disconnected port object');
    this.posted.push(JSON.parse(JSON.stringify(message)) as PanelToBackground);
  }

  disconnect(): void {
    this.disconnected = true;
  }

  /** The background sends `message` (JSON, as a port carries it). */
  deliver(message: unknown): void {
    const copy: unknown = JSON.parse(JSON.stringify(message));
    act(() => {
      for (const listener of this.#onMessage) listener(copy, this);
    });
  }

  /** The background went away (its service worker stopped). */
  drop(): void {
    this.disconnected = true;
    act(() => {
      for (const listener of this.#onDisconnect) listener(this);
    });
  }

  /** The sends posted on this port. */
  sends(): Extract<PanelToBackground, { type: 'send' }>[] {
    return this.posted.filter((message) => message.type === 'send');
  }
}

let ports: FakePort[];
let clipboard: string[];
let stored: Record<string, unknown>;
const original = {
  connect: fakeBrowser.runtime.connect,
  get: fakeBrowser.storage.local.get,
  set: fakeBrowser.storage.local.set,
};

beforeEach(() => {
  ports = [];
  clipboard = [];
  stored = {};
  fakeBrowser.runtime.connect = (info?: unknown) => {
    const port = new FakePort((info as { name: string }).name);
    ports.push(port);
    return port;
  };
  fakeBrowser.storage.local.get = vi.fn(async (key?: unknown) =>
    typeof key === 'string' && key in stored ? { [key]: stored[key] } : {},
  );
  fakeBrowser.storage.local.set = vi.fn(async (items: unknown) => {
    Object.assign(stored, items);
  });
  Object.defineProperty(navigator, 'clipboard', {
    configurable: true,
    value: {
      writeText: vi.fn(async (text: string) => {
        clipboard.push(text);
      }),
    },
  });
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.restoreAllMocks();
  fakeBrowser.runtime.connect = original.connect;
  fakeBrowser.storage.local.get = original.get;
  fakeBrowser.storage.local.set = original.set;
});

/** Local time `hh:mm` today, in ms (the panel shows local HH:MM). */
const at = (hours: number, minutes: number, seconds = 0): number => {
  const date = new Date();
  date.setHours(hours, minutes, seconds, 0);
  return date.getTime();
};

function entry(overrides: Partial<ChatEntry> & Pick<ChatEntry, 'id' | 'text' | 'at'>): ChatEntry {
  return { from: 'quiet otter', name: '', sentAt: overrides.at, seq: 0, ...overrides };
}

/** The panel for tab 7, its port, and the tab's call count said (`calls`; `null`: not said yet). */
function renderPanel(calls: number | null = 1) {
  const view = render(<ChatPanel search={SEARCH} />);
  const port = ports.at(-1);
  if (port !== undefined && calls !== null) port.deliver({ type: 'calls', count: calls });
  return { view, port: port as FakePort };
}

const log = () => screen.getByRole('log', { name: 'Conversation' });
const messageField = () => screen.getByLabelText('Message') as HTMLTextAreaElement;
const sendButton = () => screen.getByRole('button', { name: 'Send' }) as HTMLButtonElement;
/** Each message in the log: its meta line, its text, its state line (if ours). */
const shown = () =>
  [...log().querySelectorAll('.message')].map((message) => ({
    meta: message.querySelector('.meta')?.textContent,
    text: message.querySelector('.text')?.textContent,
    state: message.querySelector('.state')?.textContent,
  }));
const texts = () => shown().map((message) => message.text);

/** Lets `ms` pass on the fake clock. */
function advance(ms: number): void {
  act(() => {
    vi.advanceTimersByTime(ms);
  });
}

/** Types `text` into the message field as one input (a paste), then sends it with Enter. */
function sendText(text: string): void {
  fireEvent.input(messageField(), { target: { value: text } });
  fireEvent.keyDown(messageField(), { key: 'Enter' });
}

describe('side panel: the tab and its call', () => {
  it('opens its port "framelock-chat" and says which tab it is about', () => {
    const { port } = renderPanel(null);
    expect(ports).toHaveLength(1);
    expect(port.name).toBe('framelock-chat');
    expect(port.posted).toEqual([{ type: 'open', tabId: TAB_ID }]);
    expect(screen.getByText('Connecting to Framelock…')).toBeTruthy();
    expect(messageField().disabled).toBe(true);
  });

  it('without ?tabId= it says how to open it, and opens no port', () => {
    render(<ChatPanel search="" />);
    expect(screen.getByText(/not tied to a tab/)).toBeTruthy();
    expect(ports).toHaveLength(0);
    expect(screen.queryByLabelText('Message')).toBeNull();
  });

  it('no call on the tab: says so, and the message field and Send are disabled', () => {
    renderPanel(0);
    expect(
      screen.getByText("No encrypted call on this tab. The chat works once your call's keys are agreed."),
    ).toBeTruthy();
    expect(messageField().disabled).toBe(true);
    expect(sendButton().disabled).toBe(true);
    sendText('hello');
    expect(ports[0]?.sends()).toEqual([]);
  });

  it('a call: the field is enabled and the notice gone; several calls are said', () => {
    const { port } = renderPanel(1);
    expect(messageField().disabled).toBe(false);
    expect(screen.queryByText(/No encrypted call/)).toBeNull();
    port.deliver({ type: 'calls', count: 2 });
    expect(screen.getByText('This tab has 2 calls: your messages go to each of them.')).toBeTruthy();
  });

  it('the call ended: says the conversation is erased on close, keeps it shown and copyable, input disabled', async () => {
    const { port } = renderPanel(1);
    port.deliver({
      type: 'entries',
      frameId: 0,
      entries: [entry({ id: 'a', text: 'still here', at: at(9, 1) })],
      replace: false,
    });
    port.deliver({ type: 'ended', frameId: 0 });
    port.deliver({ type: 'calls', count: 0 });
    expect(screen.getByText('The call ended. This conversation is erased when you close this panel.')).toBeTruthy();
    expect(texts()).toEqual(['still here']);
    expect(messageField().disabled).toBe(true);
    expect(sendButton().disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Copy conversation' }));
    expect(await screen.findByText('Conversation copied.')).toBeTruthy();
    expect(clipboard).toEqual(['[09:01] quiet otter: still here\n']);
  });

  it('a new call in the same frame after the end: the old messages stay, the new ones join them', () => {
    const { port } = renderPanel(1);
    port.deliver({
      type: 'entries',
      frameId: 0,
      entries: [entry({ id: '1', text: 'first call', at: at(9, 0) })],
      replace: false,
    });
    port.deliver({ type: 'ended', frameId: 0 });
    port.deliver({ type: 'calls', count: 0 });
    port.deliver({ type: 'calls', count: 1 });
    // The new call's bridge starts over: the same ids again, and its whole (new) history.
    port.deliver({
      type: 'entries',
      frameId: 0,
      entries: [entry({ id: '1', text: 'second call', at: at(10, 0) })],
      replace: true,
    });
    expect(texts()).toEqual(['first call', 'second call']);
    expect(messageField().disabled).toBe(false);
  });
});

describe('side panel: the conversation', () => {
  it('is a log named "Conversation", polite; each message with name, fingerprint, local HH:MM and text', () => {
    const { port } = renderPanel();
    expect(log().getAttribute('aria-live')).toBe('polite');
    expect(screen.getByText('No messages yet.')).toBeTruthy();
    port.deliver({
      type: 'entries',
      frameId: 0,
      entries: [
        entry({ id: 'b1', from: 'brave heron', name: 'Bob', text: 'hi there', at: at(14, 5) }),
        entry({ id: 'c1', from: 'calm lynx', name: '', text: 'no name here', at: at(14, 6) }),
      ],
      replace: false,
    });
    const [bob, anonymous] = [...log().querySelectorAll('.message')];
    expect(within(bob as HTMLElement).getByText('Bob').tagName).toBe('BDI');
    expect(within(bob as HTMLElement).getByText('brave heron').className).toBe('fingerprint');
    expect(within(bob as HTMLElement).getByText('14:05').tagName).toBe('TIME');
    expect(shown()).toEqual([
      { meta: 'Bobbrave heron14:05', text: 'hi there', state: undefined },
      { meta: 'calm lynx14:06', text: 'no name here', state: undefined },
    ]);
    expect(anonymous?.querySelector('.name')).toBeNull();
    expect(screen.queryByText('No messages yet.')).toBeNull();
  });

  it('merges entries by frame and id, in order of time across frames', () => {
    const { port } = renderPanel(2);
    port.deliver({
      type: 'entries',
      frameId: 0,
      entries: [entry({ id: '2', text: 'three', at: at(10, 3) }), entry({ id: '1', text: 'one', at: at(10, 1) })],
      replace: false,
    });
    port.deliver({
      type: 'entries',
      frameId: 3,
      entries: [entry({ id: '1', text: 'two', at: at(10, 2) })],
      replace: false,
    });
    expect(texts()).toEqual(['one', 'two', 'three']);
    // The same entry again (a repeat), and a new one: no duplicate.
    port.deliver({
      type: 'entries',
      frameId: 0,
      entries: [entry({ id: '1', text: 'one', at: at(10, 1) }), entry({ id: '3', text: 'four', at: at(10, 4) })],
      replace: false,
    });
    expect(texts()).toEqual(['one', 'two', 'three', 'four']);
  });

  it('replace: a frame’s whole history instead of what it sent before; other frames keep theirs', () => {
    const { port } = renderPanel(2);
    port.deliver({
      type: 'entries',
      frameId: 0,
      entries: [entry({ id: '1', text: 'old one', at: at(11, 1) }), entry({ id: '2', text: 'old two', at: at(11, 3) })],
      replace: false,
    });
    port.deliver({
      type: 'entries',
      frameId: 3,
      entries: [entry({ id: '1', text: 'other frame', at: at(11, 2) })],
      replace: false,
    });
    port.deliver({
      type: 'entries',
      frameId: 0,
      entries: [entry({ id: '2', text: 'old two', at: at(11, 3) }), entry({ id: '4', text: 'new', at: at(11, 4) })],
      replace: true,
    });
    expect(texts()).toEqual(['other frame', 'old two', 'new']);
  });

  it('shows text and names with HTML in them as the text they are', () => {
    const { port } = renderPanel();
    const html = '<img src=x onerror="alert(1)"><b>bold</b> & <script>alert(2)</script>';
    port.deliver({
      type: 'entries',
      frameId: 0,
      entries: [entry({ id: '1', name: '<i>Eve</i>', text: html, at: at(12, 0) })],
      replace: false,
    });
    expect(texts()).toEqual([html]);
    expect(screen.getByText('<i>Eve</i>')).toBeTruthy();
    expect(log().querySelector('img, b, i, script')).toBeNull();
  });

  it('ignores messages of the wrong shape (fails closed), and goes on with the good ones', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { port } = renderPanel();
    const bad = [
      {
        type: 'entries',
        frameId: 0,
        entries: [entry({ id: 'x', text: 'é'.repeat(2049), at: at(8, 0) })],
        replace: false,
      },
      {
        type: 'entries',
        frameId: 0,
        entries: [{ ...entry({ id: 'y', text: 'extra field', at: at(8, 0) }), html: '<b>' }],
        replace: false,
      },
      {
        type: 'entries',
        frameId: 0,
        entries: [entry({ id: 'z', from: 'Not A Fingerprint', text: 'spoof', at: at(8, 0) })],
        replace: false,
      },
      { type: 'entries', frameId: -1, entries: [], replace: false },
      { type: 'calls', count: -1 },
      { type: 'calls', count: '3' },
      { type: 'result', id: 'q', result: 'maybe' },
      { type: 'unknown' },
      [{ type: 'calls', count: 0 }],
      'calls',
      null,
    ];
    for (const message of bad) port.deliver(message);
    expect(texts()).toEqual([]);
    expect(messageField().disabled).toBe(false); // no bad `calls` got through
    expect(warn).toHaveBeenCalledTimes(bad.length);
    port.deliver({
      type: 'entries',
      frameId: 0,
      entries: [entry({ id: 'ok', text: 'fine', at: at(8, 1) })],
      replace: false,
    });
    expect(texts()).toEqual(['fine']);
  });
});

describe('side panel: sending', () => {
  it('Enter sends the message with the name; it shows as ours, sending, then sent', async () => {
    stored.chatName = 'Ada';
    const { port } = renderPanel();
    await vi.waitFor(() => expect((screen.getByLabelText('Your name') as HTMLInputElement).value).toBe('Ada'));
    sendText('  hello, all  ');
    const [send] = port.sends();
    expect(send).toEqual({ type: 'send', id: expect.any(String), text: 'hello, all', name: 'Ada' });
    expect(send?.id.length).toBeLessThanOrEqual(64);
    expect(messageField().value).toBe('');
    expect(shown()).toEqual([
      { meta: expect.stringMatching(/^AdaYou\d\d:\d\d$/), text: 'hello, all', state: 'Sending…' },
    ]);
    expect(log().querySelector('.message')?.getAttribute('data-from')).toBe('you');
    port.deliver({ type: 'result', id: send?.id, result: 'sent' });
    expect(shown()[0]?.state).toBe('Sent');
  });

  it('the bridge’s entry of our message is the same message (matched by id): shown once', () => {
    const { port } = renderPanel();
    sendText('only once');
    const id = port.sends()[0]?.id as string;
    port.deliver({ type: 'result', id, result: 'sent' });
    port.deliver({
      type: 'entries',
      frameId: 0,
      entries: [entry({ id, from: 'you', text: 'only once', at: Date.now() })],
      replace: false,
    });
    expect(shown()).toEqual([{ meta: expect.stringMatching(/^You\d\d:\d\d$/), text: 'only once', state: 'Sent' }]);
  });

  it.each([
    ['no_one', 'Not sent: Nobody in the call has your keys yet.'],
    ['busy', 'Not sent: Sending too fast; wait a moment.'],
    ['too_long', 'Not sent: Too long for one message.'],
    ['empty', 'Not sent: The message was empty.'],
  ] as const)('the call refused it (%s): not sent, and why', (result, text) => {
    const { port } = renderPanel();
    sendText('try');
    port.deliver({ type: 'result', id: port.sends()[0]?.id, result });
    expect(shown()[0]?.state).toBe(text);
    expect(log().querySelector('.message')?.getAttribute('data-state')).toBe('failed');
  });

  it('"ended" from a frame without a call waits for the frame with the call, whose "sent" wins', () => {
    const { port } = renderPanel(1);
    sendText('to the call');
    const id = port.sends()[0]?.id;
    port.deliver({ type: 'result', id, result: 'ended' });
    expect(shown()[0]?.state).toBe('Sending…');
    port.deliver({ type: 'result', id, result: 'sent' });
    expect(shown()[0]?.state).toBe('Sent');
  });

  it('"ended" once the tab has no call left: not sent, because the call ended', () => {
    const { port } = renderPanel(1);
    sendText('too late');
    const id = port.sends()[0]?.id;
    port.deliver({ type: 'result', id, result: 'ended' });
    port.deliver({ type: 'calls', count: 0 });
    expect(shown()[0]?.state).toBe('Not sent: The call ended.');
  });

  it('no answer within 10 s: not sent (and a late "sent" still says sent)', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { port } = renderPanel();
    sendText('anyone?');
    advance(9_999);
    expect(shown()[0]?.state).toBe('Sending…');
    advance(1);
    expect(shown()[0]?.state).toBe('Not sent: No answer from the call within 10 seconds.');
    port.deliver({ type: 'result', id: port.sends()[0]?.id, result: 'sent' });
    expect(shown()[0]?.state).toBe('Sent');
  });

  it('an answer in time stops the clock: no failure 10 s later', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { port } = renderPanel();
    sendText('quick');
    port.deliver({ type: 'result', id: port.sends()[0]?.id, result: 'sent' });
    advance(20_000);
    expect(shown()[0]?.state).toBe('Sent');
  });

  it('Shift+Enter is a new line; Enter sends the lines; an empty message is not sent', async () => {
    const user = userEvent.setup();
    const { port } = renderPanel();
    await user.click(messageField());
    await user.keyboard('{Enter}');
    expect(port.sends()).toEqual([]);
    await user.keyboard('line one{Shift>}{Enter}{/Shift}line two');
    expect(messageField().value).toBe('line one\nline two');
    expect(port.sends()).toEqual([]);
    await user.keyboard('{Enter}');
    expect(port.sends().map((send) => send.text)).toEqual(['line one\nline two']);
    expect(messageField().value).toBe('');
    expect(texts()).toEqual(['line one\nline two']);
  });

  it('the Send button sends too', () => {
    const { port } = renderPanel();
    fireEvent.input(messageField(), { target: { value: 'by button' } });
    fireEvent.click(sendButton());
    expect(port.sends().map((send) => send.text)).toEqual(['by button']);
  });

  it('counts UTF-8 bytes past 3,500; past 4,096 says so plainly and sends nothing', () => {
    const { port } = renderPanel();
    // '€' is one UTF-16 unit but three bytes in UTF-8: 1,166 of them are 3,498 bytes, 1,200 are 3,600.
    fireEvent.input(messageField(), { target: { value: '€'.repeat(1_166) } });
    expect(screen.queryByText(/of 4,096 bytes/)).toBeNull();
    fireEvent.input(messageField(), { target: { value: '€'.repeat(1_200) } });
    const counter = screen.getByText('3,600 of 4,096 bytes');
    expect(messageField().getAttribute('aria-describedby')).toContain(counter.id);
    // 1,440 characters (far below 4,096 of them), 4,320 bytes.
    sendText('€'.repeat(1_440));
    const error = screen.getByRole('alert');
    expect(error.textContent).toBe('Too long: 4,320 bytes; at most 4,096. Split it.');
    expect(messageField().getAttribute('aria-invalid')).toBe('true');
    expect(messageField().getAttribute('aria-describedby')).toContain(error.id);
    fireEvent.click(sendButton());
    expect(port.sends()).toEqual([]);
    expect(messageField().value).toBe('€'.repeat(1_440)); // kept, to split
    // Exactly 4,096 bytes is allowed.
    sendText(`${'€'.repeat(1_365)}a`);
    expect(port.sends()).toHaveLength(1);
  });

  it('a port that is down: not sent, and why', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { port } = renderPanel();
    port.drop();
    sendText('into the void');
    expect(shown()[0]?.state).toBe('Not sent: Framelock could not be reached; try again.');
  });
});

describe('side panel: your name', () => {
  it('is read from storage.local (chatName), and saved there when changed', async () => {
    stored.chatName = 'Ada';
    renderPanel();
    const name = screen.getByLabelText('Your name') as HTMLInputElement;
    await vi.waitFor(() => expect(name.value).toBe('Ada'));
    expect(fakeBrowser.storage.local.get).toHaveBeenCalledWith('chatName');
    fireEvent.input(name, { target: { value: '  Grace ' } });
    fireEvent.change(name);
    expect(fakeBrowser.storage.local.set).toHaveBeenCalledWith({ chatName: 'Grace' });
  });

  it('is saved when a message goes with it', () => {
    const { port } = renderPanel();
    fireEvent.input(screen.getByLabelText('Your name'), { target: { value: 'Lin' } });
    sendText('hi');
    expect(port.sends()[0]?.name).toBe('Lin');
    expect(stored).toEqual({ chatName: 'Lin' });
  });

  it('past 64 bytes: says so, sends nothing and saves nothing until it is shorter', () => {
    const { port } = renderPanel();
    const name = screen.getByLabelText('Your name') as HTMLInputElement;
    // 33 × 'é' = 33 characters, 66 bytes.
    fireEvent.input(name, { target: { value: 'é'.repeat(33) } });
    fireEvent.change(name);
    expect(screen.getByText('Too long: 66 bytes; at most 64. Shorten your name to send.')).toBeTruthy();
    expect(name.getAttribute('aria-invalid')).toBe('true');
    sendText('hello');
    expect(port.sends()).toEqual([]);
    expect(document.activeElement).toBe(name);
    expect(messageField().value).toBe('hello');
    expect(fakeBrowser.storage.local.set).not.toHaveBeenCalled();
    fireEvent.input(name, { target: { value: 'é'.repeat(32) } });
    fireEvent.click(sendButton());
    expect(port.sends()[0]?.name).toBe('é'.repeat(32));
  });
});

describe('side panel: Copy conversation', () => {
  it('copies `[HH:MM] name (fingerprint): text` lines, "You" for ours, without what was not sent', async () => {
    const { port } = renderPanel();
    port.deliver({
      type: 'entries',
      frameId: 0,
      entries: [
        entry({ id: 'b', from: 'brave heron', name: 'Bob', text: 'hi Ada', at: at(14, 5) }),
        entry({ id: 'c', from: 'calm lynx', name: '', text: 'two\nlines', at: at(14, 7) }),
      ],
      replace: false,
    });
    fireEvent.input(screen.getByLabelText('Your name'), { target: { value: 'Ada' } });
    sendText('hello Bob');
    const id = port.sends()[0]?.id as string;
    port.deliver({ type: 'result', id, result: 'sent' });
    port.deliver({
      type: 'entries',
      frameId: 0,
      entries: [entry({ id, from: 'you', name: 'Ada', text: 'hello Bob', at: at(14, 6) })],
      replace: false,
    });
    sendText('never sent');
    port.deliver({ type: 'result', id: port.sends()[1]?.id, result: 'no_one' });
    fireEvent.click(screen.getByRole('button', { name: 'Copy conversation' }));
    expect(await screen.findByText('Conversation copied.')).toBeTruthy();
    expect(clipboard).toEqual([
      '[14:05] Bob (brave heron): hi Ada\n[14:06] Ada (You): hello Bob\n[14:07] calm lynx: two\nlines\n',
    ]);
  });

  it('a clipboard that refuses: says how to copy by hand', async () => {
    Object.defineProperty(navigator, 'clipboard', {
      configurable: true,
      value: { writeText: async () => Promise.reject(new Error('denied')) },
    });
    const { port } = renderPanel();
    port.deliver({
      type: 'entries',
      frameId: 0,
      entries: [entry({ id: '1', text: 'x', at: at(1, 2) })],
      replace: false,
    });
    fireEvent.click(screen.getByRole('button', { name: 'Copy conversation' }));
    expect(await screen.findByText(/Select the messages and copy them by hand/)).toBeTruthy();
  });

  it('nothing to copy: the button is disabled', () => {
    renderPanel();
    expect((screen.getByRole('button', { name: 'Copy conversation' }) as HTMLButtonElement).disabled).toBe(true);
  });
});

describe('side panel: the port drops (the service worker stopped)', () => {
  it('opens it again and says `open` again; the history sent again replaces, without duplicates', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { port } = renderPanel();
    const history = [entry({ id: '1', text: 'before', at: at(13, 0) })];
    port.deliver({ type: 'entries', frameId: 0, entries: history, replace: true });
    port.drop();
    expect(ports).toHaveLength(1);
    advance(500);
    expect(ports).toHaveLength(2);
    const again = ports[1] as FakePort;
    expect(again.name).toBe('framelock-chat');
    expect(again.posted).toEqual([{ type: 'open', tabId: TAB_ID }]);
    again.deliver({ type: 'calls', count: 1 });
    again.deliver({
      type: 'entries',
      frameId: 0,
      entries: [...history, entry({ id: '2', text: 'after', at: at(13, 1) })],
      replace: true,
    });
    expect(texts()).toEqual(['before', 'after']);
    // Messages on the old port are no longer read.
    port.deliver({
      type: 'entries',
      frameId: 0,
      entries: [entry({ id: '9', text: 'stale', at: at(13, 2) })],
      replace: false,
    });
    expect(texts()).toEqual(['before', 'after']);
    // Sends go on the new port.
    sendText('still here');
    expect(again.sends().map((send) => send.text)).toEqual(['still here']);
  });

  it('retries less often while the background keeps refusing, and soon again once it answered', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    renderPanel();
    ports[0]?.drop();
    advance(500);
    ports[1]?.drop();
    advance(999);
    expect(ports).toHaveLength(2);
    advance(1);
    expect(ports).toHaveLength(3);
    ports[2]?.deliver({ type: 'calls', count: 1 });
    ports[2]?.drop();
    advance(500);
    expect(ports).toHaveLength(4);
  });

  it('closing the panel disconnects and stops reconnecting', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { view, port } = renderPanel();
    act(() => {
      view.unmount();
    });
    expect(port.disconnected).toBe(true);
    advance(10_000);
    expect(ports).toHaveLength(1);
  });
});
