/**
 * The bridge's report of the site's data channels (`data-channels`, src/shared/messages/data-channels.ts), as the
 * background checks it (parseBridgeMessage): what it accepts, what it refuses, and its limits, which must equal the
 * data core's (src/content/data/constants.ts) so that every report the bridge makes passes.
 */
import { describe, expect, it } from 'vitest';
import { parseBridgeMessage } from '../../src/background/bridge-messages';
import type { ChannelReport } from '../../src/content/data/channel-counts';
import * as core from '../../src/content/data/constants';
import { MAX_DATA_LABEL_CHARS } from '../../src/shared/data-messages';
import { DATA_CHANNEL_STATES, type DataChannelReport, MAX_REPORTED_DATA_CHANNELS } from '../../src/shared/messages';

const parse = (message: unknown) => parseBridgeMessage(message, 1);

/** A channel's line of a report; a field overridden with `undefined` is left out. */
function channel(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const line = {
    connection: 0,
    streamId: 1,
    label: 'chat',
    state: 'e2e',
    sent: 3,
    received: 2,
    refused: 0,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(line).filter(([, value]) => value !== undefined));
}

const report = (...channels: unknown[]) => ({ type: 'data-channels', channels });

/** `count` channels, each on its own stream. */
const many = (count: number) => Array.from({ length: count }, (_, i) => channel({ streamId: i }));

describe("a bridge's data-channels report", () => {
  it.each([
    ['one channel', report(channel())],
    ['no channels (the frame has none any more)', report()],
    ['a channel without a label', report(channel({ label: undefined }))],
    ['an empty label', report(channel({ label: '' }))],
    ['a label at the limit', report(channel({ label: 'x'.repeat(MAX_DATA_LABEL_CHARS) }))],
    ['a label with markup (text, shown as text)', report(channel({ label: '<img src=x onerror=alert(1)>' }))],
    ['each state', report(...DATA_CHANNEL_STATES.map((state, i) => channel({ streamId: i, state })))],
    ['the largest ids', report(channel({ connection: 2 ** 31 - 1, streamId: 0xffff }))],
    ['counts at their largest', report(channel({ sent: Number.MAX_SAFE_INTEGER, refused: Number.MAX_SAFE_INTEGER }))],
    ['as many channels as one report lists', report(...many(MAX_REPORTED_DATA_CHANNELS))],
    ['one stream id on two connections', report(channel({ connection: 0 }), channel({ connection: 1 }))],
  ])('accepts %s as it came', (_, message) => {
    expect(parse(message)).toStrictEqual(message);
  });

  it.each([
    ['no list', { type: 'data-channels' }],
    ['a list that is not one', { type: 'data-channels', channels: channel() }],
    ['too many channels', report(...many(MAX_REPORTED_DATA_CHANNELS + 1))],
    ['a label too long', report(channel({ label: 'x'.repeat(MAX_DATA_LABEL_CHARS + 1) }))],
    ['a label that is not text', report(channel({ label: 7 }))],
    ['a negative count', report(channel({ sent: -1 }))],
    ['a fractional count', report(channel({ received: 1.5 }))],
    ['a count past 2^53 - 1', report(channel({ refused: 2 ** 53 }))],
    ['a count that is text', report(channel({ refused: '3' }))],
    ['a count that is not a number', report(channel({ sent: Number.NaN }))],
    ['a missing count', report(channel({ refused: undefined }))],
    ['an unknown state', report(channel({ state: 'encrypted' }))],
    ['no state', report(channel({ state: undefined }))],
    ['a negative connection', report(channel({ connection: -1 }))],
    ['a connection past 2^31 - 1', report(channel({ connection: 2 ** 31 }))],
    ['a fractional connection', report(channel({ connection: 0.5 }))],
    ['a stream id past 16 bits', report(channel({ streamId: 0x10000 }))],
    ['an extra field on a channel', report(channel({ protected: true }))],
    ['an extra field on the message', { ...report(channel()), frameId: 3 }],
    ['a channel that is an array', report(Object.assign([], channel()))],
    ['a channel listed twice', report(channel(), channel({ state: 'clear' }))],
  ])('refuses %s', (_, message) => {
    expect(parse(message)).toBeUndefined();
  });
});

describe('data channel report limits', () => {
  it('equal the data core constants, so every report the bridge makes passes', () => {
    expect(MAX_REPORTED_DATA_CHANNELS).toBe(core.MAX_REPORTED_CHANNELS);
    expect(MAX_DATA_LABEL_CHARS).toBe(core.MAX_LABEL_CHARS);
  });

  it("has the bridge's report type as its own (a change to either is a type error here)", () => {
    const fromBridge: ChannelReport = {
      connection: 1,
      streamId: 2,
      state: 'passphrase',
      sent: 0,
      received: 0,
      refused: 0,
    };
    const checked: DataChannelReport = fromBridge;
    const back: ChannelReport = checked;
    expect(parse(report(back))).toEqual(report(fromBridge));
  });
});
