/**
 * The sending side of the in-band control channel (src/worker/control-outbox.ts): chunking, one chunk per frame per
 * RTP stream, "sent" once every stream sending lately carried the whole message, the audio size limit, the queue's
 * order and bound.
 */
import { describe, expect, it } from 'vitest';
import type { MediaKind } from '../../src/shared/messages/schema';
import {
  CONTROL_AUDIO_FRAME_MAX_BYTES,
  CONTROL_CHUNK_BYTES,
  CONTROL_MESSAGE_MAX_BYTES,
  CONTROL_STREAM_IDLE_MS,
  MAX_CONTROL_QUEUE,
} from '../../src/worker/constants';
import { ControlOutbox, chunkCount } from '../../src/worker/control-outbox';
import { type ControlRegion, decodeRegion } from '../../src/worker/control-region';

/** `length` bytes counting up from `seed`, so chunks of different messages and offsets differ. */
function message(length: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed * 31 + i) & 0xff);
}

function outbox() {
  const sent: number[] = [];
  const dropped: number[] = [];
  const box = new ControlOutbox({ onSent: (id) => sent.push(id), onDropped: (id) => dropped.push(id) });
  return { box, sent, dropped };
}

/** The decoded region the next frame of `stream` carries. */
function carry(
  box: ControlOutbox,
  stream: string,
  now: number,
  kind: MediaKind = 'video',
  frameLength = 5_000,
): ControlRegion | undefined {
  const region = box.next(stream, kind, frameLength, now);
  if (region === undefined) return undefined;
  const decoded = decodeRegion(region);
  expect(decoded).toBeDefined();
  return decoded;
}

/** Frames of `stream` until it carries nothing, from `now` on, 33 ms apart: the regions it carried. */
function drain(box: ControlOutbox, stream: string, now: number, kind: MediaKind = 'video'): ControlRegion[] {
  const regions: ControlRegion[] = [];
  for (let t = now; ; t += 33) {
    const region = carry(box, stream, t, kind, 100);
    if (region === undefined) return regions;
    regions.push(region);
  }
}

/** Frames of every stream in turn, 33 ms apart, until none carries anything: the regions each carried. */
function together(box: ControlOutbox, streams: [string, MediaKind][]): ControlRegion[][] {
  const carried: ControlRegion[][] = streams.map(() => []);
  for (let t = 0, busy = true; busy; t += 33) {
    busy = false;
    for (const [i, [stream, kind]] of streams.entries()) {
      const region = carry(box, stream, t, kind, 100);
      if (region === undefined) continue;
      carried[i]?.push(region);
      busy = true;
    }
  }
  return carried;
}

