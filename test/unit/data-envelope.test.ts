/**
 * The envelope of a protected connection's messages (src/content/data/envelope.ts): round trips of strings and bytes,
 * the sender's counter, and every refusal of the receiver, each with its reason and none thrown. The frozen bytes are
 * in data-known-answers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  DATA_REPLAY_WINDOW,
  ENVELOPE_OVERHEAD_BYTES,
  MAX_DATA_PLAINTEXT_BYTES,
  MAX_ENVELOPE_BYTES,
} from '../../src/content/data/constants';
import { DataReceiver, DataSender, type OpenedEnvelope, sealEnvelopeWith } from '../../src/content/data/envelope';
import { generateConnectionKeyPair } from '../../src/content/data/hello';
import { type DirectionKeys, deriveDirectionKeys } from '../../src/content/data/keys';
import { writeUintBE } from '../../src/shared/bytes';

/** Both ends of a fresh connection. */
async function connection(): Promise<{ offerer: DirectionKeys; answerer: DirectionKeys }> {
  const o = await generateConnectionKeyPair();
  const a = await generateConnectionKeyPair();
  const offerer = await deriveDirectionKeys(o, 'offerer', a.publicKey);
  const answerer = await deriveDirectionKeys(a, 'answerer', o.publicKey);
  if (offerer === undefined || answerer === undefined) throw new Error('no keys');
  return { offerer, answerer };
}

const ok = (data: string | Uint8Array, counter: number): OpenedEnvelope => ({
  ok: true,
  data,
  counter,
  control: false,
});
const refused = (reason: string) => ({ ok: false, reason });

