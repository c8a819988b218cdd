/**
 * @module One channel's counts for the status report (page → bridge → background → popup): how its messages travel
 * and how many went each way or were dropped. Counts stop at 2^53 - 1, labels are cut to {@link MAX_LABEL_CHARS}.
 */
import { MAX_LABEL_CHARS } from './constants';

/** How a channel's messages travel, for the popup: per connection keys, the room passphrase's text key, or in clear. */
export type ChannelState = 'e2e' | 'passphrase' | 'clear';

/** One channel's line of the status report. */
export interface ChannelReport {
  connection: number;
  streamId: number;
  label?: string;
  state: ChannelState;
  /** Messages that went out (sealed, or as they were). */
  sent: number;
  /** Messages delivered to the page (opened, or as they came). */
  received: number;
  /** Messages dropped: refused incoming, or outgoing the page could not send. */
  refused: number;
}

export interface ChannelCounts {
  label: string | undefined;
  /** A text of this channel was sealed or opened with the text key. */
  passphrase: boolean;
  sent: number;
  received: number;
  refused: number;
}

/** Fresh counts of a channel first seen. */
export function newChannelCounts(): ChannelCounts {
  return { label: undefined, passphrase: false, sent: 0, received: 0, refused: 0 };
}

/** A count plus one, stopping at 2^53 - 1. */
export function bump(count: number): number {
  return Math.min(count + 1, Number.MAX_SAFE_INTEGER);
}

/** A channel's label as reported: cut to {@link MAX_LABEL_CHARS}. */
export function reportedLabel(label: string): string {
  return label.slice(0, MAX_LABEL_CHARS);
}

/** A channel's line of the report: `e2e` on a protected connection, else `passphrase` once a text went through the
 * text key, else `clear`. */
export function channelReport(
  connection: number,
  streamId: number,
  counts: ChannelCounts,
  isProtected: boolean,
): ChannelReport {
  return {
    connection,
    streamId,
    ...(counts.label === undefined ? {} : { label: counts.label }),
    state: isProtected ? 'e2e' : counts.passphrase ? 'passphrase' : 'clear',
    sent: counts.sent,
    received: counts.received,
    refused: counts.refused,
  };
}
