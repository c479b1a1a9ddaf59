/** Identifiers in the shapes OpenAI uses: a prefix and random hex. */
import { randomBytes } from 'node:crypto';

/** `req_` and 32 hex characters, as in `x-request-id`. */
export function requestId(): string {
  return `req_${randomBytes(16).toString('hex')}`;
}

/** An object id such as `resp_…`, `chatcmpl-…` or `file-…`; the separator is part of the prefix. */
export function objectId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
