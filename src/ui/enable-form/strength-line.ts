/**
 * @module The strength line under the passphrase (`#passphrase-strength`): what the passphrase rule
 * (src/ui/passphrase-rule.ts) makes of the passphrase, in words, and the level its meter or colour shows.
 */
import { BITS_PER_WORD, GENERATED_PASSPHRASE_WORDS } from '../../shared/words';
import { t } from '../i18n';
import type { PassphraseVerdict } from '../passphrase-rule';
import type { Layout } from './words';

/** The entropy of a generated passphrase, which the line states instead of an estimate. */
const GENERATED_BITS = GENERATED_PASSPHRASE_WORDS * BITS_PER_WORD;

export interface StrengthLine {
  /** Empty while there is nothing to judge (the line keeps its height: typing moves nothing below it). */
  text: string;
  level: 'strong' | 'weak' | undefined;
}

export function strengthLine(verdict: PassphraseVerdict, layout: Layout): StrengthLine {
  switch (verdict.kind) {
    case 'empty':
      return { text: '', level: undefined };
    case 'generated':
      return { text: t('enable_strength_generated', GENERATED_BITS), level: 'strong' };
    case 'checking':
      return { text: t('passphrase_strength_checking'), level: undefined };
    case 'unknown':
      return { text: t('enable_strength_unknown'), level: undefined };
    case 'strong':
    case 'weak': {
      const { guessTime, warning } = verdict.estimate;
      if (layout === 'popup') {
        const text =
          verdict.kind === 'strong' ? t('popup_strength_strong', guessTime) : t('popup_strength_weak', guessTime);
        return { text, level: verdict.kind };
      }
      // The page has room for zxcvbn's own warning ("This is a commonly used password.").
      const judged = verdict.kind === 'strong' ? t('options_strength_strong') : t('options_strength_weak');
      const text = t('options_strength_estimate', judged, guessTime) + (warning !== undefined ? ` ${warning}` : '');
      return { text, level: verdict.kind };
    }
  }
}
