/**
 * The SQL half of the test PostgREST server (postgrest-server.ts): how one PostgREST request
 * becomes statements on PostgreSQL, following PostgREST's documented API ("Tables and
 * Views", "Functions as RPC") and its error format ("Errors"). Each function runs inside the
 * request's transaction, after the server has switched to the request's role.
 */
import postgres from 'postgres';

export type Tx = postgres.TransactionSql;

export const SCHEMA = 'public';

/** A PostgREST request once parsed: its query string, `Prefer` tokens and body. */
export interface RestRequest {
  query: URLSearchParams;
  prefer: Set<string>;
  body: string;
}

export interface Reply {
  status: number;
  body: string | null;
  headers: Record<string, string>;
}

export interface ErrorBody {
  code: string | null;
  message: string;
  details: string | null;
  hint: string | null;
}

/** An error answered as PostgREST answers it: a status and `{ code, message, details, hint }`. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
  }
}

/** One of PostgREST's own errors (`PGRSTxxx`). */
export const pgrst = (
  status: number,
  code: string,
  message: string,
  details: string | null = null,
) => new RestError(status, { code, message, details, hint: null });

// PostgREST's "HTTP Status Codes" table: exact SQLSTATEs first, then classes, else 400.
// prettier-ignore
const STATUS_BY_CODE: Record<string, number> = {
  '23503': 409, '23505': 409, '25006': 405, '53400': 500, P0001: 400, '42883': 404,
  '42P01': 404, '42P17': 500,
};
// prettier-ignore
const STATUS_BY_CLASS: Record<string, number> = {
  '08': 503, '09': 500, '0L': 403, '0P': 403, '25': 500, '28': 403, '2D': 500, '38': 500,
  '39': 500, '3B': 500, '40': 500, '53': 503, '54': 500, '55': 500, '57': 500, '58': 500,
  F0: 500, HV: 500, P0: 500, XX: 500,
};

function statusOf(code: string, role: string): number {
  if (code === '42501') return role === 'anon' ? 401 : 403;
  return STATUS_BY_CODE[code] ?? STATUS_BY_CLASS[code.slice(0, 2)] ?? 400;
}

