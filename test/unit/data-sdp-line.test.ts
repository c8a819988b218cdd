/**
 * The SDP line that carries a sealed HELLO (src/content/data/sdp-line.ts): written before the first m= with the
 * description's own line endings, an old line replaced, and read from untrusted descriptions without ever throwing.
 */
import { describe, expect, it } from 'vitest';
import { MAX_LINE_VALUE_CHARS, MAX_SDP_CHARS } from '../../src/content/data/constants';
import { lineOf, withLine } from '../../src/content/data/sdp-line';

const VALUE = 'sNDR0tPU1dbX2Nna2ynaVTJQpoaDgnrJgzAAnZd-Il4JV3P6PZtycyl9ccprHERt4suTWB20IAWi-Xb-UhLL';
const OTHER = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';

/** A description with audio, video and data sections, as lines. */
const SESSION = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1 2'];
const MEDIA = [
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=rtpmap:111 opus/48000/2',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 0.0.0.0',
  'a=mid:1',
  'a=rtpmap:96 VP8/90000',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 0.0.0.0',
  'a=mid:2',
  'a=sctp-port:5000',
];
const sdp = (lines: string[], eol: string) => lines.map((l) => l + eol).join('');
const ours = (value = VALUE) => `a=x-framelock:1 ${value}`;

describe('withLine', () => {
  it.each([
    ['CRLF', '\r\n'],
    ['LF', '\n'],
  ])('puts the line at session level, before the first of several m= sections, with %s endings', (_, eol) => {
    const written = withLine(sdp([...SESSION, ...MEDIA], eol), VALUE);
    expect(written).toBe(sdp([...SESSION, ours(), ...MEDIA], eol));
    expect(lineOf(written)).toBe(VALUE);
  });

  it('keeps every other byte, a last line without an ending too', () => {
    const input = `${sdp([...SESSION, ...MEDIA], '\r\n')}a=end-without-newline`;
    const written = withLine(input, VALUE);
    expect(written.replace(`${ours()}\r\n`, '')).toBe(input);
  });

  it('replaces a line already there (ours, or any version of it), wherever it was', () => {
    const before = sdp([...SESSION, ours(OTHER), ...MEDIA], '\r\n');
    expect(withLine(before, VALUE)).toBe(sdp([...SESSION, ours(), ...MEDIA], '\r\n'));
    const scattered = sdp(['v=0', 'a=x-framelock:2 zz', ...SESSION.slice(1), ...MEDIA, ours(OTHER)], '\n');
    expect(withLine(scattered, VALUE)).toBe(sdp([...SESSION, ours(), ...MEDIA], '\n'));
    // Written twice: the same description.
    const once = withLine(sdp([...SESSION, ...MEDIA], '\r\n'), VALUE);
    expect(withLine(once, VALUE)).toBe(once);
  });

  it('appends the line to a description without media sections, and to an empty one', () => {
    expect(withLine(sdp(SESSION, '\n'), VALUE)).toBe(sdp([...SESSION, ours()], '\n'));
    expect(withLine('v=0', VALUE)).toBe(`v=0\r\n${ours()}\r\n`);
    expect(withLine('', VALUE)).toBe(`${ours()}\r\n`);
  });

  it('refuses a value that is not 1 to 256 base64url characters, a non-string, a description too long', () => {
    const base = sdp([...SESSION, ...MEDIA], '\r\n');
    for (const bad of ['', 'a b', 'abc=', 'ab+/', 'x'.repeat(MAX_LINE_VALUE_CHARS + 1), 'é']) {
      expect(() => withLine(base, bad)).toThrow(RangeError);
    }
    expect(withLine(base, 'x'.repeat(MAX_LINE_VALUE_CHARS))).toContain('x'.repeat(MAX_LINE_VALUE_CHARS));
    expect(() => withLine(undefined as unknown as string, VALUE)).toThrow(TypeError);
    expect(() => withLine(base, 5 as unknown as string)).toThrow(TypeError);
    expect(() => withLine('v=0\n'.repeat(MAX_SDP_CHARS / 4 + 1), VALUE)).toThrow(RangeError);
  });
});

