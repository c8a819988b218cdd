/**
 * @module The hooks on the page realm's built-ins, installed at every stage (main.ts), in this order; the page's own
 * capturing listeners for the hand-off's events; and what the patched built-ins look like to the page (their
 * `toString`, which Framelock makes look native).
 */
import { hookCalls } from './hook-calls.ts';
import { hookCrypto } from './hook-crypto.ts';
import { hookMessages, labelOf } from './hook-messages.ts';
import { hookOwnChannels } from './hook-own-channels.ts';
import { hookPromises } from './hook-promises.ts';
import { H } from './log.ts';
import { apply, fnToString, getDescriptor, nativeAddEventListener, page } from './natives.ts';
import { observeEvent } from './observe.ts';

/** Replaces every built-in a key hand-off could touch; re-applied hooks skip what is already ours (replace.ts). */
export function installHooks(): void {
  hookMessages();
  hookCrypto();
  hookPromises();
  hookCalls();
  // Our own channels and workers are no news.
  hookOwnChannels();
}

/** Listeners of our own for the hand-off's events, and for every message, on window and document. */
const FRAMELOCK_EVENTS = ['framelock:bridge-hello', 'framelock:page-hello', 'framelock:port', 'framelock:problem'];
export function listenForHandshake(): void {
  for (const target of [window, document]) {
    for (const type of [...FRAMELOCK_EVENTS, 'message', 'messageerror']) {
      apply(nativeAddEventListener, target, [
        type,
        (event: Event) => observeEvent(`capture ${labelOf(target)}`, event),
        true,
      ]);
    }
  }
}

/** Function.prototype.toString of the built-ins Framelock patches, as the page sees them now. */
export function recordNatives(): void {
  const read = (label: string, fn: unknown) => {
    try {
      H.natives[label] = typeof fn === 'function' ? apply(fnToString, fn, []) : String(fn);
    } catch (e) {
      H.natives[label] = `threw ${(e as Error | undefined)?.message}`;
    }
  };
  read('RTCPeerConnection', window.RTCPeerConnection);
  const pcProto = window.RTCPeerConnection?.prototype as unknown as Record<string, unknown> | undefined;
  for (const name of ['addTrack', 'addTransceiver', 'setLocalDescription', 'setRemoteDescription', 'getSenders']) {
    read(`RTCPeerConnection.prototype.${name}`, pcProto?.[name]);
  }
  read('RTCPeerConnection.prototype.constructor', pcProto?.constructor);
  const senderTransform = getDescriptor(page.RTCRtpSender?.prototype ?? {}, 'transform');
  read('RTCRtpSender.prototype.transform set', senderTransform?.set);
  H.natives['RTCRtpSender.prototype.transform configurable'] = String(senderTransform?.configurable);
}
