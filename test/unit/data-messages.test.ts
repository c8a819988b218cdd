/**
 * The page script ↔ bridge data messages (src/shared/data-messages.ts): the bridge's valibot check of requests, the
 * page script's hand check of replies (which must agree with the reply schema), and their limits, which must equal
 * the data core's (src/content/data/constants.ts).
 */
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import * as core from '../../src/content/data/constants';
import * as page from '../../src/page/constants';
import {
  checkDataReply,
  DATA_DROP_REASONS,
  DATA_TEXT_MARKER,
  DataReplySchema,
  MAX_DATA_CONNECTION_ID,
  MAX_DATA_LABEL_CHARS,
  MAX_DATA_LINE_CHARS,
  MAX_DATA_MESSAGE_BYTES,
  MAX_DATA_STREAM_ID,
  MAX_DATA_TEXT_CHARS,
  parseDataRequest,
} from '../../src/shared/data-messages';

const bytes = (n: number) => new ArrayBuffer(n);

const REQUESTS = [
  { type: 'data-line', id: 0, connection: 0, role: 'offerer' },
  { type: 'data-remote-line', id: 1, connection: 2 },
  { type: 'data-remote-line', id: 1, connection: 2, value: 'AAAA' },
  { type: 'data-channel', id: 2, connection: 2, streamId: 1, label: 'chat' },
  { type: 'data-seal', id: 3, connection: 2, streamId: 1, data: bytes(3) },
  { type: 'data-seal', id: 3, connection: 2, streamId: 1, data: 'a string' },
  { type: 'data-open', id: 4, connection: 2, streamId: 65_535, data: bytes(0) },
  { type: 'data-text-out', id: 5, connection: 2, streamId: 1, text: '{}' },
  { type: 'data-text-in', id: 6, connection: 2, streamId: 1, text: '{}' },
  { type: 'data-decided', id: 8, connection: 2, protected: false },
  { type: 'data-confirm', id: 9, connection: 2, streamId: 3 },
  { type: 'data-closed', id: 7, connection: 2 },
] as const;

const REPLIES = [
  { type: 'data-line', id: 0 },
  { type: 'data-line', id: 0, value: 'AAAA' },
  { type: 'data-remote-line', id: 1, accepted: true },
  { type: 'data-send', id: 2, data: bytes(5) },
  { type: 'data-send-text', id: 3, text: 'x' },
  { type: 'data-deliver', id: 4, data: bytes(5) },
  { type: 'data-deliver-text', id: 5, text: 'x' },
  { type: 'data-as-is', id: 6 },
  { type: 'data-consumed', id: 6 },
  { type: 'data-drop', id: 7, reason: 'replayed' },
  { type: 'data-done', id: 8 },
] as const;

/** The optional fields: a request's `data-remote-line` value, a reply's `data-line` value. */
const OPTIONAL = new Set(['data-remote-line.value', 'data-line.value']);

/** Ways to spoil a message: each must be refused by its check. */
function spoiled(message: Record<string, unknown>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [
    { ...message, extra: 1 },
    { ...message, id: -1 },
    { ...message, id: 1.5 },
    { ...message, id: '1' },
    { ...message, type: 'data-nope' },
  ];
  for (const key of Object.keys(message)) {
    if (key === 'type' || key === 'id') continue;
    const { [key]: _, ...without } = message;
    if (!OPTIONAL.has(`${message.type}.${key}`)) out.push(without);
    out.push({ ...message, [key]: { wrong: true } });
  }
  return out;
}

