/**
 * The `x-ratelimit-*` headers: per-key usage that only grows, so the remaining
 * counts fall deterministically from one request to the next.
 */

const requestLimit = 10_000;
const tokenLimit = 2_000_000;
const windowMs = 60_000;

interface Usage {
  requests: number;
  tokens: number;
}

export class RateLimits {
  #usage = new Map<string, Usage>();

  /** Counts one request of `tokens` estimated tokens for `bucket` and returns the headers. */
  consume(bucket: string, tokens: number): Record<string, string> {
    const usage = this.#usage.get(bucket) ?? { requests: 0, tokens: 0 };
    usage.requests += 1;
    usage.tokens += tokens;
    this.#usage.set(bucket, usage);

    return {
      'x-ratelimit-limit-requests': String(requestLimit),
      'x-ratelimit-remaining-requests': String(Math.max(0, requestLimit - usage.requests)),
      'x-ratelimit-reset-requests': formatDuration((usage.requests * windowMs) / requestLimit),
      'x-ratelimit-limit-tokens': String(tokenLimit),
      'x-ratelimit-remaining-tokens': String(Math.max(0, tokenLimit - usage.tokens)),
      'x-ratelimit-reset-tokens': formatDuration((usage.tokens * windowMs) / tokenLimit),
    };
  }
}

/** `6ms`, `1.5s`: the format OpenAI uses for reset times. */
function formatDuration(durationMs: number): string {
  if (durationMs < 1000) return `${Math.ceil(durationMs)}ms`;
  return `${Number((durationMs / 1000).toFixed(3))}s`;
}
