/**
 * @module The content bridge ↔ background channel (runtime port "framelock-bridge", JSON: bytes as base64). The
 * background checks what a bridge sends (src/background/bridge-messages.ts); the bridge checks what comes back.
 */

import type { SiteProblem } from './problems';
import type { BridgeRejectionReason } from './rejections';
import type { TransformStats } from './stats';

export type BackgroundToBridge =
  /**
   * Epoch base keys of the frame's room (16 bytes each, base64), for the epochs around the background's clock.
   * `room` names the room key they come from (label and when its passphrase was set): when it changes, everything
   * keyed before is dropped. `now` is the background's clock (ms), which the bridge follows.
   */
  | { type: 'epoch-keys'; room: string; now: number; keys: { epoch: number; key: string }[] }
  /** The site is not enabled (or no longer), or its room has no key: the worker drops everything it would send. */
  | { type: 'no-key' }
  /** The site's settings (sent on connect and whenever they change). */
  | { type: 'settings'; strict: boolean; indicator: boolean }
  /**
   * The site removed our encryption before (`tampering_blocked`) and the user has not allowed its calls again: the
   * frame gets no key, and its page script closes every connection and refuses new ones for the rest of the load.
   */
  | { type: 'blocked' };

export type BridgeToBackground =
  | { type: 'stats'; stats: TransformStats[] }
  /** Keys for epochs the bridge is about to need (the background sends only those near its own clock). */
  | { type: 'epoch-keys-request'; epochs: number[] }
  /** `detail`: the frame origin for `cross_origin_frame`; the distance in epochs (decimal) for `clock_skew`. */
  | { type: 'problem'; problem: SiteProblem; detail?: string }
  /** Messages the bridge refused since its last report, per reason (sent at most every few seconds). */
  | { type: 'rejections'; counts: Partial<Record<BridgeRejectionReason, number>> };
