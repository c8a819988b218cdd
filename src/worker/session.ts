/**
 * @module One Framelock transform: a sender that encrypts every frame, or a receiver that decrypts, classifies and
 * counts. Independent of the browser's transform API (the worker entry adapts RTCRtpScriptTransformer to it), so it
 * is unit-tested on fake frames.
 *
 * The frame path never throws and never waits for keys: a frame it cannot protect or accept is dropped and counted.
 */
import {
  type Framing,
  framingForMimeType,
  genericAudio,
  genericVideo,
  inspectFrame,
  KidMemo,
  kidSenderId,
  makeKid,
  openLocated,
  protectFrame,
} from '../codecs';
import { SFrameError } from '../sframe';
import type { TransformStats } from '../shared/messages';
import type { Keyring, MediaKind } from './keyring';

/** The parts of RTCEncodedVideoFrame / RTCEncodedAudioFrame we use. */
export interface EncodedFrame {
  data: ArrayBuffer;
  getMetadata(): { mimeType?: string };
}

/** What the session needs from its surroundings. */
export interface SessionHost {
  keyring: Keyring;
  /** The current key epoch, or undefined before the bridge sent one. */
  epoch(): number | undefined;
  /** Random 56-bit sender id (crypto.getRandomValues in the worker). */
  randomSenderId(): bigint;
  /** Ask the browser for a keyframe: the sender generates one, the receiver asks its peer. Best effort. */
  requestKeyFrame(): void;
}

/**
 * Receive: consecutive failures after which a recovery asks the sender for a keyframe. (Frames missed on a track that
 * already decrypted, waiting for a new sender id's key, ask at once: see ReceiveSession.process.)
 */
const FAILURES_BEFORE_KEYFRAME_REQUEST = 3;
/**
 * Receive: how long frames of a sender may wait for their key before they count as undecryptable. Before that they
 * are only dropped: every receiver misses a sender's first frames while the bridge derives its key.
 */
const KEY_GRACE_MS = 3_000;
/** A KID holds its epoch mod 16: a sender id serves 16 epochs (2 h 40 min), then a new one is drawn. */
const EPOCHS_PER_SENDER_ID = 16;
/** Audio frames between two reads of the codec from the frame's metadata (50 = once a second with Opus). */
const AUDIO_CODEC_RECHECK = 50;
/** At most one keyframe request per this many milliseconds. */
const KEYFRAME_REQUEST_INTERVAL_MS = 1_000;

type Counters = Pick<
  TransformStats,
  'protected' | 'unencrypted' | 'undecryptable' | 'dropped' | 'passthrough' | 'echoed'
>;

const zero = (): Counters => ({
  protected: 0,
  unencrypted: 0,
  undecryptable: 0,
  dropped: 0,
  passthrough: 0,
  echoed: 0,
});

/** Replaces the frame's payload. Encoded frames want an ArrayBuffer of exactly the payload. */
function setData(frame: EncodedFrame, bytes: Uint8Array): void {
  frame.data =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? (bytes.buffer as ArrayBuffer)
      : (bytes.slice().buffer as ArrayBuffer);
}

abstract class Session {
  readonly id: string;
  readonly kind: MediaKind;
  protected readonly host: SessionHost;
  protected readonly total: Counters = zero();
  /** Counters since the last stats snapshot: they decide the status a person sees. */
  protected recent: Counters = zero();
  protected codec: string | undefined;
  protected kid: bigint | undefined;
  protected lastError: string | undefined;
  #framings = new Map<string, Framing>();
  /** The framing of the last frame whose metadata was read. */
  #framing: Framing | undefined;
  #sinceCodecCheck = 0;

  constructor(id: string, kind: MediaKind, host: SessionHost) {
    this.id = id;
    this.kind = kind;
    this.host = host;
  }

  /** Returns true if the frame (possibly rewritten) goes on, false if it must be dropped. Never throws. */
  abstract process(frame: EncodedFrame): Promise<boolean>;

  /** Every frame this session has seen, whatever became of it. */
  frames(): number {
    const t = this.total;
    return t.protected + t.unencrypted + t.undecryptable + t.dropped + t.passthrough;
  }

