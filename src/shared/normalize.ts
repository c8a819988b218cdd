/**
 * @module How the passphrase and the room label are normalised before they enter the key derivation (protocol v2,
 * docs/keys.md). Shared so that the options page flags a room name exactly as the background would refuse it.
 */

/**
 * The passphrase as the KDF sees it: Unicode NFC (the same visible text typed on two systems gives the same bytes,
 * as RFC 8265's OpaqueString profile does), leading and trailing white space removed and every inner run of white
 * space made one U+0020 space (a generated passphrase pasted with a line break or a double space still matches).
 * Case is kept.
 */
export function normalizePassphrase(passphrase: string): string {
  return passphrase.normalize('NFC').trim().replace(/\s+/gu, ' ');
}

/** Longest room label, in code points after normalisation. */
export const ROOM_LABEL_MAX_LENGTH = 64;
/**
 * Longest room label accepted before normalisation, in UTF-16 code units. Generous (a label may shrink a lot: white
 * space collapses, NFKC folds), but bounded, so an oversized message costs no regex or NFKC pass over megabytes.
 */
export const ROOM_LABEL_INPUT_MAX_LENGTH = 1024;

export type RoomLabelResult = { ok: true; label: string } | { ok: false; error: string };

/**
 * The room label as the salt binds it: NFKC, white space trimmed and collapsed to single spaces, lower case
 * (`String.prototype.toLowerCase`, which does not depend on the locale). So "Team  Standup" and "team standup" name
 * the same room. The empty label is the site's default room. Control and format characters are refused (they are
 * invisible: two people could not tell their labels apart), and so is a label longer than
 * {@link ROOM_LABEL_MAX_LENGTH} characters after normalisation.
 */
export function normalizeRoomLabel(label: unknown): RoomLabelResult {
  if (typeof label !== 'string') return { ok: false, error: 'The room name must be text.' };
  if (label.length > ROOM_LABEL_INPUT_MAX_LENGTH) {
    return { ok: false, error: `The room name is too long (at most ${ROOM_LABEL_MAX_LENGTH} characters).` };
  }
  if (/[\p{Cc}\p{Cf}\p{Co}\p{Cn}]/u.test(label.replace(/[\t\n\r]/g, ' '))) {
    return { ok: false, error: 'The room name contains an invisible or control character.' };
  }
  const normalized = label.normalize('NFKC').trim().replace(/\s+/gu, ' ').toLowerCase();
  if ([...normalized].length > ROOM_LABEL_MAX_LENGTH) {
    return { ok: false, error: `The room name is too long (at most ${ROOM_LABEL_MAX_LENGTH} characters).` };
  }
  return { ok: true, label: normalized };
}
