/**
 * The bridge's side of a call (src/content/call-link.ts): on its own over a fake Call (passed as `startCall`) on fake
 * timers, when a call starts and ends, what goes between the call and the worker, and what the background hears; then
 * two whole bridges (src/content/start-bridge.ts, on the fakes of bridge-fakes.ts) with real Calls, their workers'
 * in-band channel played by handing one's sealed messages to the other, ending keyed to each other's media.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CallLike, CallLink } from '../../src/content/call-link';
import { CALL_IDLE_MS, CALL_STATUS_INTERVAL_MS, RECONNECT_MS, WORKER_CHECK_MS } from '../../src/content/constants';
import type { CallHost, CallStatus } from '../../src/content/exchange/call';
import { TICK_MS } from '../../src/content/exchange/constants';
import { systemTimers } from '../../src/content/timers';
import type {
  BridgeToBackground,
  BridgeToWorker,
  CallStatus as CallStatusView,
  ChatSendResult,
  ReceivedChat,
  TransformStats,
} from '../../src/shared/messages';
import {
  type BridgeUnderTest,
  epochKey,
  epochKeys,
  type FakePort,
  keyRequest,
  START_EPOCH,
  sameFrameKeys,
  settle,
  startFakeBridge,
  transformStats,
  until,
  useBridgeTimers,
} from './bridge-fakes';

const MEMBER = 0x0b0_b000_0002n;

/** A call as CallLink uses one: it records what the link tells it, and the test plays its host's calls. */
class FakeCall implements CallLike {
  readonly pid: bigint;
  readonly host: CallHost;
  sendingGeneration = 0;
  ended = false;
  ticks = 0;
  readonly sentIds: number[] = [];
  readonly received: Uint8Array[] = [];
  readonly wants: [bigint, number][] = [];
  readonly keys = new Map<string, CryptoKey>();
  state: CallStatus = {
    you: 'amber beacon',
    words: ['one', 'two', 'three', 'four', 'five'],
    members: [{ fingerprint: 'cobalt delta', keyed: true, lastSeen: 12_345 }],
  };

  readonly chats: [string, string][] = [];
  chatResult: { result: ChatSendResult; seq?: number } = { result: 'sent', seq: 0 };

  constructor(host: CallHost, pid: bigint) {
    this.host = host;
    this.pid = pid;
  }

  sendChat(text: string, name: string): Promise<{ result: ChatSendResult; seq?: number }> {
    this.chats.push([text, name]);
    return Promise.resolve(this.chatResult);
  }

  tick(): Promise<void> {
    this.ticks++;
    return Promise.resolve();
  }

  end(): void {
    this.ended = true;
  }

  sent(id: number): void {
    this.sentIds.push(id);
  }

  receive(bytes: Uint8Array): Promise<void> {
    this.received.push(bytes);
    return Promise.resolve();
  }

  want(pid: bigint, bits: number): void {
    this.wants.push([pid, bits]);
  }

  senderKey(pid: bigint, bits: number): CryptoKey | undefined {
    return this.ended ? undefined : this.keys.get(`${pid}:${bits}`);
  }

  status(): CallStatus {
    return this.state;
  }
}

/**
 * A call link over fake epochs (`epoch` undefined: no epoch keys yet) whose calls are FakeCalls with participant ids
 * 0x100, 0x101, ... `hold` makes each start wait until the test calls `finishStart`; `failStart` makes starts fail
 * (a browser without X25519).
 */
