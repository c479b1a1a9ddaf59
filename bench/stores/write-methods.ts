/**
 * The ways of upserting a batch that bench/stores/write-rate.ts compares with raw COPY.
 * Only the store's own method is used in production; the others are kept to justify it.
 */
import type postgres from 'postgres';

import { EVENT_COLUMNS, EVENT_COLUMN_LIST } from '../../src/stores/event-columns.js';
import type { DebugEventRow, EventStore } from '../../src/stores/types.js';
import { toStorableJson } from '../../src/stores/json-text.js';
import { UPSERT_EVENTS_SQL } from '../../src/stores/write-events.js';
import { copyRows, fieldText } from '../support/copy-rows.js';

export type WriteMethod = (sql: postgres.Sql, batch: readonly DebugEventRow[]) => Promise<unknown>;

function arrayLiteral(values: (string | null)[]): string {
  const items = values.map((v) => (v === null ? 'NULL' : `"${v.replace(/["\\]/g, '\\$&')}"`));
  return `{${items.join(',')}}`;
}

function columnArrays(batch: readonly DebugEventRow[]): string[] {
  return EVENT_COLUMNS.map((c) =>
    arrayLiteral(batch.map((row) => fieldText(row[c.field], c.type))),
  );
}

const CONFLICT = UPSERT_EVENTS_SQL.slice(UPSERT_EVENTS_SQL.indexOf('on conflict'));
const INSERT = `insert into openai_debug_events as stored (${EVENT_COLUMN_LIST})`;
const UNNEST_ARGS = EVENT_COLUMNS.map((c, i) => `$${i + 1}::text::${c.type}[]`).join(', ');
const UNNEST_SQL = `${INSERT} select * from unnest(${UNNEST_ARGS}) ${CONFLICT}`;
const JSON_SQL = UPSERT_EVENTS_SQL.replace(
  'jsonb_to_recordset($1::text::jsonb)',
  'json_to_recordset($1::text::json)',
)
  .replace(/"(metadata|debug)" jsonb/g, '"$1" json')
  .replace(/incoming\."(metadata|debug)"/g, 'incoming."$1"::jsonb');
const STAGE_DDL = `create temp table if not exists openai_debug_events_stage
  on commit delete rows as select ${EVENT_COLUMN_LIST} from openai_debug_events with no data`;
const STAGE_UPSERT = `${INSERT} select * from openai_debug_events_stage ${CONFLICT}`;

/** Every method by name; the first, raw COPY, is the baseline. */
export function writeMethods(store: EventStore): Record<string, WriteMethod> {
  return {
    'raw COPY (not idempotent)': (sql, batch) => copyRows(sql, 'openai_debug_events', batch),
    'store: writeEvents (COPY)': (_sql, batch) => store.writeEvents(batch),
    'upsert (jsonb_to_recordset)': (sql, batch) =>
      sql.unsafe(UPSERT_EVENTS_SQL, [toStorableJson(batch)], { prepare: true }),
    json_to_recordset: (sql, batch) =>
      sql.unsafe(JSON_SQL, [JSON.stringify(batch)], { prepare: true }),
    'unnest of typed arrays': (sql, batch) =>
      sql.unsafe(UNNEST_SQL, columnArrays(batch), { prepare: true }),
    'COPY to stage + upsert': (sql, batch) =>
      sql.begin(async (tx) => {
        await tx.unsafe(STAGE_DDL);
        await copyRows(tx, 'openai_debug_events_stage', batch);
        await tx.unsafe(STAGE_UPSERT);
      }),
  };
}