describe('ControlOutbox: one stream', () => {
  it.each([
    ['video', 1],
    ['video', 240],
    ['video', 241],
    ['video', 1_000],
    ['audio', 120],
    ['audio', 121],
    ['audio', 1_000],
  ] as const)('carries %s messages of %i bytes in ceil(length / chunk) frames, in order', (kind, length) => {
    const { box, sent } = outbox();
    const bytes = message(length);
    expect(box.enqueue(7, bytes)).toBe(true);
    const size = CONTROL_CHUNK_BYTES[kind];
    const count = Math.ceil(length / size);
    const regions: ControlRegion[] = [];
    for (let frame = 0; frame < count; frame++) {
      expect(sent).toEqual([]);
      const region = carry(box, 's1', frame * 20, kind, 100);
      if (region === undefined) throw new Error(`frame ${frame} carried nothing`);
      regions.push(region);
    }
    expect(sent).toEqual([7]);
    expect(carry(box, 's1', count * 20, kind, 100)).toBeUndefined();
    expect(regions.map((r) => [r.msgId, r.index, r.last])).toEqual(regions.map((_, i) => [0, i, count - 1]));
    expect(regions.slice(0, -1).every((r) => r.payload.length === size)).toBe(true);
    expect(Buffer.concat(regions.map((r) => r.payload))).toEqual(Buffer.from(bytes));
  });

  it('chunks at 240 bytes on video and 120 on audio', () => {
    expect(CONTROL_CHUNK_BYTES).toEqual({ video: 240, audio: 120 });
    expect(chunkCount(CONTROL_MESSAGE_MAX_BYTES, CONTROL_CHUNK_BYTES.video)).toBe(69);
    expect(chunkCount(CONTROL_MESSAGE_MAX_BYTES, CONTROL_CHUNK_BYTES.audio)).toBe(137);
  });

  it('carries nothing, and reports nothing, with nothing queued', () => {
    const { box, sent } = outbox();
    expect(box.next('s1', 'video', 5_000, 0)).toBeUndefined();
    expect(box.next('s1', 'audio', 50, 0)).toBeUndefined();
    expect(sent).toEqual([]);
  });

  it('accepts messages of 1 byte to 16 KiB, and refuses empty or longer ones', () => {
    const { box } = outbox();
    expect(box.enqueue(1, new Uint8Array(0))).toBe(false);
    expect(box.enqueue(2, new Uint8Array(CONTROL_MESSAGE_MAX_BYTES + 1))).toBe(false);
    expect(box.enqueue(3, 'junk' as unknown as Uint8Array)).toBe(false);
    expect(box.queued).toBe(0);
    expect(box.enqueue(4, message(CONTROL_MESSAGE_MAX_BYTES))).toBe(true);
    const regions = drain(box, 's1', 0);
    expect(regions).toHaveLength(69);
    expect(regions.at(-1)).toMatchObject({ index: 68, last: 68 });
  });

  it('copies what it is given: a caller changing its bytes changes nothing sent', () => {
    const { box } = outbox();
    const bytes = message(10);
    box.enqueue(1, bytes);
    bytes.fill(0);
    expect(carry(box, 's1', 0)?.payload).toEqual(message(10));
  });

  it('sends messages in the order given, numbering them mod 256 across the whole call', () => {
    const { box, sent } = outbox();
    const ids = Array.from({ length: 300 }, (_, i) => 1_000 + i);
    const msgIds: number[] = [];
    for (const [i, id] of ids.entries()) {
      box.enqueue(id, message(1 + (i % 300), i));
      for (const region of drain(box, 's1', i * 1_000)) if (region.index === 0) msgIds.push(region.msgId);
    }
    expect(sent).toEqual(ids);
    expect(msgIds).toEqual(ids.map((_, i) => i % 256));
  });

  it('walks a queue of several messages one after the other, one chunk per frame', () => {
    const { box, sent } = outbox();
    box.enqueue(10, message(500, 1)); // 3 chunks
    box.enqueue(11, message(10, 2)); // 1 chunk
    box.enqueue(12, message(241, 3)); // 2 chunks
    const regions = drain(box, 's1', 0);
    expect(regions.map((r) => [r.msgId, r.index, r.last])).toEqual([
      [0, 0, 2],
      [0, 1, 2],
      [0, 2, 2],
      [1, 0, 0],
      [2, 0, 1],
      [2, 1, 1],
    ]);
    expect(sent).toEqual([10, 11, 12]);
  });
});

