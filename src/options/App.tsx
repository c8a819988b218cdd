/**
 * The options page: how Framelock works, the form to enable a site, the enabled sites, and notices about sites
 * Framelock turned off because their permission was removed.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import type { RevokedSite, SiteInfo } from '../shared/messages';
import { matchPatternFor } from '../shared/origin';
import { request } from './api';
import { EnableForm } from './EnableForm';
import { SiteList } from './SiteList';

export function App() {
  const [sites, setSites] = useState<SiteInfo[] | undefined>(undefined);
  const [revoked, setRevoked] = useState<RevokedSite[]>([]);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState('');
  const [disabling, setDisabling] = useState<string | undefined>(undefined);
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

  const onEnabled = async (origin: string, rekeyed: boolean): Promise<void> => {
    await reload();
    setStatus(
      rekeyed
        ? `The passphrase for ${origin} is changed. Reload the site's tabs to use it.`
        : `Framelock is on for ${origin}. Reload the site's open tabs to protect their calls.`,
    );
  };

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
          ? `Framelock is off for ${origin}, and its permission for the site is removed.`
          : `Framelock is off for ${origin}, but Chrome kept its permission for the site: you can remove it in ` +
              "Chrome's extension settings.",
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
          anyone on the network carry only ciphertext. Everyone in the call needs Framelock and the same passphrase for
          the site. Share the passphrase out of band: in person, by phone or in a messenger you trust, never in the
          site's own chat. The site never sees the passphrase or the keys, and Framelock does not store the passphrase.
        </p>
      </section>

      <EnableForm
        enabledOrigins={(sites ?? []).map((site) => site.origin)}
        onEnabled={(origin, rekeyed) => void onEnabled(origin, rekeyed)}
        announce={setStatus}
      />

      <p class="status" role="status">
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
        onDisable={(origin) => void onDisable(origin)}
        headingRef={sitesHeading}
      />
    </main>
  );
}
