/**
 * @module Site origins as the user enables them, and the Chrome match patterns that cover exactly one origin. Pure:
 * no DOM, no extension APIs (the background and the options page both use it).
 *
 * An enabled site is an origin in the sense of the URL Standard (`scheme://host[:port]`): the room key is bound to
 * it (see `src/background/keys.ts`), so its normal form is part of the protocol. {@link normalizeOrigin} produces it
 * with the platform's `URL` parser, which lower-cases, turns IDN host names into punycode (`xn--…`), canonicalises
 * IPv4 literals (`127.1` → `127.0.0.1`) and drops the scheme's default port.
 *
 * ## Ports in Chrome match patterns (checked in Chromium 156)
 *
 * A match pattern may carry a port (`http://127.0.0.1:8080/*`), and Chrome honours it, for host permissions
 * (`permissions.contains` / `request`) and for content script `matches` alike:
 *
 * - a pattern **without** a port matches **every** port: `http://127.0.0.1/*` grants, and injects into,
 *   `http://127.0.0.1:8080/` and `http://127.0.0.1:9999/` too;
 * - a pattern **with** a port matches that port only, compared with the URL's effective port: `http://127.0.0.1:80/*`
 *   matches `http://127.0.0.1/` and nothing on another port, and Chrome keeps the `:80` as written.
 *
 * So {@link matchPatternFor} always writes the port, the default one included (`https://meet.example.org:443/*`):
 * enabling `https://meet.example.org` must neither ask for nor inject into `https://meet.example.org:8443`, which is
 * another origin (with another room key).
 *
 * ## Firefox (checked in Firefox 153 ESR)
 *
 * Firefox's match patterns cannot carry a port (Mozilla bugs 1362809 and 1468162): `http://127.0.0.1:8080/*` is
 * accepted by `permissions.request` and `registerContentScripts` alike, and then matches nothing, so no script is
 * ever injected. The Firefox build writes no port: its host permission and its scripts cover the host on every port,
 * and the origin check that matters (which frame gets keys) stays the background's, on the exact origin.
 */
import { TARGET_BROWSER, type TargetBrowser } from './target-browser';

/** Longest input accepted, in UTF-16 code units: a DNS name has at most 253 characters, plus scheme and port. */
export const MAX_ORIGIN_INPUT_LENGTH = 300;

export type NormalizedOrigin = { ok: true; origin: string } | { ok: false; error: string };

const EXAMPLE = 'like https://meet.example.org or http://127.0.0.1:8080';

/** `scheme://` at the start of the input (RFC 3986 §3.1 scheme syntax). */
const SCHEME_WITH_AUTHORITY = /^([a-z][a-z0-9+.-]*):\/\//i;
/**
 * `scheme:` without `//` (`mailto:`, `javascript:`, `data:`, `about:`), told apart from `host:port` (`localhost:8080`,
 * `example.org:8443/`), whose colon is followed by digits only.
 */
