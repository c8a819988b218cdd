/**
 * The bridge's side of the site's data-channel messages (src/content/start-bridge.ts, page-script-link.ts): requests
 * of the page script over its reports port are checked and answered once each from the frame's DataService, keyed by
 * the room's epoch keys. Two bridges of the same room pair through their page scripts' requests; a malformed request
 * is refused and counted; an unsafe realm answers without keys; the keys go with the room's.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkDataReply, type DataReply } from '../../src/shared/data-messages';
import { type BridgeUnderTest, epochKeys, settle, startFakeBridge, until, useBridgeTimers } from './bridge-fakes';

beforeEach(() => {
  useBridgeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

let nextId = 100;

/** Plays the page script: posts `request` with a fresh id on the reports port and returns the one reply. */
async function ask(bridge: BridgeUnderTest, request: Record<string, unknown>): Promise<DataReply> {
  const id = nextId++;
  bridge.reports.receive({ ...request, id });
  await until(() => bridge.reports.posted.some((m) => (m as { id?: unknown }).id === id));
  const replies = bridge.reports.posted.filter((m) => (m as { id?: unknown }).id === id);
  expect(replies).toHaveLength(1);
  const reply = checkDataReply(replies[0]);
  if (reply === undefined) throw new Error(`reply refused: ${JSON.stringify(replies[0])}`);
  return reply;
}

/**
 * Plays both page scripts through a first exchange: `a`'s connection `idA` offers, `b`'s `idB` answers, both decide
 * protected. Returns what each remote-line request answered.
 */
async function pairFrames(a: BridgeUnderTest, idA: number, b: BridgeUnderTest, idB: number): Promise<DataReply[]> {
  const offer = await ask(a, { type: 'data-line', connection: idA, role: 'offerer' });
  if (offer.type !== 'data-line' || offer.value === undefined) throw new Error('no offer line');
  const atB = await ask(b, { type: 'data-remote-line', connection: idB, value: offer.value });
  const answer = await ask(b, { type: 'data-line', connection: idB, role: 'answerer' });
  if (answer.type !== 'data-line' || answer.value === undefined) throw new Error('no answer line');
  const atA = await ask(a, { type: 'data-remote-line', connection: idA, value: answer.value });
  await ask(a, { type: 'data-decided', connection: idA, protected: true });
  await ask(b, { type: 'data-decided', connection: idB, protected: true });
  return [atB, atA];
}

function started(options: { unsafeRealm?: boolean } = {}): BridgeUnderTest {
  const bridge = startFakeBridge(options);
  bridge.trustWorker();
  return bridge;
}

