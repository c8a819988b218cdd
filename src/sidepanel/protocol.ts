/**
 * @module The chat side panel ↔ background channel (runtime port "framelock-chat", JSON), as issue 16's design has
 * it: the panel opens the port, says which tab it is about (`open`), then sends messages (`send`); the background
 * relays the tab's bridges' transcripts, send results and call ends, and how many of the tab's frames have a call.
 *
 * Stand-in: the shared schemas of this channel are written in `src/shared/messages/chat.ts` at the same time; at the
 * merge this file gives way to them (same names, same shapes). Until then it mirrors the design, as valibot schemas:
 * the port is our own background's, but a bug must fail closed, so everything it sends is checked here before the
 * panel reads a field of it ({@link parseBackgroundMessage}).
 */
import * as v from 'valibot';
import { boundedString, messageOf, record } from '../shared/messages/schema';

/** The runtime port the side panel opens to the background. */
export const CHAT_PORT_NAME = 'framelock-chat';

/** At most this many UTF-8 bytes of text in one chat message (the CHAT record's body: `MAX_CHAT_TEXT_BYTES`). */
export const MAX_CHAT_TEXT_BYTES = 4096;
/** At most this many UTF-8 bytes in the name a sender gives itself (`MAX_CHAT_NAME_BYTES`). */
export const MAX_CHAT_NAME_BYTES = 64;
/** A send's id, as the panel makes it (a UUID: 36 characters) and the bridge echoes it: at most 64 characters. */
export const MAX_CHAT_ID_LENGTH = 64;
/** At most this many entries in one `entries` message (a bridge's `chat` message). */
export const MAX_CHAT_ENTRIES_PER_MESSAGE = 200;

const utf8 = new TextEncoder();

/** How many bytes `text` takes in UTF-8 (what the wire limits count, not UTF-16 code units). */
export function utf8Length(text: string): number {
  return utf8.encode(text).length;
}

/** A string of at most `max` UTF-8 bytes (checked after a cheap bound in code units: each unit is ≥ 1 byte). */
function utf8String(max: number) {
  return v.pipe(
    v.string(),
    v.maxLength(max),
    v.check((text) => utf8Length(text) <= max),
  );
}

/** Why a send did not go out, or that it did (`Call.sendChat`, src/content/exchange/call.ts). */
export const CHAT_SEND_RESULTS = ['sent', 'no_one', 'too_long', 'empty', 'busy', 'ended'] as const;
export const ChatSendResultSchema = v.picklist(CHAT_SEND_RESULTS);
export type ChatSendResult = v.InferOutput<typeof ChatSendResultSchema>;

/** A participant as the call names it: two words of its ephemeral public key's fingerprint. */
const FingerprintSchema = v.pipe(v.string(), v.regex(/^[a-z]{3,8} [a-z]{3,8}$/));
/** A time in ms since the Unix epoch, on this computer's clock. */
const TimeSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
/**
 * The sender's clock, as the sender wrote it (any 64-bit value: the bridge passes it on). The panel does not show it,
 * so it asks no more than a number: a bound here would let one sender's odd clock refuse a whole transcript.
 */
const SenderTimeSchema = v.pipe(v.number(), v.finite());
const IdSchema = v.pipe(boundedString(MAX_CHAT_ID_LENGTH), v.minLength(1));

/**
 * One message of a call's transcript, as the bridge keeps it: `from` is `you` (ours) or the sender's verified
 * fingerprint; `name` is the sender's own claim (may be empty); `at` is when we sent or received it (our clock),
 * `sentAt` the sender's clock, `seq` the sender's number for it in this call.
 */
export const ChatEntrySchema = record({
  id: IdSchema,
  from: v.union([v.literal('you'), FingerprintSchema]),
  name: utf8String(MAX_CHAT_NAME_BYTES),
  text: v.pipe(utf8String(MAX_CHAT_TEXT_BYTES), v.minLength(1)),
  at: TimeSchema,
  sentAt: SenderTimeSchema,
  seq: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
});
export type ChatEntry = v.InferOutput<typeof ChatEntrySchema>;

/** A frame of the tab (Chrome's `frameId`: 0 is the top frame). */
const FrameIdSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

/** What the background sends a side panel. */
export const BackgroundToPanelSchema = messageOf([
  /** A frame's call transcript: new entries, or (`replace`) the whole history of its current call. */
  v.strictObject({
    type: v.literal('entries'),
    frameId: FrameIdSchema,
    entries: v.pipe(v.array(ChatEntrySchema), v.maxLength(MAX_CHAT_ENTRIES_PER_MESSAGE)),
    replace: v.boolean(),
  }),
  /** A bridge's answer to `send` `id` (one per bridge of the tab: frames without a call answer `ended`). */
  v.strictObject({ type: v.literal('result'), id: IdSchema, result: ChatSendResultSchema }),
  /** The call of frame `frameId` ended: the bridge erased its transcript. */
  v.strictObject({ type: v.literal('ended'), frameId: FrameIdSchema }),
  /** How many frames of the tab have a call (on `open`, then whenever it changes). */
  v.strictObject({ type: v.literal('calls'), count: v.pipe(v.number(), v.safeInteger(), v.minValue(0)) }),
]);
export type BackgroundToPanel = v.InferOutput<typeof BackgroundToPanelSchema>;

/** What a side panel sends the background: first `open` (once per port), then any number of `send`. */
export type PanelToBackground =
  | { type: 'open'; tabId: number }
  | { type: 'send'; id: string; text: string; name: string };

/** `untrusted` as a message of the background, or `undefined` if it is not one (the panel then ignores it). */
export function parseBackgroundMessage(untrusted: unknown): BackgroundToPanel | undefined {
  const result = v.safeParse(BackgroundToPanelSchema, untrusted);
  return result.success ? result.output : undefined;
}
