/** @jsxImportSource preact */
/**
 * The popup's "Text messages" (src/popup/DataChannels.tsx, channels.ts): the site's own data channels of the tab, one
 * row each with its label (the site's text, shown as text), how its messages travel and how many were refused, and the
 * call verdict, which must never say everything is encrypted while a channel is in clear. Rendered in happy-dom against
 * a fake background, as test/dom/popup.test.tsx does.
 */
import { cleanup, render, screen, waitFor, within } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { channelRows, shownLabel } from '../../src/popup/channels';
import { Popup } from '../../src/popup/Popup';
import type {
  DataChannelReport,
  SiteInfo,
  TabDataChannels,
  TabStatus,
  TransformStats,
} from '../../src/shared/messages';
import { transformStats } from '../transform-stats';
import { fakeBrowser } from './fake-browser';

const ORIGIN = 'https://meet.example.org';
const TAB_ID = 7;
const original = { sendMessage: fakeBrowser.runtime.sendMessage, query: fakeBrowser.tabs.query };

const SITE: SiteInfo = {
  origin: ORIGIN,
  enabledAt: 1_700_000_000_000,
  rooms: [{ label: '', keyedAt: 1_700_000_000_000, safetyWords: ['apple', 'banana', 'cherry', 'delta', 'eagle'] }],
  activeRoom: '',
  strict: false,
  indicator: true,
  rememberKeys: true,
  problems: [],
};

/** Our audio and a peer's video, all encrypted. */
const ENCRYPTED_CALL: TransformStats[] = [
  transformStats({ id: '0/s1', side: 'send', kind: 'audio', protected: 500, status: 'encrypted' }),
  transformStats({ id: '0/r1', side: 'receive', kind: 'video', protected: 400, status: 'encrypted' }),
];

function channel(streamId: number, overrides: Partial<DataChannelReport> = {}): DataChannelReport {
  return { connection: 0, streamId, label: 'chat', state: 'e2e', sent: 4, received: 5, refused: 0, ...overrides };
}

function frame(channels: DataChannelReport[], frameId = 0): TabDataChannels {
  return { frameId, documentId: `doc-${frameId}`, channels };
}

let status: TabStatus[];

function tabStatus(transforms: TransformStats[], channels: TabDataChannels[] | undefined): TabStatus {
  return {
    tabId: TAB_ID,
    origin: ORIGIN,
    transforms,
    problems: [],
    room: '',
    updatedAt: Date.now(),
    ...(channels === undefined ? {} : { channels }),
  };
}

/** The popup of a tab of an enabled site whose status has `transforms` and `channels`. */
function renderWith(transforms: TransformStats[], channels?: TabDataChannels[]) {
  status = [tabStatus(transforms, channels)];
  render(<Popup search="" transformSupported refreshMs={50} />);
}

beforeEach(() => {
  fakeBrowser.runtime.sendMessage = async (message: unknown) => {
    switch ((message as { type: string }).type) {
      case 'sites/list':
        return { ok: true, sites: [SITE], revoked: [] };
      case 'status/get':
        return { ok: true, tabs: status };
      default:
        return { ok: true };
    }
  };
  fakeBrowser.tabs.query = async () => [{ id: TAB_ID, url: `${ORIGIN}/call` }];
});

afterEach(() => {
  cleanup();
  Object.assign(fakeBrowser.runtime, { sendMessage: original.sendMessage });
  Object.assign(fakeBrowser.tabs, { query: original.query });
});

const textRows = async (): Promise<HTMLElement[]> =>
  within(await screen.findByRole('list', { name: 'Text messages' })).getAllByRole('listitem') as HTMLElement[];

/** The verdict line: its text, and its `data-summary` (which styles it). */
async function verdict(): Promise<{ text: string; summary: string | null }> {
  const line = await waitFor(() => {
    const found = document.querySelector<HTMLElement>('.summary');
    expect(found).not.toBeNull();
    return found as HTMLElement;
  });
  return { text: line.textContent ?? '', summary: line.getAttribute('data-summary') };
}

