/**
 * The worker's keyring (src/worker/keyring.ts) on its own: what the bridge's `retire` takes away. A sender key
 * generation is over (docs/keys.md, "When keys change"): the frame keys of exactly that participant's KIDs with that
 * generation's 4 bits go, of every track and both kinds, and none of them can be keyed again.
 */
import { describe, expect, it } from 'vitest';
import { makeKid, SUITE_FOR_KIND, senderIdOf } from '../../src/codecs';
import { deriveFrameKeys } from '../../src/sframe';
import type { MediaKind } from '../../src/shared/messages/schema';
import { Keyring } from '../../src/worker/keyring';

const ALICE = 0x0a1_1ce0_0001n;
/** Alice's id but for its lowest bit: its KIDs differ from hers in one bit above the track. */
const NEIGHBOUR = ALICE ^ 1n;
const BOB = 0x0b0_b000_0002n;

const kid = (participant: bigint, generation: number, track = 0) =>
  makeKid(generation % 16, senderIdOf(participant, track));

/** Keys `k` as the bridge would, and proves its sender (a frame authenticated), so no junk bound drops it. */
async function install(keyring: Keyring, kind: MediaKind, k: bigint): Promise<boolean> {
  const base = new Uint8Array(16).fill(Number(k % 251n));
  const installed = await keyring.install(kind, k, await deriveFrameKeys(SUITE_FOR_KIND[kind], base, k));
  if (installed) keyring.prove(kind, k);
  return installed;
}

describe('Keyring.retire', () => {
  it('retires exactly the KIDs of that participant and generation bits, of every track and both kinds', async () => {
    const keyring = new Keyring(() => {});
    const retired = [kid(ALICE, 0), kid(ALICE, 0, 1), kid(ALICE, 0, 4095)];
    const kept = [kid(ALICE, 1), kid(ALICE, 15, 1), kid(BOB, 0), kid(NEIGHBOUR, 0)];
    for (const k of [...retired, ...kept]) expect(await install(keyring, 'video', k)).toBe(true);
    expect(await install(keyring, 'audio', kid(ALICE, 0, 2))).toBe(true);
    expect(await install(keyring, 'audio', kid(BOB, 0, 2))).toBe(true);
    keyring.ownKids.add(kid(ALICE, 0));
    keyring.ownKids.add(kid(ALICE, 1));

    expect(keyring.retire(ALICE, 0)).toBe(retired.length + 1);
    for (const k of retired) expect(keyring.has('video', k), k.toString(16)).toBe(false);
    expect(keyring.has('audio', kid(ALICE, 0, 2))).toBe(false);
    for (const k of kept) expect(keyring.has('video', k), k.toString(16)).toBe(true);
    expect(keyring.has('audio', kid(BOB, 0, 2))).toBe(true);
    expect(keyring.keyCount('video')).toBe(kept.length);
    expect(keyring.keyCount('audio')).toBe(1);
    expect([...keyring.ownKids]).toEqual([kid(ALICE, 1)]);

    // Never keyed again: a replayed frame finds no key, and a counter can never restart under the KID.
    for (const k of retired) expect(await install(keyring, 'video', k)).toBe(false);
    expect(keyring.has('video', kid(ALICE, 0))).toBe(false);
    // Retiring it again retires nothing more.
    expect(keyring.retire(ALICE, 0)).toBe(0);
  });

  it('takes a generation by its 4 bits: generation 17 retires the KIDs of generation 1', async () => {
    const keyring = new Keyring(() => {});
    await install(keyring, 'video', kid(ALICE, 1));
    await install(keyring, 'video', kid(ALICE, 2));
    expect(keyring.retire(ALICE, 17)).toBe(1);
    expect(keyring.has('video', kid(ALICE, 1))).toBe(false);
    expect(keyring.has('video', kid(ALICE, 2))).toBe(true);
  });

  it('forgets refusals, and leaves keys still being asked for to be asked for', async () => {
    const requests: bigint[] = [];
    const keyring = new Keyring((k) => requests.push(k));
    expect(keyring.ensure('video', kid(ALICE, 3), 'receive-video-1')).toBe(false);
    keyring.refuse('video', kid(BOB, 3), { reason: 'rate' });
    keyring.retire(ALICE, 3);
    expect(keyring.refusal('video', kid(BOB, 3))).toBeUndefined();
    expect(keyring.pendingSince('video', kid(ALICE, 3))).toBeDefined();
    expect(await install(keyring, 'video', kid(ALICE, 3))).toBe(true); // it was never keyed: its first key is taken
    expect(requests).toEqual([kid(ALICE, 3)]);
  });
});
