import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPostgresClient,
  createPostgresStore,
  describePostgresUrl,
} from '../../src/stores/postgres-store.js';
import type { ReadableEventStore } from '../../src/stores/types.js';
import { describeEventStoreContract } from './support/event-store-contract.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { makeRow } from './support/rows.js';

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

/** A loopback port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
