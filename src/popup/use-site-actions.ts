/**
 * @module What the user can do about the tab's site from the popup, and the state those actions leave: open or close
 * the setup, turn the site off (after a confirmation), allow its calls again after a tampering block, reload the tab,
 * choose the tab's room. Each action says how it went through `announce` and puts focus where the user can go on.
 */
import { useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import type { SiteInfo } from '../shared/messages';
import { matchPatternFor } from '../shared/origin';
import { request } from '../ui/api';
import type { Enabled as FormEnabled } from '../ui/enable-form/EnableForm';
import { t } from '../ui/i18n';
import { roomInSentence } from './rooms';
import type { FocusTarget } from './use-pending-focus';

/** What the popup shows below the switch: nothing more, the setup form, or "turn it off?". */
export type Mode = 'idle' | 'setup' | 'confirm-off';

/** A room's passphrase the popup just set. */
export interface JustEnabled {
  room: string;
  /** Held only while the popup is open, to share it; never stored. */
  passphrase: string;
  /** The site was off before: its open tabs need a reload. */
  newSite: boolean;
}

export interface SiteActionsContext {
  origin: string;
  tabId: number;
  /** The site's record, if it is enabled. */
  site: SiteInfo | undefined;
  loadSites(): Promise<void>;
  loadStatus(): Promise<void>;
  announce(message: string): void;
  focusSoon(target: FocusTarget): void;
  /** Focuses the switch now (it stays in the page). */
  focusSwitch(): void;
}

export function useSiteActions(context: SiteActionsContext) {
  const { origin, tabId, site, loadSites, loadStatus, announce, focusSoon, focusSwitch } = context;
  const [mode, setMode] = useState<Mode>('idle');
  const [enabled, setEnabled] = useState<JustEnabled | undefined>(undefined);
  /** The user turned the site off: the tab needs a reload for Framelock to leave it. */
  const [disabled, setDisabled] = useState(false);
  /** The user allowed the site's calls again (after a tampering block): the tab needs a reload to call. */
  const [allowedAgain, setAllowedAgain] = useState(false);
  const [busy, setBusy] = useState(false);
  /** The room the user chose for this tab, until the tab's status says so. */
  const [chosenRoom, setChosenRoom] = useState<string | undefined>(undefined);

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

  const onSwitch = (): void => {
    announce('');
    if (site !== undefined) {
      const next = mode === 'confirm-off' ? 'idle' : 'confirm-off';
      setMode(next);
      if (next === 'confirm-off') focusSoon('confirm');
    } else {
      setDisabled(false);
      setMode(mode === 'setup' ? 'idle' : 'setup');
    }
  };

  const openSetup = (): void => {
    focusSoon('setup');
    setMode('setup');
  };

  /** Closes the confirmation or the setup, back to the switch. */
  const close = (): void => {
    setMode('idle');
    focusSwitch();
  };

  const onEnabled = async ({ room, passphrase, wasEnabled }: FormEnabled): Promise<void> => {
    setEnabled({ room, passphrase, newSite: !wasEnabled });
    setChosenRoom(undefined);
    setMode('idle');
    announce('');
    // The panel that replaces the form (and the focused Enable button) says what happened: focus its heading
    // once it shows.
    focusSoon('done');
    await loadSites();
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
      focusSwitch();
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
    void browser.tabs.reload(tabId).then(
      () => {
        setAllowedAgain(false);
        // The button goes away with its notice: focus what stays.
        focusSoon(enabled !== undefined ? 'done' : 'switch');
        setDisabled(false);
        setEnabled((previous) => previous && { ...previous, newSite: false });
        announce(site !== undefined ? t('popup_reloaded') : t('popup_reloaded_off'));
      },
      () => announce(t('popup_reload_failed')),
    );
  };

  const onSelectRoom = async (room: string): Promise<void> => {
    const response = await request({ type: 'tabs/select-room', tabId, room });
    if (!response.ok) {
      announce(t('popup_room_select_failed', response.error));
      return;
    }
    setChosenRoom(room);
    announce(t('popup_room_selected', roomInSentence(room)));
    void loadStatus();
  };

  return {
    state: { mode, enabled, disabled, allowedAgain, busy, chosenRoom },
    actions: { onSwitch, openSetup, close, onEnabled, onDisable, onAllowCalls, onReload, onSelectRoom },
  };
}
