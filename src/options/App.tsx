/**
 * The options page: how Framelock works, the form to enable a site (or set a room's passphrase), the enabled sites
 * with their rooms, and notices about sites Framelock turned off because their permission was removed.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import type { RevokedSite, SiteInfo, UiResponse } from '../shared/messages';
import { matchPatternFor } from '../shared/origin';
import { request } from './api';
import { EnableForm } from './EnableForm';
import { roomInSentence } from './rooms';
import { type RoomAction, SiteList } from './SiteList';

export function App() {
  const [sites, setSites] = useState<SiteInfo[] | undefined>(undefined);
  const [revoked, setRevoked] = useState<RevokedSite[]>([]);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState('');
  const [disabling, setDisabling] = useState<string | undefined>(undefined);
  const [roomBusy, setRoomBusy] = useState<RoomAction | undefined>(undefined);
  const sitesHeading = useRef<HTMLHeadingElement>(null);

  const reload = useCallback(async (): Promise<void> => {
    const response = await request({ type: 'sites/list' });
    if (!response.ok) {
      setLoadError(`Could not load the enabled sites: ${response.error}`);
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
    browser.permissions.onRemoved.addListener(onPermissionsChanged);
    browser.permissions.onAdded.addListener(onPermissionsChanged);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      browser.permissions.onRemoved.removeListener(onPermissionsChanged);
      browser.permissions.onAdded.removeListener(onPermissionsChanged);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [reload]);

  const onEnabled = async (origin: string, room: string, wasEnabled: boolean): Promise<void> => {
    await reload();
    setStatus(
      wasEnabled
        ? `The passphrase of ${roomInSentence(room)} on ${origin} is set, and that room is in use: open tabs of the ` +
            'site switch to it. Compare its safety words below with the other participants.'
        : `Framelock is on for ${origin}, in ${roomInSentence(room)}. Reload the site's open tabs to protect their ` +
            'calls, and compare the safety words below with the other participants.',
    );
  };

  /** Runs a room request, then reloads the list; focus goes to the room's name, or to its site if the room is gone. */
  const changeRoom = async (
    action: RoomAction,
    run: () => Promise<UiResponse<'rooms/select' | 'rooms/forget'>>,
    done: string,
    failed: string,
  ): Promise<void> => {
    setRoomBusy(action);
    try {
      const response = await run();
      if (!response.ok) {
        setStatus(`${failed}: ${response.error}`);
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
      `${capitalize(roomInSentence(room))} is in use on ${origin} now: open tabs of the site switch to it.`,
      `Could not switch to ${roomInSentence(room)} on ${origin}`,
    );

  const onForgetRoom = (origin: string, room: string): Promise<void> =>
    changeRoom(
      { origin, room },
      () => request({ type: 'rooms/forget', origin, room }),
      `Forgot ${roomInSentence(room)} on ${origin}: its key is erased. To use it again, enter its passphrase above.`,
      `Could not forget ${roomInSentence(room)} on ${origin}`,
    );

  const onDisable = async (origin: string): Promise<void> => {
    setDisabling(origin);
    setStatus(`Disabling ${origin}…`);
    try {
      const response = await request({ type: 'sites/disable', origin });
      if (!response.ok) {
        setStatus(`Could not disable ${origin}: ${response.error}`);
        return;
      }
      const removed = await browser.permissions.remove({ origins: [matchPatternFor(origin)] }).catch(() => false);
      await reload();
      setStatus(
        removed
          ? `Framelock is off for ${origin}: its room keys are erased, and its permission for the site is removed.`
          : `Framelock is off for ${origin} and its room keys are erased, but Chrome kept its permission for the ` +
              "site: you can remove it in Chrome's extension settings.",
      );
      // The button that had focus is gone: put focus somewhere predictable.
      sitesHeading.current?.focus();
    } finally {
      setDisabling(undefined);
    }
  };

  const onDismiss = async (origin: string): Promise<void> => {
    await request({ type: 'sites/dismiss-revoked', origin });
    await reload();
    sitesHeading.current?.focus();
  };

  return (
    <main class="page">
      <header>
        <h1>Framelock</h1>
        <p class="lede">End-to-end encryption for the audio and video of calls, on the sites you enable.</p>
      </header>

      {revoked.length > 0 && (
        <section class="notices" aria-labelledby="notices-heading">
          <h2 id="notices-heading" class="visually-hidden">
            Notices
          </h2>
          {revoked.map((entry, index) => (
            <div class="notice" key={entry.origin}>
              <p id={`revoked-${index}`}>
                Framelock was turned off for <strong>{entry.origin}</strong> because its permission for the site was
                removed in Chrome's extension settings. Calls there are not protected until you enable it again.
              </p>
              <button
                type="button"
                class="secondary"
                aria-describedby={`revoked-${index}`}
                onClick={() => void onDismiss(entry.origin)}
              >
                Dismiss
              </button>
            </div>
          ))}
        </section>
      )}

      <section class="how" aria-labelledby="how-heading">
        <h2 id="how-heading">How it works</h2>
        <p>
          Framelock encrypts your calls' audio and video in this browser before they leave it, so the site's servers and
          anyone on the network carry only ciphertext. Everyone in the call needs Framelock, and the same passphrase and
          room name for the site. Let Framelock generate the passphrase, and share it out of band: in person, by phone
          or in a messenger you trust, never in the site's own chat. The site never sees the passphrase or the keys, and
          Framelock does not store the passphrase.
        </p>
        <p>
          Each room then shows five safety words. Read them aloud together at the start of a call: if everyone sees the
          same words, everyone entered the same passphrase and room.
        </p>
      </section>

      <EnableForm
        enabledOrigins={(sites ?? []).map((site) => site.origin)}
        onEnabled={(origin, room, wasEnabled) => void onEnabled(origin, room, wasEnabled)}
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
        onDisable={(origin) => void onDisable(origin)}
        onSelectRoom={(origin, room) => void onSelectRoom(origin, room)}
        onForgetRoom={(origin, room) => void onForgetRoom(origin, room)}
        headingRef={sitesHeading}
      />
    </main>
  );
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
