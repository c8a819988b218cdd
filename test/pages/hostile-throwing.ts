/**
 * @module A hostile page script, for tests (`?hostile=throwing`): a page whose event handlers all throw. Every
 * connection gets, before the site's own listeners, throwing `on*` handlers and listeners for every event a connection
 * fires (track, negotiationneeded, icecandidate, state changes), throwing handlers on every remote and local track and
 * stream it sees, and window `error` / `unhandledrejection` handlers that throw in turn (and reject promises nobody
 * handles). Framelock must attach its transforms anyway: the call stays encrypted, and a peer without the key sees
 * nothing.
 *
 * window.__throwing: { thrown{where: n}, errors: n (error events window saw), rejections: n }
 */

// A module, so that its names stay its own (the bundle wraps it in a function, as the script it was).
export {};

const log = { thrown: {} as Record<string, number>, errors: 0, rejections: 0 };
Object.defineProperty(window, '__throwing', { value: log });

/** A handler that counts, then throws; every other call also leaves a rejected promise nobody handles. */
const thrower = (where: string) =>
  function throwing(): never {
    const count = (log.thrown[where] ?? 0) + 1;
    log.thrown[where] = count;
    if (count % 2 === 0) Promise.reject(new Error(`hostile: unhandled rejection in ${where}`));
    throw new Error(`hostile: ${where}`);
  };

window.onerror = () => {
  log.errors++;
  throw new Error('hostile: window.onerror');
};
window.addEventListener('error', () => {
  throw new Error('hostile: error listener');
});
window.addEventListener('unhandledrejection', () => {
  log.rejections++;
  throw new Error('hostile: unhandledrejection listener');
});

/** Throwing handlers on a track and, once, on the streams it came with. */
const seen = new WeakSet<MediaStreamTrack | MediaStream>();
function onTrackAndStreams(track: MediaStreamTrack, streams: readonly MediaStream[] = []): void {
  for (const target of [track, ...streams]) {
    if (seen.has(target)) continue;
    seen.add(target);
    const events = target instanceof MediaStream ? ['addtrack', 'removetrack'] : ['mute', 'unmute', 'ended'];
    for (const type of events) {
      (target as unknown as Record<string, unknown>)[`on${type}`] = thrower(`${type} handler`);
      target.addEventListener(type, thrower(`${type} listener`));
    }
  }
}

const EVENTS = [
  'track',
  'negotiationneeded',
  'icecandidate',
  'icecandidateerror',
  'icegatheringstatechange',
  'iceconnectionstatechange',
  'connectionstatechange',
  'signalingstatechange',
  'datachannel',
];
const NativePC = window.RTCPeerConnection;
window.RTCPeerConnection = class extends NativePC {
  constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
    super(...args);
    for (const type of EVENTS) {
      (this as unknown as Record<string, unknown>)[`on${type}`] = thrower(`on${type}`);
      this.addEventListener(type, thrower(`${type} listener`));
    }
    // And a track listener that first puts throwing handlers on what it got, then throws.
    this.addEventListener('track', (event) => {
      onTrackAndStreams(event.track, event.streams);
      thrower('track listener (tracks)')();
    });
  }
  override addTrack(track: MediaStreamTrack, ...streams: MediaStream[]): RTCRtpSender {
    onTrackAndStreams(track, streams);
    return super.addTrack(track, ...streams);
  }
};
