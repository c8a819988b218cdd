/**
 * @module The room this tab uses and its safety words (the room words): a chooser when the site has several rooms
 * (`tabs/select-room`), the words to compare with the others, and the way to a new passphrase or room.
 */
import type { RoomInfo, SiteInfo } from '../shared/messages';
import { t } from '../ui/i18n';
import { SafetyWords } from '../ui/SafetyWords';
import { roomInSentence, roomName } from './rooms';

export interface RoomSectionProps {
  site: SiteInfo;
  /** The tab's room, and its record. */
  tabRoom: string;
  room: RoomInfo;
  onSelectRoom(room: string): void;
  /** Opens the form for a new passphrase or room; `undefined` while it is open. */
  onChange: (() => void) | undefined;
}

export function RoomSection({ site, tabRoom, room, onSelectRoom, onChange }: RoomSectionProps) {
  return (
    <section class="room" aria-labelledby="room-heading">
      <h2 id="room-heading">{t('popup_safety_words')}</h2>
      {site.rooms.length > 1 && (
        <div class="field room-choice">
          <label for="tab-room">{t('popup_room_select')}</label>
          <select
            id="tab-room"
            value={tabRoom}
            aria-describedby="tab-room-hint"
            onChange={(event) => onSelectRoom(event.currentTarget.value)}
          >
            {site.rooms.map((choice) => (
              <option key={choice.label} value={choice.label}>
                {roomName(choice.label)}
              </option>
            ))}
          </select>
          <p class="hint" id="tab-room-hint">
            {t('popup_room_select_hint')}
          </p>
        </div>
      )}
      <SafetyWords words={room.safetyWords} id="safety-words" />
      <p class="hint">{t('popup_safety_hint', roomInSentence(tabRoom))}</p>
      {onChange !== undefined && (
        <button type="button" class="link" onClick={onChange}>
          {t('popup_change_passphrase')}
        </button>
      )}
    </section>
  );
}
