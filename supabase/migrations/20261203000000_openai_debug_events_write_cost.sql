-- openai-ops: fewer indexes for every insert to maintain.
--
-- Every recorded call is an insert, and every index on the table is updated by each one.
-- Measured as the server's CPU for a COPY of 200,000 typical rows on PostgreSQL 15
-- (bench/stores/index-cost.ts, docs/performance.md): 11 µs a row with the primary key
-- alone, 24 µs with the seven indexes of the first migration, of which (endpoint,
-- created_at) cost 2.3 µs, (status_class, created_at) 2.7 µs and (workload, created_at)
-- 0.8 µs on their own; 19 µs with the indexes as this file leaves them.
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
