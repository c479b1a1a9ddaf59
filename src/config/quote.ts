/**
 * Quoting a bad value for an error message. Values in error messages end up in logs and
 * terminals, so credentials and key-like text are masked, control characters escaped and
 * long values cut short.
 */

const MAX_QUOTED_CHARS = 80;

/** `value` as a JSON string literal, safe to show: see the module comment. */
export function quoteValue(value: string, maxChars = MAX_QUOTED_CHARS): string {
  const masked = value
    .replace(/(\/\/)[^/?#\s]*@/g, '$1***@')
    .replace(/\b(sk|rk)-[\w-]{4,}/g, '$1-***')
    .replace(/\bek_[\w-]{4,}/g, 'ek_***');
  const cut = masked.length > maxChars ? `${masked.slice(0, maxChars - 3)}...` : masked;
  return JSON.stringify(cut);
}
