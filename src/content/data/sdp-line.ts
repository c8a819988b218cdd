/**
 * @module The session-level SDP line that carries a connection's sealed HELLO (docs/frame-format.md §2.8):
 *
 * ```
 * v=0
 * o=- 4611731400430051336 2 IN IP4 127.0.0.1
 * s=-
 * t=0 0
 * a=group:BUNDLE 0
 * a=x-framelock:1 <base64url, no padding, of the sealed HELLO>      ← ours: session level, before the first m=
 * m=application 9 UDP/DTLS/SCTP webrtc-datachannel
 * ...
 * ```
 *
 * Writing keeps the description's own line endings (CRLF as RFC 8866 §5 says, or the LF some sites' signalling leaves)
 * and replaces any line of ours already there. Reading takes untrusted SDP (the remote peer, the site or its server
 * wrote it) and never throws: no line, more than one, one inside a media section, another version or a value that is
 * not 1 to {@link MAX_LINE_VALUE_CHARS} base64url characters all read as "no line", and a description longer than
 * {@link MAX_SDP_CHARS} is not looked at.
 */
import { isBase64url } from './base64url';
import { DATA_VERSION, MAX_LINE_VALUE_CHARS, MAX_SDP_CHARS, SDP_ATTRIBUTE } from './constants';

/** What every line of ours starts with, whatever its version. */
const LINE_PREFIX = `a=${SDP_ATTRIBUTE}:`;
/** What a line of this version starts with. */
const VERSION_PREFIX = `${LINE_PREFIX}${DATA_VERSION} `;

/** One line of an SDP: `[start, end)` without its line ending, `next` where the following line starts. */
interface Line {
  start: number;
  end: number;
  next: number;
}

/** The lines of `sdp`, one pass, no copies. A last line without an ending counts; an empty tail does not. */
function* lines(sdp: string): Generator<Line> {
  let start = 0;
  while (start < sdp.length) {
    const newline = sdp.indexOf('\n', start);
    const next = newline < 0 ? sdp.length : newline + 1;
    let end = newline < 0 ? sdp.length : newline;
    if (end > start && sdp.charCodeAt(end - 1) === 13) end--; // '\r' of a CRLF
    yield { start, end, next };
    start = next;
  }
}

function isLineValue(value: string): boolean {
  return value.length >= 1 && value.length <= MAX_LINE_VALUE_CHARS && isBase64url(value);
}

/**
 * The value of the one session-level `a=x-framelock:1 <value>` line of an untrusted description, or undefined (see the
 * module doc for every case). The value is only known to be base64url of a sane length: it still has to open. Never
 * throws.
 */
export function lineOf(untrustedSdp: unknown): string | undefined {
  if (typeof untrustedSdp !== 'string' || untrustedSdp.length > MAX_SDP_CHARS) return undefined;
  const sdp = untrustedSdp;
  let found: string | undefined;
  let inMedia = false;
  for (const { start, end } of lines(sdp)) {
    if (sdp.startsWith('m=', start)) inMedia = true;
    if (!sdp.startsWith(LINE_PREFIX, start)) continue;
    // A second line (of any version) or one in a media section is not what a Framelock writes: refuse rather than
    // choose, so the site cannot make two ends read different lines.
    if (found !== undefined || inMedia) return undefined;
    found = sdp.slice(start, end);
  }
  if (found === undefined || !found.startsWith(VERSION_PREFIX)) return undefined;
  const value = found.slice(VERSION_PREFIX.length);
  return isLineValue(value) ? value : undefined;
}

/**
 * `sdp` with the session-level line `a=x-framelock:1 <value>` just before its first `m=` line (at the end if it has
 * none), and every other line of ours removed. The line ends as the description's first line does (CRLF when it has
 * no line ending yet). Every other byte is kept.
 *
 * @throws TypeError if `sdp` or `value` is not a string; RangeError if `value` is not 1 to {@link MAX_LINE_VALUE_CHARS}
 *   base64url characters or `sdp` is longer than {@link MAX_SDP_CHARS}.
 */
export function withLine(sdp: string, value: string): string {
  if (typeof sdp !== 'string' || typeof value !== 'string') throw new TypeError('SDP line: not a string');
  if (!isLineValue(value)) throw new RangeError('SDP line: the value is not 1 to 256 base64url characters');
  if (sdp.length > MAX_SDP_CHARS) throw new RangeError('SDP line: the description is too long');
  const firstNewline = sdp.indexOf('\n');
  const eol = firstNewline > 0 && sdp.charCodeAt(firstNewline - 1) === 13 ? '\r\n' : firstNewline < 0 ? '\r\n' : '\n';
  const line = `${VERSION_PREFIX}${value}${eol}`;
  const parts: string[] = [];
  let inserted = false;
  for (const { start, next } of lines(sdp)) {
    if (sdp.startsWith(LINE_PREFIX, start)) continue;
    if (!inserted && sdp.startsWith('m=', start)) {
      parts.push(line);
      inserted = true;
    }
    parts.push(sdp.slice(start, next));
  }
  if (!inserted) {
    const last = parts.at(-1);
    if (last !== undefined && !last.endsWith('\n')) parts.push(eol);
    parts.push(line);
  }
  return parts.join('');
}
