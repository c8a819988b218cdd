/**
 * @module The envelope every message of a protected connection travels in (docs/frame-format.md §2.8), always sent as
 * binary. All integers big-endian.
 *
 * ```
 *  0      1       2            4                     12
 * +------+-------+------------+---------------------+--------------------------------------------------+
 * | 0xF1 | flags | stream id  | counter (8)         | AES-128-GCM(direction key, nonce, message, aad)  |
 * |      | bit 0:| (2), the   | per direction per   |   ‖ tag (16)                                     |
 * |      | string| channel's  | connection, from 0  |                                                  |
 * |      | bit 1:|            |                     |                                                  |
 * |      | control (Framelock's own: CONTROL_CONFIRM, never the page's)                                 |
 * +------+-------+------------+---------------------+--------------------------------------------------+
 * nonce = 0x00000000 ‖ counter                      (NIST SP 800-38D §8.2.1: unique per key, never random)
 * aad   = "Framelock v4 data" ‖ the 12 header bytes  (so the flags, the stream and the counter are all authentic)
 * ```
 *
 * Each direction key belongs to one connection and one direction (keys.ts), and a sender never uses a counter twice,
 * so a nonce never repeats under a key. A message is at most 256 KiB sealed (Chromium's message limit).
 *
 * The receiver refuses, never throwing, and says why (for the channel's counts): `too_large` (over 256 KiB),
 * `not_envelope` (shorter than a header and tag, another marker, an unknown flag, a counter no sender writes),
 * `wrong_stream` (sealed for another channel), `replayed` (a counter its stream accepted before, or one 4,096 behind the
 * newest there), `bad_tag` (altered, forged, another connection's or another direction's key).
 */

import { ReplayWindow } from '../../sframe/replay';
import { asBufferSource, concatBytes, readUintBE, writeUintBE } from '../../shared/bytes';
import { GCM_TAG_BYTES } from '../exchange/constants';
import {
  COUNTER_BYTES,
  DATA_LABEL,
  DATA_REPLAY_WINDOW,
  ENVELOPE_HEADER_BYTES,
  ENVELOPE_MARKER,
  ENVELOPE_NONCE_ZERO_BYTES,
  FLAG_CONTROL,
  FLAG_STRING,
  MAX_COUNTER,
  MAX_DATA_PLAINTEXT_BYTES,
  MAX_ENVELOPE_BYTES,
  MAX_STREAM_ID,
} from './constants';

/** Why a received message was refused. */
export type EnvelopeRefusal = 'not_envelope' | 'bad_tag' | 'replayed' | 'wrong_stream' | 'too_large';

/** What opening a received message gives: the page's message (a string if the sender's page sent one), or why not. */
export type OpenedEnvelope =
  | { ok: true; data: string | Uint8Array; counter: number; control: false }
  /** A control message of Framelock's own (its plaintext: the control byte and anything after it). */
  | { ok: true; data: Uint8Array; counter: number; control: true }
  | { ok: false; reason: EnvelopeRefusal };

const utf8 = new TextEncoder();
/**
 * A string message's bytes back to a string as a data channel does: invalid UTF-8 (only a peer holding the key could
 * send it) becomes U+FFFD, and a leading BOM stays text (the page sent it).
 */
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

function isStreamId(streamId: number): boolean {
  return Number.isInteger(streamId) && streamId >= 0 && streamId <= MAX_STREAM_ID;
}

function header(flags: number, streamId: number, counter: number): Uint8Array {
  const out = new Uint8Array(ENVELOPE_HEADER_BYTES);
  out[0] = ENVELOPE_MARKER;
  out[1] = flags;
  writeUintBE(out, 2, 2, BigInt(streamId));
  writeUintBE(out, 4, COUNTER_BYTES, BigInt(counter));
  return out;
}

function nonce(counter: Uint8Array): Uint8Array<ArrayBuffer> {
  return asBufferSource(concatBytes(new Uint8Array(ENVELOPE_NONCE_ZERO_BYTES), counter));
}

function aad(headerBytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return asBufferSource(concatBytes(DATA_LABEL, headerBytes));
}

/** Seals checked plaintext bytes (the caller checked the stream id and the size). */
async function sealChecked(
  key: CryptoKey,
  streamId: number,
  counter: number,
  plaintext: Uint8Array,
  flags: number,
): Promise<Uint8Array> {
  const head = header(flags, streamId, counter);
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: nonce(head.subarray(4)), additionalData: aad(head), tagLength: GCM_TAG_BYTES * 8 },
    key,
    asBufferSource(plaintext),
  );
  return concatBytes(head, new Uint8Array(sealed));
}

/** A message's plaintext bytes (UTF-8 for a string), checked against the stream id's range and the size limit. */
function plaintextOf(streamId: number, data: string | Uint8Array): Uint8Array {
  if (!isStreamId(streamId)) throw new RangeError('envelope: the stream id is not 0..65535');
  const plaintext = typeof data === 'string' ? utf8.encode(data) : data;
  if (plaintext.length > MAX_DATA_PLAINTEXT_BYTES) throw new RangeError('envelope: the message is too large');
  return plaintext;
}

/**
 * Seals one message under a sending key with the given counter, which must never repeat under that key:
 * {@link DataSender} counts; this form exists for the frozen vectors and the tests.
 *
 * @throws RangeError (as a rejection) if the stream id is not 0..65535, the counter not 0..2^53 - 1, or the message
 *   longer than {@link MAX_DATA_PLAINTEXT_BYTES} (as UTF-8 for a string).
 */
export async function sealEnvelopeWith(
  key: CryptoKey,
  streamId: number,
  counter: number,
  data: string | Uint8Array,
): Promise<Uint8Array> {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError('envelope: bad counter');
  return sealChecked(key, streamId, counter, plaintextOf(streamId, data), typeof data === 'string' ? FLAG_STRING : 0);
}

