/**
 * @module The conversation as the panel shows and copies it: the bridges' entries (transcript.ts) and this panel's
 * own sends (outbox.ts) in one list in order of time, each of ours with its state. Pure: no DOM, no extension APIs.
 *
 * A message of ours is in both once a bridge took it (the bridge's entry carries the id the panel gave the send):
 * the bridge's entry is shown, with the state the panel knows; a send no bridge took (not sent, or still waiting)
 * exists only in the outbox, and is shown from there.
 */
import type { Outbox, SendState } from './outbox';
import type { Transcript } from './transcript';

export interface ShownMessage {
  /** Stable across renders. */
  key: string;
  /** `you` (ours), or the sender's fingerprint: two words of its key, checked by the bridge (a verified sender). */
  from: string;
  /** The sender's name as it gave it (its own claim; may be empty). */
  name: string;
  text: string;
  /** When it was sent or received, on this computer's clock (ms). */
  at: number;
  /** Ours only: sending, sent, or not sent and why. */
  status?: SendState;
}

const SENT: SendState = { state: 'sent' };

export function conversation(transcript: Transcript, outbox: Outbox): ShownMessage[] {
  const sends = new Map(outbox.map((message) => [message.id, message]));
  const taken = new Set<string>();
  const shown: ShownMessage[] = transcript.entries.map((entry) => {
    const message: ShownMessage = {
      key: `${entry.frameId}/${entry.call}/${entry.id}`,
      from: entry.from,
      name: entry.name,
      text: entry.text,
      at: entry.at,
    };
    if (entry.from !== 'you') return message;
    taken.add(entry.id);
    // In a bridge's transcript, so a call took it: sent, unless the answer that says so is still on its way.
    const send = sends.get(entry.id);
    message.status = send?.status.state === 'sending' ? send.status : SENT;
    return message;
  });
  const waiting = outbox.filter((message) => !taken.has(message.id));
  if (waiting.length === 0) return shown;
  for (const message of waiting) {
    shown.push({
      key: `out/${message.id}`,
      from: 'you',
      name: message.name,
      text: message.text,
      at: message.at,
      status: message.status,
    });
  }
  return shown.sort((a, b) => a.at - b.at);
}

const two = (n: number): string => String(n).padStart(2, '0');

/** `at` as local HH:MM (24-hour): what each message shows and the copied text says. */
export function clock(at: number): string {
  const date = new Date(at);
  return `${two(date.getHours())}:${two(date.getMinutes())}`;
}

/**
 * The conversation as plain text, one message per line: `[HH:MM] name (fingerprint): text`, or `[HH:MM] fingerprint:
 * text` without a name; ours say `you` (the word in the page's language) instead of a fingerprint. Messages that were
 * not sent are left out: nobody else read them.
 */
export function conversationText(messages: readonly ShownMessage[], you: string): string {
  return messages
    .filter((message) => message.status?.state !== 'failed')
    .map((message) => {
      const who = message.from === 'you' ? you : message.from;
      const sender = message.name === '' ? who : `${message.name} (${who})`;
      return `[${clock(message.at)}] ${sender}: ${message.text}\n`;
    })
    .join('');
}
