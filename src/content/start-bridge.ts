/**
 * @module Creates the parts of the content bridge and wires them together. Everything that touches the browser comes
 * in through {@link BridgeEnvironment} (the frame's `window`, the runtime port, the clock and timers, the indicator),
 * so the whole bridge runs in plain unit tests (test/unit/bridge-*.test.ts); src/content/bridge.ts passes the real
 * ones.
 *
 * ```
 *  page script ──hand-off (window, once)──▶ handoff.ts
 *        │ reports port                      │ worker port
 *        ▼                                   ▼
 *  PageScriptLink ◀──restart-worker── WorkerLink ──keys-request──▶ KeyServer ◀── EpochSchedule
 *        │ problems                          │ stats                                 ▲ epoch-keys
 *        ▼                                   ▼                                       │
 *                    BackgroundLink (runtime port, reconnect) ───────────────────────┘
 *                        │ chat-send, chat-history ▲ chat, chat-result
 *                        ▼                         │
 *                    ChatLink (transcript) ◀──onChat── CallLink ──sendChat──▶ Call
 *
 *  page script ──data requests (reports port)──▶ DataService (data/service.ts) ◀── EpochSchedule's keys
 *             ◀──one reply each────────────────       │ report
 *                                                     ▼
 *                                                 DataReporter ──data-channels──▶ BackgroundLink
 * ```
 */
import * as v from 'valibot';
import { BackgroundToBridgeSchema, type BridgeToBackground } from '../shared/messages';
import { BackgroundLink, type RuntimePort } from './background-link';
import { CallLink } from './call-link';
import { ChatLink } from './chat-link';
import { RejectionTally } from './checks';
import { HANDOFF_DEADLINE_MS } from './constants';
import { DataReporter } from './data/reporter';
import { answerDataRequest } from './data/requests';
import { DataService } from './data/service';
import { EpochSchedule } from './epoch-schedule';
import { Call } from './exchange/call';
import { listenForHandoff } from './handoff';
import type { BridgeIndicator } from './indicator';
import { KeyRequestQuota } from './key-quota';
import { KeyServer } from './key-server';
import { newNonce as drawNonce } from './nonce';
import { PageScriptLink } from './page-script-link';
import { systemTimers, type Timers } from './timers';
import { WorkerLink } from './worker-link';
import { createStatsRelay } from './worker-stats';

export interface BridgeEnvironment {
  /** The frame's `window`, where the hand-off's events cross from the page script's world. */
  window: EventTarget;
  /** Opens the runtime port to the background (`browser.runtime.connect`). */
  connect(): RuntimePort;
  indicator: BridgeIndicator;
  /** Page script could have reached this frame's realm first (src/content/unsafe-realm.ts): no keys at all. */
  unsafeRealm: boolean;
  timers?: Timers;
  newNonce?: () => string;
  /** Tears the bridge down: listeners, timers and the runtime port. Never aborted in the extension. */
  signal?: AbortSignal;
}

