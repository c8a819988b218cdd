/**
 * Framelock's session-level SDP line (src/page/sdp-line.ts): found only at session level, inserted once before the
 * first `m=`, with the SDP's own line breaks, and never with a value that could add lines of its own. It must keep
 * working after the page replaces String.prototype's methods (it took its own at start).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { isLineValue, LINE_PREFIX, lineOf, MAX_LINE_VALUE_LENGTH, withLine } from '../../src/page/sdp-line';

const SESSION = ['v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0'];
const MEDIA = ['m=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 0.0.0.0', 'a=mid:0'];
const sdp = (lines: string[], eol = '\r\n') => `${lines.join(eol)}${eol}`;
const OFFER = sdp([...SESSION, ...MEDIA]);
const VALUE = 'AzEr-_09zZ';

describe('isLineValue', () => {
  it('takes 1 to 256 base64url characters, nothing else', () => {
    expect(isLineValue(VALUE)).toBe(true);
    expect(isLineValue('A'.repeat(MAX_LINE_VALUE_LENGTH))).toBe(true);
    for (const bad of ['', 'A'.repeat(MAX_LINE_VALUE_LENGTH + 1), 'ab=', 'a b', 'a+b', 'a/b', 'ab\r\nm=x', 'é']) {
      expect(isLineValue(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('withLine', () => {
  it('inserts our line just before the first m= line, with CRLF', () => {
    expect(withLine(OFFER, VALUE)).toBe(sdp([...SESSION, `${LINE_PREFIX}${VALUE}`, ...MEDIA]));
  });

  it('keeps an SDP’s bare LF line breaks', () => {
    expect(withLine(sdp([...SESSION, ...MEDIA], '\n'), VALUE)).toBe(
      sdp([...SESSION, `${LINE_PREFIX}${VALUE}`, ...MEDIA], '\n'),
    );
  });

  it('replaces any session-level line of ours (the site hands back what we gave), and leaves media-level ones', () => {
    const media = 'a=x-framelock:1 mediaLevel';
    const given = sdp([
      ...SESSION,
      `${LINE_PREFIX}old`,
      'a=extmap-allow-mixed',
      `${LINE_PREFIX}older`,
      ...MEDIA,
      media,
    ]);
    expect(withLine(given, VALUE)).toBe(
      sdp([...SESSION, 'a=extmap-allow-mixed', `${LINE_PREFIX}${VALUE}`, ...MEDIA, media]),
    );
  });

  it('appends to an SDP without media, adding the missing final line break first', () => {
    expect(withLine(sdp(SESSION), VALUE)).toBe(sdp([...SESSION, `${LINE_PREFIX}${VALUE}`]));
    expect(withLine(SESSION.join('\r\n'), VALUE)).toBe(sdp([...SESSION, `${LINE_PREFIX}${VALUE}`]));
  });

  it('leaves the SDP as it is for a value that is not a line value (it could add lines)', () => {
    for (const bad of ['', 'x\r\na=injected', 'a b']) expect(withLine(OFFER, bad)).toBe(OFFER);
  });

  it('round-trips with lineOf, once, for any valid value and any session attributes', () => {
    const attribute = fc.stringMatching(/^a=[a-z-]{1,12}(:[ -~]{0,20})?$/);
    const value = fc.stringMatching(/^[A-Za-z0-9_-]{1,256}$/);
    fc.assert(
      fc.property(fc.array(attribute, { maxLength: 6 }), value, fc.boolean(), (extra, v, lf) => {
        const eol = lf ? '\n' : '\r\n';
        const original = sdp([...SESSION, ...extra, ...MEDIA], eol);
        const once = withLine(original, v);
        expect(lineOf(once)).toBe(v);
        expect(withLine(once, v)).toBe(once);
        expect(once.split(LINE_PREFIX)).toHaveLength(2);
        // Nothing else changed: without our line it is the original.
        expect(once.replace(`${LINE_PREFIX}${v}${eol}`, '')).toBe(original);
      }),
    );
  });
});

describe('lineOf', () => {
  it('reads the first session-level value, and nothing from media level', () => {
    expect(lineOf(sdp([...SESSION, `${LINE_PREFIX}first`, `${LINE_PREFIX}second`, ...MEDIA]))).toBe('first');
    expect(lineOf(sdp([...SESSION, ...MEDIA, `${LINE_PREFIX}${VALUE}`]))).toBeUndefined();
    expect(lineOf(OFFER)).toBeUndefined();
    expect(lineOf(`${LINE_PREFIX}${VALUE}`)).toBe(VALUE); // no line break at all
    expect(lineOf(sdp([...SESSION, `${LINE_PREFIX}${VALUE}`], '\n'))).toBe(VALUE);
  });

  it('refuses values that are not line values, and lines that only contain ours', () => {
    expect(lineOf(sdp([...SESSION, `${LINE_PREFIX}not base64!`, ...MEDIA]))).toBeUndefined();
    expect(
      lineOf(sdp([...SESSION, `${LINE_PREFIX}${'A'.repeat(MAX_LINE_VALUE_LENGTH + 1)}`, ...MEDIA])),
    ).toBeUndefined();
    expect(lineOf(sdp([...SESSION, `a=other ${LINE_PREFIX}${VALUE}`, ...MEDIA]))).toBeUndefined();
    expect(lineOf(sdp([...SESSION, 'a=x-framelock:2 future', ...MEDIA]))).toBeUndefined();
  });
});

describe('after the page replaced String.prototype’s methods', () => {
  const saved = { indexOf: String.prototype.indexOf, slice: String.prototype.slice };
  afterEach(() => Object.assign(String.prototype, saved));

  it('still finds and inserts the line with the methods it took at start', () => {
    Object.assign(String.prototype, {
      indexOf: () => {
        throw new Error('hooked indexOf');
      },
      slice: () => 'hooked',
    });
    const once = withLine(OFFER, VALUE);
    const found = lineOf(once);
    Object.assign(String.prototype, saved);
    expect(once).toBe(sdp([...SESSION, `${LINE_PREFIX}${VALUE}`, ...MEDIA]));
    expect(found).toBe(VALUE);
  });
});
