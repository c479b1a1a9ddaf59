-- openai-ops: the stores' write rule as a function, for writers that reach the database only
-- through Supabase's REST API (PostgREST). A PostgREST upsert either ignores a duplicate or
-- overwrites every column it was sent; it cannot fill status_code only where it is null, nor
-- skip a row whose debug payload did not change. This function applies the same rule as the
-- openai-ops Postgres and embedded stores, in one statement per copy of a key:
--
--   insert the row; if (request_id, attempt) is already stored, keep the stored row, except
--   when the incoming row carries a debug payload that differs from the stored one: then
--   debug is replaced, and a null status_code is filled from the incoming row or else from
--   the payload's response.status_code. A plain replay updates nothing.
--
-- `rows` is a JSON array of objects keyed by column name. A key may repeat within one call:
-- the first copy of every key is written first, then the second, and so on, as if each had
-- come in a later call. The function runs with the caller's rights (security invoker), so
-- only a role that may write the table can write through it, and it is executable by
-- service_role alone.
--
-- Idempotent like every openai-ops migration: `supabase db push` and the openai-ops stores
-- may both apply it.

create or replace function openai_debug_events_upsert(rows jsonb)
returns void
language plpgsql
security invoker
set search_path from current
as $$
declare
  copies integer;
begin
  if rows is null or jsonb_typeof(rows) <> 'array' then
    raise exception 'openai_debug_events_upsert: rows must be a JSON array of events'
      using errcode = '22023';
  end if;

  select coalesce(max(per_key.n), 0) into copies
  from (
    select count(*) as n
    from jsonb_to_recordset(rows) as incoming(request_id text, attempt integer)
    group by incoming.request_id, incoming.attempt
  ) as per_key;

  for copy_number in 1 .. copies loop
    insert into openai_debug_events as stored (
      request_id, attempt, created_at, endpoint, method, model, status_code, status_class,
      organization, workload, stream, latency_ms, duration_ms, first_chunk_ms, processing_ms,
      input_tokens, output_tokens, cached_tokens, reasoning_tokens, error_type, error_message,
      metadata, debug
    )
    select
      numbered.request_id, numbered.attempt, numbered.created_at, numbered.endpoint,
      numbered.method, numbered.model, numbered.status_code, numbered.status_class,
      numbered.organization, numbered.workload, numbered.stream, numbered.latency_ms,
      numbered.duration_ms, numbered.first_chunk_ms, numbered.processing_ms,
      numbered.input_tokens, numbered.output_tokens, numbered.cached_tokens,
      numbered.reasoning_tokens, numbered.error_type, numbered.error_message,
      numbered.metadata, numbered.debug
    from (
      select
        incoming.*,
        row_number() over (
          partition by incoming.request_id, incoming.attempt order by incoming.ordinality
        ) as copy_index
      from jsonb_populate_recordset(null::openai_debug_events, rows) with ordinality as incoming
    ) as numbered
    where numbered.copy_index = copy_number
    on conflict (request_id, attempt) do update set
      debug = excluded.debug,
      -- Nested CASE because CASE, unlike AND, guarantees the type test runs before the cast.
      status_code = coalesce(
        stored.status_code,
        excluded.status_code,
        case when jsonb_typeof(excluded.debug #> '{response,status_code}') = 'number' then
          case when (excluded.debug #> '{response,status_code}')::numeric between 100 and 599
            then (excluded.debug #> '{response,status_code}')::numeric::integer end end
      )
    where excluded.debug is not null and stored.debug is distinct from excluded.debug;
  end loop;
end
$$;

revoke all on function openai_debug_events_upsert(jsonb) from public;
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'anon') then
    revoke all on function openai_debug_events_upsert(jsonb) from anon;
  end if;
  if exists (select 1 from pg_roles where rolname = 'authenticated') then
    revoke all on function openai_debug_events_upsert(jsonb) from authenticated;
  end if;
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    grant execute on function openai_debug_events_upsert(jsonb) to service_role;
  end if;
end
$$;
