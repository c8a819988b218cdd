/**
 * @module Content bridge (ISOLATED world, document_start, every frame of an enabled site): the entry point that
 * scripts/injected-scripts.ts bundles (`BRIDGE_SCRIPT_FILE`, src/shared/built-paths.ts). It connects the page's
 * transform worker to the background: it receives the epoch base keys of the previous, current and next epoch from
 * the background, keeps them as non-extractable HKDF keys in this isolated realm, and answers the worker's requests
 * with frame keys for single KIDs of those epochs. At every epoch boundary (by the background's clock) it tells the
 * worker, erases the key that fell out of the window and asks the background for the one that came in. Everything
 * from the page side is validated here; the page script itself never touches a key.
 *
 * This file only gathers what touches the browser and starts the parts (src/content/start-bridge.ts):
 * - handoff.ts: the document_start hand-off with the page script;
 * - page-script-link.ts: the page script's private reports port (problem reports, new workers, `block`);
 * - worker-link.ts: the worker's port, trusted by nonce, its liveness watch and restarts; worker-stats.ts: its counters;
 * - key-server.ts (with key-quota.ts): answers key requests from the epoch keys;
 * - epoch-schedule.ts: the epoch keys, the background's clock and the boundary timer;
 * - background-link.ts: the runtime port and its reconnects;
 * - unsafe-realm.ts: frames the page could reach first get no keys; constants.ts: every timing and limit;
 * - own-realm.ts (Firefox): the sandbox's WebCrypto and TextEncoder results as its own objects.
 */
// First: in Firefox, the bridge's WebCrypto and TextEncoder must hand it its own bytes before any module uses them.
import './own-realm';
import browser from 'webextension-polyfill';
import { BRIDGE_PORT_NAME } from '../shared/messages/bridge';
import { Indicator } from './indicator';
import { startBridge } from './start-bridge';
import { reachableByPage } from './unsafe-realm';

startBridge({
  window,
  indicator: new Indicator(),
  unsafeRealm: reachableByPage(window),
  connect: () => browser.runtime.connect({ name: BRIDGE_PORT_NAME }),
});
