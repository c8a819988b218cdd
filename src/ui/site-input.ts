/**
 * @module Site addresses typed into the enable form (the options page's "Site" field): `normalizeOrigin`
 * (src/shared/origin.ts) decides, and explains in English only; this tells its reasons apart by what it says and words
 * them in the page's language. A reason it does not recognise is shown as it is (test/dom/options.test.tsx covers
 * every reason, so a reworded one is noticed).
 */
import { MAX_ORIGIN_INPUT_LENGTH, type NormalizedOrigin, normalizeOrigin } from '../shared/origin';
import { t } from './i18n';

/** `normalizeOrigin(input)`, with its error in the page's language. */
export function parseSiteInput(input: string): NormalizedOrigin {
  const result = normalizeOrigin(input);
  return result.ok ? result : { ok: false, error: originErrorText(result.error) };
}

/** `normalizeOrigin`'s English `error` in the page's language. */
export function originErrorText(error: string): string {
  const scheme = /^Only http:\/\/ and https:\/\/ sites can be enabled \(not "(.*)"\)/.exec(error);
  if (scheme !== null) return t('options_origin_scheme', scheme[1] ?? '');
  if (/^Enter the site's address/.test(error)) return t('options_origin_empty');
  if (/too long/.test(error)) return t('options_origin_too_long', MAX_ORIGIN_INPUT_LENGTH);
  if (/spaces or control characters/.test(error)) return t('options_origin_spaces');
  if (/^Wildcards/.test(error)) return t('options_origin_wildcard');
  if (/user name and password/.test(error)) return t('options_origin_credentials');
  if (/without a path/.test(error)) return t('options_origin_path');
  if (/^Not a site address/.test(error)) return t('options_origin_invalid');
  if (/must be given as text/.test(error)) return t('options_origin_not_text');
  return error;
}
