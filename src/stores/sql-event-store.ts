/**
 * The `ReadableEventStore` every SQL backend shares. A backend only says how to reach its
 * database (`SqlClient`); writing, querying, migrating and ad-hoc SQL are the same code
 * for Postgres and for the embedded PGlite.
 */
import { decodeEventRow } from './event-columns.js';
import { applyMigrations, loadMigrations } from './migrations.js';
import { buildEventQuery } from './query-events.js';
import type { SqlClient, SqlResult } from './sql-client.js';
import type {
  DebugEventRow,
  EventQuery,
  ReadableEventStore,
  StoreKind,
  WriteOptions,
} from './types.js';
import { writeEventRows } from './write-events.js';

export interface SqlBackend {
  readonly kind: StoreKind;
  readonly location: string;
  /** Events per write the backend takes best (`EventStore.batchSize`). */
  readonly batchSize?: number;
  /** The open client; opens it on first use, and rejects when it cannot be reached. */
  client(): Promise<SqlClient>;
  close(): Promise<void>;
}

/**
 * Result rows as objects. A name that repeats gets a `_2`, `_3` suffix: the runbook's query
 * has two unnamed expressions, both called `?column?`, and the second must not hide the first.
 */
export function toRecords(result: SqlResult): Record<string, unknown>[] {
  const used = new Set<string>();
  const keys = result.columns.map((name) => {
    let key = name;
    for (let n = 2; used.has(key); n += 1) key = `${name}_${n}`;
    used.add(key);
    return key;
  });
  return result.rows.map((values) =>
    Object.fromEntries(keys.map((key, index) => [key, values[index]])),
  );
}

/** Statements that only read; anything else (COPY to a file, LOCK) is refused up front. */
const READING_STATEMENT = /^(?:select|with|table|values|show|explain)\b/i;

/**
 * The read-only transaction stops writes to tables, but not every side effect a statement
 * can have on the server (`copy ... to` a file), so only reading statements are run.
 */
function assertQuery(text: string): void {
  const statement = text.replace(/^(?:\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/, '');
  if (!READING_STATEMENT.test(statement)) {
    throw new Error(
      'only SELECT, WITH, TABLE, VALUES, SHOW and EXPLAIN statements can be run here',
    );
  }
}

/** A store on `backend` implementing the whole `ReadableEventStore` contract. */
export function createSqlEventStore(backend: SqlBackend): ReadableEventStore {
  return {
    kind: backend.kind,
    location: backend.location,
    ...(backend.batchSize === undefined ? {} : { batchSize: backend.batchSize }),

    async migrate(): Promise<void> {
      const client = await backend.client();
      await applyMigrations(client, await loadMigrations());
    },

    async writeEvents(rows: readonly DebugEventRow[], options: WriteOptions = {}): Promise<void> {
      if (rows.length === 0) return;
      await writeEventRows(await backend.client(), rows, options.timeoutMs);
    },

    async queryEvents(query: EventQuery): Promise<DebugEventRow[]> {
      const { text, params } = buildEventQuery(query);
      const records = await (await backend.client()).query(text, params);
      return records.map(decodeEventRow);
    },

    async sql(text: string): Promise<Record<string, unknown>[]> {
      assertQuery(text);
      return toRecords(await (await backend.client()).readOnly(text));
    },

    async ping(): Promise<void> {
      await (await backend.client()).query('select 1');
    },

    close: () => backend.close(),
  };
}
