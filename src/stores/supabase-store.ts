/**
 * The Supabase REST store: debug events through a project's REST API (PostgREST) with
 * `@supabase/supabase-js`, for runtimes that cannot open TCP sockets, such as edge
 * functions. Where a socket is available, the Postgres store on the project's connection
 * string does the same job with less overhead, and can also run ad-hoc SQL and migrations.
 *
 * Writes keep the rule every store keeps (see write-events.ts). A batch without debug
 * payloads is a plain upsert that ignores duplicates, which is exactly that rule for such
 * rows. A PostgREST upsert that merges would overwrite every column it is sent, so a batch
 * carrying debug payloads goes through `openai_debug_events_upsert(rows jsonb)`, a function
 * from supabase/migrations that applies the rule in SQL, in one transaction.
 */
import type { WebSocketLikeConstructor } from '@supabase/supabase-js';
import { OpenAIOpsConfigError } from '../config/errors.js';
import { EVENT_COLUMNS, EVENT_COLUMN_LIST, decodeEventRow } from './event-columns.js';
import { toStorableJson } from './json-text.js';
import { DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT } from './query-events.js';
import { loadSupabaseJs, type SupabaseJs } from './supabase-js.js';
import { restError, type RestErrorContext, type RestFailure } from './supabase-rest-error.js';
import type { DebugEventRow, EventQuery, ReadableEventStore } from './types.js';

export interface SupabaseStoreOptions {
  /** The project URL, `https://<project-ref>.supabase.co`, as in `SUPABASE_URL`. */
  url: string;
  /**
   * The project's service_role key, as in `SUPABASE_SERVICE_ROLE_KEY`. It bypasses row-level
   * security, so it belongs on servers only; it is never shown in `location` or in errors.
   */
  serviceRoleKey: string;
  /** The fetch to send requests with (default: the global `fetch`). */
  fetch?: typeof fetch;
  /** Milliseconds before a request is abandoned and its call rejects (default 10 000). */
  timeoutMs?: number;
  /**
   * How `@supabase/supabase-js` is imported; for tests. Typed loosely so these declarations
   * never name the optional package's types.
   */
  importSupabaseJs?: () => Promise<unknown>;
}

const TABLE = 'openai_debug_events';
const UPSERT_FUNCTION = 'openai_debug_events_upsert';
const DEFAULT_TIMEOUT_MS = 10_000;

/** Equality filters: the `EventQuery` field and the column it compares. */
const EQUALITY_FILTERS = [
  ['requestId', 'request_id'],
  ['statusClass', 'status_class'],
  ['endpoint', 'endpoint'],
  ['model', 'model'],
  ['workload', 'workload'],
] as const satisfies readonly (readonly [keyof EventQuery, string])[];

/**
 * supabase-js builds a Realtime client with every client and, on Node.js 20, refuses to
 * without a WebSocket class. This store never opens Realtime, so it hands over one that
 * says so if anything ever tries.
 */
const realtimeUnused = function RealtimeUnused() {
  throw new Error('The openai-ops Supabase store does not use Supabase Realtime.');
} as unknown as WebSocketLikeConstructor;

/** The project URL without credentials, query or trailing slash: safe to print. */
function projectLocation(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (parsed === undefined || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new OpenAIOpsConfigError(
      "SUPABASE_URL must be the project's https:// URL, e.g. https://abcd.supabase.co.",
      { variable: 'SUPABASE_URL' },
    );
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

/** The `role` claim of a legacy JWT key, or undefined for other keys. */
function jwtRole(key: string): unknown {
  const payload = key.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    // atob rather than Buffer, which edge runtimes may not have.
    const json = atob(payload.replaceAll('-', '+').replaceAll('_', '/'));
    return (JSON.parse(json) as { role?: unknown } | null)?.role;
  } catch {
    return undefined;
  }
}

/** Refuses a key that cannot write: empty, or a public (anon / publishable) key. */
function checkServiceRoleKey(key: string): void {
  const role = jwtRole(key);
  const isPublic = key.startsWith('sb_publishable_') || role === 'anon' || role === 'authenticated';
  if (key.trim() !== '' && !isPublic) return;
  const problem = key.trim() === '' ? 'is empty' : 'holds a public (anon) key, which cannot write';
  throw new OpenAIOpsConfigError(
    `SUPABASE_SERVICE_ROLE_KEY ${problem}. Set it to the project's service_role (secret) key, ` +
      'from Project Settings > API Keys.',
    { variable: 'SUPABASE_SERVICE_ROLE_KEY' },
  );
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_QUERY_LIMIT;
  return Math.min(Math.max(Math.trunc(limit), 1), MAX_QUERY_LIMIT);
}

/**
 * Rows as the table's snake_case JSON objects. supabase-js serialises the body itself, so
 * the rows go through `toStorableJson` and back: a NUL byte or an unpaired surrogate that
 * PostgreSQL's JSON parser refuses would otherwise fail the whole batch on every replay.
 */
function toRestRows(rows: readonly DebugEventRow[]): Record<string, unknown>[] {
  const records = rows.map((row) =>
    Object.fromEntries(EVENT_COLUMNS.map((column) => [column.name, row[column.field] ?? null])),
  );
  return JSON.parse(toStorableJson(records)) as Record<string, unknown>[];
}

interface RestResponse {
  error: RestFailure | null;
  status: number;
}

interface ClientSettings {
  url: string;
  serviceRoleKey: string;
  timeoutMs: number;
  fetch: typeof fetch | undefined;
}

/** A client for the REST API only: no session to keep, no token to refresh, no Realtime. */
function createClient(supabase: SupabaseJs, settings: ClientSettings) {
  return supabase.createClient(settings.url, settings.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    db: { timeout: settings.timeoutMs },
    realtime: { transport: realtimeUnused },
    ...(settings.fetch === undefined ? {} : { global: { fetch: settings.fetch } }),
  });
}

