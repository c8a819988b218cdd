/**
 * @module Transform worker entry. Created by the page script from a Blob URL in the page's origin that holds this file's
 * bundle (the page script carries it: scripts/injected-scripts.ts; no request loads it), it owns every Framelock
 * transform of its page: RTCRtpScriptTransform hands it each sender's and receiver's encoded frames, and a private
 * MessagePort (the first and only port it accepts) connects it to the content bridge, which supplies frame keys. It
 * never sees a passphrase, a room key, an epoch base key or a sender key: only frame keys, and the key exchange's sealed
 * messages, which it carries in-band (docs/keys.md) without being able to open them.
 */
import * as v from 'valibot';
import { TRACK_BITS } from '../codecs';
import { BridgeToWorkerSchema, type TransformStats, type WorkerToBridge } from '../shared/messages';
import { PagePortHandoffSchema, TransformOptionsSchema, type WorkerToPage } from '../shared/messages/page-worker';
import { SESSION_GRACE_MS, STATS_INTERVAL_MS } from './constants';
import { ControlOutbox } from './control-outbox';
import { FeedCheck } from './feed';
import { Keyring } from './keyring';
import { ReceiveSession } from './receive-session';
import { SendSession } from './send-session';
import type { CallState, EncodedFrame, SessionHost } from './session';

/** To the page script's Worker object, which the site never gets (src/page/patch.ts reads it). */
function postToPage(message: WorkerToPage): void {
  postMessage(message);
}

let port: MessagePort | undefined;
/** This worker replaced a stopped one and has not yet had the bridge's `resume` message. */
let resumed = false;
/** Receivers that delivered authenticated frames under the worker this one replaced (from `resume`). */
let authenticatedBefore = new Set<string>();
/** The call our senders send in (the bridge starts it); undefined before, and after `no-key`. */
let call: CallState | undefined;
/** Calls this worker has seen (a new one gives its senders new track numbers). */
let calls = 0;
/** The next track number of the call. */
let nextTrack = 0;
/** Strict mode: receivers drop plaintext from the start. */
let strict = false;
/** The frame is not an enabled site's (`stand-aside`, Firefox: another port of its host): frames pass untouched. */
let standingAside = false;

/** No key material at all (`no-key`, `stand-aside`): no call, no frame key, nothing queued to carry. */
function forgetKeys(): void {
  call = undefined;
  keyring.clear();
  outbox.clear();
}

function post(message: WorkerToBridge): void {
  port?.postMessage(message);
}

const keyring = new Keyring((kid, kind, endpoint) => post({ type: 'keys-request', kid, kind, endpoint }));
/** The key exchange's messages, carried in-band on every sender (control-outbox.ts). */
const outbox = new ControlOutbox({
  onSent: (id) => post({ type: 'control-sent', id }),
  // Pushed out of a full queue: it reached nobody. The bridge's next STATE (every hello) says it all again.
  onDropped: () => {},
});

interface Running {
  side: 'send' | 'receive';
  session: SendSession | ReceiveSession;
  /**
   * The transformer now feeding the session. Held here on purpose: Chromium ends a detached transformer's streams
   * through a weak handle, so a transformer nobody holds could be collected and its end never seen.
   */
  transformer: RTCRtpScriptTransformer;
  /** When its transformer ended (Date.now()), if it did; the session is forgotten SESSION_GRACE_MS later. */
  endedAt?: number;
  /** Put back after the site removed it: whether to ask for a fresh transform when frames stop (feed.ts). */
  feed?: FeedCheck;
}
const sessions = new Map<string, Running>();
/** Transforms without an id (our page script always gives one). */
let unnamed = 0;

/**
 * A message of the bridge, checked against `BridgeToWorkerSchema` although only the bridge holds the other end of the
 * port: a bug must fail closed, never half-install a key.
 */
async function onBridgeMessage(event: MessageEvent): Promise<void> {
  const parsed = v.safeParse(BridgeToWorkerSchema, event.data);
  if (!parsed.success) return;
  const message = parsed.output;
  switch (message.type) {
    case 'call':
      if (call?.participant === message.participant) break;
      // A new call: nothing of the last one is used again (its keys, its track numbers, its queued messages).
      keyring.clear();
      outbox.clear();
      nextTrack = 0;
      call = { number: ++calls, participant: message.participant, generation: 0 };
      break;
    case 'generation':
      if (call === undefined) break;
      call = {
        number: call.number,
        participant: call.participant,
        generation: message.current,
        ...(message.next !== undefined ? { next: message.next } : {}),
      };
      break;
    case 'retire':
      keyring.retire(message.participant, message.generation);
      break;
    case 'control-send':
      outbox.enqueue(message.id, message.bytes);
      break;
    case 'keys':
      await keyring.install(message.kind, message.kid, message.keys);
      break;
    case 'keys-refused':
      keyring.refuse(message.kind, message.kid, {
        reason: message.reason,
        ...(message.distance !== undefined ? { distance: message.distance } : {}),
      });
      break;
    case 'resume':
      if (!resumed) break; // told once, first thing; a second list would reopen nothing
      resumed = false;
      authenticatedBefore = new Set(message.authenticated);
      for (const [id, { session }] of sessions) {
        if (!(session instanceof ReceiveSession)) continue;
        if (authenticatedBefore.has(id)) session.plaintext.markAuthenticated();
        session.plaintext.hold = false;
      }
      break;
    case 'settings':
      strict = message.strict;
      for (const { session } of sessions.values())
        if (session instanceof ReceiveSession) session.plaintext.strict = strict;
      break;
    case 'stand-aside':
      standingAside = true;
      forgetKeys();
      break;
    case 'no-key':
      forgetKeys();
      break;
  }
}

