/** What each `SiteProblem` means, in the words the options page shows. */
import type { SiteProblem } from '../shared/messages';

export const PROBLEM_TEXT: Readonly<Record<SiteProblem, string>> = {
  no_transform_api:
    'Calls on this site are NOT end-to-end encrypted: this browser cannot transform media, so Framelock blocks ' +
    'them. Update the browser, or disable the site here to call without end-to-end encryption.',
  worker_blocked:
    "Calls on this site are NOT end-to-end encrypted: the site's security policy blocks Framelock's worker, so " +
    'Framelock blocks them. Disable the site here to call without end-to-end encryption.',
  no_room_key:
    'This site has no passphrase (Framelock’s key derivation was upgraded, or its room was forgotten), so ' +
    'Framelock sends no media in its calls. Enter the passphrase again below.',
  clock_skew:
    'Your clock is off, or another participant’s is: media arrived keyed for a time more than 10 minutes away ' +
    'from this computer’s clock, and Framelock cannot decrypt it. Check that the date and time are set ' +
    'automatically here, and ask the others to check theirs.',
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
