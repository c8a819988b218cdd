/**
 * @module Building blocks for the message schemas (valibot, https://valibot.dev). Each message that crosses an
 * execution context is declared once, as a schema; its TypeScript type is inferred from that schema, and its
 * receiver checks what arrives against the same schema, so the type and the check cannot drift apart.
 *
 * Conventions, in every file of this folder:
 * - `FooSchema` is the schema, `type Foo = v.InferOutput<typeof FooSchema>` the type, documented on the schema.
 * - A value from a less trusted context is `unknown` until it passed its schema, and is named for where it came from
 *   (`untrustedMessage`, `fromPage`): nothing reads a field of it before the check.
 * - Objects are {@link record}s: exactly their fields (an extra field is refused, not ignored, because receivers
 *   store or forward what they accept) and never an array. Every string and array has a bound.
 */
import * as v from 'valibot';

/**
 * An object with exactly these fields (optional ones may be absent), and not an array: `v.strictObject` alone would
 * take an array that carries the same named properties.
 */
export function record<const Entries extends v.ObjectEntries>(entries: Entries) {
  const object = v.strictObject(entries);
  const notArray = v.custom<v.InferInput<typeof object>>((value) => !Array.isArray(value));
  return v.pipe(notArray, object);
}

/**
 * A message of a channel: one of `options` (strict object schemas, told apart by their `type`), and never an array.
 * `v.variant` takes plain object schemas only, so the array check stands in front of the whole union.
 */
export function messageOf<const Options extends v.VariantOptions<'type'>>(options: Options) {
  const union = v.variant('type', options);
  const notArray = v.custom<v.InferInput<typeof union>>((value) => !Array.isArray(value));
  return v.pipe(notArray, union);
}

/** A count: a safe integer, 0 or more. */
export const CountSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

/** A string of at most `max` UTF-16 code units. */
export function boundedString(max: number) {
  return v.pipe(v.string(), v.maxLength(max));
}

/** What kind of media a track carries. */
export const MEDIA_KINDS = ['audio', 'video'] as const;
export const MediaKindSchema = v.picklist(MEDIA_KINDS);
export type MediaKind = v.InferOutput<typeof MediaKindSchema>;

/** Whether `value` is a media kind (for the few places that check one value rather than a message). */
export function isMediaKind(value: unknown): value is MediaKind {
  return v.is(MediaKindSchema, value);
}
