import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPostgresClient,
  createPostgresStore,
  describePostgresUrl,
} from '../../src/stores/postgres-store.js';
import type { SqlClient } from '../../src/stores/sql-client.js';
import type { ReadableEventStore } from '../../src/stores/types.js';
import { buildEventQuery } from '../../src/stores/query-events.js';
import { describeEventStoreContract } from './support/event-store-contract.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { makeRow } from './support/rows.js';
import { closedPort } from '../support/ports.js';

let database: TestDatabase;
let store: ReadableEventStore;

beforeAll(async () => {
  database = await createTestDatabase();
  store = createPostgresStore({ url: database.url });
  await store.migrate();
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

describe('Postgres store', () => {
  describeEventStoreContract(() => store);

  it('shows where it is without the password', () => {
    const url = 'postgresql://app:s3cret@db.example.com/events?sslmode=require&password=x';
    expect(describePostgresUrl(url)).toBe('postgresql://app@db.example.com:5432/events');
    expect(store.location).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:5432\/openai_ops_test_/);
  });

  it('rejects writes quickly when the database is unreachable', async () => {
    const port = await closedPort();
    const unreachable = createPostgresStore({
      url: `postgres://postgres:pw@127.0.0.1:${port}/none`,
      connectTimeoutSeconds: 2,
    });
    const started = Date.now();
    await expect(unreachable.writeEvents([makeRow()])).rejects.toThrow(/ECONNREFUSED|connect/);
    await expect(unreachable.ping()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
    await unreachable.close();
  });

  describe('copying a batch', () => {
    /** This database's connections that are inside a transaction between statements. */
    async function idleInTransaction(client: SqlClient): Promise<number> {
      const [row] = await client.query(
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'",
      );
      return Number(row?.n);
    }

    it('falls back to the upsert when a key is already stored, within the write timeout', async () => {
      const stored = makeRow();
      await store.writeEvents([stored], { timeoutMs: 5_000 });
      const fresh = makeRow();
      const retried = { ...stored, debug: { response: { status_code: 200 } } };
      await store.writeEvents([fresh, retried], { timeoutMs: 5_000 });

      expect(await store.queryEvents({ requestId: fresh.requestId })).toHaveLength(1);
      const [again] = await store.queryEvents({ requestId: stored.requestId });
      expect(again?.debug).toEqual(retried.debug);
      const client = createPostgresClient({ url: database.url });
      try {
        expect(await idleInTransaction(client)).toBe(0);
      } finally {
        await client.close();
      }
    });

    it('reports rows the server refuses instead of hanging, and keeps its connections usable', async () => {
      const invalid = makeRow({ inputTokens: 1.5 });
      for (const options of [{}, { timeoutMs: 5_000 }]) {
        await expect(store.writeEvents([invalid], options)).rejects.toMatchObject({
          code: '22P02',
        });
      }
      const after = makeRow();
      await store.writeEvents([after]);
      expect(await store.queryEvents({ requestId: after.requestId })).toHaveLength(1);
    });

    it('stores text with tabs, newlines and backslashes as it was', async () => {
      const row = makeRow({
        errorMessage: 'a tab\there, a newline\nand\r\n, a backslash \\ and a literal \\N',
        metadata: { tags: ['a:b\tc', 'path:C:\\dir\\'], quota_tag: null, note: 'x\ny' },
      });
      await store.writeEvents([row]);
      const [back] = await store.queryEvents({ requestId: row.requestId });
      expect(back?.errorMessage).toBe(row.errorMessage);
      expect(back?.metadata).toEqual(row.metadata);
    });
  });

  it('lists the newest failures through the index of failed calls, not by walking successes', async () => {
    const own = await createTestDatabase();
    const failuresStore = createPostgresStore({ url: own.url });
    const client = createPostgresClient({ url: own.url, maxConnections: 1 });
    try {
      await failuresStore.migrate();
      const rows = Array.from({ length: 5_000 }, (_, i) =>
        i % 100 === 0
          ? makeRow({ statusCode: 503, statusClass: '5xx', errorType: 'server_error' })
          : makeRow(),
      );
      await failuresStore.writeEvents(rows);
      await client.exec('analyze openai_debug_events');

      // The plan a prepared statement settles on after a few runs: one that holds for any
      // parameter value, so the planner cannot tell from the value that it is not '2xx'.
      const query = { statusClass: '5xx', limit: 20 } as const;
      const { text } = buildEventQuery(query);
      await client.exec(`set plan_cache_mode = force_generic_plan; prepare newest as ${text}`);
      const [plan] = await client.query("explain (format json) execute newest('5xx', 20)");
      expect(JSON.stringify(plan)).toContain('openai_debug_events_failures_created_at_idx');

      const newest = rows
        .filter((row) => row.statusClass === '5xx')
        .reverse()
        .slice(0, 20);
      const listed = await failuresStore.queryEvents(query);
      expect(listed.map((row) => row.requestId)).toEqual(newest.map((row) => row.requestId));
    } finally {
      await client.close();
      await failuresStore.close();
      await own.drop();
    }
  });

  it('purges events older than the interval and reports how many', async () => {
    const old = makeRow({ createdAt: new Date(Date.now() - 40 * 86_400_000).toISOString() });
    const recent = makeRow({ createdAt: new Date().toISOString() });
    await store.writeEvents([old, recent]);
    const client = createPostgresClient({ url: database.url });
    try {
      const [result] = await client.query("select openai_debug_events_purge('30 days') as purged");
      expect(Number(result?.purged)).toBeGreaterThanOrEqual(1);
    } finally {
      await client.close();
    }
    expect(await store.queryEvents({ requestId: old.requestId })).toEqual([]);
    expect(await store.queryEvents({ requestId: recent.requestId })).toHaveLength(1);
  });
});