describe('ControlOutbox: several streams', () => {
  it('carries every chunk on each simulcast stream, the same bytes on each, and reports sent once after both', () => {
    const { box, sent } = outbox();
    box.enqueue(5, message(700)); // 3 video chunks
    // The high layer starts a frame before the low one.
    const high = [carry(box, 'send-1:high', 0), carry(box, 'send-1:high', 33)];
    const low = [carry(box, 'send-1:low', 33)];
    high.push(carry(box, 'send-1:high', 66));
    low.push(carry(box, 'send-1:low', 66));
    expect(high.map((r) => r?.index)).toEqual([0, 1, 2]);
    expect(sent).toEqual([]); // the low layer is one chunk behind
    low.push(carry(box, 'send-1:low', 99));
    expect(low).toEqual(high);
    expect(sent).toEqual([5]);
    expect(carry(box, 'send-1:high', 132)).toBeUndefined();
    expect(carry(box, 'send-1:low', 132)).toBeUndefined();
    expect(sent).toEqual([5]);
  });

  it('cuts a message the same way on every stream of a kind, and by the kind on each', () => {
    const { box } = outbox();
    box.enqueue(1, message(1_000));
    const [a = [], b = [], c = []] = together(box, [
      ['a', 'video'],
      ['b', 'video'],
      ['c', 'audio'],
    ]);
    expect(b).toEqual(a);
    expect(a).toHaveLength(5);
    expect(c).toHaveLength(9);
    expect(c.map((r) => r.msgId)).toEqual(new Array(9).fill(0));
    expect(Buffer.concat(c.map((r) => r.payload))).toEqual(Buffer.from(message(1_000)));
  });

  it('starts a late stream at the oldest message not yet sent everywhere', () => {
    const { box, sent } = outbox();
    box.enqueue(1, message(300, 1)); // 2 chunks
    box.enqueue(2, message(300, 2)); // 2 chunks
    box.enqueue(3, message(300, 3)); // 2 chunks
    // 'a' alone carries messages 1 and 2: both sent.
    for (let f = 0; f < 4; f++) carry(box, 'a', f * 33);
    expect(sent).toEqual([1, 2]);
    carry(box, 'a', 132); // first chunk of 3
    const late = drain(box, 'b', 150);
    expect(late.map((r) => [r.msgId, r.index])).toEqual([
      [2, 0],
      [2, 1],
    ]);
    expect(sent).toEqual([1, 2]); // 'a' has not finished 3 yet
    carry(box, 'a', 250);
    expect(sent).toEqual([1, 2, 3]);
  });

  it('waits for a stream quiet for up to the idle time, and not for one idle longer', () => {
    const { box, sent } = outbox();
    carry(box, 'paused', 0); // a layer that sends one frame, then pauses
    box.enqueue(1, message(10));
    expect(carry(box, 'busy', 10)).toMatchObject({ index: 0, last: 0 });
    expect(sent).toEqual([]);
    carry(box, 'busy', CONTROL_STREAM_IDLE_MS);
    expect(sent).toEqual([]); // 'paused' was heard from exactly the idle time ago: still waited for
    carry(box, 'busy', CONTROL_STREAM_IDLE_MS + 1);
    expect(sent).toEqual([1]);
    // Back after it was forgotten, the paused layer carries what is queued now, from the oldest message.
    box.enqueue(2, message(10));
    expect(carry(box, 'paused', CONTROL_STREAM_IDLE_MS + 50)).toMatchObject({ msgId: 1 });
    expect(sent).toEqual([1]); // 'busy' has not carried message 2 yet
    carry(box, 'busy', CONTROL_STREAM_IDLE_MS + 60);
    expect(sent).toEqual([1, 2]);
  });

  it('waits for messages while no stream sends, and sends them when one starts', () => {
    const { box, sent } = outbox();
    box.enqueue(1, message(10));
    expect(sent).toEqual([]);
    expect(carry(box, 's', 60_000)).toMatchObject({ msgId: 0, index: 0 });
    expect(sent).toEqual([1]);
  });

  it('starts a message again on a stream that changed kind: its chunks are cut differently', () => {
    const { box } = outbox();
    box.enqueue(1, message(300));
    expect(carry(box, 's', 0, 'video', 100)).toMatchObject({ index: 0, last: 1 });
    expect(drain(box, 's', 33, 'audio').map((r) => [r.index, r.last])).toEqual([
      [0, 2],
      [1, 2],
      [2, 2],
    ]);
  });
});

