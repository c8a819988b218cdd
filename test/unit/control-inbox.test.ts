/**
 * The receiving side of the in-band control channel (src/worker/control-inbox.ts): joining chunks in any order and
 * across simulcast layers, delivering once, restarting on disagreement, and its bounds and expiry. Random bytes never
 * make it throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CONTROL_ASSEMBLY_TIMEOUT_MS,
  CONTROL_DELIVERED_MEMORY_MS,
  CONTROL_MESSAGE_MAX_BYTES,
  MAX_CONTROL_ASSEMBLIES,
  MAX_CONTROL_DELIVERED,
} from '../../src/worker/constants';
import { ControlInbox } from '../../src/worker/control-inbox';
import { ControlOutbox } from '../../src/worker/control-outbox';
import { encodeRegion } from '../../src/worker/control-region';

const ALICE = 0x0a11_ce00_0001n;
const BOB = 0x0b0b_0000_0002n;

function message(length: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed * 31 + i * 7) & 0xff);
}

/** A message's regions as the outbox cuts them: `size` bytes a chunk. */
function regions(bytes: Uint8Array, msgId: number, size = 240): Uint8Array[] {
  const last = Math.ceil(bytes.length / size) - 1;
  return Array.from({ length: last + 1 }, (_, index) =>
    encodeRegion({ msgId, index, last, payload: bytes.subarray(index * size, (index + 1) * size) }),
  );
}

function inbox() {
  const got: Uint8Array[] = [];
  const clock = { now: 0 };
  const box = new ControlInbox(
    (bytes) => got.push(bytes),
    () => clock.now,
  );
  return { box, got, clock };
}

describe('ControlInbox: joining', () => {
  it('delivers a message once all its chunks came in order, as one piece', () => {
    const { box, got } = inbox();
    const bytes = message(1_000);
    const parts = regions(bytes, 3);
    expect(parts.map((r) => box.take(ALICE, r))).toEqual(['held', 'held', 'held', 'held', 'delivered']);
    expect(got).toEqual([bytes]);
    expect(box.assembling).toBe(0);
  });

  it('delivers a one-chunk message at once', () => {
    const { box, got } = inbox();
    expect(box.take(ALICE, encodeRegion({ msgId: 0, index: 0, last: 0, payload: message(5) }))).toBe('delivered');
    expect(got).toEqual([message(5)]);
  });

  it('joins chunks that come out of order, and ignores a chunk it already holds', () => {
    const { box, got } = inbox();
    const bytes = message(1_000);
    const parts = regions(bytes, 9);
    for (const i of [4, 1, 1, 3, 0]) expect(box.take(ALICE, parts[i] ?? new Uint8Array())).toBe('held');
    expect(got).toEqual([]);
    expect(box.take(ALICE, parts[2] ?? new Uint8Array())).toBe('delivered');
    expect(got).toEqual([bytes]);
  });

  it('keeps senders apart: the same msg id from two senders is two messages', () => {
    const { box, got } = inbox();
    const a = regions(message(300, 1), 0);
    const b = regions(message(300, 2), 0);
    expect(box.take(ALICE, a[0] ?? new Uint8Array())).toBe('held');
    expect(box.take(BOB, b[0] ?? new Uint8Array())).toBe('held');
    expect(box.take(BOB, b[1] ?? new Uint8Array())).toBe('delivered');
    expect(box.take(ALICE, a[1] ?? new Uint8Array())).toBe('delivered');
    expect(got).toEqual([message(300, 2), message(300, 1)]);
  });

  it('keeps interleaved messages of one sender apart by msg id', () => {
    const { box, got } = inbox();
    const a = regions(message(300, 1), 0);
    const b = regions(message(300, 2), 1);
    for (const r of [a[0], b[0], b[1], a[1]]) box.take(ALICE, r ?? new Uint8Array());
    expect(got).toEqual([message(300, 2), message(300, 1)]);
  });

  it('joins a message across a simulcast layer switch: the first chunks from one layer, the rest from another', () => {
    const outbox = new ControlOutbox({ onSent: () => {}, onDropped: () => {} });
    const bytes = message(2_000); // 9 video chunks
    outbox.enqueue(1, bytes);
    const high: Uint8Array[] = [];
    const low: Uint8Array[] = [];
    // The low layer starts 4 frames after the high one.
    for (let frame = 0; frame < 13; frame++) {
      const h = outbox.next('t1:high', 'video', 9_000, frame * 33);
      if (h) high.push(h);
      if (frame < 4) continue;
      const l = outbox.next('t1:low', 'video', 2_000, frame * 33);
      if (l) low.push(l);
    }
    expect([high.length, low.length]).toEqual([9, 9]);
    // The receiver gets frames 0..5 of the high layer (chunks 0..5), then the SFU moves it to the low layer at its
    // frame 6 (chunk 2): chunks 2..5 come again, 6..8 complete the message.
    const { box, got } = inbox();
    for (const r of high.slice(0, 6)) expect(box.take(ALICE, r)).toBe('held');
    const after = low.slice(2).map((r) => box.take(ALICE, r));
    expect(after).toEqual(['held', 'held', 'held', 'held', 'held', 'held', 'delivered']);
    expect(got).toEqual([bytes]);
  });
});

