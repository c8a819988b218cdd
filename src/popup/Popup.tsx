/**
 * The popup of Framelock's toolbar button, about the current tab's site: one switch ("Encrypt calls on this site")
 * that opens the setup (passphrase, room, Enable) or turns the site off; right after a passphrase is generated or
 * entered, ways to share it; the room the tab uses and its safety words; and the live call panel.
 *
 * Everything is read from the background when the popup opens (the service worker may have been stopped since: a
 * message wakes it), then the tab's status every second and whenever `storage.session` changes.
 */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import {
  isSiteBlocked,
  type RevokedSite,
  type SiteInfo,
  type SiteProblem,
  type TabStatus,
  UNPROTECTING_PROBLEMS,
} from '../shared/messages';
import { matchPatternFor } from '../shared/origin';
import { request } from '../ui/api';
import type { Enabled as FormEnabled } from '../ui/enable-form/EnableForm';
import { t } from '../ui/i18n';
import { CallPanel } from './CallPanel';
import { Problems } from './Problems';
import { Setup } from './Setup';
import { Share } from './Share';
import { StrictToggle } from './StrictToggle';
import { findTab, type PopupTab, pageKind } from './tab';

export interface PopupProps {
  /** The popup's query string: `?tabId=<n>` makes it about tab `n` rather than the active tab. */
  search: string;
  /** Whether this browser can transform call media at all (it has `RTCRtpScriptTransform`). */
  transformSupported?: boolean;
  /** How often the call panel is refreshed, in ms. */
  refreshMs?: number;
}

type Mode = 'idle' | 'setup' | 'confirm-off';

interface Enabled {
  room: string;
  /** Held only while the popup is open, to share it; never stored. */
  passphrase: string;
  /** The site was off before: its open tabs need a reload. */
  newSite: boolean;
}

type TabState = { loading: true } | { loading: false; tab: PopupTab | undefined };

export const browserCanTransform = (): boolean =>
  typeof (globalThis as { RTCRtpScriptTransform?: unknown }).RTCRtpScriptTransform === 'function';

/** A status without its timestamp, to tell whether anything the panel shows changed. */
function fingerprint(status: TabStatus | undefined): string {
  if (status === undefined) return '';
  const { updatedAt: _, ...rest } = status;
  return JSON.stringify(rest);
}

/** A room in a list: "Default room", or its label. */
function roomName(label: string): string {
  return label === '' ? t('popup_room_default_name') : label;
}

/** A room in a sentence: "the default room", or "room “standup”". */
function roomInSentence(label: string): string {
  return label === '' ? t('popup_room_default') : t('popup_room_named', label);
}

