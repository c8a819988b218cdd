/**
 * @module The data-channel test page's module (`/data-channels.js`): installs the page script's patch
 * (src/page/patch.ts) in this page, as the extension would, with the fake DataLink (fake-link.ts) instead of the
 * bridge, and puts helpers on `window.__dc` (api.ts). Runs after tap.ts, so the patch's "native" send is the tap.
 */
import { installPatch } from '../../../src/page/patch';
import type { DcApi, Pair, PairOptions, Seen } from './api';
import { createFakeDataLink, type FakeBehaviour } from './fake-link';
import { hookBuiltins } from './hooks';
import { quietly } from './quiet';

const link = createFakeDataLink();
// The media half needs a worker; no connection here carries media, so an empty one does.
const worker = new Worker(URL.createObjectURL(new Blob([''], { type: 'text/javascript' })));
installPatch(worker, () => {}, link);

let connections = 0;

function newPc(behaviour?: Partial<FakeBehaviour>): { pc: RTCPeerConnection; id: number } {
  const pc = new RTCPeerConnection();
  const id = ++connections; // the patch numbers this realm's connections the same way
  if (behaviour) link.behave(id, behaviour);
  return { pc, id };
}

/** Open, waited for with `onopen` and plain awaits: pair() runs under hooks.ts's hooks too (no Promise.all, no then). */
async function opened(channel: RTCDataChannel): Promise<void> {
  if (quietly(() => channel.readyState) === 'open') return;
  await new Promise<void>((resolve) => {
    channel.onopen = () => resolve();
  });
}

async function pair(options: PairOptions = {}): Promise<Pair> {
  const { pc: a, id: idA } = newPc(options.behaviourA);
  let b: RTCPeerConnection;
  let idB = 0;
  if (options.bInFrame) {
    const realm = quietly(() => {
      const frame = document.createElement('iframe');
      document.body.append(frame);
      return frame.contentWindow as unknown as typeof window;
    });
    b = new realm.RTCPeerConnection();
  } else ({ pc: b, id: idB } = newPc(options.behaviourB));
  a.onicecandidate = (e) => e.candidate && void b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && void a.addIceCandidate(e.candidate);
  const ab = a.createDataChannel(options.label ?? 'chat');
  const incoming = new Promise<RTCDataChannel>((resolve) => {
    b.ondatachannel = (e) => resolve(quietly(() => e.channel));
  });
  if (options.implicit) {
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription as RTCSessionDescription);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription as RTCSessionDescription);
  } else {
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription as RTCSessionDescription);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription as RTCSessionDescription);
  }
  const ba = await incoming;
  if (options.binaryTypeB) ba.binaryType = options.binaryTypeB;
  await opened(ab);
  await opened(ba);
  // The answerer decides once the offerer's confirmation came (src/page/data-sdp.ts): wait for it, so that a test's
  // first message is not what decides.
  if (idB !== 0) await decided(idB);
  return { a, b, idA, idB, ab, ba };
}

/** Waits (at most 5 s) until the patch told the link connection `id`'s decision. */
async function decided(id: number): Promise<void> {
  const deadline = quietly(() => Date.now()) + 5_000;
  while (!quietly(() => link.calls.some((c) => c.member === 'decided' && c.connection === id))) {
    if (quietly(() => Date.now()) > deadline) return;
    await new Promise<void>((resolve) => {
      quietly(() => setTimeout(resolve, 10));
    });
  }
}

const records = new WeakMap<RTCDataChannel, { via: Seen['via']; trusted: boolean; data: unknown }[]>();

/** The site's listeners: their own work is quiet (they read `data` through the getter the hooks wrap). */
function watch(channel: RTCDataChannel): void {
  quietly(() => {
    const log: { via: Seen['via']; trusted: boolean; data: unknown }[] = [];
    records.set(channel, log);
    channel.onmessage = (e) => quietly(() => log.push({ via: 'onmessage', trusted: e.isTrusted, data: e.data }));
    channel.addEventListener('message', (e) =>
      quietly(() => log.push({ via: 'listener', trusted: e.isTrusted, data: e.data })),
    );
  });
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function describe(bytes: ArrayBuffer): string {
  try {
    return decoder.decode(bytes);
  } catch {
    return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }
}

async function seen(channel: RTCDataChannel): Promise<Seen[]> {
  const log = records.get(channel) ?? [];
  const out: Seen[] = [];
  for (const { via, trusted, data } of log) {
    if (typeof data === 'string') out.push({ via, trusted, type: 'string', value: data });
    else if (data instanceof Blob) out.push({ via, trusted, type: 'Blob', value: describe(await data.arrayBuffer()) });
    else if (data instanceof ArrayBuffer) out.push({ via, trusted, type: 'ArrayBuffer', value: describe(data) });
    else out.push({ via, trusted, type: Object.prototype.toString.call(data), value: String(data) });
  }
  return out;
}

async function waitSeen(channel: RTCDataChannel, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = records.get(channel) ?? [];
    const each = (via: Seen['via']) => log.filter((r) => r.via === via).length;
    if (each('onmessage') >= count && each('listener') >= count) return;
    if (Date.now() > deadline) {
      throw new Error(`saw ${each('onmessage')} / ${each('listener')} of ${count} messages in ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const api: DcApi = { link, newPc, pair, watch, seen, waitSeen, hookBuiltins };
(window as unknown as { __dc: DcApi }).__dc = api;
