/**
 * An API key that cannot leak by accident: printing, logging, string interpolation and
 * JSON serialisation all show only its fingerprint (`sk-…abcd`). The raw value is handed
 * out by `reveal()`, which only the client factory calls.
 */
import { inspect } from 'node:util';

export class ApiKey {
  readonly #value: string;

  /** `sk-…` plus the last four characters: enough to tell keys apart, useless to an attacker. */
  readonly fingerprint: string;

  /** The variable the key was read from, e.g. `OPENAI_API_KEY_FINANCE_PROD`. */
  readonly source: string;

  constructor(value: string, source: string) {
    this.#value = value;
    this.source = source;
    this.fingerprint = fingerprintApiKey(value);
  }

  /** The raw key, for the SDK's `Authorization` header. Never log what this returns. */
  reveal(): string {
    return this.#value;
  }

  /** True when both hold the same raw key, without exposing either. */
  equals(other: ApiKey | null | undefined): boolean {
    return other != null && other.#value === this.#value;
  }

  toString(): string {
    return this.fingerprint;
  }

  toJSON(): string {
    return this.fingerprint;
  }

  [inspect.custom](): string {
    return `ApiKey(${this.fingerprint})`;
  }
}

/**
 * The display form of a key: its prefix (`sk-`, `sk-proj-`, …) and last four characters.
 * Short keys, which are not real OpenAI keys, show only their length.
 */
export function fingerprintApiKey(value: string): string {
  if (value.length < 12) return `…(${value.length} chars)`;
  const prefix = /^(sk-(?:proj-|svcacct-|admin-)?|ek_|rk-)/.exec(value)?.[0] ?? '';
  return `${prefix}…${value.slice(-4)}`;
}
