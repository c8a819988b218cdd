/**
 * @module The transform worker ↔ content bridge channel (a private MessagePort, structured clone). The worker runs in
 * the page's origin, so the bridge checks everything it sends (src/content/checks.ts).
 */

import * as v from 'valibot';
import type { FrameKeys } from '../../sframe';
import { MAX_U64 } from '../bytes';
import { boundedString, MediaKindSchema, messageOf } from './schema';
import { TransformStatsListSchema } from './stats';

/**
 * The id of one transform (a sender or receiver of the page): `<side>-<kind>-<n>` as the page script names it
 * (src/page/patch.ts), or `<side>-unnamed-<n>` for one that came without an id (src/worker/transform.ts). The worker
 * names the transform that needs a key in each key request; the bridge cannot trust the worker, so it checks this
 * shape and budgets new senders per id (src/content/key-quota.ts).
 */
export const TRANSFORM_ID_PATTERN = /^(?:send|receive)-(?:audio|video|unnamed)-[1-9][0-9]{0,8}$/;

/**
 * How many receivers a `resume` names at most: the bridge remembers that many that delivered authenticated frames
 * (the oldest forgotten first), and a replacing worker takes no longer list.
 */
export const MAX_RESUMED_RECEIVERS = 256;

/**
 * The largest in-band control message (docs/keys.md, "The exchange (in-band)"): a STATE wrapping a sender key
 * to 255 members is 7.7 KB sealed; twice that leaves room and still bounds what a page's worker can make the bridge
 * parse.
 */
export const MAX_CONTROL_MESSAGE_BYTES = 16_384;
/** A participant id (44 bits, drawn by the bridge per call: docs/keys.md, "The KID"). */
export const ParticipantSchema = v.pipe(v.bigint(), v.minValue(0n), v.maxValue((1n << 44n) - 1n));
/** A sender key generation, counted from 0 in a call. */
const GenerationSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
/** The worker's id of an outgoing control message (the bridge numbers them). */
const ControlIdSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
/** Control message bytes: never empty, at most {@link MAX_CONTROL_MESSAGE_BYTES}. */
const ControlBytesSchema = v.pipe(
  v.custom<Uint8Array>((bytes) => bytes instanceof Uint8Array),
  v.check((bytes) => bytes.length > 0 && bytes.length <= MAX_CONTROL_MESSAGE_BYTES),
);

/** A KID: RFC 9605 §4.3 allows 64 bits. */
const KidSchema = v.pipe(v.bigint(), v.minValue(0n), v.maxValue(MAX_U64));
/** A transform's id as the worker names it, at most 32 characters ({@link TRANSFORM_ID_PATTERN}). */
const TransformIdSchema = v.pipe(v.string(), v.maxLength(32), v.regex(TRANSFORM_ID_PATTERN));

/**
 * What the transform worker sends the content bridge. The worker runs in the page's origin, so the bridge checks each
 * message against this, and before the worker proved the nonce accepts only a `hello` that repeats it.
 */
export const WorkerToBridgeSchema = messageOf([
  /**
   * First message: the nonce the page script passed along (32 hex digits, src/shared/handshake.ts), proving this
   * worker is the one made at document_start. A longer string is refused before any comparison.
   */
  v.strictObject({ type: v.literal('hello'), nonce: v.pipe(v.string(), v.length(32)) }),
  /**
   * The worker needs frame keys for a KID (its own sender KID, or a remote one it saw), for the transform `endpoint`:
   * each endpoint has its own budget of new senders (src/content/key-quota.ts), so an id of any other shape is refused,
   * not budgeted.
   */
  v.strictObject({
    type: v.literal('keys-request'),
    kid: KidSchema,
    kind: MediaKindSchema,
    endpoint: TransformIdSchema,
  }),
  /** The counters of every transform, every second (also the worker's heartbeat). */
  v.strictObject({ type: v.literal('stats'), stats: TransformStatsListSchema }),
  /** Every stream of ours that sent frames lately has carried control message `id` once (control-outbox.ts). */
  v.strictObject({ type: v.literal('control-sent'), id: ControlIdSchema }),
  /**
   * A control message reassembled from a remote sender's frames: untrusted bytes (anyone on the path can put chunks in
   * a frame the worker cannot authenticate yet); the bridge opens them under the epoch's control key or drops them.
   */
  v.strictObject({ type: v.literal('control-received'), bytes: ControlBytesSchema }),
]);
export type WorkerToBridge = v.InferOutput<typeof WorkerToBridgeSchema>;

