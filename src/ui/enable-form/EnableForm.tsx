/**
 * @module The enable form, the same on the options page and in the popup: a site (typed on the options page, the
 * tab's in the popup), an optional room, and a passphrase (best generated here). The same form sets the passphrase of
 * a room of a site already enabled.
 *
 * On submit it checks the fields, asks Chrome for the site's permission synchronously, while the submit's user gesture
 * lasts, and only then asks the background (`sites/enable`) to derive the room's key and register the site's scripts;
 * a permission it added for nothing is removed again. A typed passphrase below the shared bar
 * (src/ui/passphrase-rule.ts) enables nothing until the user ticks the override that says what the risk is; a
 * generated one enables at once.
 *
 * The passphrase lives only in this form's state (and the popup's, right after enabling, to share it): it is never
 * stored, never logged. The two layouts (words.ts) differ in arrangement and wording, and in one behaviour: see
 * {@link SENDS_BEFORE_PERMISSION}.
 */
import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import { PASSPHRASE_LENGTH } from '../../shared/messages';
import { matchPatternFor } from '../../shared/origin';
import { GENERATED_PASSPHRASE_WORDS, generatePassphrase } from '../../shared/words';
import { request } from '../api';
import { copyToClipboard } from '../clipboard';
import { t } from '../i18n';
import { refusalText } from '../PassphraseOverride';
import { usePassphraseCheck } from '../passphrase-rule';
import { parseRoomInput } from '../room-input';
import { parseSiteInput } from '../site-input';
import { PagePassphraseField, PopupPassphraseField } from './PassphraseField';
import { strengthLine } from './strength-line';
import { TextField } from './TextField';
import { type Layout, WORDS } from './words';
import './enable-form.css';
import { TARGET_BROWSER_NAME } from '../../shared/target-browser';

/** Where the site comes from. */
export type FormSite =
  /** The options page: the user types it; `enabledOrigins` are the sites enabled now. */
  | { typed: true; enabledOrigins: readonly string[] }
  /** The popup: the tab's site, which is `enabled` already or not. */
  | { typed: false; origin: string; enabled: boolean };

export interface Enabled {
  origin: string;
  /** The room's normalised label ("" for the default room). */
  room: string;
  /** For the popup to offer sharing it while it is open; never stored. */
  passphrase: string;
  /** The site was enabled before: only a room's passphrase was set (its tabs need no reload). */
  wasEnabled: boolean;
}

export interface EnableFormProps {
  layout: Layout;
  site: FormSite;
  heading: string;
  /** Said under the heading (the popup says why the form is shown). */
  intro?: ComponentChildren;
  /** The room to start with (the tab's room when it has no key). */
  initialRoom?: string;
  /** Called once the room's key is set. */
  onEnabled(enabled: Enabled): void;
  /** Offers "Cancel", which calls this (the popup, on a site already enabled). */
  onCancel?: () => void;
  /** Tells the page's live region what is going on. */
  announce(message: string): void;
}

/**
 * The popup sends `sites/enable` (with `waitForPermission`) in the click itself, alongside the permission request:
 * Chrome may close the popup while its permission prompt is up, and the background then finishes enabling by itself
 * once the permission is granted. The options page stays open, so it sends nothing until the permission is granted:
 * a refused permission never takes the passphrase out of the page.
 */
const SENDS_BEFORE_PERMISSION: Readonly<Record<Layout, boolean>> = { page: false, popup: true };

type Field = 'origin' | 'room' | 'passphrase';

/** Errors by field; `form` is about no field in particular (shown as an alert under the form). */
type Errors = Partial<Record<Field | 'form', string>>;

/** The fields in the order each layout shows them: the first with an error gets the focus. */
const FIELD_ORDER: Readonly<Record<Layout, readonly Field[]>> = {
  page: ['origin', 'room', 'passphrase'],
  popup: ['passphrase', 'room'],
};

