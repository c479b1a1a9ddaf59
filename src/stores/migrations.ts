/**
 * Applies `supabase/migrations/*.sql` in file-name order, each in its own transaction and
 * at most once per database, recorded in `openai_ops_migrations`. The files stay idempotent
 * anyway, because `supabase db push` may have applied them without this ledger.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqlClient } from './sql-client.js';

export interface Migration {
  /** The file name, which is also the ledger key. */
  name: string;
  sql: string;
}

/** What applying migrations needs from a store: transactions. */
export type MigrationExecutor = Pick<SqlClient, 'transaction'>;

const LEDGER_DDL = `create table if not exists openai_ops_migrations (
  name text primary key,
  applied_at timestamptz not null default now()
)`;

/**
 * Serialises migrators on one database: `create table if not exists` and friends are not
 * safe against a concurrent twin, so a second process waits here and then finds the file
 * in the ledger. Transaction-scoped, so it cannot outlive a crashed migrator.
 */
const LOCK_SQL = "select pg_advisory_xact_lock(hashtext('openai_ops_migrations'))";

/**
 * The migrations folder: `supabase/migrations` at the package root, which is two levels
 * above this module both in the source tree (`src/stores/`) and in the built package
 * (`dist/stores/`, whose `files` ship `supabase/migrations`).
 */
export function findMigrationsDir(): string {
  const dir = fileURLToPath(new URL('../../supabase/migrations/', import.meta.url));
  if (!existsSync(dir)) {
    throw new Error(
      `openai-ops migrations not found at ${dir}; the package is incomplete (its files must ` +
        `include supabase/migrations). Reinstall openai-ops.`,
    );
  }
  return dir;
}

/** Every `.sql` file in `dir`, sorted by name. */
export async function loadMigrations(dir = findMigrationsDir()): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
  return Promise.all(
    names.map(async (name) => ({ name, sql: await readFile(join(dir, name), 'utf8') })),
  );
}

/**
 * Applies each migration not yet in the ledger, in order, one transaction per file; a
 * failing file rolls back alone and stops the run. Returns the names it applied.
 *
 * @example
 * const applied = await applyMigrations(client, await loadMigrations());
 */
export async function applyMigrations(
  executor: MigrationExecutor,
  migrations: readonly Migration[],
): Promise<string[]> {
  const applied: string[] = [];
  for (const migration of migrations) {
    if (await applyOnce(executor, migration)) applied.push(migration.name);
  }
  return applied;
}

async function applyOnce(executor: MigrationExecutor, migration: Migration): Promise<boolean> {
  try {
    return await executor.transaction(async (tx) => {
      await tx.query(LOCK_SQL);
      await tx.exec(LEDGER_DDL);
      const done = await tx.query('select 1 from openai_ops_migrations where name = $1', [
        migration.name,
      ]);
      if (done.length > 0) return false;

      await tx.exec(migration.sql);
      await tx.query('insert into openai_ops_migrations (name) values ($1)', [migration.name]);
      return true;
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`openai-ops migration ${migration.name} failed: ${reason}`, { cause: error });
  }
}
