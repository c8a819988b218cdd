/**
 * The "enable a site" form: a site, an optional room, and a passphrase (best generated here). On submit it checks
 * the fields, asks Chrome for the site's permission (synchronously, while the submit's user gesture lasts), then
 * asks the background to derive the room's key and register the site's scripts.
 *
 * The passphrase is never stored: it exists only in this form, so the form says so when it generates one, and
 * offers to copy it. Passphrases people type get a strength estimate (zxcvbn, loaded on demand), and one below the
 * shared bar (src/ui/passphrase-rule.ts, the same rule as the popup's) enables nothing until the user ticks the
 * override that says what the risk is.
 */
import { useRef, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import { PASSPHRASE_LENGTH } from '../shared/messages';
import { matchPatternFor } from '../shared/origin';
import { BITS_PER_WORD, GENERATED_PASSPHRASE_WORDS, generatePassphrase } from '../shared/words';
import { t } from '../ui/i18n';
import { PassphraseOverride, refusalText } from '../ui/PassphraseOverride';
import { usePassphraseCheck } from '../ui/passphrase-rule';
import { request } from './api';
import { parseSiteInput } from './origins';
import { normalizeRoomInput, roomInputError } from './rooms';

type Field = 'origin' | 'room' | 'passphrase';

interface Errors {
  origin?: string;
  room?: string;
  passphrase?: string;
  /** An error about no field in particular. */
  form?: string;
}

export interface EnableFormProps {
  /** Sites enabled now: enabling one of them again sets the passphrase of one of its rooms. */
  enabledOrigins: readonly string[];
  /** Called once a room's passphrase is set (`wasEnabled` if the site was enabled already); `room` is normalised. */
  onEnabled(origin: string, room: string, wasEnabled: boolean): void;
  /** Tells the page's live region what is going on. */
  announce(message: string): void;
}

const GENERATED_BITS = GENERATED_PASSPHRASE_WORDS * BITS_PER_WORD;

export function EnableForm({ enabledOrigins, onEnabled, announce }: EnableFormProps) {
  const [site, setSite] = useState('');
  const [room, setRoom] = useState('');
  const [passphrase, setPassphrase] = useState('');
  /** The passphrase "Generate passphrase" last put in the field (while the field still holds it, it is generated). */
  const [generated, setGenerated] = useState<string | undefined>(undefined);
  const [showPassphrase, setShowPassphrase] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const siteField = useRef<HTMLInputElement>(null);
  const roomField = useRef<HTMLInputElement>(null);
  const passphraseField = useRef<HTMLInputElement>(null);

  const isGenerated = passphrase !== '' && passphrase === generated;
  const check = usePassphraseCheck(passphrase, generated, site, room);

  const focusField = (field: Field): void => {
    ({ origin: siteField, room: roomField, passphrase: passphraseField })[field].current?.focus();
  };

  /** Focuses the first field in `found` that has an error (in the form's order). */
  const focusFirstError = (found: Errors): void => {
    const first = (['origin', 'room', 'passphrase'] as const).find((field) => found[field] !== undefined);
    if (first !== undefined) focusField(first);
  };

  const fail = (found: Errors): void => {
    setErrors(found);
    announce('');
    focusFirstError(found);
  };

  const onGenerate = (): void => {
    const fresh = generatePassphrase();
    setGenerated(fresh);
    setPassphrase(fresh);
    setShowPassphrase(true);
    setErrors(({ passphrase: _, ...others }) => others);
    announce(t('options_generated_announce', GENERATED_PASSPHRASE_WORDS));
  };

  const onCopy = async (): Promise<void> => {
    if (passphrase === '') {
      announce(t('options_copy_nothing'));
      return;
    }
    try {
      await navigator.clipboard.writeText(passphrase);
      announce(t('options_copied'));
    } catch {
      announce(t('options_copy_failed'));
    }
  };

  const onSubmit = (event: Event): void => {
    event.preventDefault();
    if (busy) return;
    announce(''); // The last outcome no longer applies.
    const origin = parseSiteInput(site);
    const found: Errors = {};
    if (!origin.ok) found.origin = origin.error;
    const roomError = roomInputError(room);
    if (roomError !== undefined) found.room = roomError;
    if (passphrase.length < PASSPHRASE_LENGTH.min || passphrase.trim() === '') {
      found.passphrase = t('options_passphrase_missing');
    } else if (passphrase.length > PASSPHRASE_LENGTH.max) {
      found.passphrase = t('options_passphrase_too_long', PASSPHRASE_LENGTH.max);
    } else {
      // The shared rule: a typed passphrase below the bar enables nothing without the override (nor before it is
      // estimated). Nothing is asked of Chrome or the background then.
      const refusal = check.refusalNow();
      if (refusal !== undefined) found.passphrase = refusalText(refusal);
    }
    setErrors(found);
    if (!origin.ok || Object.keys(found).length > 0) {
      focusFirstError(found);
      return;
    }
    const pattern = matchPatternFor(origin.origin);
    // permissions.request() needs the user gesture of this submit: it must come before anything is awaited.
    const permission = browser.permissions.request({ origins: [pattern] });
    void enable(origin.origin, pattern, room, passphrase, permission);
  };

  const enable = async (
    origin: string,
    pattern: string,
    roomInput: string,
    secret: string,
    permission: Promise<boolean>,
  ): Promise<void> => {
    const wasEnabled = enabledOrigins.includes(origin);
    setBusy(true);
    try {
      let granted: boolean;
      try {
        granted = await permission;
      } catch (error) {
        fail({ origin: t('options_permission_error', error instanceof Error ? error.message : String(error)) });
        return;
      }
      if (!granted) {
        fail({ origin: t('options_permission_denied', origin, t('options_enable')) });
        return;
      }
      announce(t('options_enabling', origin));
      const response = await request({ type: 'sites/enable', origin, passphrase: secret, room: roomInput });
      if (!response.ok) {
        // Do not leave a permission behind for a site that is not enabled.
        if (!wasEnabled) await browser.permissions.remove({ origins: [pattern] }).catch(() => false);
        fail(response.field === undefined ? { form: response.error } : { [response.field]: response.error });
        return;
      }
      setPassphrase('');
      setGenerated(undefined);
      setShowPassphrase(false);
      setSite('');
      setRoom('');
      onEnabled(origin, normalizeRoomInput(roomInput), wasEnabled);
    } finally {
      setBusy(false);
    }
  };

  const describedBy = (...ids: (string | false)[]): string => ids.filter(Boolean).join(' ');

  const { shown } = check;
  const level =
    shown.kind === 'strong' || shown.kind === 'generated' ? 'strong' : shown.kind === 'weak' ? 'weak' : undefined;
  const strengthText =
    shown.kind === 'generated'
      ? t('options_strength_generated', GENERATED_BITS)
      : shown.kind === 'checking'
        ? t('passphrase_strength_checking')
        : shown.kind === 'unknown'
          ? t('options_strength_unknown')
          : shown.kind === 'empty'
            ? ''
            : t(
                'options_strength_estimate',
                shown.kind === 'strong' ? t('options_strength_strong') : t('options_strength_weak'),
                shown.estimate.guessTime,
              ) + (shown.estimate.warning !== undefined ? ` ${shown.estimate.warning}` : '');
  const weak = shown.kind === 'weak';

  const onOverride = (on: boolean): void => {
    check.setOverridden(on);
    // A refusal shown for this passphrase no longer holds once the user took the risk.
    if (on) setErrors(({ passphrase: _, ...others }) => others);
  };

  const passphraseProps = {
    ref: passphraseField,
    id: 'passphrase',
    name: 'passphrase',
    autoComplete: 'off',
    autoCapitalize: 'off' as const,
    spellcheck: false,
    value: passphrase,
    onInput: (event: Event) => setPassphrase((event.currentTarget as HTMLInputElement).value),
    'aria-invalid': errors.passphrase !== undefined ? ('true' as const) : undefined,
    'aria-describedby': describedBy(
      errors.passphrase !== undefined && 'passphrase-error',
      strengthText !== '' && 'passphrase-strength',
      isGenerated && 'generated-notice',
      'passphrase-hint',
    ),
  };

  return (
    <form class="enable-form" noValidate onSubmit={onSubmit} aria-labelledby="enable-heading">
      <h2 id="enable-heading">{t('options_enable_heading')}</h2>
      <div class="field">
        <label for="site">{t('options_site_label')}</label>
        <input
          ref={siteField}
          id="site"
          name="site"
          type="text"
          inputMode="url"
          autoComplete="off"
          autoCapitalize="off"
          spellcheck={false}
          value={site}
          onInput={(event) => setSite(event.currentTarget.value)}
          aria-invalid={errors.origin !== undefined ? 'true' : undefined}
          aria-describedby={describedBy('site-hint', errors.origin !== undefined && 'site-error')}
        />
        <p id="site-hint" class="hint">
          {t('options_site_hint')}
        </p>
        {errors.origin !== undefined && (
          <p id="site-error" class="error">
            {errors.origin}
          </p>
        )}
      </div>

      <div class="field">
        <label for="room">{t('options_room_label')}</label>
        <input
          ref={roomField}
          id="room"
          name="room"
          type="text"
          autoComplete="off"
          spellcheck={false}
          value={room}
          onInput={(event) => setRoom(event.currentTarget.value)}
          aria-invalid={errors.room !== undefined ? 'true' : undefined}
          aria-describedby={describedBy('room-hint', errors.room !== undefined && 'room-error')}
        />
        <p id="room-hint" class="hint">
          {t('options_room_hint')}
        </p>
        {errors.room !== undefined && (
          <p id="room-error" class="error">
            {errors.room}
          </p>
        )}
      </div>

      <div class="field">
        <div class="label-row">
          <label for="passphrase">{t('options_passphrase_label')}</label>
          <button type="button" class="generate" onClick={onGenerate}>
            {t('options_generate')}
          </button>
        </div>
        <div class="with-toggle">
          {/* Same element either way (Preact only flips its type), so focus and caret stay where they are. */}
          {showPassphrase ? <input {...passphraseProps} type="text" /> : <input {...passphraseProps} type="password" />}
          <button
            type="button"
            class="secondary"
            aria-pressed={showPassphrase ? 'true' : 'false'}
            aria-controls="passphrase"
            onClick={() => setShowPassphrase(!showPassphrase)}
          >
            {t('options_show_passphrase')}
          </button>
          <button type="button" class="secondary" onClick={() => void onCopy()}>
            {t('options_copy_passphrase')}
          </button>
        </div>
        {errors.passphrase !== undefined && (
          <p id="passphrase-error" class="error">
            {errors.passphrase}
          </p>
        )}
        <p id="passphrase-strength" class="strength" data-level={level}>
          {strengthText}
        </p>
        {/* Always in the page, so that screen readers announce the warning when it appears. */}
        <div id="passphrase-warning" class="strength-warning" role="status">
          {weak && (
            <p>
              <strong>{t('options_weak_title')}</strong> {t('options_weak_body', t('options_generate'))}
            </p>
          )}
        </div>
        <PassphraseOverride verdict={shown} checked={check.overridden} onChange={onOverride} />
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
      {errors.form !== undefined && (
        <p class="error" role="alert">
          {errors.form}
        </p>
      )}
      <button
        type="submit"
        class="primary"
        aria-disabled={busy || check.refusal !== undefined ? 'true' : undefined}
        aria-describedby={check.refusal !== undefined && strengthText !== '' ? 'passphrase-strength' : undefined}
      >
        {t('options_enable')}
      </button>
    </form>
  );
}
