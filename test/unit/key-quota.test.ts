/**
 * The content bridge's budget of new senders (src/content/key-quota.ts), on a fake clock: a track flooded with junk
 * KIDs cannot starve another track, the flooded track gets its real sender back, junk rotates out while proven
 * senders stay, and a worker that lies about endpoints or authentication gains nothing past the frame's ceiling.
 */
import { describe, expect, it } from 'vitest';
import { kidSenderId, makeKid } from '../../src/codecs';
import {
  ENDPOINT_BURST,
  ENDPOINT_REFILL_MS,
  FRAME_BURST,
  FRAME_REFILL_MS,
  MAX_ENDPOINTS,
  MAX_UNPROVEN_SENDERS_PER_ENDPOINT,
  UNPROVEN_SENDER_TTL_MS,
} from '../../src/content/constants';
import { KeyRequestQuota } from '../../src/content/key-quota';

const FLOODED = 'receive-video-1';
const OTHER = 'receive-video-2';

function clocked() {
  let now = 1_000_000;
  const quota = new KeyRequestQuota(() => now);
  let nextJunk = 0x7000_0000_0000n;
  return {
    quota,
    advance: (ms: number) => {
      now += ms;
    },
    /** A fresh junk KID (current epoch bits, a sender id never seen) asked for by `endpoint`. */
    junk: (endpoint = FLOODED) => quota.admit(endpoint, nextJunk, makeKid(0, nextJunk++)),
  };
}

/** Asks for the KID of `sender` in `epochBits` for `endpoint`. */
const ask = (quota: KeyRequestQuota, endpoint: string, sender: bigint, epochBits = 0) =>
  quota.admit(endpoint, sender, makeKid(epochBits, sender));

describe('KeyRequestQuota', () => {
  it('a flood of junk KIDs on one receiver does not delay another receiver’s new sender', () => {
    const { quota, advance, junk } = clocked();
    // A keyless participant puts a fresh KID on each of its 30 frames a second, for a minute.
    const outcomes: string[] = [];
    for (let i = 0; i < 30 * 60; i++) {
      outcomes.push(junk());
      advance(33);
    }
    const charged = outcomes.filter((o) => o === 'charged').length;
    // The flooded track got its burst and one more per refill period, nothing else...
    expect(charged).toBeLessThanOrEqual(ENDPOINT_BURST + Math.ceil((30 * 60 * 33) / ENDPOINT_REFILL_MS));
    expect(outcomes.filter((o) => o === 'frame_limit')).toEqual([]);
    // ...and a newcomer on another receiver is keyed at once, as is our own sender's new id, as without the flood.
    expect(ask(quota, OTHER, 0x1234n)).toBe('charged');
    expect(ask(quota, 'receive-audio-3', 0x1235n)).toBe('charged');
    expect(ask(quota, 'send-video-4', 0x1236n)).toBe('charged');
  });

  it('the flooded receiver gets its real sender back within one refill period once the flood stops on it', () => {
    const { quota, advance, junk } = clocked();
    for (let i = 0; i < 300; i++) {
      junk();
      advance(33);
    }
    // An SFU switches the track to a real sender: the worker asks for its KID with its frames, every 2 s.
    const real = 0x2222n;
    let waited = 0;
    while (ask(quota, FLOODED, real) !== 'charged') {
      advance(2_000);
      waited += 2_000;
      expect(waited).toBeLessThanOrEqual(ENDPOINT_REFILL_MS + 2_000);
    }
    // Its frames authenticate (the worker's counters say so): proven. The flood comes back on the same track; the
    // real sender's next epochs are keyed free however hard junk drains the budget, and junk never pushes it out.
    expect(quota.prove(FLOODED, real)).toBe(true);
    for (let i = 0; i < 300; i++) {
      junk();
      advance(33);
    }
    expect(ask(quota, FLOODED, real, 1)).toBe('free');
    expect(ask(quota, FLOODED, real, 2)).toBe('free');
    // An SFU may move a proven sender to another track: keyed free there too.
    expect(ask(quota, OTHER, real, 1)).toBe('free');
  });

  it('junk rotates out: an unproven sender is forgotten after its time or behind newer ones, and costs again', () => {
    const { quota, advance, junk } = clocked();
    const sender = 0x3333n;
    expect(ask(quota, OTHER, sender, 0)).toBe('charged');
    // Another epoch's KID of a sender granted lately is free (a receiver asks the next epoch's key right after the
    // first frame decrypts); the same KID again costs (its keys were dropped as junk).
    expect(ask(quota, OTHER, sender, 1)).toBe('free');
    expect(ask(quota, OTHER, sender, 0)).toBe('charged');
    advance(UNPROVEN_SENDER_TTL_MS);
    expect(ask(quota, OTHER, sender, 2)).toBe('charged'); // forgotten after its time
    for (let i = 0; i < MAX_UNPROVEN_SENDERS_PER_ENDPOINT; i++) junk(OTHER);
    expect(quota.prove(OTHER, sender)).toBe(false); // pushed out by newer unproven senders: nothing to prove
    advance(ENDPOINT_REFILL_MS);
    expect(ask(quota, OTHER, sender, 1)).toBe('charged');
  });

  it('believes "authenticated" only for a sender it granted that endpoint keys for', () => {
    const { quota } = clocked();
    // A worker that lies: a sender it never asked keys for, or asked on another endpoint, does not become proven.
    expect(quota.prove(FLOODED, 0x4444n)).toBe(false);
    expect(ask(quota, OTHER, 0x4444n)).toBe('charged');
    expect(quota.prove(FLOODED, 0x4444n)).toBe(false);
    expect(quota.prove('receive-video-99', 0x4444n)).toBe(false);
    expect(quota.endpoints).toBe(1); // proving never creates an endpoint
    expect(quota.prove(OTHER, 0x4444n)).toBe(true);
  });

  it('a worker inventing endpoint ids gets no more than the frame’s ceiling, and the tracked endpoints stay bounded', () => {
    const { quota, advance } = clocked();
    let charged = 0;
    let refused = 0;
    const seconds = 30;
    for (let i = 0; i < seconds * 100; i++) {
      const sender = 0x5000_0000n + BigInt(i);
      const outcome = ask(quota, `receive-video-${i + 1}`, sender);
      if (outcome === 'charged') charged++;
      if (outcome === 'frame_limit') refused++;
      advance(10);
    }
    expect(charged).toBeLessThanOrEqual(FRAME_BURST + (seconds * 1_000) / FRAME_REFILL_MS);
    expect(refused).toBeGreaterThan(0);
    expect(quota.endpoints).toBeLessThanOrEqual(MAX_ENDPOINTS);
  });

  it('forgets every sender on a new room key, keeping the budgets', () => {
    const { quota } = clocked();
    const sender = 0x6666n;
    ask(quota, OTHER, sender);
    quota.prove(OTHER, sender);
    expect(ask(quota, OTHER, sender, 1)).toBe('free');
    quota.forgetSenders();
    expect(ask(quota, OTHER, sender, 1)).toBe('charged');
    expect(kidSenderId(makeKid(1, sender))).toBe(sender);
  });
});