function callLink({ unsafeRealm = false, hold = false, failStart = false } = {}) {
  const epochs = { epoch: START_EPOCH as number | undefined, keyOf: () => undefined, roomTag: undefined };
  const toWorker: BridgeToWorker[] = [];
  const toBackground: BridgeToBackground[] = [];
  const calls: FakeCall[] = [];
  const starts: (() => void)[] = [];
  let nextPid = 0x100n;
  const startCall = vi.fn((host: CallHost): Promise<CallLike> => {
    if (failStart) return Promise.reject(new DOMException('X25519 is not supported', 'NotSupportedError'));
    const call = new FakeCall(host, nextPid++);
    calls.push(call);
    return hold ? new Promise((resolve) => starts.push(() => resolve(call))) : Promise.resolve(call);
  });
  const onKeys = vi.fn();
  const onMemberKey = vi.fn();
  const onEnd = vi.fn();
  const onChat = vi.fn();
  const link = new CallLink({
    unsafeRealm,
    timers: systemTimers,
    epochs,
    toWorker: (message) => toWorker.push(message),
    toBackground: (message) => toBackground.push(message),
    onKeys,
    onMemberKey,
    onEnd,
    onChat,
    startCall,
  });
  return {
    link,
    epochs,
    toWorker,
    toBackground,
    calls,
    startCall,
    onKeys,
    onMemberKey,
    onEnd,
    onChat,
    /** The call started last. */
    get call(): FakeCall {
      const call = calls.at(-1);
      if (call === undefined) throw new Error('no call started');
      return call;
    },
    finishStart(): void {
      starts.shift()?.();
    },
    /** What the background heard of the call: its status views, and `undefined` for an end. */
    statuses(): (BridgeToBackground & { type: 'call' })['call'][] {
      return toBackground.flatMap((m) => (m.type === 'call' ? [m.call] : []));
    },
    problems(): string[] {
      return toBackground.flatMap((m) => (m.type === 'problem' ? [m.problem] : []));
    },
  };
}

const sender = (overrides: Partial<TransformStats> = {}) =>
  transformStats({ id: 'send-video-1', side: 'send', ...overrides });
const receiver = (overrides: Partial<TransformStats> = {}) => transformStats({ id: 'receive-video-1', ...overrides });

