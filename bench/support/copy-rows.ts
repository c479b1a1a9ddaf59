/**
 * Raw `COPY ... from stdin` of debug-event rows in PostgreSQL's text format: the fastest
 * way rows can enter the table, and the ceiling the store's writes are compared with.
 * Not idempotent: a row sent twice is stored twice (or fails on the unique key).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type postgres from 'postgres';

import { EVENT_COLUMNS, EVENT_COLUMN_LIST } from '../../src/stores/event-columns.js';
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
    let chunk = '';
    for (const row of rows.slice(start, start + ROWS_PER_CHUNK)) chunk += `${encodeRow(row)}\n`;
    yield chunk;
  }
}

/** One row as a line of COPY text: tab-separated, `\N` for null, jsonb as JSON text. */
export function encodeRow(row: DebugEventRow): string {
  return EVENT_COLUMNS.map((column) =>
    escapeCopyText(fieldText(row[column.field], column.type)),
  ).join('\t');
}

/** A field as the text Postgres parses for its column type; null for SQL NULL. */
export function fieldText(value: unknown, type: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return typeof value === 'string' && type !== 'jsonb' ? value : JSON.stringify(value);
}

function escapeCopyText(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c] ?? c);
}

const COPY_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};
