import { describe, expect, it } from 'vitest';
import { parseBridgeMessage } from '../../src/background/bridge-messages';
import { MAX_CALL_MEMBERS, MAX_REPORTED_REJECTIONS } from '../../src/shared/messages';
import { transformStats } from '../transform-stats';

const stats = transformStats({ id: 'receive-video-2', protected: 3, status: 'encrypted' });

const parse = (message: unknown) => parseBridgeMessage(message, 1);

const call = {
  words: ['apple', 'bacon', 'cable', 'delta', 'eagle'],
  you: 'calm lynx',
  sending: true,
  members: [{ fingerprint: 'quiet otter', keyed: false }],
};

describe('what the background accepts from a content bridge', () => {
  it.each([
    ['counters', { type: 'stats', stats: [stats] }],
    ['a key request', { type: 'epoch-keys-request', epochs: [2_900_000, 2_900_001] }],
    ['a problem of the page script', { type: 'problem', problem: 'worker_blocked' }],
    ['a problem of the bridge', { type: 'problem', problem: 'unsafe_frame_call' }],
    ['a clock two epochs off', { type: 'problem', problem: 'clock_skew', detail: '-2' }],
    ['a cross-origin frame without its origin', { type: 'problem', problem: 'cross_origin_frame' }],
    ['rejection counts', { type: 'rejections', counts: { worker_invalid: 3, page_report_invalid: 1 } }],
    ['a call', { type: 'call', call }],
    ['a call with nobody else yet', { type: 'call', call: { you: 'calm lynx', sending: false, members: [] } }],
    ['the end of a call', { type: 'call' }],
    ['a held problem', { type: 'problem', problem: 'not_sending' }],
    ['another held problem', { type: 'problem', problem: 'older_peer' }],
  ])('accepts %s as it came', (_, message) => {
    expect(parse(message)).toEqual(message);
  });

  it("normalises a cross-origin frame's origin", () => {
    expect(parse({ type: 'problem', problem: 'cross_origin_frame', detail: 'HTTPS://Meet.Example.org:443' })).toEqual({
      type: 'problem',
      problem: 'cross_origin_frame',
      detail: 'https://meet.example.org',
    });
  });

  it.each([
    ['nothing', undefined],
    ['an array', Object.assign([], { type: 'stats', stats: [] })],
    ['an unknown type', { type: 'keys' }],
    ['an extra field', { type: 'stats', stats: [], extra: 1 }],
    ['invalid counters', { type: 'stats', stats: [{ ...stats, protected: -1 }] }],
    ['no epochs', { type: 'epoch-keys-request', epochs: [] }],
    ['too many epochs', { type: 'epoch-keys-request', epochs: [1, 2, 3, 4, 5] }],
    ['a negative epoch', { type: 'epoch-keys-request', epochs: [-1] }],
    ['a fractional epoch', { type: 'epoch-keys-request', epochs: [1.5] }],
    ['a problem only the background finds', { type: 'problem', problem: 'no_room_key' }],
    ['a problem that is none', { type: 'problem', problem: 'nonsense' }],
    ['a detail on a problem without one', { type: 'problem', problem: 'worker_blocked', detail: 'x' }],
    ['a clock within the tolerance', { type: 'problem', problem: 'clock_skew', detail: '1' }],
    ['a clock distance that is not one digit', { type: 'problem', problem: 'clock_skew', detail: '12' }],
    ['a clock problem without its distance', { type: 'problem', problem: 'clock_skew' }],
    ['a frame origin that is not http(s)', { type: 'problem', problem: 'cross_origin_frame', detail: 'file:///x' }],
    ['a frame origin too long', { type: 'problem', problem: 'cross_origin_frame', detail: 'x'.repeat(301) }],
    ['empty rejection counts', { type: 'rejections', counts: {} }],
    ['a rejection reason of the background', { type: 'rejections', counts: { ui_sender: 1 } }],
    ['a zero count', { type: 'rejections', counts: { worker_invalid: 0 } }],
    ['a count over the cap', { type: 'rejections', counts: { worker_invalid: MAX_REPORTED_REJECTIONS + 1 } }],
    ['a call with four words', { type: 'call', call: { ...call, words: call.words.slice(1) } }],
    ['a call word that is no word', { type: 'call', call: { ...call, words: ['<b>', ...call.words.slice(1)] } }],
    ['a fingerprint of one word', { type: 'call', call: { ...call, you: 'calm' } }],
    ['a member with an extra field', { type: 'call', call: { ...call, members: [{ ...call.members[0], pid: 1 }] } }],
    [
      'too many members',
      { type: 'call', call: { ...call, members: Array.from({ length: MAX_CALL_MEMBERS + 1 }, () => call.members[0]) } },
    ],
    ['a call without whether we send', { type: 'call', call: { ...call, sending: undefined } }],
    ['a call as an array', { type: 'call', call: [call] }],
  ])('refuses %s', (_, message) => {
    expect(parse(message)).toBeUndefined();
  });
});