describe('ControlInbox: once only', () => {
  it('does not deliver the same message again when its chunks come again (another layer, a repeat)', () => {
    const { box, got, clock } = inbox();
    const parts = regions(message(500), 4);
    for (const r of parts) box.take(ALICE, r);
    clock.now = 1_000;
    expect(parts.map((r) => box.take(ALICE, r))).toEqual(['held', 'held', 'duplicate']);
    clock.now = CONTROL_DELIVERED_MEMORY_MS;
    expect(parts.map((r) => box.take(ALICE, r))).toEqual(['held', 'held', 'duplicate']);
    expect(got).toHaveLength(1);
  });

  it(`delivers it again once ${CONTROL_DELIVERED_MEMORY_MS} ms passed`, () => {
    const { box, got, clock } = inbox();
    const parts = regions(message(500), 4);
    for (const r of parts) box.take(ALICE, r);
    clock.now = CONTROL_DELIVERED_MEMORY_MS + 1;
    expect(parts.map((r) => box.take(ALICE, r))).toEqual(['held', 'held', 'delivered']);
    expect(got).toHaveLength(2);
  });

  it('delivers a different message under a msg id used before (the ids wrap at 256)', () => {
    const { box, got } = inbox();
    for (const r of regions(message(500, 1), 4)) box.take(ALICE, r);
    expect(regions(message(500, 2), 4).map((r) => box.take(ALICE, r))).toEqual(['held', 'held', 'delivered']);
    expect(got).toEqual([message(500, 1), message(500, 2)]);
  });

  it(`remembers ${MAX_CONTROL_DELIVERED} deliveries, forgetting the oldest first`, () => {
    const { box, got } = inbox();
    const one = (i: number) => encodeRegion({ msgId: i % 256, index: 0, last: 0, payload: message(8, i) });
    for (let i = 0; i <= MAX_CONTROL_DELIVERED; i++) expect(box.take(ALICE, one(i))).toBe('delivered');
    expect(box.take(ALICE, one(MAX_CONTROL_DELIVERED))).toBe('duplicate');
    expect(box.take(ALICE, one(1))).toBe('duplicate');
    expect(box.take(ALICE, one(0))).toBe('delivered'); // forgotten: the 65th delivery pushed it out
    expect(got).toHaveLength(MAX_CONTROL_DELIVERED + 2);
  });
});

describe('ControlInbox: disagreement', () => {
  it('starts a message again from a chunk whose `last` disagrees', () => {
    const { box, got } = inbox();
    const old = regions(message(1_000, 1), 5); // 5 chunks
    const newer = regions(message(500, 2), 5); // 3 chunks, same msg id
    box.take(ALICE, old[0] ?? new Uint8Array());
    box.take(ALICE, old[1] ?? new Uint8Array());
    expect(box.take(ALICE, newer[2] ?? new Uint8Array())).toBe('restarted');
    expect(box.take(ALICE, newer[0] ?? new Uint8Array())).toBe('held');
    expect(box.take(ALICE, newer[1] ?? new Uint8Array())).toBe('delivered');
    expect(got).toEqual([message(500, 2)]);
  });

  it('starts a message again from a chunk with other bytes than the one held at its index', () => {
    const { box, got } = inbox();
    const old = regions(message(500, 1), 5);
    const newer = regions(message(500, 2), 5);
    box.take(ALICE, old[0] ?? new Uint8Array());
    box.take(ALICE, old[1] ?? new Uint8Array());
    expect(box.take(ALICE, newer[1] ?? new Uint8Array())).toBe('restarted');
    expect(box.take(ALICE, newer[0] ?? new Uint8Array())).toBe('held');
    expect(box.take(ALICE, newer[2] ?? new Uint8Array())).toBe('delivered');
    expect(got).toEqual([message(500, 2)]);
  });

  it('ignores what is not a region', () => {
    const { box, got } = inbox();
    expect(box.take(ALICE, new Uint8Array())).toBe('malformed');
    expect(box.take(ALICE, Uint8Array.of(1, 0, 2, 1, 1))).toBe('malformed'); // index after last
    expect(box.take(ALICE, Uint8Array.of(1, 2, 0, 0, 0, 1))).toBe('malformed'); // longer than n says
    expect(got).toEqual([]);
    expect(box.assembling).toBe(0);
  });
});

