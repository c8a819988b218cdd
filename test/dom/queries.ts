/**
 * Queries the popup's and the options page's component tests share: both render the same passphrase rule
 * (src/ui/passphrase-rule.ts) and describe their controls the same way.
 */
import { screen } from '@testing-library/preact';

/** The text of the element(s) `element`'s aria-describedby points at. */
export function description(element: Element): string {
  return (element.getAttribute('aria-describedby') ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((id) => document.getElementById(id)?.textContent ?? '')
    .join(' | ');
}

/** The override checkbox of a weak passphrase, if the form offers it. */
export const overrideBox = (): HTMLInputElement | null =>
  screen.queryByRole('checkbox', { name: /^Use this weak passphrase anyway/ }) as HTMLInputElement | null;
