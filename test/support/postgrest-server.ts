/**
 * Test equipment: a PostgREST-compatible HTTP server on 127.0.0.1, backed by a real
 * PostgreSQL database, for testing code that talks to Supabase's REST API through
 * `@supabase/supabase-js`. There is no PostgREST binary on these machines, so this server
 * implements the subset of PostgREST's documented wire protocol (docs.postgrest.org, v12:
 * "Tables and Views", "Functions as RPC", "Errors") that the Supabase store sends, and
 * answers anything else with a PostgREST-shaped error instead of guessing:
 *
 * - `GET|HEAD /rest/v1/<table>`: `select=*` or a column list; filters `eq`, `neq`, `gt`,
 *   `gte`, `lt`, `lte`, `cs`, `cd` and `is` on a column or a JSON path (`metadata->tags`);
 *   `order=col.desc,...`; `limit`, `offset`; `Prefer: count=exact` with `Content-Range`
 *   and 206 for a partial page. Run in a READ ONLY transaction, as PostgREST does.
 * - `POST /rest/v1/<table>`: a JSON object or array, `columns`, `on_conflict`, and
 *   `Prefer: resolution=ignore-duplicates|merge-duplicates`, `return=minimal|representation`,
 *   `count=exact`; rows are expanded with `json_populate_recordset` like PostgREST does.
 * - `POST /rest/v1/rpc/<function>`: named arguments from a JSON object; a void function
 *   answers 204, any other its result as JSON. Defaulted or variadic arguments, overloads
 *   and set-returning functions are not supported.
 *
 * Authentication is Supabase's: its API gateway accepts only the project's `apikey` headers
 * (401 with the gateway's `Invalid API key` body otherwise), then PostgREST verifies the
 * `Authorization: Bearer` JWT (HS256 with this server's secret; 401 `PGRST301` when that
 * fails; the anon role without one). Each request then runs in one transaction after
 * `set_config('role', <role claim>, true)` and `set_config('request.jwt.claims', ...)`, so
 * the database's own grants and row-level security decide, exactly as behind PostgREST.
 * PostgreSQL errors come back as `{ code, message, details, hint }` with PostgREST's mapping
 * of SQLSTATE to HTTP status. The schema cache is read afresh on every request, so there is
 * no stale cache to reload. The SQL half lives in postgrest-statements.ts.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import postgres from 'postgres';
import {
  callFunction,
  insertRows,
  pgrst,
  readRows,
  RestError,
  SCHEMA,
  toRestError,
  type Reply,
  type RestRequest,
  type Tx,
} from './postgrest-statements.js';

export interface PostgrestServerOptions {
  /** The database to serve; its `public` schema is exposed. */
  databaseUrl: string;
}

export interface RecordedRequest {
  method: string;
  /** Path below `/rest/v1`, e.g. `/openai_debug_events` or `/rpc/fn`. */
  path: string;
  query: URLSearchParams;
  headers: Headers;
}

export interface PostgrestServer {
  /** The project URL to give supabase-js, `http://127.0.0.1:<port>`. */
  url: string;
  /** Legacy Supabase keys: JWTs signed with this server's secret, the role in the claims. */
  serviceRoleKey: string;
  anonKey: string;
  /** A user's access token with these claims, e.g. `{ role: 'authenticated', org_id }`. */
  signJwt(claims: Record<string, unknown>): string;
  /** Every request received, oldest first. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

interface Identity {
  role: string;
  claims: Record<string, unknown> | null;
}

const JSON_TYPE = 'application/json; charset=utf-8';

function signJwt(secret: string, claims: Record<string, unknown>): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/** The claims of `token` when this server signed it; PostgREST's 401 `PGRST301` otherwise. */
function verifyJwt(secret: string, token: string): Record<string, unknown> {
  const parts = token.split('.');
  const [header, payload, signature] = parts;
  if (parts.length !== 3 || header === undefined || payload === undefined) {
    throw pgrst(401, 'PGRST301', `Expected 3 parts in JWT; got ${parts.length}`);
  }
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const actual = Buffer.from(signature ?? '', 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw pgrst(401, 'PGRST301', 'JWSError JWSInvalidSignature');
  }
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    throw pgrst(401, 'PGRST301', 'JWSError (CompactDecodeError Invalid payload)');
  }
  if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) {
    throw pgrst(401, 'PGRST301', 'JWT expired');
  }
  return claims;
}

function errorResponse(error: RestError): Response {
  const headers: Record<string, string> = { 'Content-Type': JSON_TYPE };
  if (error.status === 401 && error.body.code === 'PGRST301') {
    headers['WWW-Authenticate'] =
      `Bearer error="invalid_token", error_description="${error.message}"`;
  }
  return new Response(JSON.stringify(error.body), { status: error.status, headers });
}

