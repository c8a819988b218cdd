/**
 * @module What the popup's "Text messages" section shows, from the data channels of one tab (`TabStatus.channels`,
 * src/shared/messages/data-channels.ts): one row per channel of the site, with how its messages travel. Pure: no DOM,
 * no extension APIs.
 */
import type { DataChannelState, TabStatus } from '../shared/messages';

export interface ChannelRow {
  /** Stable across refreshes: frame, connection and stream id. */
  key: string;
  /** The site's name for the channel, made safe to show (see {@link shownLabel}); undefined: it has none. */
  label: string | undefined;
  state: DataChannelState;
  sent: number;
  received: number;
  refused: number;
}

/**
 * Characters a label must not bring into the popup: controls (C0, DEL, C1) and the bidirectional formatting characters
 * (Unicode TR9 §2: embeddings, overrides, isolates, marks), with which a site could make its label run into, or read
 * as, the state text beside it. Rendered as text they cannot inject markup; these could still mislead the eye.
 */
const HIDDEN_CHARACTERS = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** A channel label as the popup shows it: without {@link HIDDEN_CHARACTERS}, trimmed; undefined if nothing is left. */
export function shownLabel(label: string | undefined): string | undefined {
  const shown = label?.replace(HIDDEN_CHARACTERS, '').trim();
  return shown === undefined || shown === '' ? undefined : shown;
}

/**
 * The tab's channels, one row each, in an order that does not change with their use (the bridge lists the most recently
 * used connection first): by frame, then connection, then stream id.
 */
export function channelRows(status: TabStatus | undefined): ChannelRow[] {
  const rows: { frameId: number; connection: number; streamId: number; row: ChannelRow }[] = [];
  for (const frame of status?.channels ?? []) {
    for (const c of frame.channels) {
      rows.push({
        frameId: frame.frameId,
        connection: c.connection,
        streamId: c.streamId,
        row: {
          key: `${frame.frameId}/${c.connection}/${c.streamId}`,
          label: shownLabel(c.label),
          state: c.state,
          sent: c.sent,
          received: c.received,
          refused: c.refused,
        },
      });
    }
  }
  rows.sort((a, b) => a.frameId - b.frameId || a.connection - b.connection || a.streamId - b.streamId);
  return rows.map((r) => r.row);
}

/**
 * Whether any channel of the tab carried messages without end-to-end encryption. A channel in clear that carried
 * nothing yet is listed, but does not turn the verdict into a warning: many call sites open a data channel to their
 * server that they never use (nothing of the user's went out on it).
 */
export function hasClearChannel(status: TabStatus | undefined): boolean {
  return (status?.channels ?? []).some((frame) =>
    frame.channels.some((c) => c.state === 'clear' && c.sent + c.received + c.refused > 0),
  );
}
