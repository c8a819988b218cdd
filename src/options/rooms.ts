/**
 * Room names on the options page. The background is the judge of a room label (`normalizeRoomLabel` in
 * src/background/keys.ts, which binds it into the key); the page checks the same rules first, so that a bad name
 * is flagged before Chrome is asked for a permission, and shows labels the way people know them.
 */
import { normalizeRoomLabel } from '../shared/normalize';

/** What the background makes of a room name (NFKC, trimmed, inner whitespace collapsed, lower case). */
export function normalizeRoomInput(input: string): string {
  const result = normalizeRoomLabel(input);
  return result.ok ? result.label : input;
}

/** Why the background would refuse `input` as a room name, or `undefined` if it would take it. */
export function roomInputError(input: string): string | undefined {
  const result = normalizeRoomLabel(input);
  return result.ok ? undefined : result.error;
}

/** A room's name as the page shows it ("" is the site's default room). */
export function roomName(label: string): string {
  return label === '' ? 'Default room' : label;
}

/** A room in a sentence: "the default room" or "room “standup”". */
export function roomInSentence(label: string): string {
  return label === '' ? 'the default room' : `room “${label}”`;
}
