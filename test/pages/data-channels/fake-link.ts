/**
 * @module An in-memory DataLink (src/page/data-link.ts) for tests of the data-channel patch: no bridge, no key. Its
 * "sealing" is an XOR under a visible envelope, so a test can tell what the network carried from what the page sent:
 * ```
 * sealed  = 0xF1 ‖ flags (1: the page sent a string, 2: a confirmation) ‖ stream id (2, big-endian) ‖ 24 zero bytes
 *           ‖ plaintext XOR 0xA5   (28 bytes of overhead, as the real envelope)
 * line    = "FAKEHELLO" ‖ "O" (offerer) or "A" (answerer) ‖ connection number
 * profile = a string "tr:<text>" goes out as "FL:" ‖ base64(<text> XOR 0xA5); "FL:" is the marker
 * ```
 * How it answers is set per connection ({@link FakeBehaviour}): at once, after a random delay (answers then finish
 * out of order), held until released, late, never, or by throwing. Its own work runs `quietly` (quiet.ts): the
 * bridge's work is not the page script's, and the page's hooks must not see the patch call anything; its answers
 * reach the patch outside it.
 */
import type { ChannelReport, DataLink, DescriptionRole, ProfiledText } from '../../../src/page/data-link';
import { quietly } from './quiet';

export const FAKE_LINE_PREFIX = 'FAKEHELLO';
export const FAKE_SEALED = 0xf1;
export const FAKE_TEXT_MARKER = 'FL:';
/** As long as the real envelope's header and tag (28 bytes: the answerer tells an envelope by its length too). */
const FAKE_OVERHEAD = 28;
/** The flags of the fake confirmation (the real envelope's control flag). */
const FAKE_CONTROL = 2;
const XOR = 0xa5;

/** How the fake answers for one connection. */
export interface FakeBehaviour {
  /** localLine: give a line, none, answer after 1 s (past the patch's 250 ms), or throw. */
  line: 'give' | 'none' | 'slow' | 'throw';
  /** Every other call: answer at once (synchronously), after 0-`maxDelayMs` ms, hold until release(), or throw. */
  answers: 'sync' | 'async' | 'hold' | 'throw';
  maxDelayMs: number;
}

export const DEFAULT_BEHAVIOUR: FakeBehaviour = { line: 'give', answers: 'async', maxDelayMs: 3 };

/** A call the fake received, for tests to read (data summarised). */
export interface FakeCall {
  member: 'localLine' | 'remoteLine' | 'seal' | 'open' | 'confirm' | 'protectText' | 'openText' | 'decided' | 'closed';
  connection: number;
  detail: string;
}

