/**
 * "About Framelock": the threat model in plain words, for people who are not cryptographers. What end-to-end
 * encryption protects here, what it does not (keep it in step with docs/threat-model.md), what it costs, and which
 * of Framelock's signals to trust.
 */
import { t } from '../ui/i18n';
import { fillSlot, SLOT } from './slot';

/** The threat model page in the build (vite.config.ts emits docs/threat-model.md there). */
const THREAT_MODEL_PAGE = '/docs/threat-model.html';

export function About() {
  return (
    <section class="about" aria-labelledby="about-heading">
      <h2 id="about-heading">{t('options_about_heading')}</h2>
      <p>{t('options_about_intro')}</p>

      <h3 id="about-protected">{t('options_about_protected_heading')}</h3>
      <ul aria-labelledby="about-protected">
        <li>{t('options_about_protected_content')}</li>
        <li>{t('options_about_protected_others')}</li>
      </ul>

      <h3 id="about-unprotected">{t('options_about_unprotected_heading')}</h3>
      <ul aria-labelledby="about-unprotected">
        <li>{t('options_about_unprotected_page')}</li>
        <li>{t('options_about_unprotected_metadata')}</li>
        <li>{t('options_about_unprotected_impersonation')}</li>
        <li>{t('options_about_unprotected_passphrase_out')}</li>
        <li>{t('options_about_unprotected_sharing')}</li>
        <li>{t('options_about_unprotected_guessing')}</li>
      </ul>

      <h3 id="about-tradeoffs">{t('options_about_tradeoffs_heading')}</h3>
      <ul aria-labelledby="about-tradeoffs">
        <li>{t('options_about_tradeoffs_server')}</li>
        <li>{t('options_about_tradeoffs_page')}</li>
      </ul>

      <h3>{t('options_about_indicator_heading')}</h3>
      <p>{t('options_about_indicator')}</p>

      <p class="hint">
        {fillSlot(
          t('options_about_docs', SLOT),
          // Shipped with the extension (docs/*.md rendered at build time, scripts/docs.ts): it works offline and
          // shows the threat model of this very version. An absolute path resolves within our own origin.
          <a href={THREAT_MODEL_PAGE} target="_blank" rel="noopener">
            {t('options_about_docs_link')}
          </a>,
        )}
      </p>
    </section>
  );
}
