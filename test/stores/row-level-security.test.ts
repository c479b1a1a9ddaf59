/**
 * The migration's access rules as Supabase's API roles meet them: PostgREST switches to
 * `authenticated` or `anon` and sets `request.jwt.claims`, which this test does by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresClient, createPostgresStore } from '../../src/stores/postgres-store.js';
import type { SqlClient, SqlSession } from '../../src/stores/sql-client.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { makeRow } from './support/rows.js';

let database: TestDatabase;
let client: SqlClient;

const INSERT = `insert into openai_debug_events (request_id, endpoint, status_class, organization)
  values ('forged', '/responses', '2xx', 'org-a')`;

beforeAll(async () => {
  database = await createTestDatabase();
  const store = createPostgresStore({ url: database.url });
  await store.migrate();
  await store.writeEvents([
    makeRow({ requestId: 'a-1', organization: 'org-a' }),
    makeRow({ requestId: 'a-2', organization: 'org-a' }),
    makeRow({ requestId: 'b-1', organization: 'org-b' }),
    makeRow({ requestId: 'none-1', organization: null }),
  ]);
  await store.close();
  client = createPostgresClient({ url: database.url });
});

afterAll(async () => {
  await client?.close();
  await database?.drop();
});

/** Runs `fn` as `role` with `claims`, in a transaction that is always rolled back. */
async function as<T>(role: string, claims: object | null, fn: (tx: SqlSession) => Promise<T>) {
  let result: T | undefined;
  const rollback = new Error('rollback');
  await client
    .transaction(async (tx) => {
      await tx.query(`select set_config('role', $1, true)`, [role]);
      if (claims !== null) {
        await tx.query(`select set_config('request.jwt.claims', $1, true)`, [
          JSON.stringify(claims),
        ]);
      }
      result = await fn(tx);
      throw rollback;
    })
    .catch((error: unknown) => {
      if (error !== rollback) throw error;
    });
  return result as T;
}

const visibleIds = (tx: SqlSession) =>
  tx.query('select request_id from openai_debug_events order by request_id');

describe('row-level security on openai_debug_events', () => {
  it("shows a member only their organization's rows (top-level org_id)", async () => {
    const rows = await as('authenticated', { org_id: 'org-a' }, visibleIds);
    expect(rows.map((r) => r.request_id)).toEqual(['a-1', 'a-2']);
  });

  it('reads org_id from app_metadata too', async () => {
    const claims = { sub: 'user-1', app_metadata: { org_id: 'org-b' } };
    const rows = await as('authenticated', claims, visibleIds);
    expect(rows.map((r) => r.request_id)).toEqual(['b-1']);
  });

  it('shows nothing to an authenticated user without an org claim', async () => {
    expect(await as('authenticated', { sub: 'user-2' }, visibleIds)).toEqual([]);
    expect(await as('authenticated', null, visibleIds)).toEqual([]);
  });

  it('gives anon nothing at all', async () => {
    await expect(as('anon', { org_id: 'org-a' }, visibleIds)).rejects.toThrow(/permission denied/);
  });

  it('refuses writes from authenticated users, even to their own organization', async () => {
    const write = as('authenticated', { org_id: 'org-a' }, (tx) => tx.query(INSERT));
    await expect(write).rejects.toThrow(/permission denied/);
    const purge = as('authenticated', { org_id: 'org-a' }, (tx) =>
      tx.query("select openai_debug_events_purge('1 day')"),
    );
    await expect(purge).rejects.toThrow(/permission denied/);
  });

  it('lets service_role write, read everything and purge', async () => {
    const rows = await as('service_role', null, async (tx) => {
      await tx.query(INSERT);
      await tx.query("select openai_debug_events_purge('3650 days')");
      return visibleIds(tx);
    });
    expect(rows.map((r) => r.request_id)).toEqual(['a-1', 'a-2', 'b-1', 'forged', 'none-1']);
  });
});