beforeEach(() => {
  useBridgeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('CallLink', () => {
  it('starts one call, on the first key request or counters of a transform, and only with epoch keys', async () => {
    const t = callLink();
    t.epochs.epoch = undefined;
    await t.link.ensure();
    await t.link.noteStats([sender()]);
    expect(t.startCall).not.toHaveBeenCalled();
    t.epochs.epoch = START_EPOCH;
    await t.link.noteStats([]); // counters without a transform start nothing
    expect(t.startCall).not.toHaveBeenCalled();
    await Promise.all([t.link.ensure(), t.link.ensure(), t.link.noteStats([sender()])]);
    expect(t.startCall).toHaveBeenCalledTimes(1);
    expect(t.link.participant).toBe(0x100n);
    expect(t.toWorker).toEqual([
      { type: 'call', participant: 0x100n },
      { type: 'generation', current: 0 },
    ]);
    await t.link.ensure();
    expect(t.startCall).toHaveBeenCalledTimes(1);
  });

  it('starts no call in an unsafe realm', async () => {
    const t = callLink({ unsafeRealm: true });
    await t.link.ensure();
    await t.link.noteStats([sender()]);
    expect(t.startCall).not.toHaveBeenCalled();
    expect(t.toWorker).toEqual([]);
  });

  it('leaves no call when one cannot start (no X25519), and tries again with the next request', async () => {
    const t = callLink({ failStart: true });
    await t.link.ensure();
    expect(t.link.participant).toBeUndefined();
    await t.link.ensure();
    expect(t.startCall).toHaveBeenCalledTimes(2);
    expect(t.toWorker).toEqual([]);
  });

  it('drops a call that finished starting after end() ran, and starts a new one later', async () => {
    const t = callLink({ hold: true });
    const starting = t.link.ensure();
    t.link.end(); // the keys went (or the worker was replaced) while the key pair was being made
    t.finishStart();
    await starting;
    expect(t.call.ended).toBe(true);
    expect(t.link.participant).toBeUndefined();
    expect(t.toWorker).toEqual([]);
    expect(t.onEnd).not.toHaveBeenCalled();
    vi.advanceTimersByTime(10 * TICK_MS);
    expect(t.call.ticks).toBe(0);
    const again = t.link.ensure();
    t.finishStart();
    await again;
    expect(t.calls).toHaveLength(2);
    expect(t.link.participant).toBe(0x101n);
    expect(t.toWorker).toEqual([
      { type: 'call', participant: 0x101n },
      { type: 'generation', current: 0 },
    ]);
  });

  it('starts a new call at once for a request that comes after end(), while the ended call still starts', async () => {
    // The room changed (or the worker was replaced) a moment after the page's first media: the new room's keys, or
    // the new worker's first request, must not wait for the call that end() dropped.
    const t = callLink({ hold: true });
    const dropped = t.link.ensure();
    t.link.end();
    const fresh = t.link.ensure();
    expect(t.startCall).toHaveBeenCalledTimes(2);
    t.finishStart(); // the dropped call finishes starting first
    await dropped;
    expect(t.link.participant).toBeUndefined();
    t.finishStart();
    await fresh;
    expect(t.calls.map((call) => call.ended)).toEqual([true, false]);
    expect(t.link.participant).toBe(0x101n);
    expect(t.toWorker).toEqual([
      { type: 'call', participant: 0x101n },
      { type: 'generation', current: 0 },
    ]);
  });

  it('carries the call’s messages both ways and tells the worker its generations and retirements', async () => {
    const t = callLink();
    await t.link.ensure();
    const { call } = t;
    t.toWorker.length = 0;
    const sealed = Uint8Array.of(1, 2, 3);
    expect(call.host.send(sealed)).toBe(1);
    expect(call.host.send(sealed)).toBe(2);
    t.link.sent(2);
    const untrusted = Uint8Array.of(9, 9);
    await t.link.received(untrusted);
    call.host.onNext(1);
    call.host.onSwitch(1);
    call.sendingGeneration = 1;
    call.host.onNext(2);
    call.host.onRetire(call.pid, 0);
    call.host.onRetire(MEMBER, 7);
    expect(t.toWorker).toEqual([
      { type: 'control-send', id: 1, bytes: sealed },
      { type: 'control-send', id: 2, bytes: sealed },
      { type: 'generation', current: 0, next: 1 },
      { type: 'generation', current: 1 },
      { type: 'generation', current: 1, next: 2 },
      { type: 'retire', participant: call.pid, generation: 0 },
      { type: 'retire', participant: MEMBER, generation: 7 },
    ]);
    expect(call.sentIds).toEqual([2]);
    expect(call.received).toEqual([untrusted]);
    // Keys: a member's new generation primes its tracks; any change answers the requests that waited.
    call.host.onMemberKey(MEMBER, 3);
    expect(t.onMemberKey).toHaveBeenCalledWith(MEMBER, 3);
    call.host.onChange();
    expect(t.onKeys).toHaveBeenCalledTimes(1);
    // What the key server asks of the link goes to the call.
    const key = await crypto.subtle.importKey('raw', new Uint8Array(16), 'HKDF', false, ['deriveBits']);
    call.keys.set(`${MEMBER}:3`, key);
    expect(t.link.senderKey(MEMBER, 3)).toBe(key);
    t.link.want(MEMBER, 4);
    expect(call.wants).toEqual([[MEMBER, 4]]);
  });

  it('ticks the call every TICK_MS while it runs, and no more once it ended', async () => {
    const t = callLink();
    await t.link.ensure();
    vi.advanceTimersByTime(4 * TICK_MS);
    expect(t.call.ticks).toBe(4);
    t.link.end();
    vi.advanceTimersByTime(4 * TICK_MS);
    expect(t.call.ticks).toBe(4);
  });

  it(`ends the call after ${CALL_IDLE_MS} ms without a transform; the next transform starts a new one`, async () => {
    const t = callLink();
    await t.link.noteStats([sender()]);
    const first = t.call;
    for (let ms = 1_000; ms < CALL_IDLE_MS; ms += 1_000) {
      vi.advanceTimersByTime(1_000);
      await t.link.noteStats([]); // the worker's heartbeat, with no transform
    }
    expect(first.ended).toBe(false);
    vi.advanceTimersByTime(1_000);
    await t.link.noteStats([]);
    expect(first.ended).toBe(true);
    expect(t.onEnd).toHaveBeenCalledTimes(1);
    expect(t.link.participant).toBeUndefined();
    expect(t.link.senderKey(first.pid, 0)).toBeUndefined();
    expect(t.statuses().at(-1)).toBeUndefined(); // `{ type: 'call' }`: the call ended
    expect(t.toBackground.at(-1)).toEqual({ type: 'call' });
    await t.link.noteStats([receiver()]);
    expect(t.calls).toHaveLength(2);
    expect(t.toWorker.at(-2)).toEqual({ type: 'call', participant: t.call.pid });
  });

  it('a transform’s counters, or a key request, keep the call going', async () => {
    const t = callLink();
    await t.link.noteStats([sender()]);
    for (let ms = 0; ms < 3 * CALL_IDLE_MS; ms += 1_000) {
      vi.advanceTimersByTime(1_000);
      await t.link.noteStats(ms % 20_000 === 0 ? [receiver()] : []);
    }
    expect(t.calls).toHaveLength(1);
    expect(t.call.ended).toBe(false);
  });

  it('end() erases the call and tells the background once; the worker hears of the next call only', async () => {
    const t = callLink();
    await t.link.ensure();
    t.link.end();
    t.link.end();
    expect(t.call.ended).toBe(true);
    expect(t.onEnd).toHaveBeenCalledTimes(1);
    expect(t.toBackground.filter((m) => m.type === 'call' && m.call === undefined)).toHaveLength(1);
    await t.link.received(Uint8Array.of(1)); // nothing to take it
    t.link.sent(1);
    expect(t.call.received).toEqual([]);
  });

  it('reports not_sending with each report while receivers wait and no sender of ours encrypts', async () => {
    const t = callLink();
    const waiting = receiver({ status: 'waiting', dropped: 4 });
    await t.link.noteStats([waiting]);
    await t.link.noteStats([waiting, sender({ status: 'waiting', dropped: 4 })]);
    expect(t.problems()).toEqual(['not_sending', 'not_sending']);
    // A sender that encrypts (our exchange messages go out), a receiver that decrypts or has missed nothing: none.
    await t.link.noteStats([waiting, sender({ status: 'encrypted', protected: 9 })]);
    await t.link.noteStats([receiver({ status: 'encrypted', protected: 9, dropped: 2 })]);
    await t.link.noteStats([receiver({ status: 'waiting' })]);
    // Plaintext a receiver drops (strict mode, a protected track) is no want of keys, nor is a sender between two
    // frames that encrypted before.
    await t.link.noteStats([receiver({ status: 'unencrypted', unencrypted: 9, dropped: 9 })]);
    await t.link.noteStats([waiting, sender({ status: 'waiting', protected: 9 })]);
    expect(t.problems()).toEqual(['not_sending', 'not_sending']);
    // Without a call, nobody could send our messages anyway: not reported.
    t.link.end();
    t.epochs.epoch = undefined;
    await t.link.noteStats([receiver({ status: 'undecryptable', undecryptable: 3 })]);
    expect(t.problems()).toEqual(['not_sending', 'not_sending']);
  });

  it('reports older_peer with each report while a transform meets an older Framelock', async () => {
    const t = callLink();
    await t.link.noteStats([receiver({ olderFormat: true })]);
    await t.link.noteStats([receiver({ status: 'encrypted' }), receiver({ id: 'receive-audio-1', olderFormat: true })]);
    await t.link.noteStats([receiver({ status: 'encrypted', protected: 1 })]);
    expect(t.problems()).toEqual(['older_peer', 'older_peer']);
  });

  it(`sends the call’s status to the background at most every ${CALL_STATUS_INTERVAL_MS} ms, and its end`, async () => {
    const t = callLink();
    await t.link.ensure();
    vi.advanceTimersByTime(0);
    // What the popup needs of the call: the words, our fingerprint, each member's fingerprint and whether it is keyed.
    expect(t.statuses()).toEqual([
      {
        you: 'amber beacon',
        sending: false,
        words: ['one', 'two', 'three', 'four', 'five'],
        members: [{ fingerprint: 'cobalt delta', keyed: true }],
      },
    ]);
    // A burst of changes (members joining, keys coming): one more status, CALL_STATUS_INTERVAL_MS after the first.
    t.call.state = { you: 'amber beacon', members: [] };
    for (let i = 0; i < 5; i++) t.call.host.onChange();
    vi.advanceTimersByTime(CALL_STATUS_INTERVAL_MS - 1);
    expect(t.statuses()).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(t.statuses()).toHaveLength(2);
    expect(t.statuses()[1]).toEqual({ you: 'amber beacon', sending: false, members: [] });
    // Our senders start encrypting: the status says so.
    await t.link.noteStats([sender({ status: 'encrypted', protected: 1 })]);
    vi.advanceTimersByTime(CALL_STATUS_INTERVAL_MS);
    expect(t.statuses().at(-1)).toMatchObject({ sending: true });
    // A change just before the end: the end is told, and nothing of the ended call after it.
    t.call.host.onChange();
    t.link.end();
    vi.advanceTimersByTime(10 * CALL_STATUS_INTERVAL_MS);
    expect(t.statuses().at(-1)).toBeUndefined();
    expect(t.statuses()).toHaveLength(4);
  });

  it('sends a chat message in the current call, and answers ended without one', async () => {
    const t = callLink({ hold: true });
    expect(await t.link.sendChat('hello', 'Ann')).toEqual({ result: 'ended' });
    const starting = t.link.ensure();
    // A call still starting has no member who could read it: ended too.
    expect(await t.link.sendChat('hello', 'Ann')).toEqual({ result: 'ended' });
    t.finishStart();
    await starting;
    t.call.chatResult = { result: 'sent', seq: 7 };
    expect(await t.link.sendChat('hello', 'Ann')).toEqual({ result: 'sent', seq: 7 });
    t.call.chatResult = { result: 'busy' };
    expect(await t.link.sendChat('again', '')).toEqual({ result: 'busy' });
    expect(t.call.chats).toEqual([
      ['hello', 'Ann'],
      ['again', ''],
    ]);
    t.link.end();
    expect(await t.link.sendChat('late', 'Ann')).toEqual({ result: 'ended' });
    expect(t.call.chats).toHaveLength(2);
  });

  it('hands the current call’s chat messages on, never an ended call’s', async () => {
    const t = callLink({ hold: true });
    const message: ReceivedChat = {
      pid: MEMBER,
      fingerprint: 'cobalt delta',
      seq: 0,
      name: 'Bo',
      text: 'hi',
      sentAt: 1,
    };
    const starting = t.link.ensure();
    const first = t.call;
    first.host.onChat(message); // not the link's call yet: it cannot have received anything
    t.finishStart();
    await starting;
    first.host.onChat(message);
    expect(t.onChat.mock.calls).toEqual([[message]]);
    t.link.end();
    first.host.onChat({ ...message, seq: 1 }); // a job of the ended call that finished late
    const again = t.link.ensure();
    t.finishStart();
    await again;
    expect(t.calls).toHaveLength(2);
    first.host.onChat({ ...message, seq: 2 }); // the old call's host, while a new call runs
    t.call.host.onChat({ ...message, seq: 3 });
    expect(t.onChat.mock.calls.map(([m]) => (m as ReceivedChat).seq)).toEqual([0, 3]);
  });

  it('says the call again to a reopened background port, and nothing without a call', async () => {
    const t = callLink();
    t.link.reannounce();
    vi.advanceTimersByTime(CALL_STATUS_INTERVAL_MS);
    expect(t.statuses()).toEqual([]);
    await t.link.ensure();
    vi.advanceTimersByTime(CALL_STATUS_INTERVAL_MS);
    expect(t.statuses()).toHaveLength(1);
    t.link.reannounce();
    vi.advanceTimersByTime(CALL_STATUS_INTERVAL_MS);
    expect(t.statuses()).toHaveLength(2);
  });
});

describe('two bridges in one call', () => {
  let a: BridgeUnderTest;
  let b: BridgeUnderTest;

  beforeEach(() => {
    a = startFakeBridge();
    b = startFakeBridge();
    relayed.clear();
  });

  afterEach(() => {
    a.teardown.abort();
    b.teardown.abort();
  });

  const participant = (port: FakePort): bigint => port.ofType('call').at(-1)?.participant as bigint;
  /** The generation a bridge's senders send under now. */
  const sending = (port: FakePort): number => (port.ofType('generation').at(-1)?.current as number | undefined) ?? -1;
  const transforms = { type: 'stats', stats: [sender(), receiver()] };

  /**
   * Plays the two workers' in-band channel: each sealed message one bridge handed its worker to carry is reassembled
   * by the other's worker (`control-received`), and its own worker reports it carried on every stream.
   */
  const relayed = new Map<BridgeUnderTest, number>();
  function relay(): void {
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const messages = from.worker.ofType('control-send');
      for (const message of messages.slice(relayed.get(from) ?? 0)) {
        to.worker.receive({ type: 'control-received', bytes: message.bytes });
        from.worker.receive({ type: 'control-sent', id: message.id });
      }
      relayed.set(from, messages.length);
    }
  }

  /**
   * Runs the call on fake time, a tick at a time, until `done` (at most 10 s of it): the workers report every second,
   * and the channel carries what was sealed.
   */
  async function run(done: () => boolean): Promise<void> {
    for (let ms = 0; ms < 10_000 && !done(); ms += TICK_MS) {
      vi.advanceTimersByTime(TICK_MS);
      if (ms % WORKER_CHECK_MS === 0) for (const bridge of [a, b]) bridge.worker.receive(transforms);
      await settle();
      relay();
      await settle();
    }
  }

  /** The call status a bridge last sent its background. */
  function status(bridge: BridgeUnderTest): CallStatusView | undefined {
    const message = bridge.background.posted.filter((m) => m.type === 'call' && m.call !== undefined).at(-1);
    return message?.call as CallStatusView | undefined;
  }

  /** The keys a bridge posted for `kid`, once it posted them. */
  async function keysFor(port: FakePort, kid: bigint) {
    await until(() => port.ofType('keys').some((m) => m.kid === kid));
    const message = port.ofType('keys').find((m) => m.kid === kid);
    return message?.keys as Parameters<typeof sameFrameKeys>[2];
  }

  it('exchange their sealed messages in-band, and then each keys the other’s media with the same frame keys', async () => {
    for (const bridge of [a, b]) {
      bridge.trustWorker();
      bridge.background.send(epochKeys()); // one passphrase, one room: the same epoch keys
    }
    await settle();
    a.worker.receive(transforms);
    b.worker.receive(transforms);
    await until(() => a.worker.ofType('call').length > 0 && b.worker.ofType('call').length > 0);
    expect(participant(a.worker)).not.toBe(participant(b.worker));

    // Hellos, each a member to the other, a re-key wrapped to the other, the switch once it was carried.
    await run(() => sending(a.worker) >= 1 && sending(b.worker) >= 1);
    expect(sending(a.worker)).toBeGreaterThan(0);
    expect(sending(b.worker)).toBeGreaterThan(0);

    // Each worker asks for the keys of its own sender's KID and of the other's, which it sees on its receiver.
    for (const [own, other, kind] of [
      [a, b, 'video'],
      [b, a, 'audio'],
    ] as const) {
      const request = keyRequest(participant(own.worker), sending(own.worker), {
        kind,
        endpoint: `send-${kind}-1`,
      });
      own.worker.receive(request);
      other.worker.receive({ ...request, endpoint: `receive-${kind}-1` });
      const sent = await keysFor(own.worker, request.kid);
      const received = await keysFor(other.worker, request.kid);
      // What one seals under its own keys, the other opens.
      expect(await sameFrameKeys(kind, request.kid, sent, received), kind).toBe(true);
    }

    // Both show the same call words, and each the other as a keyed member (once its hello says it switched).
    await run(() => [a, b].every((bridge) => (status(bridge)?.members ?? []).some((m) => m.keyed)));
    const [callA, callB] = [status(a), status(b)];
    expect(callA?.members).toEqual([{ fingerprint: callB?.you, keyed: true }]);
    expect(callB?.members).toEqual([{ fingerprint: callA?.you, keyed: true }]);
    expect(callA?.words).toHaveLength(5);
    expect(callA?.words).toEqual(callB?.words);

    // A's background port is reopened (its service worker restarted): the new one hears A's call again.
    a.background.drop();
    vi.advanceTimersByTime(RECONNECT_MS + CALL_STATUS_INTERVAL_MS);
    expect(a.runtimePorts).toHaveLength(2);
    expect(a.background.posted.filter((m) => m.type === 'call')).toMatchObject([
      { type: 'call', call: { words: callA?.words, members: [{ keyed: true }] } },
    ]);
  });

  it('drop what is not sealed under their epoch keys: a bridge of another passphrase is never a member', async () => {
    a.trustWorker();
    b.trustWorker();
    a.background.send(epochKeys('room-a'));
    // Another passphrase: other epoch keys for the same epochs.
    const other = epochKeys('room-b');
    b.background.send({ ...other, keys: other.keys.map(({ epoch }) => ({ epoch, key: epochKey(0x77) })) });
    await settle();
    a.worker.receive(transforms);
    b.worker.receive(transforms);
    await until(() => a.worker.ofType('call').length > 0 && b.worker.ofType('call').length > 0);
    await run(() => false);
    expect(sending(a.worker)).toBe(0); // nobody to re-key for
    expect(status(a)).toMatchObject({ members: [] });
    expect(status(b)).toMatchObject({ members: [] });
    // B's KIDs are keyed by nobody at A: the request waits.
    a.worker.receive(keyRequest(participant(b.worker), 0));
    await settle();
    expect(a.worker.ofType('keys')).toEqual([]);
  });
});
