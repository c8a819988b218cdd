/**
 * @module "Open chat", during a call: the call's end-to-end encrypted chat, in the side panel beside the tab
 * (side-panel.ts). The popup closes once the panel is open; if Chrome refused, it stays and says so.
 */
import { useState } from 'preact/hooks';
import { t } from '../ui/i18n';
import { openChatPanel, type SidePanelApi } from './side-panel';

export interface OpenChatProps {
  api: SidePanelApi;
  tabId: number;
}

export function OpenChat({ api, tabId }: OpenChatProps) {
  const [failed, setFailed] = useState(false);
  const onClick = (): void => {
    setFailed(false);
    let opened: Promise<void>;
    try {
      opened = openChatPanel(api, tabId);
    } catch {
      setFailed(true);
      return;
    }
    opened.then(
      () => window.close(),
      () => setFailed(true),
    );
  };
  return (
    <div class="open-chat">
      <button type="button" class="secondary" aria-describedby="open-chat-hint" onClick={onClick}>
        {t('popup_open_chat')}
      </button>
      <p class="hint" id="open-chat-hint">
        {t('popup_open_chat_hint')}
      </p>
      <p class="local-status" role="status">
        {failed ? t('popup_open_chat_failed') : ''}
      </p>
    </div>
  );
}
