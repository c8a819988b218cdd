/**
 * @module Whether a runtime message is a UI request the background may act on: who sent it (only the extension's own
 * pages), then what it says. Its shape is {@link UiRequestSchema} (src/shared/messages/ui.ts: exact fields, types,
 * bounds); what needs the background's rules is checked here (origin and room label normalised, the passphrase not
 * empty once normalised).
 *
 * Content scripts run with our extension id too, but in a site's page, so the sender's URL (which the browser fills
 * in, the sender cannot choose it) must be one of the extension's own. The message itself is untrusted until it
 * passed both checks: the types say what a valid request looks like, not what arrives.
 */
import * as v from 'valibot';
import { type Origin, type UiError, type UiRequest, UiRequestSchema } from '../shared/messages';
import { normalizeOrigin } from '../shared/origin';
import { t } from '../ui/i18n';
import { ECHO_FIELDS_MAX_LENGTH, ECHO_TYPE_MAX_LENGTH } from './constants';
import { normalizePassphrase, normalizeRoomLabel, PASSPHRASE_MAX_LENGTH, PASSPHRASE_MIN_LENGTH } from './keys';
import { invalid } from './ui-answers';

/** The schema of each request type (the options of {@link UiRequestSchema}'s variant), by type. */
const REQUEST_SCHEMAS = UiRequestSchema.pipe[1].options;
type RequestSchema = (typeof REQUEST_SCHEMAS)[number];
const requestSchemaByType = new Map<unknown, RequestSchema>(
  REQUEST_SCHEMAS.map((schema) => [schema.entries.type.literal, schema]),
);

/** Every request type the extension's pages may send. */
export const UI_REQUEST_TYPES: readonly UiRequest['type'][] = REQUEST_SCHEMAS.map(
  (schema) => schema.entries.type.literal,
);

/** The parts of `runtime.MessageSender` that say who sent a message (filled in by the browser). */
export interface UiSender {
  id?: string;
  url?: string;
  origin?: string;
}

/**
 * Whether `untrustedMessage` claims to be a UI request (its `type` is one): such messages get an answer, valid or not.
 */
export function isUiRequestMessage(untrustedMessage: unknown): boolean {
  return (
    typeof untrustedMessage === 'object' &&
    untrustedMessage !== null &&
    requestSchemaByType.has((untrustedMessage as { type?: unknown }).type)
  );
}

/**
 * Whether a message comes from one of the extension's own pages: our extension id and a URL under our base URL
 * (`chrome-extension://<id>/`). A content script has our id but the URL of the site it runs in; another extension
 * or a web page has another id.
 */
export function isExtensionPageSender(sender: UiSender, extensionId: string, extensionBaseUrl: string): boolean {
  if (extensionId === '' || sender.id !== extensionId) return false;
  if (!extensionBaseUrl.endsWith('/') || typeof sender.url !== 'string' || !sender.url.startsWith(extensionBaseUrl)) {
    return false;
  }
  // Chrome also reports the sender's origin: when it does, it must be ours too.
  return sender.origin === undefined || sender.origin === extensionBaseUrl.slice(0, -1);
}

/**
 * Checks an untrusted message and returns the request it is, or the error to answer with. Origins are normalised
 * (`normalizeOrigin`), so `Meet.Example.org/` and `https://meet.example.org` are the same site; room labels too
 * (`normalizeRoomLabel`), "" when `sites/enable` names none.
 *
 * The answer names the first thing wrong, in this order: not an object, an unknown type, unexpected fields (all of
 * them), then each field in the order the schema declares it, wrong in shape (the schema's issue) or in meaning (the
 * background's rules).
 */
export function parseUiRequest(untrustedMessage: unknown): UiRequest | UiError {
  if (typeof untrustedMessage !== 'object' || untrustedMessage === null || Array.isArray(untrustedMessage)) {
    return invalid(t('bg_error_not_object'));
  }
  const untrustedFields = untrustedMessage as Record<string, unknown>;
  const type = untrustedFields.type;
  const schema = requestSchemaByType.get(type);
  if (schema === undefined) {
    const shown = typeof type === 'string' ? JSON.stringify(type.slice(0, ECHO_TYPE_MAX_LENGTH)) : typeof type;
    return invalid(t('bg_error_unknown_request', shown));
  }
  // The schema would name only the first unexpected field; the answer names them all.
  const fieldNames = Object.keys(schema.entries);
  const extra = Object.keys(untrustedFields).filter((key) => !fieldNames.includes(key));
  if (extra.length > 0) {
    return invalid(t('bg_error_unexpected_field', extra.join(', ').slice(0, ECHO_FIELDS_MAX_LENGTH)));
  }

  const parsed = v.safeParse(UiRequestSchema, untrustedMessage);
  const issues = parsed.success ? [] : parsed.issues;
  const normalized: { origin?: Origin; room?: string } = {};
  for (const name of fieldNames) {
    const untrustedValue = untrustedFields[name];
    if (issues.some((issue) => issue.path?.[0]?.key === name)) return shapeError(name, untrustedValue);
    // Right in shape: now in meaning.
    if (name === 'origin') {
      const origin = normalizeOrigin(untrustedValue as string);
      if (!origin.ok) return invalid(origin.error, 'origin');
      normalized.origin = origin.origin;
    } else if (name === 'passphrase') {
      if (normalizePassphrase(untrustedValue as string).length < PASSPHRASE_MIN_LENGTH) {
        return invalid(t('bg_error_passphrase_empty'), 'passphrase');
      }
    } else if (name === 'room') {
      const room = normalizeRoomLabel(untrustedValue ?? '');
      if (!room.ok) return invalid(room.error, 'room');
      normalized.room = room.label;
    }
  }
  if (!parsed.success) return invalid(t('bg_error_not_object')); // every issue is on a field: not reached

  // `normalized` holds only fields this request type has.
  const request = { ...parsed.output, ...normalized } as UiRequest;
  // `waitForPermission: false` is the same as no wait: the request says so by leaving it out.
  if (request.type === 'sites/enable' && request.waitForPermission !== true) delete request.waitForPermission;
  return request;
}

/**
 * The error for field `name`, which the schema refused: the words the background's own rules give for that field. The
 * schema refuses an origin or a room label the rules refuse first (not text, or longer than the rules read), so the
 * user reads the same message whichever check caught it; `bg_error_field_invalid` is for what no rule names.
 */
function shapeError(name: string, untrustedValue: unknown): UiError {
  switch (name) {
    case 'origin': {
      const origin = typeof untrustedValue === 'string' ? normalizeOrigin(untrustedValue) : undefined;
      return origin !== undefined && !origin.ok
        ? invalid(origin.error, 'origin')
        : invalid(t('bg_error_origin_not_text'), 'origin');
    }
    case 'passphrase':
      return typeof untrustedValue === 'string'
        ? invalid(t('bg_error_passphrase_too_long', PASSPHRASE_MAX_LENGTH), 'passphrase')
        : invalid(t('bg_error_passphrase_not_text'), 'passphrase');
    case 'room': {
      const room = normalizeRoomLabel(untrustedValue);
      return invalid(room.ok ? t('bg_error_field_invalid', name) : room.error, 'room');
    }
    case 'tabId':
      return invalid(t('bg_error_unknown_tab'));
    case 'waitForPermission':
    case 'strict':
    case 'indicator':
    case 'rememberKeys':
      return invalid(t('bg_error_setting_not_boolean', name));
    default:
      return invalid(t('bg_error_field_invalid', name));
  }
}
