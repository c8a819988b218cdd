/**
 * @module The content bridge ↔ background channel (runtime port "framelock-bridge", JSON: bytes as base64). The
 * background checks what a bridge sends (src/background/bridge-messages.ts); the bridge checks what comes back.
 */

import * as v from 'valibot';
import { PAGE_REPORTED_PROBLEMS } from '../handshake';
import { MAX_ORIGIN_INPUT_LENGTH } from '../origin';
import { ChatEntriesMessageSchema, ChatHistorySchema, ChatResultSchema, ChatSendSchema } from './chat';
import { DataChannelReportListSchema } from './data-channels';
import type { SiteProblem } from './problems';
import { type BridgeRejectionReason, MAX_REPORTED_REJECTIONS } from './rejections';
import { boundedString, messageOf } from './schema';
import { CallStatusSchema, TransformStatsListSchema } from './stats';

/** The runtime port a content bridge opens to the background; the background accepts ports of this name only. */
export const BRIDGE_PORT_NAME = 'framelock-bridge';

/** An epoch number (`epochAt`: whole epochs since the Unix epoch). */
const EpochSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
/** 16 bytes in base64 (an epoch base key, RFC 9605 `base_key` of AES-128 suites, or a room tag): 22 characters and "==". */
const Base64KeySchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9+/]{21}[AQgw]==$/));

/** What the background sends a content bridge. The bridge checks it: the port is ours, but a bug must fail closed. */
export const BackgroundToBridgeSchema = messageOf([
  /**
   * Epoch base keys of the frame's room (16 bytes each, base64), for the epochs around the background's clock.
   * `room` names the room key they come from (label and when its passphrase was set): when it changes, everything
   * keyed before is dropped. `roomTag` (16 bytes, base64) is the room's tag for the per-call words
   * (src/background/keys.ts `roomTagBytes`). `now` is the background's clock (ms), which the bridge follows.
   */
  v.strictObject({
    type: v.literal('epoch-keys'),
    room: boundedString(512),
    roomTag: Base64KeySchema,
    now: v.pipe(v.number(), v.finite()),
    keys: v.pipe(v.array(v.strictObject({ epoch: EpochSchema, key: Base64KeySchema })), v.maxLength(4)),
  }),
  /** The site is not enabled (or no longer), or its room has no key: the worker drops everything it would send. */
  v.strictObject({ type: v.literal('no-key') }),
  /**
   * Not this frame's site (Firefox only): its host permission and scripts cover every port of a host, so a frame of
   * another origin on the host of an enabled site has our scripts but is not enabled. Framelock stands aside there:
   * no key, no transform, the page's calls as the browser makes them.
   */
  v.strictObject({ type: v.literal('stand-aside') }),
  /** The site's settings (sent on connect and whenever they change). */
  v.strictObject({ type: v.literal('settings'), strict: v.boolean(), indicator: v.boolean() }),
  /**
   * The site removed our encryption before (`tampering_blocked`) and the user has not allowed its calls again: the
   * frame gets no key, and its page script closes every connection and refuses new ones for the rest of the load.
   */
  v.strictObject({ type: v.literal('blocked') }),
  /** The call chat (src/shared/messages/chat.ts): send a message of a side panel; send the transcript to a new one. */
  ChatSendSchema,
  ChatHistorySchema,
]);
export type BackgroundToBridge = v.InferOutput<typeof BackgroundToBridgeSchema>;

/**
 * Problems a bridge reports: those of its page script, its own `page_script_missing` and `unsafe_frame` (and `unsafe_frame_call` once such a
 * frame's worker counts transforms), `clock_skew` from the counters, and its worker's liveness.
 */
export const BRIDGE_PROBLEMS = [
  ...PAGE_REPORTED_PROBLEMS,
  'page_script_missing',
  'unsafe_frame',
  'unsafe_frame_call',
  'clock_skew',
  'worker_stopped',
  'worker_restarted',
  'older_peer',
  'not_sending',
] as const satisfies readonly SiteProblem[];

/**
 * Problems that say how the frame's call is now, not that something happened: the bridge reports one again at least
 * every {@link HELD_PROBLEM_REPEAT_MS} while it holds, and stops reporting it when it no longer does (there is no
 * "solved" message). The background keeps one in the tab's status while a frame of the tab reported it recently
 * (src/background/constants.ts `HELD_PROBLEM_TTL_MS`), drops a frame's at once when its call ends (`call` without a
 * call) or the frame goes away, and never records one in the site's record: a site's recorded problems stay until the
 * user clears them, and these stop being true by themselves.
 */
