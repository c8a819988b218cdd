/**
 * @module The status of the site's own RTCDataChannel messages (issue 16 part 2): what a content bridge reports of each
 * channel of its frame (src/content/data/service.ts `report`, sent as `data-channels`: bridge.ts), and what the
 * background keeps of them per frame in the tab's status (stats.ts `TabStatusSchema`) for the popup.
 *
 * A report lists each channel with how its messages travel:
 * - `e2e`: both ends run Framelock in the same room; the messages are sealed with keys agreed for this connection.
 * - `passphrase`: a server-relayed chat (Janus textroom) whose text fields are sealed with the room passphrase's text
 *   key; the server still relays them and sees everything else (who, when, the other fields).
 * - `clear`: not end-to-end encrypted.
 */
import * as v from 'valibot';
import { MAX_DATA_CONNECTION_ID, MAX_DATA_LABEL_CHARS, MAX_DATA_STREAM_ID } from '../data-messages';
import { boundedString, CountSchema, record } from './schema';

/**
 * Channels one report lists (src/content/data/constants.ts `MAX_REPORTED_CHANNELS`; test/unit/data-channels.test.ts
 * holds them equal): what the popup can show, and what one message to the background carries.
 */
export const MAX_REPORTED_DATA_CHANNELS = 64;

/** How a channel's messages travel (src/content/data/channel-counts.ts `ChannelState`), from best to worst. */
export const DATA_CHANNEL_STATES = ['e2e', 'passphrase', 'clear'] as const;
export type DataChannelState = (typeof DATA_CHANNEL_STATES)[number];

/**
 * One channel's line of a report (src/content/data/channel-counts.ts `ChannelReport`). The label is the site's own
 * name for the channel, cut to {@link MAX_DATA_LABEL_CHARS} by the bridge: untrusted text, shown as text only.
 */
export const DataChannelReportSchema = record({
  /** The page script's number for the RTCPeerConnection (0, 1, 2, …). */
  connection: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_DATA_CONNECTION_ID)),
  /** The SCTP stream id (RFC 8831 §6.5): the channel's `id`. */
  streamId: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_DATA_STREAM_ID)),
  label: v.optional(boundedString(MAX_DATA_LABEL_CHARS)),
  state: v.picklist(DATA_CHANNEL_STATES),
  /** Messages that went out (sealed, or as they were). */
  sent: CountSchema,
  /** Messages delivered to the page (opened, or as they came). */
  received: CountSchema,
  /** Messages dropped: incoming ones refused, or outgoing ones the page could not send. */
  refused: CountSchema,
});
export type DataChannelReport = v.InferOutput<typeof DataChannelReportSchema>;

/** Where a channel is, within one frame: a connection and a stream id name one channel. */
const channelKey = (c: DataChannelReport) => `${c.connection}/${c.streamId}`;

/**
 * One frame's channels, as its bridge reports them (each report replaces the one before; empty: none any more). Each
 * channel at most once: the popup keys its rows by connection and stream id.
 */
export const DataChannelReportListSchema = v.pipe(
  v.array(DataChannelReportSchema),
  v.maxLength(MAX_REPORTED_DATA_CHANNELS),
  v.check((channels) => new Set(channels.map(channelKey)).size === channels.length, 'a channel listed twice'),
);

/**
 * A frame's channels as its tab's status keeps them: the frame (`frameId`) and its document (`documentId`, so that a
 * page that went away forgets its own channels and never those of the page that replaced it in the same frame), as
 * `TabCallSchema` keeps a frame's call.
 */
export const TabDataChannelsSchema = v.object({
  frameId: v.pipe(v.number(), v.safeInteger()),
  documentId: v.optional(v.string()),
  channels: DataChannelReportListSchema,
});
export type TabDataChannels = v.InferOutput<typeof TabDataChannelsSchema>;
