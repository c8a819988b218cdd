/**
 * Helpers for call tests: two participants, each in its own Chromium profile, call each other through the demo site
 * (`demo/`, or test/server/test-server.ts: the demo site with the test pages and hooks) with known fake media, and the
 * tests look at what the other side decoded.
 *
 * ```ts
 * const server = await startDemoServer();
 * const media = await createFakeMedia();
 * const alice = await launchPlainChromium({ media });   // or an extension profile: see below
 * const bob = await launchPlainChromium({ media });
 * const call = await startCall({ browsers: [await alice.browser.newPage(), await bob.browser.newPage()], url: server.url });
 * await waitForRemotePattern(call.pages[1]);            // bob sees alice's quadrants
 * expect(await audioFlowing(call.pages[1])).toBe(true);
 * ```
 *
 * A participant with the extension, the demo site enabled through the real options page:
 * `const ext = await launchExtensionParticipant(server.url, 'correct horse battery staple', media)`; then pass a page
 * of `ext.browser` to {@link startCall} like any other.
 *
 * As with the harness, functions given to `evaluate` run in the page: no closures over test-side variables. The
 * helpers `npm start` uses (scripts/start.ts, run by tsx) keep their `evaluate` callbacks free of named inner
 * functions: tsx wraps those in a `__name(...)` call, which does not exist in the page.
 */
/// <reference types="chrome" />
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Frame, type Page } from 'puppeteer-core';
import type { TabStatus, TransformStats } from '../../src/shared/messages';
import {
  BASE_CHROMIUM_ARGS,
  CHROMIUM_PATH,
  chromiumAvailable,
  type ExtensionBrowser,
  type LaunchOptions,
  sleep,
  waitFor,
} from './harness';
import {
  describeSamples,
  PATTERN_COLOURS,
  type PatternSamples,
  patternMismatches,
  type Quadrant,
  type Rgb,
  samplePattern,
  type ToneOptions,
  writeTestPatternY4m,
  writeToneWav,
} from './media';
import { enableSiteThroughOptions, launchWithSiteGranted } from './permissions';

/** Timeouts (ms) for call tests; generous for 2 slow cores. */
export const CALL_TIMEOUTS = {
  /** Page load until `window.demo.state === 'connected'`. */
  connect: 20_000,
  /** Connected until the remote video shows the pattern. */
  pattern: 15_000,
} as const;

/** What the demo page exposes as `window.demo` (see demo/public/call.js). */
export interface DemoApi {
  room: string;
  name: string;
  state: string;
  pc: RTCPeerConnection | null;
  log: string[];
  error: string | null;
  remoteVideos: string[];
  /** The chat's data channel: made by the first offerer in its first offer, or received (`datachannel`). */
  channel: RTCDataChannel | null;
  /** The chat's messages in the order shown (bytes as numbers). */
  chat: DemoChatEntry[];
  /** Sends bytes on the chat's channel, as "Send as bytes" does with the field's text. */
  sendBytes(bytes: number[]): void;
  stats(): Promise<DemoStats>;
  replaceTrackWithCanvas(): Promise<string>;
  addSecondVideoTrack(): string;
  hangUp(): void;
}

/** A message of the demo's chat (see `window.demo.chat` in demo/public/call.js). */
export interface DemoChatEntry {
  from: 'me' | 'them';
  kind: 'text' | 'bytes';
  text?: string;
  bytes?: number[];
}

export interface DemoStats {
  inbound: {
    kind: 'audio' | 'video';
    mid?: string;
    packetsReceived: number;
    bytesReceived: number;
    framesDecoded: number;
    pliCount: number;
    totalAudioEnergy: number;
    codec?: string;
  }[];
  outbound: {
    kind: 'audio' | 'video';
    mid?: string;
    packetsSent: number;
    bytesSent: number;
    framesEncoded: number;
    codec?: string;
  }[];
}

/** `window` as seen by code passed to `evaluate` on a demo page. */
export type DemoWindow = Window & { demo?: DemoApi | null };

/** The fake capture files every participant plays, and the Chromium flags that make it play them. */
export interface FakeMedia {
  videoPath: string;
  audioPath: string;
  /** `--use-file-for-fake-video-capture=...` and `--use-file-for-fake-audio-capture=...`. */
  args: string[];
  /** Removes the files. */
  cleanup(): Promise<void>;
}

