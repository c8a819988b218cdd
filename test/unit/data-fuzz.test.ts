/**
 * Fuzz tests of every reader of untrusted data-channel input (src/content/data/): mutated envelopes, SDP lines and
 * textroom messages, random base64url and JSON. Nothing throws, nothing altered opens, and what each reader accepts is
 * what was written. Most inputs are mutations of valid ones, so they reach the tag check.
 * Seeds: DATA_FUZZ_SEED=<n> replays a run; each run prints its seed, and fast-check prints seed and path on failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64urlToBytes, bytesToBase64url } from '../../src/content/data/base64url';
import { DataReceiver, DataSender } from '../../src/content/data/envelope';
import { generateConnectionKeyPair, helloLineValue, openHelloLine } from '../../src/content/data/hello';
import { topLevelMembers } from '../../src/content/data/json-members';
import { deriveDirectionKeys } from '../../src/content/data/keys';
import { lineOf, withLine } from '../../src/content/data/sdp-line';
import { TextKeys } from '../../src/content/data/text-key';
import { openIncoming, protectOutgoing } from '../../src/content/data/textroom';
import { ControlKeys } from '../../src/content/exchange/seal';
import { hkdfKey } from './exchange-fixtures';

const seed = Number(process.env.DATA_FUZZ_SEED ?? Date.now() % 2 ** 31);
console.log(`data fuzz seed: ${seed} (DATA_FUZZ_SEED=${seed} replays it)`);
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const EPOCH = 2_900_000;

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'insert'; at: number; values: number[] };

/** Positions are fractions of the length, unbiased, so one arbitrary fits inputs of any size. */
const position = fc.noBias(fc.integer({ min: 0, max: 999_999 })).map((n) => n / 1_000_000);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('set' as const), at: position, value: fc.integer({ min: 0, max: 255 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), keep: position }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 8 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: position,
      values: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }),
    }),
  },
);
const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 });

