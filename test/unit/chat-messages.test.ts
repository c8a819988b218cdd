/**
 * The call chat's message schemas (src/shared/messages/chat.ts) and their place in the bridge port's
 * (BackgroundToBridgeSchema, BridgeToBackgroundSchema through `parseBridgeMessage`): exact fields, and text bounded in
 * UTF-8 bytes, not in characters.
 */
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { parseBridgeMessage } from '../../src/background/bridge-messages';
import {
  BackgroundToBridgeSchema,
  BackgroundToPanelSchema,
  type ChatEntry,
  ChatEntrySchema,
  MAX_CHAT_ENTRIES_PER_MESSAGE,
  MAX_CHAT_NAME_BYTES,
  MAX_CHAT_TEXT_BYTES,
  PanelToBackgroundSchema,
  utf8Length,
} from '../../src/shared/messages';

const entry: ChatEntry = {
  id: 'b0b0000002-4',
  from: 'cobalt delta',
  name: 'Bo',
  text: 'hello',
  at: 1_700_000_000_500,
  sentAt: 1_700_000_000_000,
  seq: 4,
};

const isEntry = (overrides: Record<string, unknown>) => v.is(ChatEntrySchema, { ...entry, ...overrides });

/** 2 bytes in UTF-8, 1 UTF-16 unit; 4 bytes, 2 units; a lone surrogate: 3 bytes (U+FFFD), 1 unit. */
const E_ACUTE = 'é';
const EMOJI = '😀';
const LONE = '\ud800';

describe('chat text and names are bounded in UTF-8 bytes', () => {
  it('counts bytes as UTF-8 writes them', () => {
    expect(utf8Length('abc')).toBe(3);
    expect(utf8Length(E_ACUTE)).toBe(2);
    expect(utf8Length(EMOJI)).toBe(4);
    expect(utf8Length(LONE)).toBe(3);
  });

  it.each([
    ['4,096 ASCII characters', 'a'.repeat(MAX_CHAT_TEXT_BYTES), true],
    ['4,097 ASCII characters', 'a'.repeat(MAX_CHAT_TEXT_BYTES + 1), false],
    ['2,048 two-byte characters (4,096 bytes)', E_ACUTE.repeat(2_048), true],
    ['2,049 two-byte characters (4,098 bytes, far fewer characters than the bound)', E_ACUTE.repeat(2_049), false],
    ['1,024 emoji (4,096 bytes, 2,048 UTF-16 units)', EMOJI.repeat(1_024), true],
    ['1,025 emoji', EMOJI.repeat(1_025), false],
    ['1,365 lone surrogates (4,095 bytes as sent)', LONE.repeat(1_365), true],
    ['1,366 lone surrogates (4,098 bytes as sent)', LONE.repeat(1_366), false],
    ['one character', 'a', true],
    ['nothing', '', false],
  ])('an entry’s text of %s: %s', (_, text, ok) => {
    expect(isEntry({ text })).toBe(ok);
  });

  it.each([
    ['no name', '', true],
    ['64 ASCII characters', 'a'.repeat(MAX_CHAT_NAME_BYTES), true],
    ['65 ASCII characters', 'a'.repeat(MAX_CHAT_NAME_BYTES + 1), false],
    ['32 two-byte characters', E_ACUTE.repeat(32), true],
    ['33 two-byte characters (66 bytes)', E_ACUTE.repeat(33), false],
    ['16 emoji', EMOJI.repeat(16), true],
    ['17 emoji (68 bytes, 34 units)', EMOJI.repeat(17), false],
  ])('a name of %s: %s', (_, name, ok) => {
    expect(isEntry({ name })).toBe(ok);
    expect(v.is(PanelToBackgroundSchema, { type: 'send', id: 'm1', text: 'hi', name })).toBe(ok);
    expect(v.is(BackgroundToBridgeSchema, { type: 'chat-send', id: 'm1', text: 'hi', name })).toBe(ok);
  });

  it('a message to send may be empty (the call answers `empty`), never over the bound', () => {
    for (const schema of [PanelToBackgroundSchema, BackgroundToBridgeSchema]) {
      const type = schema === PanelToBackgroundSchema ? 'send' : 'chat-send';
      expect(v.is(schema, { type, id: 'm1', text: '', name: '' })).toBe(true);
      expect(v.is(schema, { type, id: 'm1', text: E_ACUTE.repeat(2_048), name: '' })).toBe(true);
      expect(v.is(schema, { type, id: 'm1', text: E_ACUTE.repeat(2_049), name: '' })).toBe(false);
    }
  });

  it('refuses a huge string without encoding it (over the bound in UTF-16 units already)', () => {
    expect(isEntry({ text: 'a'.repeat(1 << 24) })).toBe(false);
  });
});