describe('popup: text messages (the site’s data channels)', () => {
  it('no section without channels', async () => {
    renderWith(ENCRYPTED_CALL);
    await screen.findByText(/End-to-end encrypted: the site sees only ciphertext/);
    expect(screen.queryByText('Text messages')).toBeNull();
    expect(document.querySelector('.channel')).toBeNull();
  });

  it('one row per channel: its label, how its messages travel, its counts; in clear is a warning', async () => {
    renderWith(ENCRYPTED_CALL, [
      frame([
        channel(1, { label: 'game', state: 'clear', sent: 1_234, received: 7 }),
        channel(3, { label: 'textroom', state: 'passphrase' }),
        channel(0, { label: 'chat' }),
      ]),
    ]);
    const rows = await textRows();
    expect(rows.map((r) => r.textContent)).toEqual([
      'chatSent: 4 · Received: 5End-to-end encrypted',
      'gameSent: 1,234 · Received: 7! Not end-to-end encrypted',
      'textroomSent: 4 · Received: 5Text encrypted with the room passphrase; the server relays it and sees everything else',
    ]);
    expect(rows.map((r) => r.getAttribute('data-tone'))).toEqual(['ok', 'bad', 'partial']);
    // The warning is styled as the popup's other unprotected states are.
    expect(rows[1]?.querySelector('.row-status .mark')?.textContent?.trim()).toBe('!');
  });

  it('a channel without a name, or with an empty one, is an "unnamed channel"', async () => {
    renderWith(ENCRYPTED_CALL, [frame([channel(0, { label: undefined }), channel(1, { label: '' })])]);
    const rows = await textRows();
    expect(rows.map((r) => r.querySelector('.row-label')?.textContent)).toEqual(['unnamed channel', 'unnamed channel']);
  });

  it('shows a label as text, never as markup, and without characters that would reorder the text beside it', async () => {
    const markup = '<img src=x onerror="window.hacked=1"><b>bold</b>';
    renderWith(ENCRYPTED_CALL, [
      frame([channel(0, { label: markup, state: 'clear' }), channel(1, { label: '\u202eEnd-to-end encrypted\u202c' })]),
    ]);
    const rows = await textRows();
    expect(rows[0]?.querySelector('.row-label')?.textContent).toBe(markup);
    expect(rows[0]?.querySelector('img, b')).toBeNull();
    expect(rows[1]?.querySelector('.row-label')?.textContent).toBe('End-to-end encrypted');
    expect(rows[1]?.querySelector('.row-label')?.tagName).toBe('BDI');
  });

  it('says how many messages were refused, and nothing when none were', async () => {
    renderWith(ENCRYPTED_CALL, [
      frame([channel(0, { refused: 3 }), channel(1, { refused: 1, state: 'passphrase' }), channel(2)]),
    ]);
    const rows = await textRows();
    expect(rows.map((r) => r.querySelector('.row-note')?.textContent ?? null)).toEqual([
      '3 messages refused',
      '1 message refused',
      null,
    ]);
  });

  it('lists the channels of every frame, in an order that does not change as the bridge reorders its report', async () => {
    renderWith(ENCRYPTED_CALL, [
      frame([channel(2, { label: 'a2', connection: 1 }), channel(9, { label: 'a1', connection: 0 })], 0),
      frame([channel(1, { label: 'b' })], 4),
    ]);
    expect((await textRows()).map((r) => r.querySelector('.row-label')?.textContent)).toEqual(['a1', 'a2', 'b']);
    status = [
      tabStatus(ENCRYPTED_CALL, [
        frame([channel(9, { label: 'a1', connection: 0, sent: 99 }), channel(2, { label: 'a2', connection: 1 })], 0),
        frame([channel(1, { label: 'b' })], 4),
      ]),
    ];
    await screen.findByText(/Sent: 99/);
    expect((await textRows()).map((r) => r.querySelector('.row-label')?.textContent)).toEqual(['a1', 'a2', 'b']);
  });

  it('follows the tab status: the section goes when the channels do', async () => {
    renderWith(ENCRYPTED_CALL, [frame([channel(0, { label: 'chat' })])]);
    await textRows();
    status = [tabStatus(ENCRYPTED_CALL, undefined)];
    await waitFor(() => expect(screen.queryByText('Text messages')).toBeNull());
  });
});

