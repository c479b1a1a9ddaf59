-- openai-ops: one row per OpenAI HTTP attempt, written by the openai-ops recorder.
--
-- Applied by `supabase db push` and by the openai-ops stores (Postgres and embedded PGlite).
-- Every statement is idempotent so the file can run again on a database where it was already
-- applied by the other tool, whose ledger this one cannot see.

-- The openai-ops stores record applied files here; they create it before applying this
-- file, and it is repeated so `supabase db push` leaves the same schema.
create table if not exists openai_ops_migrations (
  name text primary key,
  applied_at timestamptz not null default now()
);

-- Latencies are double precision: timings come from performance.now() and are often below
-- one millisecond against a local server, where integer columns would round them to zero.
create table if not exists openai_debug_events (
  id bigint generated always as identity,
  request_id text not null,
  attempt integer not null default 1 check (attempt >= 1),
  created_at timestamptz not null default now(),
  endpoint text not null,
  method text not null default 'POST',
  model text,
  status_code integer,
  status_class text not null
    check (status_class in ('1xx', '2xx', '3xx', '4xx', '5xx', 'error')),
  organization text,
  workload text not null default 'default',
  stream boolean not null default false,
  latency_ms double precision,
  duration_ms double precision,
  first_chunk_ms double precision,
  processing_ms double precision,
  input_tokens integer,
  output_tokens integer,
  cached_tokens integer,
  reasoning_tokens integer,
  error_type text,
  error_message text,
  metadata jsonb not null default '{}'::jsonb,
  debug jsonb,
  -- The upsert key; its leading column also serves request-id lookups.
  constraint openai_debug_events_pkey primary key (request_id, attempt)
);

create index if not exists openai_debug_events_created_at_idx
  on openai_debug_events (created_at desc);
create index if not exists openai_debug_events_tags_idx
  on openai_debug_events using gin ((metadata -> 'tags') jsonb_path_ops);
create index if not exists openai_debug_events_endpoint_created_at_idx
  on openai_debug_events (endpoint, created_at);
create index if not exists openai_debug_events_status_class_created_at_idx
  on openai_debug_events (status_class, created_at);
create index if not exists openai_debug_events_workload_created_at_idx
  on openai_debug_events (workload, created_at);
create index if not exists openai_debug_events_organization_created_at_idx
  on openai_debug_events (organization, created_at);

-- Supabase's API roles. They exist on Supabase; elsewhere they are created without login so
-- the grants and policies below mean the same everywhere. Roles are cluster-wide, so a
-- concurrent migration of another database may create one first.
do $$
declare
  role_name text;
begin
  foreach role_name in array array['anon', 'authenticated', 'service_role'] loop
    if not exists (select 1 from pg_roles where rolname = role_name) then
      begin
        execute format('create role %I nologin noinherit', role_name);
      exception
        when duplicate_object or unique_violation then null;
        when insufficient_privilege then
          raise notice 'openai-ops: cannot create role %, skipping its grants', role_name;
      end;
    end if;
  end loop;

  if exists (select 1 from pg_roles where rolname = 'service_role' and not rolbypassrls) then
    begin
      alter role service_role bypassrls;
    exception
      when insufficient_privilege then
        raise notice 'openai-ops: service_role lacks BYPASSRLS; its policy below applies';
    end;
  end if;
end
$$;

-- Supabase's auth.jwt(), for databases without Supabase Auth: the claims PostgREST puts in
-- request.jwt.claims (or the older request.jwt.claim). Never replaces an existing one.
create schema if not exists auth;
do $$
begin
  if to_regprocedure('auth.jwt()') is null then
    create function auth.jwt() returns jsonb
    language sql stable
    as $fn$
      select coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
      )::jsonb
    $fn$;
    -- The policy below calls it as the API role (Supabase already grants this).
    if exists (select 1 from pg_roles where rolname = 'authenticated') then
      grant usage on schema auth to authenticated;
    end if;
  end if;
end
$$;

-- RLS is enabled but not forced: the table owner is the openai-ops writer (the Postgres store
-- connects as it) and is trusted like service_role. Forcing would make its writes depend
-- on a policy matching whatever role the operator happens to use.
alter table openai_debug_events enable row level security;
alter table openai_ops_migrations enable row level security;

-- Supabase grants every API role all privileges on new tables in public by default, so
-- access is revoked first and then granted as intended: service_role everything,
-- authenticated read-only (narrowed further by the policy), anon nothing.
revoke all on openai_debug_events from public;
revoke all on openai_ops_migrations from public;
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'anon') then
    revoke all on openai_debug_events, openai_ops_migrations from anon;
  end if;

  if exists (select 1 from pg_roles where rolname = 'authenticated') then
    revoke all on openai_debug_events, openai_ops_migrations from authenticated;
    grant select on openai_debug_events to authenticated;
    -- An authenticated user reads the rows of their own organization: the JWT claim
    -- org_id at the top level (set by a custom access token hook) or else in
    -- app_metadata (set by the server, unlike user_metadata, which users can edit).
    -- Rows without an organization are never visible to them.
    if not exists (
      select 1 from pg_policy
      where polrelid = 'openai_debug_events'::regclass and polname = 'openai_debug_events_org_read'
    ) then
      create policy openai_debug_events_org_read on openai_debug_events
        for select to authenticated
        using (
          organization is not null
          and organization = (
            select coalesce(auth.jwt() ->> 'org_id', auth.jwt() -> 'app_metadata' ->> 'org_id')
          )
        );
    end if;
  end if;

  if exists (select 1 from pg_roles where rolname = 'service_role') then
    grant all on openai_debug_events, openai_ops_migrations to service_role;
    -- Only matters where service_role could not be given BYPASSRLS.
    if not exists (
      select 1 from pg_policy
      where polrelid = 'openai_debug_events'::regclass
        and polname = 'openai_debug_events_service_all'
    ) then
      create policy openai_debug_events_service_all on openai_debug_events
        for all to service_role using (true) with check (true);
    end if;
  end if;
end
$$;

-- Deletes events created before now() - older_than and returns how many. The search path is
-- pinned to the one this file ran with, so callers cannot redirect the table name.
create or replace function openai_debug_events_purge(older_than interval)
returns bigint
language plpgsql
set search_path from current
as $$
declare
  purged bigint;
begin
  if older_than is null or older_than < interval '0' then
    raise exception 'openai_debug_events_purge: older_than must be a non-negative interval';
  end if;
  delete from openai_debug_events where created_at < now() - older_than;
  get diagnostics purged = row_count;
  return purged;
end
$$;

revoke all on function openai_debug_events_purge(interval) from public;
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'anon') then
    revoke all on function openai_debug_events_purge(interval) from anon;
  end if;
  if exists (select 1 from pg_roles where rolname = 'authenticated') then
    revoke all on function openai_debug_events_purge(interval) from authenticated;
  end if;
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    grant execute on function openai_debug_events_purge(interval) to service_role;
  end if;
end
$$;
