-- openai-ops: fewer indexes for every insert to maintain.
--
-- Every recorded call is an insert, and every index on the table is updated by each one.
-- Measured with COPY of 200,000 typical rows on PostgreSQL 15 (docs/performance.md), the
-- table costs the server about 8 µs per row without indexes and 23 to 31 µs with all of
-- those of the first migration; (endpoint, created_at) and (workload, created_at) cost
-- about 4.5 and 3.3 µs each, and (status_class, created_at) 3.5 µs.
--
-- What those three served is read as well or nearly so without them:
-- - time-windowed group-bys by endpoint, workload, model or status read the window
--   through the created_at index;
-- - newest-first lists filtered by endpoint or workload walk the created_at index
--   backwards and stop at the page's limit, which is soon for any value in common use;
-- - newest-first lists of failures, the one filter whose rows are rare, get an index of
--   failed calls alone, which a successful call never touches. A query uses it by
--   repeating the predicate: `status_class = '5xx' and status_class <> '2xx'`.
--
-- Idempotent like every openai-ops migration.

drop index if exists openai_debug_events_endpoint_created_at_idx;
drop index if exists openai_debug_events_workload_created_at_idx;
drop index if exists openai_debug_events_status_class_created_at_idx;

create index if not exists openai_debug_events_failures_created_at_idx
  on openai_debug_events (status_class, created_at)
  where status_class <> '2xx';
