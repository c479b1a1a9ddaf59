/**
 * Redaction of anything that leaves the process as text written by someone else: captured
 * content, error messages, debug payloads, exports. Keys and bearer tokens are always
 * removed, as are the exact keys configured for every workload; operators add their own
 * patterns (account numbers, emails) with `OPENAI_DEBUG_REDACT_PATTERNS`.
 */
export const REDACTED = '[REDACTED]';

interface Rule {
  pattern: RegExp;
  replacement: string;
}

const BUILT_IN: readonly Rule[] = [
  { pattern: /\b(?:sk|rk)-[A-Za-z0-9_-]{8,}/g, replacement: REDACTED },
  { pattern: /\bek_[A-Za-z0-9_-]{8,}/g, replacement: REDACTED },
  { pattern: /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi, replacement: REDACTED },
  // Keeps the field so redacted JSON is still JSON.
  {
    pattern: /("(?:api[_-]?key|authorization|client_secret|password)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi,
    replacement: `$1"${REDACTED}"`,
  },
];

/** Object keys whose values are secrets whatever they look like. */
const SECRET_KEY = /^(?:api[_-]?key|authorization|client[_-]?secret|password|secret|token)$/i;

/** Removes secrets from text; `extraSecrets` are exact values to remove as well. */
export type Redactor = (text: string, extraSecrets?: readonly string[]) => string;

/**
 * Builds a redactor from the built-in rules, the operator's patterns and exact secrets (so
 * a key that does not look like `sk-…` is still removed). Build it once and reuse it.
 */
export function createRedactor(
  patterns: readonly RegExp[] = [],
  secrets: readonly string[] = [],
): Redactor {
  const rules = [
    ...BUILT_IN,
    ...patterns.map((pattern) => ({ pattern: withGlobal(pattern), replacement: REDACTED })),
  ];
  const exact = usable(secrets);
  return (text, extraSecrets = []) => {
    let result = text;
    for (const secret of [...exact, ...usable(extraSecrets)]) {
      if (result.includes(secret)) result = result.split(secret).join(REDACTED);
    }
    for (const { pattern, replacement } of rules) result = result.replace(pattern, replacement);
    return result;
  };
}

/** A deep copy of `value` with every string, object keys included, redacted. */
export function redactDeep<T>(value: T, redact: Redactor, extraSecrets?: readonly string[]): T {
  return redactValue(value, redact, extraSecrets) as T;
}

function redactValue(value: unknown, redact: Redactor, extra?: readonly string[]): unknown {
  if (typeof value === 'string') return redact(value, extra);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, redact, extra));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).map(([key, item]) => [
    redact(key, extra),
    SECRET_KEY.test(key) && item !== null ? REDACTED : redactValue(item, redact, extra),
  ]);
  return Object.fromEntries(entries);
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

/** Secrets shorter than this are not matched exactly: they would redact ordinary words. */
function usable(secrets: readonly string[]): string[] {
  return secrets.filter((secret) => secret.length >= 8);
}

function withGlobal(pattern: RegExp): RegExp {
  return pattern.global ? pattern : new RegExp(pattern.source, `${pattern.flags}g`);
}
