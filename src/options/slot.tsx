/**
 * Elements inside a translated sentence: `t()` with {@link SLOT} as a substitution puts a marker where the message
 * says `$1`, and {@link fillSlot} puts an element there ("… turned off for **https://meet.example.org** because …"),
 * so that translators keep the element where their language wants it.
 */
import type { ComponentChildren } from 'preact';

/** A private-use character: never in a message, nor in anything substituted into one here. */
export const SLOT = '\uE000';

/** `text` (a message made with `SLOT` as a substitution) with `node` where the slot is. */
export function fillSlot(text: string, node: ComponentChildren): ComponentChildren {
  const at = text.indexOf(SLOT);
  if (at === -1) return text;
  return (
    <>
      {text.slice(0, at)}
      {node}
      {text.slice(at + SLOT.length)}
    </>
  );
}
