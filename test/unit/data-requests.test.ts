/**
 * The bridge's answers to the page script's data requests (src/content/data/requests.ts): two frames pair and
 * exchange a message through the messages as they cross the private port (checked request, reply checked by the page
 * script's hand check).
 */
import { describe, expect, it } from 'vitest';
import { answerDataRequest } from '../../src/content/data/requests';
import { DataService } from '../../src/content/data/service';
import { checkDataReply, type DataReply, parseDataRequest } from '../../src/shared/data-messages';
import { hkdfKey } from './exchange-fixtures';

const EPOCH = 2_900_000;

async function frames(): Promise<[DataService, DataService]> {
  const base = new Map<number, CryptoKey>();
  for (let e = EPOCH - 1; e <= EPOCH + 1; e++) base.set(e, await hkdfKey(crypto.getRandomValues(new Uint8Array(16))));
  const make = () => new DataService({ epochs: { epoch: EPOCH, keyOf: (e) => base.get(e) } });
  return [make(), make()];
}

let nextId = 0;
/** One request as the page script sends it, and the reply as the page script checks it. */
async function ask(service: DataService, request: Record<string, unknown>): Promise<DataReply> {
  const checked = parseDataRequest({ ...request, id: nextId++ });
  if (checked === undefined) throw new Error('request refused');
  const { reply, transfer } = await answerDataRequest(service, checked);
  const data = 'data' in reply ? reply.data : undefined;
  expect(transfer).toEqual(data === undefined ? [] : [data]);
  const back = checkDataReply(structuredClone(reply));
  if (back === undefined) throw new Error('reply refused');
  return back;
}

describe('data requests, answered', () => {
  it('pair two frames and carry a string end to end', async () => {
    const [a, b] = await frames();
    const offer = await ask(a, { type: 'data-line', connection: 0, role: 'offerer' });
    if (offer.type !== 'data-line' || offer.value === undefined) throw new Error('no offer line');
    // The offer's line opens: b accepts it (its answer's line completes the pair).
    expect(await ask(b, { type: 'data-remote-line', connection: 0, value: offer.value })).toMatchObject({
      accepted: true,
    });
    const answer = await ask(b, { type: 'data-line', connection: 0, role: 'answerer' });
    if (answer.type !== 'data-line' || answer.value === undefined) throw new Error('no answer line');
    expect(await ask(a, { type: 'data-remote-line', connection: 0, value: answer.value })).toMatchObject({
      accepted: true,
    });
    expect(await ask(a, { type: 'data-decided', connection: 0, protected: true })).toMatchObject({ type: 'data-done' });
    expect(await ask(b, { type: 'data-decided', connection: 0, protected: true })).toMatchObject({ type: 'data-done' });
    expect(
      await ask(a, {
        type: 'data-channel',
        connection: 0,
        streamId: 1,
        label: 'chat',
        sent: 0,
        received: 0,
        refused: 0,
      }),
    ).toMatchObject({
      type: 'data-done',
    });

    const sent = await ask(a, { type: 'data-seal', connection: 0, streamId: 1, data: 'hi ✓' });
    if (sent.type !== 'data-send') throw new Error(sent.type);
    expect(new TextDecoder().decode(sent.data)).not.toContain('hi');
    expect(await ask(b, { type: 'data-open', connection: 0, streamId: 1, data: sent.data.slice(0) })).toEqual({
      type: 'data-deliver-text',
      id: expect.any(Number),
      text: 'hi ✓',
    });
    const bytes = await ask(b, { type: 'data-seal', connection: 0, streamId: 1, data: Uint8Array.of(7, 8).buffer });
    if (bytes.type !== 'data-send') throw new Error(bytes.type);
    const got = await ask(a, { type: 'data-open', connection: 0, streamId: 1, data: bytes.data });
    if (got.type !== 'data-deliver') throw new Error(got.type);
    expect([...new Uint8Array(got.data)]).toEqual([7, 8]);
    expect(await ask(b, { type: 'data-open', connection: 0, streamId: 1, data: sent.data })).toMatchObject({
      type: 'data-drop',
      reason: 'replayed',
    });
    expect(await ask(a, { type: 'data-text-out', connection: 0, streamId: 1, text: '{}' })).toMatchObject({
      type: 'data-drop',
      reason: 'protected',
    });
    expect(await ask(a, { type: 'data-closed', connection: 0 })).toMatchObject({ type: 'data-done' });
    expect(a.report()).toEqual([]);
  });

  it('passes text of an unprotected connection through the textroom profile', async () => {
    const [a, b] = await frames();
    const message = JSON.stringify({ textroom: 'message', room: 1, text: 'secret' });
    const out = await ask(a, { type: 'data-text-out', connection: 3, streamId: 0, text: message });
    if (out.type !== 'data-send-text') throw new Error(out.type);
    expect(out.text).not.toContain('secret');
    expect(await ask(b, { type: 'data-text-in', connection: 5, streamId: 0, text: out.text })).toEqual({
      type: 'data-deliver-text',
      id: expect.any(Number),
      text: message,
    });
    expect(await ask(a, { type: 'data-seal', connection: 3, streamId: 0, data: new ArrayBuffer(2) })).toMatchObject({
      type: 'data-drop',
      reason: 'no_key',
    }); // asked only for protected connections: never as it is
  });
});
