/**
 * @module Rooms in the popup's words.
 */
import { t } from '../ui/i18n';

/** A room in a list: "Default room", or its label. */
export function roomName(label: string): string {
  return label === '' ? t('popup_room_default_name') : label;
}

/** A room in a sentence: "the default room", or "room “standup”". */
export function roomInSentence(label: string): string {
  return label === '' ? t('popup_room_default') : t('popup_room_named', label);
}
