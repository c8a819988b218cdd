/**
 * Room names on the options page. The background is the judge of a room label (`normalizeRoomLabel` in
 * src/shared/normalize.ts, which binds it into the key); the page checks the same rules first, so that a bad name
 * is flagged before Chrome is asked for a permission, and shows labels the way people know them.
 */
import { ROOM_LABEL_MAX_LENGTH } from '../shared/messages';
import { normalizeRoomLabel } from '../shared/normalize';
import { t } from '../ui/i18n';

/** What the background makes of a room name (NFKC, trimmed, inner whitespace collapsed, lower case). */
export function normalizeRoomInput(input: string): string {
  const result = normalizeRoomLabel(input);
  return result.ok ? result.label : input;
}

/**
 * Why the background would refuse `input` as a room name, in the page's language, or `undefined` if it would take
 * it. (`normalizeRoomLabel` explains in English only: its reasons are told apart here by what it says.)
 */
export function roomInputError(input: string): string | undefined {
  const result = normalizeRoomLabel(input);
  if (result.ok) return undefined;
  if (/too long/i.test(result.error)) return t('options_room_too_long', ROOM_LABEL_MAX_LENGTH);
  if (/invisible|control/i.test(result.error)) return t('options_room_invisible');
  if (/must be text/i.test(result.error)) return t('options_room_not_text');
  return result.error;
}

/** A room's name as the page shows it ("" is the site's default room). */
export function roomName(label: string): string {
  return label === '' ? t('options_room_default_name') : label;
}

/** A room in a sentence: "the default room" or "room “standup”". */
export function roomInSentence(label: string): string {
  return label === '' ? t('options_room_default_in_sentence') : t('options_room_named_in_sentence', label);
}

/** A room at the start of a sentence: "The default room" or "Room “standup”". */
export function roomAtSentenceStart(label: string): string {
  return label === '' ? t('options_room_default_sentence_start') : t('options_room_named_sentence_start', label);
}
