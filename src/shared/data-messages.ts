/**
 * @module The page script ↔ bridge data traffic (issue 16 part 2), over the page script's private port
 * (src/shared/handshake.ts: only the two of them hold it; the page never sees it). Every request carries the page
 * script's `id` and gets exactly one reply with that id; bytes travel as ArrayBuffer (transfer them), strings bounded.
 *
 * ```
 * page script                                         bridge (src/content/data/service.ts)
 *   data-line        {connection, role}          ──▶  ◀── data-line        {value?}     the SDP line's value
 *   data-remote-line {connection, value?}        ──▶  ◀── data-remote-line {accepted}
 *   data-decided     {connection, protected}     ──▶  ◀── data-done                      the page script's decision
 *   data-channel     {connection, streamId, label}──▶ ◀── data-done                      names a channel for the status
 *   data-seal        {connection, streamId, data}           ──▶ ◀── data-send {data} | data-drop {reason}
 *   data-open        {connection, streamId, data}           ──▶ ◀── data-deliver {data} | data-deliver-text {text}
 *                                                                    | data-consumed | data-drop
 *   data-confirm     {connection, streamId}                 ──▶ ◀── data-send {data} | data-drop
 *   data-text-out    {connection, streamId, text}           ──▶ ◀── data-send-text {text} | data-as-is | data-drop
 *   data-text-in     {connection, streamId, text}           ──▶ ◀── data-deliver-text {text} | data-as-is | data-drop
 *   data-closed      {connection}                ──▶  ◀── data-done
 * ```
 * `data-as-is`: send (or deliver) the page's own message unchanged. `data-drop`: do not send (or deliver) it at all.
 * `data-consumed`: the message was the peer's confirmation that it seals the connection (docs/frame-format.md §2.8):
 * deliver nothing. `data-confirm` asks for ours, to send on a channel as it opens.
 * The page sends a string to seal as it is (the bridge encodes it as UTF-8), and gets an opened string back as a
 * string (`data-deliver-text`): the page script needs no text codec of the page's realm.
 *
 * The bridge checks requests with valibot ({@link parseDataRequest}), as it checks the page script's reports. The page
 * script checks replies by hand ({@link checkDataReply}) on the natives it saved before the page ran: a valibot check
 * calls built-ins the page may have replaced.
 */
import * as v from 'valibot';
import { boundedString, messageOf } from './messages/schema';

// ---- limits (the same values as src/content/data/constants.ts; test/unit/data-messages.test.ts holds them equal) ----

/** The page script numbers its connections 0, 1, 2, … (`MAX_CONNECTION_ID`). */
export const MAX_DATA_CONNECTION_ID = 2 ** 31 - 1;
/** SCTP stream ids (`MAX_STREAM_ID`). */
export const MAX_DATA_STREAM_ID = 0xffff;
/** The largest envelope: Chromium's data-channel message limit (`MAX_ENVELOPE_BYTES`). */
export const MAX_DATA_MESSAGE_BYTES = 256 * 1024;
/** The longest string message looked at by a text profile (`MAX_PROFILED_MESSAGE_CHARS`). */
export const MAX_DATA_TEXT_CHARS = 256 * 1024;
/** The longest SDP line value (`MAX_LINE_VALUE_CHARS`). */
export const MAX_DATA_LINE_CHARS = 256;
/** The longest channel label the page script passes (it cuts longer ones; `MAX_LABEL_CHARS`). */
export const MAX_DATA_LABEL_CHARS = 128;

/**
 * What every text a profile wrote contains (`TEXT_MARKER`): the page script sends the bridge only incoming strings
 * that contain it, and delivers all others untouched.
 */
export const DATA_TEXT_MARKER = 'Framelock: ';

/** Why the bridge says to drop a message (src/content/data/service.ts `DataDropReason`). */
export const DATA_DROP_REASONS = [
  'not_envelope',
  'bad_tag',
  'replayed',
  'wrong_stream',
  'too_large',
  'no_key',
  'closed',
  'protected',
  'invalid',
] as const;
export type DataDropReasonName = (typeof DATA_DROP_REASONS)[number];

const IdSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const ConnectionSchema = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_DATA_CONNECTION_ID));
const StreamIdSchema = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_DATA_STREAM_ID));
const BytesSchema = v.pipe(
  v.instance(ArrayBuffer),
  v.check((b) => b.byteLength <= MAX_DATA_MESSAGE_BYTES),
);
const TextSchema = boundedString(MAX_DATA_TEXT_CHARS);
const LineSchema = boundedString(MAX_DATA_LINE_CHARS);

/** The page script's requests (untrusted until {@link parseDataRequest} passed them: the page's realm carries them). */
export const DataRequestSchema = v.pipe(
  v.custom<object>((value) => !Array.isArray(value)),
  v.variant('type', [
    v.strictObject({
      type: v.literal('data-line'),
      id: IdSchema,
      connection: ConnectionSchema,
      role: v.picklist(['offerer', 'answerer']),
    }),
    v.strictObject({
      type: v.literal('data-remote-line'),
      id: IdSchema,
      connection: ConnectionSchema,
      value: v.optional(LineSchema),
    }),
    v.strictObject({
      type: v.literal('data-channel'),
      id: IdSchema,
      connection: ConnectionSchema,
      streamId: StreamIdSchema,
      label: boundedString(MAX_DATA_LABEL_CHARS),
    }),
    v.strictObject({
      type: v.literal('data-seal'),
      id: IdSchema,
      connection: ConnectionSchema,
      streamId: StreamIdSchema,
      data: v.union([BytesSchema, TextSchema]),
    }),
    v.strictObject({
      type: v.literal('data-open'),
      id: IdSchema,
      connection: ConnectionSchema,
      streamId: StreamIdSchema,
      data: BytesSchema,
    }),
    v.strictObject({
      type: v.literal('data-confirm'),
      id: IdSchema,
      connection: ConnectionSchema,
      streamId: StreamIdSchema,
    }),
    v.strictObject({
      type: v.literal('data-text-out'),
      id: IdSchema,
      connection: ConnectionSchema,
      streamId: StreamIdSchema,
      text: TextSchema,
    }),
    v.strictObject({
      type: v.literal('data-text-in'),
      id: IdSchema,
      connection: ConnectionSchema,
      streamId: StreamIdSchema,
      text: TextSchema,
    }),
    v.strictObject({
      type: v.literal('data-decided'),
      id: IdSchema,
      connection: ConnectionSchema,
      protected: v.boolean(),
    }),
    v.strictObject({ type: v.literal('data-closed'), id: IdSchema, connection: ConnectionSchema }),
  ]),
);
export type DataRequest = v.InferOutput<typeof DataRequestSchema>;

/** A request of the page script, checked, or undefined (the bridge counts it and sends no reply). Never throws. */
export function parseDataRequest(untrustedMessage: unknown): DataRequest | undefined {
  const parsed = v.safeParse(DataRequestSchema, untrustedMessage);
  return parsed.success ? parsed.output : undefined;
}

/** The bridge's replies: what the page script must do. The type; {@link checkDataReply} is the page's check. */
export const DataReplySchema = messageOf([
  v.strictObject({ type: v.literal('data-line'), id: IdSchema, value: v.optional(LineSchema) }),
  v.strictObject({ type: v.literal('data-remote-line'), id: IdSchema, accepted: v.boolean() }),
  v.strictObject({ type: v.literal('data-send'), id: IdSchema, data: BytesSchema }),
  v.strictObject({ type: v.literal('data-send-text'), id: IdSchema, text: TextSchema }),
  v.strictObject({ type: v.literal('data-deliver'), id: IdSchema, data: BytesSchema }),
  v.strictObject({ type: v.literal('data-deliver-text'), id: IdSchema, text: TextSchema }),
  v.strictObject({ type: v.literal('data-as-is'), id: IdSchema }),
  v.strictObject({ type: v.literal('data-consumed'), id: IdSchema }),
  v.strictObject({ type: v.literal('data-drop'), id: IdSchema, reason: v.picklist(DATA_DROP_REASONS) }),
  v.strictObject({ type: v.literal('data-done'), id: IdSchema }),
]);
export type DataReply = v.InferOutput<typeof DataReplySchema>;

