/**
 * The Postgres store, on postgres.js: any PostgreSQL 15+ reachable over TCP, including a
 * Supabase project through its connection string. It connects as the table owner, so
 * row-level security does not limit its writes.
 */
import net from 'node:net';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

import postgres from 'postgres';
import type { SqlClient, SqlSession } from './sql-client.js';
import { createSqlEventStore } from './sql-event-store.js';
import type { ReadableEventStore } from './types.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`, as in `OPENAI_OPS_DATABASE_URL`. */
  url: string;
  /**
   * Pool size (default 5, or the URL's `max`): one connection for each of the recorder's
   * four writes in flight, and one for pings, replay and reads.
   */
  maxConnections?: number;
  /**
   * Seconds to wait for a connection before a call rejects (default 10, or the URL's
   * `connect_timeout`), so an unreachable database turns into spooled events quickly.
   */
  connectTimeoutSeconds?: number;
  /** Seconds before an idle pooled connection is closed (default 2, or `idle_timeout`). */
  idleTimeoutSeconds?: number;
  /**
   * Named prepared statements (default true). Turn off behind a transaction-mode pooler
   * such as Supabase's port 6543, or add `?prepare=false` to the URL.
   */
  prepare?: boolean;
  /**
   * Whether batches of new rows are written with COPY (default true), which costs the
   * database about half the CPU of the upsert. With false every batch is upserted, as the
   * other stores write, for a proxy in front of the database that does not pass COPY on.
   */
  copy?: boolean;
}

/**
 * Events per write when `OPENAI_OPS_BATCH_SIZE` is not set. A batch is one COPY of its own,
 * and larger ones spread the statement's and the commit's fixed cost over more rows:
 * against 500, about a quarter more events per second and a quarter less CPU on this side
 * (docs/performance.md, "Ingest").
 */
export const POSTGRES_BATCH_SIZE = 2_000;

type Sql = postgres.Sql;
type Session = Sql | postgres.TransactionSql;

/** Forces the extended protocol, which runs exactly one statement, even without parameters. */
const ONE_STATEMENT = { simple: false } as postgres.UnsafeQueryOptions;

/** The URL without password or query string, for messages and `store.location`. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username === '' ? '' : `${decodeURIComponent(parsed.username)}@`;
    const host = parsed.hostname === '' ? 'localhost' : parsed.hostname;
    const port = parsed.port === '' ? '5432' : parsed.port;
    return `${parsed.protocol}//${user}${host}:${port}${parsed.pathname}`;
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

function session(sql: Session): SqlSession {
  return {
    async query(text, params = []) {
      const values = params as postgres.ParameterOrJSON<never>[];
      const options = { ...ONE_STATEMENT, prepare: true } as postgres.UnsafeQueryOptions;
      return Array.from(await sql.unsafe<Record<string, unknown>[]>(text, values, options));
    },
    async exec(script) {
      await sql.unsafe(script);
    },
  };
}

/** What postgres.js's query object carries beyond its documented API. */
interface SettlableQuery {
  reject?: (error: Error) => void;
  writable(): Promise<Writable>;
}

/**
 * Runs a `COPY ... FROM STDIN` fed with `data`. postgres.js (3.4) resolves a copy's query
 * with its stream once the server is ready for data, and when the server then refuses the
 * data it neither fails nor finishes that stream: the error goes only to the query's own,
 * already settled, `reject`. So that `reject` is watched too, and whichever of the two
 * settles first decides. A driver without it cannot report a refusal, and is not used.
 */
async function copyIn(session: Session, statement: string, data: string): Promise<void> {
  const query = session.unsafe(statement) as unknown as SettlableQuery;
  const settle = query.reject;
  if (typeof settle !== 'function') {
    throw new Error('this version of postgres.js cannot report a refused COPY');
  }
  const refused = new Promise<never>((_, reject) => {
    query.reject = (error) => {
      reject(error);
      settle(error);
    };
  });
  // Handled in the race below; this stops a refusal before it from going unhandled.
  refused.catch(() => undefined);
  const writable = await Promise.race([query.writable(), refused]);
  writable.end(data);
  await Promise.race([finished(writable), refused]);
}

