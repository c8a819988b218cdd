/**
 * The invitation people paste to the others: how to install Framelock, which site and room to enable, and that the
 * passphrase comes separately. It is built without the passphrase (it never gets it), because people paste
 * invitations into the site's own chat, which is exactly where the passphrase must not go.
 */
import { normalizePassphrase } from '../shared/normalize';
import { t } from '../ui/i18n';

/** The invitation for `origin` and room `room` ("" is the default room). */
export function invitationText(origin: string, room: string): string {
  return [
    t('popup_invitation_intro', origin),
    t('popup_invitation_install'),
    room === '' ? t('popup_invitation_enable', origin) : t('popup_invitation_enable_room', origin, room),
    t('popup_invitation_passphrase'),
    t('popup_invitation_words'),
  ].join('\n');
}

/**
 * Whether `text` gives the passphrase away (say someone typed it as the room's name). Compared as the key
 * derivation sees it, ignoring case, so a near copy counts too.
 */
export function revealsPassphrase(text: string, passphrase: string): boolean {
  const secret = normalizePassphrase(passphrase).toLowerCase();
  return secret !== '' && text.replace(/\s+/gu, ' ').toLowerCase().includes(secret);
}
