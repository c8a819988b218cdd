/**
 * @module The call chat's messages between the content bridge, the background and the side panel (issue 16). The chat
 * itself travels in-band, inside the call's control channel (src/content/exchange); these are what goes around it:
 *
 * ```
 * side panel ──PanelToBackground──▶ background ──chat-send, chat-history──▶ content bridge (each frame of the tab)
 *            ◀──BackgroundToPanel──            ◀──chat, chat-result, call──
 *        (runtime port "framelock-chat")           (runtime port "framelock-bridge", src/shared/messages/bridge.ts)
 * ```
 *
 * Nothing of the chat is stored anywhere: the bridge's memory (the transcript of the frame's current call) and the open
 * panel's are the only copies; the background only relays.
 *
 * Text lengths are bounded in UTF-8 bytes, the unit the wire format counts (a CHAT body carries the name and the text
 * as UTF-8), not in UTF-16 code units: "é" is 1 unit and 2 bytes, "😀" 2 units and 4 bytes.
 */
import * as v from 'valibot';
import { CountSchema, messageOf, record } from './schema';
import { FingerprintSchema } from './stats';

/** The runtime port the side panel opens to the background; the background dispatches ports by name. */
export const CHAT_PORT_NAME = 'framelock-chat';

/** Largest message text, in UTF-8 bytes (the exchange's `MAX_CHAT_TEXT_BYTES`: what one CHAT carries). */
export const MAX_CHAT_TEXT_BYTES = 4_096;
/** Largest display name, in UTF-8 bytes (the exchange's `MAX_CHAT_NAME_BYTES`: its length is one byte on the wire). */
export const MAX_CHAT_NAME_BYTES = 64;
/**
 * Entries one message carries. A transcript holds up to 500 (src/content/chat-link.ts), so a whole history goes in a
 * few messages: at 200 entries of at most ~4.3 KB each one message stays under 1 MB, well within what a runtime port
 * carries at once, and the background checks each before relaying it.
 */
export const MAX_CHAT_ENTRIES_PER_MESSAGE = 200;
/** Longest message id (the panel chooses them, the bridge for received messages: `<pid hex>-<seq>`). */
export const MAX_CHAT_ID_LENGTH = 64;

const encoder = new TextEncoder();

/** How many bytes `text` takes in UTF-8 (a lone surrogate as U+FFFD, 3 bytes, as `TextEncoder` writes it). */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/**
 * A string of `min..=max` UTF-8 bytes. Every UTF-16 code unit takes at least one byte, so a string longer than `max`
 * units is refused before it is encoded (a huge string costs nothing to refuse).
 */
function utf8String(max: number, min = 0) {
  return v.pipe(
    v.string(),
    v.maxLength(max),
    v.check((text) => {
      const bytes = utf8Length(text);
      return bytes >= min && bytes <= max;
    }, `${min} to ${max} UTF-8 bytes`),
  );
}

/** A message's display name: the sender's own claim (only the fingerprint is verified), possibly empty. */
const ChatNameSchema = utf8String(MAX_CHAT_NAME_BYTES);
/** A message id: the panel's for ours, `<pid hex>-<seq>` for received ones. */
const ChatIdSchema = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_CHAT_ID_LENGTH));
/** Milliseconds since the Unix epoch. A sender's clock may say anything a uint64 holds: finite, not 0..2^53. */
const TimeSchema = v.pipe(v.number(), v.finite(), v.minValue(0));
/** A frame of the tab (`sender.frameId`: 0 for the top frame). */
const FrameIdSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

/** What `Call.sendChat` answers (src/content/exchange/call.ts), and the panel hears for each of its sends. */
export const CHAT_SEND_RESULTS = ['sent', 'no_one', 'too_long', 'empty', 'busy', 'ended'] as const;
/**
 * - `sent`: handed to the worker, for every member that holds our newest sender key;
 * - `no_one`: nobody in the call could read it (no member holds our newest generation yet);
 * - `too_long` / `empty`: the text is over {@link MAX_CHAT_TEXT_BYTES} bytes, or empty;
 * - `busy`: too many messages wait in the worker's outbox: try again in a moment;
 * - `ended`: no call runs in that frame (any more).
 */
export const ChatSendResultSchema = v.picklist(CHAT_SEND_RESULTS);
export type ChatSendResult = v.InferOutput<typeof ChatSendResultSchema>;

