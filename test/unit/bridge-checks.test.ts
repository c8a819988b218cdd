/**
 * What the content bridge accepts from the page side (src/content/checks.ts) and what the page script accepts as the
 * bridge's hello (src/shared/handshake.ts): malformed, oversized, wrongly typed and forged messages are refused with
 * the reason the bridge counts. The bridge itself runs in real Chromium in test/browser/hostile.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parsePageReport, parseWorkerMessage, RejectionTally } from '../../src/content/checks';
import { sameNonce } from '../../src/content/nonce';
import { isBridgeHelloDetail } from '../../src/shared/handshake';
import { MAX_CONTROL_MESSAGE_BYTES, MAX_REPORTED_REJECTIONS } from '../../src/shared/messages';
import { transformStats } from '../transform-stats';

const NONCE = '00112233445566778899aabbccddeeff';
const KID = 0xf2a0_1234_5678_9abcn;
const RECEIVER = 'receive-video-3';
const stats = transformStats({ id: 'send-audio-1', side: 'send', kind: 'audio', protected: 5, status: 'encrypted' });

describe('parseWorkerMessage', () => {
  it('accepts what the worker sends, as exactly those fields', () => {
    expect(parseWorkerMessage({ type: 'hello', nonce: NONCE })).toEqual({
      ok: true,
      message: { type: 'hello', nonce: NONCE },
    });
    expect(parseWorkerMessage({ type: 'keys-request', kid: KID, kind: 'video', endpoint: RECEIVER })).toEqual({
      ok: true,
      message: { type: 'keys-request', kid: KID, kind: 'video', endpoint: RECEIVER },
    });
    expect(parseWorkerMessage({ type: 'stats', stats: [stats] })).toEqual({
      ok: true,
      message: { type: 'stats', stats: [stats] },
    });
    const last = (1n << 64n) - 1n;
    expect(parseWorkerMessage({ type: 'keys-request', kid: last, kind: 'audio', endpoint: RECEIVER }).ok).toBe(true);
    // Every id the page script and the worker give transforms (src/page/patch.ts, src/worker/transform.ts).
    for (const endpoint of ['send-audio-1', 'receive-video-123456789', 'send-unnamed-2', 'receive-unnamed-7']) {
      expect(parseWorkerMessage({ type: 'keys-request', kid: KID, kind: 'audio', endpoint }).ok, endpoint).toBe(true);
    }
    // The in-band channel's reports: an id the bridge gave, and the bytes of a reassembled message (any view of them).
    expect(parseWorkerMessage({ type: 'control-sent', id: 7 })).toEqual({
      ok: true,
      message: { type: 'control-sent', id: 7 },
    });
    const bytes = new Uint8Array(MAX_CONTROL_MESSAGE_BYTES + 10).subarray(10);
    expect(parseWorkerMessage({ type: 'control-received', bytes })).toEqual({
      ok: true,
      message: { type: 'control-received', bytes },
    });
  });

  it.each([
    ['undefined', undefined],
    ['a string', 'hello'],
    ['an array', [{ type: 'hello', nonce: NONCE }]],
    ['an unknown type', { type: 'keys', kid: KID }],
    ['no type', { nonce: NONCE }],
    ['a hello with an extra field', { type: 'hello', nonce: NONCE, keys: [] }],
    ['a hello with a short nonce', { type: 'hello', nonce: NONCE.slice(1) }],
    ['a hello with an oversized nonce', { type: 'hello', nonce: NONCE.repeat(100_000) }],
    ['a hello with a number as nonce', { type: 'hello', nonce: 1234 }],
    ['a key request with a number KID', { type: 'keys-request', kid: 5, kind: 'video', endpoint: RECEIVER }],
    ['a key request with a text KID', { type: 'keys-request', kid: '5', kind: 'video', endpoint: RECEIVER }],
    ['a key request with a negative KID', { type: 'keys-request', kid: -1n, kind: 'video', endpoint: RECEIVER }],
    [
      'a key request with a KID over 64 bits',
      { type: 'keys-request', kid: 1n << 64n, kind: 'video', endpoint: RECEIVER },
    ],
    ['a key request of another kind', { type: 'keys-request', kid: KID, kind: 'data', endpoint: RECEIVER }],
    [
      'a key request with an extra field',
      { type: 'keys-request', kid: KID, kind: 'video', endpoint: RECEIVER, epoch: 3 },
    ],
    // The endpoint is budgeted by the bridge: anything but a transform id the page script or the worker makes.
    ['a key request without an endpoint', { type: 'keys-request', kid: KID, kind: 'video' }],
    ['a key request with a number endpoint', { type: 'keys-request', kid: KID, kind: 'video', endpoint: 3 }],
    ['a key request with an empty endpoint', { type: 'keys-request', kid: KID, kind: 'video', endpoint: '' }],
    [
      'a key request with an endpoint of no side',
      { type: 'keys-request', kid: KID, kind: 'video', endpoint: 'video-1' },
    ],
    [
      'a key request with a zero serial',
      { type: 'keys-request', kid: KID, kind: 'video', endpoint: 'receive-video-0' },
    ],
    [
      'a key request with a huge serial',
      { type: 'keys-request', kid: KID, kind: 'video', endpoint: `receive-video-1${'0'.repeat(9)}` },
    ],
    [
      'a key request with an endpoint and a suffix',
      { type: 'keys-request', kid: KID, kind: 'video', endpoint: 'receive-video-1\n' },
    ],
    [
      'a key request with an oversized endpoint',
      { type: 'keys-request', kid: KID, kind: 'video', endpoint: `receive-video-1${'x'.repeat(1 << 20)}` },
    ],
    ['stats that are not a list', { type: 'stats', stats }],
    ['stats with an extra field', { type: 'stats', stats: [{ ...stats, junk: 'x'.repeat(1 << 20) }] }],
    ['too many stats', { type: 'stats', stats: Array.from({ length: 257 }, () => stats) }],
    ['a control report of a negative id', { type: 'control-sent', id: -1 }],
    ['a control report of a fractional id', { type: 'control-sent', id: 1.5 }],
    ['a control report of a text id', { type: 'control-sent', id: '1' }],
    ['a control message of no bytes', { type: 'control-received', bytes: new Uint8Array(0) }],
    [
      'a control message over the limit',
      { type: 'control-received', bytes: new Uint8Array(MAX_CONTROL_MESSAGE_BYTES + 1) },
    ],
    ['a control message as a list of numbers', { type: 'control-received', bytes: [1, 2, 3] }],
    ['a control message as an ArrayBuffer', { type: 'control-received', bytes: new ArrayBuffer(8) }],
    ['a control message with an extra field', { type: 'control-received', bytes: new Uint8Array(8), from: 1n }],
  ])('refuses %s as worker_invalid', (_, message) => {
    expect(parseWorkerMessage(message)).toEqual({ ok: false, reason: 'worker_invalid' });
  });
});

describe('sameNonce', () => {
  it('is true only for the same nonce', () => {
    expect(sameNonce(NONCE, NONCE)).toBe(true);
    expect(sameNonce(`${NONCE.slice(0, 31)}0`, NONCE)).toBe(false);
    expect(sameNonce(`1${NONCE.slice(1)}`, NONCE)).toBe(false);
    expect(sameNonce(NONCE.slice(1), NONCE)).toBe(false);
    expect(sameNonce('', NONCE)).toBe(false);
    // Same length in characters, not in bytes: a character outside ASCII never matches one of ours.
    expect(sameNonce(`\u00e9${NONCE.slice(1)}`, NONCE)).toBe(false);
    expect(sameNonce(`\ud800${NONCE.slice(1)}`, NONCE)).toBe(false);
  });
});

describe('parsePageReport', () => {
  it('accepts the problems the page script reports', () => {
    for (const problem of ['no_transform_api', 'worker_blocked', 'site_processing_bypassed'] as const) {
      expect(parsePageReport({ problem })).toEqual({ ok: true, message: { problem } });
    }
    expect(parsePageReport({ problem: 'cross_origin_frame', origin: 'https://video.example.com' })).toEqual({
      ok: true,
      message: { problem: 'cross_origin_frame', origin: 'https://video.example.com' },
    });
  });

  it.each([
    ['null', null],
    ['a string', 'worker_blocked'],
    ['an unknown problem', { problem: 'all_good' }],
    ['a problem only the bridge may claim', { problem: 'unsafe_frame' }],
    ['a problem only the background may claim', { problem: 'no_room_key' }],
    ['a clock problem (the worker’s counters say that)', { problem: 'clock_skew' }],
    ['an origin on another problem', { problem: 'worker_blocked', origin: 'https://a.example' }],
    ['an origin that is not text', { problem: 'cross_origin_frame', origin: ['https://a.example'] }],
    ['an oversized origin', { problem: 'cross_origin_frame', origin: `https://${'a'.repeat(400)}` }],
    ['an extra field', { problem: 'worker_blocked', detail: 'x' }],
  ])('refuses %s as page_report_invalid', (_, message) => {
    expect(parsePageReport(message)).toEqual({ ok: false, reason: 'page_report_invalid' });
  });

  // A port stands in for MessageEvent.ports here: the check only counts them, the bridge takes the first.
  const port = { postMessage() {} };

  it('accepts a new worker’s port: exactly { type: "worker-port" } with exactly one port', () => {
    expect(parsePageReport({ type: 'worker-port' }, [port])).toEqual({ ok: true, message: { type: 'worker-port' } });
  });

  it.each([
    ['a worker port without its port', { type: 'worker-port' }, []],
    ['a worker port with two ports', { type: 'worker-port' }, [port, port]],
    ['a worker port with an extra field', { type: 'worker-port', nonce: NONCE }, [port]],
    ['a worker port with a problem', { type: 'worker-port', problem: 'worker_blocked' }, [port]],
    ['another type', { type: 'restart-worker', nonce: NONCE }, [port]],
    ['a type that is not text', { type: ['worker-port'] }, [port]],
    ['a problem report with a port', { problem: 'worker_blocked' }, [port]],
    ['a problem report with an empty type', { problem: 'worker_blocked', type: '' }, []],
    ['a port with nothing', {}, [port]],
  ])('refuses %s as page_report_invalid', (_, message, ports) => {
    expect(parsePageReport(message, ports)).toEqual({ ok: false, reason: 'page_report_invalid' });
  });
});

describe('RejectionTally', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports the counts at most once per interval, then starts over', () => {
    vi.useFakeTimers();
    const reports: unknown[] = [];
    const tally = new RejectionTally((counts) => reports.push(counts), 5_000);
    for (let i = 0; i < 1000; i++) tally.count('worker_unproven');
    tally.count('page_report_invalid');
    expect(reports).toEqual([]);
    vi.advanceTimersByTime(5_000);
    expect(reports).toEqual([{ worker_unproven: 1000, page_report_invalid: 1 }]);
    vi.advanceTimersByTime(60_000);
    expect(reports).toHaveLength(1); // nothing new, nothing sent
    tally.count('worker_invalid');
    vi.advanceTimersByTime(5_000);
    expect(reports).toEqual([{ worker_unproven: 1000, page_report_invalid: 1 }, { worker_invalid: 1 }]);
  });

  it('caps a count at what the background accepts', () => {
    const reports: Record<string, number>[] = [];
    const tally = new RejectionTally((counts) => reports.push(counts), 5_000);
    for (let i = 0; i < MAX_REPORTED_REJECTIONS + 5; i++) tally.count('worker_invalid');
    tally.flush();
    expect(reports).toEqual([{ worker_invalid: MAX_REPORTED_REJECTIONS }]);
  });
});

describe('isBridgeHelloDetail (the page script’s check of the bridge’s hello)', () => {
  it('accepts the bridge’s hello', () => {
    expect(isBridgeHelloDetail(NONCE)).toBe(true);
  });

  it.each([
    ['null', null],
    ['an object (the bridge sends the bare string, which crosses into the page in Firefox too)', { nonce: NONCE }],
    ['a nonce that is not a string', 7],
    ['a nonce that is not hex', 'z'.repeat(32)],
    ['an upper-case nonce', NONCE.toUpperCase()],
    ['a short nonce', NONCE.slice(2)],
  ])('refuses %s', (_, detail) => {
    expect(isBridgeHelloDetail(detail)).toBe(false);
  });
});
