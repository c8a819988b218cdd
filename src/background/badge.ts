/**
 * @module The toolbar button of a tab: the badge ("E2E" while its calls are end-to-end encrypted, "!" when some media
 * is not), the tooltip (`action.setTitle`) that says which in words, and the icon's state (icon.ts: on, problem, off).
 *
 * All of it is set per tab, and Chrome and Firefox forget a tab's values when its top frame loads another document:
 * the button then shows the manifest's defaults (the `off` icon, no badge, the name as tooltip) until the new page's
 * bridge connects and its status is shown again (tab-status.ts).
 */
import browser from 'webextension-polyfill';
import { type TabStatus, UNPROTECTING_PROBLEMS } from '../shared/messages';
import { t } from '../ui/i18n';
import { type BadgeState, TOOLBAR_ICONS, toolbarState } from './icon';

/** Badge colours: red for a warning, green for protected (the text is white on either). */
const WARNING_COLOR = '#b3261e';
const PROTECTED_COLOR = '#1b6e3a';

/** What the badge says of `status`. */
export function badgeState(status: TabStatus): BadgeState {
  const receiving = status.transforms.filter((s) => s.side === 'receive');
  const warning =
    status.problems.some((p) => UNPROTECTING_PROBLEMS.includes(p)) ||
    receiving.some((s) => s.status === 'unencrypted' || s.status === 'undecryptable');
  if (warning) return 'warning';
  return status.transforms.some((s) => s.status === 'encrypted') ? 'protected' : 'idle';
}

/**
 * Shows `status` on tab `tabId`'s badge, tooltip and icon; `siteOn`: the site of the status is enabled. Never throws
 * (the tab may have closed).
 */
export async function updateBadge(tabId: number, status: TabStatus, siteOn: boolean): Promise<void> {
  const badge = badgeState(status);
  const warning = badge === 'warning';
  const icon = toolbarState(badge, siteOn, status.transforms.length > 0);
  try {
    // Title and colour first: whoever sees the new badge text also finds the words that explain it.
    await browser.action.setTitle({
      tabId,
      title: warning
        ? t('bg_badge_title_unprotected')
        : badge === 'protected'
          ? t('bg_badge_title_protected')
          : t('bg_badge_title_idle'),
    });
    await browser.action.setBadgeBackgroundColor({ tabId, color: warning ? WARNING_COLOR : PROTECTED_COLOR });
    await browser.action.setBadgeText({ tabId, text: warning ? '!' : badge === 'protected' ? 'E2E' : '' });
    // The icon last: a tooltip that survived the navigation's reset (test/browser/toolbar-icon.test.ts) means so did
    // the icon.
    await browser.action.setIcon({ tabId, path: { ...TOOLBAR_ICONS[icon] } });
  } catch {
    // the tab closed
  }
}