describe('popup: the verdict counts the text messages', () => {
  it.each<[string, TransformStats[], (DataChannelReport['state'] | 'unused')[], string, RegExp]>([
    [
      'encrypted media, a channel in clear',
      ENCRYPTED_CALL,
      ['e2e', 'clear'],
      'media-only',
      /^!Warning: audio and video are end-to-end encrypted, but some text messages are not\.$/,
    ],
    [
      'no media, a channel in clear',
      [],
      ['clear'],
      'text-unprotected',
      /^!Warning: some text messages in this tab are not end-to-end encrypted\.$/,
    ],
    [
      'media not flowing yet, a channel in clear',
      [transformStats({ id: '0/s1', side: 'send', kind: 'audio', status: 'waiting' })],
      ['clear'],
      'text-unprotected',
      /some text messages in this tab are not end-to-end encrypted/,
    ],
    [
      'unencrypted media and a channel in clear: the media warning',
      [transformStats({ id: '0/r1', side: 'receive', kind: 'video', unencrypted: 9, status: 'unencrypted' })],
      ['clear'],
      'unprotected',
      /not all media in this call is end-to-end encrypted/,
    ],
    [
      'encrypted media, channels encrypted',
      ENCRYPTED_CALL,
      ['e2e', 'passphrase'],
      'protected',
      /^✓End-to-end encrypted: the site sees only ciphertext\.$/,
    ],
    [
      'no media, channels encrypted',
      [],
      ['e2e', 'passphrase'],
      'text-only',
      /^…No audio or video in this tab\. How its text messages travel is listed below\.$/,
    ],
    ['no media, no channels', [], [], 'none', /No call in this tab yet/],
    [
      'encrypted media, a channel in clear that carried nothing: listed, no warning',
      ENCRYPTED_CALL,
      ['unused'],
      'protected',
      /^✓End-to-end encrypted: the site sees only ciphertext\.$/,
    ],
  ])('%s', async (_, transforms, states, summary, text) => {
    const channels = states.map((state, i) =>
      state === 'unused' ? channel(i, { state: 'clear', sent: 0, received: 0 }) : channel(i, { state }),
    );
    renderWith(transforms, states.length === 0 ? undefined : [frame(channels)]);
    await waitFor(async () => expect((await verdict()).summary).toBe(summary));
    expect((await verdict()).text).toMatch(text);
  });
});

describe('channel rows (src/popup/channels.ts)', () => {
  it('shows a label without control or bidirectional formatting characters, trimmed; nothing left is no label', () => {
    expect(shownLabel('chat')).toBe('chat');
    expect(shownLabel('  a\u0000b\u0007c\u200fd\u2067e\u061cf\u0085g  ')).toBe('abcdefg');
    expect(shownLabel('\u202e\u202c \n')).toBeUndefined();
    expect(shownLabel('')).toBeUndefined();
    expect(shownLabel(undefined)).toBeUndefined();
    // Other text stays as it is: emoji sequences, right-to-left letters.
    expect(shownLabel('👩‍💻 שלום')).toBe('👩‍💻 שלום');
  });

  it('keys each row by frame, connection and stream id', () => {
    const rows = channelRows(tabStatus([], [frame([channel(3, { connection: 2 })], 5)]));
    expect(rows.map((r) => r.key)).toEqual(['5/2/3']);
  });
});