  protected count(counter: keyof Counters): void {
    this.total[counter]++;
    this.recent[counter]++;
  }

  /**
   * The framing for this frame's codec. `getMetadata()` builds a whole dictionary per call (a fifth of our per-frame
   * time on 720p video), so it is read only where the codec can change: on a video keyframe (a new encoder always
   * starts with one) and every {@link AUDIO_CODEC_RECHECK} audio frames (audio has no keyframes).
   */
  protected framing(frame: EncodedFrame): Framing {
    const type = (frame as { type?: unknown }).type;
    const recheck =
      this.#framing === undefined ||
      (type === undefined ? ++this.#sinceCodecCheck >= AUDIO_CODEC_RECHECK : type === 'key');
    if (!recheck) return this.#framing as Framing;
    this.#sinceCodecCheck = 0;
    let mime: string | undefined;
    try {
      mime = frame.getMetadata().mimeType;
    } catch {
      mime = undefined;
    }
    this.codec = mime ?? this.codec;
    const key = mime ?? '';
    let framing = this.#framings.get(key);
    if (framing === undefined) {
      framing = (mime ? framingForMimeType(mime) : undefined) ?? (this.kind === 'audio' ? genericAudio : genericVideo);
      // A video framing for an audio track (or the reverse) would pick the wrong suite: fall back to generic.
      if (framing.kind !== this.kind) framing = this.kind === 'audio' ? genericAudio : genericVideo;
      this.#framings.set(key, framing);
    }
    this.#framing = framing;
    return framing;
  }

  protected abstract status(): TransformStats['status'];

  /** Counters for the UI; starts a new "recent" period. */
  snapshot(side: 'send' | 'receive'): TransformStats {
    const stats: TransformStats = {
      id: this.id,
      side,
      kind: this.kind,
      ...this.total,
      status: this.status(),
      ...(this.codec ? { codec: this.codec } : {}),
      ...(this.kid !== undefined ? { kid: this.kid.toString() } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
    this.recent = zero();
    return stats;
  }
}

export class SendSession extends Session {
  #senderId: bigint | undefined;
  #generation = -1;
  /** The newest epoch this session sent in: a clock stepping back below it gets a fresh sender id. */
  #lastEpoch = -1;
  /** The epoch #senderId was drawn in: it serves {@link EPOCHS_PER_SENDER_ID} epochs, then a new one takes over. */
  #idSince = -1;
  /** The sender id that takes over after #senderId's last epoch, drawn early so its key is asked for ahead. */
  #nextSenderId: bigint | undefined;
  /** The epoch whose successor's key was last asked for ahead. */
  #preparedEpoch = -1;
  #waitingForKey = false;
  /** Receivers missed frames (our transform was off): the next frame asks the encoder for a keyframe. */
  #keyFrameNext = false;

  protected status(): TransformStats['status'] {
    return this.recent.protected > 0 || (this.total.protected > 0 && this.recent.dropped === 0)
      ? 'encrypted'
      : 'waiting';
  }

  /**
   * The KID for the current epoch: a fresh sender id per session, per re-key and whenever the epoch goes backwards
   * (a clock stepped back: that epoch's KID may have sent before, and its counter must never restart), the epoch in
   * its low bits.
   */
  #currentKid(epoch: number): bigint {
    const { keyring } = this.host;
    // The common case, every frame of an epoch: nothing changed since the last frame.
    if (epoch === this.#lastEpoch && this.#generation === keyring.generation && this.kid !== undefined) return this.kid;
    if (this.#senderId === undefined || this.#generation !== keyring.generation || epoch < this.#lastEpoch) {
      this.#senderId = this.host.randomSenderId();
      this.#generation = keyring.generation;
      this.#idSince = epoch;
      this.#nextSenderId = undefined;
    } else if (epoch >= this.#idSince + EPOCHS_PER_SENDER_ID) {
      // The KID holds the epoch mod 16: from here on this id would name KIDs it already used, which no context keys
      // twice. A new id (drawn, and keyed, ahead by prepare()) continues the track.
      this.#senderId = this.#nextSenderId ?? this.host.randomSenderId();
      this.#idSince = epoch;
      this.#nextSenderId = undefined;
    }
    this.#lastEpoch = epoch;
    const kid = makeKid(epoch % 16, this.#senderId);
    if (kid !== this.kid) {
      this.kid = kid;
      keyring.ownKids.add(kid);
    }
    return kid;
  }

  /** The sender id that will send in `epoch` (the current one, or the one that takes over after 16 epochs). */
  #idFor(epoch: number): bigint {
    if (epoch < this.#idSince + EPOCHS_PER_SENDER_ID) return this.#senderId as bigint;
    this.#nextSenderId ??= this.host.randomSenderId();
    return this.#nextSenderId;
  }

  /**
   * A new epoch began: asks ahead for the key of the next one, so the switch at the coming boundary loses no frame.
   * (The current epoch's key was asked for at the previous boundary.)
   */
  prepare(epoch: number): void {
    if (this.#senderId === undefined || this.#generation !== this.host.keyring.generation) return;
    if (epoch < this.#lastEpoch) return; // the next frame draws a new sender id
    const next = makeKid((epoch + 1) % 16, this.#idFor(epoch + 1));
    this.host.keyring.ownKids.add(next);
    this.host.keyring.ensure(this.kind, makeKid(epoch % 16, this.#senderId), this.id);
    this.host.keyring.ensure(this.kind, next, this.id);
  }

  /**
   * Our transform was put back after the site removed it: receivers missed frames, or got the site's, and wait for a
   * keyframe. The next frame we protect asks the encoder for one.
   */
  expectGap(): void {
    this.#keyFrameNext = true;
  }

  async process(frame: EncodedFrame): Promise<boolean> {
    try {
      const epoch = this.host.epoch();
      if (epoch === undefined) {
        this.count('dropped');
        return false;
      }
      const kid = this.#currentKid(epoch);
      const framing = this.framing(frame);
      if (!this.host.keyring.ensure(this.kind, kid, this.id)) {
        // No plaintext ever leaves: until the key is here, frames are dropped.
        this.#waitingForKey = true;
        this.count('dropped');
        return false;
      }
      if (this.#waitingForKey || this.#keyFrameNext) {
        // Receivers missed everything so far, or the frames while our transform was off: start them on a keyframe.
        this.#waitingForKey = false;
        this.#keyFrameNext = false;
        this.host.requestKeyFrame();
      }
      if (this.#preparedEpoch !== epoch) {
        // The next epoch's key, asked for now so the switch at the boundary loses no frame.
        this.#preparedEpoch = epoch;
        const next = makeKid((epoch + 1) % 16, this.#idFor(epoch + 1));
        this.host.keyring.ownKids.add(next);
        this.host.keyring.ensure(this.kind, next, this.id);
      }
      const result = await protectFrame(this.host.keyring.context(this.kind), kid, framing, new Uint8Array(frame.data));
      if (result.status === 'unprotected') {
        this.count('passthrough');
        return true;
      }
      setData(frame, result.frame);
      this.count('protected');
      return true;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.count('dropped');
      return false;
    }
  }
}

/** Remote KIDs a receiver keeps counts for. */
const MAX_KIDS_PER_TRACK = 16;
/**
 * A receiver believes a KID only once it recurs: plaintext from a participant without Framelock matches the 8 marker
 * bits of our trailer once in 256 frames, and then carries a random KID (random epoch bits, random sender id) that
 * never comes back. A real sender repeats its KID on every frame of an epoch.
 */
const SIGHTINGS_TO_BELIEVE_KID = 2;
const MAX_KID_SIGHTINGS = 32;

export class ReceiveSession extends Session {
  /** Counts per remote KID, most recently seen last. */
  readonly #byKid = new Map<bigint, { protected: number; undecryptable: number }>();
  /** The last KID counted, and its entry in #byKid (every frame of a sender's epoch skips the map). */
  #lastKid: bigint | undefined;
  #lastKidEntry: { protected: number; undecryptable: number } | undefined;
  /** The last KID sighted and the last sender noted: the same on almost every frame. */
  #lastSighted: bigint | undefined;
  /** Whether `kid` (the last KID seen) is one of our own senders' (our media echoed back). */
  #echoed = false;
  #lastNoted: bigint | undefined;
  /** Set once a frame authenticated: from then on this track never accepts plaintext (an SFU cannot inject media). */
  #authenticated = false;
  /** Remote sender ids that decrypted here lately (most recent last): their next-epoch keys are asked for ahead. */
  readonly #senders = new Set<bigint>();
  /** With a clock refusal: how many epochs the sender is from us. */
  #clockSkew: number | undefined;
  #failureRun = 0;
  /**
   * The decoder needs a keyframe (frames were missed or garbled). On video it stays wanted until a keyframe decrypts:
   * asked for with decrypted frames and every second by {@link retryKeyFrame}, at most once a second, because a
   * request can be lost, and the decoder stays frozen until one is answered. On audio (no keyframes) one request.
   */
  #keyFrameWanted = false;
  /** How many frames carried each KID not yet keyed here (bounded, oldest forgotten first). */
  readonly #sightings = new Map<bigint, number>();
  #lastKeyFrameRequest = -Infinity;
  readonly #now: () => number;
  /** The KID of the last frame parsed, so the next frame with the same KID builds no BigInt. */
  readonly #kidMemo = new KidMemo();
  /** Plaintext arrived on this authenticated track since the last snapshot (someone injects media): reported. */
  #injected = false;
  /** Drop plaintext even before the track was protected (strict mode). */
  strict = false;
  /**
   * Drop plaintext for now: this worker replaced a stopped one, and has not yet heard which tracks were protected
   * (the `resume` message). Cleared then; a track that was protected is marked with {@link markAuthenticated}.
   */
  holdPlaintext = false;
  /** The receiver's MediaStreamTrack id, reported so the in-page indicator can find its `<video>`. */
  trackId: string | undefined;

  constructor(id: string, kind: MediaKind, host: SessionHost, now: () => number = () => Date.now()) {
    super(id, kind, host);
    this.#now = now;
  }

  protected status(): TransformStats['status'] {
    const r = this.recent;
    if (r.protected > 0) return 'encrypted';
    if (r.undecryptable > 0) return 'undecryptable';
    if (r.unencrypted > 0) return 'unencrypted';
    if (this.total.protected > 0) return 'encrypted';
    if (this.total.undecryptable > 0) return 'undecryptable';
    if (this.total.unencrypted > 0) return 'unencrypted';
    return 'waiting';
  }

  #countKid(kid: bigint | undefined, outcome: 'protected' | 'undecryptable'): void {
    if (kid === undefined) return;
    // The common case: the same sender as the last frame, already the most recent entry.
    if (kid === this.#lastKid && this.#lastKidEntry !== undefined) {
      this.#lastKidEntry[outcome]++;
      return;
    }
    const entry = this.#byKid.get(kid) ?? { protected: 0, undecryptable: 0 };
    this.#lastKid = kid;
    this.#lastKidEntry = entry;
    entry[outcome]++;
    this.#byKid.delete(kid); // re-insert: most recent last
    this.#byKid.set(kid, entry);
    if (this.#byKid.size > MAX_KIDS_PER_TRACK) {
      const oldest = this.#byKid.keys().next().value as bigint;
      this.#byKid.delete(oldest);
      if (oldest === this.#lastKid) this.#lastKidEntry = undefined;
    }
  }

  /** A new epoch began: asks ahead for the next epoch's keys of the senders that decrypted here. */
  prepare(epoch: number): void {
    for (const sender of this.#senders) {
      this.host.keyring.ensure(this.kind, makeKid(epoch % 16, sender), this.id);
      this.host.keyring.ensure(this.kind, makeKid((epoch + 1) % 16, sender), this.id);
    }
  }

  override snapshot(side: 'send' | 'receive'): TransformStats {
    const stats = super.snapshot(side);
    if (this.#clockSkew !== undefined) stats.clockSkew = this.#clockSkew;
    if (this.trackId !== undefined) stats.trackId = this.trackId;
    if (this.strict) stats.strict = true;
    if (this.#injected) stats.injected = true;
    this.#injected = false;
    if (this.#byKid.size > 0) {
      stats.byKid = [...this.#byKid].map(([kid, counts]) => ({ kid: kid.toString(), ...counts }));
    }
    return stats;
  }

  #failed(reason: string, kid?: bigint): false {
    this.lastError = reason;
    this.#countKid(kid, 'undecryptable');
    this.count('undecryptable');
    this.#failureRun++;
    return false;
  }

  async process(frame: EncodedFrame): Promise<boolean> {
    try {
      const framing = this.framing(frame);
      const data = new Uint8Array(frame.data);
      const { keyring } = this.host;
      const seen = inspectFrame(framing, data, this.#kidMemo);
      if (!seen.protected) {
        if (seen.found === 'empty') {
          // 0 bytes of audio: nothing to play or to inject.
          this.count('passthrough');
          return true;
        }
        if (seen.found === 'not_protected') return this.#plaintext();
        return this.#failed(seen.found); // shaped like our frame, but its header does not parse
      }
      const sightings = this.#sight(seen.kid);
      if (sightings === 1 && this.#plaintextSoFar() && !keyring.has(this.kind, seen.kid)) {
        // A track that has carried plaintext, and a KID never seen before: almost surely plaintext that happens to
        // end like a trailer. Asking for its key would burn the new-sender budget and could cry "clock off".
        return this.#plaintext();
      }
      if (seen.kid !== this.kid) {
        this.kid = seen.kid;
        this.#echoed = keyring.ownKids.has(seen.kid);
      }
      if (this.#echoed) this.count('echoed');
      if (!keyring.ensure(this.kind, seen.kid, this.id)) {
        const refusal = keyring.refusal(this.kind, seen.kid);
        if (refusal?.reason === 'epoch' && sightings >= SIGHTINGS_TO_BELIEVE_KID) {
          this.#clockSkew = refusal.distance;
          return this.#failed(`sent for an epoch ${refusal.distance} away from ours: a clock is off`, seen.kid);
        }
        if (refusal !== undefined) {
          // One frame under a refused KID proves nothing (it may be plaintext that looks like a trailer).
          this.#failureRun++;
          this.count('dropped');
          return false;
        }
        const since = keyring.pendingSince(this.kind, seen.kid) ?? this.#now();
        if (this.#now() - since >= KEY_GRACE_MS) return this.#failed('no key for this sender', seen.kid);
        this.#failureRun++;
        // A track that already decrypted meets a sender id it has no key for yet (a sender's id rolled over, or it
        // reloaded): the frames missed meanwhile leave the decoder frozen until a keyframe, so ask for one as soon
        // as decryption resumes, however few were missed.
        if (this.#authenticated) this.#keyFrameWanted = true;
        this.count('dropped');
        return false;
      }
      // One wait: WebCrypto's decryption, then one hop (SFrameContext.openAt), then on here.
      let plaintext: Uint8Array;
      try {
        plaintext = await openLocated(keyring.context(this.kind), framing, seen.found);
      } catch (error) {
        const reason = error instanceof SFrameError ? error.reason : 'crypto_failure';
        if (reason === 'replay') {
          // A frame we already accepted (a late retransmission re-assembled it) or an old one: drop it, but it is no
          // sign of a wrong key.
          this.lastError = 'duplicate or replayed frame: dropped';
          this.count('dropped');
          return false;
        }
        return this.#failed(reason, seen.kid);
      }
      setData(frame, seen.found.layout.restore(plaintext));
      this.count('protected');
      this.#countKid(seen.kid, 'protected');
      this.#noteSender(seen.kid);
      this.#authenticated = true;
      this.#clockSkew = undefined;
      // Frames were missed: the decoder waits for a keyframe. A request the rate limit holds back is kept, and sent
      // with a later frame once the limit allows: it is never lost (a lost one is the likely cause of the ~1.3 s
      // freezes the soak test saw at 2 of 18 sender-id rollovers).
      if (this.#failureRun >= FAILURES_BEFORE_KEYFRAME_REQUEST) this.#keyFrameWanted = true;
      this.#failureRun = 0;
      if (this.#keyFrameWanted) {
        // A keyframe restarts the decoder: nothing more to ask for.
        if ((frame as { type?: unknown }).type === 'key') this.#keyFrameWanted = false;
        else if (this.#requestKeyFrame() && this.kind === 'audio') this.#keyFrameWanted = false;
      }
      return true;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.count('dropped');
      return false;
    }
  }

  /** A frame that is not Framelock's: shown flagged, or dropped on a protected track or in strict mode. */
  #plaintext(): boolean {
    if (this.#authenticated) {
      // An SFU (or the site) puts other media into a protected stream: never shown, and the person is told.
      this.lastError = 'plaintext on a protected track: dropped';
      this.count('unencrypted');
      this.#injected = true;
      // The decoder misses these frames: when the sender's come back, it needs a keyframe.
      this.#keyFrameWanted = true;
      return false;
    }
    if (this.holdPlaintext) {
      this.lastError = 'plaintext held while Framelock restarts: dropped';
      this.count('dropped');
      return false;
    }
    this.count('unencrypted');
    if (this.strict) {
      // Still "not encrypted" to the user (it is who sends it), but nothing of it is shown or played.
      this.lastError = 'not end-to-end encrypted: dropped (strict mode)';
      return false;
    }
    return true;
  }

  /**
   * The decoder was fed frames that were not ours, or missed some (our transform was put back after the site removed
   * it): ask the sender for a keyframe with the next frame that decrypts.
   */
  expectGap(): void {
    this.#keyFrameWanted = true;
  }

  /**
   * Called every second: asks again for a keyframe still wanted on an authenticated video track, even when no frame
   * arrives to carry the request (after our transform was put back, frames may wait for a keyframe before they reach
   * it).
   */
  retryKeyFrame(): void {
    if (this.#keyFrameWanted && this.#authenticated && this.kind === 'video') this.#requestKeyFrame();
  }

  /** This track delivered authenticated frames under a worker this one replaced: it never accepts plaintext again. */
  markAuthenticated(): void {
    this.#authenticated = true;
  }

  /** Whether this track has carried plaintext and never an authenticated frame. */
  #plaintextSoFar(): boolean {
    return !this.#authenticated && this.total.unencrypted > 0;
  }

  /** Counts one more frame under `kid` and returns how many there were; forgets the key-less KID seen longest ago. */
  #sight(kid: bigint): number {
    if (kid === this.#lastSighted) return SIGHTINGS_TO_BELIEVE_KID;
    const count = (this.#sightings.get(kid) ?? 0) + 1;
    this.#sightings.delete(kid);
    this.#sightings.set(kid, Math.min(count, SIGHTINGS_TO_BELIEVE_KID));
    if (this.#sightings.size > MAX_KID_SIGHTINGS) this.#sightings.delete(this.#sightings.keys().next().value as bigint);
    this.#lastSighted = kid;
    return count;
  }

  #noteSender(kid: bigint | undefined): void {
    if (kid === undefined || kid === this.#lastNoted) return;
    this.#lastNoted = kid;
    // Its keys are no junk: they stay until their epoch retires (src/worker/keyring.ts).
    this.host.keyring.prove(this.kind, kid);
    const sender = kidSenderId(kid);
    const known = this.#senders.delete(sender);
    this.#senders.add(sender);
    const epoch = this.host.epoch();
    if (!known && epoch !== undefined) {
      // A new sender: ask now for its next epoch's key (later epochs are asked for at each boundary).
      this.host.keyring.ensure(this.kind, makeKid((epoch + 1) % 16, sender), this.id);
    }
    if (this.#senders.size > MAX_KIDS_PER_TRACK) this.#senders.delete(this.#senders.values().next().value as bigint);
  }

  /** Asks the sender for a keyframe, at most once per {@link KEYFRAME_REQUEST_INTERVAL_MS}. Returns whether it did. */
  #requestKeyFrame(): boolean {
    const now = this.#now();
    if (now - this.#lastKeyFrameRequest < KEYFRAME_REQUEST_INTERVAL_MS) return false;
    this.#lastKeyFrameRequest = now;
    this.host.requestKeyFrame();
    return true;
  }
}
