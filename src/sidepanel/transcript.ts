/**
 * @module What the tab's bridges told the panel of their calls' chats: entries merged by frame and entry id, kept in
 * order of `at` (when each was sent or received, on this computer's clock). Pure: no DOM, no extension APIs.
 *
 * A frame's bridge erases its transcript when its call ends; the panel keeps what it was shown until it is closed
 * ("Copy conversation" still works). So the entries of a frame's ended call are set aside under that call's number,
 * and a later call in the same frame (whose ids may repeat the old ones) merges into a fresh number.
 */
import { MAX_PANEL_ENTRIES } from './constants';
import type { ChatEntry } from './protocol';

/** An entry, with the frame it came from and which of that frame's calls (as this panel counted them) it belongs to. */
export interface FrameEntry extends ChatEntry {
  frameId: number;
  call: number;
}

export interface Transcript {
  /** Sorted by `at` (entries with the same `at` in the order they arrived). */
  entries: readonly FrameEntry[];
  /** Per frame: the number of its current call (how many of its calls this panel saw end). */
  calls: ReadonlyMap<number, number>;
}

export const EMPTY_TRANSCRIPT: Transcript = { entries: [], calls: new Map() };

const keyOf = (entry: { frameId: number; call: number; id: string }): string =>
  `${entry.frameId}/${entry.call}/${entry.id}`;

/** The entries in order of `at`, the oldest beyond {@link MAX_PANEL_ENTRIES} dropped. */
function ordered(entries: FrameEntry[]): FrameEntry[] {
  const sorted = entries.sort((a, b) => a.at - b.at); // stable: ties keep their order of arrival
  return sorted.length > MAX_PANEL_ENTRIES ? sorted.slice(sorted.length - MAX_PANEL_ENTRIES) : sorted;
}

/**
 * `transcript` with frame `frameId`'s `entries`: merged into its current call's (an entry with an id already shown is
 * replaced), or, with `replace`, instead of them (the bridge sent the call's whole history).
 */
export function addEntries(
  transcript: Transcript,
  frameId: number,
  entries: readonly ChatEntry[],
  replace: boolean,
): Transcript {
  const call = transcript.calls.get(frameId) ?? 0;
  const incoming = new Map<string, FrameEntry>();
  for (const entry of entries) {
    const framed = { ...entry, frameId, call };
    incoming.set(keyOf(framed), framed);
  }
  const kept = transcript.entries.filter((entry) =>
    replace ? entry.frameId !== frameId || entry.call !== call : !incoming.has(keyOf(entry)),
  );
  return { entries: ordered([...kept, ...incoming.values()]), calls: transcript.calls };
}

/** Frame `frameId`'s call ended: its entries stay, set aside; the frame's next call starts afresh. */
export function endCall(transcript: Transcript, frameId: number): Transcript {
  const calls = new Map(transcript.calls);
  calls.set(frameId, (calls.get(frameId) ?? 0) + 1);
  return { entries: transcript.entries, calls };
}

/** No frame of the tab has a call any more (the panel may have missed an `ended` while its port was down). */
export function endAllCalls(transcript: Transcript): Transcript {
  const frames = new Set([...transcript.calls.keys(), ...transcript.entries.map((entry) => entry.frameId)]);
  let next = transcript;
  for (const frameId of frames) next = endCall(next, frameId);
  return next;
}
