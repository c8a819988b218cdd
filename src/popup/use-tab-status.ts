/**
 * @module The tab's status (its transforms' counters, its problems, its room), which the call panel shows: read every
 * `refreshMs` and whenever `storage.session` changes (where the background keeps it), one read at a time.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import type { TabStatus } from '../shared/messages';
import { request } from '../ui/api';
import { listen } from '../ui/listen';

/** A status without its timestamp, to tell whether anything the panel shows changed. */
function fingerprint(status: TabStatus | undefined): string {
  if (status === undefined) return '';
  const { updatedAt: _, ...rest } = status;
  return JSON.stringify(rest);
}

export interface TabStatusSubscription {
  status: TabStatus | undefined;
  /** Reads it now (after a change the popup made). */
  loadStatus(): Promise<void>;
}

export function useTabStatus(tabId: number | undefined, refreshMs: number): TabStatusSubscription {
  const [status, setStatus] = useState<TabStatus | undefined>(undefined);
  const lastStatus = useRef('');

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
    const teardown = new AbortController();
    teardown.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
    listen(
      browser.storage.onChanged,
      (_changes: unknown, area: string): void => {
        if (area === 'session') refresh();
      },
      teardown.signal,
    );
    return () => teardown.abort();
  }, [tabId, refreshMs, loadStatus]);

  return { status, loadStatus };
}
