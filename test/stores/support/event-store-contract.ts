/**
 * The behaviour every SQL-backed store promises, run against each store by its test file:
 * idempotent writes, the debug fill-in rule, every query filter, and the runbook's query.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { DebugEventRow, ReadableEventStore } from '../../../src/stores/types.js';
import { makeRow, runId } from './rows.js';

/** Rows of one workload of their own, so a test's queries see only its rows. */
function rowsOf(workload: string, count: number): DebugEventRow[] {
  return Array.from({ length: count }, () => makeRow({ workload }));
}

export function describeEventStoreContract(getStore: () => ReadableEventStore): void {
  let store: ReadableEventStore;
  beforeAll(() => {
    store = getStore();
  });

  const byWorkload = (workload: string) => store.queryEvents({ workload, limit: 1000 });

  describe('migrations', () => {
    it('migrates again without error', async () => {
      await store.migrate();
      await store.migrate();
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });

  describe('writeEvents', () => {
    it('round-trips every field', async () => {
      const row = makeRow({
        debug: { response: { status_code: 200 }, trace: ['a', 1, null, { nested: true }] },
      });
      await store.writeEvents([row]);
      expect(await store.queryEvents({ requestId: row.requestId })).toEqual([row]);
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
    });

    it('stores a batch written twice once, without rewriting its rows', async () => {
      const workload = `twice-${runId()}`;
      const batch = rowsOf(workload, 3);
      const versions = () =>
        store.sql(`select xmin::text from openai_debug_events where workload = '${workload}'`);
      await store.writeEvents(batch);
      const before = await versions();
      await store.writeEvents(batch);
      expect(await byWorkload(workload)).toHaveLength(3);
      expect(await versions()).toEqual(before);
    });

    it('stores each row once across overlapping batches, keeping the first copy', async () => {
      const workload = `overlap-${runId()}`;
      const rows = rowsOf(workload, 5);
      await store.writeEvents(rows.slice(0, 3));
      const changed = rows.slice(2).map((row) => ({ ...row, latencyMs: 1, model: 'other' }));
      await store.writeEvents([rows[1]!, ...changed]);
      const stored = await byWorkload(workload);
      expect(stored).toHaveLength(5);
      expect(stored.find((r) => r.requestId === rows[2]!.requestId)).toEqual(rows[2]);
    });

    it('stores a key repeated within one batch once, with debug from the later copy', async () => {
      const row = makeRow();
      const withDebug = { ...row, debug: { response: { status_code: 200 } } };
      await store.writeEvents([row, withDebug, row]);
      expect(await store.queryEvents({ requestId: row.requestId })).toEqual([withDebug]);
    });

    it('fills debug and a missing status code when a row is re-sent with debug', async () => {
      const timedOut = makeRow({ statusCode: null, statusClass: 'error', errorType: 'timeout' });
      await store.writeEvents([timedOut]);
      const debug = { response: { status_code: 200, headers: {} }, id: timedOut.requestId };
      await store.writeEvents([{ ...timedOut, debug, latencyMs: 5 }]);
      await store.writeEvents([timedOut]);
      const [stored] = await store.queryEvents({ requestId: timedOut.requestId });
      expect(stored).toEqual({ ...timedOut, debug, statusCode: 200 });
    });

    it('keeps a stored status code when the debug payload reports another', async () => {
      const failed = makeRow({ statusCode: 502, statusClass: '5xx' });
      await store.writeEvents([failed]);
      const debug = { response: { status_code: 'not a number' } };
      await store.writeEvents([{ ...failed, debug }]);
      await store.writeEvents([{ ...failed, debug: { response: { status_code: 200 } } }]);
      const [stored] = await store.queryEvents({ requestId: failed.requestId });
      expect(stored).toEqual({ ...failed, debug: { response: { status_code: 200 } } });
    });

    it('stores NUL bytes and unpaired surrogates instead of failing the batch', async () => {
      const row = makeRow({
        errorMessage: 'bad\u0000byte',
        metadata: { tags: ['note:cut\ud83d'], quota_tag: null, 'key\u0000': 'x' },
      });
      await store.writeEvents([row]);
      const [stored] = await store.queryEvents({ requestId: row.requestId });
      expect(stored?.errorMessage).toBe('badbyte');
      expect(stored?.metadata).toEqual({ tags: ['note:cut\ufffd'], quota_tag: null, key: 'x' });
    });

    it('resolves at once for an empty batch', async () => {
      await expect(store.writeEvents([])).resolves.toBeUndefined();
    });
  });

  describe('queryEvents', () => {
    const workload = `query-${runId()}`;
    const hostile = `note:it's "quoted"'); drop table openai_debug_events; --`;
    const at = (minute: number) => new Date(Date.UTC(2026, 1, 1, 0, minute)).toISOString();
    const rows = [
      makeRow({ workload, createdAt: at(1), endpoint: '/embeddings', model: 'text-3' }),
      makeRow({ workload, createdAt: at(2), statusCode: 429, statusClass: '4xx' }),
      makeRow({
        workload,
        createdAt: at(3),
        metadata: { tags: ['env:dev', hostile], quota_tag: 'q' },
      }),
      makeRow({ workload, createdAt: at(4), attempt: 1 }),
    ];
    const retry = { ...rows[3]!, attempt: 2, createdAt: at(4) };

    beforeAll(async () => {
      await store.writeEvents([...rows, retry]);
    });

    const ids = (found: DebugEventRow[]) => found.map((r) => `${r.requestId}#${r.attempt}`);
    const id = (row: DebugEventRow) => `${row.requestId}#${row.attempt}`;

    it('returns rows newest first, a retry before its first attempt, up to the limit', async () => {
      const found = await store.queryEvents({ workload, limit: 3 });
      expect(ids(found)).toEqual([id(retry), id(rows[3]!), id(rows[2]!)]);
    });

    it('filters by since', async () => {
      const found = await store.queryEvents({ workload, since: new Date(at(3)) });
      expect(ids(found)).toEqual([id(retry), id(rows[3]!), id(rows[2]!)]);
    });

    it('filters by tags, matching every tag given', async () => {
      expect(ids(await store.queryEvents({ workload, tags: ['env:dev'] }))).toEqual([id(rows[2]!)]);
      const both = await store.queryEvents({ workload, tags: ['env:prod', 'status:2xx'] });
      expect(both).toHaveLength(4);
    });

    it('treats quotes and SQL in a tag as data', async () => {
      expect(ids(await store.queryEvents({ tags: [hostile] }))).toEqual([id(rows[2]!)]);
      expect(await store.queryEvents({ tags: ["x'); select 1; --"] })).toEqual([]);
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('filters by status class, endpoint, model and request id', async () => {
      expect(ids(await store.queryEvents({ workload, statusClass: '4xx' }))).toEqual([
        id(rows[1]!),
      ]);
      expect(ids(await store.queryEvents({ workload, endpoint: '/embeddings' }))).toEqual([
        id(rows[0]!),
      ]);
      expect(ids(await store.queryEvents({ workload, model: 'text-3' }))).toEqual([id(rows[0]!)]);
      expect(ids(await store.queryEvents({ requestId: rows[3]!.requestId }))).toEqual([
        id(retry),
        id(rows[3]!),
      ]);
    });
  });

  describe('sql', () => {
    it("runs the runbook's query verbatim, tags as an array", async () => {
      const workload = `runbook-${runId()}`;
      const latest = makeRow({ workload, createdAt: '2099-01-01T00:00:00.000Z' });
      await store.writeEvents([latest]);
      const result = await store.sql(
        `select request_id, endpoint, metadata->'tags', metadata->>'quota_tag'
from openai_debug_events order by created_at desc limit 5;`,
      );
      expect(result.length).toBeGreaterThanOrEqual(1);
      expect(result.length).toBeLessThanOrEqual(5);
      expect(Object.values(result[0]!)).toEqual([
        latest.requestId,
        latest.endpoint,
        latest.metadata.tags,
        'fin-q1',
      ]);
      expect(Object.keys(result[0]!)).toEqual(['request_id', 'endpoint', '?column?', '?column?_2']);
    });

    it('refuses to write, even with a second statement', async () => {
      await expect(store.sql('delete from openai_debug_events')).rejects.toThrow(/only SELECT/);
      await expect(
        store.sql('with gone as (delete from openai_debug_events returning 1) select * from gone'),
      ).rejects.toThrow(/read-only/);
      await expect(store.sql('commit; delete from openai_debug_events')).rejects.toThrow();
      expect(
        (await store.sql('select count(*) > 0 as has_rows from openai_debug_events'))[0],
      ).toEqual({
        has_rows: true,
      });
    });
  });
}