describe('data requests (bridge side)', () => {
  it('accepts each request the page script sends', () => {
    for (const request of REQUESTS) expect(parseDataRequest(request)).toEqual(request);
  });

  it('refuses extra fields, wrong types, bad ids and arrays', () => {
    for (const request of REQUESTS) {
      for (const bad of spoiled(request)) expect(parseDataRequest(bad), JSON.stringify(bad)).toBeUndefined();
    }
    expect(parseDataRequest([REQUESTS[0]])).toBeUndefined();
    expect(parseDataRequest(null)).toBeUndefined();
    expect(parseDataRequest({ ...REQUESTS[0], role: 'both' })).toBeUndefined();
    expect(parseDataRequest({ ...REQUESTS[0], connection: MAX_DATA_CONNECTION_ID + 1 })).toBeUndefined();
    expect(parseDataRequest({ ...REQUESTS[5], streamId: 65_536 })).toBeUndefined();
    expect(parseDataRequest({ ...REQUESTS[4], data: new Uint8Array(3) })).toBeUndefined();
  });

  it('refuses oversize bytes and strings', () => {
    expect(parseDataRequest({ ...REQUESTS[4], data: bytes(MAX_DATA_MESSAGE_BYTES + 1) })).toBeUndefined();
    expect(parseDataRequest({ ...REQUESTS[4], data: bytes(MAX_DATA_MESSAGE_BYTES) })).toBeDefined();
    expect(parseDataRequest({ ...REQUESTS[6], text: 'x'.repeat(MAX_DATA_TEXT_CHARS + 1) })).toBeUndefined();
    expect(parseDataRequest({ ...REQUESTS[2], value: 'A'.repeat(MAX_DATA_LINE_CHARS + 1) })).toBeUndefined();
    expect(parseDataRequest({ ...REQUESTS[3], label: 'L'.repeat(MAX_DATA_LABEL_CHARS + 1) })).toBeUndefined();
  });
});

describe('data replies (page side, by hand)', () => {
  it('accepts each reply the bridge sends, as the schema does', () => {
    for (const reply of REPLIES) {
      expect(checkDataReply(reply)).toBe(reply);
      expect(v.is(DataReplySchema, reply)).toBe(true);
    }
    for (const reason of DATA_DROP_REASONS) expect(checkDataReply({ type: 'data-drop', id: 1, reason })).toBeDefined();
  });

  it('refuses what the schema refuses: extra fields, wrong types, missing fields, oversize', () => {
    const bad: unknown[] = REPLIES.flatMap((r) => spoiled(r));
    bad.push(
      null,
      'data-done',
      [REPLIES[9]],
      { type: 'data-drop', id: 1, reason: 'toString' },
      { type: 'data-send', id: 1, data: bytes(MAX_DATA_MESSAGE_BYTES + 1) },
      { type: 'data-send', id: 1, data: new Uint8Array(1) },
      { type: 'data-send-text', id: 1, text: 'x'.repeat(MAX_DATA_TEXT_CHARS + 1) },
      { type: 'data-line', id: 1, value: 'A'.repeat(MAX_DATA_LINE_CHARS + 1) },
      { type: 'data-done', id: 2 ** 53 },
      { type: 'constructor', id: 1 },
    );
    for (const message of bad) {
      expect(v.is(DataReplySchema, message), JSON.stringify(message)).toBe(false);
      expect(checkDataReply(message), JSON.stringify(message)).toBeUndefined();
    }
  });

  it('uses the natives it is given, and never throws', () => {
    const throwing = {
      keys: () => {
        throw new Error('hooked');
      },
      byteLengthOf: () => undefined,
    };
    expect(checkDataReply(REPLIES[9], throwing)).toBeUndefined();
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    expect(checkDataReply(hostile)).toBeUndefined();
  });
});

describe('data message limits', () => {
  it('equal the data core constants', () => {
    expect(MAX_DATA_CONNECTION_ID).toBe(core.MAX_CONNECTION_ID);
    expect(MAX_DATA_STREAM_ID).toBe(core.MAX_STREAM_ID);
    expect(MAX_DATA_MESSAGE_BYTES).toBe(core.MAX_ENVELOPE_BYTES);
    expect(MAX_DATA_TEXT_CHARS).toBe(core.MAX_PROFILED_MESSAGE_CHARS);
    expect(MAX_DATA_LINE_CHARS).toBe(core.MAX_LINE_VALUE_CHARS);
    expect(MAX_DATA_LABEL_CHARS).toBe(core.MAX_LABEL_CHARS);
    expect(page.SEAL_OVERHEAD_BYTES).toBe(core.ENVELOPE_OVERHEAD_BYTES);
    expect(page.ENVELOPE_MARKER).toBe(core.ENVELOPE_MARKER);
    expect(DATA_TEXT_MARKER).toBe(core.TEXT_MARKER);
  });
});
