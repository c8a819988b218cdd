/**
 * @module Where each top-level member of a JSON object sits in its text, so a profile can replace one value and keep
 * every other byte of the message as the site or the server wrote it: other fields, key order, whitespace, escapes,
 * and numbers JSON.parse would round (Janus room ids are 64-bit). The text is parsed by JSON.parse first, which
 * decides what it means; this only finds where things are (RFC 8259 §2-§7), and gives up (undefined) on anything it
 * does not expect. One pass, no recursion: nesting only moves a depth counter.
 */

/** One top-level member: its key (unescaped) and its value's text as `json.slice(start, end)`. */
export interface MemberSpan {
  key: string;
  start: number;
  end: number;
}

/** RFC 8259 §2: the four whitespace characters. */
function skipWhitespace(json: string, at: number): number {
  let i = at;
  for (; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
  }
  return i;
}

/** The index just past the string that starts at `at` (a `"`), or -1. */
function skipString(json: string, at: number): number {
  if (json.charCodeAt(at) !== 0x22) return -1;
  for (let i = at + 1; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x5c)
      i++; // a backslash: the next character is escaped (a \u's four digits need no care)
    else if (c === 0x22) return i + 1;
  }
  return -1;
}

/** The index just past the value that starts at `at`, or -1. */
function skipValue(json: string, at: number): number {
  const first = json.charCodeAt(at);
  if (first === 0x22) return skipString(json, at);
  if (first === 0x7b || first === 0x5b) {
    let depth = 0;
    for (let i = at; i < json.length; ) {
      const c = json.charCodeAt(i);
      if (c === 0x22) {
        i = skipString(json, i);
        if (i < 0) return -1;
        continue;
      }
      if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) depth--;
      i++;
      if (depth === 0) return i;
    }
    return -1;
  }
  // A number, true, false or null: up to the next delimiter.
  let i = at;
  for (; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) break;
  }
  return i > at ? i : -1;
}

/**
 * The top-level members of `json`, in order (duplicates included), if it is the text of an object. Call only on text
 * JSON.parse accepted; undefined if it is not an object or anything is not where JSON puts it. Never throws.
 */
export function topLevelMembers(json: string): MemberSpan[] | undefined {
  let i = skipWhitespace(json, 0);
  if (json.charCodeAt(i) !== 0x7b) return undefined;
  i = skipWhitespace(json, i + 1);
  const members: MemberSpan[] = [];
  if (json.charCodeAt(i) === 0x7d) return members;
  for (;;) {
    const keyEnd = skipString(json, i);
    if (keyEnd < 0) return undefined;
    let key: unknown;
    try {
      key = JSON.parse(json.slice(i, keyEnd));
    } catch {
      return undefined;
    }
    if (typeof key !== 'string') return undefined;
    i = skipWhitespace(json, keyEnd);
    if (json.charCodeAt(i) !== 0x3a) return undefined;
    const start = skipWhitespace(json, i + 1);
    const end = skipValue(json, start);
    if (end < 0) return undefined;
    members.push({ key, start, end });
    i = skipWhitespace(json, end);
    const c = json.charCodeAt(i);
    if (c === 0x7d) return skipWhitespace(json, i + 1) === json.length ? members : undefined;
    if (c !== 0x2c) return undefined;
    i = skipWhitespace(json, i + 1);
  }
}
