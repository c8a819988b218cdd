/**
 * @module What the bridge does with the worker's counters, which come every second (the worker's heartbeat): they go
 * on to the background and the in-page indicator, and tell which receivers and senders authenticated. (A clock that
 * is off shows in the call's exchange now, not in the counters: src/content/call-link.ts.) The worker runs in the page's origin, so the counters may be forged: forging them
 * can make us warn, never hand out a key.
 */
import { kidSenderId } from '../codecs';
import type { BridgeToBackground, TransformStats } from '../shared/messages';
import type { BridgeIndicator } from './indicator';

export interface StatsRelayOptions {
  /** The frame may be the page's (src/content/unsafe-realm.ts): it gets no keys, so a call there carries no media. */
  unsafeRealm: boolean;
  indicator: Pick<BridgeIndicator, 'update'>;
  toBackground(message: BridgeToBackground): void;
  /** A receiver delivered authenticated frames (`WorkerLink.noteAuthenticated`). */
  noteAuthenticated(id: string): void;
  /** A sender's frame authenticated on a receiver (`KeyRequestQuota.prove`). */
  prove(endpoint: string, sender: bigint): void;
}

/** Makes the handler of the worker's counters; it keeps what it reported and when. */
export function createStatsRelay(options: StatsRelayOptions): (stats: TransformStats[]) => void {
  const { unsafeRealm, indicator, toBackground, noteAuthenticated, prove } = options;
  /** `unsafe_frame_call` was reported (once per page load). */
  let reportedUnsafeCall = false;

  return (stats) => {
    // Every second, even with no transforms (the worker's heartbeat): the background hears of counters only.
    if (stats.length > 0) toBackground({ type: 'stats', stats });
    if (unsafeRealm && stats.length > 0 && !reportedUnsafeCall) {
      // A call runs in this frame, which gets no keys: it carries no media. (The page may forge these counters here;
      // forging them only makes us warn.)
      reportedUnsafeCall = true;
      toBackground({ type: 'problem', problem: 'unsafe_frame_call' });
    }
    for (const transform of stats) {
      if (transform.side !== 'receive' || transform.protected === 0) continue;
      noteAuthenticated(transform.id);
      // Senders whose frames authenticated on this receiver: their later epochs' keys are free from now on, and no
      // junk KID can push them out (the quota believes it only for senders it granted this receiver keys for).
      for (const entry of transform.byKid ?? [])
        if (entry.protected > 0) prove(transform.id, kidSenderId(BigInt(entry.kid)));
    }
    indicator.update(stats);
  };
}
