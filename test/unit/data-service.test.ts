/**
 * The bridge's data service (src/content/data/service.ts) on real WebCrypto: two services pairing as offerer and
 * answerer and exchanging envelopes, a service of another room that cannot join, a stripped line that leaves text to
 * the textroom profile, replays, bounds, forget and clear, and untrusted inputs refused without throwing.
 */
import { describe, expect, it } from 'vitest';
import {
  ENVELOPE_MARKER,
  MAX_DATA_CONNECTIONS,
  MAX_DATA_PLAINTEXT_BYTES,
  MAX_REPORTED_CHANNELS,
  TEXT_PREFIX,
} from '../../src/content/data/constants';
import { DataService } from '../../src/content/data/service';
import { hkdfKey } from './exchange-fixtures';

const EPOCH = 2_900_000;
const utf8 = new TextEncoder();
const text = new TextDecoder();

/** Epoch keys of one room: a base key for each epoch around EPOCH. */
async function room(): Promise<Map<number, CryptoKey>> {
  const base = new Map<number, CryptoKey>();
  for (let e = EPOCH - 3; e <= EPOCH + 3; e++) base.set(e, await hkdfKey(crypto.getRandomValues(new Uint8Array(16))));
  return base;
}

function service(keys: Map<number, CryptoKey> | undefined, epoch: number | undefined = EPOCH, now = () => 0) {
  return new DataService({ epochs: { epoch: keys ? epoch : undefined, keyOf: (e) => keys?.get(e) }, now });
}

/** Offer from `a` (connection 1), answer from `b` (connection 7), each line carried over unaltered; returns both. */
async function pair(a: DataService, b: DataService): Promise<{ offer?: string; answer?: string }> {
  const offer = await a.localLine(1, 'offerer');
  await b.remoteLine(7, offer);
  const answer = await b.localLine(7, 'answerer');
  await a.remoteLine(1, answer);
  return { offer, answer };
}

const chat = (t: string) => JSON.stringify({ textroom: 'message', transaction: 'x', room: 1234, text: t });

