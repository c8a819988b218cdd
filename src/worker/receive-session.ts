/**
 * @module A receiver's session: classifies every frame (decrypted, not Framelock's, undecryptable, waiting for its
 * key), decrypts what it can, and counts. The bookkeeping it leans on has a file each: the remote KIDs
 * (remote-kids.ts), what plaintext may pass (plaintext-policy.ts) and when to ask for a keyframe
 * (keyframe-recovery.ts).
 */
import { inspectFrame, KidMemo, kidParticipant, openLocated } from '../codecs';
import { SFrameError } from '../sframe';
import { dropOldest } from '../shared/collections';
import type { MediaKind } from '../shared/messages/schema';
import type { TransformStats } from '../shared/messages/stats';
import { KEY_GRACE_MS, MAX_WAITING_SENDERS, SIGHTINGS_TO_BELIEVE_KID, STATS_INTERVAL_MS } from './constants';
import { ControlInbox } from './control-inbox';
import { KeyFrameRecovery } from './keyframe-recovery';
import { PLAINTEXT_DROPPED, PlaintextPolicy } from './plaintext-policy';
import { RemoteKids } from './remote-kids';
import { type EncodedFrame, Session, type SessionHost, setData } from './session';

export class ReceiveSession extends Session {
  /** What plaintext may pass on this track: strict mode, the hold after a restart, "was authenticated". */
  readonly plaintext = new PlaintextPolicy();
  readonly #remote: RemoteKids;
  readonly #recovery: KeyFrameRecovery;
  /** Whether `kid` (the last KID seen) is one of our own senders' (our media echoed back). */
  #echoed = false;
  /** Frames of a participant running an older Framelock (format v1-v3) arrived since the last snapshot. */
  #olderFormat = false;
  /** Remote participants whose frames wait for a key, and since when (cleared by a frame of theirs that decrypts). */
  readonly #waitingSince = new Map<bigint, { since: number; last: number }>();
  /** Since when this track's protected frames found no key, with no frame decrypted since (undefined: one did). */
  #trackWaitingSince: number | undefined;
  /** Reassembles the key exchange's control messages from remote senders' frames (control-inbox.ts). */
  readonly #inbox: ControlInbox;
  readonly #now: () => number;
  /** The KID of the last frame parsed, so the next frame with the same KID builds no BigInt. */
  readonly #kidMemo = new KidMemo();
  /** The receiver's MediaStreamTrack id, reported so the in-page indicator can find its `<video>`. */
  trackId: string | undefined;

  constructor(id: string, kind: MediaKind, host: SessionHost, now: () => number = () => Date.now()) {
    super(id, kind, host);
    this.#now = now;
    this.#remote = new RemoteKids(kind, host);
    this.#recovery = new KeyFrameRecovery(kind, host, now);
    this.#inbox = new ControlInbox((bytes) => host.onControl(bytes), now);
  }

  protected status(): TransformStats['status'] {
    const r = this.recent;
    if (r.protected > 0) return 'encrypted';
    // Nothing decrypted lately, and a sender's frames wait for their key: not "encrypted" on the strength of the past.
    if (r.undecryptable === 0 && r.dropped > 0 && this.#waitingNow()) return 'waiting';
    if (r.undecryptable > 0) return 'undecryptable';
    if (r.unencrypted > 0) return 'unencrypted';
    if (this.total.protected > 0) return 'encrypted';
    if (this.total.undecryptable > 0) return 'undecryptable';
    if (this.total.unencrypted > 0) return 'unencrypted';
    return 'waiting';
  }

  override snapshot(side: 'send' | 'receive'): TransformStats {
    const stats = super.snapshot(side);
    if (this.#olderFormat) {
      stats.olderFormat = true;
      this.#olderFormat = false;
    }
    if (this.trackId !== undefined) stats.trackId = this.trackId;
    if (this.plaintext.strict) stats.strict = true;
    if (this.plaintext.takeInjected()) stats.injected = true;
    const byKid = this.#remote.counts();
    if (byKid !== undefined) stats.byKid = byKid;
    return stats;
  }

  #failed(reason: string, kid?: bigint): false {
    this.lastError = reason;
    this.#remote.count(kid, 'undecryptable');
    this.count('undecryptable');
    this.#recovery.missed();
    return false;
  }

