/** Shared pieces of the property suites: run bounds, outcome capture, hostile characters. */
import fc from 'fast-check';

/**
 * Enough runs to find the edge cases below, few enough that every suite takes well under a
 * second; `FC_RUNS=20000` searches deeper.
 */
export const RUNS = { numRuns: Number(process.env.FC_RUNS ?? 300) } as const;

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs `fn` and reports what happened instead of throwing. */
export function outcomeOf<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Characters that break parsers and terminals: separators, quotes, whitespace of every kind,
 * control and format characters, lone surrogates, astral symbols.
 */
export const tricky = fc.oneof(
  fc.constantFrom(':', ',', '/', '\\', '?', '#', '@', '%', '"', "'", '`', '$', ';', '*', '='),
  fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0', '\u2028', '\u3000', '\ufeff', '\u200b'),
  fc.constantFrom('\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u202e', '\u2066'),
  fc.constantFrom('\ud800', '\udfff', '🔥', 'é', 'e\u0301', 'ß', 'İ', 'K'),
  fc.constantFrom('a', 'z', '0', '9', '_', '-', '.', 'A', 'v', '1'),
);