describe('DataService: two Framelocks with the same room', () => {
  it('pair as offerer and answerer, and exchange strings and bytes both ways', async () => {
    const keys = await room();
    const a = service(keys);
    const b = service(keys);
    await pair(a, b);
    expect(a.isProtected(1)).toBe(true);
    expect(b.isProtected(7)).toBe(true);

    const out = await a.seal(1, 3, utf8.encode('hello'), true);
    if (out.kind !== 'send') throw new Error(out.kind);
    expect(out.message[0]).toBe(ENVELOPE_MARKER);
    expect(text.decode(out.message)).not.toContain('hello');
    expect(await b.open(7, 3, out.message)).toEqual({
      kind: 'deliver',
      message: 'hello',
    });

    const back = await b.seal(7, 3, Uint8Array.of(1, 2, 3), false);
    if (back.kind !== 'send') throw new Error(back.kind);
    expect(await a.open(1, 3, back.message)).toEqual({
      kind: 'deliver',
      message: Uint8Array.of(1, 2, 3),
    });
    expect(a.report()).toEqual([{ connection: 1, streamId: 3, state: 'e2e', sent: 1, received: 1, refused: 0 }]);
  });

  it('is forward secret: whoever recorded both lines and holds the room’s keys opens nothing', async () => {
    const keys = await room();
    const a = service(keys);
    const b = service(keys);
    const { offer, answer } = await pair(a, b);
    const sealed = await a.seal(1, 0, utf8.encode('recorded secret'), true);
    if (sealed.kind !== 'send') throw new Error(sealed.kind);
    // The attacker: the same room (the passphrase), both recorded lines, replayed as either end.
    for (const [first, second] of [
      [offer, answer],
      [answer, offer],
    ]) {
      const attacker = service(keys);
      await attacker.remoteLine(3, first);
      await attacker.localLine(3, 'answerer');
      await attacker.remoteLine(3, second);
      expect((await attacker.open(3, 0, sealed.message)).kind).not.toBe('deliver');
    }
    const offerer = service(keys);
    await offerer.localLine(4, 'offerer');
    await offerer.remoteLine(4, answer);
    expect(await offerer.open(4, 0, sealed.message)).toMatchObject({ kind: 'drop' });
    b.forget(7); // the connection closed: its keys are gone, and b itself opens nothing more
    expect(await b.open(7, 0, sealed.message)).toEqual({ kind: 'drop', reason: 'closed' });
  });

  it('makes one key pair per connection: a renegotiated line carries the same key, sealed afresh', async () => {
    const keys = await room();
    const a = service(keys);
    const b = service(keys);
    await pair(a, b);
    const again = await a.localLine(1, 'offerer');
    expect(again).toBeDefined();
    expect(again).not.toBe(await a.localLine(1, 'offerer'));
    await b.remoteLine(7, again); // the same key: nothing changes, nothing counted
    expect(b.ignoredLines).toBe(0);
    const out = await a.seal(1, 0, utf8.encode('still'), true);
    if (out.kind !== 'send') throw new Error(out.kind);
    expect((await b.open(7, 0, out.message)).kind).toBe('deliver');
  });

  it('stays protected with its keys: a later description without a line, or with another key, is only counted', async () => {
    const keys = await room();
    const a = service(keys);
    const b = service(keys);
    const c = service(keys);
    await pair(a, b);
    await a.remoteLine(1, undefined);
    await a.remoteLine(1, await c.localLine(9, 'answerer'));
    expect(a.ignoredLines).toBe(2);
    expect(a.isProtected(1)).toBe(true);
    const out = await a.seal(1, 0, utf8.encode('x'), true);
    if (out.kind !== 'send') throw new Error(out.kind);
    expect((await b.open(7, 0, out.message)).kind).toBe('deliver');
  });

  it('refuses replays, clear messages, another stream, and altered envelopes on a protected connection', async () => {
    const keys = await room();
    const a = service(keys);
    const b = service(keys);
    await pair(a, b);
    const out = await a.seal(1, 5, utf8.encode('once'), true);
    if (out.kind !== 'send') throw new Error(out.kind);
    expect((await b.open(7, 5, out.message)).kind).toBe('deliver');
    expect(await b.open(7, 5, out.message)).toEqual({ kind: 'drop', reason: 'replayed' });
    expect(await b.open(7, 5, utf8.encode('{"plain":true}'))).toEqual({ kind: 'drop', reason: 'not_envelope' });
    const next = await a.seal(1, 5, utf8.encode('twice'), true);
    if (next.kind !== 'send') throw new Error(next.kind);
    expect(await b.open(7, 6, next.message)).toEqual({ kind: 'drop', reason: 'wrong_stream' });
    const altered = next.message.slice();
    altered[altered.length - 1] = (altered.at(-1) ?? 0) ^ 1;
    expect(await b.open(7, 5, altered)).toEqual({ kind: 'drop', reason: 'bad_tag' });
    expect(b.report()).toContainEqual({ connection: 7, streamId: 5, state: 'e2e', sent: 0, received: 1, refused: 3 });
  });

  it('sends no text through the profile on a protected connection', async () => {
    const keys = await room();
    const a = service(keys);
    const b = service(keys);
    await pair(a, b);
    expect(await a.protectText(1, 0, chat('hi'))).toEqual({ kind: 'drop', reason: 'protected' });
    expect(await a.openText(1, 0, chat('hi'))).toEqual({ kind: 'drop', reason: 'protected' });
  });
});

describe('DataService: renegotiation, epochs and concurrency', () => {
  it('stays protected when the roles turn round in a renegotiation, with nothing counted', async () => {
    const keys = await room();
    const a = service(keys);
    const b = service(keys);
    await pair(a, b);
    await a.remoteLine(1, await b.localLine(7, 'offerer'));
    expect(await a.localLine(1, 'answerer')).toBeDefined();
    expect(a.ignoredLines + b.ignoredLines).toBe(0);
    const out = await b.seal(7, 2, Uint8Array.of(9), false);
    if (out.kind !== 'send') throw new Error(out.kind);
    expect((await a.open(1, 2, out.message)).kind).toBe('deliver');
  });

  it('pairs across an epoch boundary (the window), not two epochs apart', async () => {
    const keys = await room();
    const a = service(keys, EPOCH);
    const late = service(keys, EPOCH + 1);
    const far = service(keys, EPOCH + 2);
    const offer = await a.localLine(1, 'offerer');
    await late.remoteLine(7, offer);
    await far.remoteLine(8, offer);
    const answer = await late.localLine(7, 'answerer');
    expect(await far.localLine(8, 'answerer')).toBeUndefined();
    await a.remoteLine(1, answer);
    expect(a.isProtected(1)).toBe(true);
    expect(late.isProtected(7)).toBe(true);
    expect(far.isProtected(8)).toBe(false);
  });

  it('line calls made at once run in call order; seals made at once all open', async () => {
    const keys = await room();
    const a = service(keys);
    const b = service(keys);
    const offer = await a.localLine(1, 'offerer');
    // The page does not wait between setRemoteDescription and createAnswer: the answer still pairs.
    const [, answer] = await Promise.all([b.remoteLine(7, offer), b.localLine(7, 'answerer')]);
    expect(answer).toBeDefined();
    await a.remoteLine(1, answer);
    const sealed = await Promise.all([0, 1, 2, 3].map((n) => a.seal(1, 0, Uint8Array.of(n), false)));
    const opened = await Promise.all(
      sealed.reverse().map((r) => (r.kind === 'send' ? b.open(7, 0, r.message) : Promise.resolve(r))),
    );
    expect(opened.map((r) => r.kind)).toEqual(['deliver', 'deliver', 'deliver', 'deliver']);
  });
});