describe('a chat entry', () => {
  it('is exactly its fields', () => {
    expect(v.is(ChatEntrySchema, entry)).toBe(true);
    expect(isEntry({ from: 'you' })).toBe(true);
    expect(isEntry({ sentAt: 2 ** 64 - 1 })).toBe(true); // a sender's clock may say anything a uint64 holds
  });

  it.each([
    ['an extra field', { pid: '0b0b' }],
    ['from "You"', { from: 'You' }],
    ['from one word', { from: 'cobalt' }],
    ['from markup', { from: '<b>x</b> y' }],
    ['an empty id', { id: '' }],
    ['an id of 65 characters', { id: 'x'.repeat(65) }],
    ['a negative seq', { seq: -1 }],
    ['a fractional seq', { seq: 1.5 }],
    ['a seq past 32 bits', { seq: 2 ** 32 }],
    ['a time that is no number', { at: Number.NaN }],
    ['an infinite time', { sentAt: Number.POSITIVE_INFINITY }],
    ['a negative time', { at: -1 }],
    ['a text that is no string', { text: ['hi'] }],
  ])('refuses %s', (_, overrides) => {
    expect(isEntry(overrides)).toBe(false);
  });

  it('refuses an array that carries the fields', () => {
    expect(v.is(ChatEntrySchema, Object.assign([], entry))).toBe(false);
  });
});

describe('on the bridge port', () => {
  const parse = (message: unknown) => parseBridgeMessage(message, 1);

  it.each([
    ['messages of the call', { type: 'chat', entries: [entry, { ...entry, id: 'm1', from: 'you' }], replace: false }],
    ['a whole history', { type: 'chat', entries: [], replace: true }],
    ['the most entries one message carries', { type: 'chat', entries: Array(200).fill(entry), replace: true }],
    ['a result', { type: 'chat-result', id: 'm1', result: 'busy' }],
  ])('the background accepts %s from a bridge', (_, message) => {
    expect(parse(message)).toEqual(message);
  });

  it.each([
    [
      'too many entries',
      { type: 'chat', entries: Array(MAX_CHAT_ENTRIES_PER_MESSAGE + 1).fill(entry), replace: false },
    ],
    ['no replace', { type: 'chat', entries: [entry] }],
    ['an entry that is not one', { type: 'chat', entries: [{ ...entry, text: '' }], replace: false }],
    ['an extra field', { type: 'chat', entries: [], replace: true, frameId: 0 }],
    ['a result that is none', { type: 'chat-result', id: 'm1', result: 'delivered' }],
    ['a result without its id', { type: 'chat-result', result: 'sent' }],
  ])('the background refuses %s', (_, message) => {
    expect(parse(message)).toBeUndefined();
  });

  it('the bridge accepts chat-send and chat-history, exactly', () => {
    expect(v.is(BackgroundToBridgeSchema, { type: 'chat-send', id: 'm1', text: 'hi', name: 'Ann' })).toBe(true);
    expect(v.is(BackgroundToBridgeSchema, { type: 'chat-history' })).toBe(true);
    expect(v.is(BackgroundToBridgeSchema, { type: 'chat-send', id: 'm1', text: 'hi' })).toBe(false);
    expect(v.is(BackgroundToBridgeSchema, { type: 'chat-history', frameId: 0 })).toBe(false);
  });
});

describe('on the side panel’s port', () => {
  it.each([
    [{ type: 'open', tabId: 7 }, true],
    [{ type: 'open', tabId: -1 }, false],
    [{ type: 'open', tabId: 1.5 }, false],
    [{ type: 'open', tabId: '7' }, false],
    [{ type: 'open' }, false],
    [{ type: 'send', id: 'm1', text: 'hi', name: '' }, true],
    [{ type: 'send', id: 'm1', text: 'hi', name: '', tabId: 7 }, false],
    [{ type: 'send', id: '', text: 'hi', name: '' }, false],
    [{ type: 'entries', frameId: 0, entries: [], replace: true }, false], // not the panel's to send
    [[{ type: 'open', tabId: 7 }], false],
  ])('the background takes %j from a panel: %s', (message, ok) => {
    expect(v.is(PanelToBackgroundSchema, message)).toBe(ok);
  });

  it.each([
    [{ type: 'entries', frameId: 0, entries: [entry], replace: false }, true],
    [{ type: 'entries', frameId: -1, entries: [entry], replace: false }, false],
    [{ type: 'result', id: 'm1', result: 'no_one' }, true],
    [{ type: 'result', id: 'm1', result: 'lost' }, false],
    [{ type: 'ended', frameId: 3 }, true],
    [{ type: 'calls', count: 0 }, true],
    [{ type: 'calls', count: -1 }, false],
    [{ type: 'calls', count: 1, tabId: 7 }, false],
  ])('a panel takes %j from the background: %s', (message, ok) => {
    expect(v.is(BackgroundToPanelSchema, message)).toBe(ok);
  });
});
