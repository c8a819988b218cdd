/**
 * @module Opening the call chat (src/sidepanel) beside one tab: in Chrome's side panel (`chrome.sidePanel`, 116+), or
 * in Firefox's sidebar (`browser.sidebarAction`, the manifest's `sidebar_action`). webextension-polyfill has neither,
 * so this reads them itself, and only where one exists with both functions it needs: where none does, the popup
 * offers no "Open chat". Both take the panel for one tab (its path carries the tab's id) and must be opened straight
 * from the user's click.
 */

/** The side panel page, as the manifest's `side_panel.default_path` names it. */
export const CHAT_PANEL_PATH = 'src/sidepanel/index.html';

/** What the popup uses of `chrome.sidePanel`. */
export interface SidePanelApi {
  setOptions(options: { tabId: number; path: string; enabled: boolean }): Promise<void>;
  open(options: { tabId: number }): Promise<void>;
}

/** What the popup uses of Firefox's `browser.sidebarAction`. */
interface SidebarActionApi {
  setPanel(details: { tabId: number; panel: string }): Promise<void>;
  open(): Promise<void>;
}

/** `chrome.sidePanel`, or Firefox's sidebar in its shape, if this browser has one. */
export function sidePanelApi(): SidePanelApi | undefined {
  const scope = globalThis as {
    chrome?: { sidePanel?: Partial<SidePanelApi> };
    browser?: { sidebarAction?: Partial<SidebarActionApi> };
  };
  const chrome = scope.chrome?.sidePanel;
  if (typeof chrome?.setOptions === 'function' && typeof chrome.open === 'function') return chrome as SidePanelApi;
  const sidebar = scope.browser?.sidebarAction;
  if (typeof sidebar?.setPanel === 'function' && typeof sidebar.open === 'function') {
    const firefox = sidebar as SidebarActionApi;
    return {
      // The sidebar shows this panel while the tab is the window's selected one (the popup's tab is).
      setOptions: ({ tabId, path }) => firefox.setPanel({ tabId, panel: `/${path}` }),
      open: () => firefox.open(),
    };
  }
  return undefined;
}

/**
 * Opens the chat of tab `tabId` in the side panel: its own panel for that tab (the path carries the tab's id, which
 * the panel reads), then opened. Call it straight from the click: `open` needs the user's gesture, so nothing may be
 * awaited before it (`setOptions` is not awaited either: Chrome runs the two calls in order). Resolves when the panel
 * is open; rejects if Chrome refused.
 */
export function openChatPanel(api: SidePanelApi, tabId: number): Promise<void> {
  void api.setOptions({ tabId, path: `${CHAT_PANEL_PATH}?tabId=${tabId}`, enabled: true }).catch(() => undefined); // if it failed, so does `open`, which says so
  return api.open({ tabId });
}
