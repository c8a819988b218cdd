/**
 * @module The popup of Framelock's toolbar button, about the current tab's site: one switch ("Encrypt calls on this
 * site") that opens the setup (passphrase, room, Enable) or turns the site off; right after a passphrase is generated
 * or entered, ways to share it; the room the tab uses and its safety words; and the live call panel (SitePanel.tsx).
 *
 * Everything is read from the background when the popup opens (the service worker may have been stopped since: a
 * message wakes it; use-sites.ts), then the tab's status every second and whenever `storage.session` changes
 * (use-tab-status.ts).
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import { t } from '../ui/i18n';
import { LockIcon } from '../ui/LockIcon';
import { STATUS_REFRESH_MS } from './constants';
import { SitePanel } from './SitePanel';
import { pageKind } from './tab';
import { useSites } from './use-sites';
import { useTab } from './use-tab';
import { useTabStatus } from './use-tab-status';

export interface PopupProps {
  /** The popup's query string: `?tabId=<n>` makes it about tab `n` rather than the active tab. */
  search: string;
  /** Whether this browser can transform call media at all (it has `RTCRtpScriptTransform`). */
  transformSupported?: boolean;
  /** How often the call panel is refreshed, in ms. */
  refreshMs?: number;
}

export const browserCanTransform = (): boolean =>
  typeof (globalThis as { RTCRtpScriptTransform?: unknown }).RTCRtpScriptTransform === 'function';

export function Popup({
  search,
  transformSupported = browserCanTransform(),
  refreshMs = STATUS_REFRESH_MS,
}: PopupProps) {
  const tabState = useTab(search);
  const tab = tabState.loading ? undefined : tabState.tab;
  const { sites, revoked, loadError, loadSites } = useSites(tab?.id !== undefined);
  const { status, loadStatus } = useTabStatus(tab?.id, refreshMs);
  /** What the popup's live region says. */
  const [message, announce] = useState('');

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
    body = (
      <SitePanel
        origin={origin}
        tabId={tab.id}
        sites={sites ?? []}
        revoked={revoked}
        status={status}
        loadSites={loadSites}
        loadStatus={loadStatus}
        transformSupported={transformSupported}
        message={message}
        announce={announce}
      />
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
