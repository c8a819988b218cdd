/**
 * @module What arrives on a port the page script made (the worker's, the reports port), as the bridge's own objects.
 *
 * In Chrome the bridge's world gets its own copy of every message, as any listener does. In Firefox the copy is made
 * in the page's realm, whose ports they are, and the bridge sees it through a wrapper: `instanceof Uint8Array` is
 * false for its bytes, and a failed check that names the value's prototype throws ("Permission denied to access
 * property"). So the Firefox build copies each message into the bridge's realm before anything reads it, with the
 * bridge's own `structuredClone` (checked in Firefox 153: the copy's bytes are the bridge's `Uint8Array`s). Something
 * that cannot be copied is dropped, as any malformed message is.
 */
import { TARGET_BROWSER } from '../shared/target-browser';

/** Whether {@link portData} copies (Firefox) or passes the message through (Chrome). */
export const COPIES_PORT_DATA = TARGET_BROWSER === 'firefox';

/** The message `data` of a page-made port, as the bridge's own objects (undefined: it could not be copied). */
export function portData(data: unknown): unknown {
  if (!COPIES_PORT_DATA) return data;
  try {
    return structuredClone(data);
  } catch {
    return undefined;
  }
}
