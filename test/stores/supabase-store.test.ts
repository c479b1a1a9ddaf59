/**
 * The Supabase REST store against a PostgREST-compatible server on loopback, backed by a
 * real PostgreSQL database migrated with supabase/migrations, so grants, row-level security
 * and the upsert function are the ones a Supabase project runs.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createClient, type WebSocketLikeConstructor } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAIOpsConfigError } from '../../src/config/errors.js';
import { decodeEventRow } from '../../src/stores/event-columns.js';
import { applyMigrations, loadMigrations } from '../../src/stores/migrations.js';
import { createPostgresClient, createPostgresStore } from '../../src/stores/postgres-store.js';
import { isReadableEventStore, openEventStore } from '../../src/stores/select-store.js';
import type { SqlClient } from '../../src/stores/sql-client.js';
import { SupabaseRestError } from '../../src/stores/supabase-rest-error.js';
import { createSupabaseStore } from '../../src/stores/supabase-store.js';
import type { DebugEventRow, ReadableEventStore } from '../../src/stores/types.js';
import { startPostgrestServer, type PostgrestServer } from '../support/postgrest-server.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { makeRow, runId } from './support/rows.js';
import { closedPort } from '../support/ports.js';

let database: TestDatabase;
let direct: SqlClient;
let rest: PostgrestServer;
let store: ReadableEventStore;

beforeAll(async () => {
  database = await createTestDatabase();
  const owner = createPostgresStore({ url: database.url });
  await owner.migrate();
  await owner.close();
  direct = createPostgresClient({ url: database.url });
  rest = await startPostgrestServer({ databaseUrl: database.url });
  store = await createSupabaseStore({ url: rest.url, serviceRoleKey: rest.serviceRoleKey });
});

afterAll(async () => {
  await store?.close();
  await rest?.close();
  await direct?.close();
  await database?.drop();
});

/** The stored row as Postgres has it, read over a direct connection. */
async function storedRow(requestId: string, attempt = 1): Promise<DebugEventRow | undefined> {
  const [record] = await direct.query(
    'select * from openai_debug_events where request_id = $1 and attempt = $2',
    [requestId, attempt],
  );
  return record === undefined ? undefined : decodeEventRow(record);
}

/** Row versions of a workload's rows: unchanged when a write left them alone. */
async function versions(workload: string): Promise<unknown[]> {
  const rows = await direct.query(
    'select xmin::text as version from openai_debug_events where workload = $1 order by request_id',
    [workload],
  );
  return rows.map((row) => row.version);
}

const byWorkload = (workload: string) => store.queryEvents({ workload, limit: 1000 });

/** supabase-js used directly, as another application would, with `key` and maybe a user token. */
function restClient(key: string, token?: string) {
  return createClient(rest.url, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    // Node.js 20 has no WebSocket of its own, and supabase-js insists on one for Realtime.
    realtime: { transport: WebSocket as unknown as WebSocketLikeConstructor },
    ...(token === undefined ? {} : { global: { headers: { Authorization: `Bearer ${token}` } } }),
  });
}

