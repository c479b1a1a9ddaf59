/**
 * The idempotent batch write shared by every SQL store. Where the driver can COPY, new
 * rows go in that way (see `writeEventRows`); otherwise, and whenever a copy is refused, a
 * batch travels as one JSON array in one text parameter and is expanded by
 * `jsonb_to_recordset`, upserting on (request_id, attempt). Against per-column `unnest`
 * arrays this costs the client one `JSON.stringify` instead of per-element array-literal
 * escaping, and the server a third less time per batch; see bench/stores/write-rate.ts.
 */
import { COPY_EVENTS_SQL, encodeCopyRows } from './copy-text.js';
import { EVENT_COLUMNS, EVENT_COLUMN_LIST } from './event-columns.js';
import { toStorableJson } from './json-text.js';
import type { SqlClient } from './sql-client.js';
import type { DebugEventRow } from './types.js';

/** The record's columns are the rows' camelCase field names: a batch is `JSON.stringify(rows)`. */
const recordColumns = EVENT_COLUMNS.map((c) => `"${c.field}" ${c.type}`).join(', ');
const selectList = EVENT_COLUMNS.map((c) => `incoming."${c.field}"`).join(', ');

const debugStatus = "excluded.debug #> '{response,status_code}'";
// Nested CASE because CASE, unlike AND, guarantees the type test runs before the cast.
const debugStatusCode = `case when jsonb_typeof(${debugStatus}) = 'number' then
      case when (${debugStatus})::numeric between 100 and 599
        then (${debugStatus})::numeric::integer end end`;

/**
 * The text parameter is cast to jsonb in SQL rather than sent as jsonb: postgres.js would
 * JSON-encode the already serialised text a second time.
 *
 * On conflict the stored row is the record of what the client saw and stays as it is, with
 * two exceptions when the incoming row carries a `debug` payload that differs from the
 * stored one: `debug` is replaced, and a missing `status_code` is filled from the incoming
 * row or else from the payload's `response.status_code`. A plain replay updates nothing,
 * not even a row version.
 */
export const UPSERT_EVENTS_SQL = `insert into openai_debug_events as stored (${EVENT_COLUMN_LIST})
select ${selectList}
from jsonb_to_recordset($1::text::jsonb) as incoming(${recordColumns})
on conflict (request_id, attempt) do update set
  debug = excluded.debug,
  status_code = coalesce(stored.status_code, excluded.status_code, ${debugStatusCode})
where excluded.debug is not null and stored.debug is distinct from excluded.debug`;

/**
 * Splits rows so no key occurs twice in one part: Postgres refuses an upsert that touches
 * the same row twice in one statement. The first occurrence of every key goes in the first
 * part, the second in the next, and so on, so later copies meet the same conflict rule as
 * a later batch would.
 */
export function splitRepeatedKeys(rows: readonly DebugEventRow[]): DebugEventRow[][] {
  const seen = new Map<string, number>();
  const parts: DebugEventRow[][] = [];
  for (const row of rows) {
    const key = `${row.attempt}:${row.requestId}`;
    const index = seen.get(key) ?? 0;
    seen.set(key, index + 1);
    (parts[index] ??= []).push(row);
  }
  return parts;
}

/**
 * Whether a failed copy should be retried as an upsert: the server refused its rows, for
 * their data (SQLSTATE class 22) or a constraint (class 23, such as a key stored by an
 * earlier attempt at this batch). The upsert handles a stored key as the contract says and
 * reports any other refusal itself. Other failures (a lost connection, a statement timeout)
 * would only fail again.
 */
function refusedRows(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

async function upsertEventRows(
  client: SqlClient,
  parts: readonly DebugEventRow[][],
  timeoutMs: number | undefined,
): Promise<void> {
  if (parts.length === 1 && timeoutMs === undefined) {
    await client.query(UPSERT_EVENTS_SQL, [toStorableJson(parts[0])]);
    return;
  }
  await client.transaction(async (tx) => {
    // The database cancels the write when the caller stops waiting for it. The setting goes
    // out ahead of the write, without a round trip of its own: the session runs them in
    // order, and a failed setting fails the write too.
    const limit =
      timeoutMs === undefined
        ? undefined
        : tx.exec(`set local statement_timeout = ${Math.max(1, Math.ceil(timeoutMs))}`);
    limit?.catch(() => undefined);
    for (const part of parts) await tx.query(UPSERT_EVENTS_SQL, [toStorableJson(part)]);
    await limit;
  });
}

/**
 * Writes `rows` idempotently. Where the driver can COPY, a batch is first copied straight
 * into the table, the cheapest way in for rows that are new, as they almost always are;
 * when the server refuses the copy (a key is already stored, after a replay or a retried
 * write), nothing of it remains and the batch is upserted instead. Without COPY, or when a
 * key repeats within the batch, the upsert runs at once.
 */
export async function writeEventRows(
  client: SqlClient,
  rows: readonly DebugEventRow[],
  timeoutMs?: number,
): Promise<void> {
  const parts = splitRepeatedKeys(rows);
  const [first] = parts;
  if (first === undefined) return;
  if (client.copyIn !== undefined && parts.length === 1) {
    try {
      await client.copyIn(COPY_EVENTS_SQL, encodeCopyRows(first), timeoutMs);
      return;
    } catch (error) {
      if (!refusedRows(error)) throw error;
    }
  }
  await upsertEventRows(client, parts, timeoutMs);
}
