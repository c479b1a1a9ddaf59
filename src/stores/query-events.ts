/**
 * Turns an `EventQuery` into one parameterised select over `openai_debug_events`. Values
 * only ever travel as parameters; the SQL text is built from fixed fragments.
 */
import { EVENT_COLUMN_LIST } from './event-columns.js';
import type { EventQuery } from './types.js';

export const DEFAULT_QUERY_LIMIT = 50;
/** Beyond this a caller wants an export, not a page of events. */
export const MAX_QUERY_LIMIT = 10_000;

export interface SqlStatement {
  text: string;
  params: unknown[];
}

/** Equality filters: the `EventQuery` field and the column it compares. */
const EQUALITY_FILTERS = [
  ['requestId', 'request_id'],
  ['statusClass', 'status_class'],
  ['endpoint', 'endpoint'],
  ['model', 'model'],
  ['workload', 'workload'],
] as const satisfies readonly (readonly [keyof EventQuery, string])[];

function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_QUERY_LIMIT;
  return Math.min(Math.max(Math.trunc(limit), 1), MAX_QUERY_LIMIT);
}

/**
 * The select for `query`, newest first.
 *
 * @example
 * buildEventQuery({ tags: ['env:prod'], limit: 10 });
 * // where metadata -> 'tags' @> ($1::text)::jsonb ... limit $2::integer
 */
export function buildEventQuery(query: EventQuery): SqlStatement {
  const params: unknown[] = [];
  const conditions: string[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };

  if (query.since !== undefined) {
    conditions.push(`created_at >= ${param(query.since.toISOString())}::timestamptz`);
  }
  if (query.tags !== undefined && query.tags.length > 0) {
    // Text cast first: a jsonb-typed parameter would be JSON-encoded again by postgres.js.
    conditions.push(`metadata -> 'tags' @> (${param(JSON.stringify(query.tags))}::text)::jsonb`);
  }
  for (const [field, columnName] of EQUALITY_FILTERS) {
    const value = query[field];
    if (value !== undefined) conditions.push(`${columnName} = ${param(value)}::text`);
  }
  // The predicate of the index of failed calls, repeated so the planner can use that index:
  // it cannot see through the parameter that a failure class is not '2xx'.
  if (query.statusClass !== undefined && query.statusClass !== '2xx') {
    conditions.push(`status_class <> '2xx'`);
  }

  const where = conditions.length > 0 ? `where ${conditions.join(' and ')}` : '';
  const limit = param(clampLimit(query.limit));
  const text = `select ${EVENT_COLUMN_LIST} from openai_debug_events ${where}
order by created_at desc, attempt desc limit ${limit}::integer`;
  return { text, params };
}
