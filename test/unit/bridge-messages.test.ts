import { describe, expect, it } from 'vitest';
import { parseBridgeMessage } from '../../src/background/bridge-messages';
import { MAX_REPORTED_REJECTIONS } from '../../src/shared/messages';
import { transformStats } from '../transform-stats';

const stats = transformStats({ id: 'receive-video-2', protected: 3, status: 'encrypted' });

const parse = (message: unknown) => parseBridgeMessage(message, 1);

describe('what the background accepts from a content bridge', () => {
  it.each([
    ['counters', { type: 'stats', stats: [stats] }],
    ['a key request', { type: 'epoch-keys-request', epochs: [2_900_000, 2_900_001] }],
    ['a problem of the page script', { type: 'problem', problem: 'worker_blocked' }],
    ['a problem of the bridge', { type: 'problem', problem: 'unsafe_frame_call' }],
    ['a clock two epochs off', { type: 'problem', problem: 'clock_skew', detail: '-2' }],
    ['a cross-origin frame without its origin', { type: 'problem', problem: 'cross_origin_frame' }],
    ['rejection counts', { type: 'rejections', counts: { worker_invalid: 3, page_report_invalid: 1 } }],
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
  ])('refuses %s', (_, message) => {
    expect(parse(message)).toBeUndefined();
  });
});
