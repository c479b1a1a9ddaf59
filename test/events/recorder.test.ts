import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { EventRecorder, MAX_DEFERRED_BUILDS } from '../../src/events/recorder.js';
import type { RecorderSettings } from '../../src/events/settings.js';
import { createPostgresStore, POSTGRES_BATCH_SIZE } from '../../src/stores/postgres-store.js';
import type { EventStore, ReadableEventStore } from '../../src/stores/types.js';
import { captureLogs, type CapturedLogs } from '../support/log-capture.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeRows } from '../support/rows.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

let db: TestDatabase;
let admin: postgres.Sql;
let reader: ReadableEventStore;
let proxy: TcpProxy;
let spoolDir: string;
const recorders: EventRecorder[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  reader = createPostgresStore({ url: db.url });
  await reader.migrate();
  admin = postgres(db.url, { max: 1, onnotice: () => undefined });
  proxy = await startTcpProxy(Number(new URL(db.url).port || 5432));
});

afterAll(async () => {
  await reader.close();
  await admin.end();
  await proxy.close();
  await db.drop();
});

afterEach(async () => {
  await proxy.restore().catch(() => undefined);
  for (const recorder of recorders.splice(0)) await recorder.shutdown();
  await admin`truncate openai_debug_events`;
  rmSync(spoolDir, { recursive: true, force: true });
});

function proxiedUrl(): string {
  const url = new URL(db.url);
  url.port = String(proxy.port);
  return url.href;
}

function recorderSettings(settings: Partial<RecorderSettings> = {}): RecorderSettings {
  return {
    batchSize: 200,
    flushIntervalMs: 10,
    maxQueue: 5_000,
    writeTimeoutMs: 2_000,
    spoolDir,
    spoolMaxBytes: 0,
    spoolWriteIntervalMs: 20,
    replayIntervalMs: 100,
    flushOnExit: false,
    ...settings,
  };
}

function startRecorder(
  logs: CapturedLogs,
  settings: Partial<RecorderSettings> = {},
  openStore: () => Promise<EventStore> = () =>
    Promise.resolve(createPostgresStore({ url: proxiedUrl(), connectTimeoutSeconds: 1 })),
) {
  const recorder = new EventRecorder({
    openStore,
    logger: logs.logger,
    settings: recorderSettings(settings),
  });
  recorders.push(recorder);
  return recorder;
}

async function storedCount(): Promise<{ total: number; distinct: number }> {
  const [row] = await reader.sql(
    'select count(*)::int as total, count(distinct (request_id, attempt))::int as distinct ' +
      'from openai_debug_events',
  );
  return { total: Number(row?.total), distinct: Number(row?.distinct) };
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not met in time');
}

