/**
 * @module A one-line text field of the enable form ("Site", "Room"): its label, its error right under it (where the
 * eye is, and read first by screen readers), then its hint. Ids follow the field's: `<id>-error`, `<id>-hint`.
 */
import type { Ref } from 'preact';

export interface TextFieldProps {
  id: string;
  label: string;
  hint: string;
  value: string;
  error: string | undefined;
  onInput(value: string): void;
  inputRef: Ref<HTMLInputElement>;
  /** `url` for a site address (a keyboard with "/" and ".com"). */
  inputMode?: 'url';
}

/** The ids an `aria-describedby` lists, without the ones left out (`false`). */
export const describedBy = (...ids: (string | false)[]): string => ids.filter(Boolean).join(' ');

export function TextField({ id, label, hint, value, error, onInput, inputRef, inputMode }: TextFieldProps) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        ref={inputRef}
        id={id}
        name={id}
        type="text"
        inputMode={inputMode}
        autoComplete="off"
        // A site address or a room name is not a sentence: no capital letter, no spelling fixes.
        autoCapitalize="off"
        spellcheck={false}
        value={value}
        onInput={(event) => onInput(event.currentTarget.value)}
        aria-invalid={error !== undefined ? 'true' : undefined}
        aria-describedby={describedBy(error !== undefined && `${id}-error`, `${id}-hint`)}
      />
      {error !== undefined && (
        <p id={`${id}-error`} class="error">
          {error}
        </p>
      )}
      <p id={`${id}-hint`} class="hint">
        {hint}
      </p>
    </div>
  );
}