describe('Supabase REST store', () => {
  it('is located at the project URL and never shows the key', () => {
    expect(store.kind).toBe('supabase');
    expect(store.location).toBe(rest.url);
    expect(JSON.stringify(store)).not.toContain(rest.serviceRoleKey);
    expect(isReadableEventStore(store)).toBe(true);
  });

  it('passes migrate() once the migrations are applied, and answers ping()', async () => {
    await expect(store.migrate()).resolves.toBeUndefined();
    await expect(store.ping()).resolves.toBeUndefined();
  });

  describe('writeEvents', () => {
    const withDebug = { response: { status_code: 200 }, trace: ['a', 1, null, { nested: true }] };

    it.each([
      ['without debug', null],
      ['with debug', withDebug],
    ])('round-trips every field of a row %s, over REST and as stored', async (_, debug) => {
      const row = makeRow({ debug });
      await store.writeEvents([row]);
      expect(await store.queryEvents({ requestId: row.requestId })).toEqual([row]);
      expect(await storedRow(row.requestId)).toEqual(row);
    });

    it('round-trips null fields and an error attempt', async () => {
      const row = makeRow({
        attempt: 3,
        model: null,
        statusCode: null,
        statusClass: 'error',
        organization: null,
        stream: false,
        latencyMs: null,
        durationMs: null,
        firstChunkMs: null,
        processingMs: null,
        inputTokens: null,
        outputTokens: null,
        cachedTokens: null,
        reasoningTokens: null,
        errorType: 'timeout',
        errorMessage: 'Request timed out after 600000 ms',
        metadata: { tags: [], quota_tag: null },
      });
      await store.writeEvents([row]);
      expect(await store.queryEvents({ requestId: row.requestId })).toEqual([row]);
      expect(await storedRow(row.requestId, 3)).toEqual(row);
    });

    it('upserts plain rows ignoring duplicates, and sends rows with debug to the function', async () => {
      const before = rest.requests.length;
      await store.writeEvents([makeRow()]);
      await store.writeEvents([makeRow(), makeRow({ debug: { response: { status_code: 200 } } })]);
      const [plain, withFunction] = rest.requests.slice(before);
      expect(plain?.method).toBe('POST');
      expect(plain?.path).toBe('/openai_debug_events');
      expect(plain?.query.get('on_conflict')).toBe('request_id,attempt');
      expect(plain?.headers.get('prefer')).toContain('resolution=ignore-duplicates');
      expect(withFunction?.path).toBe('/rpc/openai_debug_events_upsert');
      expect(rest.requests.length - before).toBe(2);
    });

    it('stores a batch written twice once, without rewriting its rows', async () => {
      const workload = `twice-${runId()}`;
      const plain = [makeRow({ workload }), makeRow({ workload })];
      const debugged = [makeRow({ workload, debug: { response: { status_code: 201 } } })];
      await store.writeEvents(plain);
      await store.writeEvents(debugged);
      const first = await versions(workload);
      await store.writeEvents(plain);
      await store.writeEvents(debugged);
      await store.writeEvents([...plain, ...debugged]);
      expect(await byWorkload(workload)).toHaveLength(3);
      expect(await versions(workload)).toEqual(first);
    });

    it('stores each row once across overlapping batches, keeping the first copy', async () => {
      const workload = `overlap-${runId()}`;
      const rows = Array.from({ length: 5 }, () => makeRow({ workload }));
      await store.writeEvents(rows.slice(0, 3));
      const changed = rows.slice(2).map((row) => ({ ...row, latencyMs: 1, model: 'other' }));
      await store.writeEvents([rows[1]!, ...changed]);
      const stored = await byWorkload(workload);
      expect(stored).toHaveLength(5);
      expect(stored.find((r) => r.requestId === rows[2]!.requestId)).toEqual(rows[2]);
    });

    it('stores a key repeated within one batch once, with debug from the later copy', async () => {
      const row = makeRow();
      const withDebugCopy = { ...row, debug: { response: { status_code: 200 } } };
      await store.writeEvents([row, withDebugCopy, row]);
      expect(await store.queryEvents({ requestId: row.requestId })).toEqual([withDebugCopy]);
      const plain = makeRow();
      await store.writeEvents([plain, { ...plain, latencyMs: 1 }]);
      expect(await store.queryEvents({ requestId: plain.requestId })).toEqual([plain]);
    });

    it('fills debug and a missing status code when a row is re-sent with debug', async () => {
      const timedOut = makeRow({ statusCode: null, statusClass: 'error', errorType: 'timeout' });
      await store.writeEvents([timedOut]);
      const debug = { response: { status_code: 200, headers: {} }, id: timedOut.requestId };
      await store.writeEvents([{ ...timedOut, debug, latencyMs: 5 }]);
      await store.writeEvents([timedOut]);
      expect(await storedRow(timedOut.requestId)).toEqual({ ...timedOut, debug, statusCode: 200 });
    });

    it('keeps a stored status code when the debug payload reports another', async () => {
      const failed = makeRow({ statusCode: 502, statusClass: '5xx' });
      await store.writeEvents([failed]);
      await store.writeEvents([
        { ...failed, debug: { response: { status_code: 'not a number' } } },
      ]);
      await store.writeEvents([{ ...failed, debug: { response: { status_code: 200 } } }]);
      const [stored] = await store.queryEvents({ requestId: failed.requestId });
      expect(stored).toEqual({ ...failed, debug: { response: { status_code: 200 } } });
    });

    it('stores NUL bytes and unpaired surrogates instead of failing the batch', async () => {
      const row = makeRow({
        errorMessage: 'bad\u0000byte',
        metadata: { tags: ['note:cut\ud83d'], quota_tag: null, 'key\u0000': 'x' },
        debug: { text: 'nul\u0000' },
      });
      await store.writeEvents([row]);
      const stored = await storedRow(row.requestId);
      expect(stored?.errorMessage).toBe('badbyte');
      expect(stored?.metadata).toEqual({ tags: ['note:cut\ufffd'], quota_tag: null, key: 'x' });
      expect(stored?.debug).toEqual({ text: 'nul' });
    });

    it('resolves at once for an empty batch, sending nothing', async () => {
      const before = rest.requests.length;
      await expect(store.writeEvents([])).resolves.toBeUndefined();
      expect(rest.requests.length).toBe(before);
    });
  });

  describe('queryEvents', () => {
    const workload = `query-${runId()}`;
    const hostile = `note:it's "quoted", {braced}'); drop table openai_debug_events; --`;
    const at = (minute: number) => new Date(Date.UTC(2026, 1, 1, 0, minute)).toISOString();
    const rows = [
      makeRow({ workload, createdAt: at(1), endpoint: '/embeddings', model: 'text-3' }),
      makeRow({ workload, createdAt: at(2), statusCode: 429, statusClass: '4xx' }),
      makeRow({
        workload,
        createdAt: at(3),
        metadata: { tags: ['env:dev', hostile], quota_tag: 'q' },
      }),
      makeRow({ workload, createdAt: at(4) }),
    ];
    const retry = { ...rows[3]!, attempt: 2 };
    const id = (row: DebugEventRow) => `${row.requestId}#${row.attempt}`;
    const ids = (found: DebugEventRow[]) => found.map(id);

    beforeAll(async () => {
      await store.writeEvents([...rows, retry]);
    });

    it('returns rows newest first, a retry before its first attempt, up to the limit', async () => {
      const found = await store.queryEvents({ workload, limit: 3 });
      expect(ids(found)).toEqual([id(retry), id(rows[3]!), id(rows[2]!)]);
    });

    it('filters by since', async () => {
      const found = await store.queryEvents({ workload, since: new Date(at(3)) });
      expect(ids(found)).toEqual([id(retry), id(rows[3]!), id(rows[2]!)]);
    });

    it('filters by tags, matching every tag given, quotes and commas as data', async () => {
      expect(ids(await store.queryEvents({ workload, tags: ['env:dev'] }))).toEqual([id(rows[2]!)]);
      expect(await store.queryEvents({ workload, tags: ['env:prod', 'status:2xx'] })).toHaveLength(
        4,
      );
      expect(ids(await store.queryEvents({ tags: [hostile] }))).toEqual([id(rows[2]!)]);
      expect(await store.queryEvents({ tags: ["x'); select 1; --"] })).toEqual([]);
    });

    it('filters by status class, endpoint, model and request id', async () => {
      expect(ids(await store.queryEvents({ workload, statusClass: '4xx' }))).toEqual([
        id(rows[1]!),
      ]);
      const embeddings = await store.queryEvents({ workload, endpoint: '/embeddings' });
      expect(ids(embeddings)).toEqual([id(rows[0]!)]);
      expect(ids(await store.queryEvents({ workload, model: 'text-3' }))).toEqual([id(rows[0]!)]);
      expect(ids(await store.queryEvents({ requestId: rows[3]!.requestId }))).toEqual([
        id(retry),
        id(rows[3]!),
      ]);
    });
  });

  it('refuses ad-hoc SQL, pointing at OPENAI_OPS_DATABASE_URL', async () => {
    await expect(store.sql('select 1')).rejects.toThrow(/OPENAI_OPS_DATABASE_URL/);
  });

  it('sends its requests through the fetch it is given', async () => {
    const seen: string[] = [];
    const counting: typeof fetch = (input, init) => {
      seen.push(String(input instanceof Request ? input.url : input));
      return fetch(input, init);
    };
    const own = await createSupabaseStore({
      url: rest.url,
      serviceRoleKey: rest.serviceRoleKey,
      fetch: counting,
    });
    await own.ping();
    expect(seen).toEqual([expect.stringContaining(`${rest.url}/rest/v1/openai_debug_events?`)]);
  });
});

