/**
 * The tab the popup is about. Opened from the toolbar button, it is the active tab of the current window, whose URL
 * the `activeTab` permission grants while the popup is open. Opened as a page with `?tabId=<n>` (tests, or a popup
 * detached into a tab), it is tab `n`: its URL is then readable only if Framelock holds the site's permission.
 */
import browser from 'webextension-polyfill';
import { normalizeOrigin } from '../shared/origin';
import { tabIdFromSearch } from '../ui/tab-id';

export interface PopupTab {
  id: number;
  /** Undefined when the browser does not tell us (no permission for the tab's site). */
  url: string | undefined;
}

/** The tab the popup is about, or `undefined` if there is none (e.g. a window without tabs). */
export async function findTab(search: string): Promise<PopupTab | undefined> {
  const id = tabIdFromSearch(search);
  if (id !== undefined) {
    const tabs = browser.tabs as Partial<typeof browser.tabs>;
    if (typeof tabs.get !== 'function') return { id, url: undefined };
    try {
      const tab = await tabs.get(id);
      return { id, url: tab.url };
    } catch {
      return undefined; // no such tab (closed)
    }
  }
  try {
    const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
    return tab?.id === undefined ? undefined : { id: tab.id, url: tab.url };
  } catch {
    return undefined;
  }
}

/** What the popup can do on a page: a web site (its normalised origin), another kind of page, or unknown. */
export type PageKind = { kind: 'site'; origin: string } | { kind: 'other' } | { kind: 'unknown' };

export function pageKind(url: string | undefined): PageKind {
  if (url === undefined || url === '') return { kind: 'unknown' };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { kind: 'other' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { kind: 'other' };
  const origin = normalizeOrigin(parsed.origin);
  return origin.ok ? { kind: 'site', origin: origin.origin } : { kind: 'other' };
}
