/** Realistic debug-event rows for the store benchmarks: tags, quota tag, rate-limit headers. */
import type { DebugEventRow } from '../../src/stores/types.js';

const TAGS = ['env:prod', 'service:billing', 'team:finance', 'workload:finance-prod'];
const ENDPOINTS = ['/responses', '/embeddings', '/chat/completions', '/audio/speech'];

/** Row `index` of run `runId`, created `index` milliseconds after `baseMs`. */
export function makeBenchRow(index: number, runId: string, baseMs: number): DebugEventRow {
  const endpoint = ENDPOINTS[index % ENDPOINTS.length] ?? '/responses';
  const limited = index % 50 === 0;
  return {
    requestId: `req_${runId}_${index.toString(16).padStart(8, '0')}`,
    attempt: 1,
    createdAt: new Date(baseMs + index).toISOString(),
    endpoint,
    method: 'POST',
    model: 'gpt-4.1-mini',
    statusCode: limited ? 429 : 200,
    statusClass: limited ? '4xx' : '2xx',
    organization: index % 3 === 0 ? 'org-b' : 'org-a',
    workload: index % 2 === 0 ? 'finance-prod' : 'default',
    stream: index % 4 === 0,
    latencyMs: 120.25 + (index % 97),
    durationMs: 480.5 + (index % 311),
    firstChunkMs: index % 4 === 0 ? 200.125 : null,
    processingMs: 110,
    inputTokens: 1200 + (index % 500),
    outputTokens: 300 + (index % 200),
    cachedTokens: 1024,
    reasoningTokens: 0,
    errorType: limited ? 'rate_limit_exceeded' : null,
    errorMessage: limited ? 'Rate limit reached for requests' : null,
    metadata: {
      tags: [...TAGS, `endpoint:${endpoint}`, 'model:gpt-4.1-mini', 'org:org-a', 'quota:fin-q1'],
      quota_tag: 'fin-q1',
      ratelimit: { 'remaining-requests': '499', 'remaining-tokens': '149000' },
      key_fingerprint: 'sk-…abcd',
      request_id_source: 'header',
    },
    debug: null,
  };
}