export const HELD_PROBLEMS = [
  'older_peer',
  'not_sending',
] as const satisfies readonly (typeof BRIDGE_PROBLEMS)[number][];
export type HeldProblem = (typeof HELD_PROBLEMS)[number];

/** Whether `problem` is one of the {@link HELD_PROBLEMS}. */
export function isHeldProblem(problem: SiteProblem): problem is HeldProblem {
  return (HELD_PROBLEMS as readonly SiteProblem[]).includes(problem);
}

/**
 * How often a bridge repeats a held problem while it holds: every other report of the worker's counters (one a
 * second). The popup then stops showing a problem a few seconds after it went away (the background waits for two
 * or so repeats to be missed), and the repeats cost one small message each.
 */
export const HELD_PROBLEM_REPEAT_MS = 2_000;

/** A bridge asks ahead for at most this many epochs at once (it asks for the window around its clock: 3). */
export const MAX_EPOCHS_PER_REQUEST = 4;

/** A count one reason of a `rejections` report may carry (the bridge caps its counts). */
const ReportedCountSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(MAX_REPORTED_REJECTIONS));

/**
 * What a content bridge sends the background. The bridge is our code, but it runs in the site's renderer process and
 * its counters come from a worker in the page's origin: a compromised renderer or a bug must not be able to write
 * unbounded data into `storage.session`, claim problems the bridge never reports, or inflate the rejection counts.
 * The background checks this shape, then what needs its state (the clock tolerance, the origin's normal form).
 */
export const BridgeToBackgroundSchema = messageOf([
  v.strictObject({ type: v.literal('stats'), stats: TransformStatsListSchema }),
  /** This frame's call (docs/keys.md), whenever it changes; without `call`: the call ended. */
  v.strictObject({ type: v.literal('call'), call: v.optional(CallStatusSchema) }),
  /**
   * The site's own data channels in this frame and how their messages travel (data-channels.ts): each report replaces
   * the frame's last one, and an empty list says it has none any more. Sent at most once a second, when counts change.
   */
  v.strictObject({ type: v.literal('data-channels'), channels: DataChannelReportListSchema }),
  /** Keys for epochs the bridge is about to need (the background sends only those near its own clock). */
  v.strictObject({
    type: v.literal('epoch-keys-request'),
    epochs: v.pipe(v.array(EpochSchema), v.minLength(1), v.maxLength(MAX_EPOCHS_PER_REQUEST)),
  }),
  v.variant('problem', [
    /** How many epochs from ours a sender's clock is (signed, one digit, as the bridge writes it). */
    v.strictObject({
      type: v.literal('problem'),
      problem: v.literal('clock_skew'),
      detail: v.pipe(v.string(), v.regex(/^-?\d$/)),
    }),
    /** The origin of the cross-origin frame, when the page script could tell it (the background normalises it). */
    v.strictObject({
      type: v.literal('problem'),
      problem: v.literal('cross_origin_frame'),
      detail: v.optional(boundedString(MAX_ORIGIN_INPUT_LENGTH)),
    }),
    /** The other problems carry no detail. */
    v.strictObject({
      type: v.literal('problem'),
      problem: v.picklist(BRIDGE_PROBLEMS.filter((p) => p !== 'clock_skew' && p !== 'cross_origin_frame')),
    }),
  ]),
  /** Messages the bridge refused since its last report, per reason (sent at most every few seconds; never empty). */
  v.strictObject({
    type: v.literal('rejections'),
    counts: v.pipe(
      v.strictObject({
        worker_unproven: v.optional(ReportedCountSchema),
        worker_invalid: v.optional(ReportedCountSchema),
        page_report_invalid: v.optional(ReportedCountSchema),
      } satisfies Record<BridgeRejectionReason, unknown>),
      v.check((counts) => Object.keys(counts).length > 0),
    ),
  }),
  /**
   * The call chat (src/shared/messages/chat.ts): messages of the frame's call, and what became of a `chat-send`. A
   * `call` without a call (above) also says the frame's transcript is gone.
   */
  ChatEntriesMessageSchema,
  ChatResultSchema,
]);
export type BridgeToBackground = v.InferOutput<typeof BridgeToBackgroundSchema>;