async function parseRequest(c: Context, url: URL): Promise<RestRequest> {
  const prefer = (c.req.header('prefer') ?? '').split(',').map((token) => token.trim());
  let body = '';
  if (c.req.method === 'POST') {
    const type = c.req.header('content-type') ?? '';
    if (!type.startsWith('application/json')) {
      throw pgrst(415, 'PGRST107', `Content-Type not acceptable: ${type}`);
    }
    body = await c.req.text();
  }
  return { query: url.searchParams, prefer: new Set(prefer), body };
}

/**
 * Starts the server on a free loopback port.
 *
 * @example
 * const rest = await startPostgrestServer({ databaseUrl: database.url });
 * const store = await createSupabaseStore({ url: rest.url, serviceRoleKey: rest.serviceRoleKey });
 * await rest.close();
 */
export async function startPostgrestServer(
  options: PostgrestServerOptions,
): Promise<PostgrestServer> {
  const secret = randomBytes(32).toString('hex');
  const serviceRoleKey = signJwt(secret, { role: 'service_role', iss: 'supabase' });
  const anonKey = signJwt(secret, { role: 'anon', iss: 'supabase' });
  const projectKeys = new Set([serviceRoleKey, anonKey]);
  const sql = postgres(options.databaseUrl, { max: 4, onnotice: () => undefined });
  const requests: RecordedRequest[] = [];

  /** Supabase's gateway, then PostgREST's JWT check: the role and claims to run as. */
  function authenticate(c: Context): Identity {
    const apikey = c.req.header('apikey');
    if (apikey === undefined || !projectKeys.has(apikey)) {
      throw new RestError(401, {
        code: null,
        message: apikey === undefined ? 'No API key found in request' : 'Invalid API key',
        details: null,
        hint: 'Double check your Supabase `anon` or `service_role` API key.',
      });
    }
    const bearer = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (bearer === undefined) return { role: 'anon', claims: null };
    const claims = verifyJwt(secret, bearer);
    return { role: typeof claims.role === 'string' ? claims.role : 'anon', claims };
  }

  /** Runs `work` as the request's role in one transaction, and answers as PostgREST does. */
  async function handle(
    c: Context,
    work: (tx: Tx, request: RestRequest) => Promise<Reply>,
  ): Promise<Response> {
    const url = new URL(c.req.url);
    const path = url.pathname.replace(/^\/rest\/v1/, '');
    requests.push({
      method: c.req.method,
      path,
      query: url.searchParams,
      headers: c.req.raw.headers,
    });
    let identity: Identity = { role: 'anon', claims: null };
    try {
      identity = authenticate(c);
      const reading = c.req.method === 'GET' || c.req.method === 'HEAD';
      const profile = c.req.header(reading ? 'accept-profile' : 'content-profile');
      if (profile !== undefined && profile !== SCHEMA) {
        throw pgrst(406, 'PGRST106', `The schema must be one of the following: ${SCHEMA}`);
      }
      const request = await parseRequest(c, url);
      const { role, claims } = identity;
      const reply = await sql.begin(reading ? 'read only' : 'read write', async (tx) => {
        await tx`select set_config('role', ${role}, true),
          set_config('request.jwt.claims', ${JSON.stringify(claims ?? {})}, true),
          set_config('request.method', ${c.req.method}, true),
          set_config('request.path', ${path}, true)`;
        return work(tx, request);
      });
      const headers = { ...reply.headers, 'Content-Type': JSON_TYPE };
      return new Response(reply.body, { status: reply.status, headers });
    } catch (error) {
      return errorResponse(toRestError(error, identity.role));
    }
  }

  const app = new Hono();
  // Hono answers HEAD with the GET route and drops the body, as PostgREST does.
  app.get('/rest/v1/:table', (c) => handle(c, (tx, r) => readRows(tx, c.req.param('table'), r)));
  app.post('/rest/v1/rpc/:fn', (c) => handle(c, (tx, r) => callFunction(tx, c.req.param('fn'), r)));
  app.post('/rest/v1/:table', (c) => handle(c, (tx, r) => insertRows(tx, c.req.param('table'), r)));
  app.all('/rest/v1/*', (c) =>
    errorResponse(pgrst(405, 'PGRST117', `Unsupported HTTP method: ${c.req.method}`)),
  );

  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    serviceRoleKey,
    anonKey,
    signJwt: (claims) => signJwt(secret, claims),
    requests,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      await sql.end({ timeout: 5 });
    },
  };
}
