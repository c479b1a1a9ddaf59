/**
 * JSON text that PostgreSQL accepts. Its json parser rejects the escape `\u0000` and
 * unpaired UTF-16 surrogates, both of which `JSON.stringify` can produce from ordinary
 * JavaScript strings (an error message with a NUL byte, a string cut mid-character). One
 * such value would fail its whole batch on every replay, so it is cleaned instead: NUL is
 * dropped and an unpaired surrogate becomes U+FFFD.
 */

/** `JSON.stringify` escapes exactly these two cases, so one scan finds out whether to clean. */
const UNSTORABLE_ESCAPE = /\\u(?:0000|d[89a-f])/i;
const ANY_SURROGATE = /[\ud800-\udfff]/;
const UNPAIRED_SURROGATE =
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `value` with NUL dropped and unpaired surrogates replaced by U+FFFD. */
export function storableString(value: string): string {
  if (!value.includes('\u0000') && !ANY_SURROGATE.test(value)) return value;
  return value.replaceAll('\u0000', '').replace(UNPAIRED_SURROGATE, '\ufffd');
}

function storableKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const entries = Object.entries(value as Record<string, unknown>).map(([key, inner]) => [
    storableString(key),
    inner,
  ]);
  return Object.fromEntries(entries);
}

/**
 * `JSON.stringify(value)` with NUL and unpaired surrogates removed from every string and
 * key. The common case costs one `JSON.stringify` and one regular-expression scan.
 *
 * @example
 * toStorableJson({ message: 'bad\u0000byte' }); // '{"message":"badbyte"}'
 */
export function toStorableJson(value: unknown): string {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) return 'null';
  if (!UNSTORABLE_ESCAPE.test(text)) return text;
  return JSON.stringify(value, (_key, inner: unknown) =>
    typeof inner === 'string' ? storableString(inner) : storableKeys(inner),
  );
}