/**
 * Writes the quadrant pattern (640×480, 30 frames at 30 fps) and a 440 Hz tone to a temporary folder; `tone` changes
 * the tone (e.g. `{ seconds: 1, silentSeconds: 2 }` for speech with pauses, so Opus DTX has silences to skip), and
 * `video.colours` the quadrants' colours (e.g. `ROTATED_COLOURS` of ./media, for a second camera that never shows
 * the first one's picture).
 */
export async function createFakeMedia(
  tone: ToneOptions = {},
  video: { colours?: Readonly<Record<Quadrant, Rgb>> } = {},
): Promise<FakeMedia> {
  const dir = await mkdtemp(path.join(tmpdir(), 'framelock-media-'));
  const videoPath = path.join(dir, 'pattern.y4m');
  const audioPath = path.join(dir, 'tone.wav');
  await writeTestPatternY4m(videoPath, { width: 640, height: 480, frames: 30, fps: 30, ...video });
  await writeToneWav(audioPath, { hz: 440, seconds: 2, rate: 48_000, ...tone });
  return {
    videoPath,
    audioPath,
    args: [`--use-file-for-fake-video-capture=${videoPath}`, `--use-file-for-fake-audio-capture=${audioPath}`],
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Chromium flags for a call participant, added after the harness's {@link BASE_CHROMIUM_ARGS} (which already fake the
 * devices and skip the permission prompt): play `media`, and allow ICE over loopback, which is all a CI container
 * may have.
 */
export function callArgs(media: FakeMedia): string[] {
  return [...media.args, '--allow-loopback-in-peer-connection'];
}

export interface PlainBrowser {
  browser: Browser;
  userDataDir: string;
  /** Closes the browser (killing it if it hangs) and removes its profile. Safe to call more than once. */
  close(): Promise<void>;
}

/** Launches headless Chromium without any extension, in a fresh profile: a participant who never installed Framelock. */
export async function launchPlainChromium(
  options: { media?: FakeMedia; args?: string[]; dropArgs?: readonly string[] } = {},
): Promise<PlainBrowser> {
  if (!chromiumAvailable)
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: guard suites with chromiumAvailable`);
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'framelock-plain-'));
  const browser = await puppeteer
    .launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      userDataDir,
      args: [
        ...BASE_CHROMIUM_ARGS.filter((arg) => !options.dropArgs?.includes(arg)),
        ...(options.media ? callArgs(options.media) : []),
        ...(options.args ?? []),
      ],
    })
    .catch(async (error: unknown) => {
      await rm(userDataDir, { recursive: true, force: true });
      throw error;
    });
  let closed = false;
  return {
    browser,
    userDataDir,
    async close() {
      if (closed) return;
      closed = true;
      const timer = setTimeout(() => browser.process()?.kill('SIGKILL'), 10_000);
      await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
      clearTimeout(timer);
      await rm(userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }).catch(() => undefined);
    },
  };
}

/**
 * Launches headless Chromium with the built extension, `siteOrigin`'s host permission pre-granted, and the site
 * enabled with `passphrase` through the real options page: a participant who installed Framelock and set it up.
 */
export async function launchExtensionParticipant(
  siteOrigin: string,
  passphrase: string,
  media: FakeMedia,
  launch: LaunchOptions = {},
): Promise<ExtensionBrowser> {
  const ext = await launchWithSiteGranted([siteOrigin], {
    ...launch,
    args: [...callArgs(media), ...(launch.args ?? [])],
  });
  try {
    await enableSiteThroughOptions(ext, siteOrigin, passphrase);
    return ext;
  } catch (error) {
    await ext.close();
    throw error;
  }
}

export interface StartCallOptions {
  /** One page per participant, each from its own browser (profile); the first joins first. */
  browsers: [Page, Page];
  /** The demo server's base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Room id (default: a fresh random one, so calls never meet stale signalling). */
  room?: string;
  /** Names of the participants (default alice, bob). */
  names?: [string, string];
  /** Extra query parameters for both pages, e.g. `{ send: 'addTransceiver' }` or `{ iframe: '1' }`. */
  query?: Record<string, string>;
  /** Extra query parameters per page, after `query`: e.g. a hostile script for the first participant only. */
  queries?: [Record<string, string>, Record<string, string>];
  /** How long to wait for both pages to reach `connected` (default {@link CALL_TIMEOUTS.connect}). */
  timeoutMs?: number;
}

export interface Call {
  room: string;
  pages: [Page, Page];
  /** The URL each page opened. */
  urls: [string, string];
  /** Hangs up both sides (the pages stay open). */
  hangUp(): Promise<void>;
}

/**
 * Opens the demo page in both pages, the first participant before the second (so the second makes the offer), and
 * waits until both report `connected`. On failure the error carries both pages' logs.
 */
export async function startCall(options: StartCallOptions): Promise<Call> {
  const { browsers, url, names = ['alice', 'bob'], query = {}, timeoutMs = CALL_TIMEOUTS.connect } = options;
  const room = options.room ?? `room-${Math.random().toString(36).slice(2, 10)}`;
  const urls = names.map((name, i) => {
    const pageUrl = new URL('/', url);
    const own = options.queries?.[i] ?? {};
    for (const [key, value] of Object.entries({ room, name, ...query, ...own })) pageUrl.searchParams.set(key, value);
    return pageUrl.href;
  }) as [string, string];

  const deadline = Date.now() + timeoutMs;
  const remaining = (): number => Math.max(1_000, deadline - Date.now());
  try {
    await browsers[0].goto(urls[0], { waitUntil: 'load' });
    // The first participant must be in the room before the second arrives, so the roles are always the same.
    await waitForDemoState(browsers[0], ['waiting', 'negotiating', 'connecting', 'connected'], remaining());
    await browsers[1].goto(urls[1], { waitUntil: 'load' });
    await Promise.all(browsers.map((page) => waitForDemoState(page, ['connected'], remaining())));
  } catch (error) {
    const logs = await Promise.all(browsers.map((page, i) => demoLog(page).then((log) => `${names[i]}:\n${log}`)));
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- page logs ---\n${logs.join('\n')}`);
  }
  return {
    room,
    pages: browsers,
    urls,
    async hangUp() {
      await Promise.all(
        browsers.map((page) => page.evaluate(() => (window as DemoWindow).demo?.hangUp()).catch(() => undefined)),
      );
    },
  };
}

