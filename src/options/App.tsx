/**
 * @module The options page: how Framelock works, the form to enable a site (or set a room's passphrase), the enabled
 * sites with their rooms and settings, notices about sites Framelock turned off because their permission was removed,
 * and what Framelock protects and what it does not (About).
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import {
  isSiteBlocked,
  type RevokedSite,
  SITES_REVISION_KEY,
  type SiteInfo,
  type UiResponse,
} from '../shared/messages';
import { matchPatternFor } from '../shared/origin';
import { TARGET_BROWSER_NAME } from '../shared/target-browser';
import { request } from '../ui/api';
import { type Enabled, EnableForm } from '../ui/enable-form/EnableForm';
import { messagesLocale, t } from '../ui/i18n';
import { listen } from '../ui/listen';
import { About } from './About';
import { roomAtSentenceStart, roomInSentence } from './rooms';
import { type RoomAction, type SettingsChange, type SettingsNote, SiteList } from './SiteList';
import { fillSlot, SLOT } from './slot';

export function App() {
  const [sites, setSites] = useState<SiteInfo[] | undefined>(undefined);
  const [revoked, setRevoked] = useState<RevokedSite[]>([]);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState('');
  const [disabling, setDisabling] = useState<string | undefined>(undefined);
  const [roomBusy, setRoomBusy] = useState<RoomAction | undefined>(undefined);
  /** Settings being saved, by site: what the page shows until the background has answered. */
  const [settingsBusy, setSettingsBusy] = useState<Readonly<Record<string, SettingsChange>>>({});
  const [settingsNote, setSettingsNote] = useState<SettingsNote | undefined>(undefined);
  const sitesHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    // index.html has the English title; the language of the page is the one its messages are in.
    document.title = t('options_page_title');
    document.documentElement.lang = messagesLocale();
  }, []);

  const reload = useCallback(async (): Promise<void> => {
    const response = await request({ type: 'sites/list' });
    if (!response.ok) {
      setLoadError(t('options_load_error', response.error));
      return;
    }
    setLoadError(undefined);
    setSites(response.sites);
    setRevoked(response.revoked);
  }, []);

  useEffect(() => {
    void reload();
    // A site's permission can be removed (or granted) elsewhere, e.g. in chrome://extensions: show the result.
    const onPermissionsChanged = (): void => void reload();
    const onVisible = (): void => {
      if (document.visibilityState === 'visible') void reload();
    };
    // A site's record changed elsewhere (a tab reported a problem, the popup enabled a site or allowed its calls).
    const onStorage = (changes: Record<string, unknown>, area: string): void => {
      if (area === 'session' && SITES_REVISION_KEY in changes) void reload();
    };
    // One abort removes them all.
    const teardown = new AbortController();
    listen(browser.permissions.onRemoved, onPermissionsChanged, teardown.signal);
    listen(browser.permissions.onAdded, onPermissionsChanged, teardown.signal);
    listen(browser.storage.onChanged, onStorage, teardown.signal);
    document.addEventListener('visibilitychange', onVisible, { signal: teardown.signal });
    return () => teardown.abort();
  }, [reload]);

  const onEnabled = async ({ origin, room, wasEnabled }: Enabled): Promise<void> => {
    await reload();
    setStatus(
      wasEnabled
        ? t('options_enabled_rekeyed', roomInSentence(room), origin)
        : t('options_enabled_new', origin, roomInSentence(room)),
    );
  };

  /** Runs a room request, then reloads the list; focus goes to the room's name, or to its site if the room is gone. */
  const changeRoom = async (
    action: RoomAction,
    run: () => Promise<UiResponse<'rooms/select' | 'rooms/forget'>>,
    done: string,
    failed: (error: string) => string,
  ): Promise<void> => {
    setRoomBusy(action);
    try {
      const response = await run();
      if (!response.ok) {
        setStatus(failed(response.error));
        return;
      }
      await reload();
      setStatus(done);
      const site = document.querySelector<HTMLElement>(`.site[data-origin="${CSS.escape(action.origin)}"]`);
      const target =
        site?.querySelector<HTMLElement>(`.room[data-room="${CSS.escape(action.room)}"] .room-label`) ??
        site?.querySelector<HTMLElement>('.site-origin');
      (target ?? sitesHeading.current)?.focus();
    } finally {
      setRoomBusy(undefined);
    }
  };

  const onSelectRoom = (origin: string, room: string): Promise<void> =>
    changeRoom(
      { origin, room },
      () => request({ type: 'rooms/select', origin, room }),
      t('options_room_selected', roomAtSentenceStart(room), origin),
      (error) => t('options_room_select_failed', roomInSentence(room), origin, error),
    );

  const onForgetRoom = (origin: string, room: string): Promise<void> =>
    changeRoom(
      { origin, room },
      () => request({ type: 'rooms/forget', origin, room }),
      t('options_room_forgotten', roomInSentence(room), origin),
      (error) => t('options_room_forget_failed', roomInSentence(room), origin, error),
    );

  /**
   * Saves one setting of a site. The control shows the new value while it is saved, then the stored one (the old
   * one if saving failed); the outcome goes to the site's own status line, next to the control (nothing moves).
   */
  const onSettings = async (origin: string, change: SettingsChange): Promise<void> => {
    setSettingsBusy((busy) => ({ ...busy, [origin]: { ...busy[origin], ...change } }));
    setSettingsNote({ origin, text: t('options_saving'), error: false });
    try {
      const response = await request({ type: 'sites/settings', origin, ...change });
      await reload();
      if (!response.ok) {
        setSettingsNote({ origin, text: t('options_settings_failed', response.error), error: true });
        return;
      }
      const text =
        change.strict !== undefined
          ? change.strict
            ? t('options_strict_on')
            : t('options_strict_off')
          : change.rememberKeys !== undefined
            ? change.rememberKeys
              ? t('options_remember_on')
              : t('options_remember_off')
            : change.indicator
              ? t('options_indicator_on')
              : t('options_indicator_off');
      setSettingsNote({ origin, text, error: false });
    } finally {
      setSettingsBusy(({ [origin]: _, ...others }) => others);
    }
  };

  const onDisable = async (origin: string): Promise<void> => {
    setDisabling(origin);
    setStatus(t('options_disabling', origin));
    try {
      const response = await request({ type: 'sites/disable', origin });
      if (!response.ok) {
        setStatus(t('options_disable_failed', origin, response.error));
        return;
      }
      const removed = await browser.permissions.remove({ origins: [matchPatternFor(origin)] }).catch(() => false);
      await reload();
      setStatus(
        removed ? t('options_disabled', origin) : t('options_disabled_permission_kept', origin, TARGET_BROWSER_NAME),
      );
      // The button that had focus is gone: put focus somewhere predictable.
      sitesHeading.current?.focus();
    } finally {
      setDisabling(undefined);
    }
  };

  const onClearProblems = async (origin: string): Promise<void> => {
    const site = sites?.find((candidate) => candidate.origin === origin);
    const blocked = site !== undefined && isSiteBlocked(site.problems);
    const response = await request({ type: 'sites/clear-problems', origin });
    await reload();
    if (!response.ok) {
      setStatus(t('options_clear_problems_failed', origin, response.error));
      return;
    }
    setStatus(blocked ? t('options_calls_allowed_again', origin) : t('options_problems_cleared', origin));
    // The button that had focus is gone with the list: put focus somewhere predictable.
    sitesHeading.current?.focus();
  };

  const onDismiss = async (origin: string): Promise<void> => {
    await request({ type: 'sites/dismiss-revoked', origin });
    await reload();
    sitesHeading.current?.focus();
  };

  return (
    <main class="page">
      <header>
        <h1>{t('extensionName')}</h1>
        <p class="lede">{t('options_lede')}</p>
      </header>

      {revoked.length > 0 && (
        <section class="notices" aria-labelledby="notices-heading">
          <h2 id="notices-heading" class="visually-hidden">
            {t('options_notices_heading')}
          </h2>
          {revoked.map((entry, index) => (
            <div class="notice" key={entry.origin}>
              <p id={`revoked-${index}`}>
                {fillSlot(t('options_revoked_notice', SLOT, TARGET_BROWSER_NAME), <strong>{entry.origin}</strong>)}
              </p>
              <button
                type="button"
                class="secondary"
                aria-describedby={`revoked-${index}`}
                onClick={() => void onDismiss(entry.origin)}
              >
                {t('options_dismiss')}
              </button>
            </div>
          ))}
        </section>
      )}

      <section class="how" aria-labelledby="how-heading">
        <h2 id="how-heading">{t('options_how_heading')}</h2>
        <p>{t('options_how_encrypts')}</p>
        <p>{t('options_how_safety_words')}</p>
      </section>

      <EnableForm
        layout="page"
        site={{ typed: true, enabledOrigins: (sites ?? []).map((site) => site.origin) }}
        heading={t('options_enable_heading')}
        onEnabled={(enabled) => void onEnabled(enabled)}
        announce={setStatus}
      />

      <p class="status" id="page-status" role="status">
        {status}
      </p>
      {loadError !== undefined && (
        <p class="error" role="alert">
          {loadError}
        </p>
      )}

      <SiteList
        sites={sites}
        disabling={disabling}
        roomBusy={roomBusy}
        settingsBusy={settingsBusy}
        settingsNote={settingsNote}
        onDisable={(origin) => void onDisable(origin)}
        onSelectRoom={(origin, room) => void onSelectRoom(origin, room)}
        onForgetRoom={(origin, room) => void onForgetRoom(origin, room)}
        onSettings={(origin, change) => void onSettings(origin, change)}
        onClearProblems={(origin) => void onClearProblems(origin)}
        headingRef={sitesHeading}
      />

      <About />
    </main>
  );
}
