/**
 * The incident bundle (runbook section 5): one logical call, every attempt of it, its debug
 * payload, tags snapshot, quota tag and a timeline, as JSON for tools and tickets. It is
 * built from stored rows only and redacted before it leaves the process.
 */
import type { Redactor } from '../events/redact.js';
import type { DebugEventRow, StatusClass } from '../stores/types.js';
import type { IncidentAttempts } from './incident-lookup.js';
import { redactDeep } from './incident-redact.js';
import { describeCall, timelineOf, type TimelineEntry } from './incident-timeline.js';

export interface AttemptError {
  type: string | null;
  message: string | null;
}

/** One HTTP attempt as exported: timings in milliseconds from `started_at`. */
export interface AttemptRecord {
  request_id: string;
  attempt: number;
  started_at: string;
  method: string;
  organization: string | null;
  status_code: number | null;
  status_class: StatusClass;
  stream: boolean;
  latency_ms: number | null;
  duration_ms: number | null;
  first_chunk_ms: number | null;
  processing_ms: number | null;
  usage: {
    input_tokens: number | null;
    output_tokens: number | null;
    cached_tokens: number | null;
    reasoning_tokens: number | null;
  };
  error: AttemptError | null;
  /** `sk-…abcd`: which key made the call, never the key itself. */
  key_fingerprint: string | null;
  request_id_source: string | null;
  ratelimit: Record<string, string> | null;
  /** Whether request or response content was captured; the content itself is not exported. */
  content_captured: boolean;
}

export interface IncidentBundle {
  request_id: string;
  exported_at: string;
  workload: string;
  organization: string | null;
  endpoint: string;
  method: string;
  model: string | null;
  /** Status class of the call's last attempt. */
  status: StatusClass;
  status_code: number | null;
  error: AttemptError | null;
  client_request_id: string | null;
  attempts: AttemptRecord[];
  /** False when other attempts of the call may exist that the export could not search. */
  attempts_complete: boolean;
  /** `/v1/requests/{id}/debug` payload, of the requested attempt when it has one. */
  debug: unknown;
  debug_request_id: string | null;
  /** `metadata.tags` of the requested attempt, as stored. */
  tags: string[];
  quota_tag: string | null;
  timeline: TimelineEntry[];
  summary: string;
  /** What the export could not include, and how to get it next time. */
  notes: string[];
}

/** Builds the bundle for `found`, with every string passed through `redact`. */
export function buildIncidentBundle(
  requestId: string,
  found: IncidentAttempts,
  redact: Redactor,
  now: Date = new Date(),
): IncidentBundle {
  const { requested, attempts } = found;
  const last = attempts.at(-1) ?? requested;
  const withDebug = [requested, ...[...attempts].reverse()].find((row) => row.debug !== null);

  const bundle: IncidentBundle = {
    request_id: requestId,
    exported_at: now.toISOString(),
    workload: requested.workload,
    organization: requested.organization,
    endpoint: requested.endpoint,
    method: requested.method,
    model: requested.model,
    status: last.statusClass,
    status_code: last.statusCode,
    error: errorOf(last),
    client_request_id: found.clientRequestId,
    attempts: attempts.map(toAttemptRecord),
    attempts_complete: found.complete,
    debug: withDebug?.debug ?? null,
    debug_request_id: withDebug?.requestId ?? null,
    tags: requested.metadata.tags,
    quota_tag: requested.metadata.quota_tag,
    timeline: timelineOf(attempts),
    summary: describeCall(requested, attempts),
    notes: notesFor(found, withDebug),
  };
  return redactDeep(bundle, redact);
}

function toAttemptRecord(row: DebugEventRow): AttemptRecord {
  const { metadata } = row;
  return {
    request_id: row.requestId,
    attempt: row.attempt,
    started_at: row.createdAt,
    method: row.method,
    organization: row.organization,
    status_code: row.statusCode,
    status_class: row.statusClass,
    stream: row.stream,
    latency_ms: row.latencyMs,
    duration_ms: row.durationMs,
    first_chunk_ms: row.firstChunkMs,
    processing_ms: row.processingMs,
    usage: {
      input_tokens: row.inputTokens,
      output_tokens: row.outputTokens,
      cached_tokens: row.cachedTokens,
      reasoning_tokens: row.reasoningTokens,
    },
    error: errorOf(row),
    key_fingerprint: metadata.key_fingerprint ?? null,
    request_id_source: metadata.request_id_source ?? null,
    ratelimit: metadata.ratelimit ?? null,
    content_captured: metadata.content !== undefined,
  };
}

function errorOf(row: DebugEventRow): AttemptError | null {
  if (row.errorType === null && row.errorMessage === null) return null;
  return { type: row.errorType, message: row.errorMessage };
}

function notesFor(found: IncidentAttempts, withDebug: DebugEventRow | undefined): string[] {
  const notes: string[] = [];
  if (!found.complete) {
    notes.push(
      'Other attempts of this call may be missing: the store holds too many events of this ' +
        'workload and endpoint after it to search them all.',
    );
  }
  if (found.clientRequestId === null && found.attempts.length === 1) {
    notes.push(
      'The event has no client request id, so earlier or later attempts cannot be linked.',
    );
  }
  if (withDebug === undefined) {
    notes.push(
      'No debug payload is stored for these attempts: set OPENAI_DEBUG_FETCH_DETAILS=true so ' +
        'future events are enriched from /v1/requests/{id}/debug.',
    );
  }
  return notes;
}
