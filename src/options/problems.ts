/** What each `SiteProblem` means, in the words the options page shows. */
import type { SiteProblem } from '../shared/messages';

export const PROBLEM_TEXT: Readonly<Record<SiteProblem, string>> = {
  no_transform_api:
    'Calls on this site are NOT end-to-end encrypted: this browser cannot transform media, so Framelock blocks ' +
    'them. Update the browser, or disable the site here to call without end-to-end encryption.',
  worker_blocked:
    "Calls on this site are NOT end-to-end encrypted: the site's security policy blocks Framelock's worker, so " +
    'Framelock blocks them. Disable the site here to call without end-to-end encryption.',
  cross_origin_frame:
    'A call on this site ran in an embedded frame from another site, which is not enabled: that call is NOT ' +
    'end-to-end encrypted. Enable the frame’s site too.',
  unsafe_frame:
    'A call on this site ran in an embedded frame or popup that the site’s own page could tamper with before ' +
    'Framelock started there, so Framelock blocks its media rather than risk its keys. Calls in the main page ' +
    'are not affected.',
  site_processing_bypassed:
    'This site processes call media itself (for example its own effects or encryption). Framelock kept its ' +
    'end-to-end encryption, so the site’s own processing does not run; calls stay encrypted.',
};
