/**
 * @module The Janus textroom profile (docs/frame-format.md §2.8): on a connection that is not protected, the text
 * field of textroom chat messages is sealed under the epoch's text key (text-key.ts) for everyone with the passphrase
 * and room, while the server still parses and relays the message.
 *
 * What the plugin (janus.plugin.textroom) and its demo (textroomtest.js) exchange over the data channel, as JSON:
 * ```
 * request (page → server):  {"textroom":"message","transaction":"…","room":1234,"text":"hi"}
 *                           with "to":"<username>" or "tos":[…] for a whisper, "ack":false to skip the reply
 * event   (server → page):  {"textroom":"message","room":1234,"from":"<username>","date":"…","text":"hi"}
 *                           with "whisper":true for a whisper (also how the room's history is replayed to a joiner)
 * ```
 * Both are the one shape this profile touches: a JSON object whose `textroom` is `"message"` and whose one `text`
 * member is a string. Its text becomes
 * ```
 * "🔒 Framelock: " ‖ base64url(epoch byte ‖ nonce (12) ‖ AES-128-GCM(text key, 0x04 ‖ UTF-8 text) ‖ tag)
 * ```
 * Only that value's bytes change: every other byte of the message stays as it was (the other fields, key order,
 * whitespace, escapes, 64-bit numbers). Everything else — join, leave, list, announcement and every other request or
 * event, a message whose text is not a string or appears twice, text that is not JSON — is not this profile's, and is
 * passed on untouched: never break a site's signalling or control messages.
 *
 * The server relays what it likes: a sealed text opens anywhere in the window around its epoch, as often as the server
 * sends it, in the order it sends it (a replayed or reordered text is shown again; the plugin's own history replay to
 * a joiner is one). `from`, `to`, `date` and `room` are the server's word, not sealed.
 */
import { base64urlToBytes, bytesToBase64url } from './base64url';
import { MAX_PROFILED_MESSAGE_CHARS, MAX_SEALED_TEXT_BYTES, TEXT_PREFIX } from './constants';
import { type MemberSpan, topLevelMembers } from './json-members';
import { openText, sealText, type TextKeys, textBytes } from './text-key';

/** Where a textroom chat message's text is: its value and the span of its JSON string in the message. */
interface TextField {
  text: string;
  span: MemberSpan;
}

/** The text field of a textroom chat message, or undefined: not JSON, not such a message, or a `text` twice. */
function textField(untrusted: string): TextField | undefined {
  if (typeof untrusted !== 'string' || untrusted.length > MAX_PROFILED_MESSAGE_CHARS) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(untrusted);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const message = parsed as Record<string, unknown>;
  if (!Object.hasOwn(message, 'textroom') || message.textroom !== 'message') return undefined;
  if (!Object.hasOwn(message, 'text') || typeof message.text !== 'string') return undefined;
  // JSON.parse and the server both read the last of two `text` members; sealing one would leave the other in clear.
  const spans = topLevelMembers(untrusted)?.filter((m) => m.key === 'text');
  if (spans?.length !== 1) return undefined;
  return { text: message.text, span: spans[0] as MemberSpan };
}

/** `json` with the value at `span` replaced by `text` as a JSON string. */
function replaced(json: string, span: MemberSpan, text: string): string {
  return json.slice(0, span.start) + JSON.stringify(text) + json.slice(span.end);
}

/** What {@link protectOutgoing} made of a textroom chat message. */
export type ProtectedText =
  /** The message to send instead: its text field sealed. */
  | { kind: 'sealed'; text: string }
  /**
   * Not sealed: a text longer than 64 KiB of UTF-8 (`MAX_TEXT_BYTES`), or no text key for the epoch. The caller chooses (the
   * page's text must not go out in clear while the channel says it is protected).
   */
  | { kind: 'refused'; reason: 'too_large' | 'no_key' };

/**
 * An outgoing message of the page: if it is a textroom chat message, the message with its text sealed for `epoch`
 * (or why not); undefined for any other message, which goes out as it is. Never throws.
 */
export async function protectOutgoing(
  untrusted: string,
  keys: TextKeys,
  epoch: number,
  random?: (n: number) => Uint8Array,
): Promise<ProtectedText | undefined> {
  const field = textField(untrusted);
  if (field === undefined) return undefined;
  if (textBytes(field.text) === undefined) return { kind: 'refused', reason: 'too_large' };
  const sealed = await sealText(field.text, epoch, keys, random);
  if (sealed === undefined) return { kind: 'refused', reason: 'no_key' };
  return { kind: 'sealed', text: replaced(untrusted, field.span, TEXT_PREFIX + bytesToBase64url(sealed)) };
}

/** What {@link openIncoming} made of a textroom chat message. */
export interface OpenedMessage {
  /** The message to deliver: with its text opened, or as it came. */
  text: string;
  /** Whether the text field was sealed and opened. */
  opened: boolean;
}

/** Base64url characters of the largest sealed text. */
const MAX_SEALED_TEXT_CHARS = Math.ceil((MAX_SEALED_TEXT_BYTES * 4) / 3);

/**
 * An incoming message for the page: if it is a textroom chat message, the message with its text opened when it was
 * sealed and opens in the window around `currentEpoch` (`opened`), or as it came (`opened: false`: a text in clear,
 * or one sealed for another room or passphrase, which the reader then sees as the prefixed text). Undefined for any
 * other message, delivered as it is. Never throws.
 */
export async function openIncoming(
  untrusted: string,
  keys: TextKeys,
  currentEpoch: number,
): Promise<OpenedMessage | undefined> {
  const field = textField(untrusted);
  if (field === undefined) return undefined;
  const unopened = { text: untrusted, opened: false };
  if (!field.text.startsWith(TEXT_PREFIX)) return unopened;
  const encoded = field.text.slice(TEXT_PREFIX.length);
  if (encoded.length > MAX_SEALED_TEXT_CHARS) return unopened;
  const sealed = base64urlToBytes(encoded);
  const opened = sealed && (await openText(sealed, currentEpoch, keys));
  if (opened === undefined) return unopened;
  return { text: replaced(untrusted, field.span, opened.text), opened: true };
}