describe('DataService: who cannot become protected', () => {
  it('a service of another room cannot pair with either end', async () => {
    const a = service(await room());
    const stranger = service(await room());
    await stranger.remoteLine(2, await a.localLine(1, 'offerer'));
    const answer = await stranger.localLine(2, 'answerer');
    expect(answer).toBeUndefined(); // no valid offer line: no line in the answer
    // The stranger's own offer, answered by `a`: neither end pairs.
    await a.remoteLine(3, await stranger.localLine(4, 'offerer'));
    expect(await a.localLine(3, 'answerer')).toBeUndefined();
    expect(a.isProtected(1) || a.isProtected(3)).toBe(false);
    expect(stranger.isProtected(2) || stranger.isProtected(4)).toBe(false);
    expect(a.ignoredLines).toBe(1);
    expect(stranger.ignoredLines).toBe(1);
  });

  it('a reflected line (our own offer as the answer) does not protect', async () => {
    const a = service(await room());
    const offer = await a.localLine(1, 'offerer');
    await a.remoteLine(1, offer);
    expect(a.isProtected(1)).toBe(false);
  });

  it('an answer HELLO held from before our offer does not pair with it', async () => {
    const keys = await room();
    const a = service(keys);
    const b = service(keys);
    await b.remoteLine(7, undefined);
    const answer = await b.localLine(7, 'answerer'); // b answered an offer that carried no line
    await a.remoteLine(1, answer);
    expect(a.isProtected(1)).toBe(false);
    await a.localLine(1, 'offerer');
    expect(a.isProtected(1)).toBe(false);
  });

  it('no keys: no line, nothing protected, messages go as they are', async () => {
    const a = service(undefined);
    expect(await a.localLine(1, 'offerer')).toBeUndefined();
    expect(await a.seal(1, 0, utf8.encode('x'), true)).toEqual({ kind: 'as_is' });
    expect(await a.protectText(1, 0, chat('hi'))).toEqual({ kind: 'as_is' });
  });
});

describe('DataService: a stripped line', () => {
  it('leaves both ends unprotected, and textroom texts sealed with the room passphrase', async () => {
    const keys = await room();
    const a = service(keys);
    const b = service(keys);
    await a.localLine(1, 'offerer');
    await b.remoteLine(7, undefined); // the signalling server stripped it
    const answer = await b.localLine(7, 'answerer');
    expect(answer).toBeUndefined(); // an answer carries a line only to an offer that carried one
    await a.remoteLine(1, answer);
    expect(a.isProtected(1)).toBe(false);
    expect(b.isProtected(7)).toBe(false);

    expect(await a.seal(1, 0, utf8.encode('{"textroom":"join"}'), true)).toEqual({ kind: 'as_is' });
    expect(await a.protectText(1, 0, '{"textroom":"join"}')).toEqual({ kind: 'as_is' });
    const sealed = await a.protectText(1, 0, chat('secret'));
    if (sealed.kind !== 'send') throw new Error(sealed.kind);
    expect(sealed.message).not.toContain('secret');
    expect(sealed.message).toContain(TEXT_PREFIX);
    expect(await b.openText(7, 0, sealed.message)).toEqual({ kind: 'deliver', message: chat('secret') });
    expect(await b.openText(7, 0, chat('in clear'))).toEqual({ kind: 'as_is' });
    expect(await b.open(7, 0, utf8.encode('bytes'))).toEqual({ kind: 'as_is' });

    const stranger = service(await room());
    expect(await stranger.openText(3, 0, sealed.message)).toEqual({ kind: 'as_is' });
    expect(a.report()).toEqual([{ connection: 1, streamId: 0, state: 'passphrase', sent: 3, received: 0, refused: 0 }]);
    expect(stranger.report()).toEqual([
      { connection: 3, streamId: 0, state: 'clear', sent: 0, received: 1, refused: 0 },
    ]);
  });

  it('drops a chat text too long to seal rather than send it in clear', async () => {
    const a = service(await room());
    expect(await a.protectText(1, 0, chat('x'.repeat(70_000)))).toEqual({ kind: 'drop', reason: 'too_large' });
  });
});

