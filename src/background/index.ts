/**
 * Background service worker (MV3). It owns the enabled sites and their room keys (sites.ts, keys.ts), registers the
 * content scripts of enabled sites (registration.ts), answers the options page and popup (ui.ts), answers the
 * liveness probe, and runs a known-answer self-test of the SFrame engine in its own realm, so a broken WebCrypto or
 * build shows up as a failed self-test instead of as silently undecryptable calls.
 */
import browser from 'webextension-polyfill';
import { handleBridgePort } from './bridge-port';
import { WORKER_SCRIPT } from './scripts';
import { runSFrameSelfTest } from './self-test';
import { handleUiMessage, isUiRequestMessage, reconcileSites } from './ui';

browser.runtime.onMessage.addListener((message: unknown, sender: browser.Runtime.MessageSender) => {
  // Only the extension's own pages may ask; anything else is ignored (the promise-less return means "no answer").
  if (sender.id !== browser.runtime.id || sender.tab !== undefined) return undefined;
  if (typeof message !== 'object' || message === null) return undefined;
  const type = (message as { type?: unknown }).type;
  if (type === 'framelock/ping') {
    return Promise.resolve({ ok: true, version: browser.runtime.getManifest().version });
  }
  if (type === 'framelock/self-test') {
    return runSFrameSelfTest();
  }
  return undefined;
});

// Run the self-test at every service-worker start (install, browser start, wake-up after idle): cheap (~ms) and it
// catches a broken WebCrypto before any call depends on it.
void runSFrameSelfTest();

// Requests of the options page and popup (ui.ts checks the sender and every field). Answered through sendResponse,
// which every Chrome version supports, rather than by returning a promise.
// (The polyfill's type says such a listener always returns true; returning undefined leaves others' messages alone.)
browser.runtime.onMessage.addListener(((message, sender, sendResponse) => {
  if (!isUiRequestMessage(message)) return undefined;
  void handleUiMessage(message, sender).then(sendResponse);
  return true;
}) as browser.Runtime.OnMessageListenerCallback);

// The registered content scripts must match the enabled sites that still hold their permission: check at every
// start (a registration cut short by the worker stopping, new script file names after an update) and whenever the
// user removes a site's permission in Chrome's extension settings.
void reconcileSites();
browser.permissions.onRemoved.addListener(() => void reconcileSites());
// Listening to onStartup makes Chrome start this worker when the browser starts (otherwise it starts lazily, on the
// first event), so the check above also runs right after a browser restart. The top-level call does the work.
browser.runtime.onStartup.addListener(() => {});

// Each frame of an enabled site connects its content bridge here for its key (bridge-port.ts checks the origin).
browser.runtime.onConnect.addListener(handleBridgePort);

// The bridge finds the transform worker among the manifest's web-accessible resources (a content script cannot
// import built paths): make a broken build loud here rather than silent in every page.
const accessible = (browser.runtime.getManifest().web_accessible_resources ?? []).flatMap((entry) =>
  typeof entry === 'string' ? [entry] : entry.resources,
);
if (!accessible.includes(WORKER_SCRIPT))
  console.error(`Framelock: ${WORKER_SCRIPT} is not web-accessible: calls will fail`);
