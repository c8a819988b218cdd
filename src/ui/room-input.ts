/**
 * @module Room names typed into the enable form. The background is the judge of a room label (`normalizeRoomLabel` in
 * src/shared/normalize.ts, which binds it into the key); the form checks the same rules first, so that a bad name is
 * flagged before Chrome is asked for a permission, and sends the label as the background will take it.
 */
import { ROOM_LABEL_MAX_LENGTH } from '../shared/messages';
import { normalizeRoomLabel, type RoomLabelResult } from '../shared/normalize';
import { t } from './i18n';

/**
 * `input` as the background takes it (NFKC, trimmed, inner white space collapsed, lower case), or why it would refuse
 * it, in the page's language. (`normalizeRoomLabel` explains in English only: its reasons are told apart here by what
 * it says; a reason not recognised is shown as it is.)
 */
export function parseRoomInput(input: string): RoomLabelResult {
  const result = normalizeRoomLabel(input);
  if (result.ok) return result;
  return { ok: false, error: roomErrorText(result.error) };
}

function roomErrorText(error: string): string {
  if (/too long/i.test(error)) return t('enable_room_too_long', ROOM_LABEL_MAX_LENGTH);
  if (/invisible|control/i.test(error)) return t('enable_room_invisible');
  if (/must be text/i.test(error)) return t('enable_room_not_text');
  return error;
}