describe('DataService: the page script decides', () => {
  it('accepts an offer line that opens and an answer that pairs, refuses others', async () => {
    const keys = await room();
    const a = service(keys);
    const b = service(keys);
    const offer = await a.localLine(1, 'offerer');
    expect(await b.remoteLine(7, offer)).toBe(true);
    expect(await service(await room()).remoteLine(2, offer)).toBe(false); // another room
    expect(await b.remoteLine(8, undefined)).toBe(false);
    expect(await a.remoteLine(1, await b.localLine(7, 'answerer'))).toBe(true);
    expect(await a.remoteLine(1, offer)).toBe(true); // protected already: nothing changes
  });

  it('an answer line that reached the description too late: not protected, its keys gone, text profiles apply', async () => {
    const keys = await room();
    const a = service(keys);
    const b = service(keys);
    await b.remoteLine(7, await a.localLine(1, 'offerer'));
    await b.localLine(7, 'answerer'); // the bridge paired, but the page's answer went out without the line
    expect(b.isProtected(7)).toBe(true);
    b.decide(7, false);
    expect(b.isProtected(7)).toBe(false);
    b.decide(7, true); // once only
    expect(b.isProtected(7)).toBe(false);
    expect(await b.seal(7, 0, utf8.encode('x'), true)).toEqual({ kind: 'as_is' });
    const sealed = await b.protectText(7, 0, chat('secret'));
    expect(sealed.kind).toBe('send');
    expect(await b.localLine(7, 'answerer')).toBeUndefined();
    expect(b.report()[0]?.state).toBe('passphrase');
  });

  it('a connection decided protected without keys lets nothing out or in', async () => {
    const a = service(await room());
    a.decide(4, true);
    expect(await a.seal(4, 1, utf8.encode('secret'), true)).toEqual({ kind: 'drop', reason: 'no_key' });
    expect(await a.open(4, 1, utf8.encode('clear'))).toEqual({ kind: 'drop', reason: 'no_key' });
    expect(await a.protectText(4, 1, chat('secret'))).toEqual({ kind: 'drop', reason: 'protected' });
    expect(await a.openText(4, 1, chat('x'))).toEqual({ kind: 'drop', reason: 'protected' });
    a.forget(4);
    expect(await a.seal(4, 1, utf8.encode('secret'), true)).toEqual({ kind: 'drop', reason: 'closed' });
  });

  it('the offerer’s confirmation opens as consumed at the answerer, never as a message; none without keys', async () => {
    const keys = await room();
    const a = service(keys);
    const b = service(keys);
    await pair(a, b);
    const confirmation = await a.confirm(1, 3);
    if (confirmation.kind !== 'send') throw new Error(confirmation.kind);
    expect(confirmation.message[1]).toBe(0x02);
    expect(await b.open(7, 3, confirmation.message)).toEqual({ kind: 'consumed' });
    expect(await b.open(7, 3, confirmation.message)).toEqual({ kind: 'drop', reason: 'replayed' });
    expect(b.report()).toEqual([{ connection: 7, streamId: 3, state: 'e2e', sent: 0, received: 0, refused: 1 }]);
    expect(await service(keys).confirm(1, 3)).toEqual({ kind: 'drop', reason: 'no_key' });
  });

  it('refuses bad decisions without throwing', () => {
    const a = service(undefined);
    expect(() => a.decide(-1, true)).not.toThrow();
    expect(() => a.decide(1, 'yes' as unknown as boolean)).not.toThrow();
    expect(a.isProtected(1)).toBe(false);
  });
});