export function EnableForm({
  layout,
  site,
  heading,
  intro,
  initialRoom = '',
  onEnabled,
  onCancel,
  announce,
}: EnableFormProps) {
  const words = WORDS[layout];
  const [siteInput, setSiteInput] = useState('');
  const [room, setRoom] = useState(initialRoom);
  const [passphrase, setPassphrase] = useState('');
  /** The passphrase "Generate passphrase" last put in the field (while the field still holds it, it is generated). */
  const [generated, setGenerated] = useState<string | undefined>(undefined);
  const [shown, setShown] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  /** What the passphrase buttons did, said under the field (the popup's; the page uses its own live region). */
  const [fieldStatus, setFieldStatus] = useState('');
  const fields = {
    origin: useRef<HTMLInputElement>(null),
    room: useRef<HTMLInputElement>(null),
    passphrase: useRef<HTMLInputElement>(null),
  };

  const isGenerated = passphrase !== '' && passphrase === generated;
  const check = usePassphraseCheck(passphrase, generated, site.typed ? siteInput : site.origin, room);
  const strength = strengthLine(check.shown, layout);
  /** Where what the passphrase buttons did is said. */
  const report = layout === 'popup' ? setFieldStatus : announce;

  /** Focuses the first field in `found` that has an error (in the form's order). */
  const focusFirstError = (found: Errors): void => {
    const first = FIELD_ORDER[layout].find((field) => found[field] !== undefined);
    if (first !== undefined) fields[first].current?.focus();
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
    setShown(true);
    setErrors(({ passphrase: _, ...others }) => others);
    report(t(words.generated, GENERATED_PASSPHRASE_WORDS));
  };

  const onCopy = async (): Promise<void> => {
    if (passphrase === '') {
      report(t('options_copy_nothing'));
      return;
    }
    report((await copyToClipboard(passphrase)) ? t(words.copied) : t(words.copyFailed));
  };

  const onOverride = (on: boolean): void => {
    check.setOverridden(on);
    // A refusal shown for this passphrase no longer holds once the user took the risk.
    if (on) setErrors(({ passphrase: _, ...others }) => others);
  };

  const passphraseError = (): string | undefined => {
    if (passphrase.length < PASSPHRASE_LENGTH.min || passphrase.trim() === '') return t(words.passphraseMissing);
    if (passphrase.length > PASSPHRASE_LENGTH.max) return t('enable_passphrase_too_long', PASSPHRASE_LENGTH.max);
    // The shared rule: a typed passphrase below the bar enables nothing without the override (nor before it is
    // estimated). Nothing is asked of Chrome or the background then.
    const refusal = check.refusalNow();
    return refusal === undefined ? undefined : refusalText(refusal);
  };

  const onSubmit = (event: Event): void => {
    event.preventDefault();
    if (busy) return;
    announce(''); // The last outcome no longer applies.
    const found: Errors = {};
    const origin = site.typed ? parseSiteInput(siteInput) : { ok: true as const, origin: site.origin };
    if (!origin.ok) found.origin = origin.error;
    const label = parseRoomInput(room);
    if (!label.ok) found.room = label.error;
    const refused = passphraseError();
    if (refused !== undefined) found.passphrase = refused;
    setErrors(found);
    if (!origin.ok || !label.ok || refused !== undefined) {
      focusFirstError(found);
      return;
    }
    const pattern = matchPatternFor(origin.origin);
    // permissions.request() needs the user gesture of this submit: it must come before anything is awaited.
    const permission = browser.permissions.request({ origins: [pattern] });
    const sent = SENDS_BEFORE_PERMISSION[layout]
      ? request({ type: 'sites/enable', origin: origin.origin, passphrase, room: label.label, waitForPermission: true })
      : undefined;
    void enable(origin.origin, pattern, label.label, passphrase, permission, sent);
  };

  const enable = async (
    origin: string,
    pattern: string,
    label: string,
    secret: string,
    permission: Promise<boolean>,
    sent: ReturnType<typeof request<'sites/enable'>> | undefined,
  ): Promise<void> => {
    const wasEnabled = site.typed ? site.enabledOrigins.includes(origin) : site.enabled;
    /** Where a problem with the site goes: its field if the form has one. */
    const siteField = site.typed ? 'origin' : 'form';
    setBusy(true);
    try {
      let refusal: string | undefined;
      try {
        if (!(await permission)) refusal = t('enable_permission_denied', origin, t('enable_submit'));
      } catch (error) {
        refusal = t(
          'enable_permission_error',
          error instanceof Error ? error.message : String(error),
          TARGET_BROWSER_NAME,
        );
      }
      if (refusal !== undefined) {
        // The background waits for the permission: tell it to stop, so a later grant does not enable this.
        if (sent !== undefined) void request({ type: 'sites/cancel-enable', origin });
        fail({ [siteField]: refusal });
        return;
      }
      announce(t('enable_enabling', origin));
      const response = await (sent ?? request({ type: 'sites/enable', origin, passphrase: secret, room: label }));
      if (!response.ok) {
        // Do not leave a permission behind for a site that is not enabled, unless an enabled site holds the same one
        // (Firefox: its patterns cover a whole host, so another port's site does; removing it would turn that off).
        if (!wasEnabled && !(await patternInUse(pattern))) {
          await browser.permissions.remove({ origins: [pattern] }).catch(() => false);
        }
        const message = words.enableFailed === undefined ? response.error : t(words.enableFailed, response.error);
        const field = response.field === 'origin' ? siteField : (response.field ?? 'form');
        fail({ [field]: message });
        return;
      }
      setPassphrase('');
      setGenerated(undefined);
      setShown(false);
      setSiteInput('');
      setRoom('');
      onEnabled({ origin, room: label, passphrase: secret, wasEnabled });
    } finally {
      setBusy(false);
    }
  };

  const roomField = (
    <TextField
      id="room"
      label={t('enable_room_label')}
      hint={t('enable_room_hint')}
      value={room}
      error={errors.room}
      onInput={setRoom}
      inputRef={fields.room}
    />
  );
  const Passphrase = layout === 'popup' ? PopupPassphraseField : PagePassphraseField;

  return (
    <form class="enable-form" data-layout={layout} noValidate onSubmit={onSubmit} aria-labelledby="enable-heading">
      {/* Focusable from script: the popup moves focus here when it opens the form. */}
      <h2 id="enable-heading" tabIndex={-1}>
        {heading}
      </h2>
      {intro}
      {site.typed && (
        <TextField
          id="site"
          label={t('options_site_label')}
          hint={t('options_site_hint')}
          value={siteInput}
          error={errors.origin}
          onInput={setSiteInput}
          inputRef={fields.origin}
          inputMode="url"
        />
      )}
      {layout === 'page' && roomField}
      <Passphrase
        value={passphrase}
        onInput={(value) => {
          setPassphrase(value);
          setFieldStatus('');
        }}
        inputRef={fields.passphrase}
        shown={shown}
        onToggleShown={() => setShown(!shown)}
        onGenerate={onGenerate}
        onCopy={() => void onCopy()}
        isGenerated={isGenerated}
        verdict={check.shown}
        strength={strength}
        error={errors.passphrase}
        overridden={check.overridden}
        onOverride={onOverride}
        fieldStatus={fieldStatus}
      />
      {layout === 'popup' && roomField}
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
          aria-describedby={check.refusal !== undefined && strength.text !== '' ? 'passphrase-strength' : undefined}
        >
          {t('enable_submit')}
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

/** Whether an enabled site's host permission is `pattern` (if the list cannot be read: assume it is, and keep it). */
async function patternInUse(pattern: string): Promise<boolean> {
  const listed = await request({ type: 'sites/list' }).catch(() => undefined);
  if (listed === undefined || !listed.ok) return true;
  return listed.sites.some((site) => matchPatternFor(site.origin) === pattern);
}