describe('Supabase REST store failures', () => {
  it('rejects a write with a wrong key, naming the variable but never the key', async () => {
    const wrongKey = `${rest.serviceRoleKey.slice(0, -6)}AAAAAA`;
    const wrong = await createSupabaseStore({ url: rest.url, serviceRoleKey: wrongKey });
    const error = await wrong.writeEvents([makeRow()]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SupabaseRestError);
    expect(error).toMatchObject({ status: 401 });
    const message = (error as Error).message;
    expect(message).toMatch(/Invalid API key.*SUPABASE_SERVICE_ROLE_KEY/);
    expect(message).not.toContain(wrongKey);
    expect(message).not.toContain(rest.serviceRoleKey);
  });

  it('refuses to open with the anon key or no key', async () => {
    const anon = createSupabaseStore({ url: rest.url, serviceRoleKey: rest.anonKey });
    await expect(anon).rejects.toBeInstanceOf(OpenAIOpsConfigError);
    await expect(anon).rejects.toThrow(/SUPABASE_SERVICE_ROLE_KEY holds a public \(anon\) key/);
    const empty = createSupabaseStore({ url: rest.url, serviceRoleKey: ' ' });
    await expect(empty).rejects.toMatchObject({ variable: 'SUPABASE_SERVICE_ROLE_KEY' });
    const badUrl = createSupabaseStore({ url: 'abcd.supabase.co', serviceRoleKey: 'k' });
    await expect(badUrl).rejects.toMatchObject({ variable: 'SUPABASE_URL' });
  });

  it('explains how to install @supabase/supabase-js when it is missing', async () => {
    const missing = Object.assign(
      new Error("Cannot find package '@supabase/supabase-js' imported from /app/x.js"),
      { code: 'ERR_MODULE_NOT_FOUND' },
    );
    const opening = createSupabaseStore({
      url: rest.url,
      serviceRoleKey: rest.serviceRoleKey,
      importSupabaseJs: () => Promise.reject(missing),
    });
    await expect(opening).rejects.toBeInstanceOf(OpenAIOpsConfigError);
    await expect(opening).rejects.toMatchObject({ variable: 'SUPABASE_URL' });
    await expect(opening).rejects.toThrow(/npm install @supabase\/supabase-js/);
  });

  it('rejects quickly when nothing listens at the URL', async () => {
    const port = await closedPort();
    const down = await createSupabaseStore({
      url: `http://127.0.0.1:${port}`,
      serviceRoleKey: rest.serviceRoleKey,
    });
    const started = Date.now();
    await expect(down.writeEvents([makeRow()])).rejects.toThrow(/no response: .*ECONNREFUSED/);
    await expect(down.writeEvents([makeRow({ debug: {} })])).rejects.toThrow(/ECONNREFUSED/);
    await expect(down.ping()).rejects.toThrow(/SUPABASE_URL/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('gives up on a server that never answers after timeoutMs', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const hung = await createSupabaseStore({
        url: `http://127.0.0.1:${portOf(silent)}`,
        serviceRoleKey: rest.serviceRoleKey,
        timeoutMs: 200,
      });
      const started = Date.now();
      await expect(hung.writeEvents([makeRow()])).rejects.toThrow(/aborted/);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('checks the migrations in migrate(), pointing at supabase db push', async () => {
    const bare = await createTestDatabase();
    const bareRest = await startPostgrestServer({ databaseUrl: bare.url });
    const client = createPostgresClient({ url: bare.url });
    try {
      const bareStore = await createSupabaseStore({
        url: bareRest.url,
        serviceRoleKey: bareRest.serviceRoleKey,
      });
      await expect(bareStore.migrate()).rejects.toThrow(/PGRST205.*supabase db push/);
      // ping() reads with GET: supabase-js reports a HEAD on a missing table as a success.
      await expect(bareStore.ping()).rejects.toThrow(/PGRST205/);
      await expect(bareStore.writeEvents([makeRow()])).rejects.toThrow(/does not exist/);

      // Only the table's migration: plain rows can be written, debug needs the function.
      const [tableMigration, ...later] = await loadMigrations();
      await applyMigrations(client, [tableMigration!]);
      await expect(bareStore.migrate()).rejects.toThrow(/openai_debug_events_upsert.*db push/);
      await expect(bareStore.writeEvents([makeRow()])).resolves.toBeUndefined();
      const debugged = bareStore.writeEvents([makeRow({ debug: { response: {} } })]);
      await expect(debugged).rejects.toThrow(/PGRST202/);

      await applyMigrations(client, later);
      await expect(bareStore.migrate()).resolves.toBeUndefined();
    } finally {
      await client.close();
      await bareRest.close();
      await bare.drop();
    }
  });
});

describe('access through the REST API', () => {
  it('gives the anon key nothing: no rows and no writes', async () => {
    await store.writeEvents([makeRow({ organization: 'org-a' })]);
    const anon = restClient(rest.anonKey);
    const read = await anon.from('openai_debug_events').select('*');
    expect(read).toMatchObject({ data: null, status: 401, error: { code: '42501' } });
    const write = await anon.rpc('openai_debug_events_upsert', { rows: [] });
    expect(write).toMatchObject({ status: 401, error: { code: '42501' } });
  });

  it("shows a signed-in member only their organization's rows", async () => {
    const workload = `members-${runId()}`;
    await store.writeEvents([
      makeRow({ workload, organization: 'org-a' }),
      makeRow({ workload, organization: 'org-b' }),
    ]);
    const token = rest.signJwt({ role: 'authenticated', sub: 'user-1', org_id: 'org-b' });
    const { data, error } = await restClient(rest.anonKey, token)
      .from('openai_debug_events')
      .select('organization')
      .eq('workload', workload);
    expect(error).toBeNull();
    expect(data).toEqual([{ organization: 'org-b' }]);
  });

  it('counts rows with a HEAD request, as the dashboard might', async () => {
    const workload = `count-${runId()}`;
    const rows = [makeRow({ workload }), makeRow({ workload })];
    await store.writeEvents([...rows, ...rows]);
    const counted = await restClient(rest.serviceRoleKey)
      .from('openai_debug_events')
      .select('*', { count: 'exact', head: true })
      .eq('workload', workload);
    expect(counted).toMatchObject({ error: null, count: 2 });
  });

  it('rejects a token that was not signed by the project', async () => {
    const forged = `${rest.signJwt({ role: 'service_role' }).slice(0, -4)}AAAA`;
    const read = await restClient(rest.anonKey, forged).from('openai_debug_events').select('*');
    expect(read).toMatchObject({ status: 401, error: { code: 'PGRST301' } });
  });
});

describe('openEventStore', () => {
  it('opens the Supabase REST store from SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY', async () => {
    const opened = await openEventStore({
      SUPABASE_URL: rest.url,
      SUPABASE_SERVICE_ROLE_KEY: rest.serviceRoleKey,
    });
    expect(opened).toMatchObject({ kind: 'supabase', location: rest.url });
    expect(isReadableEventStore(opened)).toBe(true);
    await opened.ping();
    const row = makeRow();
    await opened.writeEvents([row]);
    expect(await storedRow(row.requestId)).toEqual(row);
    await opened.close();
  });
});

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
