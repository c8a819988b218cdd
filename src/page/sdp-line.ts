/**
 * @module Framelock's session-level SDP line (issue 16 part 2, "What Framelock protects"): every local description the
 * site creates through our patch carries one, before the first `m=` line:
 * ```
 * v=0
 * o=- 4611731400430051336 2 IN IP4 127.0.0.1
 * s=-
 * t=0 0
 * a=group:BUNDLE 0
 * a=x-framelock:1 <base64url, no padding, of a sealed HELLO>     ← ours, session level
 * m=application 9 UDP/DTLS/SCTP webrtc-datachannel
 * ...
 * ```
 * Chromium accepts unknown session attributes but drops them when it re-serialises a description (localDescription,
 * remoteDescription), so the patch inserts ours again wherever the site reads a local description, and reads the
 * remote peer's from the description the site hands to setRemoteDescription.
 *
 * Pure string work, and hardened like the rest of the page script: the only built-ins it calls are String.prototype
 * `indexOf` and `slice`, taken when this module runs (in the page script's bundle, at document_start, before any page
 * script, as natives.ts takes its own); the page may replace String.prototype's methods later. Value checks compare
 * characters, without RegExp (whose `exec` the page can replace too).
 */

const { apply } = Reflect;
const indexOf = String.prototype.indexOf;
const slice = String.prototype.slice;

/** What starts our line: the attribute name and its version. */
export const LINE_PREFIX = 'a=x-framelock:1 ';
/**
 * The longest line value accepted either way. A sealed HELLO is 34 bytes of plaintext (0x03, a 32-byte X25519 key,
 * the role) plus the control seal's epoch byte, 12-byte nonce and 16-byte tag: 63 bytes, 84 base64url characters.
 * Room for a later version, and a bound on what a remote description can make us pass on.
 */
export const MAX_LINE_VALUE_LENGTH = 256;

function find(text: string, search: string, from = 0): number {
  return apply(indexOf, text, [search, from]) as number;
}

function cut(text: string, start: number, end?: number): string {
  return apply(slice, text, end === undefined ? [start] : [start, end]) as string;
}

/** Whether `value` can be a line value: 1 to {@link MAX_LINE_VALUE_LENGTH} base64url characters (no padding). */
export function isLineValue(value: string): boolean {
  if (value.length === 0 || value.length > MAX_LINE_VALUE_LENGTH) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    const ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '-' || c === '_';
    if (!ok) return false;
  }
  return true;
}

/** Where the session section ends: the start of the first `m=` line, or the end of the SDP. */
function sessionEnd(sdp: string): number {
  if (find(sdp, 'm=') === 0) return 0;
  const media = find(sdp, '\nm=');
  return media === -1 ? sdp.length : media + 1;
}

/** The start of each of our lines in the session section, or -1: searched from `from`. */
function nextLine(sdp: string, end: number, from: number): number {
  let at = from;
  for (;;) {
    const found = find(sdp, LINE_PREFIX, at);
    if (found === -1 || found >= end) return -1;
    if (found === 0 || sdp[found - 1] === '\n') return found;
    at = found + 1;
  }
}

/** The end of the line starting at `start`: the index of its `\r\n` or `\n`, or the end of the SDP. */
function lineEnd(sdp: string, start: number): number {
  const newline = find(sdp, '\n', start);
  if (newline === -1) return sdp.length;
  return newline > start && sdp[newline - 1] === '\r' ? newline - 1 : newline;
}

/** The end of the line starting at `start`, past its line break. */
function nextLineStart(sdp: string, start: number): number {
  const newline = find(sdp, '\n', start);
  return newline === -1 ? sdp.length : newline + 1;
}

/**
 * The value of the first session-level `a=x-framelock:1` line of `sdp` (untrusted), or undefined if there is none or it
 * is not a possible value ({@link isLineValue}). Media-level lines are not ours and are ignored.
 */
export function lineOf(sdp: string): string | undefined {
  const end = sessionEnd(sdp);
  const start = nextLine(sdp, end, 0);
  if (start === -1) return undefined;
  const value = cut(sdp, start + LINE_PREFIX.length, lineEnd(sdp, start));
  return isLineValue(value) ? value : undefined;
}

/**
 * `sdp` with exactly one session-level line of ours, carrying `value`, just before the first `m=` line (at the end if
 * there is none); any other session-level line of ours is removed. Line breaks follow the SDP's own (`\r\n` as RFC 8866
 * says, or `\n` if its first line ends so). A `value` that is not a possible line value ({@link isLineValue}) leaves
 * `sdp` as it is: it could otherwise add lines of its own.
 */
export function withLine(sdp: string, value: string): string {
  if (!isLineValue(value)) return sdp;
  const firstBreak = find(sdp, '\n');
  const eol = firstBreak > 0 && sdp[firstBreak - 1] === '\r' ? '\r\n' : firstBreak === -1 ? '\r\n' : '\n';
  // Remove ours first (the site may hand back a description it got from us).
  let text = sdp;
  for (let start = nextLine(text, sessionEnd(text), 0); start !== -1; start = nextLine(text, sessionEnd(text), start)) {
    text = cut(text, 0, start) + cut(text, nextLineStart(text, start));
  }
  const at = sessionEnd(text);
  const before = cut(text, 0, at);
  const line = `${LINE_PREFIX}${value}${eol}`;
  // An SDP without media whose last line lacks its break gets one before ours.
  const joint = before.length > 0 && before[before.length - 1] !== '\n' ? eol : '';
  return `${before}${joint}${line}${cut(text, at)}`;
}
