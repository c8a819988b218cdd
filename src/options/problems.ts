/**
 * What each `SiteProblem` means, in plain words (the `problem_*` messages of messages.en.json).
 *
 * UI code shows a problem with `t(PROBLEM_KEYS[problem])`. {@link problemText} and {@link PROBLEM_TEXT} give the same
 * text without importing `webextension-polyfill` (which throws outside an extension): the real-browser tests import
 * them in Node to compare what the page shows. They ask `chrome.i18n` where there is one (an extension page: the
 * same answer `t()` gives), and fall back to the English messages elsewhere (Node, happy-dom).
 */
import type { SiteProblem } from '../shared/messages';
import type { MessageKey } from '../ui/locales';
import english from './messages.en.json';

/** The message of each problem. */
export const PROBLEM_KEYS = {
  tampering_blocked: 'problem_tampering_blocked',
  encryption_removed: 'problem_encryption_removed',
  no_transform_api: 'problem_no_transform_api',
  page_script_missing: 'problem_page_script_missing',
  worker_blocked: 'problem_worker_blocked',
  no_room_key: 'problem_no_room_key',
  clock_skew: 'problem_clock_skew',
  cross_origin_frame: 'problem_cross_origin_frame',
  unsafe_frame_call: 'problem_unsafe_frame_call',
  unsafe_frame: 'problem_unsafe_frame',
  worker_stopped: 'problem_worker_stopped',
  worker_restarted: 'problem_worker_restarted',
  older_peer: 'problem_older_peer',
  not_sending: 'problem_not_sending',
  site_processing_bypassed: 'problem_site_processing_bypassed',
} as const satisfies Readonly<Record<SiteProblem, MessageKey & keyof typeof english>>;

interface I18nLike {
  getMessage(key: string): string;
}

/** What `problem` means, in the browser's language (English outside an extension). */
export function problemText(problem: SiteProblem): string {
  const key = PROBLEM_KEYS[problem];
  const i18n = (globalThis as { chrome?: { i18n?: Partial<I18nLike> } }).chrome?.i18n;
  if (typeof i18n?.getMessage === 'function') {
    const text = i18n.getMessage(key);
    return text === '' ? `⟦${key}⟧` : text;
  }
  return english[key].message;
}

/** {@link problemText} of each problem (each read when used, so always in the current language). */
export const PROBLEM_TEXT: Readonly<Record<SiteProblem, string>> = Object.freeze(
  Object.defineProperties(
    {} as Record<SiteProblem, string>,
    Object.fromEntries(
      (Object.keys(PROBLEM_KEYS) as SiteProblem[]).map((problem) => [
        problem,
        { enumerable: true, get: () => problemText(problem) },
      ]),
    ),
  ),
);
