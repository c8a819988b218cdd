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

  prepare(epoch: number): void {
    this.#kids.prepare(epoch);
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
      const kid = this.#kids.current(epoch);
      this.kid = kid;
      const framing = this.codec.framing(frame);
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
      // The next epoch's key, asked for now so the switch at the boundary loses no frame.
      this.#kids.askAhead(epoch);
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
