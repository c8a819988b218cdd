/**
 * @module The chat of the panel's tab: the port to the background (use-chat-port.ts), the state it and the user's
 * sends make (chat-state.ts), and each send's wait for an answer ({@link REPLY_TIMEOUT_MS}).
 */
import { useEffect, useMemo, useReducer, useRef } from 'preact/hooks';
import { type CallPhase, type ChatState, callPhase, chatReducer, INITIAL_CHAT_STATE } from './chat-state';
import { REPLY_TIMEOUT_MS } from './constants';
import { conversation, type ShownMessage } from './conversation';
import { useChatPort } from './use-chat-port';

export interface Chat {
  state: ChatState;
  phase: CallPhase;
  /** The conversation in order of time, ours with their state. */
  messages: ShownMessage[];
  /**
   * Sends `text` as `name` to the tab's calls (both as they are to go: checked and trimmed by the caller). `false`
   * if the tab has no call now: nothing was sent.
   */
  send(text: string, name: string): boolean;
}

export function useChat(tabId: number | undefined, replyTimeoutMs = REPLY_TIMEOUT_MS): Chat {
  const [state, dispatch] = useReducer(chatReducer, INITIAL_CHAT_STATE);
  const port = useChatPort(tabId, (message) => dispatch({ type: 'background', message }));
  const timers = useRef(new Set<ReturnType<typeof setTimeout>>());

  useEffect(() => {
    const pending = timers.current;
    return () => {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
    };
  }, []);

  const phase = callPhase(state);
  const messages = useMemo(() => conversation(state.transcript, state.outbox), [state.transcript, state.outbox]);

  const send = (text: string, name: string): boolean => {
    if (phase !== 'active') return false;
    const id = crypto.randomUUID();
    dispatch({ type: 'queued', message: { id, text, name, at: Date.now() } });
    if (!port.post({ type: 'send', id, text, name })) {
      dispatch({ type: 'unreachable', id });
      return true;
    }
    const timer = setTimeout(() => {
      timers.current.delete(timer);
      dispatch({ type: 'timeout', id });
    }, replyTimeoutMs);
    timers.current.add(timer);
    return true;
  };

  return { state, phase, messages, send };
}
