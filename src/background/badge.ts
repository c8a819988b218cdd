/**
 * @module The toolbar badge of a tab: "E2E" while its calls are end-to-end encrypted, "!" when some media is not, and
 * the tooltip (`action.setTitle`) that says which in words.
 */
import browser from 'webextension-polyfill';
import { type TabStatus, UNPROTECTING_PROBLEMS } from '../shared/messages';
import { t } from '../ui/i18n';

/** Badge colours: red for a warning, green for protected (the text is white on either). */
const WARNING_COLOR = '#b3261e';
const PROTECTED_COLOR = '#1b6e3a';

/** Shows `status` on tab `tabId`'s badge. Never throws (the tab may have closed). */
export async function updateBadge(tabId: number, status: TabStatus): Promise<void> {
  const receiving = status.transforms.filter((s) => s.side === 'receive');
  const warning =
    status.problems.some((p) => UNPROTECTING_PROBLEMS.includes(p)) ||
    receiving.some((s) => s.status === 'unencrypted' || s.status === 'undecryptable');
  const protectedNow = status.transforms.some((s) => s.status === 'encrypted');
  const text = warning ? '!' : protectedNow ? 'E2E' : '';
  try {
    // Title and colour first: whoever sees the new badge text also finds the words that explain it.
    await browser.action.setTitle({
      tabId,
      title: warning
        ? t('bg_badge_title_unprotected')
        : protectedNow
          ? t('bg_badge_title_protected')
          : t('bg_badge_title_idle'),
    });
    await browser.action.setBadgeBackgroundColor({ tabId, color: warning ? WARNING_COLOR : PROTECTED_COLOR });
    await browser.action.setBadgeText({ tabId, text });
  } catch {
    // the tab closed
  }
}