/** Frame keys as the bridge derives them (`deriveFrameKeys`): non-extractable CryptoKeys and the salt. */
const FrameKeysSchema = v.strictObject({
  key: v.instance(CryptoKey),
  authKey: v.optional(v.instance(CryptoKey)),
  salt: v.custom<Uint8Array>((salt) => salt instanceof Uint8Array),
}) satisfies v.GenericSchema<unknown, FrameKeys>;

/**
 * What the content bridge sends the transform worker, over the private port only the two of them hold. The worker
 * checks it all the same: a bug must fail closed, not half-install a key.
 */
export const BridgeToWorkerSchema = messageOf([
  /** Frame keys for a KID (of our own participant, or of a member whose sender key we hold). */
  v.strictObject({ type: v.literal('keys'), kid: KidSchema, kind: MediaKindSchema, keys: FrameKeysSchema }),
  /**
   * A KID the bridge will not key: its epoch is outside the accepted window (`distance` epochs from ours, -8..7), or
   * the endpoint that asked (or the whole frame) has spent its budget of new senders for now (`rate`).
   */
  v.strictObject({
    type: v.literal('keys-refused'),
    kid: KidSchema,
    kind: MediaKindSchema,
    reason: v.picklist(['epoch', 'rate']),
    distance: v.optional(v.pipe(v.number(), v.integer(), v.minValue(-8), v.maxValue(7))),
  }),
  /**
   * A call began (docs/keys.md): our participant id, which our senders' KIDs carry; a new one means a new
   * call, whose senders start over.
   */
  v.strictObject({ type: v.literal('call'), participant: ParticipantSchema }),
  /**
   * Our senders send under sender key generation `current` from now on; `next`, when given, is the one they switch to
   * next, whose keys they ask for ahead so the switch loses no frame.
   */
  v.strictObject({
    type: v.literal('generation'),
    current: GenerationSchema,
    next: v.optional(GenerationSchema),
  }),
  /** A sender key generation (ours or a remote participant's) is over: its frame keys are dropped. */
  v.strictObject({ type: v.literal('retire'), participant: ParticipantSchema, generation: GenerationSchema }),
  /** A sealed control message for our senders to carry in-band (control-outbox.ts). */
  v.strictObject({ type: v.literal('control-send'), id: ControlIdSchema, bytes: ControlBytesSchema }),
  /** No key material at all (site disabled): send nothing, decrypt nothing. */
  v.strictObject({ type: v.literal('no-key') }),
  /**
   * The frame is not an enabled site's (Firefox: another port of its host): every frame passes as it is, as if no
   * transform were there, for the rest of the worker's life.
   */
  v.strictObject({ type: v.literal('stand-aside') }),
  /** Strict mode on or off for every receiver (see `SiteInfo.strict`). */
  v.strictObject({ type: v.literal('settings'), strict: v.boolean() }),
  /**
   * To a worker that replaced a stopped one, before anything else: the ids of the receivers that had delivered
   * authenticated frames under the stopped worker. They go on refusing plaintext (an SFU must not inject media into a
   * protected track because our worker restarted); until this message, a replacing worker's receivers drop plaintext.
   */
  v.strictObject({
    type: v.literal('resume'),
    authenticated: v.pipe(v.array(boundedString(64)), v.maxLength(MAX_RESUMED_RECEIVERS)),
  }),
]);
export type BridgeToWorker = v.InferOutput<typeof BridgeToWorkerSchema>;
