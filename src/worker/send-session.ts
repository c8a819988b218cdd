/**
 * @module A sender's session: encrypts every frame under the current KID, and drops it while the key is missing. No
 * plaintext ever leaves.
 */
import { protectFrame } from '../codecs';
import type { MediaKind } from '../shared/messages/schema';
import type { TransformStats } from '../shared/messages/stats';
import { SenderKids } from './sender-kids';
import { type EncodedFrame, Session, type SessionHost, setData } from './session';

export class SendSession extends Session {
  readonly #kids: SenderKids;
  #waitingForKey = false;
  /** The KID of the last frame that went out protected. */
  #sentKid: bigint | undefined;
  /** Receivers missed frames (our transform was off): the next frame asks the encoder for a keyframe. */
  #keyFrameNext = false;

  constructor(id: string, kind: MediaKind, host: SessionHost) {
    super(id, kind, host);
    this.#kids = new SenderKids(kind, id, host);
  }

  protected status(): TransformStats['status'] {
    return this.recent.protected > 0 || (this.total.protected > 0 && this.recent.dropped === 0)
      ? 'encrypted'
      : 'waiting';
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
      const kid = this.#kids.current();
      if (kid === undefined) {
        // No call yet (its keys are on their way), or its track numbers ran out: nothing leaves.
        this.count('dropped');
        return false;
      }
      this.kid = kid;
      const framing = this.codec.framing(frame);
      if (!this.host.keyring.ensure(this.kind, kid, this.id)) {
        // No plaintext ever leaves: until the key is here, frames are dropped.
        this.#waitingForKey = true;
        this.count('dropped');
        return false;
      }
      if (kid !== this.#sentKid && this.#sentKid !== undefined) {
        // A new generation (a re-key on a join, a leave, or the periodic one): whoever just got our key, a newcomer
        // above all, has decoded nothing of ours yet, and starts at once on a keyframe instead of asking for one.
        this.#keyFrameNext = true;
      }
      this.#sentKid = kid;
      if (this.#waitingForKey || this.#keyFrameNext) {
        // Receivers missed everything so far, or the frames while our transform was off: start them on a keyframe.
        this.#waitingForKey = false;
        this.#keyFrameNext = false;
        this.host.requestKeyFrame();
      }
      // The next generation's key, asked for as soon as it is announced, so the switch loses no frame.
      this.#kids.askAhead();
      const data = new Uint8Array(frame.data);
      // A chunk of the call's key exchange, if one is due on this RTP stream (control-outbox.ts).
      const control =
        data.length === 0
          ? undefined
          : this.host.outbox.next(
              `${this.id}:${frame.getMetadata().synchronizationSource ?? 0}`,
              this.kind,
              data.length,
              Date.now(),
            );
      const result = await protectFrame(this.host.keyring.context(this.kind), kid, framing, data, control);
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