/** Waits until the page's `window.demo.state` is one of `states`; fails at once if it reports an error. */
export async function waitForDemoState(page: Page, states: string[], timeoutMs: number): Promise<string> {
  const handle = await page
    .waitForFunction(
      (wanted: string[]) => {
        const demo = (window as DemoWindow).demo;
        if (!demo) return false;
        if (demo.state === 'error' || demo.state === 'failed') return `${demo.state}: ${demo.error ?? ''}`;
        return wanted.includes(demo.state) ? demo.state : false;
      },
      { timeout: timeoutMs, polling: 100 },
      states,
    )
    .catch((error: unknown) => {
      throw new Error(`${page.url()}: state never became ${states.join(' | ')} (${(error as Error).message})`);
    });
  const state = (await handle.jsonValue()) as string;
  if (!states.includes(state)) throw new Error(`${page.url()}: the call went wrong: ${state}`);
  return state;
}

/** The frame that runs the call: the page itself, or in `iframe=1` mode the frame it loaded. */
export function callFrame(page: Page): Frame {
  const framed = page
    .frames()
    .find((frame) => new URL(frame.url() || 'about:blank').searchParams.get('framed') === '1');
  return framed ?? page.mainFrame();
}

/** The last lines of the page's call log (for failure messages). */
export async function demoLog(page: Page, lines = 40): Promise<string> {
  return page
    .evaluate((n: number) => ((window as DemoWindow).demo?.log ?? ['(no window.demo)']).slice(-n).join('\n'), lines)
    .catch((error: unknown) => `(could not read the log: ${(error as Error).message})`);
}

export interface PatternWaitOptions {
  /** The `<video>` to sample (default `#remote`). */
  selector?: string;
  /** Expected colour per quadrant (default: the fake camera's pattern). */
  colours?: Readonly<Record<Quadrant, Rgb>>;
}

/**
 * Waits until the remote video in `page` shows the pattern, and returns the samples that matched.
 *
 * @throws with the last samples and the page's log if it does not within `timeoutMs`.
 */
