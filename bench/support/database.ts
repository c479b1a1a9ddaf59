/**
 * A throw-away database on the local PostgreSQL for one benchmark run, migrated like any
 * store's, and dropped at the end. `OPENAI_OPS_BENCH_URL` overrides the admin URL
 * (default `postgres://postgres@127.0.0.1:5432/postgres`).
 */
import { randomBytes } from 'node:crypto';

import postgres from 'postgres';

import { createPostgresStore } from '../../src/stores/postgres-store.js';

export interface BenchDatabase {
  name: string;
  url: string;
  /** A small pool for the benchmark's own queries (counts, truncation, COPY). */
  sql: postgres.Sql;
  /** The URL of this database reached through `host:port` instead (a proxy). */
  urlVia(port: number): string;
  countEvents(): Promise<EventCounts>;
  drop(): Promise<void>;
}

export interface EventCounts {
  rows: number;
  /** Distinct (request_id, attempt) pairs; equal to `rows` when nothing is duplicated. */
  distinctKeys: number;
}

export const ADMIN_URL =
  process.env.OPENAI_OPS_BENCH_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const QUIET = { onnotice: () => undefined };

/** The server's `server_version`, e.g. `15.4`. */
export async function readServerVersion(): Promise<string> {
  let version = 'unknown';
  await withAdmin(async (admin) => {
    const [row] = await admin<{ server_version: string }[]>`show server_version`;
    version = row?.server_version ?? version;
  });
  return version;
}

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `openai_ops_bench_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.unsafe(`create database ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;

  const store = createPostgresStore({ url: url.href });
  await store.migrate();
  await store.close();

  const sql = postgres(url.href, { ...QUIET, max: 2 });
  return {
    name,
    url: url.href,
    sql,
    urlVia(port) {
      const via = new URL(url.href);
      via.port = String(port);
      return via.href;
    },
    async countEvents() {
      const [counts] = await sql<{ rows: number; distinct_keys: number }[]>`
        select count(*)::int as rows,
               count(distinct (request_id, attempt))::int as distinct_keys
        from openai_debug_events`;
      return { rows: counts?.rows ?? 0, distinctKeys: counts?.distinct_keys ?? 0 };
    },
    async drop() {
      await sql.end({ timeout: 5 });
      await withAdmin((admin) => admin.unsafe(`drop database if exists ${name} with (force)`));
    },
  };
}

async function withAdmin(work: (admin: postgres.Sql) => Promise<unknown>): Promise<void> {
  const admin = postgres(ADMIN_URL, { ...QUIET, max: 1 });
  try {
    await work(admin);
  } finally {
    await admin.end({ timeout: 5 });
  }
}
