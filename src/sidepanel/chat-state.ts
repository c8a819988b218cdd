/**
 * @module The panel's state and the one reducer that changes it: what the background said (protocol.ts), what the
 * user sent, and the timers of those sends. Pure: no DOM, no extension APIs, no clock.
 */
import { answered, callsChanged, type Outbox, type Outgoing, queued, timedOut, unreachable } from './outbox';
import type { BackgroundToPanel } from './protocol';
import { addEntries, EMPTY_TRANSCRIPT, endAllCalls, endCall, type Transcript } from './transcript';

export interface ChatState {
  transcript: Transcript;
  outbox: Outbox;
  /** How many frames of the tab have a call, as the background last said; `undefined` until it said. */
  calls: number | undefined;
  /** The tab had a call while this panel was open (a call counted, an entry shown, or a call ended). */
  hadCall: boolean;
}

export const INITIAL_CHAT_STATE: ChatState = {
  transcript: EMPTY_TRANSCRIPT,
  outbox: [],
  calls: undefined,
  hadCall: false,
};

export type ChatAction =
  | { type: 'background'; message: BackgroundToPanel }
  | { type: 'queued'; message: Omit<Outgoing, 'status'> }
  | { type: 'timeout'; id: string }
  | { type: 'unreachable'; id: string };

/** What the panel says of the tab's call. */
export type CallPhase = 'connecting' | 'none' | 'active' | 'ended';

export function callPhase(state: ChatState): CallPhase {
  if (state.calls === undefined) return 'connecting';
  if (state.calls > 0) return 'active';
  return state.hadCall ? 'ended' : 'none';
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'queued':
      return { ...state, outbox: queued(state.outbox, action.message) };
    case 'timeout':
      return { ...state, outbox: timedOut(state.outbox, action.id) };
    case 'unreachable':
      return { ...state, outbox: unreachable(state.outbox, action.id) };
    case 'background':
      return fromBackground(state, action.message);
  }
}

function fromBackground(state: ChatState, message: BackgroundToPanel): ChatState {
  switch (message.type) {
    case 'entries':
      return {
        ...state,
        transcript: addEntries(state.transcript, message.frameId, message.entries, message.replace),
        hadCall: state.hadCall || message.entries.length > 0,
      };
    case 'result':
      return { ...state, outbox: answered(state.outbox, message.id, message.result, state.calls ?? 0) };
    case 'ended':
      return { ...state, transcript: endCall(state.transcript, message.frameId), hadCall: true };
    case 'calls': {
      // Every call gone (the panel may have missed an `ended` while its port was down): set their entries aside.
      const allEnded = message.count === 0 && (state.calls ?? 0) > 0;
      return {
        ...state,
        calls: message.count,
        hadCall: state.hadCall || message.count > 0,
        transcript: allEnded ? endAllCalls(state.transcript) : state.transcript,
        outbox: callsChanged(state.outbox, message.count),
      };
    }
  }
}
