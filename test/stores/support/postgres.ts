/**
 * A throwaway database per test file on the local PostgreSQL (trust auth), so files run in
 * parallel without seeing each other's rows. OPENAI_OPS_TEST_DATABASE_URL overrides the
 * server to connect to.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export const ADMIN_URL =
  process.env.OPENAI_OPS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

/** Creates `openai_ops_test_<random>`; `drop()` removes it, disconnecting stragglers. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `openai_ops_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((sql) => sql.unsafe(`create database ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await withAdmin((sql) => sql.unsafe(`drop database if exists ${name} with (force)`));
    },
  };
}
