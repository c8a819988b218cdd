/**
 * @module Messages refused at a trust boundary, counted by reason (`diagnostics/get`).
 */

/**
 * Why a message that crossed a trust boundary was refused. The background counts each refusal (its own, and those
 * the content bridges report), so a hostile page, a confused build or another extension shows up as a number rather
 * than as nothing (`diagnostics/get`). docs/threat-model.md says which check each reason stands for.
 *
 * Background:
 * - `ui_sender`: a UI request from anything but the extension's own pages (a content script, another extension).
 * - `ui_invalid`: a UI request from our pages with a wrong shape, type, size or value.
 * - `runtime_sender`: a control message (`framelock/ping`, `framelock/self-test`) from anything but our pages.
 * - `runtime_unknown`: a runtime message of no type we know.
 * - `port_name`: a runtime port with a name that is not ours.
 * - `port_sender`: a bridge port from another extension, from outside a tab, or from a frame that is not http(s).
 * - `port_not_enabled`: a message on a bridge port whose origin is not (or no longer) enabled.
 * - `port_invalid`: a bridge message with a wrong shape, type, size or value.
 * - `chat_port_sender`: a chat port (`framelock-chat`) from anything but the extension's own pages (a content script,
 *   a tab, another extension).
 * - `chat_port_invalid`: a side panel's message with a wrong shape, type, size or value, or out of turn (a `send`
 *   before `open`, a second `open`).
 *
 * Content bridge (reported to the background in `rejections` messages):
 * - `worker_unproven`: a message on the worker port before the worker proved the nonce (or a wrong nonce).
 * - `worker_invalid`: a worker message with a wrong shape, type, size or value.
 * - `page_report_invalid`: a problem report of the page script with a wrong shape or a problem it never reports.
 */
export const REJECTION_REASONS = [
  'ui_sender',
  'ui_invalid',
  'runtime_sender',
  'runtime_unknown',
  'port_name',
  'port_sender',
  'port_not_enabled',
  'port_invalid',
  'chat_port_sender',
  'chat_port_invalid',
  'worker_unproven',
  'worker_invalid',
  'page_report_invalid',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];
/** The reasons a content bridge counts and reports; the background accepts no others from it. */
export const BRIDGE_REJECTION_REASONS = ['worker_unproven', 'worker_invalid', 'page_report_invalid'] as const;
export type BridgeRejectionReason = (typeof BRIDGE_REJECTION_REASONS)[number];
/** Largest count per reason one `rejections` report may carry (the bridge caps, the background refuses larger). */
export const MAX_REPORTED_REJECTIONS = 1_000_000;

export interface RejectionCounts {
  /** Refusals per reason since `since` (every reason present, 0 if none). */
  counts: Record<RejectionReason, number>;
  /** Since when (ms since the epoch): the first refusal stored in this browser session, or now if none was. */
  since: number;
}
