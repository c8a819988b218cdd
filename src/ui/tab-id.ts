/**
 * @module The tab a page is about, from its query string: the popup opened as a page (`?tabId=<n>`, tests or a popup
 * detached into a tab) and the chat side panel (the popup's "Open chat" sets its path with the tab's id) read it alike.
 */

/** The tab id in `?tabId=<n>`, if there is a valid one. */
export function tabIdFromSearch(search: string): number | undefined {
  const value = new URLSearchParams(search).get('tabId');
  if (value === null || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}