describe('EventRecorder', () => {
  it('stores recorded events in batches', async () => {
    spoolDir = mkdtempSync(join(tmpdir(), 'openai-ops-recorder-'));
    const recorder = startRecorder(captureLogs());
    for (const row of makeRows(1_000)) recorder.record(row);
    await recorder.flush();
    expect(recorder.stats()).toMatchObject({ recorded: 1_000, stored: 1_000, spooled: 0 });
    expect(await storedCount()).toEqual({ total: 1_000, distinct: 1_000 });
  });

  it("writes batches of the store's own size unless OPENAI_OPS_BATCH_SIZE sets one", async () => {
    spoolDir = mkdtempSync(join(tmpdir(), 'openai-ops-recorder-'));
    /** Sizes of the batches a recorder hands its store, with `batchSize` as set. */
    async function batchSizes(batchSize: number | undefined, firstRow: number): Promise<number[]> {
      const sizes: number[] = [];
      const store = createPostgresStore({ url: db.url });
      const watched: EventStore = {
        ...store,
        writeEvents(rows, options) {
          sizes.push(rows.length);
          return store.writeEvents(rows, options);
        },
      };
      const recorder = startRecorder(captureLogs(), { batchSize }, () => Promise.resolve(watched));
      // The first event opens the store, which is when the recorder learns its batch size.
      for (const row of makeRows(1, firstRow)) recorder.record(row);
      await recorder.flush();
      for (const row of makeRows(5_000, firstRow + 1)) recorder.record(row);
      await recorder.flush();
      return sizes.slice(1);
    }

    const chosenByStore = await batchSizes(undefined, 100_000);
    expect(Math.max(...chosenByStore)).toBe(POSTGRES_BATCH_SIZE);
    expect(chosenByStore.reduce((sum, size) => sum + size, 0)).toBe(5_000);
    const chosenBySetting = await batchSizes(300, 200_000);
    expect(Math.max(...chosenBySetting)).toBe(300);
    expect(await storedCount()).toEqual({ total: 10_002, distinct: 10_002 });
  });

  it("builds deferred events off the caller's path, a bounded number at a time", async () => {
    spoolDir = mkdtempSync(join(tmpdir(), 'openai-ops-recorder-'));
    const recorder = startRecorder(captureLogs(), { batchSize: 2_000, flushIntervalMs: 60_000 });
    const rows = makeRows(MAX_DEFERRED_BUILDS + 10, 300_000);
    let built = 0;
    for (const row of rows) {
      recorder.defer(() => {
        built += 1;
        return row;
      });
    }
    expect(built).toBe(0);
    // Past the bound they are built on the next turn, without waiting for a full batch.
    await new Promise((resolve) => setImmediate(resolve));
    expect(built).toBe(rows.length);
    expect(recorder.stats().queueDepth).toBe(rows.length);
    await recorder.flush();
    expect(await storedCount()).toEqual({ total: rows.length, distinct: rows.length });
  });

  it('spools events while Postgres is down and replays each exactly once', async () => {
    spoolDir = mkdtempSync(join(tmpdir(), 'openai-ops-recorder-'));
    const logs = captureLogs();
    const recorder = startRecorder(logs);
    for (const row of makeRows(500)) recorder.record(row);
    await recorder.flush();

    await proxy.cut();
    const started = performance.now();
    for (const row of makeRows(3_000, 500)) recorder.record(row);
    const recordMs = performance.now() - started;
    await recorder.flush();
    await waitFor(() => recorder.stats().spooled >= 3_000);
    expect(recorder.stats().storeAvailable).toBe(false);
    expect(readdirSync(spoolDir).length).toBeGreaterThan(0);
    expect(logs.events('openai.debug_event_persist_failed').length).toBeGreaterThanOrEqual(1);
    expect(recordMs).toBeLessThan(1_000);

    await proxy.restore();
    await waitFor(() => recorder.stats().replayed >= recorder.stats().spooled);
    await recorder.flush();
    expect(await storedCount()).toEqual({ total: 3_500, distinct: 3_500 });
    expect(logs.events('openai.events_replayed').length).toBeGreaterThanOrEqual(1);
    const stats = recorder.stats();
    expect(stats.stored + stats.replayed).toBeGreaterThanOrEqual(3_500);
    expect(stats.dropped).toBe(0);
  });

  it('keeps live batches off a store whose pings answer while its writes time out', async () => {
    spoolDir = mkdtempSync(join(tmpdir(), 'openai-ops-recorder-'));
    // Pings answer at once; while `slow`, a write takes far longer than the write timeout.
    let slow = true;
    const stored = new Set<string>();
    const store: EventStore = {
      kind: 'postgres',
      location: 'a slow database',
      migrate: () => Promise.resolve(),
      ping: () => Promise.resolve(),
      close: () => Promise.resolve(),
      async writeEvents(rows) {
        if (slow) await new Promise((resolve) => setTimeout(resolve, 1_000));
        else for (const row of rows) stored.add(`${row.requestId}:${row.attempt}`);
      },
    };
    const logs = captureLogs();
    const recorder = new EventRecorder({
      openStore: () => Promise.resolve(store),
      logger: logs.logger,
      settings: {
        batchSize: 50,
        flushIntervalMs: 10,
        maxQueue: 5_000,
        writeTimeoutMs: 100,
        spoolDir,
        spoolMaxBytes: 0,
        spoolWriteIntervalMs: 20,
        replayIntervalMs: 100,
        flushOnExit: false,
      },
    });
    recorders.push(recorder);

    // Ten rounds of traffic across about ten replay intervals.
    for (let round = 0; round < 10; round += 1) {
      for (const row of makeRows(50, round * 50)) recorder.record(row);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await recorder.flush();
    expect(recorder.stats().storeAvailable).toBe(false);
    // The failure is reported when the store starts failing, not again at every ping.
    expect(logs.events('openai.debug_event_persist_failed').length).toBeLessThanOrEqual(2);

    slow = false;
    await waitFor(() => stored.size === 500 && recorder.stats().storeAvailable);
    expect(recorder.stats()).toMatchObject({ recorded: 500, dropped: 0 });
  });

  it('replays a spool left by an earlier process on start', async () => {
    spoolDir = mkdtempSync(join(tmpdir(), 'openai-ops-recorder-'));
    await proxy.cut();
    const first = startRecorder(captureLogs());
    for (const row of makeRows(700)) first.record(row);
    await first.shutdown();
    recorders.splice(recorders.indexOf(first), 1);
    expect(await storedCount()).toEqual({ total: 0, distinct: 0 });

    await proxy.restore();
    const second = startRecorder(captureLogs());
    await waitFor(() => second.stats().replayed === 700);
    expect(await storedCount()).toEqual({ total: 700, distinct: 700 });
  });

  it('never duplicates a row that reaches the store twice', async () => {
    spoolDir = mkdtempSync(join(tmpdir(), 'openai-ops-recorder-'));
    const rows = makeRows(300);
    const lines = rows.map((row) => JSON.stringify(row)).join('\n');
    writeFileSync(join(spoolDir, '20260101T000000000Z-1-000001.ndjson'), `${lines}\n`);
    const recorder = startRecorder(captureLogs());
    for (const row of rows) recorder.record(row);
    await recorder.flush();
    await waitFor(() => recorder.stats().replayed === 300);
    expect(await storedCount()).toEqual({ total: 300, distinct: 300 });
  });

  it('skips a line cut short by a crash and replays the rest', async () => {
    spoolDir = mkdtempSync(join(tmpdir(), 'openai-ops-recorder-'));
    const rows = makeRows(10);
    const text = `${rows.map((row) => JSON.stringify(row)).join('\n')}\n{"requestId":"req_cut`;
    writeFileSync(join(spoolDir, '20260101T000000000Z-1-000001.ndjson'), text);
    const logs = captureLogs();
    startRecorder(logs);
    await waitFor(() => logs.events('openai.events_replayed').length > 0);
    expect(logs.events('openai.events_replayed')[0]).toMatchObject({ events: 10, skipped: 1 });
    expect(await storedCount()).toEqual({ total: 10, distinct: 10 });
  });

  it('counts and logs spool write failures without failing the caller', async () => {
    spoolDir = mkdtempSync(join(tmpdir(), 'openai-ops-recorder-'));
    const blocker = join(spoolDir, 'not-a-directory');
    writeFileSync(blocker, 'x');
    await proxy.cut();
    const logs = captureLogs();
    const recorder = startRecorder(logs, { spoolDir: join(blocker, 'spool') });
    for (const row of makeRows(50)) recorder.record(row);
    await recorder.flush();
    expect(recorder.stats().spool.writeErrors).toBeGreaterThan(0);
    expect(recorder.stats().spool.lastWriteError).toMatch(/ENOTDIR|EEXIST/);
    expect(logs.events('openai.spool_write_failed').length).toBeGreaterThan(0);
    expect(readFileSync(blocker, 'utf8')).toBe('x');
  });
});
