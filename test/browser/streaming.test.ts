/**
 * A server that streams media to viewers: Janus's streaming plugin (the unmodified streamingtest.html), fed the way
 * Janus deployments feed it, by a videoroom publisher's `rtp_forward` into an RTP mountpoint. The viewers only watch:
 * they send nothing.
 *
 * - Control, without Framelock: a viewer sees the publisher's pattern and hears its tone through the server.
 * - The server's stream of a publisher without Framelock, watched with Framelock: it shows (the user chose to watch
 *   it), and Framelock never calls it encrypted: the receivers are "not encrypted" and the badge warns.
 * - The stream of a publisher with Framelock: the server relays our ciphertext. A viewer without Framelock sees
 *   nothing and hears silence; a viewer with Framelock sends nothing, so nobody can send it the call's keys
 *   (docs/keys.md, "A listener"): it cannot decrypt, and its popup says why (`not_sending`).
 */
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFakeMedia,
  expectNoRemotePattern,
  type FakeMedia,
  framelockTransforms,
  launchExtensionParticipant,
  launchPlainChromium,
  type PlainBrowser,
  tabBadge,
  tabStatus,
  waitForRemotePattern,
} from './call';
import { chromiumAvailable, type ExtensionBrowser, isCI, waitFor } from './harness';
import { freePort, type Janus, janusAvailable, startJanus } from './janus';
import { heardTone, isTestTone } from './tone';
import { joinVideoroom } from './videoroom';

const PASSPHRASE = 'correct horse battery staple';
const VIDEO = '#mstream0 video';
const AUDIO = '#mstream0 audio';
const NEGATIVE_WATCH_MS = 6_000;

if (isCI && (!chromiumAvailable || !janusAvailable)) {
  throw new Error('CI must run the streaming tests: Chromium or Janus is missing');
}

describe.skipIf(!chromiumAvailable || !janusAvailable)(
  'a server that streams to viewers (Janus streaming demo)',
  () => {
    let janus: Janus;
    let media: FakeMedia;
    let framelock: ExtensionBrowser;
    let plain: PlainBrowser;

    beforeAll(async () => {
      janus = await startJanus();
      media = await createFakeMedia();
      framelock = await launchExtensionParticipant(new URL(janus.demosUrl).origin, PASSPHRASE, media);
      plain = await launchPlainChromium({ media });
    });

    afterAll(async () => {
      await Promise.all([framelock?.close(), plain?.close()]);
      await janus?.stop();
      await media?.cleanup();
    });

    /**
     * `publisher` joins a fresh videoroom and Janus forwards its RTP into a fresh RTP mountpoint (Opus and VP8 with
     * Chromium's payload types). Returns the mountpoint's id and the publisher's page.
     */
    async function broadcast(publisher: ExtensionBrowser | PlainBrowser, name: string) {
      const room = await janus.createRoom({ videocodec: 'vp8' });
      const page = await publisher.browser.newPage();
      await joinVideoroom(janus, page, room, name);
      const [audioPort, videoPort] = [await freePort(), await freePort()];
      const id = 100_000 + Math.floor(Math.random() * 800_000);
      await janus.pluginRequest('streaming', {
        request: 'create',
        type: 'rtp',
        id,
        name: `framelock-${id}`,
        description: `framelock test ${id}`,
        permanent: false,
        media: [
          { type: 'audio', mid: 'a', label: 'audio', port: audioPort, pt: 111, codec: 'opus' },
          { type: 'video', mid: 'v', label: 'video', port: videoPort, pt: 96, codec: 'vp8' },
        ],
      });
      const participant = await waitFor(
        async () => (await janus.listParticipants(room)).find((p) => p.display === name),
        { description: `${name} publishing`, timeoutMs: 15_000 },
      );
      await janus.rtpForward(room, participant.id, { host: '127.0.0.1', audioPort, videoPort });
      return { id, page, room };
    }

    /** Opens the streaming demo in a new page of `viewer`, picks mountpoint `id` and watches it. */
    async function watch(viewer: ExtensionBrowser | PlainBrowser, id: number, tag: string): Promise<Page> {
      const page = await viewer.browser.newPage();
      await page.goto(janus.demoUrl('streamingtest.html', { room: tag }), { waitUntil: 'load' });
      await page.locator('#start').click();
      await page.waitForSelector(`#streamslist a[id="${id}"]`, { timeout: 20_000 });
      await page.$eval(`#streamslist a[id="${id}"]`, (a) => (a as HTMLElement).click());
      await page.locator('#watch').click();
      await page.waitForSelector(VIDEO, { timeout: 20_000 });
      return page;
    }

    it('control, without Framelock: the viewer sees the pattern and hears the tone through the server', async () => {
      const { id, page: publisher, room } = await broadcast(plain, 'plainpub');
      const viewer = await watch(plain, id, 'stream-control');
      await waitForRemotePattern(viewer, 30_000, { selector: VIDEO });
      await waitFor(async () => isTestTone(await heardTone(viewer, 1_500, AUDIO)) || undefined, {
        description: 'the tone in the stream',
        timeoutMs: 20_000,
      });
      await Promise.all([viewer.close(), publisher.close()]);
      await janus.destroyRoom(room);
    });

    it('a stream of media in clear, watched with Framelock: it shows, flagged "not encrypted", never "E2E"', async () => {
      const { id, page: publisher, room } = await broadcast(plain, 'plainpub2');
      const viewer = await watch(framelock, id, 'stream-clear');
      await waitForRemotePattern(viewer, 30_000, { selector: VIDEO });
      const received = await waitFor(
        async () => {
          const list = (await framelockTransforms(framelock, 'stream-clear')).filter(
            (s) => s.side === 'receive' && s.status !== 'waiting',
          );
          return list.length >= 2 ? list : undefined;
        },
        { description: 'the stream’s receivers reported', timeoutMs: 15_000 },
      );
      for (const s of received) {
        expect(s.status, s.kind).toBe('unencrypted');
        expect(s.protected).toBe(0);
      }
      expect(await tabBadge(framelock, 'stream-clear')).toBe('!');
      await Promise.all([viewer.close(), publisher.close()]);
      await janus.destroyRoom(room);
    });

    it('a stream of a Framelock publisher: a viewer without Framelock sees nothing and hears silence; one with it cannot decrypt, and is told why', async () => {
      const { id, page: publisher, room } = await broadcast(framelock, 'flpub');
      const bare = await watch(plain, id, 'stream-bare');
      await expectNoRemotePattern(bare, NEGATIVE_WATCH_MS, { selector: VIDEO });
      const heard = await heardTone(bare, 2_000, AUDIO);
      expect(heard.rms, JSON.stringify(heard)).toBeLessThan(0.005);
      await bare.close();

      const viewer = await watch(framelock, id, 'stream-listener');
      await expectNoRemotePattern(viewer, NEGATIVE_WATCH_MS, { selector: VIDEO });
      const status = await waitFor(
        async () => {
          const now = await tabStatus(framelock, 'stream-listener');
          const receiving = now?.transforms.filter((s) => s.side === 'receive' && s.undecryptable > 0) ?? [];
          return now?.problems.includes('not_sending') && receiving.length > 0 ? now : undefined;
        },
        { description: 'the viewer’s status: cannot decrypt, and not_sending', timeoutMs: 20_000 },
      );
      for (const s of status.transforms.filter((t) => t.side === 'receive')) expect(s.status).not.toBe('encrypted');
      expect(await tabBadge(framelock, 'stream-listener')).toBe('!');
      await Promise.all([viewer.close(), publisher.close()]);
      await janus.destroyRoom(room);
    });
  },
);