/** Starts the bridge: says hello to the page script and connects to the background. */
export function startBridge(env: BridgeEnvironment): void {
  const { indicator, unsafeRealm, signal } = env;
  const timers = env.timers ?? systemTimers;
  const newNonce = env.newNonce ?? drawNonce;

  /**
   * The background said the site is blocked (`tampering_blocked`): no key for the rest of this page load, even if
   * the user allows the site again meanwhile: its calls are closed.
   */
  let siteBlocked = false;
  /** The site's settings, as the background last sent them. */
  let settings = { strict: false, indicator: true };
  /** The background said this frame is not its site's (`stand-aside`): repeated to every new worker. */
  let standingAside = false;

  // The parts reach one another through closures (`worker.post`, ...), which run only once every part exists: the
  // first (`onConnect`) at the end of this function, the others at the hand-off or when the background answers.
  const background = new BackgroundLink({
    connect: env.connect,
    timers,
    signal,
    onMessage: (untrustedMessage) => void onBackgroundMessage(untrustedMessage),
    onConnect: () => {
      if (unsafeRealm) background.post({ type: 'problem', problem: 'unsafe_frame' });
      call.reannounce();
      dataReports.resend();
    },
  });
  const toBackground = (message: BridgeToBackground): void => background.post(message);
  /** Messages refused from the page side, reported to the background (which counts them for `diagnostics/get`). */
  const rejections = new RejectionTally((counts) => toBackground({ type: 'rejections', counts }));

  const page = new PageScriptLink({
    unsafeRealm,
    rejections,
    indicator,
    toBackground,
    onWorkerPort: (port) => worker.attach(port),
    onDataRequest: (request) =>
      void answerDataRequest(data, request).then(({ reply, transfer }) => {
        page.replyData(reply, transfer);
        dataReports.changed();
      }),
  });
  const quota = new KeyRequestQuota(() => timers.now());
  const epochs = new EpochSchedule({
    timers,
    signal,
    requestKeys: (wanted) => toBackground({ type: 'epoch-keys-request', epochs: wanted }),
    // Epoch keys seal only the call's exchange (src/content/exchange): the worker needs no epoch.
    onEpoch: () => keysAnswered(),
    onDrop: () => {
      data.clear(); // the site's data channels lose their keys with the room's: what was protected stays closed
      dataReports.cleared();
      call.end();
      quota.forgetSenders();
      worker.post({ type: 'no-key' });
    },
  });
  const call: CallLink = new CallLink({
    unsafeRealm,
    timers,
    epochs,
    toWorker: (message) => worker.post(message),
    toBackground,
    onKeys: () => void keys.answerPending(),
    onMemberKey: (participant, generation) => void keys.prime(participant, generation),
    onEnd: () => {
      keys.forgetCall();
      chat.clear(); // the call's messages go with its keys
    },
    onChat: (message) => chat.onReceived(message),
    startCall: (host) => Call.start(host),
  });
  const chat = new ChatLink({
    timers,
    toBackground,
    sendChat: (text, name) => call.sendChat(text, name),
    inCall: () => call.participant !== undefined,
  });
  /**
   * Whether the background answered our first key request (keys, or none): a data line asked for before waits for
   * it (DataService `keysReady`), at most a moment.
   */
  let keysKnown = unsafeRealm; // an unsafe realm never gets keys: nothing to wait for
  const keyWaiters = new Set<() => void>();
  function keysAnswered(): void {
    keysKnown = true;
    for (const resolve of keyWaiters) resolve();
    keyWaiters.clear();
  }
  /** The site's own data-channel messages (issue 16 part 2): keys per connection, from the room's epoch keys. */
  const data = new DataService({
    epochs,
    now: () => timers.now(),
    keysReady: (withinMs) =>
      new Promise<void>((resolve) => {
        if (keysKnown) return resolve();
        keyWaiters.add(resolve);
        timers.setTimeout(() => {
          keyWaiters.delete(resolve);
          resolve();
        }, withinMs);
      }),
  });
  const dataReports = new DataReporter({
    timers,
    report: () => data.report(),
    send: (channels) => toBackground({ type: 'data-channels', channels }),
  });
  const keys = new KeyServer({ unsafeRealm, call, quota, toWorker: (message) => worker.post(message) });
  /** The nonce of the document_start hand-off (in the hello events, before any page script runs). */
  const handoffNonce = newNonce();
  const worker: WorkerLink = new WorkerLink({
    nonce: handoffNonce,
    newNonce,
    unsafeRealm,
    timers,
    signal,
    rejections,
    indicator,
    page,
    toBackground,
    onTrusted: () => {
      worker.post({ type: 'settings', strict: settings.strict });
      if (standingAside) worker.post({ type: 'stand-aside' });
    },
    onKeyRequest: (request) => keys.answer(request),
    onStats: (stats) => {
      relayStats(stats);
      void call.noteStats(stats);
    },
    onControlSent: (id) => call.sent(id),
    onControlReceived: (bytes) => call.received(bytes),
    onRestart: () => {
      // A new worker starts its senders over: it must not send under our participant id again (same KIDs, same keys,
      // counters from 0). Its media starts a new call.
      call.end();
      keys.forgetPending();
    },
  });
  const relayStats = createStatsRelay({
    unsafeRealm,
    indicator,
    toBackground,
    noteAuthenticated: (id) => worker.noteAuthenticated(id),
    prove: (endpoint, sender) => quota.prove(endpoint, sender),
  });

  /** What the background sends: checked against its schema, and nothing taken in an unsafe realm. */
  async function onBackgroundMessage(untrustedMessage: unknown): Promise<void> {
    const parsed = v.safeParse(BackgroundToBridgeSchema, untrustedMessage);
    if (!parsed.success) return; // our own background: a bug, which must not half-apply
    const message = parsed.output;
    // Never take a key into a frame the page may control; blocked for the rest of this load, even if the user allows
    // the site again meanwhile: its calls are closed. Neither runs a call, so a chat message is answered `ended`.
    if (unsafeRealm || siteBlocked) {
      if (message.type === 'chat-send') toBackground({ type: 'chat-result', id: message.id, result: 'ended' });
      return;
    }
    switch (message.type) {
      case 'blocked':
        siteBlocked = true;
        epochs.drop();
        keysAnswered();
        page.block();
        break;
      case 'epoch-keys':
        if (await epochs.accept(message)) await keys.answerPending();
        break;
      case 'no-key':
        epochs.drop();
        keysAnswered();
        break;
      case 'stand-aside':
        standingAside = true;
        epochs.drop();
        keysAnswered();
        indicator.setEnabled(false);
        worker.post({ type: 'stand-aside' });
        page.standAside();
        break;
      case 'settings':
        settings = { strict: message.strict, indicator: message.indicator };
        worker.post({ type: 'settings', strict: settings.strict });
        indicator.setEnabled(settings.indicator);
        break;
      case 'chat-send':
        await chat.send(message.id, message.text, message.name);
        break;
      case 'chat-history':
        chat.history();
        break;
    }
  }

  let handedOff = false;
  listenForHandoff(
    env.window,
    handoffNonce,
    (workerPort, reportsPort) => {
      handedOff = true;
      worker.attach(workerPort);
      if (reportsPort !== undefined) page.attach(reportsPort);
    },
    signal,
  );
  // Without the page script's hand-off, nothing patched this frame's RTCPeerConnection: its calls would leave in clear,
  // and nothing else would say so (the tab would show no transform and no problem). Tell the user.
  timers.setTimeout(() => {
    if (handedOff || signal?.aborted) return;
    indicator.noteProblem();
    toBackground({ type: 'problem', problem: 'page_script_missing' });
  }, HANDOFF_DEADLINE_MS);
  background.connect();
}
