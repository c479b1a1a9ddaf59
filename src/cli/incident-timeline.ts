/**
 * The timeline and one-line summary of a call for an incident document: when each attempt
 * was sent, when its headers and first chunk arrived, how it ended, and the retries between.
 */
import type { DebugEventRow } from '../stores/types.js';

export interface TimelineEntry {
  /** ISO 8601, millisecond precision. */
  at: string;
  what: string;
}

/** Every step of every attempt, in time order. */
export function timelineOf(attempts: readonly DebugEventRow[]): TimelineEntry[] {
  const entries = attempts.flatMap(stepsOf);
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.ms - b.entry.ms || a.index - b.index)
    .map(({ entry }) => ({ at: new Date(entry.ms).toISOString(), what: entry.what }));
}

/**
 * A sentence saying what the call was and how it ended, e.g. "POST /embeddings
 * (text-embedding-3-small) on finance-prod failed with HTTP 503 in 12 ms on attempt 3,
 * after 2 earlier attempts".
 */
export function describeCall(requested: DebugEventRow, attempts: readonly DebugEventRow[]): string {
  const last = attempts.at(-1) ?? requested;
  const model = requested.model === null ? '' : ` (${requested.model})`;
  const call = `${requested.method} ${requested.endpoint}${model} on ${requested.workload}`;
  const outcome = succeeded(last) ? 'succeeded' : 'failed';
  const earlier = attempts.length - 1;
  const retries =
    earlier < 1
      ? ''
      : ` on attempt ${last.attempt}, after ${earlier} earlier attempt${earlier === 1 ? '' : 's'}`;
  const duration = last.durationMs === null ? '' : ` in ${formatMs(last.durationMs)}`;
  return `${call} ${outcome} with ${outcomeOf(last)}${duration}${retries}`;
}

/** `HTTP 503 (server_error: overloaded)`, or the error when no response arrived. */
export function outcomeOf(row: DebugEventRow): string {
  const status = row.statusCode === null ? 'no response' : `HTTP ${row.statusCode}`;
  const error = [row.errorType, row.errorMessage].filter((part) => part !== null).join(': ');
  return error === '' ? status : `${status} (${error})`;
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

function succeeded(row: DebugEventRow): boolean {
  return row.statusClass === '2xx' && row.errorType === null;
}

interface Step {
  ms: number;
  what: string;
}

function stepsOf(row: DebugEventRow): Step[] {
  const start = Date.parse(row.createdAt);
  const label = row.attempt === 1 ? 'attempt 1' : `attempt ${row.attempt} (retry)`;
  const steps: Step[] = [{ ms: start, what: `${label} sent as ${row.requestId}` }];
  if (row.latencyMs !== null && row.statusCode !== null) {
    steps.push({
      ms: start + row.latencyMs,
      what: `${label}: response headers, HTTP ${row.statusCode}, after ${formatMs(row.latencyMs)}`,
    });
  }
  if (row.firstChunkMs !== null) {
    steps.push({
      ms: start + row.firstChunkMs,
      what: `${label}: first chunk after ${formatMs(row.firstChunkMs)}`,
    });
  }
  const endMs = row.durationMs ?? row.latencyMs ?? 0;
  const ending = succeeded(row) ? 'completed' : `failed with ${outcomeOf(row)}`;
  steps.push({ ms: start + endMs, what: `${label} ${ending} after ${formatMs(endMs)}` });
  return steps;
}