describe('ControlOutbox: audio frames must fit one RTP packet', () => {
  it('puts nothing on an audio frame of more than 1,000 bytes, and the chunk goes on the next frame that fits', () => {
    const { box, sent } = outbox();
    box.enqueue(1, message(200)); // 2 audio chunks
    expect(box.next('mic', 'audio', CONTROL_AUDIO_FRAME_MAX_BYTES + 1, 0)).toBeUndefined();
    expect(carry(box, 'mic', 20, 'audio', CONTROL_AUDIO_FRAME_MAX_BYTES)).toMatchObject({ index: 0 });
    expect(box.next('mic', 'audio', 1_275, 40)).toBeUndefined();
    expect(carry(box, 'mic', 60, 'audio', 80)).toMatchObject({ index: 1 });
    expect(sent).toEqual([1]);
  });

  it('has no such limit on video frames', () => {
    const { box } = outbox();
    box.enqueue(1, message(10));
    expect(carry(box, 'cam', 0, 'video', 200_000)).toMatchObject({ index: 0 });
  });

  it('does not let an audio stream of only long frames hold messages back', () => {
    const { box, sent } = outbox();
    box.enqueue(1, message(10));
    expect(box.next('music', 'audio', 1_275, 0)).toBeUndefined();
    carry(box, 'cam', 10);
    expect(sent).toEqual([1]);
  });
});

describe('ControlOutbox: the queue', () => {
  it(`holds ${MAX_CONTROL_QUEUE} messages; past that drops the oldest and reports it dropped, not sent`, () => {
    const { box, sent, dropped } = outbox();
    for (let id = 0; id < MAX_CONTROL_QUEUE; id++) box.enqueue(id, message(10, id));
    expect(dropped).toEqual([]);
    expect(box.enqueue(MAX_CONTROL_QUEUE, message(10, MAX_CONTROL_QUEUE))).toBe(true);
    expect(dropped).toEqual([0]);
    expect(box.queued).toBe(MAX_CONTROL_QUEUE);
    const regions = drain(box, 's', 0);
    expect(regions.map((r) => r.msgId)).toEqual(Array.from({ length: MAX_CONTROL_QUEUE }, (_, i) => i + 1));
    expect(sent).toEqual(Array.from({ length: MAX_CONTROL_QUEUE }, (_, i) => i + 1));
  });

  it('moves a stream that was carrying the dropped message on to the next one, from its first chunk', () => {
    const { box, sent, dropped } = outbox();
    box.enqueue(100, message(1_000, 1)); // 5 chunks
    expect(carry(box, 's', 0)).toMatchObject({ msgId: 0, index: 0 });
    expect(carry(box, 's', 33)).toMatchObject({ msgId: 0, index: 1 });
    for (let id = 101; id <= 100 + MAX_CONTROL_QUEUE; id++) box.enqueue(id, message(10, id));
    expect(dropped).toEqual([100]);
    expect(carry(box, 's', 66)).toMatchObject({ msgId: 1, index: 0, last: 0 });
    expect(sent).toEqual([101]);
  });

  it('forgets every message and stream on clear(), reporting none, and goes on numbering', () => {
    const { box, sent, dropped } = outbox();
    box.enqueue(1, message(500));
    carry(box, 'a', 0);
    carry(box, 'b', 0);
    box.clear();
    expect(box.queued).toBe(0);
    expect(carry(box, 'a', 33)).toBeUndefined();
    box.enqueue(2, message(10));
    // 'b' was forgotten with everything else: 'a' alone now decides.
    expect(carry(box, 'a', 66)).toMatchObject({ msgId: 1, index: 0 });
    expect(sent).toEqual([2]);
    expect(dropped).toEqual([]);
  });

  it('takes messages enqueued from inside onSent', () => {
    let box: ControlOutbox | undefined;
    const sent: number[] = [];
    box = new ControlOutbox({
      onSent: (id) => {
        sent.push(id);
        if (id < 3) box?.enqueue(id + 1, message(10, id + 1));
      },
      onDropped: () => {},
    });
    box.enqueue(1, message(10, 1));
    expect(drain(box, 's', 0).map((r) => r.msgId)).toEqual([0, 1, 2]);
    expect(sent).toEqual([1, 2, 3]);
  });
});
