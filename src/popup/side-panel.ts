/**
 * @module Opening the call chat (src/sidepanel) in Chrome's side panel, for one tab. webextension-polyfill has no
 * `sidePanel`, so this reads `chrome.sidePanel` itself, and only where it exists with both functions it needs
 * (Chrome 116+; not Firefox): where it does not, the popup offers no "Open chat".
 */

/** The side panel page, as the manifest's `side_panel.default_path` names it. */
export const CHAT_PANEL_PATH = 'src/sidepanel/index.html';

/** What the popup uses of `chrome.sidePanel`. */
export interface SidePanelApi {
  setOptions(options: { tabId: number; path: string; enabled: boolean }): Promise<void>;
  open(options: { tabId: number }): Promise<void>;
}

/** `chrome.sidePanel`, if this browser has it. */
export function sidePanelApi(): SidePanelApi | undefined {
  const api = (globalThis as { chrome?: { sidePanel?: Partial<SidePanelApi> } }).chrome?.sidePanel;
  return typeof api?.setOptions === 'function' && typeof api.open === 'function' ? (api as SidePanelApi) : undefined;
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