describe('DataService: bounds, forget and clear', () => {
  it('forgets the least recently used connection past the bound', async () => {
    let t = 0;
    const keys = await room();
    const a = service(keys, EPOCH, () => t++);
    for (let c = 0; c < MAX_DATA_CONNECTIONS; c++) a.channel(c, 0, `c${c}`);
    a.channel(0, 1, 'used again'); // connection 0 is now the most recently used; 1 the least
    a.channel(1000, 0, 'one more');
    const connections = new Set(a.report().map((r) => r.connection));
    expect(connections.has(0)).toBe(true);
    expect(connections.has(1)).toBe(false);
    expect(connections.has(1000)).toBe(true);
    expect(a.report().length).toBeLessThanOrEqual(MAX_REPORTED_CHANNELS);
  });

  it('forget erases a protected connection and drops what the page still sends on it', async () => {
    const keys = await room();
    const a = service(keys);
    const b = service(keys);
    await pair(a, b);
    a.forget(1);
    expect(a.isProtected(1)).toBe(false);
    expect(await a.seal(1, 0, utf8.encode('late'), true)).toEqual({ kind: 'drop', reason: 'closed' });
    expect(await a.localLine(1, 'offerer')).toBeUndefined();
    expect(a.report()).toEqual([]);
  });

  it('clear erases everything, and a new connection starts afresh', async () => {
    const keys = await room();
    const a = service(keys);
    const b = service(keys);
    await pair(a, b);
    a.clear();
    expect(a.isProtected(1)).toBe(false);
    expect(a.report()).toEqual([]);
    const c = service(keys);
    await c.remoteLine(4, await a.localLine(2, 'offerer'));
    await a.remoteLine(2, await c.localLine(4, 'answerer'));
    expect(a.isProtected(2)).toBe(true);
  });

  it('a forget during pairing leaves nothing behind', async () => {
    const keys = await room();
    const a = service(keys);
    const b = service(keys);
    const offer = await a.localLine(1, 'offerer');
    await b.remoteLine(7, offer);
    const answer = await b.localLine(7, 'answerer');
    const pending = a.remoteLine(1, answer);
    a.forget(1);
    await pending;
    expect(a.isProtected(1)).toBe(false);
  });
});

describe('DataService: untrusted inputs', () => {
  it('refuses bad ids, types and sizes without throwing', async () => {
    const keys = await room();
    const a = service(keys);
    const b = service(keys);
    await pair(a, b);
    const bad = a as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const connection of [-1, 1.5, 2 ** 31, Number.NaN, '1', null]) {
      expect(await bad.seal?.call(a, connection, 0, new Uint8Array(1), false)).toEqual({
        kind: 'drop',
        reason: 'invalid',
      });
      expect(await bad.localLine?.call(a, connection, 'offerer')).toBeUndefined();
      await expect(bad.remoteLine?.call(a, connection, 'AAAA')).resolves.toBe(false);
    }
    for (const streamId of [-1, 65_536, 0.5, '0']) {
      expect(await bad.open?.call(a, 1, streamId, new Uint8Array(40))).toEqual({ kind: 'drop', reason: 'invalid' });
    }
    expect(await bad.localLine?.call(a, 3, 'both')).toBeUndefined();
    expect(await bad.seal?.call(a, 1, 0, 'a string', true)).toEqual({ kind: 'drop', reason: 'invalid' });
    expect(await bad.open?.call(a, 1, 0, [0xf1])).toEqual({ kind: 'drop', reason: 'not_envelope' });
    expect(await a.seal(1, 0, new Uint8Array(MAX_DATA_PLAINTEXT_BYTES + 1), false)).toEqual({
      kind: 'drop',
      reason: 'too_large',
    });
    expect(await a.open(1, 0, new Uint8Array(256 * 1024 + 1))).toEqual({ kind: 'drop', reason: 'too_large' });
    expect(await bad.openText?.call(a, 5, 0, 42)).toEqual({ kind: 'drop', reason: 'invalid' });
    for (const value of ['', '!!!', 'A'.repeat(257), 'A'.repeat(84), 42]) {
      await expect(bad.remoteLine?.call(a, 5, value)).resolves.toBe(false);
    }
    expect(a.isProtected(5)).toBe(false);
  });

  it('takes the page script’s counts where they are higher (what never reached it), and ignores bad ones', async () => {
    const a = service(await room());
    expect(await a.seal(1, 2, utf8.encode('x'), true)).toEqual({ kind: 'as_is' });
    a.channel(1, 2, 'chat', { sent: 0, received: 5, refused: 1 });
    expect(a.report()).toEqual([
      { connection: 1, streamId: 2, label: 'chat', state: 'clear', sent: 1, received: 5, refused: 1 },
    ]);
    a.channel(1, 2, 'chat', { sent: -1, received: 1.5, refused: Number.NaN });
    a.channel(1, 2, 'chat', { sent: 0, received: 0, refused: 0 }); // never lowers
    expect(a.report()[0]).toMatchObject({ sent: 1, received: 5, refused: 1 });
  });

  it('cuts long labels', () => {
    const a = service(undefined);
    a.channel(1, 2, 'L'.repeat(1000));
    expect(a.report()[0]?.label?.length).toBe(128);
  });
});