/**
 * What the page script's check calls, saved before the page ran (src/page/natives.ts); the defaults are the realm's
 * own, for the bridge and the tests.
 */
export interface ReplyCheckNatives {
  /** `Object.keys`. */
  keys(value: object): string[];
  /** An ArrayBuffer's byteLength, undefined for anything else (the page script: its saved getter, caught). */
  byteLengthOf(value: unknown): number | undefined;
}

const REALM_NATIVES: ReplyCheckNatives = {
  keys: Object.keys,
  byteLengthOf: (value) => (value instanceof ArrayBuffer ? value.byteLength : undefined),
};

interface Field {
  name: 'value' | 'accepted' | 'data' | 'text' | 'reason';
  optional?: true;
}

/** Each reply type's fields besides `type` and `id` (a switch, not a lookup: the page may add to Object.prototype). */
function replyFields(type: unknown): readonly Field[] | undefined {
  switch (type) {
    case 'data-line':
      return [{ name: 'value', optional: true }];
    case 'data-remote-line':
      return [{ name: 'accepted' }];
    case 'data-send':
    case 'data-deliver':
      return [{ name: 'data' }];
    case 'data-send-text':
    case 'data-deliver-text':
      return [{ name: 'text' }];
    case 'data-drop':
      return [{ name: 'reason' }];
    case 'data-as-is':
    case 'data-consumed':
    case 'data-done':
      return [];
    default:
      return undefined;
  }
}

function fieldOk(name: Field['name'], value: unknown, natives: ReplyCheckNatives): boolean {
  switch (name) {
    case 'value':
      return typeof value === 'string' && value.length <= MAX_DATA_LINE_CHARS;
    case 'accepted':
      return typeof value === 'boolean';
    case 'data': {
      const length = natives.byteLengthOf(value);
      return length !== undefined && length <= MAX_DATA_MESSAGE_BYTES;
    }
    case 'text':
      return typeof value === 'string' && value.length <= MAX_DATA_TEXT_CHARS;
    case 'reason':
      for (let i = 0; i < DATA_DROP_REASONS.length; i++) if (DATA_DROP_REASONS[i] === value) return true;
      return false;
  }
}

/**
 * A reply of the bridge, checked by hand as {@link DataReplySchema} would (exactly its fields, each of its type and
 * bound), or undefined. Index loops, operators and `typeof` only, besides the natives given. Never throws.
 */
export function checkDataReply(untrusted: unknown, natives: ReplyCheckNatives = REALM_NATIVES): DataReply | undefined {
  try {
    if (typeof untrusted !== 'object' || untrusted === null) return undefined;
    const message = untrusted as Record<string, unknown>;
    const fields = replyFields(message.type);
    const id = message.id;
    // A safe integer by operators only (Number.isSafeInteger is the page's to replace).
    if (fields === undefined || typeof id !== 'number' || id % 1 !== 0 || id < 0 || id > MAX_SAFE) return undefined;
    const keys = natives.keys(untrusted);
    let expected = 2; // type and id
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as Field;
      let has = false;
      for (let k = 0; k < keys.length; k++) if (keys[k] === field.name) has = true;
      if (!has) {
        if (field.optional) continue;
        return undefined;
      }
      if (!fieldOk(field.name, message[field.name], natives)) return undefined;
      expected++;
    }
    let typeAndId = 0;
    for (let k = 0; k < keys.length; k++) if (keys[k] === 'type' || keys[k] === 'id') typeAndId++;
    if (typeAndId !== 2 || keys.length !== expected) return undefined;
    return untrusted as DataReply;
  } catch {
    return undefined;
  }
}

const MAX_SAFE = 9_007_199_254_740_991;
