/**
 * @module The messages this panel sent, and what became of each: sending until a bridge answers, then sent or not
 * sent and why. Pure: no DOM, no extension APIs, no timers (use-chat.ts starts them).
 *
 * The background hands a send to every bridge of the tab, and each answers: the frame with the call says `sent` (or
 * why not), and a frame without a call says `ended`. So `sent` wins whenever it comes (even after the message was
 * shown as not sent for want of an answer), a refusal of a call (`no_one`, `busy`, …) is shown at once, and `ended`
 * only once the tab has no call left: until then it may be the answer of a frame that never had one.
 */
import { MAX_PANEL_ENTRIES } from './constants';
import type { ChatSendResult } from './protocol';

/** Why a message was not sent: a bridge's answer, no answer in time, or no port to send it on. */
export type SendFailure = Exclude<ChatSendResult, 'sent'> | 'timeout' | 'unreachable';

export type SendState =
  /** `ended`: a bridge answered that it has no call (another may still take it). */
  { state: 'sending'; ended: boolean } | { state: 'sent' } | { state: 'failed'; reason: SendFailure };

export interface Outgoing {
  id: string;
  text: string;
  name: string;
  /** When it was sent (this computer's clock, ms). */
  at: number;
  status: SendState;
}

export type Outbox = readonly Outgoing[];

function update(outbox: Outbox, id: string, change: (message: Outgoing) => SendState): Outbox {
  let changed = false;
  const next = outbox.map((message) => {
    if (message.id !== id) return message;
    const status = change(message);
    if (status === message.status) return message;
    changed = true;
    return { ...message, status };
  });
  return changed ? next : outbox;
}

/** `outbox` with `message` just handed to the background (the oldest beyond the panel's bound dropped). */
export function queued(outbox: Outbox, message: Omit<Outgoing, 'status'>): Outbox {
  const next = [...outbox, { ...message, status: { state: 'sending', ended: false } as const }];
  return next.length > MAX_PANEL_ENTRIES ? next.slice(next.length - MAX_PANEL_ENTRIES) : next;
}

/** A bridge answered `result` to send `id`; `calls` frames of the tab have a call now. */
export function answered(outbox: Outbox, id: string, result: ChatSendResult, calls: number): Outbox {
  return update(outbox, id, ({ status }) => {
    if (result === 'sent') return status.state === 'sent' ? status : { state: 'sent' };
    if (status.state !== 'sending') return status; // answered already: a later refusal changes nothing
    if (result !== 'ended') return { state: 'failed', reason: result };
    return calls === 0
      ? { state: 'failed', reason: 'ended' }
      : status.ended
        ? status
        : { state: 'sending', ended: true };
  });
}

/** No answer to send `id` in time: not sent (because the call ended, if that is the only answer that came). */
export function timedOut(outbox: Outbox, id: string): Outbox {
  return update(outbox, id, ({ status }) =>
    status.state === 'sending' ? { state: 'failed', reason: status.ended ? 'ended' : 'timeout' } : status,
  );
}

/** Send `id` could not be handed to the background (no port). */
export function unreachable(outbox: Outbox, id: string): Outbox {
  return update(outbox, id, ({ status }) =>
    status.state === 'sending' ? { state: 'failed', reason: 'unreachable' } : status,
  );
}

/** The tab has `calls` calls now: with none left, a message that only heard `ended` was not sent. */
export function callsChanged(outbox: Outbox, calls: number): Outbox {
  if (calls > 0) return outbox;
  let next = outbox;
  for (const message of outbox) {
    if (message.status.state === 'sending' && message.status.ended) {
      next = update(next, message.id, () => ({ state: 'failed', reason: 'ended' }));
    }
  }
  return next;
}