function postgresClient(sql: Sql, options: { copy: boolean }): SqlClient {
  const client: SqlClient = {
    ...session(sql),
    async transaction(fn) {
      const result = await sql.begin((tx) => fn(session(tx)));
      return result as Awaited<ReturnType<typeof fn>>;
    },
    async readOnly(text) {
      return sql.begin('read only', async (tx) => {
        const result = await tx.unsafe<unknown[][]>(text, [], ONE_STATEMENT).values();
        return { columns: result.columns.map((c) => c.name), rows: Array.from(result) };
      });
    },
    close: () => sql.end({ timeout: 5 }),
  };
  if (!options.copy) return client;
  return {
    ...client,
    async copyIn(statement, data, timeoutMs) {
      if (timeoutMs === undefined) return copyIn(sql, statement, data);
      await sql.begin(async (tx) => {
        // The database cancels the copy when the caller stops waiting for it. The setting
        // goes out ahead of the copy, without a round trip of its own: the connection runs
        // them in order, and a failed setting fails the copy too.
        const limit = tx.unsafe(
          `set local statement_timeout = ${Math.max(1, Math.ceil(timeoutMs))}`,
        );
        limit.catch(() => undefined);
        await copyIn(tx, statement, data);
        await limit;
      });
    },
  };
}

/** The part of postgres.js's parsed options that its `socket` hook needs. */
interface SocketTarget {
  host: string[];
  port: number[];
  /** A Unix socket's path, or false for TCP. */
  path: string | false;
}

/**
 * postgres.js's `socket` hook (supported, though missing from its type definitions),
 * opening connections as postgres.js itself would (the hosts of a multi-host URL in turn,
 * or the Unix socket) but with Nagle's algorithm off. With it on, the last small message of
 * a COPY waits for the server's delayed acknowledgement of the data before it, about 40 ms
 * per batch on Linux.
 */
function noDelaySockets(): (target: SocketTarget) => net.Socket {
  let next = 0;
  return (target) => {
    if (target.path !== false) return net.connect({ path: target.path });
    const index = next % target.host.length;
    next += 1;
    const host = target.host[index] ?? 'localhost';
    const port = target.port[index] ?? target.port[0] ?? 5432;
    // postgres.js reads `host` from the socket to name the server during TLS negotiation.
    return Object.assign(net.connect({ host, port, noDelay: true }), { host, port });
  };
}

function urlParams(url: string): URLSearchParams {
  try {
    return new URL(url).searchParams;
  } catch {
    return new URLSearchParams();
  }
}

/**
 * postgres.js options. An explicit option wins, then the URL's own query parameter (which
 * postgres.js reads itself), then this store's default.
 */
function connectionOptions(options: PostgresStoreOptions): postgres.Options<never> {
  const inUrl = urlParams(options.url);
  const settings: [keyof postgres.Options<never>, unknown, unknown][] = [
    ['max', options.maxConnections, 5],
    ['connect_timeout', options.connectTimeoutSeconds, 10],
    // Short, so an idle pool does not hold a finished process open (its exit hook flushes).
    ['idle_timeout', options.idleTimeoutSeconds, 2],
    ['prepare', options.prepare, undefined],
  ];
  const chosen = settings
    .map(([name, explicit, fallback]) => [
      name,
      explicit ?? (inUrl.has(name) ? undefined : fallback),
    ])
    .filter(([, value]) => value !== undefined);
  return {
    ...(Object.fromEntries(chosen) as Partial<postgres.Options<never>>),
    // `create ... if not exists` and friends raise notices that would go to stdout.
    onnotice: () => undefined,
    // Reconnect soon after the database returns (the default waits up to 20 s between
    // attempts); the recorder paces its own retries.
    backoff: (attempt: number) => Math.min(0.05 * 2 ** attempt, 1),
    connection: { application_name: 'openai-ops' },
    socket: noDelaySockets(),
  } as postgres.Options<never>;
}

/**
 * The SQL client the Postgres store runs on, for tools that need the same connection
 * handling (benchmarks, tests, the migrations of a deploy step).
 *
 * @example
 * const client = createPostgresClient({ url: process.env.OPENAI_OPS_DATABASE_URL! });
 * await applyMigrations(client, await loadMigrations());
 * await client.close();
 */
export function createPostgresClient(options: PostgresStoreOptions): SqlClient {
  const sql = postgres(options.url, connectionOptions(options));
  return postgresClient(sql, { copy: options.copy ?? true });
}

/**
 * A store in a Postgres database. Connections open lazily, so creating the store never
 * fails on an unreachable server; each call rejects instead.
 *
 * @example
 * const store = createPostgresStore({ url: 'postgres://postgres@127.0.0.1:5432/app' });
 * await store.migrate();
 * await store.writeEvents(rows);
 * const recent = await store.queryEvents({ tags: ['env:prod'], limit: 20 });
 * await store.close();
 */
export function createPostgresStore(options: PostgresStoreOptions): ReadableEventStore {
  const client = createPostgresClient(options);
  return createSqlEventStore({
    kind: 'postgres',
    location: describePostgresUrl(options.url),
    batchSize: POSTGRES_BATCH_SIZE,
    client: () => Promise.resolve(client),
    close: () => client.close(),
  });
}
