/** Debug-event rows for store tests: every field set, unique per call unless told otherwise. */
import { randomBytes } from 'node:crypto';
import type { DebugEventRow } from '../../../src/stores/types.js';

/** A fresh id for grouping one test's rows. */
export function runId(): string {
  return randomBytes(5).toString('hex');
}

let sequence = 0;

/** A complete, realistic row; `overrides` replace fields. */
export function makeRow(overrides: Partial<DebugEventRow> = {}): DebugEventRow {
  sequence += 1;
  return {
    requestId: `req_${runId()}_${sequence}`,
    attempt: 1,
    createdAt: new Date(Date.UTC(2026, 0, 1, 12, 0, 0, sequence)).toISOString(),
    endpoint: '/responses',
    method: 'POST',
    model: 'gpt-4.1-mini',
    statusCode: 200,
    statusClass: '2xx',
    organization: 'org-a',
    workload: 'finance-prod',
    stream: true,
    latencyMs: 123.456,
    durationMs: 987.125,
    firstChunkMs: 0.375,
    processingMs: 101,
    inputTokens: 1234,
    outputTokens: 567,
    cachedTokens: 1024,
    reasoningTokens: 64,
    errorType: null,
    errorMessage: null,
    metadata: {
      tags: ['env:prod', 'workload:finance-prod', 'endpoint:/responses', 'status:2xx'],
      quota_tag: 'fin-q1',
      ratelimit: { 'remaining-requests': '499', 'reset-tokens': '12ms' },
      key_fingerprint: 'sk-…abcd',
      request_id_source: 'header',
      content: { request: '{"input":"héllo ✓"}', truncated: false },
    },
    debug: null,
    ...overrides,
  };
}
