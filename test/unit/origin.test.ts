/**
 * Site origins (src/shared/origin.ts): what a user may type as a site, its normal form (part of the key derivation's
 * salt, so part of the protocol), and the Chrome and Firefox match patterns for it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNormalizedOrigin, matchPatternFor, normalizeOrigin } from '../../src/shared/origin';

function originOf(input: string): string {
  const result = normalizeOrigin(input);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(input)} to be accepted, got: ${result.error}`);
  return result.origin;
}

function errorOf(input: string): string {
  const result = normalizeOrigin(input);
  if (result.ok) throw new Error(`expected ${JSON.stringify(input)} to be refused, got ${result.origin}`);
  return result.error;
}

describe('normalizeOrigin accepts http(s) origins', () => {
  it.each([
    ['https://meet.example.org', 'https://meet.example.org'],
    ['https://meet.example.org/', 'https://meet.example.org'],
    ['meet.example.org', 'https://meet.example.org'],
    ['meet.example.org/', 'https://meet.example.org'],
    ['  https://meet.example.org  ', 'https://meet.example.org'],
    ['\thttps://meet.example.org/\n', 'https://meet.example.org'],
    ['HTTPS://Meet.Example.ORG', 'https://meet.example.org'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080'],
    ['127.0.0.1:8080', 'https://127.0.0.1:8080'],
    ['localhost:3000', 'https://localhost:3000'],
    ['http://localhost', 'http://localhost'],
    ['example.org:8443/', 'https://example.org:8443'],
    // Default ports are dropped (the URL parser does it); other ports kept.
    ['https://meet.example.org:443', 'https://meet.example.org'],
    ['http://meet.example.org:80/', 'http://meet.example.org'],
    ['http://meet.example.org:443', 'http://meet.example.org:443'],
    ['https://meet.example.org:80', 'https://meet.example.org:80'],
    // IP literals, canonicalised by the URL parser.
    ['http://127.1:8080', 'http://127.0.0.1:8080'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
    ['http://[0:0:0:0:0:0:0:1]', 'http://[::1]'],
    ['https://[2001:DB8::1]/', 'https://[2001:db8::1]'],
    // IDN → punycode.
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
    ['münchen.de', 'https://xn--mnchen-3ya.de'],
    ['https://ÉCOLE.example', 'https://xn--cole-9oa.example'],
  ])('%s → %s', (input, expected) => {
    expect(originOf(input)).toBe(expected);
  });
});

describe('normalizeOrigin refuses everything else, with a plain message', () => {
  it.each([
    ['', /enter the site's address/i],
    ['   ', /enter the site's address/i],
    ['https://meet.example.org/room', /without a path/i],
    ['https://meet.example.org//', /without a path/i],
    ['https://meet.example.org/?x=1', /without a path/i],
    ['https://meet.example.org?x=1', /without a path/i],
    ['https://meet.example.org#top', /without a path/i],
    ['https://meet.example.org/#', /without a path/i],
    ['meet.example.org/room/42', /without a path/i],
    ['https://user:secret@meet.example.org', /user name and password/i],
    ['https://user@meet.example.org', /user name and password/i],
    ['https://@meet.example.org', /user name and password/i],
    ['ftp://meet.example.org', /only http:\/\/ and https:\/\//i],
    ['file:///etc/passwd', /only http:\/\/ and https:\/\//i],
    ['ws://meet.example.org', /only http:\/\/ and https:\/\//i],
    ['chrome-extension://abcdefghijklmnopabcdefghijklmnop', /only http:\/\/ and https:\/\//i],
    ['javascript:alert(1)', /only http:\/\/ and https:\/\//i],
    ['data:text/html,hi', /only http:\/\/ and https:\/\//i],
    ['about:blank', /only http:\/\/ and https:\/\//i],
    ['mailto:someone@example.org', /user name and password|only http/i],
    ['https://*.example.org', /wildcards/i],
    ['*://meet.example.org', /wildcards/i],
    ['https://meet.example.org:*', /wildcards/i],
    ['<all_urls>', /not a site address/i],
    ['https://meet example.org', /spaces/i],
    ['https://meet.exa\nmple.org', /spaces or control/i],
    ['https://meet.example.org\u0000', /control/i],
    ['https:/meet.example.org', /not a site address/i],
    ['https:meet.example.org', /not a site address/i],
    ['https://', /not a site address/i],
    ['https:///', /not a site address/i],
    ['http://:8080', /not a site address/i],
    ['https://meet.example.org:99999', /not a site address/i],
    ['https://meet.example.org:abc', /not a site address/i],
    ['meet.example.org:abc', /not a site address/i],
    ['https://meet.example.org\\room', /not a site address/i],
    ['https://meet%2Eexample.org', /not a site address/i],
    ['https://[::1', /not a site address/i],
    ['https://exa<mple.org', /not a site address/i],
    [`https://${'a'.repeat(300)}.org`, /too long/i],
  ])('%j', (input, message) => {
    expect(errorOf(input)).toMatch(message);
  });

  it('never throws, even on non-strings', () => {
    for (const value of [undefined, null, 42, {}, [], Symbol('x')]) {
      const result = normalizeOrigin(value as unknown as string);
      expect(result.ok).toBe(false);
    }
  });

  it('never throws and is idempotent on arbitrary input (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl(), fc.domain(), fc.webAuthority()), (input) => {
        const result = normalizeOrigin(input);
        if (result.ok) {
          expect(normalizeOrigin(result.origin)).toEqual(result);
          expect(result.origin).toBe(new URL(result.origin).origin);
          expect(result.origin).toMatch(/^https?:\/\/[^/?#@*\s]+$/);
        } else {
          expect(result.error.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('isNormalizedOrigin', () => {
  it('accepts only the normal form', () => {
    expect(isNormalizedOrigin('https://meet.example.org')).toBe(true);
    expect(isNormalizedOrigin('http://127.0.0.1:8080')).toBe(true);
    expect(isNormalizedOrigin('https://meet.example.org/')).toBe(false);
    expect(isNormalizedOrigin('meet.example.org')).toBe(false);
    expect(isNormalizedOrigin('https://Meet.example.org')).toBe(false);
    expect(isNormalizedOrigin('https://meet.example.org:443')).toBe(false);
    expect(isNormalizedOrigin(42)).toBe(false);
  });
});

describe('matchPatternFor', () => {
  it.each([
    // The port is always written: a pattern without one would match every port (Chromium 156, see origin.ts).
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/*'],
    ['https://meet.example.org', 'https://meet.example.org:443/*'],
    ['http://meet.example.org', 'http://meet.example.org:80/*'],
    ['http://meet.example.org:443', 'http://meet.example.org:443/*'],
    ['http://[::1]:8080', 'http://[::1]:8080/*'],
    ['https://[2001:db8::1]', 'https://[2001:db8::1]:443/*'],
    ['https://xn--bcher-kva.example', 'https://xn--bcher-kva.example:443/*'],
  ])('%s → %s', (origin, pattern) => {
    expect(matchPatternFor(origin)).toBe(pattern);
    expect(matchPatternFor(origin, 'chrome')).toBe(pattern);
  });

  it.each([
    // Firefox's match patterns cannot hold a port (one is accepted, then matches nothing, see origin.ts): the pattern
    // covers the host on every port, whether the origin's port is the default one or written out.
    ['http://127.0.0.1:8080', 'http://127.0.0.1/*'],
    ['https://meet.example.org', 'https://meet.example.org/*'],
    ['http://meet.example.org', 'http://meet.example.org/*'],
    ['https://meet.example.org:8443', 'https://meet.example.org/*'],
    ['http://meet.example.org:443', 'http://meet.example.org/*'],
    ['http://[::1]:8080', 'http://[::1]/*'],
    ['https://[2001:db8::1]', 'https://[2001:db8::1]/*'],
    ['https://[2001:db8::1]:8443', 'https://[2001:db8::1]/*'],
    ['https://xn--bcher-kva.example', 'https://xn--bcher-kva.example/*'],
  ])('firefox: %s → %s', (origin, pattern) => {
    expect(matchPatternFor(origin, 'firefox')).toBe(pattern);
  });

  it('is the default browser’s (Chrome’s, in the unit tests, which define no __FRAMELOCK_BROWSER__)', () => {
    expect(matchPatternFor('http://127.0.0.1:8080')).toBe(matchPatternFor('http://127.0.0.1:8080', 'chrome'));
  });

  it('refuses anything but a normalised origin, for either browser', () => {
    for (const input of ['meet.example.org', 'https://meet.example.org/', 'https://*.example.org', 'ftp://x.org', '']) {
      expect(() => matchPatternFor(input), input).toThrow(TypeError);
      expect(() => matchPatternFor(input, 'firefox'), input).toThrow(TypeError);
    }
  });
});
