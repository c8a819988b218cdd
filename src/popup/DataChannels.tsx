/**
 * @module "Text messages" in the popup's call panel: one row per data channel of the site (channels.ts), with the
 * site's name for it, how its messages travel (end-to-end encrypted, text encrypted with the room passphrase, or NOT
 * end-to-end encrypted, shown as a warning), how many went each way, and how many were refused. Rows keep a fixed
 * height, as the media rows do. The label is the site's: it is rendered as text only, isolated from the text around it.
 */
import type { DataChannelState, TabStatus } from '../shared/messages';
import { formatCount, t, tp } from '../ui/i18n';
import { type ChannelRow, channelRows } from './channels';

const STATE_TEXT: Record<DataChannelState, () => string> = {
  e2e: () => t('popup_text_e2e'),
  passphrase: () => t('popup_text_passphrase'),
  clear: () => t('popup_text_clear'),
};

/** How a row's state is coloured: `partial` is encrypted text whose server still sees everything else. */
const TONE: Record<DataChannelState, 'ok' | 'partial' | 'bad'> = { e2e: 'ok', passphrase: 'partial', clear: 'bad' };

export function DataChannels({ status }: { status: TabStatus | undefined }) {
  const rows = channelRows(status);
  if (rows.length === 0) return null;
  return (
    <>
      <h3 id="text-heading">{t('popup_text_heading')}</h3>
      <ul class="rows" aria-labelledby="text-heading">
        {rows.map((row) => (
          <Row key={row.key} row={row} />
        ))}
      </ul>
    </>
  );
}

function refusedText(refused: number): string {
  return tp('popup_text_refused', refused);
}

function Row({ row }: { row: ChannelRow }) {
  return (
    <li class="row channel" data-state={row.state} data-tone={TONE[row.state]}>
      <span class="row-head">
        {row.label === undefined ? (
          <span class="row-label channel-label unnamed">{t('popup_text_unnamed')}</span>
        ) : (
          <bdi class="row-label channel-label" title={row.label}>
            {row.label}
          </bdi>
        )}
        <span class="row-counts">
          {t('popup_text_count_sent', formatCount(row.sent))} ·{' '}
          {t('popup_text_count_received', formatCount(row.received))}
        </span>
      </span>
      <span class="row-status">
        {row.state === 'clear' && (
          <span class="mark" aria-hidden="true">
            !{' '}
          </span>
        )}
        {STATE_TEXT[row.state]()}
      </span>
      {row.refused > 0 && <span class="row-note">{refusedText(row.refused)}</span>}
    </li>
  );
}