/**
 * Seals a control message (`body`: its control byte first) under a sending key with the given counter: the form of
 * {@link DataSender.sealControl} for the frozen vectors. @throws as {@link sealEnvelopeWith}.
 */
export async function sealControlWith(
  key: CryptoKey,
  streamId: number,
  counter: number,
  body: Uint8Array,
): Promise<Uint8Array> {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError('envelope: bad counter');
  return sealChecked(key, streamId, counter, plaintextOf(streamId, body), FLAG_CONTROL);
}

/** Our side of one direction of a protected connection: seals the page's messages, counting from 0. */
export class DataSender {
  readonly #key: CryptoKey;
  #next = 0;

  /** `key`: our direction key (keys.ts `DirectionKeys.send`). */
  constructor(key: CryptoKey) {
    this.#key = key;
  }

  /** The counter the next message gets. */
  get next(): number {
    return this.#next;
  }

  /**
   * Seals one message the page sent on stream `streamId`. Each call takes the next counter at once, before any await,
   * so concurrent calls never share one; a refused call uses none. WebCrypto may finish concurrent calls in any order:
   * hand the results to the native send in the order of the calls (the page's order, which the channel promises; the
   * receiver's window would take any).
   *
   * @throws RangeError (as a rejection) for a message {@link sealEnvelopeWith} refuses, or once 2^53 counters are used
   *   up (the connection must then stop sending); rejects too if WebCrypto fails.
   */
  async seal(streamId: number, data: string | Uint8Array): Promise<Uint8Array> {
    const plaintext = plaintextOf(streamId, data);
    if (this.#next > MAX_COUNTER) throw new RangeError('envelope: the counters are used up');
    // Taken before the first await: this part of an async function runs at the call, in call order.
    const counter = this.#next++;
    return sealChecked(this.#key, streamId, counter, plaintext, typeof data === 'string' ? FLAG_STRING : 0);
  }

  /**
   * Seals a control message of Framelock's own (`body`: its control byte first) on stream `streamId`, under the next
   * counter like any message. @throws as {@link seal}.
   */
  async sealControl(streamId: number, body: Uint8Array): Promise<Uint8Array> {
    const plaintext = plaintextOf(streamId, body);
    if (this.#next > MAX_COUNTER) throw new RangeError('envelope: the counters are used up');
    const counter = this.#next++;
    return sealChecked(this.#key, streamId, counter, plaintext, FLAG_CONTROL);
  }
}

/**
 * The peer's side of one direction of a protected connection: opens what the peer's {@link DataSender} sealed, once
 * each, on the stream it was sealed for. One replay window per stream: the counter is the connection's, but SCTP
 * orders each stream on its own, so a busy channel must not push a quieter one's messages out of a shared window. A
 * counter is authentic for one stream only (the stream id is in the AAD), so a message is still accepted once. A window
 * (512 bytes) is made only for a stream a message authenticated on: at most 65,536, and only the peer can make them.
 */
export class DataReceiver {
  readonly #key: CryptoKey;
  readonly #windows = new Map<number, ReplayWindow>();

  /** `key`: the peer's direction key (keys.ts `DirectionKeys.receive`). */
  constructor(key: CryptoKey) {
    this.#key = key;
  }

  /**
   * Opens one untrusted message received on stream `streamId` (the channel's id). Its counter is remembered only once
   * its tag verified, so a forged message cannot move the window. Never throws.
   */
  async open(streamId: number, untrusted: Uint8Array): Promise<OpenedEnvelope> {
    if (untrusted.length > MAX_ENVELOPE_BYTES) return { ok: false, reason: 'too_large' };
    if (untrusted.length < ENVELOPE_HEADER_BYTES + GCM_TAG_BYTES || untrusted[0] !== ENVELOPE_MARKER) {
      return { ok: false, reason: 'not_envelope' };
    }
    const flags = untrusted[1] as number;
    if (flags !== 0 && flags !== FLAG_STRING && flags !== FLAG_CONTROL) return { ok: false, reason: 'not_envelope' };
    const bigCounter = readUintBE(untrusted, 4, COUNTER_BYTES);
    if (bigCounter > BigInt(MAX_COUNTER)) return { ok: false, reason: 'not_envelope' };
    const counter = Number(bigCounter);
    if (!isStreamId(streamId) || Number(readUintBE(untrusted, 2, 2)) !== streamId) {
      return { ok: false, reason: 'wrong_stream' };
    }
    const seen = this.#windows.get(streamId);
    if (seen?.isReplayAt(counter)) return { ok: false, reason: 'replayed' };
    const head = untrusted.slice(0, ENVELOPE_HEADER_BYTES);
    let plaintext: Uint8Array;
    try {
      plaintext = new Uint8Array(
        await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: nonce(head.subarray(4)), additionalData: aad(head), tagLength: GCM_TAG_BYTES * 8 },
          this.#key,
          asBufferSource(untrusted.subarray(ENVELOPE_HEADER_BYTES)),
        ),
      );
    } catch {
      return { ok: false, reason: 'bad_tag' };
    }
    // Again after the await: two copies opened at once both passed the first check.
    let window = this.#windows.get(streamId);
    if (window?.isReplayAt(counter)) return { ok: false, reason: 'replayed' };
    if (window === undefined) {
      window = new ReplayWindow(DATA_REPLAY_WINDOW);
      this.#windows.set(streamId, window);
    }
    window.acceptAt(counter);
    if (flags === FLAG_CONTROL) return { ok: true, data: plaintext, counter, control: true };
    const data = flags === FLAG_STRING ? utf8Decoder.decode(plaintext) : plaintext;
    return { ok: true, data, counter, control: false };
  }
}
