/**
 * Forward secrecy in real browsers through a real SFU (docs/keys.md): three Chromium profiles with
 * Framelock in Debian's Janus videoroom demo. A newcomer's media decodes at the others soon after its first packet; a
 * join and a leave re-key the call (every sender's generation moves on) without an undecryptable frame or a frozen
 * tile; everyone's per-call words are the same, and change when the call does.
 *
 * Measured, not asserted, where the machine's load decides (the newcomer's delay, the longest gap between presented
 * frames): those are printed, and only bounds far above the targets are asserted, so a loaded CI machine cannot fail
 * the test for being slow while a broken exchange (nothing decodes, a frozen tile) still does.
 */
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kidEpoch, kidParticipant } from '../../src/codecs';
import type { TabStatus } from '../../src/shared/messages';
import { createFakeMedia, type FakeMedia, framelockTransforms, launchExtensionParticipant, tabStatus } from './call';
import { chromiumAvailable, type ExtensionBrowser, isCI, sleep, waitFor } from './harness';
import { type Janus, janusAvailable, startJanus } from './janus';
import { joinVideoroom, subscriptionVideo, waitForTiles } from './videoroom';

const PASSPHRASE = 'correct horse battery staple';
/** Joins measured for the newcomer's delay. */
const JOINS = 3;

if (!janusAvailable && isCI) {
  throw new Error('CI=true but Janus is not installed: .ci/run must install janus and janus-demos');
}

/** The calls of the tab running `room`, as the popup shows them. */
async function calls(ext: ExtensionBrowser, room: number): Promise<NonNullable<TabStatus['calls']>> {
  return (await tabStatus(ext, `room=${room}`))?.calls ?? [];
}

/** The generation bits of every remote participant's KIDs the tab's receivers decrypted lately, by participant. */
async function remoteGenerations(ext: ExtensionBrowser, room: number): Promise<Map<bigint, Set<number>>> {
  const out = new Map<bigint, Set<number>>();
  for (const t of await framelockTransforms(ext, String(room))) {
    if (t.side !== 'receive') continue;
    for (const entry of t.byKid ?? []) {
      if (entry.protected === 0) continue;
      const kid = BigInt(entry.kid);
      const set = out.get(kidParticipant(kid)) ?? new Set<number>();
      set.add(kidEpoch(kid));
      out.set(kidParticipant(kid), set);
    }
  }
  return out;
}

/** Sum of the tab's receivers' undecryptable counters. */
async function undecryptable(ext: ExtensionBrowser, room: number): Promise<number> {
  return (await framelockTransforms(ext, String(room)))
    .filter((t) => t.side === 'receive')
    .reduce((sum, t) => sum + t.undecryptable, 0);
}

/** Frames the tab's receivers decrypted, and dropped (a key not there yet, a duplicate), so far. */
async function receivedCounts(ext: ExtensionBrowser, room: number): Promise<{ decrypted: number; dropped: number }> {
  let decrypted = 0;
  let dropped = 0;
  for (const t of await framelockTransforms(ext, String(room))) {
    if (t.side !== 'receive') continue;
    decrypted += t.protected;
    dropped += t.dropped;
  }
  return { decrypted, dropped };
}

/**
 * Starts recording, in `page`, when each remote `<video>` presents a frame (requestVideoFrameCallback), to measure
 * the longest freeze of the tiles that were already playing.
 */
async function watchFrames(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { framelockGaps?: Map<string, number[]> };
    const gaps = new Map<string, number[]>();
    w.framelockGaps = gaps;
    for (const video of document.querySelectorAll<HTMLVideoElement>('[id^="videoremote"] video')) {
      const times: number[] = [];
      gaps.set(video.id, times);
      const onFrame = (now: number) => {
        times.push(now);
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    }
  });
}

/** The longest gap (ms) between two presented frames of any tile watched by {@link watchFrames}. */
async function longestFreeze(page: Page): Promise<number> {
  return page.evaluate(() => {
    const gaps = (window as unknown as { framelockGaps?: Map<string, number[]> }).framelockGaps ?? new Map();
    let longest = 0;
    for (const times of gaps.values()) {
      for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i] - times[i - 1]);
      // A tile that stopped presenting altogether counts up to now.
      if (times.length > 0) longest = Math.max(longest, performance.now() - times[times.length - 1]);
    }
    return longest;
  });
}

