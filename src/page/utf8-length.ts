/**
 * @module The UTF-8 length of a string as a data channel sends it (a USVString: a lone surrogate becomes U+FFFD, three
 * bytes): what `bufferedAmount` counts and `maxMessageSize` limits. Compares characters only, calling no built-in the
 * page could have replaced (String.prototype.charCodeAt, TextEncoder).
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  const { length } = text;
  for (let i = 0; i < length; i++) {
    const c = text[i] as string;
    if (c < '\u0080') bytes += 1;
    else if (c < '\u0800') bytes += 2;
    else {
      // Past the end, `text[i + 1]` would be looked up on String.prototype: the page's, maybe.
      const low = i + 1 < length ? (text[i + 1] as string) : '';
      if (c >= '\ud800' && c <= '\udbff' && low >= '\udc00' && low <= '\udfff') {
        bytes += 4; // a surrogate pair: one code point above U+FFFF
        i++;
      } else bytes += 3; // the rest of the BMP, and a lone surrogate (sent as U+FFFD)
    }
  }
  return bytes;
}
