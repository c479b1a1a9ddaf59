/** Synthetic debug events, shaped like the ones capture produces. */
import type { DebugEventRow } from '../../src/stores/types.js';

export function makeRow(index: number, overrides: Partial<DebugEventRow> = {}): DebugEventRow {
  return {
    requestId: `req_test_${String(index).padStart(8, '0')}`,
    attempt: 1,
    createdAt: new Date(Date.UTC(2026, 11, 1) + index).toISOString(),
    endpoint: '/embeddings',
    method: 'POST',
    model: 'text-embedding-3-small',
    statusCode: 200,
    statusClass: '2xx',
    organization: 'org-finance',
    workload: 'finance-prod',
    stream: false,
    latencyMs: 12.5,
    durationMs: 13.25,
    firstChunkMs: null,
    processingMs: 9,
    inputTokens: 5,
    outputTokens: null,
    cachedTokens: null,
    reasoningTokens: null,
    errorType: null,
    errorMessage: null,
    metadata: {
      tags: [
        'service:rag',
        'env:prod',
        'workload:finance-prod',
        'endpoint:/embeddings',
        'model:text-embedding-3-small',
        'org:org-finance',
        'status:2xx',
        'quota:finance-emea',
      ],
      quota_tag: 'finance-emea',
      request_id_source: 'header',
    },
    debug: null,
    ...overrides,
  };
}

export function makeRows(count: number, start = 0): DebugEventRow[] {
  return Array.from({ length: count }, (_, offset) => makeRow(start + offset));
}
