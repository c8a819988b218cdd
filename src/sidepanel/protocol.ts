/**
 * @module The chat side panel ↔ background channel (runtime port "framelock-chat", JSON: src/shared/messages/chat.ts):
 * the panel opens the port, says which tab it is about (`open`), then sends messages (`send`); the background relays
 * the tab's bridges' transcripts, send results and call ends, and how many of the tab's frames have a call. The port
 * is our own background's, but a bug must fail closed: everything it sends is checked ({@link parseBackgroundMessage})
 * before the panel reads a field of it.
 */
import * as v from 'valibot';
import { type BackgroundToPanel, BackgroundToPanelSchema } from '../shared/messages/chat';

export {
  type BackgroundToPanel,
  CHAT_PORT_NAME,
  type ChatEntry,
  type ChatSendResult,
  MAX_CHAT_NAME_BYTES,
  MAX_CHAT_TEXT_BYTES,
  type PanelToBackground,
  utf8Length,
} from '../shared/messages/chat';

/** `untrusted` as a message of the background, or `undefined` if it is not one (the panel then ignores it). */
export function parseBackgroundMessage(untrusted: unknown): BackgroundToPanel | undefined {
  const result = v.safeParse(BackgroundToPanelSchema, untrusted);
  return result.success ? result.output : undefined;
}