describe('ControlInbox: bounds', () => {
  it(`joins a message of ${CONTROL_MESSAGE_MAX_BYTES} bytes, and drops one that grows past that`, () => {
    const { box, got } = inbox();
    const full = message(CONTROL_MESSAGE_MAX_BYTES);
    const results = regions(full, 1).map((r) => box.take(ALICE, r));
    expect(results.at(-1)).toBe('delivered');
    expect(got).toEqual([full]);
    // 256 chunks of 255 bytes could say 65,280 bytes: the chunk past 16 KiB drops the message.
    const huge = regions(message(256 * 255), 2, 255);
    const taken = huge.map((r) => box.take(ALICE, r));
    const over = Math.floor(CONTROL_MESSAGE_MAX_BYTES / 255); // index of the chunk that crosses 16 KiB
    expect(taken.slice(0, over)).toEqual(new Array(over).fill('held'));
    expect(taken[over]).toBe('too_large');
    expect(got).toHaveLength(1);
    expect(box.assembling).toBeLessThanOrEqual(1);
  });

  it(`holds ${MAX_CONTROL_ASSEMBLIES} messages in reassembly, dropping the one started longest ago`, () => {
    const { box, got } = inbox();
    const messages = Array.from({ length: MAX_CONTROL_ASSEMBLIES + 1 }, (_, i) => regions(message(300, i), i));
    for (const parts of messages) box.take(ALICE, parts[0] ?? new Uint8Array());
    expect(box.assembling).toBe(MAX_CONTROL_ASSEMBLIES);
    // The first was dropped: its second chunk starts it anew, and it stays incomplete.
    expect(box.take(ALICE, messages[0]?.[1] ?? new Uint8Array())).toBe('held');
    expect(box.assembling).toBe(MAX_CONTROL_ASSEMBLIES);
    // That pushed out the second; the others complete.
    expect(box.take(ALICE, messages[1]?.[1] ?? new Uint8Array())).toBe('held');
    for (const parts of messages.slice(3)) expect(box.take(ALICE, parts[1] ?? new Uint8Array())).toBe('delivered');
    expect(got).toEqual(messages.slice(3).map((_, i) => message(300, i + 3)));
  });

  it(`drops a message that got no new chunk for ${CONTROL_ASSEMBLY_TIMEOUT_MS} ms`, () => {
    const { box, got, clock } = inbox();
    const parts = regions(message(500), 1);
    box.take(ALICE, parts[0] ?? new Uint8Array());
    box.take(ALICE, parts[1] ?? new Uint8Array());
    clock.now = CONTROL_ASSEMBLY_TIMEOUT_MS + 1;
    expect(box.take(ALICE, parts[2] ?? new Uint8Array())).toBe('held');
    expect(got).toEqual([]);
    expect(box.assembling).toBe(1);
  });

  it('keeps a message whose chunks keep coming, however long it takes in all', () => {
    const { box, got, clock } = inbox();
    const parts = regions(message(1_000), 1);
    for (const [i, r] of parts.entries()) {
      clock.now = i * CONTROL_ASSEMBLY_TIMEOUT_MS;
      box.take(ALICE, r);
    }
    expect(got).toEqual([message(1_000)]);
  });

  it('never throws, and stays within its bounds, on random regions and bytes', () => {
    const region = fc.oneof(
      fc.uint8Array({ maxLength: 270 }),
      fc
        .record({
          msgId: fc.nat(3),
          last: fc.nat(80),
          payload: fc.uint8Array({ minLength: 1, maxLength: 255 }),
        })
        .chain((r) => fc.nat(r.last).map((index) => encodeRegion({ ...r, index }))),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(2), region, fc.nat(4_000)), { maxLength: 300 }), (takes) => {
        const { box, got, clock } = inbox();
        for (const [sender, bytes, dt] of takes) {
          clock.now += dt;
          box.take(BigInt(sender), bytes);
          expect(box.assembling).toBeLessThanOrEqual(MAX_CONTROL_ASSEMBLIES);
        }
        for (const bytes of got) expect(bytes.length).toBeLessThanOrEqual(CONTROL_MESSAGE_MAX_BYTES);
      }),
      { numRuns: 300 },
    );
  });
});
