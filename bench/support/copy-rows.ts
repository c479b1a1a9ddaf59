/**
 * Raw `COPY ... from stdin` of debug-event rows in PostgreSQL's text format: the fastest
 * way rows can enter the table, and the ceiling the store's writes are compared with.
 * Not idempotent: a row sent twice is stored twice (or fails on the unique key).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type postgres from 'postgres';

import { encodeCopyRows } from '../../src/stores/copy-text.js';
import { EVENT_COLUMN_LIST } from '../../src/stores/event-columns.js';
import type { DebugEventRow } from '../../src/stores/types.js';

/** Rows encoded per chunk written to the COPY stream. */
const ROWS_PER_CHUNK = 1_000;

/** Streams `rows` into `table` with one COPY statement. */
export async function copyRows(
  sql: postgres.Sql | postgres.TransactionSql,
  table: string,
  rows: readonly DebugEventRow[],
): Promise<void> {
  const writable = await sql.unsafe(`copy ${table} (${EVENT_COLUMN_LIST}) from stdin`).writable();
  await pipeline(Readable.from(encodeChunks(rows)), writable);
}

function* encodeChunks(rows: readonly DebugEventRow[]): Generator<string> {
  for (let start = 0; start < rows.length; start += ROWS_PER_CHUNK) {
    yield encodeCopyRows(rows.slice(start, start + ROWS_PER_CHUNK));
  }
}

/** A field as the text Postgres parses for its column type; null for SQL NULL. */
export function fieldText(value: unknown, type: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return typeof value === 'string' && type !== 'jsonb' ? value : JSON.stringify(value);
}
