/**
 * @module A hostile page script, for tests: what a site that wants Framelock's secrets would run. The test server puts
 * it first thing in <head> (`?hostile=1`: test/server/page-hooks.ts), as a classic script bundled from these modules
 * (test/server/page-scripts.ts), so it is the page's first script: it runs after Framelock's own page script
 * (document_start) and before everything else on the page, the call included.
 *
 * It replaces the built-ins a key hand-off could touch (hooks.ts: MessageEvent data/ports, postMessage on workers,
 * ports and windows, addEventListener and on* handlers, crypto.subtle, Promise and thenables,
 * Function.prototype.call/apply, array iteration), records everything they let it observe (observe.ts), and looks
 * for anything Framelock must never let a page have (scan.ts): a CryptoKey, a MessagePort or Worker it did not make
 * itself, a protocol message (types and fields of Framelock's hand-off), a BigInt (KIDs), raw bytes of key sizes. It
 * re-applies its hooks at DOMContentLoaded, load and once the call connects, when it also walks the
 * RTCRtpSender/Receiver transforms (walk-transforms.ts). Tests call its attacks: forging the hand-off (forge.ts),
 * clearing or replacing the transforms, directly and with another realm's setter (transform-attacks.ts), hooking a
 * same-origin child realm before Framelock's page script runs there (child-realm.ts), reading every storage it can
 * reach (dump-storage.ts, search.ts).
 *
 * window.__hostile (api.ts; JSON-serialisable except its functions):
 *   stage, stages[]          where the page is: first-script, DOMContentLoaded, load, connected
 *   counts{hook}             how often each hook ran
 *   alarms[]                 {kind, where, stage, detail, count}: the things Framelock must never show a page
 *   samples[]                the first few observations per hook, summarised
 *   strings[]                every distinct string the hooks saw (the test searches them for the passphrase)
 *   byteLengths{n}           lengths of the ArrayBuffers / views seen, and how often
 *   framelockEvents[]        events with a `framelock:` type that reached any page listener
 *   natives{}                Function.prototype.toString of the patched built-ins
 *   transforms[]             what walking sender.transform / receiver.transform showed
 *   attacks{}                what each attempt on the transforms did
 *   storage{}                localStorage, sessionStorage, cookies, IndexedDB (every record), Cache Storage keys
 *   errors[]                 anything that went wrong in here (a hook must never break the page)
 * Callable by tests: forge(waitMs), forgeProblem(problem), search(needle), dumpStorage(), walkTransforms(),
 * attackTransforms(), crossRealmClear(replacement, source), replacedNow(), prehookChild(kind, waitMs), ownTransform(label).
 */

import { prehookChild } from './child-realm.ts';
import { dumpStorage } from './dump-storage.ts';
import { forge, forgeProblem } from './forge.ts';
import { installHooks, listenForHandshake, recordNatives } from './hooks.ts';
import { error, H, mine } from './log.ts';
import { apply, nativeAddEventListener, nativeClearInterval, nativeSetInterval, push, weakAdd } from './natives.ts';
import { search } from './search.ts';
import { attackTransforms, crossRealmClear, ownTransform, replacedNow } from './transform-attacks.ts';
import { demoCall, walkTransforms } from './walk-transforms.ts';

function enterStage(stage: string): void {
  H.stage = stage;
  push(H.stages, stage);
  installHooks();
  recordNatives();
}

H.forge = forge;
H.forgeProblem = forgeProblem;
H.search = search;
H.dumpStorage = dumpStorage;
H.walkTransforms = walkTransforms;
H.attackTransforms = attackTransforms;
H.crossRealmClear = crossRealmClear;
H.replacedNow = replacedNow;
H.prehookChild = prehookChild;
H.ownTransform = ownTransform;
H.mine = (value) => apply(weakAdd, mine, [value]);

try {
  installHooks();
  listenForHandshake();
  recordNatives();
} catch (e) {
  error('install', e);
}
apply(nativeAddEventListener, document, ['DOMContentLoaded', () => enterStage('DOMContentLoaded')]);
apply(nativeAddEventListener, window, ['load', () => enterStage('load')]);
// Once the call is up: hooks again, then the transforms (walk only; the test asks for the attacks).
const watch = nativeSetInterval(() => {
  if (demoCall()?.state !== 'connected') return;
  nativeClearInterval(watch);
  enterStage('connected');
  try {
    walkTransforms();
  } catch (e) {
    error('walkTransforms', e);
  }
}, 100);
