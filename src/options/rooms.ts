/**
 * @module Rooms in the options page's words: a room's name in a list, and in a sentence. (Room names typed into the
 * enable form are checked by src/ui/room-input.ts.)
 */
import { t } from '../ui/i18n';

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