export interface FakeDataLink extends DataLink {
  readonly calls: FakeCall[];
  readonly reports: ChannelReport[];
  /** Sets how connection `connection` is answered (the others keep {@link DEFAULT_BEHAVIOUR} or what they were set). */
  behave(connection: number, behaviour: Partial<FakeBehaviour>): void;
  /** Answers the first `count` held answers ({@link FakeBehaviour.answers} `hold`; all by default), in order. */
  release(count?: number): void;
  /** How many answers are held. */
  readonly held: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function xor(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = (bytes[i] as number) ^ XOR;
  return out;
}

/** The fake envelope around `plain` (see the module doc). */
export function fakeSeal(streamId: number, plain: string | ArrayBuffer, flags?: number): ArrayBuffer {
  const isString = typeof plain === 'string';
  const body = xor(isString ? encoder.encode(plain) : new Uint8Array(plain));
  const out = new Uint8Array(FAKE_OVERHEAD + body.length);
  out.set([FAKE_SEALED, flags ?? (isString ? 1 : 0), streamId >> 8, streamId & 0xff]);
  out.set(body, FAKE_OVERHEAD);
  return out.buffer;
}

/** What {@link fakeSeal} sealed, or undefined if `sealed` is not its envelope for `streamId`. */
export function fakeOpen(streamId: number, sealed: ArrayBuffer): string | ArrayBuffer | null | undefined {
  const bytes = new Uint8Array(sealed);
  if (bytes.length < FAKE_OVERHEAD || bytes[0] !== FAKE_SEALED) return undefined;
  if (((bytes[2] as number) << 8) + (bytes[3] as number) !== streamId) return undefined;
  if (bytes[1] === FAKE_CONTROL) return null; // the peer's confirmation
  const body = xor(bytes.subarray(FAKE_OVERHEAD));
  return bytes[1] === 1 ? decoder.decode(body) : body.buffer;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

export function createFakeDataLink(): FakeDataLink {
  const behaviours = new Map<number, FakeBehaviour>();
  const calls: FakeCall[] = [];
  const reports: ChannelReport[] = [];
  let held: (() => void)[] = [];
  const behaviourOf = (connection: number) => behaviours.get(connection) ?? DEFAULT_BEHAVIOUR;

  /** Answers `value` as connection `connection` is set to (computing it quietly, replying outside). */
  function answer<T>(connection: number, reply: (value: T) => void, value: () => T): void {
    const { answers, maxDelayMs } = quietly(() => behaviourOf(connection));
    if (answers === 'throw') throw new Error('fake link: throwing, as asked');
    if (answers === 'sync') reply(quietly(value));
    else if (answers === 'hold') quietly(() => held.push(() => reply(quietly(value))));
    else setTimeout(() => reply(quietly(value)), Math.floor(Math.random() * (maxDelayMs + 1)));
  }

  /** Notes a call (quietly). */
  const note = (member: FakeCall['member'], connection: number, detail: () => string) =>
    quietly(() => calls.push({ member, connection, detail: detail() }));

  return {
    calls,
    reports,
    textMarker: FAKE_TEXT_MARKER,
    get held() {
      return held.length;
    },
    behave(connection, behaviour) {
      quietly(() => behaviours.set(connection, { ...behaviourOf(connection), ...behaviour }));
    },
    release(count = held.length) {
      const now = quietly(() => held.slice(0, count));
      held = quietly(() => held.slice(count));
      for (let i = 0; i < now.length; i++) now[i]?.();
    },
    localLine(connection, role: DescriptionRole, reply) {
      note('localLine', connection, () => role);
      const { line } = quietly(() => behaviourOf(connection));
      if (line === 'throw') throw new Error('fake link: throwing, as asked');
      const value = line === 'none' ? undefined : `${FAKE_LINE_PREFIX}${role === 'offerer' ? 'O' : 'A'}${connection}`;
      setTimeout(() => reply(value), line === 'slow' ? 1_000 : 0);
    },
    remoteLine(connection, line, reply) {
      note('remoteLine', connection, () => String(line));
      const accepted = quietly(() => line !== undefined && /^FAKEHELLO[OA]\d+$/.test(line));
      setTimeout(() => reply(accepted), 0);
    },
    seal(connection, streamId, data, reply) {
      note('seal', connection, () => typeof data);
      answer(connection, reply, () => fakeSeal(streamId, data));
    },
    open(connection, streamId, data, reply) {
      note('open', connection, () => String(data.byteLength));
      answer(connection, reply, () => fakeOpen(streamId, data));
    },
    confirm(connection, streamId, reply) {
      note('confirm', connection, () => String(streamId));
      answer(connection, reply, () => fakeSeal(streamId, new ArrayBuffer(0), FAKE_CONTROL));
    },
    protectText(connection, _streamId, text, reply) {
      note('protectText', connection, () => text.slice(0, 16));
      answer(connection, reply, (): ProfiledText | undefined =>
        text.startsWith('tr:')
          ? { text: `${FAKE_TEXT_MARKER}${toBase64(xor(encoder.encode(text.slice(3))))}`, profile: 'textroom' }
          : undefined,
      );
    },
    openText(connection, _streamId, text, reply) {
      note('openText', connection, () => text.slice(0, 16));
      answer(connection, reply, (): ProfiledText | undefined => {
        const bytes = text.startsWith(FAKE_TEXT_MARKER) ? fromBase64(text.slice(FAKE_TEXT_MARKER.length)) : undefined;
        return bytes === undefined ? undefined : { text: `tr:${decoder.decode(xor(bytes))}`, profile: 'textroom' };
      });
    },
    closed(connection) {
      note('closed', connection, () => '');
    },
    decided(connection, isProtected) {
      note('decided', connection, () => String(isProtected));
    },
    report(channel) {
      quietly(() => reports.push({ ...channel }));
    },
  };
}