/**
 * A chat message the call received, opened and verified (`CallHost.onChat`): `fingerprint` is the sender's verified
 * per-call identity, `name` only its claim. `seq` counts the sender's messages in this call from 0; `sentAt` is the
 * sender's clock. Bridge-internal (a bigint pid): it never crosses a port as such, a {@link ChatEntry} does.
 */
export interface ReceivedChat {
  pid: bigint;
  fingerprint: string;
  seq: number;
  name: string;
  text: string;
  sentAt: number;
}

/**
 * One message of a frame's call transcript. `from` is `'you'` for ours, else the sender's fingerprint (two words, so
 * never `'you'`); `at` is when this browser sent or received it, `sentAt` when the sender says it sent it.
 */
export const ChatEntrySchema = record({
  id: ChatIdSchema,
  from: v.union([v.literal('you'), FingerprintSchema]),
  name: ChatNameSchema,
  text: utf8String(MAX_CHAT_TEXT_BYTES, 1),
  at: TimeSchema,
  sentAt: TimeSchema,
  seq: v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(0xffff_ffff)),
});
export type ChatEntry = v.InferOutput<typeof ChatEntrySchema>;

const ChatEntriesSchema = v.pipe(v.array(ChatEntrySchema), v.maxLength(MAX_CHAT_ENTRIES_PER_MESSAGE));

/** What a message asks to send: any text up to the bound (an empty one is the call's to answer: `empty`). */
const chatSendFields = {
  id: ChatIdSchema,
  text: utf8String(MAX_CHAT_TEXT_BYTES),
  name: ChatNameSchema,
};

// ---- content bridge ↔ background (the bridge port: BackgroundToBridgeSchema, BridgeToBackgroundSchema) -------------

/** Background → bridge: send this message in the frame's call; the bridge answers with a `chat-result` of the id. */
export const ChatSendSchema = v.strictObject({ type: v.literal('chat-send'), ...chatSendFields });
/** Background → bridge: a panel opened; send the whole transcript of the current call (`chat`, `replace: true`). */
export const ChatHistorySchema = v.strictObject({ type: v.literal('chat-history') });
/**
 * Bridge → background: messages of the frame's current call, in the order to show them. `replace`: these begin the
 * whole transcript (a history; a long one continues in further messages with `replace: false`).
 */
export const ChatEntriesMessageSchema = v.strictObject({
  type: v.literal('chat'),
  entries: ChatEntriesSchema,
  replace: v.boolean(),
});
/** Bridge → background: what became of a `chat-send`. */
export const ChatResultSchema = v.strictObject({
  type: v.literal('chat-result'),
  id: ChatIdSchema,
  result: ChatSendResultSchema,
});

// ---- side panel ↔ background (runtime port "framelock-chat") --------------------------------------------------------

/**
 * What the side panel sends the background: first `open` with the tab it shows the chat of (its `?tabId=`), then any
 * number of `send`s. The background checks the sender (our own pages only) and each message.
 */
export const PanelToBackgroundSchema = messageOf([
  v.strictObject({ type: v.literal('open'), tabId: v.pipe(v.number(), v.safeInteger(), v.minValue(0)) }),
  v.strictObject({ type: v.literal('send'), ...chatSendFields }),
]);
export type PanelToBackground = v.InferOutput<typeof PanelToBackgroundSchema>;

/**
 * What the background sends the side panel, about the tab it opened:
 * - `entries`: messages of the call in frame `frameId` (`replace`: the start of that call's whole transcript);
 * - `result`: what became of the panel's `send` of that id (one answer per id);
 * - `ended`: the call in frame `frameId` ended, and the bridge erased its transcript;
 * - `calls`: how many frames of the tab have a call now (on open, and whenever it changes).
 */
export const BackgroundToPanelSchema = messageOf([
  v.strictObject({
    type: v.literal('entries'),
    frameId: FrameIdSchema,
    entries: ChatEntriesSchema,
    replace: v.boolean(),
  }),
  v.strictObject({ type: v.literal('result'), id: ChatIdSchema, result: ChatSendResultSchema }),
  v.strictObject({ type: v.literal('ended'), frameId: FrameIdSchema }),
  v.strictObject({ type: v.literal('calls'), count: CountSchema }),
]);
export type BackgroundToPanel = v.InferOutput<typeof BackgroundToPanelSchema>;
