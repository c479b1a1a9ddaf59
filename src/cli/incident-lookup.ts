/**
 * Finding every attempt of one logical call from the request id of any of its attempts.
 * Each attempt has its own request id; what they share is `metadata.client_request_id`,
 * which the SDK keeps across retries.
 */
import { MAX_QUERY_LIMIT } from '../stores/query-events.js';
import type { DebugEventRow, EventQuery, ReadableEventStore } from '../stores/types.js';

/** How far before the requested attempt earlier attempts of the same call are looked for. */
export const RETRY_WINDOW_MS = 60 * 60 * 1000;

/** Rows stored under one request id: one per attempt, far below this in practice. */
const MAX_ROWS_PER_REQUEST_ID = 100;

export interface IncidentAttempts {
  /** The attempt whose request id was asked for (the latest, if several share it). */
  requested: DebugEventRow;
  /** Every attempt found, in attempt order. */
  attempts: DebugEventRow[];
  /** The id shared by the attempts, or null when the event has none. */
  clientRequestId: string | null;
  /** False when the search for sibling attempts hit the query limit and may have missed some. */
  complete: boolean;
}

/**
 * The attempts of the call that `requestId` belongs to, or null when no event has that id.
 * Sibling attempts are searched among the events of the same workload and endpoint from
 * `RETRY_WINDOW_MS` before the requested attempt onwards (a bounded, indexed query).
 */
export async function findIncidentAttempts(
  store: ReadableEventStore,
  requestId: string,
): Promise<IncidentAttempts | null> {
  const direct = await store.queryEvents({ requestId, limit: MAX_ROWS_PER_REQUEST_ID });
  const requested = direct[0];
  if (requested === undefined) return null;

  const clientRequestId = clientRequestIdOf(requested);
  if (clientRequestId === null) {
    return { requested, attempts: inAttemptOrder(direct), clientRequestId, complete: true };
  }

  const since = new Date(Date.parse(requested.createdAt) - RETRY_WINDOW_MS);
  const nearby = await store.queryEvents(siblingQuery(requested, since));
  const siblings = nearby.filter((row) => clientRequestIdOf(row) === clientRequestId);
  // Newest first: a full page may have stopped short of the window's start.
  const complete = nearby.length < MAX_QUERY_LIMIT;
  const attempts = inAttemptOrder(unique([...direct, ...siblings]));
  return { requested, attempts, clientRequestId, complete };
}

function siblingQuery(requested: DebugEventRow, since: Date): EventQuery {
  const query: EventQuery = {
    since,
    workload: requested.workload,
    endpoint: requested.endpoint,
    limit: MAX_QUERY_LIMIT,
  };
  if (requested.model !== null) query.model = requested.model;
  return query;
}

function clientRequestIdOf(row: DebugEventRow): string | null {
  const value = row.metadata.client_request_id;
  return typeof value === 'string' && value !== '' ? value : null;
}

function unique(rows: DebugEventRow[]): DebugEventRow[] {
  const byKey = new Map<string, DebugEventRow>();
  for (const row of rows) byKey.set(`${row.attempt}\0${row.requestId}`, row);
  return [...byKey.values()];
}

function inAttemptOrder(rows: DebugEventRow[]): DebugEventRow[] {
  return [...rows].sort(
    (a, b) => a.attempt - b.attempt || Date.parse(a.createdAt) - Date.parse(b.createdAt),
  );
}
