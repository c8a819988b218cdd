/**
 * @module What every hook does with what it is handed: count it, scan it (scan.ts) unless this script is at work
 * itself, and keep a summary among the first samples of the hook. Events are read natively (type, data, ports,
 * detail), and events of Framelock's hand-off (`framelock:` types) are logged whole.
 */
import { count, error, H, isMine, state } from './log.ts';
import {
  apply,
  customDetail,
  eventType,
  messageData,
  messagePorts,
  NativeCustomEvent,
  NativeMessageEvent,
  push,
  regexpTest,
} from './natives.ts';
import { scan } from './scan.ts';

const MAX_SAMPLES_PER_HOOK = 8;
const sampleCounts: Record<string, number> = {};
const FRAMELOCK = /framelock/i;

/** Scans `value` and keeps a summary among the first samples of `hook`. Never throws. */
export function observe(hook: string, value: unknown, extra?: unknown): void {
  count(hook);
  if (state.busy > 0) return;
  state.busy++;
  try {
    const summary = scan(value, hook);
    sampleCounts[hook] = (sampleCounts[hook] || 0) + 1;
    if ((sampleCounts[hook] as number) <= MAX_SAMPLES_PER_HOOK) {
      push(H.samples, { hook, stage: H.stage, extra: extra === undefined ? '' : String(extra), summary });
    }
  } catch (e) {
    error(`observe ${hook}`, e);
  } finally {
    state.busy--;
  }
}

/** What a page can learn from an event it was handed: its type, and data / ports / detail read natively. */
export function observeEvent(hook: string, event: unknown): void {
  if (state.busy > 0 || isMine(event)) return;
  if (event instanceof NativeMessageEvent) {
    try {
      if (isMine(apply(messageData, event, []))) return; // one of our forged messages, delivered
    } catch {
      // not a real MessageEvent: looked at below
    }
  }
  let type: unknown = '?';
  try {
    type = apply(eventType, event, []);
  } catch {
    observe(hook, event);
    return;
  }
  if (typeof type === 'string' && apply(regexpTest, FRAMELOCK, [type])) {
    let detail = '';
    state.busy++;
    try {
      detail = scan(event instanceof NativeCustomEvent ? apply(customDetail, event, []) : undefined, hook);
    } finally {
      state.busy--;
    }
    push(H.framelockEvents, { hook, stage: H.stage, type, detail });
  }
  if (event instanceof NativeMessageEvent) {
    try {
      observe(`${hook} data`, apply(messageData, event, []), type);
      observe(`${hook} ports`, apply(messagePorts, event, []), type);
    } catch (e) {
      error(hook, e);
    }
  } else if (event instanceof NativeCustomEvent) {
    observe(`${hook} detail`, apply(customDetail, event, []), type);
  } else {
    observe(hook, event, type);
  }
}
