/**
 * @module The enabled sites, as the background lists them: read when the popup knows its tab (the service worker may
 * have been stopped since: the message wakes it), and again whenever a site's permission is granted or removed.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import type { RevokedSite, SiteInfo } from '../shared/messages';
import { request } from '../ui/api';
import { listen } from '../ui/listen';

export interface Sites {
  /** `undefined` until the background answered. */
  sites: SiteInfo[] | undefined;
  /** Sites Framelock turned off because their permission was removed. */
  revoked: RevokedSite[];
  /** Why the background could not list them, if it could not. */
  loadError: string | undefined;
  /** Reads them again (after a change the popup made). */
  loadSites(): Promise<void>;
}

/** The sites, read once `active` (the popup has a tab). */
export function useSites(active: boolean): Sites {
  const [sites, setSites] = useState<SiteInfo[] | undefined>(undefined);
  const [revoked, setRevoked] = useState<RevokedSite[]>([]);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);

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

  useEffect(() => {
    if (!active) return;
    void loadSites();
    const teardown = new AbortController();
    const onPermissions = (): void => void loadSites();
    listen(browser.permissions.onAdded, onPermissions, teardown.signal);
    listen(browser.permissions.onRemoved, onPermissions, teardown.signal);
    return () => teardown.abort();
  }, [active, loadSites]);

  return { sites, revoked, loadError, loadSites };
}