/** Applies mutations to a copy of `input`, as numbers (bytes, or UTF-16 code units of a string). */
function mutate(input: number[], list: Mutation[]): number[] {
  let out = input.slice();
  for (const m of list) {
    const at = Math.floor(('at' in m ? m.at : 0) * (out.length + (m.kind === 'insert' ? 1 : 0)));
    if (m.kind === 'flip' && out.length > 0) out[at] = (out[at] as number) ^ (1 << m.bit);
    else if (m.kind === 'set' && out.length > 0) out[at] = m.value;
    else if (m.kind === 'truncate') out = out.slice(0, Math.floor(m.keep * out.length));
    else if (m.kind === 'delete') out.splice(at, m.count);
    else if (m.kind === 'insert') out.splice(at, 0, ...m.values);
  }
  return out;
}
const mutateBytes = (bytes: Uint8Array, list: Mutation[]) => Uint8Array.from(mutate([...bytes], list));
/** Mutates a string's code units; byte values land on ASCII and Latin-1, where JSON's and SDP's syntax is. */
const mutateString = (text: string, list: Mutation[]) =>
  String.fromCharCode(
    ...mutate(
      Array.from({ length: text.length }, (_, i) => text.charCodeAt(i)),
      list,
    ),
  );

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Each property runs {@link RUNS} cases, each with WebCrypto calls: seconds on a busy 2-core machine. */
describe('data fuzz', { timeout: 120_000 }, () => {
  it('mutated envelopes: never throws, never opens unless unchanged', async () => {
    const o = await generateConnectionKeyPair();
    const a = await generateConnectionKeyPair();
    const send = new DataSender((await deriveDirectionKeys(o, 'offerer', a.publicKey))?.send as CryptoKey);
    const receiveKey = (await deriveDirectionKeys(a, 'answerer', o.publicKey))?.receive as CryptoKey;
    const originals = [await send.seal(1, 'a string message'), await send.seal(1, Uint8Array.of(1, 2, 3, 4, 5))];
    const reasons = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1), mutations, async (which, list) => {
        const original = originals[which] as Uint8Array;
        const mutated = mutateBytes(original, list);
        // A fresh receiver each time: an unchanged message must open, a changed one must not.
        const got = await new DataReceiver(receiveKey).open(1, mutated);
        reasons.set(got.ok ? 'ok' : got.reason, (reasons.get(got.ok ? 'ok' : got.reason) ?? 0) + 1);
        expect(got.ok).toBe(sameBytes(mutated, original));
      }),
      { seed, numRuns: RUNS },
    );
    expect(reasons.get('bad_tag')).toBeGreaterThan(RUNS / 4);
    expect(reasons.get('not_envelope')).toBeGreaterThan(0);
    expect(reasons.get('wrong_stream')).toBeGreaterThan(0);
  });

  it('mutated SDP lines: lineOf never throws, and only the written HELLO opens', async () => {
    const base = await hkdfKey(crypto.getRandomValues(new Uint8Array(16)));
    const keys = new ControlKeys((e) => (e === EPOCH ? base : undefined));
    const own = await generateConnectionKeyPair();
    const value = (await helloLineValue({ publicKey: own.publicKey, role: 'offerer' }, EPOCH, keys)) as string;
    const sdp = withLine(
      'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP x\r\n',
      value,
    );
    let read = 0;
    let opened = 0;
    await fc.assert(
      fc.asyncProperty(mutations, async (list) => {
        const line = lineOf(mutateString(sdp, list));
        if (line === undefined) return;
        read++;
        const hello = await openHelloLine(line, EPOCH, keys, 'offerer');
        if (hello !== undefined) opened++;
        expect(hello === undefined || line === value).toBe(true);
      }),
      { seed, numRuns: RUNS },
    );
    expect(read).toBeGreaterThan(0);
    expect(opened).toBeLessThan(read);
  });

  it('mutated textroom messages: never throws, an opened text is the one sealed', async () => {
    const base = await hkdfKey(crypto.getRandomValues(new Uint8Array(16)));
    const keys = new TextKeys((e) => (e === EPOCH ? base : undefined));
    const text = 'fuzz ✓ "me"';
    const request = JSON.stringify({ textroom: 'message', transaction: 'q1', room: 1234, text });
    const sealed = await protectOutgoing(request, keys, EPOCH);
    if (sealed?.kind !== 'sealed') throw new Error('not sealed');
    const event = sealed.text.replace('"transaction":"q1"', '"from":"alice","date":"2026-01-01T00:00:00+0000"');
    let opened = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(request, sealed.text, event), mutations, async (message, list) => {
        const mutated = mutateString(message, list);
        await protectOutgoing(mutated, keys, EPOCH);
        const result = await openIncoming(mutated, keys, EPOCH);
        if (result?.opened) {
          opened++;
          expect((JSON.parse(result.text) as { text: unknown }).text).toBe(text);
        }
      }),
      { seed, numRuns: RUNS },
    );
    expect(opened).toBeGreaterThan(0); // mutations of other fields leave the sealed text as it was
  });

  it('base64url: random strings never throw, and what decodes encodes back to the same string', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ABCabc012-_+/=é \n'.split('')), maxLength: 40 }), (s) => {
        const bytes = base64urlToBytes(s);
        if (bytes !== undefined) expect(bytesToBase64url(bytes)).toBe(s);
      }),
      { seed, numRuns: RUNS * 5 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(base64urlToBytes(bytesToBase64url(bytes))).toEqual(bytes);
        expect(bytesToBase64url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
      }),
      { seed, numRuns: RUNS },
    );
  });

  it('json members: for any object, its keys in order and each value’s text, at any indentation', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })),
        fc.constantFrom(undefined, 0, 2, '\t'),
        (object, indent) => {
          const json = JSON.stringify(object, null, indent);
          const members = topLevelMembers(json);
          expect(members?.map((m) => m.key)).toEqual(Object.keys(object));
          const parsed = JSON.parse(json) as Record<string, unknown>; // -0 is written as 0: compare with what was written
          for (const m of members ?? []) expect(JSON.parse(json.slice(m.start, m.end))).toEqual(parsed[m.key]);
        },
      ),
      { seed, numRuns: RUNS },
    );
  });
});