describe('lineOf', () => {
  const withOurs = (eol: string, extra: string[] = []) => sdp([...SESSION, ...extra, ours(), ...MEDIA], eol);

  it('reads the one session-level line, CRLF or LF', () => {
    expect(lineOf(withOurs('\r\n'))).toBe(VALUE);
    expect(lineOf(withOurs('\n'))).toBe(VALUE);
    // As the first line and as the last, without an ending.
    expect(lineOf(`${ours()}\r\nv=0\r\n`)).toBe(VALUE);
    expect(lineOf(`v=0\r\n${ours()}`)).toBe(VALUE);
  });

  it('no line: a description without one, or without Framelock’s attribute exactly', () => {
    expect(lineOf(sdp([...SESSION, ...MEDIA], '\r\n'))).toBeUndefined();
    for (const near of [
      `a=x-framelock-other:1 ${VALUE}`,
      `a=X-Framelock:1 ${VALUE}`,
      ` a=x-framelock:1 ${VALUE}`,
      `a=framelock:1 ${VALUE}`,
    ]) {
      expect(lineOf(sdp([...SESSION, near, ...MEDIA], '\r\n')), near).toBeUndefined();
    }
  });

  it('refuses two lines, of the same value or not, and a line inside a media section', () => {
    expect(lineOf(sdp([...SESSION, ours(), ours(), ...MEDIA], '\r\n'))).toBeUndefined();
    expect(lineOf(sdp([...SESSION, ours(), ours(OTHER), ...MEDIA], '\r\n'))).toBeUndefined();
    expect(lineOf(sdp([...SESSION, ours(), 'a=x-framelock:2 abc', ...MEDIA], '\n'))).toBeUndefined();
    expect(lineOf(sdp([...SESSION, ours(), ...MEDIA, ours()], '\r\n'))).toBeUndefined();
    expect(lineOf(sdp([...SESSION, ...MEDIA.slice(0, 3), ours(), ...MEDIA.slice(3)], '\r\n'))).toBeUndefined();
  });

  it('refuses another version, a malformed value, and a value longer than 256 characters', () => {
    for (const line of [
      `a=x-framelock:2 ${VALUE}`,
      `a=x-framelock:10 ${VALUE}`,
      `a=x-framelock:1  ${VALUE}`,
      `a=x-framelock:1 ${VALUE} `,
      `a=x-framelock:1 ${VALUE} extra`,
      'a=x-framelock:1 ',
      'a=x-framelock:1',
      `a=x-framelock:1 ${VALUE}=`,
      `a=x-framelock:1 ${VALUE.replace('-', '+')}`,
      `a=x-framelock:1 ${'A'.repeat(MAX_LINE_VALUE_CHARS + 1)}`,
    ]) {
      expect(lineOf(sdp([...SESSION, line, ...MEDIA], '\r\n')), line).toBeUndefined();
    }
    expect(lineOf(sdp([...SESSION, ours('A'.repeat(MAX_LINE_VALUE_CHARS)), ...MEDIA], '\r\n'))).toBe(
      'A'.repeat(MAX_LINE_VALUE_CHARS),
    );
  });

  it('huge and odd inputs: bounded, never throws', () => {
    const huge = withOurs('\r\n') + 'a=x\r\n'.repeat(MAX_SDP_CHARS / 5);
    expect(huge.length).toBeGreaterThan(MAX_SDP_CHARS);
    const started = performance.now();
    expect(lineOf(huge)).toBeUndefined();
    expect(lineOf(`${ours()}${'x'.repeat(MAX_SDP_CHARS)}`)).toBeUndefined();
    expect(lineOf(`${ours()}\n${'\n'.repeat(MAX_SDP_CHARS - 200)}`)).toBe(VALUE);
    expect(lineOf(`${ours()}\r\n${'\r'.repeat(MAX_SDP_CHARS - 200)}`)).toBe(VALUE);
    expect(performance.now() - started).toBeLessThan(2_000);
    for (const odd of [undefined, null, 1, {}, [], new String(withOurs('\n')), '', '\n', '\r\n\r\n', 'm=']) {
      expect(lineOf(odd)).toBeUndefined();
    }
  });
});
