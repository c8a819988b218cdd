/**
 * @module The passphrase part of the enable form, in its two arrangements. Both have the same controls, named alike
 * ("Passphrase", "Show passphrase", "Generate passphrase", "Copy passphrase"), the same strength line and the same
 * override (src/ui/PassphraseOverride.tsx); they differ in where those go:
 *
 * - the options page has room: "Generate passphrase" beside the label, "Show" and "Copy" under the field, a warning
 *   box for a weak passphrase, and a notice about a generated one above the field's hint;
 * - the popup is 380 px wide: "Generate passphrase" is the first and largest button of the form (the way we
 *   recommend), "Show" sits beside the label, and a generated passphrase's notice, with its "Copy" button, takes the
 *   hint's place.
 */
import type { Ref } from 'preact';
import { t } from '../i18n';
import { PassphraseOverride } from '../PassphraseOverride';
import type { PassphraseVerdict } from '../passphrase-rule';
import type { StrengthLine } from './strength-line';
import { describedBy } from './TextField';

export interface PassphraseFieldProps {
  value: string;
  onInput(value: string): void;
  inputRef: Ref<HTMLInputElement>;
  /** The passphrase is shown in clear. */
  shown: boolean;
  onToggleShown(): void;
  onGenerate(): void;
  onCopy(): void;
  /** The field holds what "Generate passphrase" put there. */
  isGenerated: boolean;
  verdict: PassphraseVerdict;
  strength: StrengthLine;
  error: string | undefined;
  overridden: boolean;
  onOverride(on: boolean): void;
  /** What the passphrase buttons last did (the popup says it under the field; the page, in its own live region). */
  fieldStatus: string;
}

/** The options page's arrangement. */
export function PagePassphraseField(props: PassphraseFieldProps) {
  const { isGenerated, verdict } = props;
  return (
    <div class="field">
      <div class="label-row">
        <label for="passphrase">{t('enable_passphrase_label')}</label>
        <button type="button" class="generate" onClick={props.onGenerate}>
          {t('enable_generate')}
        </button>
      </div>
      <div class="with-toggle">
        <PassphraseInput {...props} notes={[isGenerated && 'generated-notice', 'passphrase-hint']} />
        <ShowButton {...props} class="secondary" />
        <button type="button" class="secondary" onClick={props.onCopy}>
          {t('enable_copy_passphrase')}
        </button>
      </div>
      <ErrorAndStrength {...props} />
      {/* Always in the page, so that screen readers announce the warning when it appears. */}
      <div id="passphrase-warning" class="strength-warning" role="status">
        {verdict.kind === 'weak' && (
          <p>
            <strong>{t('options_weak_title')}</strong> {t('options_weak_body', t('enable_generate'))}
          </p>
        )}
      </div>
      <PassphraseOverride verdict={verdict} checked={props.overridden} onChange={props.onOverride} />
      {isGenerated && (
        <div id="generated-notice" class="notice generated-notice">
          <p>
            <strong>{t('options_generated_title')}</strong> {t('options_generated_body')}
          </p>
        </div>
      )}
      <p id="passphrase-hint" class="hint">
        {t('options_passphrase_hint')}
      </p>
    </div>
  );
}

/** The popup's arrangement. */
export function PopupPassphraseField(props: PassphraseFieldProps) {
  const { isGenerated, verdict } = props;
  return (
    <>
      <button type="button" class="generate" onClick={props.onGenerate} aria-describedby="generate-hint">
        {t('enable_generate')}
      </button>
      <p class="hint" id="generate-hint">
        {t('popup_generate_hint')}
      </p>

      <div class="field">
        <div class="label-row">
          <label for="passphrase">{t('enable_passphrase_label')}</label>
          <ShowButton {...props} class="secondary small" />
        </div>
        <PassphraseInput {...props} notes={['passphrase-hint']} />
        <ErrorAndStrength {...props} />
        {isGenerated ? (
          <div id="passphrase-hint" class="notice generated-notice">
            <p>
              <strong>{t('popup_generated_strong')}</strong> {t('popup_generated_notice')}
            </p>
            <div class="button-row">
              <button type="button" class="secondary" onClick={props.onCopy}>
                {t('enable_copy_passphrase')}
              </button>
            </div>
          </div>
        ) : (
          <p id="passphrase-hint" class="hint">
            {verdict.kind === 'weak' ? (
              <strong class="warning-text">{t('popup_passphrase_weak')}</strong>
            ) : (
              t('popup_passphrase_hint')
            )}
          </p>
        )}
        <PassphraseOverride verdict={verdict} checked={props.overridden} onChange={props.onOverride} />
        <p class="local-status" role="status">
          {props.fieldStatus}
        </p>
      </div>
    </>
  );
}

/**
 * The field itself. `notes`: the ids of the arrangement's notes about it, after its error and strength line in its
 * description.
 */
function PassphraseInput({
  value,
  onInput,
  inputRef,
  shown,
  error,
  strength,
  notes,
}: PassphraseFieldProps & { notes: (string | false)[] }) {
  const props = {
    ref: inputRef,
    id: 'passphrase',
    name: 'passphrase',
    autoComplete: 'off',
    autoCapitalize: 'off' as const,
    spellcheck: false,
    value,
    onInput: (event: Event) => onInput((event.currentTarget as HTMLInputElement).value),
    'aria-invalid': error !== undefined ? ('true' as const) : undefined,
    'aria-describedby': describedBy(
      error !== undefined && 'passphrase-error',
      strength.text !== '' && 'passphrase-strength',
      ...notes,
    ),
  };
  // Same element either way (Preact only flips its type), so focus and caret stay where they are.
  return shown ? <input {...props} type="text" /> : <input {...props} type="password" />;
}

function ShowButton({ shown, onToggleShown, class: className }: PassphraseFieldProps & { class: string }) {
  return (
    <button
      type="button"
      class={className}
      aria-pressed={shown ? 'true' : 'false'}
      aria-controls="passphrase"
      onClick={onToggleShown}
    >
      {t('enable_show_passphrase')}
    </button>
  );
}

/** The field's error, then the strength line (one line always kept for it, so typing moves nothing below). */
function ErrorAndStrength({ error, strength }: PassphraseFieldProps) {
  return (
    <>
      {error !== undefined && (
        <p id="passphrase-error" class="error">
          {error}
        </p>
      )}
      <p id="passphrase-strength" class="strength" data-level={strength.level}>
        {strength.text}
      </p>
    </>
  );
}