describe('envelope round trips', () => {
  it('strings come back as strings, bytes as bytes, each way, 28 bytes added', async () => {
    const { offerer, answerer } = await connection();
    const send = new DataSender(offerer.send);
    const receive = new DataReceiver(answerer.receive);
    const messages: (string | Uint8Array)[] = [
      'hello',
      '',
      '\ufeffBOM stays text',
      'Grüße ✓ 😀',
      '{"json":true}',
      new Uint8Array(0),
      Uint8Array.of(0xf1, 0x01, 0x00),
      crypto.getRandomValues(new Uint8Array(1000)),
    ];
    for (const [counter, data] of messages.entries()) {
      const sealed = await send.seal(3, data);
      const bytes = typeof data === 'string' ? new TextEncoder().encode(data).length : data.length;
      expect(sealed.length).toBe(bytes + ENVELOPE_OVERHEAD_BYTES);
      expect(sealed[0]).toBe(0xf1);
      expect(sealed[1]).toBe(typeof data === 'string' ? 1 : 0);
      expect(await receive.open(3, sealed)).toEqual(ok(data, counter));
    }
    const back = new DataSender(answerer.send);
    expect(await new DataReceiver(offerer.receive).open(0, await back.seal(0, 'back'))).toEqual(ok('back', 0));
  });

  it('a lone surrogate goes out as UTF-8 does: U+FFFD', async () => {
    const { offerer, answerer } = await connection();
    const sealed = await new DataSender(offerer.send).seal(1, 'a\ud800b');
    expect(await new DataReceiver(answerer.receive).open(1, sealed)).toEqual(ok('a\ufffdb', 0));
  });

  it('the largest message fits Chromium’s 256 KiB sealed; one byte more is refused and uses no counter', async () => {
    const { offerer, answerer } = await connection();
    const send = new DataSender(offerer.send);
    await expect(send.seal(1, new Uint8Array(MAX_DATA_PLAINTEXT_BYTES + 1))).rejects.toThrow(RangeError);
    await expect(send.seal(1, 'x'.repeat(MAX_DATA_PLAINTEXT_BYTES + 1))).rejects.toThrow(RangeError);
    // 'é' is two bytes of UTF-8: the limit counts bytes, not characters.
    await expect(send.seal(1, 'é'.repeat(MAX_DATA_PLAINTEXT_BYTES / 2 + 1))).rejects.toThrow(RangeError);
    expect(send.next).toBe(0);
    const largest = Uint8Array.from({ length: MAX_DATA_PLAINTEXT_BYTES }, (_, i) => (i * 31) & 0xff);
    const sealed = await send.seal(1, largest);
    expect(sealed.length).toBe(MAX_ENVELOPE_BYTES);
    expect(await new DataReceiver(answerer.receive).open(1, sealed)).toEqual(ok(largest, 0));
  });

  it('refuses stream ids outside 0..65535 and counters outside 0..2^53 - 1', async () => {
    const { offerer } = await connection();
    const send = new DataSender(offerer.send);
    for (const streamId of [-1, 65536, 1.5, Number.NaN]) {
      await expect(send.seal(streamId, 'x')).rejects.toThrow(RangeError);
    }
    expect(send.next).toBe(0);
    await expect(sealEnvelopeWith(offerer.send, 1, -1, 'x')).rejects.toThrow(RangeError);
    await expect(sealEnvelopeWith(offerer.send, 1, 2 ** 53, 'x')).rejects.toThrow(RangeError);
    expect((await sealEnvelopeWith(offerer.send, 65535, 2 ** 53 - 1, 'x')).subarray(2, 12)).toEqual(
      Uint8Array.of(0xff, 0xff, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
    );
  });

  it('concurrent seals never share a counter: each call takes the next at once', async () => {
    const { offerer, answerer } = await connection();
    const send = new DataSender(offerer.send);
    const sealed = await Promise.all(Array.from({ length: 50 }, (_, i) => send.seal(i % 3, `m${i}`)));
    expect(sealed.map((s) => s[11])).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const receive = new DataReceiver(answerer.receive);
    for (const [i, s] of sealed.entries()) expect(await receive.open(i % 3, s)).toEqual(ok(`m${i}`, i));
  });
});

describe('envelope refusals', () => {
  it('every single-bit flip is refused with its reason, and moves nothing: the original still opens', async () => {
    const { offerer, answerer } = await connection();
    const sealed = await new DataSender(offerer.send).seal(5, 'flip me');
    const receive = new DataReceiver(answerer.receive);
    const reasons = new Map<string, number>();
    for (let i = 0; i < sealed.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = sealed.slice();
        flipped[i] = (flipped[i] as number) ^ (1 << bit);
        const got = await receive.open(5, flipped);
        expect(got.ok, `byte ${i} bit ${bit}`).toBe(false);
        const reason = got.ok ? 'ok' : got.reason;
        // The byte's field decides the reason: marker, flags, stream id, counter, ciphertext and tag.
        const expected =
          i === 0
            ? 'not_envelope'
            : i === 1
              ? bit === 0
                ? 'bad_tag'
                : 'not_envelope'
              : i < 4
                ? 'wrong_stream'
                : i === 4 || (i === 5 && bit >= 5)
                  ? 'not_envelope' // a counter above 2^53 - 1: no sender writes one
                  : 'bad_tag';
        expect(reason, `byte ${i} bit ${bit}`).toBe(expected);
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
    }
    expect([...reasons.keys()].sort()).toEqual(['bad_tag', 'not_envelope', 'wrong_stream']);
    expect(await receive.open(5, sealed)).toEqual(ok('flip me', 0));
  });

  it('replays: a copy is refused, also when two copies are opened at once', async () => {
    const { offerer, answerer } = await connection();
    const send = new DataSender(offerer.send);
    const receive = new DataReceiver(answerer.receive);
    const first = await send.seal(1, 'once');
    expect(await receive.open(1, first)).toEqual(ok('once', 0));
    expect(await receive.open(1, first)).toEqual(refused('replayed'));
    const second = await send.seal(1, 'twice at once');
    const both = await Promise.all([receive.open(1, second), receive.open(1, second.slice())]);
    expect(both.filter((r) => r.ok)).toHaveLength(1);
    expect(both.filter((r) => !r.ok)).toEqual([refused('replayed')]);
  });

  it('takes any order within 4,096 counters of a stream’s newest, and refuses older ones', async () => {
    const { offerer, answerer } = await connection();
    const receive = new DataReceiver(answerer.receive);
    const at = (counter: number) => sealEnvelopeWith(offerer.send, 2, counter, `c${counter}`);
    const newest = DATA_REPLAY_WINDOW + 100;
    for (const counter of [2046, 0, newest, 1023, 101]) {
      expect(await receive.open(2, await at(counter)), `${counter}`).toEqual(ok(`c${counter}`, counter));
    }
    // 4,196 - 100 = 4,096 counters behind the newest: out of the window, as everything older.
    for (const counter of [100, 99, 0, 2046, 1023, newest]) {
      expect(await receive.open(2, await at(counter)), `${counter}`).toEqual(refused('replayed'));
    }
  });

  it('one window per stream: a busy channel does not push a quiet one’s message out', async () => {
    const { offerer, answerer } = await connection();
    const send = new DataSender(offerer.send);
    const receive = new DataReceiver(answerer.receive);
    const quiet = await send.seal(1, 'quiet, counter 0');
    for (let i = 0; i < DATA_REPLAY_WINDOW + 10; i++) {
      const busy = await send.seal(2, 'busy');
      if (i % 1000 === 0 || i > DATA_REPLAY_WINDOW) expect((await receive.open(2, busy)).ok).toBe(true);
    }
    expect(await receive.open(1, quiet)).toEqual(ok('quiet, counter 0', 0));
    expect(await receive.open(1, quiet)).toEqual(refused('replayed'));
  });

  it('a message opened on another stream than it was sealed for: wrong_stream, before any decryption', async () => {
    const { offerer, answerer } = await connection();
    const receive = new DataReceiver(answerer.receive);
    const sealed = await new DataSender(offerer.send).seal(7, 'for stream 7');
    for (const streamId of [6, 8, 0, 65535, -1, 1.5, Number.NaN]) {
      expect(await receive.open(streamId, sealed)).toEqual(refused('wrong_stream'));
    }
    // Relabelled for stream 8: the stream id is authenticated.
    const moved = sealed.slice();
    moved[3] = 8;
    expect(await receive.open(8, moved)).toEqual(refused('bad_tag'));
    expect(await receive.open(7, sealed)).toEqual(ok('for stream 7', 0));
  });

  it('wrong role or connection: our own message reflected, another connection’s, the other direction’s', async () => {
    const { offerer, answerer } = await connection();
    const other = await connection();
    const sealed = await new DataSender(offerer.send).seal(1, 'x');
    expect(await new DataReceiver(offerer.receive).open(1, sealed)).toEqual(refused('bad_tag'));
    expect(await new DataReceiver(other.answerer.receive).open(1, sealed)).toEqual(refused('bad_tag'));
    const back = await new DataSender(answerer.send).seal(1, 'x');
    expect(await new DataReceiver(answerer.receive).open(1, back)).toEqual(refused('bad_tag'));
  });

  it('a forged message with a huge counter does not move the window', async () => {
    const { offerer, answerer } = await connection();
    const receive = new DataReceiver(answerer.receive);
    const forged = await sealEnvelopeWith(offerer.send, 1, 1_000_000, 'x');
    forged[20] = (forged[20] as number) ^ 1;
    expect(await receive.open(1, forged)).toEqual(refused('bad_tag'));
    expect(await receive.open(1, await sealEnvelopeWith(offerer.send, 1, 0, 'first'))).toEqual(ok('first', 0));
  });

  it('a control message opens as one, never as the page’s; its flag cannot be set or cleared by anyone else', async () => {
    const { offerer, answerer } = await connection();
    const sender = new DataSender(offerer.send);
    const receive = new DataReceiver(answerer.receive);
    const control = await sender.sealControl(2, Uint8Array.of(1));
    expect(control[1]).toBe(0x02);
    expect(control.length).toBe(28 + 1);
    expect(await receive.open(2, control)).toEqual({ ok: true, data: Uint8Array.of(1), counter: 0, control: true });
    const data = await sender.seal(2, Uint8Array.of(1));
    const asControl = data.slice();
    asControl[1] = 0x02;
    expect(await receive.open(2, asControl)).toEqual(refused('bad_tag'));
    const next = await sender.sealControl(2, Uint8Array.of(1));
    const asData = next.slice();
    asData[1] = 0x00;
    expect(await receive.open(2, asData)).toEqual(refused('bad_tag'));
    expect(await receive.open(2, data)).toEqual(ok(Uint8Array.of(1), 1));
  });

  it('not an envelope: plaintext, too short, another marker, unknown flags, a counter above 2^53 - 1', async () => {
    const { offerer, answerer } = await connection();
    const receive = new DataReceiver(answerer.receive);
    const sealed = await new DataSender(offerer.send).seal(1, 'x');
    const big = sealed.slice();
    writeUintBE(big, 4, 8, 2n ** 53n);
    for (const bad of [
      new TextEncoder().encode('{"textroom":"message","text":"in clear, as binary"}'),
      new Uint8Array(0),
      Uint8Array.of(0xf1),
      sealed.subarray(0, 27),
      Uint8Array.of(0xf0, ...sealed.subarray(1)),
      Uint8Array.of(0xf1, 0x03, ...sealed.subarray(2)),
      Uint8Array.of(0xf1, 0x80, ...sealed.subarray(2)),
      big,
    ]) {
      expect(await receive.open(1, bad)).toEqual(refused('not_envelope'));
    }
    expect(await receive.open(1, sealed.subarray(0, 28))).toEqual(refused('bad_tag'));
  });

  it('too large: longer than Chromium’s 256 KiB, refused before anything else', async () => {
    const { answerer } = await connection();
    const receive = new DataReceiver(answerer.receive);
    const huge = new Uint8Array(MAX_ENVELOPE_BYTES + 1);
    huge[0] = 0xf1;
    expect(await receive.open(1, huge)).toEqual(refused('too_large'));
    expect(await receive.open(1, new Uint8Array(10 * MAX_ENVELOPE_BYTES))).toEqual(refused('too_large'));
  });
});
