/**
 * Redaction of captured content. Keys and bearer tokens are always removed; operators add
 * their own patterns (account numbers, emails) with `OPENAI_DEBUG_REDACT_PATTERNS`.
 */
export const REDACTED = '[REDACTED]';

const BUILT_IN: readonly RegExp[] = [
  /\b(?:sk|rk)-[A-Za-z0-9_-]{8,}/g,
  /\bek_[A-Za-z0-9_-]{8,}/g,
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /"(?:api[_-]?key|authorization|client_secret|password)"\s*:\s*"[^"]*"/gi,
];

export interface Redactor {
  (text: string): string;
}

/**
 * Builds a redactor from the built-in patterns, the operator's patterns and the exact
 * secrets in use (a key that does not look like `sk-…` is still removed).
 */
export function createRedactor(
  patterns: readonly RegExp[] = [],
  secrets: readonly string[] = [],
): Redactor {
  const all = [...BUILT_IN, ...patterns.map((pattern) => withGlobal(pattern))];
  const exact = secrets.filter((secret) => secret.length >= 8);
  return (text) => {
    let result = text;
    for (const secret of exact) result = result.split(secret).join(REDACTED);
    for (const pattern of all) result = result.replace(pattern, REDACTED);
    return result;
  };
}

/** Cuts text to at most `maxBytes` of UTF-8, never splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, truncated: false };
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return { text: bytes.subarray(0, end).toString('utf8'), truncated: true };
}

function withGlobal(pattern: RegExp): RegExp {
  return pattern.global ? pattern : new RegExp(pattern.source, `${pattern.flags}g`);
}
