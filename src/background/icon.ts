/**
 * @module The toolbar icon's states and the files that draw them (public/icons/, rendered by `npm run icons`,
 * scripts/icons.ts). Pure: no extension API, so the release check (scripts/package.ts) can read the paths the
 * background sets and require each in the zip. badge.ts shows the state of each tab, beside the badge.
 *
 * The states differ in shape, not only in colour:
 *
 * | state | when | drawn as |
 * |---|---|---|
 * | `on` | the tab's site is enabled, nothing wrong | a closed green padlock, a play shape in its body |
 * | `problem` | the badge warns (`!`): some media not encrypted, or a problem that leaves it unprotected | the closed padlock in red, an exclamation mark in its body |
 * | `off` | the tab's site is not enabled, and no frame of the tab carries media through Framelock | an open, hollow grey padlock: the manifest's `action.default_icon`, which the browser shows again after every navigation |
 */

/** What the toolbar icon of a tab says. */
export type ToolbarState = 'on' | 'problem' | 'off';

/** The sizes of each state's icon: 16 px for the toolbar, 32 px for its 2x screens. */
export type ToolbarIconSize = 16 | 32;

/** Each state's icon files, relative to the extension's root (`action.setIcon`'s `path`, the zip's entries). */
export const TOOLBAR_ICONS: Readonly<Record<ToolbarState, Readonly<Record<ToolbarIconSize, string>>>> = {
  on: { 16: 'icons/on-16.png', 32: 'icons/on-32.png' },
  problem: { 16: 'icons/problem-16.png', 32: 'icons/problem-32.png' },
  off: { 16: 'icons/off-16.png', 32: 'icons/off-32.png' },
};

/** What the badge says of a tab (badge.ts): `!`, `E2E`, or nothing. */
export type BadgeState = 'warning' | 'protected' | 'idle';

/**
 * The icon's state for a tab whose badge says `badge`. `siteOn`: the tab's site is enabled; `carriesMedia`: some
 * frame of the tab reports media through Framelock (an enabled frame inside a page that is not).
 */
export function toolbarState(badge: BadgeState, siteOn: boolean, carriesMedia: boolean): ToolbarState {
  if (!siteOn && !carriesMedia) return 'off';
  return badge === 'warning' ? 'problem' : 'on';
}
