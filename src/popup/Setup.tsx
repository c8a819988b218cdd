/**
 * @module Setting up encryption on the tab's site from the popup: the shared enable form (src/ui/enable-form/) in its
 * popup layout, headed by why it is shown: the site is new, the tab's room has no key, or the user asked for a new
 * passphrase or room.
 */
import { type Enabled, EnableForm } from '../ui/enable-form/EnableForm';
import { t } from '../ui/i18n';

/** Why the form is shown. */
export type SetupReason = 'new' | 'no-key' | 'change';

export interface SetupProps {
  origin: string;
  reason: SetupReason;
  /** The room to start with: the tab's room when it has no key. */
  room: string;
  onEnabled(enabled: Enabled): void;
  /** Closes the form (when it was opened on a site already enabled). */
  onCancel?: () => void;
  announce(message: string): void;
}

export function Setup({ origin, reason, room, onEnabled, onCancel, announce }: SetupProps) {
  const intro =
    reason === 'no-key' ? (
      <p class="notice">{room === '' ? t('popup_setup_no_key') : t('popup_setup_no_key_room', room)}</p>
    ) : (
      <p class="lede">{t('popup_setup_intro')}</p>
    );
  return (
    <EnableForm
      layout="popup"
      site={{ typed: false, origin, enabled: reason !== 'new' }}
      heading={reason === 'change' ? t('popup_setup_heading_change') : t('popup_setup_heading')}
      intro={intro}
      initialRoom={room}
      onEnabled={onEnabled}
      onCancel={onCancel}
      announce={announce}
    />
  );
}
