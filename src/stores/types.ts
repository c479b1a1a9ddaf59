/**
 * The shape of a stored debug event and the interface every store implements. Stores
 * know rows and SQL; they never see the OpenAI SDK.
 */

/** Status of an attempt as a tag: the HTTP class, or `error` when no response arrived. */
export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'error';

/** The `metadata` jsonb column. `tags` and `quota_tag` are the runbook's contract. */
export interface EventMetadata {
  /** Merged `key:value` tags, de-duplicated by key, in a stable order. */
  tags: string[];
  /** Billing quota tag, or null when none applies. */
  quota_tag: string | null;
  /** `x-ratelimit-*` response headers, without the prefix (`remaining-requests`, ...). */
  ratelimit?: Record<string, string>;
  /** Fingerprint of the key that made the call (`sk-…abcd`), never the key. */
  key_fingerprint?: string;
  /** `header` when the id came from `x-request-id`, `local` when generated here. */
  request_id_source?: 'header' | 'local';
  /** Redacted, size-capped request and response bodies, only when content capture is on. */
  content?: { request?: string; response?: string; truncated?: boolean };
  [extra: string]: unknown;
}

/** One HTTP attempt, as stored in `openai_debug_events`. Field names map to snake_case columns. */
export interface DebugEventRow {
  requestId: string;
  /** 1 for the first attempt, 2 for the SDK's first retry, and so on. */
  attempt: number;
  /** When the attempt started, ISO 8601. */
  createdAt: string;
  /** Path template below `/v1`, e.g. `/videos/{id}`. */
  endpoint: string;
  method: string;
  model: string | null;
  /** HTTP status, or null when no response arrived (timeout, abort, connection error). */
  statusCode: number | null;
  statusClass: StatusClass;
  organization: string | null;
  workload: string;
  stream: boolean;
  /** Time to response headers. */
  latencyMs: number | null;
  /** Time to the end of the body (or of the stream). */
  durationMs: number | null;
  /** Time to the first body chunk of a stream. */
  firstChunkMs: number | null;
  /** `openai-processing-ms` response header. */
  processingMs: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cachedTokens: number | null;
  reasoningTokens: number | null;
  errorType: string | null;
  errorMessage: string | null;
  metadata: EventMetadata;
  /** Payload of `/v1/requests/{id}/debug`, when fetched. */
  debug: unknown;
}

export type StoreKind = 'postgres' | 'supabase' | 'embedded';

export interface WriteOptions {
  /**
   * How long the caller waits for the write. A store that can stops the write in the
   * database at that point, so a write the caller gave up on does not go on running there.
   */
  timeoutMs?: number;
}

/** Where debug events live. Every method may be called concurrently with the others. */
export interface EventStore {
  readonly kind: StoreKind;
  /** Where the store is, safe to print (no password, no key). */
  readonly location: string;
  /**
   * Events per write this store takes best, which the recorder uses unless
   * `OPENAI_OPS_BATCH_SIZE` says otherwise; absent, the recorder's own default (500).
   */
  readonly batchSize?: number;
  /** Applies `supabase/migrations/*.sql` in order; safe to run any number of times. */
  migrate(): Promise<void>;
  /**
   * Upserts rows keyed on (request_id, attempt): a row seen again never duplicates, and a
   * row that arrives with `debug` set fills in the stored row's `debug` and status code.
   * Rejects when the write did not happen, so the caller can spool the rows.
   */
  writeEvents(rows: readonly DebugEventRow[], options?: WriteOptions): Promise<void>;
  /** Resolves when the store answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Filters for reading events back; every filter is optional and they combine with AND. */
export interface EventQuery {
  /** Only events created at or after this instant. */
  since?: Date;
  /** At most this many rows, newest first (default 50). */
  limit?: number;
  /** `key:value` tags that must all be present in `metadata.tags`. */
  tags?: readonly string[];
  statusClass?: StatusClass;
  endpoint?: string;
  model?: string;
  workload?: string;
  requestId?: string;
}

/** A store that can also be read, as every SQL-backed store can. */
export interface ReadableEventStore extends EventStore {
  /** Rows matching `query`, newest first (`created_at desc`, then attempt desc). */
  queryEvents(query: EventQuery): Promise<DebugEventRow[]>;
  /** Runs a read-only SQL statement as written, for operators' ad-hoc queries. */
  sql(text: string): Promise<Record<string, unknown>[]>;
}