describe('a bridge answering the page script’s data requests', () => {
  const bridges: BridgeUnderTest[] = [];
  const make = (options: { unsafeRealm?: boolean } = {}) => {
    const bridge = started(options);
    bridges.push(bridge);
    return bridge;
  };

  afterEach(() => {
    for (const bridge of bridges.splice(0)) bridge.teardown.abort();
  });

  it('without keys: no line, and texts go as they are', async () => {
    const bridge = make();
    expect(await ask(bridge, { type: 'data-line', connection: 1, role: 'offerer' })).toEqual({
      type: 'data-line',
      id: expect.any(Number),
    });
    expect(await ask(bridge, { type: 'data-text-out', connection: 1, streamId: 0, text: '{}' })).toMatchObject({
      type: 'data-as-is',
    });
  });

  it('pairs two frames of the same room, and seals and opens between them', async () => {
    const [a, b] = [make(), make()];
    a.background.send(epochKeys());
    b.background.send(epochKeys());
    await settle();
    const accepted = await pairFrames(a, 1, b, 4);
    expect(accepted).toMatchObject([
      { type: 'data-remote-line', accepted: true },
      { type: 'data-remote-line', accepted: true },
    ]);

    const sealed = await ask(a, { type: 'data-seal', connection: 1, streamId: 2, data: 'secret ✓' });
    if (sealed.type !== 'data-send') throw new Error(sealed.type);
    expect(new TextDecoder().decode(sealed.data)).not.toContain('secret');
    expect(await ask(b, { type: 'data-open', connection: 4, streamId: 2, data: sealed.data })).toMatchObject({
      type: 'data-deliver-text',
      text: 'secret ✓',
    });
    // On a protected connection nothing comes in clear.
    expect(
      await ask(b, { type: 'data-open', connection: 4, streamId: 2, data: new TextEncoder().encode('clear').buffer }),
    ).toMatchObject({ type: 'data-drop' });
  });

  it('frames of another room do not pair', async () => {
    const [a, b] = [make(), make()];
    a.background.send(epochKeys('room-a'));
    b.background.send({
      ...epochKeys('room-b'),
      keys: epochKeys().keys.map((k) => ({ ...k, key: 'AAAAAAAAAAAAAAAAAAAAAA==' })),
    });
    await settle();
    const offer = await ask(a, { type: 'data-line', connection: 1, role: 'offerer' });
    if (offer.type !== 'data-line' || offer.value === undefined) throw new Error('no offer line');
    expect(await ask(b, { type: 'data-remote-line', connection: 1, value: offer.value })).toMatchObject({
      accepted: false,
    });
  });

  it('refuses a malformed request without a reply, and counts it', async () => {
    const bridge = make();
    bridge.reports.receive({ type: 'data-seal', id: 1, connection: 1, streamId: 70_000, data: 'x' });
    bridge.reports.receive({ type: 'data-nope', id: 2 });
    bridge.reports.receive({ type: 'data-line', id: 3, connection: 1, role: 'offerer', extra: true });
    await settle();
    expect(bridge.reports.posted.filter((m) => (m as { type?: string }).type?.startsWith('data-'))).toEqual([]);
    vi.advanceTimersByTime(10_000);
    const counts = bridge.background.posted.filter((m) => m.type === 'rejections').map((m) => m.counts);
    expect(counts).toEqual([{ page_report_invalid: 3 }]);
  });

  it('in an unsafe realm, answers without keys: the page’s channels work, unprotected', async () => {
    const bridge = make({ unsafeRealm: true });
    bridge.background.send(epochKeys());
    await settle();
    expect(await ask(bridge, { type: 'data-line', connection: 1, role: 'offerer' })).not.toHaveProperty('value');
  });

  it('drops a protected connection’s keys with the room’s: nothing goes out after', async () => {
    const [a, b] = [make(), make()];
    a.background.send(epochKeys());
    b.background.send(epochKeys());
    await settle();
    await pairFrames(a, 1, b, 1);
    a.background.send({ type: 'no-key' });
    await settle();
    expect(await ask(a, { type: 'data-seal', connection: 1, streamId: 0, data: 'late' })).toMatchObject({
      type: 'data-drop',
      reason: 'closed',
    });
  });

  it('reports the frame’s channels to the background at most once a second, and an empty list when the keys go', async () => {
    const [a, b] = [make(), make()];
    a.background.send(epochKeys());
    b.background.send(epochKeys());
    await settle();
    await pairFrames(a, 1, b, 1);
    await ask(a, { type: 'data-channel', connection: 1, streamId: 3, label: 'chat' });
    const sealed = await ask(a, { type: 'data-seal', connection: 1, streamId: 3, data: 'hi' });
    expect(sealed.type).toBe('data-send');
    const reports = () => a.background.posted.filter((m) => m.type === 'data-channels').map((m) => m.channels);
    expect(reports()).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(reports()).toEqual([
      [{ connection: 1, streamId: 3, label: 'chat', state: 'e2e', sent: 1, received: 0, refused: 0 }],
    ]);
    vi.advanceTimersByTime(5_000); // nothing changed: nothing sent
    expect(reports()).toHaveLength(1);
    a.background.send({ type: 'no-key' });
    await settle();
    expect(reports().at(-1)).toEqual([]);
  });
});
