/**
 * @module The popup's one switch, "Encrypt calls on this site", and the line under it that says what state the site
 * is in (its accessible description).
 */
import type { Ref } from 'preact';
import { t } from '../ui/i18n';

export interface SiteSwitchProps {
  switchRef: Ref<HTMLButtonElement>;
  /** On: the site is enabled, or its setup is open. */
  checked: boolean;
  /** What the line under it says. */
  state: string;
  /** The site is enabled (the line is green). */
  on: boolean;
  onClick(): void;
}

export function SiteSwitch({ switchRef, checked, state, on, onClick }: SiteSwitchProps) {
  return (
    <div class="switch-row">
      <button
        ref={switchRef}
        type="button"
        role="switch"
        class="switch"
        aria-checked={checked ? 'true' : 'false'}
        aria-describedby="switch-state"
        onClick={onClick}
      >
        <span class="switch-label">{t('popup_switch')}</span>
        <span class="track" aria-hidden="true">
          <span class="thumb" />
        </span>
      </button>
      <p id="switch-state" class="switch-state" data-on={on ? 'true' : 'false'}>
        {state}
      </p>
    </div>
  );
}
