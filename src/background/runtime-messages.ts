/**
 * @module The background's one `runtime.onMessage` listener. Every runtime message lands here, from whoever sent it:
 * the extension's pages, our content scripts (which never use sendMessage: they talk over their port), or anything else
 * that can reach us. It answers:
 *
 * - UI requests (`UiRequest`, src/background/ui-handler.ts): answered always, with an error unless the sender is one of
 *   the extension's pages and every field checks out;
 * - control messages (`framelock/ping`, `framelock/self-test`): only from the extension's pages;
 *
 * and counts everything it refuses (src/background/rejections.ts). A refused control message or a message of no known
 * type gets no answer at all.
 */
import browser from 'webextension-polyfill';
import { countRejection } from './rejections';
import { runSFrameSelfTest } from './self-test';
import { handleUiMessage } from './ui-handler';
import { isExtensionPageSender, isUiRequestMessage, type UiSender } from './ui-request-check';

const CONTROL_TYPES: readonly unknown[] = ['framelock/ping', 'framelock/self-test'];

/**
 * Handles one runtime message. Returns `true` when it will answer through `sendResponse` (which every Chrome version
 * supports), `undefined` when it does not answer.
 */
export function onRuntimeMessage(
  message: unknown,
  sender: UiSender,
  sendResponse: (response: unknown) => void,
): true | undefined {
  if (isUiRequestMessage(message)) {
    void handleUiMessage(message, sender).then(sendResponse);
    return true;
  }
  const type = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
  if (!CONTROL_TYPES.includes(type)) {
    countRejection('runtime_unknown');
    return undefined;
  }
  if (!isExtensionPageSender(sender, browser.runtime.id, browser.runtime.getURL(''))) {
    countRejection('runtime_sender');
    return undefined;
  }
  const answer: Promise<unknown> =
    type === 'framelock/ping'
      ? Promise.resolve({ ok: true, version: browser.runtime.getManifest().version })
      : runSFrameSelfTest();
  void answer.then(sendResponse);
  return true;
}
