/** The headers OpenAI puts on every response: request id, organization, timing, rate limits. */
import type { Caller } from './auth.js';
import type { SimulatorState } from './state.js';
import type { SimulatedRequest } from './types.js';

const defaultOrganization = 'user-simulator';

export function openAIHeaders(
  state: SimulatorState,
  record: SimulatedRequest,
  caller: Caller | undefined,
  requestTokens: number,
): Record<string, string> {
  return {
    'x-request-id': record.id,
    'openai-organization': record.organization ?? caller?.organization ?? defaultOrganization,
    'openai-processing-ms': String(Math.max(0, Math.round(Date.now() - record.startedAt))),
    'openai-version': '2020-10-01',
    ...state.rateLimits.consume(record.apiKey ?? '', requestTokens),
  };
}

/** Rate-limit cost of a request: about four bytes of JSON per token. */
export function requestTokenEstimate(headers: Record<string, string>): number {
  if (!headers['content-type']?.includes('json')) return 0;
  return Math.ceil(Number(headers['content-length'] ?? 0) / 4) || 0;
}
