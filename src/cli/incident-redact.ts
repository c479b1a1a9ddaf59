/**
 * Redaction of everything an export writes. Stored events should hold no secrets, but an
 * error message or a debug payload is text the API wrote, so every string is passed through
 * the redactor, and values under secret-looking keys are replaced whole.
 */
import type { EnvSource } from '../config/env.js';
import { createRedactor, REDACTED, type Redactor } from '../events/redact.js';
import { readContentSettings } from '../events/settings.js';
import { OPENAI_WORKLOADS, readOpenAiWorkloadEnv } from '../openai/workloads.js';

/** Object keys whose values are secrets whatever they look like. */
const SECRET_KEY = /^(?:api[_-]?key|authorization|client[_-]?secret|password|secret|token)$/i;

/**
 * The redactor for exports: built-in patterns, the operator's
 * `OPENAI_DEBUG_REDACT_PATTERNS`, and the exact keys configured in `env`, so a key that does
 * not look like `sk-…` is still removed.
 */
export function exportRedactor(env: EnvSource): Redactor {
  const { redactPatterns } = readContentSettings(env);
  return createRedactor(redactPatterns, configuredKeys(env));
}

/** A deep copy of `value` with every string, object key included, redacted. */
export function redactDeep<T>(value: T, redact: Redactor): T {
  return redactValue(value, redact) as T;
}

function redactValue(value: unknown, redact: Redactor): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, redact));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).map(([key, item]) => [
    redact(key),
    SECRET_KEY.test(key) && item !== null ? REDACTED : redactValue(item, redact),
  ]);
  return Object.fromEntries(entries);
}

function configuredKeys(env: EnvSource): string[] {
  const keys: string[] = [];
  for (const workload of OPENAI_WORKLOADS) {
    try {
      const key = readOpenAiWorkloadEnv(workload, env).apiKey?.reveal();
      if (key !== undefined) keys.push(key);
    } catch {
      // A malformed variable of some workload must not stop an export; its key, if any,
      // is still covered by the built-in patterns.
    }
  }
  return keys;
}