const SCHEME_WITHOUT_AUTHORITY = /^([a-z][a-z0-9+.-]*):(?!\d+(?:[/?#]|$))/i;
/**
 * Whether `text` has whitespace or a C0/C1 control character: the URL parser silently drops some of them (tab,
 * newline) and rejects others, so refuse them all with one clear message.
 */
function hasSpaceOrControl(text: string): boolean {
  if (/\s/.test(text)) return true;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/**
 * Parses what a user typed as a site into its origin (`scheme://host[:port]`, lower case, no default port, IDN as
 * punycode). Accepts `https://meet.example.org`, `meet.example.org` (https is assumed), `http://127.0.0.1:8080/`
 * (one trailing slash is fine) and IPv6 literals (`http://[::1]:8080`).
 *
 * Refuses, with a message meant for the user: empty input, other schemes, wildcards, user names or passwords,
 * anything after the host but a single `/` (path, query, fragment), spaces and control characters, backslashes and
 * percent-escapes (which the URL parser would silently rewrite), and anything the URL parser rejects.
 *
 * Never throws, whatever it is given (it is the runtime check on untrusted input too).
 */
export function normalizeOrigin(input: string): NormalizedOrigin {
  if (typeof input !== 'string') return fail('The site must be given as text.');
  const text = input.trim();
  if (text === '') return fail(`Enter the site's address, ${EXAMPLE}.`);
  if (text.length > MAX_ORIGIN_INPUT_LENGTH) {
    return fail(`This address is too long (more than ${MAX_ORIGIN_INPUT_LENGTH} characters).`);
  }
  if (hasSpaceOrControl(text)) return fail('A site address cannot contain spaces or control characters.');
  if (text.includes('*')) return fail('Wildcards (*) are not allowed: enable one site at a time.');
  if (text.includes('@')) return fail('Remove the user name and password (the part up to "@"): enter only the site.');
  if (text.includes('\\') || text.includes('%')) return notAnOrigin();

  let scheme = 'https';
  let rest = text;
  const withAuthority = SCHEME_WITH_AUTHORITY.exec(text);
  if (withAuthority !== null) {
    scheme = (withAuthority[1] ?? '').toLowerCase();
    rest = text.slice(withAuthority[0].length);
  } else {
    const withoutAuthority = SCHEME_WITHOUT_AUTHORITY.exec(text)?.[1]?.toLowerCase();
    // "https:/x" is a typo, not another scheme; "example.org:abc" is a bad port (a scheme has no dot in practice).
    if (withoutAuthority === 'http' || withoutAuthority === 'https') return notAnOrigin();
    if (withoutAuthority !== undefined && !withoutAuthority.includes('.')) {
      return fail(`Only http:// and https:// sites can be enabled (not "${withoutAuthority}:").`);
    }
  }
  if (scheme !== 'http' && scheme !== 'https') {
    return fail(`Only http:// and https:// sites can be enabled (not "${scheme}://").`);
  }

  // The authority ends at the first "/", "?" or "#"; only a single "/" may follow it.
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const tail = authorityEnd === -1 ? '' : rest.slice(authorityEnd);
  if (authority === '') return notAnOrigin();
  if (tail !== '' && tail !== '/') {
    return fail(`Enter only the site, without a path, "?" or "#" (${EXAMPLE}).`);
  }

  let url: URL;
  try {
    url = new URL(`${scheme}://${authority}/`);
  } catch {
    return notAnOrigin();
  }
  // Belt and braces: the checks above should make these impossible.
  if (url.hostname === '' || url.username !== '' || url.password !== '' || url.origin === 'null') return notAnOrigin();
  return { ok: true, origin: url.origin };
}

/** Whether `value` is a string already in the normal form {@link normalizeOrigin} produces. */
export function isNormalizedOrigin(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const result = normalizeOrigin(value);
  return result.ok && result.origin === value;
}

/**
 * The match pattern that covers `origin`, every path. The path is `/*`, as `matchOriginAsFallback` requires.
 *
 * - **Chrome** (the default): exactly `origin`, with its port written out (see the module comment):
 *   `http://127.0.0.1:8080` → `http://127.0.0.1:8080/*`, `https://meet.example.org` → `https://meet.example.org:443/*`.
 * - **Firefox**: its match patterns cannot hold a port (a pattern with one is accepted but matches nothing), so the
 *   pattern covers the origin's scheme and host on every port: `http://127.0.0.1:8080` → `http://127.0.0.1/*`. The
 *   background still keys only the exact origin (docs/architecture.md, "Firefox").
 *
 * @throws TypeError if `origin` is not a normalised origin (run {@link normalizeOrigin} first).
 */
export function matchPatternFor(origin: string, browser: TargetBrowser = TARGET_BROWSER): string {
  if (!isNormalizedOrigin(origin)) {
    throw new TypeError(`matchPatternFor: not a normalised http(s) origin: ${JSON.stringify(origin)}`);
  }
  const url = new URL(origin);
  // url.hostname keeps the brackets of an IPv6 literal, as match patterns want them.
  if (browser === 'firefox') return `${url.protocol}//${url.hostname}/*`;
  const port = url.port === '' ? defaultPort(url.protocol) : url.port;
  return `${url.protocol}//${url.hostname}:${port}/*`;
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

function notAnOrigin(): NormalizedOrigin {
  return fail(`Not a site address: enter an origin ${EXAMPLE}.`);
}

function fail(error: string): NormalizedOrigin {
  return { ok: false, error };
}
