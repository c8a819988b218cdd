/**
 * @module Background service worker (MV3). It owns the enabled sites and their room keys (sites.ts, keys.ts),
 * registers the content scripts of enabled sites (registration.ts, kept in line by `reconcileSites` in
 * site-actions.ts), answers the options page and popup (ui-handler.ts, through runtime-messages.ts, which also answers
 * the liveness probe and counts refused messages), keys the content bridges of open frames and keeps each tab's
 * status (bridge-port.ts, tab-status.ts), relays the call chat between the side panel and the bridges without keeping
 * any of it (chat-port.ts), and runs a known-answer self-test of the SFrame engine in its own realm, so a broken
 * WebCrypto or build shows up as a failed self-test instead of as silently undecryptable calls.
 */
import browser from 'webextension-polyfill';
import { handleRuntimePort } from './ports';
import { onRuntimeMessage } from './runtime-messages';
import { runSFrameSelfTest } from './self-test';
import { reconcileSites } from './site-actions';

// Run the self-test at every service-worker start (install, browser start, wake-up after idle): cheap (~ms) and it
// catches a broken WebCrypto before any call depends on it.
void runSFrameSelfTest();

// Every runtime message: UI requests and control messages from the extension's own pages are answered, everything
// else is refused and counted (runtime-messages.ts checks the sender and every field). The polyfill's type says such
// a listener always returns true; returning undefined leaves a message unanswered.
browser.runtime.onMessage.addListener(onRuntimeMessage as browser.Runtime.OnMessageListenerCallback);

// The registered content scripts must match the enabled sites that still hold their permission: check at every
// start (a registration cut short by the worker stopping, new script file names after an update) and whenever the
// user removes a site's permission in Chrome's extension settings.
void reconcileSites();
browser.permissions.onRemoved.addListener(() => void reconcileSites());
// Listening to onStartup makes Chrome start this worker when the browser starts (otherwise it starts lazily, on the
// first event), so the check above also runs right after a browser restart. The top-level call does the work.
browser.runtime.onStartup.addListener(() => {});

// Each frame of an enabled site connects its content bridge here for its key (bridge-port.ts checks the origin); a side
// panel connects for the call chat of its tab (chat-port.ts checks that it is one of our pages). By name: ports.ts.
browser.runtime.onConnect.addListener(handleRuntimePort);