/** The page script's hand-off of the bridge's port (the first message on our global scope, and the only one taken). */
function accept(event: MessageEvent): void {
  if (port !== undefined) return; // only the first port, handed over before any page script ran
  const [first] = event.ports;
  const untrustedHandoff: unknown = event.data;
  const handoff = v.safeParse(PagePortHandoffSchema, untrustedHandoff);
  if (!handoff.success || first === undefined) return;
  const { nonce } = handoff.output;
  port = first;
  // A worker that replaces a stopped one (the page script says so; the page cannot reach us): its receivers drop
  // plaintext until the bridge says which tracks were protected.
  resumed = handoff.output.resumed === true;
  port.onmessage = (e: MessageEvent) => void onBridgeMessage(e);
  // Prove to the bridge that we are the worker its page script made: only that script saw the nonce.
  post({ type: 'hello', nonce });
}

/**
 * A transform of ours was attached: starts its session, or goes on with the one it was put back for. Options that do
 * not match {@link TransformOptionsSchema} start nothing: that sender or receiver then carries no media (fail closed).
 */
function startTransform(transformer: RTCRtpScriptTransformer): void {
  // Built by our page script, but structured-cloned through the page's realm: checked like anything from the page.
  const untrustedOptions: unknown = transformer.options;
  const parsed = v.safeParse(TransformOptionsSchema, untrustedOptions);
  if (!parsed.success) return;
  const options = parsed.output;
  const { side, kind } = options;
  const id = options.id ?? `${side}-unnamed-${++unnamed}`;
  const previous = sessions.get(id);
  let running: Running;
  if (previous !== undefined && previous.side === side && previous.session.kind === kind) {
    // The page script put a transform back where the site had removed ours: the same session goes on, so a sender
    // keeps its KID and counter, and a receiver that delivered authenticated frames keeps refusing plaintext.
    running = previous;
    running.transformer = transformer;
    delete running.endedAt;
    // Meanwhile the decoder got frames that were not ours (the site's transform's), or none: start it on a keyframe.
    running.session.expectGap();
    // A transform that was fed before must be fed again: Chromium may hand the frames to nobody (feed.ts).
    const frames = running.session.frames();
    if (frames > 0) running.feed = new FeedCheck(frames, Date.now(), running.feed?.renewals);
  } else {
    const host: SessionHost = {
      keyring,
      call: () => call,
      newTrack: () => (nextTrack < 1 << TRACK_BITS ? nextTrack++ : undefined),
      outbox,
      onControl: (bytes) => post({ type: 'control-received', bytes }),
      requestKeyFrame: () => {
        const current = running.transformer;
        // Optional calls: Chromium 156's transformer has no generateKeyFrame, whatever the WebWorker lib declares.
        const request = side === 'send' ? current.generateKeyFrame?.() : current.sendKeyFrameRequest?.();
        request?.catch(() => {}); // not every frame type or state allows it: best effort
      },
    };
    const session = side === 'send' ? new SendSession(id, kind, host) : new ReceiveSession(id, kind, host);
    if (session instanceof ReceiveSession) {
      session.plaintext.strict = strict;
      if (options.trackId !== undefined) session.trackId = options.trackId;
      session.plaintext.hold = resumed;
      if (authenticatedBefore.has(id)) session.plaintext.markAuthenticated();
    }
    running = { side, session, transformer };
    sessions.set(id, running);
  }
  const { session } = running;
  void run(transformer, session).finally(() => {
    // Tell the page script that a transform of ours stopped: it checks that ours are all still attached (a site that
    // replaced ours through another realm's setter is caught here within milliseconds). Nothing in it.
    postToPage(null);
    if (running.transformer !== transformer) return; // already restored: the session goes on
    post({ type: 'stats', stats: [session.snapshot(side)] });
    running.endedAt = Date.now();
  });
}

/**
 * Moves frames from the transformer's readable to its writable through the session, one at a time and in order. A
 * reader and a writer of our own rather than pipeThrough(new TransformStream(...)): per frame that is one pipe and
 * one stream queue fewer, whose promise hops cost more than the rest of our JavaScript on a received video frame.
 * Ends when the transform is detached (its streams error) or the connection closes.
 */
async function run(transformer: RTCRtpScriptTransformer, session: SendSession | ReceiveSession): Promise<void> {
  const reader: ReadableStreamDefaultReader<EncodedFrame> = transformer.readable.getReader();
  const writer: WritableStreamDefaultWriter<EncodedFrame> = transformer.writable.getWriter();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (standingAside || (await session.process(value))) {
        // Not awaited: the sink is native and takes frames at once. A failed write loses that frame only.
        writer.write(value).catch(() => {});
      }
    }
  } catch {
    // the transform was detached or the connection closed
  } finally {
    reader.releaseLock();
    writer.releaseLock();
  }
}

addEventListener('message', accept);
addEventListener('rtctransform', (event) => {
  if (event.transformer) startTransform(event.transformer);
});

// Every second, even with no transform: the bridge takes a silence of several seconds as this worker gone.
setInterval(() => {
  const stats: TransformStats[] = [];
  const now = Date.now();
  for (const [id, running] of sessions) {
    const { side, session, endedAt, feed } = running;
    if (endedAt === undefined) {
      stats.push(session.snapshot(side));
      if (session instanceof ReceiveSession) session.retryKeyFrame();
      // The page script attaches a fresh transform of ours with this id (the only message to it with any data).
      if (feed?.check(session.frames(), now)) postToPage(id);
    } else if (now - endedAt >= SESSION_GRACE_MS) sessions.delete(id);
  }
  post({ type: 'stats', stats });
  // Keys of senders that never authenticated a frame (a flood's junk KIDs) go again (src/worker/keyring.ts).
  keyring.sweep();
}, STATS_INTERVAL_MS);
