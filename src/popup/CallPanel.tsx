/**
 * The live call panel: a one-line verdict, each call's words and keys (CallKeys.tsx), then "Your media" (each local
 * track: encrypting, or waiting for its key) and "Participants" (each remote track or sender: encrypted, cannot
 * decrypt, NOT encrypted, blocked by strict mode, our own media echoed back), with frame counts, then "Text messages"
 * (each data channel of the site: how its messages travel, DataChannels.tsx). It refreshes every second, so every row
 * has a fixed height and the numbers use tabular figures: nothing moves while they change. Only the verdict is a live
 * region (it changes when the situation does, not with the counts). During a call, "Open chat" opens the call's chat
 * in the side panel (OpenChat.tsx), where the browser has one.
 */
import type { TabStatus } from '../shared/messages';
import { formatCount, t, tp } from '../ui/i18n';
import { CallKeys } from './CallKeys';
import { type CallSummary, type MediaRow, receiveRows, sendRows, summarize } from './calls';
import { DataChannels } from './DataChannels';
import { OpenChat } from './OpenChat';
import { sidePanelApi } from './side-panel';

export interface CallPanelProps {
  tabId: number;
  status: TabStatus | undefined;
  /** A problem of the tab or site leaves media unprotected. */
  unprotectingProblem: boolean;
}

const SUMMARY_TEXT: Record<CallSummary, () => string> = {
  none: () => t('popup_summary_none'),
  waiting: () => t('popup_summary_waiting'),
  protected: () => t('popup_summary_protected'),
  unprotected: () => t('popup_summary_unprotected'),
  blocked: () => t('popup_summary_blocked'),
  'media-only': () => t('popup_summary_media_only'),
  'text-unprotected': () => t('popup_summary_text_unprotected'),
  'text-only': () => t('popup_summary_text_only'),
};

/** The verdict's mark: ✓ all encrypted, ! something is not (or is blocked), … nothing to say yet. */
const SUMMARY_ICON: Record<CallSummary, string> = {
  none: '…',
  waiting: '…',
  'text-only': '…',
  protected: '✓',
  unprotected: '!',
  blocked: '!',
  'media-only': '!',
  'text-unprotected': '!',
};

export function CallPanel({ tabId, status, unprotectingProblem }: CallPanelProps) {
  const transforms = status?.transforms ?? [];
  const sent = sendRows(transforms);
  const received = receiveRows(transforms);
  const summary = summarize(status, unprotectingProblem);
  const calls = status?.calls ?? [];
  const sidePanel = sidePanelApi();
  return (
    <section class="call" aria-labelledby="call-heading">
      <h2 id="call-heading">{t('popup_call_heading')}</h2>
      <p class="summary" data-summary={summary} role="status">
        <span class="icon" aria-hidden="true">
          {SUMMARY_ICON[summary]}
        </span>
        <span>{SUMMARY_TEXT[summary]()}</span>
      </p>
      {calls.map((entry, index) => (
        <CallKeys key={entry.frameId} call={entry.call} index={index} numbered={calls.length > 1} />
      ))}
      {calls.length > 0 && sidePanel !== undefined && <OpenChat api={sidePanel} tabId={tabId} />}
      {transforms.length > 0 && (
        <>
          <h3 id="sent-heading">{t('popup_your_media')}</h3>
          {sent.length === 0 ? (
            <p class="placeholder">{t('popup_no_sent_media')}</p>
          ) : (
            <ul class="rows" aria-labelledby="sent-heading">
              {sent.map((row) => (
                <Row key={row.key} row={row} side="send" label={kindLabel(row, sent)} />
              ))}
            </ul>
          )}
          <h3 id="received-heading">{t('popup_participants')}</h3>
          {received.length === 0 ? (
            <p class="placeholder">{t('popup_no_received_media')}</p>
          ) : (
            <ul class="rows" aria-labelledby="received-heading">
              {received.map((row) => (
                <Row key={row.key} row={row} side="receive" label={kindLabel(row, received)} />
              ))}
            </ul>
          )}
          {received.some((row) => row.status === 'unencrypted' || row.status === 'blocked') && (
            <p class="hint" id="unencrypted-note">
              {t('popup_receive_unencrypted_note')}
            </p>
          )}
        </>
      )}
      <DataChannels status={status} />
    </section>
  );
}

/** "Video", or "Video 2" when the list has several video rows. */
function kindLabel(row: MediaRow, rows: readonly MediaRow[]): string {
  const same = rows.filter((r) => r.kind === row.kind);
  const name = row.kind === 'video' ? t('popup_kind_video') : t('popup_kind_audio');
  return same.length > 1 ? t('popup_kind_numbered', name, same.indexOf(row) + 1) : name;
}

function statusText(row: MediaRow, side: 'send' | 'receive'): string {
  if (side === 'send') return row.status === 'encrypted' ? t('popup_send_encrypted') : t('popup_send_waiting');
  switch (row.status) {
    case 'encrypted':
      return t('popup_receive_encrypted');
    case 'undecryptable':
      return row.clockSkew !== undefined ? t('popup_receive_clock') : t('popup_receive_undecryptable');
    case 'unencrypted':
      return t('popup_receive_unencrypted');
    case 'blocked':
      return t('popup_receive_blocked');
    case 'injected':
      return t('popup_receive_injected');
    case 'waiting':
      return t('popup_receive_waiting');
  }
}

function countsText(row: MediaRow, side: 'send' | 'receive'): string {
  if (side === 'send') {
    const parts = [t('popup_count_encrypted', formatCount(row.protected))];
    if (row.dropped > 0) parts.push(t('popup_count_dropped', formatCount(row.dropped)));
    return parts.join(' · ');
  }
  const parts: string[] = [];
  if (row.protected > 0) parts.push(t('popup_count_decrypted', formatCount(row.protected)));
  if (row.undecryptable > 0) parts.push(t('popup_count_undecryptable', formatCount(row.undecryptable)));
  if (row.unencrypted > 0) parts.push(t('popup_count_unencrypted', formatCount(row.unencrypted)));
  return parts.length === 0 ? t('popup_count_decrypted', formatCount(0)) : parts.join(' · ');
}

/** A mark before what is wrong (what is right says ✓ in its own words). */
const MARK: Partial<Record<MediaRow['status'], string>> = {
  undecryptable: '✕',
  unencrypted: '!',
  blocked: '⊘',
  injected: '⊘',
};

function Row({ row, side, label }: { row: MediaRow; side: 'send' | 'receive'; label: string }) {
  const codec = row.codec?.replace(/^(audio|video)\//i, '');
  const tone = row.status === 'encrypted' ? 'ok' : row.status === 'waiting' ? 'waiting' : 'bad';
  const mark = side === 'receive' ? MARK[row.status] : undefined;
  return (
    <li class="row" data-status={row.status} data-tone={tone}>
      <span class="row-head">
        <span class="row-label">
          {label}
          {codec !== undefined && codec !== '' && <span class="codec"> · {codec}</span>}
        </span>
        <span class="row-counts">{countsText(row, side)}</span>
      </span>
      <span class="row-status">
        {mark !== undefined && (
          <span class="mark" aria-hidden="true">
            {mark}{' '}
          </span>
        )}
        {statusText(row, side)}
      </span>
      {row.echoed > 0 && <span class="row-note">{tp('popup_receive_echoed', row.echoed)}</span>}
    </li>
  );
}
