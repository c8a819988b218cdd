/**
 * @module The background's one `runtime.onConnect` listener: each runtime port goes to its handler by name. Both check
 * their sender themselves; a name that is neither is refused and counted by the bridge's handler (`port_name`).
 */
import type browser from 'webextension-polyfill';
import { CHAT_PORT_NAME } from '../shared/messages';
import { handleBridgePort } from './bridge-port';
import { handleChatPort } from './chat-port';

/** Hands a new runtime port to the side panel's handler (`framelock-chat`) or the content bridges' (any other). */
export function handleRuntimePort(port: browser.Runtime.Port): void {
  if (port.name === CHAT_PORT_NAME) handleChatPort(port);
  else handleBridgePort(port);
}
