/**
 * @module The forged hand-off: the page plays the page script's part of Framelock's key hand-off after the fact, and
 * forges a problem report, to see what the content bridge gives a page that asks.
 */
import type { ForgeResult } from './api.ts';
import { H, isMine, mine, state } from './log.ts';
import {
  apply,
  customDetail,
  messageData,
  NativeCustomEvent,
  NativeMessageEvent,
  NativePromise,
  nativeAddEventListener,
  nativeDispatchEvent,
  nativeRemoveEventListener,
  nativeSetTimeout,
  push,
  tagOf,
  weakAdd,
} from './natives.ts';
import { observe } from './observe.ts';
import { scan } from './scan.ts';

/**
 * Plays the page script's part of the hand-off after the fact: asks the bridge to say hello (and keeps any nonce it
 * gives away), forges a bridge hello naming a worker of ours, hands the bridge ports of ours (as the page script
 * does, and through window.postMessage), pretends to be the worker on them (hellos with every nonce it has, key
 * requests, junk) and reports everything that came back. Resolves after `waitMs`.
 */
export function forge(waitMs = 3000): Promise<ForgeResult> {
  const result: ForgeResult = { nonces: [], helloEvents: 0, portMessages: [], windowMessages: 0, posted: [] };
  const own = <T>(value: T): T => {
    if (value !== null && typeof value === 'object') apply(weakAdd, mine, [value]);
    return value;
  };
  const onHello = (event: Event) => {
    if (isMine(event)) return;
    result.helloEvents++;
    const detail = apply(customDetail, event, []);
    state.busy++;
    try {
      scan(detail, 'forge: bridge hello');
    } finally {
      state.busy--;
    }
    if (typeof detail === 'string') push(result.nonces, detail);
  };
  apply(nativeAddEventListener, window, ['framelock:bridge-hello', onHello, true]);
  const fromFramelock = (where: string) => (event: MessageEvent) => {
    const data = apply(messageData, event, []);
    observe(where, data);
    push(result.portMessages, { where, summary: typeof data === 'object' ? tagOf(data) : typeof data });
  };

  // 1. Ask for the bridge's nonce the way our page script does (the bridge would answer at once).
  apply(nativeDispatchEvent, window, [own(new NativeCustomEvent('framelock:page-hello'))]);
  // 2. A bridge hello of our own: a page script still listening would hand its worker our nonce.
  apply(nativeDispatchEvent, window, [
    own(new NativeCustomEvent('framelock:bridge-hello', { detail: 'f'.repeat(32) })),
  ]);
  // 3. A port of ours, handed over as the page script hands over the worker's.
  const channel = new MessageChannel();
  channel.port1.onmessage = fromFramelock('forge: our port');
  apply(nativeDispatchEvent, window, [own(new NativeMessageEvent('framelock:port', { ports: [channel.port2] }))]);
  // 4. Pretend to be the worker: hellos with every nonce we have, then key requests, stats and junk.
  const nonces = [...result.nonces, 'forged', '', '0'.repeat(32)];
  const kid = (0xcn << 60n) | 0x123456789abcn;
  const junk: unknown[] = [
    ...nonces.map((nonce) => ({ type: 'hello', nonce })),
    { type: 'keys-request', kid, kind: 'video', endpoint: 'receive-video-1' },
    { type: 'keys-request', kid, kind: 'audio', endpoint: 'receive-audio-2' },
    { type: 'stats', stats: [] },
    { type: 'epoch-key', epoch: 0, key: 'AAAAAAAAAAAAAAAAAAAAAA==' },
    { type: 'epoch-keys', room: '', now: Date.now(), keys: [{ epoch: 0, key: 'AAAAAAAAAAAAAAAAAAAAAA==' }] },
    { type: 'epoch-keys-request', epochs: [0, 1, 2] },
    'junk',
    42,
    null,
    new Uint8Array(16),
  ];
  for (const message of junk) {
    own(message);
    try {
      channel.port1.postMessage(message);
      push(
        result.posted,
        typeof message === 'object' && message !== null ? ((message as { type?: string }).type ?? 'bytes') : message,
      );
    } catch (e) {
      push(result.posted, `threw ${(e as Error | undefined)?.name}`);
    }
  }
  // 5. A second port the same way, and one through window.postMessage with a protocol lookalike.
  const second = new MessageChannel();
  second.port1.onmessage = fromFramelock('forge: second port');
  apply(nativeDispatchEvent, window, [own(new NativeMessageEvent('framelock:port', { ports: [second.port2] }))]);
  second.port1.postMessage(own({ type: 'hello', nonce: nonces[0] }));
  const third = new MessageChannel();
  third.port1.onmessage = fromFramelock('forge: port via window.postMessage');
  const onWindowMessage = () => {
    result.windowMessages++;
  };
  apply(nativeAddEventListener, window, ['message', onWindowMessage, true]);
  window.postMessage({ __hostileOwn: true, type: 'framelock/port', nonce: nonces[0] }, '*', [third.port2]);
  window.postMessage({ __hostileOwn: true, type: 'hello', nonce: nonces[0] }, '*');
  third.port1.postMessage(own({ type: 'hello', nonce: nonces[0] }));
  return new NativePromise((resolve) => {
    nativeSetTimeout(() => {
      apply(nativeRemoveEventListener, window, ['framelock:bridge-hello', onHello, true]);
      apply(nativeRemoveEventListener, window, ['message', onWindowMessage, true]);
      H.forged = result;
      resolve(result);
    }, waitMs);
  });
}

/** Dispatches a problem report as if our page script had found one (the page has no business doing so). */
export function forgeProblem(problem = 'worker_blocked'): void {
  const event = new NativeCustomEvent('framelock:problem', { detail: problem });
  apply(weakAdd, mine, [event]);
  apply(nativeDispatchEvent, window, [event]);
}
