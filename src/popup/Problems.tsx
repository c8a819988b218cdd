/**
 * What keeps this tab's calls from being protected as the user expects (the tab's problems and its site's), in
 * plain words, worst first. Problems that leave media unprotected are warnings; the others are notices.
 */
import { SITE_PROBLEMS, type SiteProblem, UNPROTECTING_PROBLEMS } from '../shared/messages';
import { t } from '../ui/i18n';

export interface ProblemsProps {
  problems: readonly SiteProblem[];
  /** With `clock_skew`: how many key epochs (10 minutes each) the farthest sender was from our clock. */
  clockSkew: number | undefined;
  /** With `cross_origin_frame`: the frames' origins. */
  frames: readonly string[] | undefined;
}

function problemText(problem: SiteProblem, clockSkew: number | undefined, frames: readonly string[] = []): string {
  switch (problem) {
    case 'tampering_blocked':
      return t('popup_problem_tampering_blocked');
    case 'encryption_removed':
      return t('popup_problem_encryption_removed');
    case 'no_transform_api':
      return t('popup_problem_no_transform_api');
    case 'worker_blocked':
      return t('popup_problem_worker_blocked');
    case 'no_room_key':
      return t('popup_problem_no_room_key');
    case 'clock_skew':
      return clockSkew === undefined
        ? t('popup_problem_clock_skew')
        : t('popup_problem_clock_skew_minutes', Math.abs(clockSkew) * 10);
    case 'cross_origin_frame':
      return frames.length === 0
        ? t('popup_problem_cross_origin_frame')
        : t('popup_problem_cross_origin_frame_origins', frames.join(', '));
    case 'unsafe_frame_call':
      return t('popup_problem_unsafe_frame_call');
    case 'page_script_missing':
      return t('popup_problem_page_script_missing');
    case 'unsafe_frame':
      return t('popup_problem_unsafe_frame');
    case 'worker_stopped':
      return t('popup_problem_worker_stopped');
    case 'worker_restarted':
      return t('popup_problem_worker_restarted');
    case 'older_peer':
      return t('popup_problem_older_peer');
    case 'not_sending':
      return t('popup_problem_not_sending');
    case 'site_processing_bypassed':
      return t('popup_problem_site_processing_bypassed');
  }
}

export function Problems({ problems, clockSkew, frames }: ProblemsProps) {
  if (problems.length === 0) return null;
  const sorted = [...problems].sort((a, b) => SITE_PROBLEMS.indexOf(a) - SITE_PROBLEMS.indexOf(b));
  return (
    <section class="problems" aria-labelledby="problems-heading">
      <h2 id="problems-heading" class="visually-hidden">
        {t('popup_problems_heading')}
      </h2>
      <ul>
        {sorted.map((problem) => (
          <li
            key={problem}
            class={UNPROTECTING_PROBLEMS.includes(problem) ? 'problem-block' : 'notice'}
            data-problem={problem}
          >
            {problemText(problem, clockSkew, frames)}
          </li>
        ))}
      </ul>
    </section>
  );
}
