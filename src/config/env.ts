/**
 * The single place that reads the process environment. Everything else receives an
 * `EnvSource`, so tests and embedders can pass their own map instead of mutating
 * `process.env`.
 */
import { OpenAIOpsConfigError } from './errors.js';
import { quoteValue } from './quote.js';

export type EnvSource = Readonly<Record<string, string | undefined>>;

/** The live process environment. */
export function processEnv(): EnvSource {
  return process.env;
}

/** A variable's value with surrounding whitespace removed; empty counts as unset. */
export function readVar(env: EnvSource, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

const TRUE_WORDS = new Set(['true', '1', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'no']);

/**
 * A boolean flag: `true`/`false`, `1`/`0`, `yes`/`no` in any case. Unset means
 * `fallback`; any other word is a configuration error rather than a silent `false`.
 */
export function readFlag(env: EnvSource, name: string, fallback = false): boolean {
  const value = readVar(env, name);
  if (value === undefined) return fallback;
  const word = value.toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new OpenAIOpsConfigError(
    `${name} must be one of true, false, 1, 0, yes, no; got ${quoteValue(value)}.`,
    { variable: name },
  );
}

/**
 * A whole number within bounds. Unset means `fallback`; anything else that is not an
 * integer in `[min, max]` is a configuration error naming the variable.
 */
export function readInt(
  env: EnvSource,
  name: string,
  fallback: number,
  bounds: { min?: number; max?: number } = {},
): number {
  const value = readVar(env, name);
  if (value === undefined) return fallback;
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = bounds;
  const parsed = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isSafeInteger(parsed) && parsed >= min && parsed <= max) return parsed;
  throw new OpenAIOpsConfigError(
    `${name} must be a whole number from ${min} to ${max}; got ${quoteValue(value)}.`,
    { variable: name },
  );
}
