/**
 * The override of the passphrase rule (passphrase-rule.ts), the same in the popup and on the options page: a checkbox,
 * shown only once a typed passphrase is estimated weak (or could not be estimated), whose label says what the risk is.
 * Enable refuses such a passphrase until it is ticked; changing the passphrase unticks it.
 */

import { t } from './i18n';
import { offersOverride, type PassphraseVerdict, type Refusal } from './passphrase-rule';

export interface PassphraseOverrideProps {
  /** The verdict shown next to the field. */
  verdict: PassphraseVerdict;
  checked: boolean;
  onChange(checked: boolean): void;
}

export function PassphraseOverride({ verdict, checked, onChange }: PassphraseOverrideProps) {
  if (!offersOverride(verdict)) return null;
  return (
    <div class="passphrase-override">
      <input
        id="passphrase-override"
        type="checkbox"
        checked={checked}
        onChange={(event) => onChange(event.currentTarget.checked)}
      />
      <label for="passphrase-override">
        {verdict.kind === 'unknown' ? t('passphrase_override_unknown') : t('passphrase_override_weak')}
      </label>
    </div>
  );
}

/** What a form says when Enable refuses a passphrase (next to the field). */
export function refusalText(refusal: Refusal): string {
  switch (refusal) {
    case 'checking':
      return t('passphrase_refused_checking');
    case 'weak':
      return t('passphrase_refused_weak');
    case 'unknown':
      return t('passphrase_refused_unknown');
  }
}