export function Popup({ search, transformSupported = browserCanTransform(), refreshMs = 1_000 }: PopupProps) {
  const [tabState, setTabState] = useState<TabState>({ loading: true });
  const [sites, setSites] = useState<SiteInfo[] | undefined>(undefined);
  const [revoked, setRevoked] = useState<RevokedSite[]>([]);
  const [status, setStatus] = useState<TabStatus | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [mode, setMode] = useState<Mode>('idle');
  const [enabled, setEnabled] = useState<Enabled | undefined>(undefined);
  const [disabled, setDisabled] = useState(false);
  /** The user allowed the site's calls again (after a tampering block): the tab needs a reload to call. */
  const [allowedAgain, setAllowedAgain] = useState(false);
  const [busy, setBusy] = useState(false);
  const [chosenRoom, setChosenRoom] = useState<string | undefined>(undefined);
  const [message, setMessage] = useState('');
  const switchRef = useRef<HTMLButtonElement>(null);
  const confirmRef = useRef<HTMLElement>(null);
  const doneRef = useRef<HTMLHeadingElement>(null);
  const lastStatus = useRef('');
  /** What to focus once the next render shows it (the element that had focus went away). */
  const pendingFocus = useRef<'done' | 'confirm' | 'setup' | 'switch' | undefined>(undefined);

  useLayoutEffect(() => {
    const target =
      pendingFocus.current === 'done'
        ? doneRef.current
        : pendingFocus.current === 'confirm'
          ? confirmRef.current
          : pendingFocus.current === 'setup'
            ? document.getElementById('enable-heading')
            : pendingFocus.current === 'switch'
              ? switchRef.current
              : null;
    if (target !== null) {
      target.focus();
      pendingFocus.current = undefined;
    }
  });

  const tab = tabState.loading ? undefined : tabState.tab;
  const tabId = tab?.id;

  useEffect(() => {
    let current = true;
    void findTab(search).then((found) => {
      if (current) setTabState({ loading: false, tab: found });
    });
    return () => {
      current = false;
    };
  }, [search]);

  const loadSites = useCallback(async (): Promise<void> => {
    const response = await request({ type: 'sites/list' });
    if (!response.ok) {
      setLoadError(response.error);
      return;
    }
    setLoadError(undefined);
    setSites(response.sites);
    setRevoked(response.revoked);
  }, []);

  const loadStatus = useCallback(async (): Promise<void> => {
    if (tabId === undefined) return;
    const response = await request({ type: 'status/get' });
    if (!response.ok) return; // keep showing the last status; the next refresh tries again
    const mine = response.tabs.find((s) => s.tabId === tabId);
    const print = fingerprint(mine);
    if (print === lastStatus.current) return; // nothing the panel shows changed: do not render again
    lastStatus.current = print;
    setStatus(mine);
  }, [tabId]);

  useEffect(() => {
    if (tabId === undefined) return;
    void loadSites();
    void loadStatus();
    let inFlight = false;
    let again = false;
    const refresh = (): void => {
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      void loadStatus().finally(() => {
        inFlight = false;
        if (again) {
          again = false;
          refresh();
        }
      });
    };
    const timer = setInterval(refresh, refreshMs);
    const onStorage = (_changes: unknown, area: string): void => {
      if (area === 'session') refresh();
    };
    const onPermissions = (): void => void loadSites();
    browser.storage.onChanged.addListener(onStorage);
    browser.permissions.onAdded.addListener(onPermissions);
    browser.permissions.onRemoved.addListener(onPermissions);
    return () => {
      clearInterval(timer);
      browser.storage.onChanged.removeListener(onStorage);
      browser.permissions.onAdded.removeListener(onPermissions);
      browser.permissions.onRemoved.removeListener(onPermissions);
    };
  }, [tabId, refreshMs, loadSites, loadStatus]);

  const announce = useCallback((text: string): void => setMessage(text), []);

  const openSettings = (): void => {
    try {
      void browser.runtime.openOptionsPage().catch(() => announce(t('popup_settings_failed')));
    } catch {
      announce(t('popup_settings_failed'));
    }
  };

  const page = pageKind(tab?.url);
  const origin = page.kind === 'site' ? page.origin : page.kind === 'unknown' ? status?.origin : undefined;

  let body: ComponentChildren;
  if (tabState.loading || (origin !== undefined && sites === undefined && loadError === undefined)) {
    body = <p class="muted placeholder">{t('popup_loading')}</p>;
  } else if (origin !== undefined && sites === undefined) {
    body = null; // the background did not answer: the error above says so, and nothing here may claim a state
  } else if (tab === undefined) {
    body = <p class="notice">{t('popup_no_tab')}</p>;
  } else if (page.kind === 'other') {
    body = <p class="notice">{t('popup_not_a_site')}</p>;
  } else if (origin === undefined) {
    body = <p class="notice">{t('popup_unknown_site')}</p>;
  } else {
    const site = sites?.find((s) => s.origin === origin);
    const tabRoom =
      site === undefined
        ? ''
        : ([chosenRoom, status?.room].find((r) => r !== undefined && site.rooms.some((room) => room.label === r)) ??
          site.activeRoom);
    const roomInfo = site?.rooms.find((r) => r.label === tabRoom);
    const needsKey = site !== undefined && roomInfo === undefined;
    const checked = site !== undefined || mode === 'setup';
    const wasRevoked = site === undefined && revoked.some((r) => r.origin === origin);

    const onSwitch = (): void => {
      setMessage('');
      if (site !== undefined) {
        const next = mode === 'confirm-off' ? 'idle' : 'confirm-off';
        setMode(next);
        if (next === 'confirm-off') pendingFocus.current = 'confirm';
      } else {
        setDisabled(false);
        setMode(mode === 'setup' ? 'idle' : 'setup');
      }
    };

    const onEnabled = async ({ room, passphrase, wasEnabled }: FormEnabled): Promise<void> => {
      setEnabled({ room, passphrase, newSite: !wasEnabled });
      setChosenRoom(undefined);
      setMode('idle');
      setMessage('');
      // The panel that replaces the form (and the focused Enable button) says what happened: focus its heading
      // once it shows.
      pendingFocus.current = 'done';
      await loadSites();
    };

    /** Runs `task` unless another is running, marking the popup busy meanwhile (its buttons ignore clicks). */
    const whileBusy = async (task: () => Promise<void>): Promise<void> => {
      if (busy) return;
      setBusy(true);
      try {
        await task();
      } finally {
        setBusy(false);
      }
    };

    const onDisable = (): Promise<void> =>
      whileBusy(async () => {
        const response = await request({ type: 'sites/disable', origin });
        if (!response.ok) {
          announce(t('popup_disable_failed', response.error));
          return;
        }
        const removed = await browser.permissions.remove({ origins: [matchPatternFor(origin)] }).catch(() => false);
        setEnabled(undefined);
        setMode('idle');
        setDisabled(true);
        await loadSites();
        announce(removed ? t('popup_disabled', origin) : t('popup_disabled_permission_kept', origin));
        switchRef.current?.focus();
      });

    const onAllowCalls = (): Promise<void> =>
      whileBusy(async () => {
        const response = await request({ type: 'sites/clear-problems', origin });
        if (!response.ok) {
          announce(t('popup_allow_failed', response.error));
          return;
        }
        setAllowedAgain(true);
        await loadSites();
        announce(t('popup_allowed_again'));
      });

    const onReload = (): void => {
      void browser.tabs.reload(tab.id).then(
        () => {
          setAllowedAgain(false);
          // The button goes away with its notice: focus what stays.
          pendingFocus.current = enabled !== undefined ? 'done' : 'switch';
          setDisabled(false);
          setEnabled((previous) => previous && { ...previous, newSite: false });
          announce(site !== undefined ? t('popup_reloaded') : t('popup_reloaded_off'));
        },
        () => announce(t('popup_reload_failed')),
      );
    };

    const onSelectRoom = async (room: string): Promise<void> => {
      const response = await request({ type: 'tabs/select-room', tabId: tab.id, room });
      if (!response.ok) {
        announce(t('popup_room_select_failed', response.error));
        return;
      }
      setChosenRoom(room);
      announce(t('popup_room_selected', roomInSentence(room)));
      void loadStatus();
    };

    const problems: SiteProblem[] = [...new Set([...(status?.problems ?? []), ...(site?.problems ?? [])])].filter(
      (p) => !(p === 'no_room_key' && needsKey),
    );

    body = (
      <>
        {wasRevoked && <p class="notice">{t('popup_revoked')}</p>}
        {!transformSupported && (
          <p class="problem-block" role="alert">
            {t('popup_browser_unsupported')}
          </p>
        )}
        <div class="switch-row">
          <button
            ref={switchRef}
            type="button"
            role="switch"
            class="switch"
            aria-checked={checked ? 'true' : 'false'}
            aria-describedby="switch-state"
            onClick={onSwitch}
          >
            <span class="switch-label">{t('popup_switch')}</span>
            <span class="track" aria-hidden="true">
              <span class="thumb" />
            </span>
          </button>
          <p id="switch-state" class="switch-state" data-on={site !== undefined ? 'true' : 'false'}>
            {site !== undefined
              ? needsKey
                ? t('popup_state_no_key')
                : t('popup_state_on', roomInSentence(tabRoom))
              : mode === 'setup'
                ? t('popup_state_setup')
                : t('popup_state_off')}
          </p>
        </div>
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
                onClick={() => void onDisable()}
              >
                {t('popup_turn_off')}
              </button>
              <button
                type="button"
                class="secondary"
                onClick={() => {
                  setMode('idle');
                  switchRef.current?.focus();
                }}
              >
                {t('popup_cancel')}
              </button>
            </div>
          </section>
        )}

        {disabled && site === undefined && (
          <div class="done">
            <p>{t('popup_disabled_reload')}</p>
            <button type="button" class="secondary" onClick={onReload}>
              {t('popup_reload')}
            </button>
          </div>
        )}

        {site === undefined && mode === 'setup' && (
          <Setup
            origin={origin}
            reason="new"
            room=""
            onEnabled={(result) => void onEnabled(result)}
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
                <button type="button" class="primary" onClick={onReload}>
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
            onEnabled={(result) => void onEnabled(result)}
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
              onClick={() => void onAllowCalls()}
            >
              {t('popup_allow_calls')}
            </button>
          </div>
        )}

        {site !== undefined && allowedAgain && !isSiteBlocked(site.problems) && (
          <div class="done">
            <p>{t('popup_allowed_reload')}</p>
            <button type="button" class="primary" onClick={onReload}>
              {t('popup_reload')}
            </button>
          </div>
        )}

        {site !== undefined && (
          <CallPanel status={status} unprotectingProblem={problems.some((p) => UNPROTECTING_PROBLEMS.includes(p))} />
        )}

        {site !== undefined && <StrictToggle site={site} onSaved={loadSites} />}

        {site !== undefined && roomInfo !== undefined && (
          <section class="room" aria-labelledby="room-heading">
            <h2 id="room-heading">{t('popup_safety_words')}</h2>
            {site.rooms.length > 1 && (
              <div class="field room-choice">
                <label for="tab-room">{t('popup_room_select')}</label>
                <select
                  id="tab-room"
                  value={tabRoom}
                  aria-describedby="tab-room-hint"
                  onChange={(event) => void onSelectRoom(event.currentTarget.value)}
                >
                  {site.rooms.map((room) => (
                    <option key={room.label} value={room.label}>
                      {roomName(room.label)}
                    </option>
                  ))}
                </select>
                <p class="hint" id="tab-room-hint">
                  {t('popup_room_select_hint')}
                </p>
              </div>
            )}
            <p class="safety-words" id="safety-words">
              {roomInfo.safetyWords.map((word, index) => (
                <span key={`${index}:${word}`}>
                  {index > 0 && <span aria-hidden="true"> · </span>}
                  {word}
                </span>
              ))}
            </p>
            <p class="hint">{t('popup_safety_hint', roomInSentence(tabRoom))}</p>
            {mode !== 'setup' && (
              <button
                type="button"
                class="link"
                onClick={() => {
                  pendingFocus.current = 'setup';
                  setMode('setup');
                }}
              >
                {t('popup_change_passphrase')}
              </button>
            )}
          </section>
        )}

        {site !== undefined && !needsKey && mode === 'setup' && (
          <Setup
            origin={origin}
            reason="change"
            room=""
            onEnabled={(result) => void onEnabled(result)}
            onCancel={() => {
              setMode('idle');
              switchRef.current?.focus();
            }}
            announce={announce}
          />
        )}
      </>
    );
  }

  return (
    <main class="popup">
      <header class="top">
        <h1>
          <LockIcon />
          {t('extensionName')}
        </h1>
        {origin !== undefined && <p class="origin">{origin}</p>}
      </header>
      {loadError !== undefined && (
        <p class="problem-block" role="alert">
          {t('popup_load_failed', loadError)}
        </p>
      )}
      {body}
      <footer class="bottom">
        <button type="button" class="link" onClick={openSettings}>
          {t('popup_all_settings')}
        </button>
      </footer>
    </main>
  );
}

function LockIcon() {
  return (
    <svg class="logo" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
      <path
        fill="currentColor"
        d="M12 2a5 5 0 0 0-5 5v3H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-8a2 2 0 0 0-2-2h-1V7a5 5 0 0 0-5-5zm-3 5a3 3 0 1 1 6 0v3H9V7zm3 7a2 2 0 0 1 1 3.73V19h-2v-1.27A2 2 0 0 1 12 14z"
      />
    </svg>
  );
}