/**
 * Opens a store on a Supabase project's REST API. It imports `@supabase/supabase-js` (an
 * optional peer dependency) and rejects with `OpenAIOpsConfigError` when that package is
 * missing or the URL or key is unusable; it sends no request until a method is called.
 *
 * Without a database connection, `sql()` is refused and `migrate()` only checks that the
 * migrations were applied (`supabase db push`). Reads return at most the project's
 * "Max rows" setting (1000 by default), whatever `limit` asks for, and supabase-js retries
 * them after a network error or a 503 (1 s, 2 s, 4 s). Writes are never retried here: a
 * failed write rejects at once, so the caller can spool its rows.
 *
 * @example
 * const store = await createSupabaseStore({
 *   url: 'https://abcd.supabase.co',
 *   serviceRoleKey: process.env.SUPABASE_SERVICE_ROLE_KEY!,
 * });
 * await store.migrate(); // checks the table and function exist
 * await store.writeEvents(rows);
 */
export async function createSupabaseStore(
  options: SupabaseStoreOptions,
): Promise<ReadableEventStore> {
  const location = projectLocation(options.url);
  checkServiceRoleKey(options.serviceRoleKey);
  const supabase = await loadSupabaseJs(options.importSupabaseJs);
  const client = createClient(supabase, {
    url: location,
    serviceRoleKey: options.serviceRoleKey,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    fetch: options.fetch,
  });
  const context: RestErrorContext = { location, secret: options.serviceRoleKey };

  const check = (action: string, response: RestResponse): void => {
    if (response.error !== null) throw restError(action, response.error, response.status, context);
  };

  /**
   * A one-row read: whether the table is there and readable, answered at once (not retried).
   * A GET, not a HEAD: a HEAD answer has no error body, and supabase-js reports a HEAD that
   * met a missing table (404, empty body) as a success.
   */
  const probeTable = () => client.from(TABLE).select('request_id').limit(1).retry(false);
  /** Calling the upsert function with no rows writes nothing, and proves it is callable. */
  const probeFunction = () => client.rpc(UPSERT_FUNCTION, { rows: [] });

  return {
    kind: 'supabase',
    location,

    async migrate(): Promise<void> {
      check(`check of ${TABLE} (migrate)`, await probeTable());
      check(`check of ${UPSERT_FUNCTION} (migrate)`, await probeFunction());
    },

    async writeEvents(rows: readonly DebugEventRow[]): Promise<void> {
      if (rows.length === 0) return;
      const body = toRestRows(rows);
      const withDebug = rows.some((row) => row.debug !== null && row.debug !== undefined);
      const response = withDebug
        ? await client.rpc(UPSERT_FUNCTION, { rows: body })
        : await client
            .from(TABLE)
            .upsert(body, { onConflict: 'request_id,attempt', ignoreDuplicates: true });
      check(`write to ${TABLE}`, response);
    },

    async queryEvents(query: EventQuery): Promise<DebugEventRow[]> {
      let request = client.from(TABLE).select(EVENT_COLUMN_LIST);
      if (query.since !== undefined) request = request.gte('created_at', query.since.toISOString());
      if (query.tags !== undefined && query.tags.length > 0) {
        // A JSON string, not an array: supabase-js writes arrays as unquoted `{a,b}` literals.
        request = request.contains('metadata->tags', JSON.stringify(query.tags));
      }
      for (const [field, column] of EQUALITY_FILTERS) {
        const value = query[field];
        if (value !== undefined) request = request.eq(column, value);
      }
      // As in query-events.ts: the predicate of the index of failed calls, for the planner.
      if (query.statusClass !== undefined && query.statusClass !== '2xx') {
        request = request.neq('status_class', '2xx');
      }
      const response = await request
        .order('created_at', { ascending: false })
        .order('attempt', { ascending: false })
        .limit(clampLimit(query.limit));
      check(`read of ${TABLE}`, response);
      return (response.data as unknown as Record<string, unknown>[]).map(decodeEventRow);
    },

    sql(): Promise<Record<string, unknown>[]> {
      return Promise.reject(
        new Error(
          "Ad-hoc SQL cannot run through Supabase's REST API. Set OPENAI_OPS_DATABASE_URL to " +
            "the project's Postgres connection string (its Connect panel lists it) to run SQL.",
        ),
      );
    },

    async ping(): Promise<void> {
      check(`ping of ${TABLE}`, await probeTable());
    },

    close: () => Promise.resolve(),
  };
}