/** Milliseconds from the first video packet of `display`'s subscription on `page` to its first decoded frame. */
async function firstDecodeDelay(page: Page, display: string, timeoutMs = 20_000): Promise<number> {
  const start = Date.now();
  let firstPacket: number | undefined;
  while (Date.now() - start < timeoutMs) {
    const video = await subscriptionVideo(page, display).catch(() => ({ packets: 0, decoded: 0 }));
    const now = Date.now();
    if (video.packets > 0) firstPacket ??= now;
    if (video.decoded > 0 && firstPacket !== undefined) return now - firstPacket;
    await sleep(25);
  }
  throw new Error(`${display}'s video never decoded within ${timeoutMs} ms`);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

describe.skipIf(!chromiumAvailable || !janusAvailable)('forward secrecy through Janus (videoroom demo)', () => {
  let janus: Janus;
  let media: FakeMedia;
  const people: ExtensionBrowser[] = [];

  beforeAll(async () => {
    janus = await startJanus();
    media = await createFakeMedia();
    const origin = new URL(janus.demosUrl).origin;
    for (let i = 0; i < 3; i++) people.push(await launchExtensionParticipant(origin, PASSPHRASE, media));
  });

  afterAll(async () => {
    await Promise.all(people.map((p) => p.close()));
    await janus?.stop();
    await media?.cleanup();
  });

  it('joins and leaves re-key the call with no undecryptable frame and no frozen tile; the call words agree', async () => {
    const [alice, bob, carol] = people as [ExtensionBrowser, ExtensionBrowser, ExtensionBrowser];
    const room = await janus.createRoom({ videocodec: 'vp8' });
    const alicePage = await alice.browser.newPage();
    const bobPage = await bob.browser.newPage();
    await joinVideoroom(janus, alicePage, room, 'alice');
    await joinVideoroom(janus, bobPage, room, 'bob');
    await firstDecodeDelay(alicePage, 'bob');
    await firstDecodeDelay(bobPage, 'alice');

    // Two in the call: the same five words on both sides, each seeing the other keyed.
    const twoWords = await waitFor(
      async () => {
        const [a, b] = [await calls(alice, room), await calls(bob, room)];
        const wa = a[0]?.call.words?.join(' ');
        const keyed = [...a, ...b].every((c) => c.call.members.length === 1 && c.call.members[0]?.keyed);
        return wa !== undefined && wa === b[0]?.call.words?.join(' ') && keyed ? wa : undefined;
      },
      { description: 'alice and bob show the same call words', timeoutMs: 15_000 },
    );

    const delays: number[] = [];
    let previousWords = twoWords;
    for (let join = 0; join < JOINS; join++) {
      await sleep(2_000); // the call settles (a re-key's old generation retires)
      const generationsBefore = await remoteGenerations(alice, room);
      const undecryptableBefore = (await undecryptable(alice, room)) + (await undecryptable(bob, room));
      const countsBefore = [await receivedCounts(alice, room), await receivedCounts(bob, room)];
      await watchFrames(alicePage);
      await watchFrames(bobPage);

      // Carol joins: her media decodes at alice and bob, and theirs at hers.
      const carolPage = await carol.browser.newPage();
      await joinVideoroom(janus, carolPage, room, `carol${join}`);
      const [atAlice, atBob] = await Promise.all([
        firstDecodeDelay(alicePage, `carol${join}`),
        firstDecodeDelay(bobPage, `carol${join}`),
      ]);
      delays.push(atAlice, atBob);
      await waitForTiles(carolPage, 2);

      // Three in the call: one set of words, new ones, and everyone keyed.
      const threeWords = await waitFor(
        async () => {
          const all = [await calls(alice, room), await calls(bob, room), await calls(carol, room)];
          const words = all.map((c) => c[0]?.call.words?.join(' '));
          const keyed = all.every((c) => c[0]?.call.members.length === 2 && c[0].call.members.every((m) => m.keyed));
          return keyed && words[0] !== undefined && words.every((w) => w === words[0]) ? words[0] : undefined;
        },
        { description: 'three participants show the same call words', timeoutMs: 15_000 },
      );
      expect(threeWords).not.toBe(previousWords);

      // Bob re-keyed for carol: alice decrypts a generation of his she had not seen before the join.
      const bobAtAlice = [...generationsBefore.entries()].find(([, gens]) => gens.size > 0);
      expect(bobAtAlice, 'alice decrypted bob before the join').toBeDefined();
      const [bobPid, bobGensBefore] = bobAtAlice as [bigint, Set<number>];
      await waitFor(
        async () => {
          const now = (await remoteGenerations(alice, room)).get(bobPid) ?? new Set<number>();
          return [...now].some((g) => !bobGensBefore.has(g)) || undefined;
        },
        { description: "alice decrypts a new generation of bob's", timeoutMs: 10_000 },
      );

      // Carol leaves: after the leave timeout alice and bob re-key without her, and their words change back to a
      // two-party set (new words: new generations do not change words, the set of public keys does).
      await carolPage.close();
      await waitFor(
        async () => {
          const [a, b] = [await calls(alice, room), await calls(bob, room)];
          const wa = a[0]?.call.words?.join(' ');
          return a[0]?.call.members.length === 1 && wa !== undefined && wa === b[0]?.call.words?.join(' ')
            ? true
            : undefined;
        },
        { description: 'alice and bob drop carol from the call', timeoutMs: 20_000 },
      );
      await sleep(1_500); // the leave's re-key switches
      previousWords = threeWords;

      // Through the join and the leave: not one frame alice or bob could not decrypt, and no tile of theirs froze.
      const undecryptableAfter = (await undecryptable(alice, room)) + (await undecryptable(bob, room));
      expect(undecryptableAfter - undecryptableBefore, 'undecryptable frames during the join and the leave').toBe(0);
      const freezes = [await longestFreeze(alicePage), await longestFreeze(bobPage)];
      const countsAfter = [await receivedCounts(alice, room), await receivedCounts(bob, room)];
      const droppedDuring = countsAfter.map((c, i) => c.dropped - (countsBefore[i]?.dropped ?? 0));
      console.log(
        `join ${join + 1}: carol decoded after ${atAlice} ms at alice, ${atBob} ms at bob; longest gap ${freezes.map(Math.round).join(' / ')} ms; frames dropped (carol's before her key included) ${droppedDuring.join(' / ')}`,
      );
      // The target is 300 ms (docs/performance.md measures it); a frozen tile (no keyframe after a lost key) lasts
      // seconds. The bound here catches that without failing a loaded machine's slow presentation.
      for (const freeze of freezes) expect(freeze).toBeLessThan(1_500);
    }
    console.log(
      `newcomer's first decoded frame after its first packet: p50 ${median(delays)} ms (${delays.join(', ')})`,
    );
    // Target p50 ≤ 1 s (docs/performance.md); asserted with room for a loaded CI machine.
    expect(median(delays)).toBeLessThan(3_000);
    await Promise.all([alicePage.close(), bobPage.close()]);
    await janus.destroyRoom(room);
  });
});
