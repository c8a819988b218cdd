/**
 * Sharing a passphrase the popup just generated or was given: copy it, show it as a QR code, or copy an invitation
 * that explains the rest (and never contains it). Offered only while the popup still holds the passphrase: Framelock
 * never stores it, so it cannot be shown later.
 */
import { useMemo, useState } from 'preact/hooks';
import { copyToClipboard } from '../ui/clipboard';
import { t } from '../ui/i18n';
import { invitationText, revealsPassphrase } from './invitation';
import { qrMatrix } from './qr';

export interface ShareProps {
  passphrase: string;
  origin: string;
  /** The room's normalised label ("" for the default room). */
  room: string;
}

export function Share({ passphrase, origin, room }: ShareProps) {
  const [showQr, setShowQr] = useState(false);
  /** What the last button did, next to the buttons (and announced: a live region). */
  const [status, setStatus] = useState('');
  /** Copies `text`, then says `done`, or how to copy it by hand. */
  const copy = async (text: string, done: string): Promise<void> =>
    setStatus((await copyToClipboard(text)) ? done : t('popup_copy_failed'));

  const onCopyInvitation = (): void => {
    const text = invitationText(origin, room);
    if (revealsPassphrase(text, passphrase)) {
      setStatus(t('popup_invitation_reveals'));
      return;
    }
    void copy(text, t('popup_invitation_copied'));
  };

  return (
    <section class="share" aria-labelledby="share-heading">
      <h2 id="share-heading">{t('popup_share_heading')}</h2>
      <p class="notice" id="share-notice">
        <strong>{t('popup_share_channel_strong')}</strong> {t('popup_share_channel')}
      </p>
      <div class="button-row">
        <button
          type="button"
          class="secondary"
          aria-describedby="share-notice"
          onClick={() => void copy(passphrase, t('popup_passphrase_copied'))}
        >
          {t('popup_copy_passphrase')}
        </button>
        <button
          type="button"
          class="secondary"
          aria-pressed={showQr ? 'true' : 'false'}
          aria-controls="share-qr"
          onClick={() => setShowQr(!showQr)}
        >
          {t('popup_show_qr')}
        </button>
        <button type="button" class="secondary" aria-describedby="invitation-hint" onClick={onCopyInvitation}>
          {t('popup_copy_invitation')}
        </button>
      </div>
      <p class="local-status" role="status">
        {status}
      </p>
      <p class="hint" id="invitation-hint">
        {t('popup_invitation_hint')}
      </p>
      <div id="share-qr">{showQr && <QrCode text={passphrase} />}</div>
    </section>
  );
}

function QrCode({ text }: { text: string }) {
  const matrix = useMemo(() => {
    try {
      return qrMatrix(text);
    } catch {
      return undefined; // more than a QR code holds (about 2,300 bytes)
    }
  }, [text]);
  if (matrix === undefined) return <p class="local-status">{t('popup_qr_too_long')}</p>;
  // Four modules of quiet zone all around, as scanners expect.
  const view = matrix.size + 8;
  return (
    <figure class="qr">
      <svg
        role="img"
        aria-label={t('popup_qr_label')}
        viewBox={`-4 -4 ${view} ${view}`}
        width="208"
        height="208"
        shape-rendering="crispEdges"
      >
        <rect x="-4" y="-4" width={view} height={view} fill="#ffffff" />
        <path d={matrix.path} fill="#000000" />
      </svg>
      <figcaption class="warning-text">{t('popup_qr_warning')}</figcaption>
    </figure>
  );
}
