/**
 * @module Framelock's call chat, in Chrome's side panel beside the call: for the tab in its query string
 * (`?tabId=<n>`: the popup's "Open chat" sets it), the conversation of that tab's calls, a form to write to them,
 * the name the user goes by, and "Copy conversation". The messages travel end to end encrypted inside the call's
 * media (the bridge and the call do it); the panel only shows them and hands the user's over to the background.
 *
 * Nothing of the chat is stored: the open panel's memory and the bridge's are the only copies. When the call ends
 * the panel keeps what it showed (to read and copy) until it is closed.
 */
import { useRef, useState } from 'preact/hooks';
import { copyToClipboard } from '../ui/clipboard';
import { t } from '../ui/i18n';
import { LockIcon } from '../ui/LockIcon';
import { tabIdFromSearch } from '../ui/tab-id';
import { ChatLog } from './ChatLog';
import { Composer } from './Composer';
import type { CallPhase } from './chat-state';
import { REPLY_TIMEOUT_MS } from './constants';
import { conversationText } from './conversation';
import { NameField } from './NameField';
import { useChat } from './use-chat';
import { cleanName, useChatName } from './use-chat-name';

export interface ChatPanelProps {
  /** The page's query string: `?tabId=<n>` names the tab whose calls the chat is with. */
  search: string;
  /** How long a send waits for an answer, in ms. */
  replyTimeoutMs?: number;
}

const PHASE_TEXT: Record<Exclude<CallPhase, 'active'>, () => string> = {
  connecting: () => t('chat_connecting'),
  none: () => t('chat_no_call'),
  ended: () => t('chat_call_ended'),
};

export function ChatPanel({ search, replyTimeoutMs = REPLY_TIMEOUT_MS }: ChatPanelProps) {
  const tabId = tabIdFromSearch(search);
  const chat = useChat(tabId, replyTimeoutMs);
  const chatName = useChatName();
  /** What "Copy conversation" did (a live region next to it). */
  const [copyStatus, setCopyStatus] = useState('');
  const nameInput = useRef<HTMLInputElement>(null);

  if (tabId === undefined) {
    return (
      <main class="chat">
        <Header />
        <p class="notice">{t('chat_no_tab')}</p>
      </main>
    );
  }

  const { phase, messages, state } = chat;
  const onSend = (text: string): boolean => {
    if (chatName.tooLong !== undefined) {
      nameInput.current?.focus();
      return false;
    }
    chatName.save();
    return chat.send(text, cleanName(chatName.name));
  };
  const onCopy = async (): Promise<void> => {
    const copied = await copyToClipboard(conversationText(messages, t('chat_you')));
    setCopyStatus(copied ? t('chat_copied') : t('chat_copy_failed'));
  };

  return (
    <main class="chat">
      <Header />
      <div class="call-state" role="status">
        {phase !== 'active' ? (
          <p class="notice" data-phase={phase}>
            {PHASE_TEXT[phase]()}
          </p>
        ) : (
          (state.calls ?? 0) > 1 && <p class="hint">{t('chat_several_calls', state.calls ?? 0)}</p>
        )}
      </div>
      <NameField chatName={chatName} inputRef={nameInput} />
      <section class="conversation" aria-labelledby="conversation-heading">
        <div class="conversation-head">
          <h2 id="conversation-heading">{t('chat_conversation')}</h2>
          <button type="button" class="secondary small" disabled={messages.length === 0} onClick={() => void onCopy()}>
            {t('chat_copy')}
          </button>
        </div>
        <p class="local-status" role="status">
          {copyStatus}
        </p>
        <ChatLog messages={messages} labelledBy="conversation-heading" />
      </section>
      <Composer disabled={phase !== 'active'} onSend={onSend} />
    </main>
  );
}

function Header() {
  return (
    <header class="top">
      <h1>
        <LockIcon />
        {t('chat_title')}
      </h1>
      <p class="lede">{t('chat_lede')}</p>
    </header>
  );
}
