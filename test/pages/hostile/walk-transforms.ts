/**
 * @module The transforms of the call, as the page can reach them: the demo call's senders and receivers
 * (`window.demo`, demo/public/call.js), and every property of their transforms, own and inherited, read and scanned.
 */
import type { WalkedTransform } from './api.ts';
import { H, state } from './log.ts';
import { getNames, getProto, getSymbols, push, tagOf } from './natives.ts';
import { scan } from './scan.ts';

/** What the demo call page exposes as `window.demo` (the part this page uses). */
interface DemoCall {
  pc?: RTCPeerConnection;
  state?: string;
}

export const demoCall = (): DemoCall | undefined => (window as unknown as { demo?: DemoCall }).demo;

export type Endpoint = ['sender', RTCRtpSender] | ['receiver', RTCRtpReceiver];

/** Every sender and receiver of the call, with its side. */
export function senderAndReceivers(): Endpoint[] {
  const pc = demoCall()?.pc;
  if (!pc) return [];
  const out: Endpoint[] = [];
  for (const sender of pc.getSenders()) push(out, ['sender', sender]);
  for (const receiver of pc.getReceivers()) push(out, ['receiver', receiver]);
  return out;
}

/** Every property of every transform, own and inherited, read and scanned. */
export function walkTransforms(): WalkedTransform[] {
  const walked: WalkedTransform[] = [];
  for (const [side, endpoint] of senderAndReceivers()) {
    const transform = endpoint.transform;
    const entry: WalkedTransform = { side, kind: endpoint.track?.kind, tag: tagOf(transform), properties: [] };
    for (let object: unknown = transform; object !== null && typeof object === 'object'; object = getProto(object)) {
      for (const key of [...getNames(object), ...getSymbols(object)]) {
        const name = String(key);
        let summary: string;
        try {
          const value = (transform as unknown as Record<PropertyKey, unknown>)[key];
          state.busy++;
          try {
            summary = scan(value, `transform.${name}`);
          } finally {
            state.busy--;
          }
        } catch (e) {
          summary = `threw ${(e as Error | undefined)?.name}`;
        }
        push(entry.properties, `${tagOf(object)}.${name}: ${summary}`);
      }
    }
    push(walked, entry);
  }
  H.transforms = walked;
  return walked;
}
