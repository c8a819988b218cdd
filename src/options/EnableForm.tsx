/**
 * The "enable a site" form: a site and a passphrase. On submit it checks both fields, asks Chrome for the site's
 * permission (synchronously, while the submit's user gesture lasts), then asks the background to derive the room
 * key and register the site's scripts.
 */
import { useRef, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import { PASSPHRASE_LENGTH } from '../shared/messages';
import { matchPatternFor, normalizeOrigin } from '../shared/origin';
import { request } from './api';

interface Errors {
  origin?: string;
  passphrase?: string;
  /** An error about neither field in particular. */
  form?: string;
}

export interface EnableFormProps {
  /** Sites enabled now: enabling one of them again only changes its passphrase. */
  enabledOrigins: readonly string[];
  /** Called once a site is enabled (`rekeyed` if it was enabled already). */
  onEnabled(origin: string, rekeyed: boolean): void;
  /** Tells the page's live region what is going on. */
  announce(message: string): void;
}

export function EnableForm({ enabledOrigins, onEnabled, announce }: EnableFormProps) {
  const [site, setSite] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [showPassphrase, setShowPassphrase] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const siteField = useRef<HTMLInputElement>(null);
  const passphraseField = useRef<HTMLInputElement>(null);

  const focusField = (field: 'origin' | 'passphrase' | undefined): void => {
    (field === 'passphrase' ? passphraseField : siteField).current?.focus();
  };

  const fail = (found: Errors): void => {
    setErrors(found);
    announce('');
    if (found.form === undefined) focusField(found.passphrase !== undefined ? 'passphrase' : 'origin');
  };

  const onSubmit = (event: Event): void => {
    event.preventDefault();
    if (busy) return;
    announce(''); // The last outcome no longer applies.
    const origin = normalizeOrigin(site);
    const passphraseError =
      passphrase.length < PASSPHRASE_LENGTH.min
        ? 'Enter a passphrase. Everyone in the call needs the same one.'
        : passphrase.length > PASSPHRASE_LENGTH.max
          ? `The passphrase is too long (at most ${PASSPHRASE_LENGTH.max} characters).`
          : undefined;
    const found: Errors = {};
    if (!origin.ok) found.origin = origin.error;
    if (passphraseError !== undefined) found.passphrase = passphraseError;
    setErrors(found);
    if (!origin.ok || passphraseError !== undefined) {
      focusField(origin.ok ? 'passphrase' : 'origin');
      return;
    }
    const pattern = matchPatternFor(origin.origin);
    // permissions.request() needs the user gesture of this submit: it must come before anything is awaited.
    const permission = browser.permissions.request({ origins: [pattern] });
    void enable(origin.origin, pattern, passphrase, permission);
  };

  const enable = async (
    origin: string,
    pattern: string,
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
        fail({ origin: `Chrome refused to ask for permission: ${error instanceof Error ? error.message : error}` });
        return;
      }
      if (!granted) {
        fail({
          origin: `Framelock needs permission for ${origin} to protect calls there. Click Enable again and allow it.`,
        });
        return;
      }
      announce(`Enabling ${origin}: deriving its key…`);
      const response = await request({ type: 'sites/enable', origin, passphrase: secret });
      if (!response.ok) {
        // Do not leave a permission behind for a site that is not enabled.
        if (!wasEnabled) await browser.permissions.remove({ origins: [pattern] }).catch(() => false);
        fail(response.field === undefined ? { form: response.error } : { [response.field]: response.error });
        return;
      }
      setPassphrase('');
      setShowPassphrase(false);
      setSite('');
      onEnabled(origin, wasEnabled);
    } finally {
      setBusy(false);
    }
  };

  const describedBy = (...ids: (string | false)[]): string => ids.filter(Boolean).join(' ');

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
    'aria-describedby': describedBy('passphrase-hint', errors.passphrase !== undefined && 'passphrase-error'),
  };

  return (
    <form class="enable-form" noValidate onSubmit={onSubmit} aria-labelledby="enable-heading">
      <h2 id="enable-heading">Enable a site</h2>
      <div class="field">
        <label for="site">Site</label>
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
          The site where you hold calls, like https://meet.example.org or http://127.0.0.1:8080.
        </p>
        {errors.origin !== undefined && (
          <p id="site-error" class="error">
            {errors.origin}
          </p>
        )}
      </div>
      <div class="field">
        <label for="passphrase">Passphrase</label>
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
            Show passphrase
          </button>
        </div>
        <p id="passphrase-hint" class="hint">
          The same for everyone in the call. Use a long one (five random words or more): anyone who records a call can
          try to guess it.
        </p>
        {errors.passphrase !== undefined && (
          <p id="passphrase-error" class="error">
            {errors.passphrase}
          </p>
        )}
      </div>
      {errors.form !== undefined && (
        <p class="error" role="alert">
          {errors.form}
        </p>
      )}
      <button type="submit" class="primary" aria-disabled={busy ? 'true' : undefined}>
        Enable
      </button>
    </form>
  );
}
