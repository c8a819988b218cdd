/**
 * @module The hostile page's log, `window.__hostile` (its JSON part: api.ts), and what writes to it: counts, alarms,
 * strings and byte lengths seen, errors. Also what this page made itself ({@link mine}): seeing its own ports, workers
 * and forged messages is no news.
 */
import type { Alarm, HostileApi } from './api.ts';
import {
  apply,
  defineProperty,
  getDescriptor,
  NativeSet,
  NativeWeakSet,
  push,
  setAdd,
  setHas,
  weakHas,
} from './natives.ts';

/** The log, and the attacks main.ts adds to it. */
export const H = {
  stage: 'first-script',
  stages: ['first-script'],
  counts: {},
  alarms: [],
  samples: [],
  strings: [],
  stringChars: 0,
  stringsDropped: 0,
  byteLengths: {},
  framelockEvents: [],
  natives: {},
  transforms: [],
  attacks: {},
  storage: null,
  errors: [],
} as unknown as HostileApi;
defineProperty(window, '__hostile', { value: H, enumerable: false, configurable: false, writable: false });

const MAX_STRING_CHARS = 8_000_000;
/** Buffer sizes of AES-128/256 keys, HMAC keys and HKDF outputs: worth an alarm whatever carries them. */
const KEY_SIZES = new NativeSet([16, 32, 48]);
const stringsSeen = new NativeSet<string>();
const alarmIndex: Record<string, Alarm> = {};

/** Ports, workers and channels this page made itself: seeing them is no news. */
export const mine = new NativeWeakSet<object>();

/**
 * Above 0 while this script does its own work (scanning, reading what it forged): the hooks then only count, so that
 * its own reads are neither scanned nor sampled.
 */
export const state = { busy: 0 };

/** Whether this page made `value` itself, or marked it as its own (forged messages carry `__hostileOwn`). */
export function isMine(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  if (apply(weakHas, mine, [value])) return true;
  try {
    const marker = getDescriptor(value, '__hostileOwn');
    return marker !== undefined && marker.value === true;
  } catch {
    return false;
  }
}

/** Something that went wrong in here (a hook must never break the page). */
export function error(where: string, e: unknown): void {
  if (H.errors.length < 200) push(H.errors, `${where}: ${(e as Error | undefined)?.message ?? String(e)}`);
}

export function count(hook: string): void {
  H.counts[hook] = (H.counts[hook] || 0) + 1;
}

/** Something Framelock must never show a page; the same one again only counts. */
export function alarm(kind: string, where: string, detail: unknown): void {
  const id = `${kind}|${where}|${detail}`;
  const existing = alarmIndex[id];
  if (existing) {
    existing.count++;
    return;
  }
  const entry = { kind, where, stage: H.stage, detail: String(detail).slice(0, 500), count: 1 };
  alarmIndex[id] = entry;
  push(H.alarms, entry);
}

/** Keeps `value` among the strings seen (the test searches them for the passphrase), up to a total size. */
export function noteString(value: string): void {
  if (apply(setHas, stringsSeen, [value])) return;
  apply(setAdd, stringsSeen, [value]);
  if (H.stringChars + value.length > MAX_STRING_CHARS) {
    H.stringsDropped++;
    return;
  }
  H.stringChars += value.length;
  push(H.strings, value);
}

/** Counts a buffer of `length` bytes, and raises an alarm if it has the size of a key. */
export function noteBytes(length: number, where: string, path: string): void {
  H.byteLengths[length] = (H.byteLengths[length] || 0) + 1;
  if (apply(setHas, KEY_SIZES, [length])) alarm('key-sized bytes', where, `${path}: ${length} bytes`);
}
