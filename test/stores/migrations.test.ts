import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, findMigrationsDir, loadMigrations } from '../../src/stores/migrations.js';
import { createPostgresClient } from '../../src/stores/postgres-store.js';
import type { SqlClient } from '../../src/stores/sql-client.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';

let database: TestDatabase;
const clients: SqlClient[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await database?.drop();
});

function connect(): SqlClient {
  const client = createPostgresClient({ url: database.url, maxConnections: 1 });
  clients.push(client);
  return client;
}

describe('migrations', () => {
  it('finds supabase/migrations from the source tree, named for the Supabase CLI', async () => {
    const dir = findMigrationsDir();
    expect(dir).toMatch(/supabase[/\\]migrations[/\\]?$/);
    const names = (await loadMigrations(dir)).map((m) => m.name);
    expect(names).toEqual(
      readdirSync(dir)
        .filter((n) => n.endsWith('.sql'))
        .sort(),
    );
    for (const name of names) expect(name).toMatch(/^\d{14}_[a-z0-9_]+\.sql$/);
  });

  it('applies each file once when two processes migrate at the same moment', async () => {
    const migrations = await loadMigrations();
    const results = await Promise.all([
      applyMigrations(connect(), migrations),
      applyMigrations(connect(), migrations),
    ]);
    expect(results.flat().sort()).toEqual(migrations.map((m) => m.name).sort());

    expect(await applyMigrations(connect(), migrations)).toEqual([]);
    const ledger = await connect().query('select name from openai_ops_migrations order by name');
    expect(ledger.map((row) => row.name)).toEqual(migrations.map((m) => m.name));
  });

  it('re-runs a file cleanly on a database that has it but no ledger entry', async () => {
    const client = connect();
    await client.exec('delete from openai_ops_migrations');
    const migrations = await loadMigrations();
    expect(await applyMigrations(client, migrations)).toEqual(migrations.map((m) => m.name));
  });

  it('names the failing file and rolls it back', async () => {
    const broken = [{ name: '99999999999999_broken.sql', sql: 'create table t_ok (x int); nope;' }];
    await expect(applyMigrations(connect(), broken)).rejects.toThrow(
      /migration 99999999999999_broken\.sql failed: syntax error/,
    );
    const tables = await connect().query("select to_regclass('t_ok') as found");
    expect(tables[0]?.found).toBeNull();
  });
});
