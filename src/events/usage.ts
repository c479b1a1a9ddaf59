/**
 * Token usage as the different endpoint families report it, reduced to one shape:
 * responses (`input_tokens`), chat (`prompt_tokens`), embeddings, images, audio
 * transcriptions and realtime `response.done` events.
 */

export interface TokenUsage {
  inputTokens: number | null;
  outputTokens: number | null;
  cachedTokens: number | null;
  reasoningTokens: number | null;
}

export const NO_USAGE: TokenUsage = {
  inputTokens: null,
  outputTokens: null,
  cachedTokens: null,
  reasoningTokens: null,
};

type Json = Record<string, unknown>;

/** Reads usage from a response body or stream event; NO_USAGE when it has none. */
export function usageOf(body: unknown): TokenUsage {
  const usage = findUsage(body);
  if (usage === undefined) return NO_USAGE;
  return {
    inputTokens: count(usage.input_tokens) ?? count(usage.prompt_tokens),
    outputTokens: count(usage.output_tokens) ?? count(usage.completion_tokens),
    cachedTokens:
      count(field(usage.input_tokens_details, 'cached_tokens')) ??
      count(field(usage.prompt_tokens_details, 'cached_tokens')),
    reasoningTokens:
      count(field(usage.output_tokens_details, 'reasoning_tokens')) ??
      count(field(usage.completion_tokens_details, 'reasoning_tokens')),
  };
}

/** The model a response names, for requests whose body did not (`GET /videos/{id}`). */
export function modelOf(body: unknown): string | null {
  if (!isObject(body)) return null;
  if (typeof body.model === 'string') return body.model;
  if (body.object === 'model' && typeof body.id === 'string') return body.id;
  return isObject(body.response) && typeof body.response.model === 'string'
    ? body.response.model
    : null;
}

function findUsage(body: unknown): Json | undefined {
  if (!isObject(body)) return undefined;
  if (isObject(body.usage)) return body.usage;
  // Stream events of the Responses and Realtime APIs nest the final response.
  if (isObject(body.response) && isObject(body.response.usage)) return body.response.usage;
  return undefined;
}

function field(value: unknown, name: string): unknown {
  return isObject(value) ? value[name] : undefined;
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