export async function waitForRemotePattern(
  page: Page,
  timeoutMs: number = CALL_TIMEOUTS.pattern,
  options: PatternWaitOptions = {},
): Promise<PatternSamples> {
  const { selector = '#remote', colours = PATTERN_COLOURS } = options;
  const deadline = Date.now() + timeoutMs;
  let last: PatternSamples | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await samplePattern(callFrame(page), selector);
      if (patternMismatches(last, colours).length === 0) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await sleep(200);
  }
  const seen = last === undefined ? `no sample (${String(lastError)})` : describeSamples(last);
  const why = last === undefined ? '' : ` [${patternMismatches(last, colours).join('; ')}]`;
  throw new Error(
    `${page.url()}: ${selector} did not show the pattern within ${timeoutMs} ms. Last seen: ${seen}${why}\n` +
      `--- page log ---\n${await demoLog(page)}`,
  );
}

/**
 * Watches the remote video for `forMs` and throws if it ever shows the pattern (e.g. a receiver without the key, or
 * the server's view of encrypted media). Returns the last samples.
 */
export async function expectNoRemotePattern(
  page: Page,
  forMs: number,
  options: PatternWaitOptions = {},
): Promise<PatternSamples | undefined> {
  const { selector = '#remote', colours = PATTERN_COLOURS } = options;
  const deadline = Date.now() + forMs;
  let last: PatternSamples | undefined;
  do {
    last = await samplePattern(callFrame(page), selector);
    if (patternMismatches(last, colours).length === 0) {
      throw new Error(`${page.url()}: ${selector} showed the pattern, which it must not: ${describeSamples(last)}`);
    }
    await sleep(200);
  } while (Date.now() < deadline);
  return last;
}

/** The call's RTP counters (see `window.demo.stats()` in demo/public/call.js). */
export function callStats(page: Page): Promise<DemoStats> {
  return callFrame(page).evaluate(async () => {
    const demo = (window as DemoWindow).demo;
    if (!demo) throw new Error('no window.demo');
    return demo.stats();
  });
}

export interface AudioFlow {
  /** Inbound audio packets arrived during the window. */
  flowing: boolean;
  packetsReceived: number;
  /** Packets received during the window. */
  packetsDelta: number;
  /** Growth of `totalAudioEnergy` during the window (> 0 once decoded sound, not silence, is played out). */
  energyDelta: number;
}

/** Samples inbound audio counters twice, `windowMs` apart. */
export async function measureAudio(page: Page, windowMs = 1_000): Promise<AudioFlow> {
  const sum = (stats: DemoStats, key: 'packetsReceived' | 'totalAudioEnergy'): number =>
    stats.inbound.filter((s) => s.kind === 'audio').reduce((total, s) => total + s[key], 0);
  const before = await callStats(page);
  await sleep(windowMs);
  const after = await callStats(page);
  const packetsDelta = sum(after, 'packetsReceived') - sum(before, 'packetsReceived');
  return {
    flowing: packetsDelta > 0,
    packetsReceived: sum(after, 'packetsReceived'),
    packetsDelta,
    energyDelta: sum(after, 'totalAudioEnergy') - sum(before, 'totalAudioEnergy'),
  };
}

/** Whether inbound audio packets keep arriving (`packetsReceived` grows over `windowMs`). */
export async function audioFlowing(page: Page, windowMs = 1_000): Promise<boolean> {
  return (await measureAudio(page, windowMs)).flowing;
}

/**
 * Whether the page keeps decoding remote video (`framesDecoded` grows over `windowMs`). A `<video>` keeps showing its
 * last frame when frames stop (e.g. after a key change), so pair {@link waitForRemotePattern} with this when it
 * matters that the picture is live.
 */
export async function videoFlowing(page: Page, windowMs = 1_000): Promise<boolean> {
  const decoded = (stats: DemoStats): number =>
    stats.inbound.filter((s) => s.kind === 'video').reduce((total, s) => total + s.framesDecoded, 0);
  const before = decoded(await callStats(page));
  await sleep(windowMs);
  return decoded(await callStats(page)) > before;
}

