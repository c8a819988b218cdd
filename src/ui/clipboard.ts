/**
 * @module Copying a passphrase or an invitation to the clipboard, from a click (the popup and the options page hold
 * the clipboard permission only while focused, after a user gesture).
 */

/** Writes `text` to the clipboard; `false` if the browser refused (the caller says so, and how to copy by hand). */
export async function copyToClipboard(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
