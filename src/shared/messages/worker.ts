/**
 * @module The transform worker ↔ content bridge channel (a private MessagePort, structured clone). The worker runs in
 * the page's origin, so the bridge checks everything it sends (src/content/checks.ts).
 */

import type { FrameKeys } from '../../sframe';
import type { TransformStats } from './stats';

/**
 * The id of one transform (a sender or receiver of the page): `<side>-<kind>-<n>` as the page script names it
 * (src/page/patch.ts), or `<side>-unnamed-<n>` for one that came without an id (src/worker/transform.ts). The worker
 * names the transform that needs a key in each key request; the bridge cannot trust the worker, so it checks this
 * shape and budgets new senders per id (src/content/key-quota.ts).
 */
export const TRANSFORM_ID_PATTERN = /^(?:send|receive)-(?:audio|video|unnamed)-[1-9][0-9]{0,8}$/;

export type WorkerToBridge =
  /** First message: the nonce the page script passed along, proving this worker is the one made at document_start. */
  | { type: 'hello'; nonce: string }
  /**
   * The worker needs frame keys for a KID (its own sender KID, or a remote one it saw), for the transform `endpoint`
   * (its id, {@link TRANSFORM_ID_PATTERN}): each endpoint has its own budget of new senders.
   */
  | { type: 'keys-request'; kid: bigint; kind: 'audio' | 'video'; endpoint: string }
  | { type: 'stats'; stats: TransformStats[] };

export type BridgeToWorker =
  /** Frame keys for a KID of `epoch` (the full epoch number the KID's 4 bits stand for). */
  | { type: 'keys'; kid: bigint; kind: 'audio' | 'video'; epoch: number; keys: FrameKeys }
  /**
   * A KID the bridge will not key: its epoch is outside the accepted window (`distance` epochs from ours, -8..7), or
   * the endpoint that asked (or the whole frame) has spent its budget of new senders for now (`rate`).
   */
  | { type: 'keys-refused'; kid: bigint; kind: 'audio' | 'video'; reason: 'epoch' | 'rate'; distance?: number }
  /** The current epoch (at every boundary); the worker moves its senders to it and erases keys older than epoch - 1. */
  | { type: 'epoch'; epoch: number }
  /** No key material at all (site disabled): send nothing, decrypt nothing. */
  | { type: 'no-key' }
  /** Strict mode on or off for every receiver (see `SiteInfo.strict`). */
  | { type: 'settings'; strict: boolean }
  /**
   * To a worker that replaced a stopped one, before anything else: the ids of the receivers that had delivered
   * authenticated frames under the stopped worker. They go on refusing plaintext (an SFU must not inject media into a
   * protected track because our worker restarted); until this message, a replacing worker's receivers drop plaintext.
   */
  | { type: 'resume'; authenticated: string[] };
