/**
 * The embedded store: PostgreSQL compiled to WebAssembly (PGlite), persisted in
 * `<dataDir>/pglite`, for a single process that has no database server. It runs the same
 * migrations and SQL as the Postgres store, so the runbook's queries work unchanged.
 */
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { join, resolve } from 'node:path';
import { acquireEmbeddedLock } from './embedded-lock.js';
import { applyMigrations, loadMigrations } from './migrations.js';
import type { SqlClient, SqlSession } from './sql-client.js';
import { createSqlEventStore } from './sql-event-store.js';
import type { ReadableEventStore } from './types.js';

export interface EmbeddedStoreOptions {
  /** Holds `pglite/` and `pglite.lock`; `OPENAI_OPS_DATA_DIR`, default `.openai-ops`. */
  dataDir: string;
}

export interface EmbeddedEventStore extends ReadableEventStore {
  /**
   * Takes the directory's lock, opens the database and applies the migrations. Every other
   * method does this on first use; rejects with `EmbeddedStoreLockedError` while another
   * live process holds the directory, and may be retried once it has let go.
   */
  open(): Promise<void>;
}

interface OpenDatabase {
  client: SqlClient;
  close(): Promise<void>;
}

function session(db: PGlite | Transaction): SqlSession {
  return {
    async query(text, params = []) {
      return (await db.query<Record<string, unknown>>(text, [...params])).rows;
    },
    async exec(script) {
      await db.exec(script);
    },
  };
}

function pgliteClient(db: PGlite): SqlClient {
  return {
    ...session(db),
    transaction: (fn) => db.transaction((tx) => fn(session(tx))),
    readOnly: (text) =>
      db.transaction(async (tx) => {
        await tx.exec('set transaction read only');
        const result = await tx.query<unknown[]>(text, [], { rowMode: 'array' });
        return { columns: result.fields.map((field) => field.name), rows: result.rows };
      }),
    close: () => db.close(),
  };
}

async function openDatabase(dataDir: string): Promise<OpenDatabase> {
  const lock = await acquireEmbeddedLock(dataDir);
  try {
    const db = await PGlite.create(join(dataDir, 'pglite'));
    const client = pgliteClient(db);
    await applyMigrations(client, await loadMigrations());
    return {
      client,
      async close() {
        try {
          await db.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * A store in a local directory, opened on first use. Only one process at a time may hold
 * a directory: in any other, every method rejects with `EmbeddedStoreLockedError` (and the
 * recorder spools its rows) until the holder closes its store or exits.
 *
 * @example
 * const store = createEmbeddedStore({ dataDir: '.openai-ops' });
 * await store.writeEvents(rows);
 * console.table(await store.sql('select endpoint, count(*) from openai_debug_events group by 1'));
 * await store.close();
 */
export function createEmbeddedStore(options: EmbeddedStoreOptions): EmbeddedEventStore {
  const dataDir = resolve(options.dataDir);
  let opening: Promise<OpenDatabase> | undefined;
  let closed = false;

  const database = (): Promise<OpenDatabase> => {
    if (closed) return Promise.reject(new Error(`The embedded store in ${dataDir} is closed.`));
    opening ??= openDatabase(dataDir).catch((error: unknown) => {
      opening = undefined;
      throw error;
    });
    return opening;
  };

  const store = createSqlEventStore({
    kind: 'embedded',
    location: dataDir,
    client: async () => (await database()).client,
    async close() {
      if (closed) return;
      closed = true;
      const open = await opening?.catch(() => undefined);
      opening = undefined;
      await open?.close();
    },
  });
  return {
    ...store,
    async open() {
      await database();
    },
  };
}
