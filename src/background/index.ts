/**
 * Background service worker (MV3). It will own the key store and per-site enablement; for now it answers the
 * liveness probe and runs a known-answer self-test of the SFrame engine in its own realm, so a broken WebCrypto or
 * build shows up as a failed self-test instead of as silently undecryptable calls.
 */
import browser from 'webextension-polyfill';
import { runSFrameSelfTest } from './self-test';

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
