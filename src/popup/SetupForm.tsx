/**
 * Setting up encryption on the tab's site from the popup: a passphrase (best generated: "Generate passphrase"), an
 * optional room, and "Enable". Enable asks Chrome for the site's permission synchronously, while the click's user
 * gesture lasts, and only then asks the background (`sites/enable`) to derive the room's key; a permission it added
 * for nothing is removed again. The same form sets the passphrase of a room of a site already enabled.
 *
 * A typed passphrase below the shared bar (src/ui/passphrase-rule.ts, the same rule as the options page's) enables
 * nothing until the user ticks the override that says what the risk is; a generated one enables at once.
 *
 * The passphrase lives only in this form's state (and the popup's, right after enabling, to share it): it is never
 * stored, never logged.
 */
import { useRef, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import { request } from '../options/api';
import { PASSPHRASE_LENGTH, ROOM_LABEL_MAX_LENGTH } from '../shared/messages';
import { normalizeRoomLabel } from '../shared/normalize';
import { matchPatternFor } from '../shared/origin';
import { BITS_PER_WORD, GENERATED_PASSPHRASE_WORDS, generatePassphrase } from '../shared/words';
import { t } from '../ui/i18n';
import { PassphraseOverride, refusalText } from '../ui/PassphraseOverride';
import { usePassphraseCheck } from '../ui/passphrase-rule';
import { copyText } from './Share';

/** Why the form is shown. */
export type SetupReason = 'new' | 'no-key' | 'change';

export interface SetupFormProps {
  origin: string;
  reason: SetupReason;
  /** The room to start with (the tab's room when it has no key). */
  initialRoom: string;
  /** Called once the room's key is set; `room` is normalised. */
  onEnabled(room: string, passphrase: string): void;
  /** Closes the form (when it was opened on a site already enabled). */
  onCancel?: () => void;
  announce(message: string): void;
}

interface Errors {
  passphrase?: string;
  room?: string;
  form?: string;
}

export function SetupForm({ origin, reason, initialRoom, onEnabled, onCancel, announce }: SetupFormProps) {
  const [passphrase, setPassphrase] = useState('');
  const [generated, setGenerated] = useState<string | undefined>(undefined);
  const [room, setRoom] = useState(initialRoom);
  const [show, setShow] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  /** What the passphrase buttons did (a live region under the field). */
  const [fieldStatus, setFieldStatus] = useState('');
  const passphraseField = useRef<HTMLInputElement>(null);
  const roomField = useRef<HTMLInputElement>(null);
  const isGenerated = passphrase !== '' && passphrase === generated;

  const check = usePassphraseCheck(passphrase, generated, origin, room);

  const onGenerate = (): void => {
    const fresh = generatePassphrase();
    setGenerated(fresh);
    setPassphrase(fresh);
    setShow(true);

    setErrors(({ passphrase: _, ...others }) => others);
    setFieldStatus(t('popup_generated_announce', GENERATED_PASSPHRASE_WORDS));
  };

  const onSubmit = (event: Event): void => {
    event.preventDefault();
    if (busy) return;
    const found: Errors = {};
    if (passphrase.trim() === '') found.passphrase = t('popup_error_no_passphrase');
    else if (passphrase.length > PASSPHRASE_LENGTH.max) {
      found.passphrase = t('popup_error_passphrase_long', PASSPHRASE_LENGTH.max);
    } else {
      // The shared rule: a typed passphrase below the bar enables nothing without the override (nor before it is
      // estimated). Nothing is asked of Chrome or the background then.
      const refusal = check.refusalNow();
      if (refusal !== undefined) found.passphrase = refusalText(refusal);
    }
    const label = normalizeRoomLabel(room);
    if (!label.ok) {
      found.room =
        [...room.normalize('NFKC').trim()].length > ROOM_LABEL_MAX_LENGTH
          ? t('popup_error_room_long', ROOM_LABEL_MAX_LENGTH)
          : t('popup_error_room_invalid');
    }
    setErrors(found);
    if (found.passphrase !== undefined) {
      passphraseField.current?.focus();
      return;
    }
    if (found.room !== undefined || !label.ok) {
      roomField.current?.focus();
      return;
    }
    const pattern = matchPatternFor(origin);
    // permissions.request() needs this click's user gesture: it must come before anything is awaited. The request
    // to the background goes at once too: Chrome may close the popup while its permission prompt is up, and the
    // background then finishes enabling by itself once the permission is granted.
    const permission = browser.permissions.request({ origins: [pattern] });
    const enabling = request({
      type: 'sites/enable',
      origin,
      passphrase,
      room: label.label,
      waitForPermission: true,
    });
    void enable(pattern, permission, enabling, label.label, passphrase);
  };

  const enable = async (
    pattern: string,
    permission: Promise<boolean>,
    enabling: ReturnType<typeof request<'sites/enable'>>,
    label: string,
    secret: string,
  ): Promise<void> => {
    setBusy(true);
    announce('');
    try {
      let granted: boolean;
      try {
        granted = await permission;
      } catch {
        granted = false;
      }
      if (!granted) {
        // The background waits for the permission: tell it to stop, so a later grant does not enable this.
        void request({ type: 'sites/cancel-enable', origin });
        setErrors({ form: t('popup_error_permission', origin) });
        return;
      }
      announce(t('popup_enabling', origin));
      const response = await enabling;
      if (!response.ok) {
        // Do not leave a permission behind for a site that is not enabled.
        if (reason === 'new') await browser.permissions.remove({ origins: [pattern] }).catch(() => false);
        const message = t('popup_error_enable', response.error);
        setErrors(
          response.field === 'passphrase'
            ? { passphrase: message }
            : response.field === 'room'
              ? { room: message }
              : { form: message },
        );
        announce('');
        return;
      }
      onEnabled(label, secret);
    } finally {
      setBusy(false);
    }
  };

  const describedBy = (...ids: (string | false)[]): string => ids.filter(Boolean).join(' ');
  const { shown } = check;
  const weak = shown.kind === 'weak';
  const strengthText =
    shown.kind === 'generated'
      ? t('popup_strength_generated', GENERATED_PASSPHRASE_WORDS * BITS_PER_WORD)
      : shown.kind === 'checking'
        ? t('passphrase_strength_checking')
        : shown.kind === 'unknown'
          ? t('popup_strength_failed')
          : shown.kind === 'strong'
            ? t('popup_strength_strong', shown.estimate.guessTime)
            : shown.kind === 'weak'
              ? t('popup_strength_weak', shown.estimate.guessTime)
              : '';

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
    onInput: (event: Event) => {
      setPassphrase((event.currentTarget as HTMLInputElement).value);
      setFieldStatus('');
    },
    'aria-invalid': errors.passphrase !== undefined ? ('true' as const) : undefined,
    'aria-describedby': describedBy(
      errors.passphrase !== undefined && 'passphrase-error',
      'passphrase-strength',
      'passphrase-hint',
    ),
  };

  return (
    <form class="setup" noValidate onSubmit={onSubmit} aria-labelledby="setup-heading">
      <h2 id="setup-heading" tabIndex={-1}>
        {reason === 'change' ? t('popup_setup_heading_change') : t('popup_setup_heading')}
      </h2>
      <p class={reason === 'no-key' ? 'notice' : 'lede'}>
        {reason === 'no-key'
          ? room === ''
            ? t('popup_setup_no_key')
            : t('popup_setup_no_key_room', room)
          : t('popup_setup_intro')}
      </p>

      <button type="button" class="generate" onClick={onGenerate} aria-describedby="generate-hint">
        {t('popup_generate')}
      </button>
      <p class="hint" id="generate-hint">
        {t('popup_generate_hint')}
      </p>

      <div class="field">
        <div class="label-row">
          <label for="passphrase">{t('popup_passphrase')}</label>
          <button
            type="button"
            class="secondary small"
            aria-pressed={show ? 'true' : 'false'}
            aria-controls="passphrase"
            onClick={() => setShow(!show)}
          >
            {t('popup_show_passphrase')}
          </button>
        </div>
        {/* Same element either way (Preact only flips its type), so focus and caret stay where they are. */}
        {show ? <input {...passphraseProps} type="text" /> : <input {...passphraseProps} type="password" />}
        {errors.passphrase !== undefined && (
          <p id="passphrase-error" class="error">
            {errors.passphrase}
          </p>
        )}
        <p
          id="passphrase-strength"
          class="strength"
          data-level={shown.kind === 'generated' || shown.kind === 'strong' ? 'strong' : weak ? 'weak' : undefined}
        >
          {strengthText}
        </p>
        {isGenerated ? (
          <div id="passphrase-hint" class="notice generated">
            <p>
              <strong>{t('popup_generated_strong')}</strong> {t('popup_generated_notice')}
            </p>
            <div class="button-row">
              <button
                type="button"
                class="secondary"
                onClick={() => void copyText(passphrase, t('popup_passphrase_copied'), setFieldStatus)}
              >
                {t('popup_copy_passphrase')}
              </button>
            </div>
          </div>
        ) : (
          <p id="passphrase-hint" class="hint">
            {weak ? <strong class="warning-text">{t('popup_passphrase_weak')}</strong> : t('popup_passphrase_hint')}
          </p>
        )}
        <PassphraseOverride verdict={shown} checked={check.overridden} onChange={onOverride} />
        <p class="local-status" role="status">
          {fieldStatus}
        </p>
      </div>

      <div class="field">
        <label for="room">{t('popup_room')}</label>
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
          aria-describedby={describedBy(errors.room !== undefined && 'room-error', 'room-hint')}
        />
        {errors.room !== undefined && (
          <p id="room-error" class="error">
            {errors.room}
          </p>
        )}
        <p id="room-hint" class="hint">
          {t('popup_room_hint')}
        </p>
      </div>

      {errors.form !== undefined && (
        <p class="error" role="alert">
          {errors.form}
        </p>
      )}
      <div class="button-row">
        <button
          type="submit"
          class="primary"
          aria-disabled={busy || check.refusal !== undefined ? 'true' : undefined}
          aria-describedby={check.refusal !== undefined && strengthText !== '' ? 'passphrase-strength' : undefined}
        >
          {t('popup_enable')}
        </button>
        {onCancel !== undefined && (
          <button type="button" class="secondary" onClick={onCancel}>
            {t('popup_cancel')}
          </button>
        )}
      </div>
    </form>
  );
}
