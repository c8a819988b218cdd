/**
 * @module "Your name": what the others see next to our messages (our own claim: they can check only our key's two
 * words). Saved when the user leaves the field; too long, it is neither saved nor sent, and says so.
 */
import type { Ref } from 'preact';
import { formatCount, t } from '../ui/i18n';
import { MAX_CHAT_NAME_BYTES } from './protocol';
import type { ChatName } from './use-chat-name';

export interface NameFieldProps {
  chatName: ChatName;
  inputRef: Ref<HTMLInputElement>;
}

export function NameField({ chatName, inputRef }: NameFieldProps) {
  const { name, setName, tooLong, save } = chatName;
  return (
    <div class="name-field">
      <label for="chat-name">{t('chat_name_label')}</label>
      <input
        id="chat-name"
        ref={inputRef}
        type="text"
        autocomplete="nickname"
        value={name}
        aria-invalid={tooLong !== undefined ? 'true' : undefined}
        aria-describedby={tooLong !== undefined ? 'chat-name-error chat-name-hint' : 'chat-name-hint'}
        onInput={(event) => setName(event.currentTarget.value)}
        onChange={save}
      />
      {tooLong !== undefined && (
        <p class="error" id="chat-name-error" role="alert">
          {t('chat_name_too_long', formatCount(tooLong), formatCount(MAX_CHAT_NAME_BYTES))}
        </p>
      )}
      <p class="hint" id="chat-name-hint">
        {t('chat_name_hint')}
      </p>
    </div>
  );
}
