/**
 * Strict mode, one click away in the popup (the same setting as the options page's, `sites/settings`): with it off
 * (the default), media that is not end-to-end encrypted plays with a warning, which is how people without Framelock
 * can join; a server can use the same path to add media of its own on a new stream, flagged but shown. With it on,
 * nothing unencrypted is ever shown or played. The popup states the default plainly, next to the switch.
 */
import { useState } from 'preact/hooks';
import type { SiteInfo } from '../shared/messages';
import { request } from '../ui/api';
import { t } from '../ui/i18n';

interface StrictToggleProps {
  site: SiteInfo;
  /** Called after the setting was saved, to read the sites again. */
  onSaved: () => Promise<void> | void;
}

export function StrictToggle({ site, onSaved }: StrictToggleProps) {
  const [saving, setSaving] = useState<boolean | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const checked = saving ?? site.strict;
  const toggle = async (strict: boolean): Promise<void> => {
    if (saving !== undefined) return;
    setSaving(strict);
    setError(undefined);
    try {
      const response = await request({ type: 'sites/settings', origin: site.origin, strict });
      if (!response.ok) setError(response.error);
      else await onSaved();
    } finally {
      setSaving(undefined);
    }
  };
  return (
    <div class="strict-toggle">
      <input
        id="popup-strict"
        type="checkbox"
        checked={checked}
        aria-describedby="popup-strict-hint"
        aria-busy={saving !== undefined ? 'true' : undefined}
        onClick={(event) => {
          if (saving !== undefined) event.preventDefault();
        }}
        onChange={(event) => void toggle(event.currentTarget.checked)}
      />
      <label for="popup-strict">{t('popup_strict_label')}</label>
      <p class="hint" id="popup-strict-hint">
        {checked ? t('popup_strict_hint_on') : t('popup_strict_hint_off')}
      </p>
      {error !== undefined && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