/**
 * Framelock's own counters for the transforms of the tab(s) that run `room`, from the background's per-tab status in
 * `chrome.storage.session` (`tab:<id>`, what the badge and the UI show). Each id is `<frameId>/<transform id>`: the
 * frame whose bridge reported it. Tabs are found by URL, which the extension sees only on sites it holds the host
 * permission of: on any other site this returns `[]` whatever the background stored.
 */
export async function framelockTransforms(ext: ExtensionBrowser, room: string): Promise<TransformStats[]> {
  const statuses = (await ext.serviceWorker.evaluate(async (roomId: string) => {
    const tabs = await chrome.tabs.query({});
    const keys = tabs.filter((t) => t.url?.includes(`room=${roomId}`)).map((t) => `tab:${t.id}`);
    return Object.values(await chrome.storage.session.get(keys));
  }, room)) as TabStatus[];
  return statuses.flatMap((status) => status.transforms);
}

/** The toolbar badge's text on the first tab whose URL contains `urlPart` (null: no such tab). */
export async function tabBadge(ext: ExtensionBrowser, urlPart: string): Promise<string | null> {
  return ext.serviceWorker.evaluate(async (part: string) => {
    const tab = (await chrome.tabs.query({})).find((t) => t.url?.includes(part));
    return tab?.id === undefined ? null : chrome.action.getBadgeText({ tabId: tab.id });
  }, urlPart) as Promise<string | null>;
}

/**
 * The background's status of the first tab whose URL contains `urlPart` (what the popup and the badge show), or null
 * when there is no such tab or it has no status yet (so that a lookup gone wrong cannot pass for "no problem").
 */
export async function tabStatus(ext: ExtensionBrowser, urlPart: string): Promise<TabStatus | null> {
  return ext.serviceWorker.evaluate(async (part: string) => {
    const tab = (await chrome.tabs.query({})).find((t) => t.url?.includes(part));
    if (tab?.id === undefined) return null;
    const key = `tab:${tab.id}`;
    return ((await chrome.storage.session.get(key))[key] as TabStatus | undefined) ?? null;
  }, urlPart) as Promise<TabStatus | null>;
}

/** Waits until a transform of the call in `room` satisfies `test`, and returns it. */
export async function waitForTransform(
  ext: ExtensionBrowser,
  room: string,
  description: string,
  test: (s: TransformStats) => boolean,
  timeoutMs = 15_000,
): Promise<TransformStats> {
  return waitFor(async () => (await framelockTransforms(ext, room)).find(test), { description, timeoutMs });
}

/**
 * Waits until, in every participant's browser, Framelock's own counters for the call in `room` show audio and video
 * encrypted on send and decrypted on receive (more than `minDecrypted` frames each), and returns the receivers.
 */
export async function waitForProtectedCall(
  participants: readonly ExtensionBrowser[],
  room: string,
  minDecrypted = 10,
): Promise<TransformStats[]> {
  const receivers: TransformStats[] = [];
  for (const ext of participants) {
    for (const kind of ['video', 'audio'] as const) {
      await waitForTransform(
        ext,
        room,
        `${kind} encrypted`,
        (s) => s.side === 'send' && s.kind === kind && s.protected > 0,
      );
      receivers.push(
        await waitForTransform(
          ext,
          room,
          `${kind} decrypted`,
          (s) => s.side === 'receive' && s.kind === kind && s.protected > minDecrypted,
        ),
      );
    }
  }
  return receivers;
}

/**
 * Ends Framelock's transform worker of `page` (the dedicated worker named `framelock`) from inside, as DevTools can:
 * `Target.closeTarget` does not close dedicated workers, and the page itself cannot reach ours. Returns the worker's
 * URL (a new worker of ours starts from the same Blob URL).
 */
export async function killTransformWorker(page: Page): Promise<string> {
  const cdp = await page.createCDPSession();
  try {
    const { targetInfos } = await cdp.send('Target.getTargets');
    const urls = new Set(targetInfos.filter((t) => t.type === 'worker' && t.title === 'framelock').map((t) => t.url));
    const ours = page.workers().filter((w) => urls.has(w.url()));
    const [worker] = ours;
    if (worker === undefined || ours.length !== 1) throw new Error(`the page has ${ours.length} Framelock workers`);
    await worker.evaluate(() => self.close()).catch(() => undefined);
    await waitFor(() => !page.workers().includes(worker), { description: 'the transform worker to be gone' });
    return worker.url();
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}