  async process(frame: EncodedFrame): Promise<boolean> {
    try {
      const framing = this.codec.framing(frame);
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
        if (seen.found === 'older_format') {
          // Framelock v1-v4: this version reads none of it (no downgrade). Believed once its KID recurs: about one
          // plaintext frame in 128 happens to end like a v1-v4 trailer, with a random KID that never comes back. On a
          // track that carries plaintext (a server's mix, a participant without Framelock) such a frame is plaintext;
          // elsewhere one frame proves nothing, so it is dropped, not called undecryptable.
          if (this.#remote.sight(seen.kid) < SIGHTINGS_TO_BELIEVE_KID) {
            if (this.#plaintextSoFar()) return this.#plaintext();
            this.lastError = 'a frame shaped like an older Framelock version’s: dropped';
            this.count('dropped');
            return false;
          }
          this.#olderFormat = true;
          return this.#failed('sent by an older Framelock version (not forward secret): it must be updated');
        }
        // Shaped like our frame, but its header does not parse. On a track that carries plaintext: plaintext that
        // happens to end like a trailer (a sender of ours never writes such a header).
        if (this.#plaintextSoFar()) return this.#plaintext();
        return this.#failed(seen.found);
      }
      // A chunk of a remote sender's key exchange rides on this frame: reassembled whether or not we can decrypt the
      // frame yet (a newcomer gets its keys from these). The message's own seal decides whether it is believed.
      if (seen.found.control !== undefined) this.#inbox.take(kidParticipant(seen.kid), seen.found.control);
      const sightings = this.#remote.sight(seen.kid);
      if (sightings === 1 && this.#plaintextSoFar() && !keyring.has(this.kind, seen.kid)) {
        // A track that has carried plaintext, and a KID never seen before: almost surely plaintext that happens to
        // end like a trailer. Asking for its key would burn the new-sender budget and could cry "clock off".
        return this.#plaintext();
      }
      if (seen.kid !== this.kid) {
        this.kid = seen.kid;
        // Our own participant id on a remote track: our media echoed back (an SFU loop, a site that plays us back).
        this.#echoed = kidParticipant(seen.kid) === this.host.call()?.participant;
      }
      if (this.#echoed) this.count('echoed');
      if (!keyring.ensure(this.kind, seen.kid, this.id)) {
        const refusal = keyring.refusal(this.kind, seen.kid);
        if (refusal !== undefined) {
          // One frame under a refused KID proves nothing (it may be plaintext that looks like a trailer).
          this.#recovery.missed();
          this.count('dropped');
          return false;
        }
        // How long this sender has been waiting, whatever generations it went through meanwhile (one that re-keys
        // every few seconds must still show as "cannot decrypt" once its keys stay away).
        const sender = kidParticipant(seen.kid);
        const now = this.#now();
        let waiting = this.#waitingSince.get(sender);
        // A sender that went quiet and came back starts a new wait. A sender new here waits no less than the track
        // has: a keyless participant that draws a new id for every frame (a flood), or one that changed passphrase and
        // with it its call, must still show as "cannot decrypt" once the track got nothing it could open for a while.
        if (waiting === undefined || now - waiting.last > KEY_GRACE_MS) {
          waiting = { since: Math.min(now, this.#trackWaitingSince ?? now), last: now };
          this.#waitingSince.set(sender, waiting);
          if (this.#waitingSince.size > MAX_WAITING_SENDERS) dropOldest(this.#waitingSince);
        }
        waiting.last = now;
        this.#trackWaitingSince ??= now;
        const since = waiting.since;
        if (now - since >= KEY_GRACE_MS) return this.#failed('no key for this sender', seen.kid);
        this.#recovery.missed();
        // A track that already decrypted meets a sender id it has no key for yet (a sender's id rolled over, or it
        // reloaded): the frames missed meanwhile leave the decoder frozen until a keyframe, so ask for one as soon
        // as decryption resumes, however few were missed.
        if (this.plaintext.authenticated) this.#recovery.want();
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
      this.#remote.count(seen.kid, 'protected');
      this.#remote.noteSender(seen.kid);
      this.plaintext.markAuthenticated();
      this.#waitingSince.delete(kidParticipant(seen.kid));
      this.#trackWaitingSince = undefined;
      this.#recovery.decrypted(frame.type === 'key');
      return true;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.count('dropped');
      return false;
    }
  }

  /** A frame that is not Framelock's: shown flagged, or dropped on a protected track or in strict mode. */
  #plaintext(): boolean {
    const verdict = this.plaintext.verdict();
    if (verdict === 'pass') {
      this.count('unencrypted');
      return true;
    }
    this.lastError = PLAINTEXT_DROPPED[verdict];
    if (verdict === 'held') {
      this.count('dropped');
      return false;
    }
    // Still "not encrypted" to the user, but nothing of it is shown or played.
    this.count('unencrypted');
    // An SFU (or the site) puts other media into a protected stream: the decoder misses these frames, and when the
    // sender's come back, it needs a keyframe.
    if (verdict === 'injected') this.#recovery.want();
    return false;
  }

  /**
   * The decoder was fed frames that were not ours, or missed some (our transform was put back after the site removed
   * it): ask the sender for a keyframe with the next frame that decrypts.
   */
  expectGap(): void {
    this.#recovery.want();
  }

  /** Called every second: asks again for a keyframe still wanted (keyframe-recovery.ts). */
  retryKeyFrame(): void {
    this.#recovery.retry(this.plaintext.authenticated);
  }

  /** Whether a sender's frames waited for their key within the last stats period (one that stopped is forgotten). */
  #waitingNow(): boolean {
    const now = this.#now();
    for (const [sender, { last }] of this.#waitingSince) {
      if (now - last <= STATS_INTERVAL_MS) return true;
      if (now - last > KEY_GRACE_MS) this.#waitingSince.delete(sender);
    }
    return false;
  }

  /** Whether this track has carried plaintext and never an authenticated frame. */
  #plaintextSoFar(): boolean {
    return !this.plaintext.authenticated && this.total.unencrypted > 0;
  }
}
