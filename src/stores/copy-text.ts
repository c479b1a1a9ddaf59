/**
 * Debug-event rows in PostgreSQL's COPY text format, for the Postgres store's fast path
 * (`COPY openai_debug_events (...) FROM STDIN`). COPY inserts a batch with the server's
 * multi-row insert, which costs the database about half the CPU of an `INSERT ... SELECT`
 * with `ON CONFLICT` for the same rows (docs/performance.md, "Ingest").
 *
 * Every value is cleaned the way the JSON path cleans it (json-text.ts): NUL is dropped and
 * an unpaired surrogate becomes U+FFFD, so a row that one path stores the other stores too.
 */
import { EVENT_COLUMNS, EVENT_COLUMN_LIST } from './event-columns.js';
import { storableString, toStorableJson } from './json-text.js';
import type { DebugEventRow } from './types.js';

/** The statement that reads text produced by `encodeCopyRows`. */
export const COPY_EVENTS_SQL = `copy openai_debug_events (${EVENT_COLUMN_LIST}) from stdin`;

const NULL_FIELD = '\\N';
const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};

/** Backslash, tab, newline and carriage return are the only characters COPY text escapes. */
function escapeText(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ESCAPES[c] ?? c) : text;
}

type FieldEncoder = (value: unknown) => string;

/** JSON text has no raw tab or line break; only its backslashes need doubling. */
function encodeJson(value: unknown): string {
  if (value === null || value === undefined) return NULL_FIELD;
  const json = toStorableJson(value);
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
}

/** A number that is not finite is null, as in the JSON path (JSON has no such number). */
function encodeScalar(value: unknown): string {
  if (value === null || value === undefined) return NULL_FIELD;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : NULL_FIELD;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return escapeText(storableString(typeof value === 'string' ? value : JSON.stringify(value)));
}

const ENCODERS: readonly FieldEncoder[] = EVENT_COLUMNS.map((column) =>
  column.type === 'jsonb' ? encodeJson : encodeScalar,
);
const FIELDS = EVENT_COLUMNS.map((column) => column.field);

/** The rows as COPY text: one line per row, fields separated by tabs, in column order. */
export function encodeCopyRows(rows: readonly DebugEventRow[]): string {
  let text = '';
  for (const row of rows) {
    for (let index = 0; index < FIELDS.length; index += 1) {
      const encode = ENCODERS[index] as FieldEncoder;
      const value = encode(row[FIELDS[index] as keyof DebugEventRow]);
      text += index === 0 ? value : `\t${value}`;
    }
    text += '\n';
  }
  return text;
}
