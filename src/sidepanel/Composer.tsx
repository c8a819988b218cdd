/**
 * @module The form to write a message: the "Message" field (Enter sends, Shift+Enter starts a new line), "Send", and
 * the message's size in UTF-8 bytes once it nears the limit; past the limit a plain error says by how much, and
 * nothing is sent. The text goes without the white space around it; an empty message is not sent.
 */
import { useState } from 'preact/hooks';
import { formatCount, t } from '../ui/i18n';
import { COUNTER_FROM_BYTES } from './constants';
import { MAX_CHAT_TEXT_BYTES, utf8Length } from './protocol';

export interface ComposerProps {
  /** No call to send to: the field and the button are disabled. */
  disabled: boolean;
  /** Sends `text`; `false` if it was not (the field keeps it). */
  onSend(text: string): boolean;
}

export function Composer({ disabled, onSend }: ComposerProps) {
  const [text, setText] = useState('');
  const outgoing = text.trim();
  const bytes = utf8Length(outgoing);
  const tooLong = bytes > MAX_CHAT_TEXT_BYTES;

  const submit = (): void => {
    if (disabled || outgoing === '' || tooLong) return;
    if (onSend(outgoing)) setText('');
  };

  const described = ['chat-message-hint', tooLong ? 'chat-message-error' : bytes > COUNTER_FROM_BYTES && 'chat-count']
    .filter(Boolean)
    .join(' ');

  return (
    <form
      class="composer"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <label for="chat-message">{t('chat_message_label')}</label>
      <textarea
        id="chat-message"
        rows={3}
        value={text}
        disabled={disabled}
        aria-invalid={tooLong ? 'true' : undefined}
        aria-describedby={described}
        onInput={(event) => setText(event.currentTarget.value)}
        onKeyDown={(event) => {
          // Enter sends; Shift+Enter is a new line; Enter that confirms an input method's composition is neither.
          if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
          event.preventDefault();
          submit();
        }}
      />
      <div class="composer-row">
        <div class="composer-notes">
          {tooLong ? (
            <p class="error" id="chat-message-error" role="alert">
              {t('chat_too_long', formatCount(bytes), formatCount(MAX_CHAT_TEXT_BYTES))}
            </p>
          ) : (
            bytes > COUNTER_FROM_BYTES && (
              <p class="counter" id="chat-count">
                {t('chat_bytes', formatCount(bytes), formatCount(MAX_CHAT_TEXT_BYTES))}
              </p>
            )
          )}
          <p class="hint" id="chat-message-hint">
            {t('chat_message_hint')}
          </p>
        </div>
        <button type="submit" class="primary" disabled={disabled}>
          {t('chat_send')}
        </button>
      </div>
    </form>
  );
}
