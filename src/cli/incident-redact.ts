/**
 * Redaction of everything an export writes. Stored events should hold no secrets, but an
 * error message or a debug payload is text the API wrote, so every string is passed through
 * the redactor, and values under secret-looking keys are replaced whole.
 */
import type { EnvSource } from '../config/env.js';
import { createRedactor, type Redactor } from '../events/redact.js';
import { readContentSettings } from '../events/settings.js';
import { configuredApiKeys } from '../openai/workloads.js';

export { redactDeep } from '../events/redact.js';

/**
 * The redactor for exports: built-in patterns, the operator's
 * `OPENAI_DEBUG_REDACT_PATTERNS`, and the exact keys configured in `env`, so a key that does
 * not look like `sk-…` is still removed.
 */
export function exportRedactor(env: EnvSource): Redactor {
  const { redactPatterns } = readContentSettings(env);
  return createRedactor(redactPatterns, configuredApiKeys(env));
}
