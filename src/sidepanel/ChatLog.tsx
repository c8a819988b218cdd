/**
 * @module The conversation: a log (`role="log"`, polite: a screen reader reads each new message once), each message
 * with the sender's name if it gave one, its verified fingerprint ("You" for ours), the local time and the text, and
 * ours with their state. Names and texts are the senders' own words: they are rendered as text, never as HTML, and
 * isolated (`bdi`, `dir="auto"`) so that right-to-left text or bidi controls cannot reorder what surrounds them.
 *
 * The log keeps to its newest message while the user is at its end; scrolled up to read, they stay where they are.
 */
import { useLayoutEffect, useRef } from 'preact/hooks';
import { t } from '../ui/i18n';
import { clock, type ShownMessage } from './conversation';
import type { SendFailure, SendState } from './outbox';

/** How close to the end (px) still counts as "at the end". */
const AT_END_PX = 24;

export interface ChatLogProps {
  messages: readonly ShownMessage[];
  /** The id of the element that names the log ("Conversation"). */
  labelledBy: string;
}

export function ChatLog({ messages, labelledBy }: ChatLogProps) {
  const log = useRef<HTMLDivElement>(null);
  const atEnd = useRef(true);

  useLayoutEffect(() => {
    const element = log.current;
    if (element !== null && atEnd.current) element.scrollTop = element.scrollHeight;
  }, [messages]);

  return (
    <div
      class="log"
      ref={log}
      role="log"
      aria-live="polite"
      aria-labelledby={labelledBy}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a region that scrolls must be reachable with the keyboard.
      tabIndex={0}
      onScroll={(event) => {
        const { scrollTop, scrollHeight, clientHeight } = event.currentTarget;
        atEnd.current = scrollHeight - scrollTop - clientHeight <= AT_END_PX;
      }}
    >
      {messages.length === 0 ? (
        <p class="placeholder">{t('chat_empty')}</p>
      ) : (
        messages.map((message) => <Message key={message.key} message={message} />)
      )}
    </div>
  );
}

const REASON: Record<SendFailure, () => string> = {
  no_one: () => t('chat_reason_nobody'),
  busy: () => t('chat_reason_busy'),
  too_long: () => t('chat_reason_too_long'),
  empty: () => t('chat_reason_empty'),
  ended: () => t('chat_reason_ended'),
  timeout: () => t('chat_reason_timeout'),
  unreachable: () => t('chat_reason_unreachable'),
};

function stateText(status: SendState): string {
  switch (status.state) {
    case 'sending':
      return t('chat_sending');
    case 'sent':
      return t('chat_sent');
    case 'failed':
      return t('chat_not_sent', REASON[status.reason]());
  }
}

function Message({ message }: { message: ShownMessage }) {
  const ours = message.from === 'you';
  return (
    <article class="message" data-from={ours ? 'you' : 'other'} data-state={message.status?.state}>
      <p class="meta">
        {message.name !== '' && <bdi class="name">{message.name}</bdi>}
        {ours ? <span class="you">{t('chat_you')}</span> : <span class="fingerprint">{message.from}</span>}
        <time dateTime={new Date(message.at).toISOString()}>{clock(message.at)}</time>
      </p>
      <p class="text" dir="auto">
        {message.text}
      </p>
      {message.status !== undefined && <p class="state">{stateText(message.status)}</p>}
    </article>
  );
}