/** `error` as PostgREST would answer it to `role` (42501 is 401 for anon, 403 otherwise). */
export function toRestError(error: unknown, role: string): RestError {
  if (error instanceof RestError) return error;
  if (error instanceof postgres.PostgresError) {
    return new RestError(statusOf(error.code, role), {
      code: error.code,
      message: error.message,
      details: error.detail ?? null,
      hint: error.hint ?? null,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return pgrst(503, 'PGRST000', 'Database connection error. Retrying the connection.', message);
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const qualified = (name: string) => `${ident(SCHEMA)}.${ident(name)}`;

// --- The schema cache, read afresh for every request -----------------------------------

/** A table as the schema cache knows it: its name and its columns' types. */
interface Table {
  name: string;
  columns: Map<string, string>;
}

async function findTable(tx: Tx, name: string): Promise<Table> {
  const rows = await tx<{ name: string; type: string }[]>`
    select a.attname as name, format_type(a.atttypid, a.atttypmod) as type
    from pg_attribute a
    where a.attrelid = to_regclass(${qualified(name)}) and a.attnum > 0 and not a.attisdropped
    order by a.attnum`;
  if (rows.length === 0) {
    const message = `Could not find the table '${SCHEMA}.${name}' in the schema cache`;
    throw pgrst(404, 'PGRST205', message);
  }
  return { name, columns: new Map(rows.map((row) => [row.name, row.type])) };
}

async function primaryKey(tx: Tx, table: Table): Promise<string[]> {
  const rows = await tx<{ name: string }[]>`
    select a.attname as name
    from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
    where i.indrelid = to_regclass(${qualified(table.name)}) and i.indisprimary`;
  return rows.map((row) => row.name);
}

// --- Reading: GET and HEAD on a table ---------------------------------------------------

const RESERVED_PARAMS = new Set(['select', 'order', 'limit', 'offset', 'on_conflict', 'columns']);
// prettier-ignore
const OPERATORS: Record<string, string> = {
  eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=', cs: '@>', cd: '<@',
};
const IS_VALUES = new Set(['null', 'true', 'false', 'unknown']);

/** A filter: SQL around one placeholder, and the value bound to it (none for `is`). */
interface Condition {
  sql: (placeholder: string) => string;
  value?: string;
}

/** A column or JSON path (`metadata->tags`) as SQL, and its type: `->>` yields text. */
function columnExpression(key: string, table: Table): { sql: string; type: string } {
  const [name = '', ...steps] = key.split(/(->>?)/);
  const type = table.columns.get(name);
  if (type === undefined) {
    const message = `column ${table.name}.${name} does not exist`;
    throw new RestError(400, { code: '42703', message, details: null, hint: null });
  }
  let sql = ident(name);
  let resultType = type;
  for (let index = 0; index < steps.length; index += 2) {
    const arrow = steps[index] ?? '->';
    const field = steps[index + 1] ?? '';
    sql += arrow + (/^\d+$/.test(field) ? field : `'${field.replaceAll("'", "''")}'`);
    resultType = arrow === '->>' ? 'text' : type;
  }
  return { sql, type: resultType };
}

/** `eq.value`, `cs.["a"]`, `is.null`: the value is bound, cast to the column's type. */
function parseFilter(key: string, raw: string, table: Table): Condition {
  const dot = raw.indexOf('.');
  const operator = raw.slice(0, dot);
  const value = raw.slice(dot + 1);
  const column = columnExpression(key, table);
  if (operator === 'is' && IS_VALUES.has(value)) return { sql: () => `${column.sql} is ${value}` };
  const sqlOperator = OPERATORS[operator];
  if (dot < 0 || sqlOperator === undefined) {
    throw pgrst(400, 'PGRST100', `"failed to parse filter (${raw})" (line 1, column 1)`);
  }
  return { sql: (p) => `${column.sql} ${sqlOperator} ${p}::text::${column.type}`, value };
}

/** `created_at.desc,attempt.desc.nullslast` as an ORDER BY list. */
function parseOrder(order: string, table: Table): string {
  const terms = order.split(',').map((term) => {
    const [name = '', ...modifiers] = term.split('.');
    const direction = modifiers.includes('desc') ? 'desc' : 'asc';
    const nulls = modifiers.find((m) => m === 'nullsfirst' || m === 'nullslast');
    const suffix = nulls === undefined ? '' : ` nulls ${nulls.slice('nulls'.length)}`;
    return `${columnExpression(name, table).sql} ${direction}${suffix}`;
  });
  return `order by ${terms.join(', ')}`;
}

function parseCount(text: string | null, name: string): number | null {
  if (text === null) return null;
  if (!/^\d+$/.test(text)) throw pgrst(400, 'PGRST100', `"failed to parse ${name} (${text})"`);
  return Number(text);
}

function whereClause(query: URLSearchParams, table: Table) {
  const values: string[] = [];
  const conditions = [...query]
    .filter(([key]) => !RESERVED_PARAMS.has(key))
    .map(([key, raw]) => {
      const condition = parseFilter(key, raw, table);
      if (condition.value === undefined) return condition.sql('');
      values.push(condition.value);
      return condition.sql(`$${values.length}`);
    });
  const where = conditions.length > 0 ? `where ${conditions.join(' and ')}` : '';
  return { where, values };
}

/**
 * A page of rows as one JSON array built by PostgreSQL (`json_agg`, as PostgREST does, so
 * timestamps and numbers are formatted by the database), with `Content-Range` and, under
 * `Prefer: count=exact`, the total and 206 for a partial page.
 */
export async function readRows(tx: Tx, tableName: string, request: RestRequest): Promise<Reply> {
  const table = await findTable(tx, tableName);
  const { query } = request;
  const select = query.get('select') ?? '*';
  const columns =
    select === '*'
      ? '*'
      : select
          .split(',')
          .map((key) => columnExpression(key, table).sql)
          .join(', ');
  const { where, values } = whereClause(query, table);
  const order = query.get('order');
  const limit = parseCount(query.get('limit'), 'limit');
  const offset = parseCount(query.get('offset'), 'offset') ?? 0;

  const page = `select ${columns} from ${qualified(table.name)} ${where}
    ${order === null ? '' : parseOrder(order, table)}
    ${limit === null ? '' : `limit ${limit}`} offset ${offset}`;
  const [result] = await tx.unsafe<{ body: string; n: number }[]>(
    `select coalesce(json_agg(pgrst_t), '[]')::text as body, count(*)::int as n
     from (${page}) pgrst_t`,
    values,
  );
  let total: number | null = null;
  if (request.prefer.has('count=exact')) {
    const counting = `select count(*)::int as n from ${qualified(table.name)} ${where}`;
    total = (await tx.unsafe<{ n: number }[]>(counting, values))[0]?.n ?? 0;
  }

  const n = result?.n ?? 0;
  const range = n === 0 ? '*' : `${offset}-${offset + n - 1}`;
  const partial = total !== null && offset + n < total;
  const headers = { 'Content-Range': `${range}/${total ?? '*'}` };
  return { status: partial ? 206 : 200, body: result?.body ?? '[]', headers };
}

// --- Writing: POST to a table -----------------------------------------------------------

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw pgrst(400, 'PGRST102', 'Empty or invalid json');
  }
}

/** The columns written: `columns=` when given, else the first object's keys. */
function payloadColumns(request: RestRequest, rows: Record<string, unknown>[], table: Table) {
  const listed = request.query.get('columns');
  const names = listed
    ? listed.split(',').map((name) => name.replace(/^"(.*)"$/, '$1'))
    : Object.keys(rows[0] ?? {});
  for (const name of names) {
    if (table.columns.has(name)) continue;
    const message = `Could not find the '${name}' column of '${table.name}' in the schema cache`;
    throw pgrst(400, 'PGRST204', message);
  }
  return names;
}

/** `on conflict ... do nothing | do update`, per `Prefer: resolution=` and `on_conflict`. */
async function conflictClause(tx: Tx, request: RestRequest, table: Table, names: string[]) {
  const resolution = [...request.prefer].find((token) => token.startsWith('resolution='));
  if (resolution === undefined) return '';
  const keys = request.query.get('on_conflict')?.split(',') ?? (await primaryKey(tx, table));
  const target = `on conflict (${keys.map(ident).join(', ')})`;
  if (resolution !== 'resolution=merge-duplicates' || names.length === 0) {
    return `${target} do nothing`;
  }
  const updates = names.map((name) => `${ident(name)} = excluded.${ident(name)}`);
  return `${target} do update set ${updates.join(', ')}`;
}

/**
 * Inserts a JSON object or array, expanded by `json_populate_recordset` (missing keys are
 * null, as under PostgREST's default `missing=null`). Answers 201, with the rows under
 * `Prefer: return=representation` and their number under `count=exact`.
 */
export async function insertRows(tx: Tx, tableName: string, request: RestRequest): Promise<Reply> {
  const table = await findTable(tx, tableName);
  const parsed = parseJson(request.body);
  const rows = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
  const names = payloadColumns(request, rows, table);
  const conflict = await conflictClause(tx, request, table, names);

  const target = qualified(table.name);
  const [result] = await tx.unsafe<{ body: string; n: number }[]>(
    `with pgrst_source as (
       insert into ${target} (${names.map(ident).join(', ')})
       select ${names.map((name) => `pgrst_body.${ident(name)}`).join(', ')}
       from json_populate_recordset(null::${target}, $1::text::json) pgrst_body
       ${conflict}
       returning ${target}.*
     )
     select coalesce(json_agg(pgrst_source), '[]')::text as body, count(*)::int as n
     from pgrst_source`,
    [JSON.stringify(rows)],
  );

  const representation = request.prefer.has('return=representation');
  const total = request.prefer.has('count=exact') ? String(result?.n ?? 0) : '*';
  const body = representation ? (result?.body ?? '[]') : null;
  return { status: 201, body, headers: { 'Content-Range': `*/${total}` } };
}

// --- Functions: POST /rpc/<name> --------------------------------------------------------

interface FunctionSignature {
  names: string[] | null;
  types: string[];
  void: boolean;
}

/**
 * Calls the function whose argument names are exactly the body's keys, binding each
 * argument through `json_to_record` with the function's own types. A void function answers
 * 204 with no body; any other, its result as JSON.
 */
export async function callFunction(tx: Tx, name: string, request: RestRequest): Promise<Reply> {
  const parsed = parseJson(request.body === '' ? '{}' : request.body);
  const args = typeof parsed === 'object' && parsed !== null ? parsed : {};
  const wanted = Object.keys(args).sort();
  const candidates = await tx<FunctionSignature[]>`
    select p.proargnames as names, p.prorettype = 'void'::regtype as void,
      array(select format_type(t, null) from unnest(p.proargtypes::oid[]) t) as types
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = ${SCHEMA} and p.proname = ${name}`;
  const match = candidates.find((c) => [...(c.names ?? [])].sort().join() === wanted.join());
  if (match === undefined) {
    const signature = `${SCHEMA}.${name}(${wanted.join(', ')})`;
    throw pgrst(
      404,
      'PGRST202',
      `Could not find the function ${signature} in the schema cache`,
      `Searched for the function ${SCHEMA}.${name} with parameters ${wanted.join(', ')}, ` +
        'but no matches were found in the schema cache.',
    );
  }

  const params = (match.names ?? []).map((arg, i) => ({ arg, type: match.types[i] ?? 'json' }));
  const bound = params.map(({ arg }) => `${ident(arg)} := pgrst_args.${ident(arg)}`);
  const call = `${qualified(name)}(${bound.join(', ')})`;
  const record = params.map(({ arg, type }) => `${ident(arg)} ${type}`).join(', ');
  const [result] = await tx.unsafe<{ body: string | null }[]>(
    `select ${match.void ? call : `to_json(${call})::text`} as body
     from json_to_record($1::text::json) as pgrst_args(${record})`,
    [JSON.stringify(args)],
  );
  if (match.void) return { status: 204, body: null, headers: {} };
  return { status: 200, body: result?.body ?? 'null', headers: {} };
}
