/**
 * The columns of `openai_debug_events` and the `DebugEventRow` field behind each. Writing,
 * querying and reading rows back all take the column list from here.
 */
import type { DebugEventRow, EventMetadata } from './types.js';

export type ColumnType =
  'text' | 'integer' | 'double precision' | 'boolean' | 'timestamptz' | 'jsonb';

export interface EventColumn {
  name: string;
  field: keyof DebugEventRow;
  type: ColumnType;
}

function column(name: string, field: keyof DebugEventRow, type: ColumnType): EventColumn {
  return { name, field, type };
}

/** Every stored column except the surrogate `id`, in table order. */
export const EVENT_COLUMNS: readonly EventColumn[] = [
  column('request_id', 'requestId', 'text'),
  column('attempt', 'attempt', 'integer'),
  column('created_at', 'createdAt', 'timestamptz'),
  column('endpoint', 'endpoint', 'text'),
  column('method', 'method', 'text'),
  column('model', 'model', 'text'),
  column('status_code', 'statusCode', 'integer'),
  column('status_class', 'statusClass', 'text'),
  column('organization', 'organization', 'text'),
  column('workload', 'workload', 'text'),
  column('stream', 'stream', 'boolean'),
  column('latency_ms', 'latencyMs', 'double precision'),
  column('duration_ms', 'durationMs', 'double precision'),
  column('first_chunk_ms', 'firstChunkMs', 'double precision'),
  column('processing_ms', 'processingMs', 'double precision'),
  column('input_tokens', 'inputTokens', 'integer'),
  column('output_tokens', 'outputTokens', 'integer'),
  column('cached_tokens', 'cachedTokens', 'integer'),
  column('reasoning_tokens', 'reasoningTokens', 'integer'),
  column('error_type', 'errorType', 'text'),
  column('error_message', 'errorMessage', 'text'),
  column('metadata', 'metadata', 'jsonb'),
  column('debug', 'debug', 'jsonb'),
];

/** `request_id, attempt, ...` for select and insert lists. */
export const EVENT_COLUMN_LIST = EVENT_COLUMNS.map((c) => c.name).join(', ');

function toIsoString(value: unknown): string {
  const date = value instanceof Date ? value : new Date(String(value));
  return date.toISOString();
}

/**
 * A stored row, as either driver returns it (timestamps as `Date`, jsonb parsed), as a
 * `DebugEventRow`.
 */
export function decodeEventRow(record: Record<string, unknown>): DebugEventRow {
  const row: Record<string, unknown> = {};
  for (const col of EVENT_COLUMNS) {
    const value = record[col.name] ?? null;
    row[col.field] = col.type === 'timestamptz' && value !== null ? toIsoString(value) : value;
  }
  row.metadata ??= { tags: [], quota_tag: null } satisfies EventMetadata;
  return row as unknown as DebugEventRow;
}
