/**
 * @module Everything the popup shows about a web site's tab: the switch, the popup's live region, the turn-off
 * confirmation, the setup form, what just happened (enabled: share the passphrase; turned off or allowed again: reload),
 * the problems, the live call panel, strict mode, and the tab's room with its safety words.
 */
import { useRef } from 'preact/hooks';
import {
  isSiteBlocked,
  type RevokedSite,
  type SiteInfo,
  type SiteProblem,
  type TabStatus,
  UNPROTECTING_PROBLEMS,
} from '../shared/messages';
import { t } from '../ui/i18n';
import { CallPanel } from './CallPanel';
import { Problems } from './Problems';
import { RoomSection } from './RoomSection';
import { roomInSentence } from './rooms';
import { Setup } from './Setup';
import { Share } from './Share';
import { SiteSwitch } from './SiteSwitch';
import { StrictToggle } from './StrictToggle';
import { usePendingFocus } from './use-pending-focus';
import { useSiteActions } from './use-site-actions';

export interface SitePanelProps {
  origin: string;
  tabId: number;
  /** The enabled sites (listed). */
  sites: readonly SiteInfo[];
  revoked: readonly RevokedSite[];
  status: TabStatus | undefined;
  loadSites(): Promise<void>;
  loadStatus(): Promise<void>;
  transformSupported: boolean;
  /** What the popup's live region says, and how to change it. */
  message: string;
  announce(message: string): void;
}

export function SitePanel(props: SitePanelProps) {
  const { origin, tabId, sites, revoked, status, transformSupported, message, announce } = props;
  const switchRef = useRef<HTMLButtonElement>(null);
  const confirmRef = useRef<HTMLElement>(null);
  const doneRef = useRef<HTMLHeadingElement>(null);
  const focusSoon = usePendingFocus({ done: doneRef, confirm: confirmRef, switch: switchRef });
  const site = sites.find((s) => s.origin === origin);
  const { state, actions } = useSiteActions({
    origin,
    tabId,
    site,
    loadSites: props.loadSites,
    loadStatus: props.loadStatus,
    announce,
    focusSoon,
    focusSwitch: () => switchRef.current?.focus(),
  });
  const { mode, enabled, disabled, allowedAgain, busy, chosenRoom } = state;

  const tabRoom =
    site === undefined
      ? ''
      : ([chosenRoom, status?.room].find((r) => r !== undefined && site.rooms.some((room) => room.label === r)) ??
        site.activeRoom);
  const roomInfo = site?.rooms.find((r) => r.label === tabRoom);
  const needsKey = site !== undefined && roomInfo === undefined;
  const wasRevoked = site === undefined && revoked.some((r) => r.origin === origin);
  const problems: SiteProblem[] = [...new Set([...(status?.problems ?? []), ...(site?.problems ?? [])])].filter(
    (p) => !(p === 'no_room_key' && needsKey),
  );

  const switchState =
    site !== undefined
      ? needsKey
        ? t('popup_state_no_key')
        : t('popup_state_on', roomInSentence(tabRoom))
      : mode === 'setup'
        ? t('popup_state_setup')
        : t('popup_state_off');

  return (
    <>
      {wasRevoked && <p class="notice">{t('popup_revoked')}</p>}
      {!transformSupported && (
        <p class="problem-block" role="alert">
          {t('popup_browser_unsupported')}
        </p>
      )}
      <SiteSwitch
        switchRef={switchRef}
        checked={site !== undefined || mode === 'setup'}
        state={switchState}
        on={site !== undefined}
        onClick={actions.onSwitch}
      />
      <p class="status" role="status">
        {message}
      </p>

      {mode === 'confirm-off' && site !== undefined && (
        <section class="confirm notice" ref={confirmRef} tabIndex={-1} aria-labelledby="confirm-text">
          <p id="confirm-text">{t('popup_confirm_off', origin)}</p>
          <div class="button-row">
            <button
              type="button"
              class="danger"
              aria-disabled={busy ? 'true' : undefined}
              onClick={() => void actions.onDisable()}
            >
              {t('popup_turn_off')}
            </button>
            <button type="button" class="secondary" onClick={actions.close}>
              {t('popup_cancel')}
            </button>
          </div>
        </section>
      )}

      {disabled && site === undefined && (
        <ReloadNotice text={t('popup_disabled_reload')} primary={false} onReload={actions.onReload} />
      )}

      {site === undefined && mode === 'setup' && (
        <Setup
          origin={origin}
          reason="new"
          room=""
          onEnabled={(result) => void actions.onEnabled(result)}
          announce={announce}
        />
      )}

      {site !== undefined && enabled !== undefined && (
        <section class="done" aria-labelledby="done-heading">
          <h2 id="done-heading" ref={doneRef} tabIndex={-1}>
            {enabled.newSite ? t('popup_done_heading') : t('popup_done_heading_room', roomInSentence(enabled.room))}
          </h2>
          {enabled.newSite && (
            <>
              <p>{t('popup_reload_needed')}</p>
              <button type="button" class="primary" onClick={actions.onReload}>
                {t('popup_reload')}
              </button>
            </>
          )}
          <Share passphrase={enabled.passphrase} origin={origin} room={enabled.room} />
        </section>
      )}

      {site !== undefined && needsKey && enabled === undefined && (
        <Setup
          key={`no-key:${tabRoom}`}
          origin={origin}
          reason="no-key"
          room={tabRoom}
          onEnabled={(result) => void actions.onEnabled(result)}
          announce={announce}
        />
      )}

      {site !== undefined && (
        <Problems problems={problems} clockSkew={status?.clockSkew} frames={status?.unprotectedFrames} />
      )}

      {site !== undefined && isSiteBlocked(site.problems) && (
        <div class="allow-calls">
          <p class="hint" id="allow-calls-hint">
            {t('popup_allow_calls_hint')}
          </p>
          <button
            type="button"
            class="secondary"
            aria-describedby="allow-calls-hint"
            aria-disabled={busy ? 'true' : undefined}
            onClick={() => void actions.onAllowCalls()}
          >
            {t('popup_allow_calls')}
          </button>
        </div>
      )}

      {site !== undefined && allowedAgain && !isSiteBlocked(site.problems) && (
        <ReloadNotice text={t('popup_allowed_reload')} primary onReload={actions.onReload} />
      )}

      {site !== undefined && (
        <CallPanel
          tabId={tabId}
          status={status}
          unprotectingProblem={problems.some((p) => UNPROTECTING_PROBLEMS.includes(p))}
        />
      )}

      {site !== undefined && <StrictToggle site={site} onSaved={props.loadSites} />}

      {site !== undefined && roomInfo !== undefined && (
        <RoomSection
          site={site}
          tabRoom={tabRoom}
          room={roomInfo}
          onSelectRoom={(room) => void actions.onSelectRoom(room)}
          onChange={mode !== 'setup' ? actions.openSetup : undefined}
        />
      )}

      {site !== undefined && !needsKey && mode === 'setup' && (
        <Setup
          origin={origin}
          reason="change"
          room=""
          onEnabled={(result) => void actions.onEnabled(result)}
          onCancel={actions.close}
          announce={announce}
        />
      )}
    </>
  );
}

/** What happened, and that the tab needs a reload for it to take effect. */
function ReloadNotice({ text, primary, onReload }: { text: string; primary: boolean; onReload(): void }) {
  return (
    <div class="done">
      <p>{text}</p>
      <button type="button" class={primary ? 'primary' : 'secondary'} onClick={onReload}>
        {t('popup_reload')}
      </button>
    </div>
  );
}
