/**
 * A slow database: every insert into `openai_debug_events` sleeps two seconds (a statement
 * trigger calling `pg_sleep`), far beyond the recorder's write timeout, while a service
 * makes thousands of calls. The service runs in a child process started with
 * `--expose-gc`, so its heap is measured after collection.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MAX_WRITES_IN_FLIGHT } from '../../src/events/recorder.js';
import type { EventStats } from '../../src/events/runtime.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createPostgresStore } from '../../src/stores/postgres-store.js';
import type { ReadableEventStore } from '../../src/stores/types.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  FAULT_KEY,
  runFixture,
  serviceEnv,
  storedCounts,
  summarise,
  waitFor,
  type FixtureProcess,
  type LatencySummary,
  type StoredCounts,
} from './fault-support.js';

const HEALTHY_CALLS = 1_000;
const SLOW_CALLS = 2_000;
const WRITE_TIMEOUT_MS = 300;
const MAX_QUEUE = 200;
const BATCH_SIZE = 100;
const MB = 1024 * 1024;
/** Room for the runtime, a replayed batch and the spool's read buffer. */
const SLACK_BYTES = 16 * MB;

interface PhaseLine {
  phase: string;
  latenciesMs: number[];
  heapBeforeBytes: number;
  heapAfterBytes: number;
  heapPeakBytes: number;
  queuePeak: number;
  stats: EventStats;
}

interface DoneLine {
  stats: EventStats;
  replayMs: number;
  logCounts: Record<string, number>;
  requestIds: string[];
}

interface Outcome {
  healthy: PhaseLine;
  slow: PhaseLine;
  done: DoneLine;
  healthyLatency: LatencySummary;
  slowLatency: LatencySummary;
  stored: StoredCounts;
  /** Most store inserts seen running at once while the service sat idle after the load. */
  insertsRunningWhileIdle: number;
}

let sim: Simulator;
let db: TestDatabase;
let admin: postgres.Sql;
let reader: ReadableEventStore;
let spoolDir: string;
let service: FixtureProcess | undefined;
let outcome: Outcome;

beforeAll(async () => {
  sim = await startSimulator({
    keys: [{ key: FAULT_KEY, organization: 'org-faults' }],
    journalLimit: 100,
  });
  db = await createTestDatabase('openai_ops_slow');
  reader = createPostgresStore({ url: db.url });
  await reader.migrate();
  admin = postgres(db.url, { max: 1, onnotice: () => undefined });
  spoolDir = mkdtempSync(join(tmpdir(), 'openai-ops-slow-'));
  outcome = await runLoad();
}, 120_000);

afterAll(async () => {
  service?.child.kill('SIGKILL');
  await admin?.unsafe('drop trigger if exists slow_write on openai_debug_events');
  await admin?.end();
  await reader?.close();
  await db?.drop();
  await sim?.close();
  if (spoolDir !== undefined) rmSync(spoolDir, { recursive: true, force: true });
});

describe('every store write takes two seconds', () => {
  it('keeps callers as fast as with a healthy store', () => {
    const { healthyLatency: healthy, slowLatency: slow } = outcome;
    expect(slow.count).toBeGreaterThan(SLOW_CALLS * 0.9);
    expect.soft(slow.medianMs).toBeLessThanOrEqual(2 * healthy.medianMs + 5);
    expect.soft(slow.p99Ms).toBeLessThanOrEqual(2 * healthy.p99Ms + 20);
  });

  it('sends the overflow to the spool and keeps memory within the configured bounds', () => {
    const { slow } = outcome;
    expect(slow.stats.spooled).toBeGreaterThan(0);
    expect(slow.queuePeak).toBeLessThanOrEqual(MAX_QUEUE + BATCH_SIZE);
    expect(slow.heapPeakBytes - slow.heapBeforeBytes).toBeLessThan(memoryBoundBytes(slow));
  });

  it('does not leave abandoned writes running in the database', () => {
    // By design the recorder runs at most two batch writes and one replay at once; writes it
    // gave up on and left running would come on top of those and fill the pool of four.
    expect(outcome.insertsRunningWhileIdle).toBeLessThanOrEqual(3);
  });

  it('stores every call exactly once after the store is fast again', () => {
    const { done, stored } = outcome;
    expect(done.requestIds).toHaveLength(HEALTHY_CALLS + SLOW_CALLS);
    expect(done.requestIds.filter((id) => !stored.requestIds.has(id))).toEqual([]);
    expect(stored.total).toBe(HEALTHY_CALLS + SLOW_CALLS);
    expect(stored.distinct).toBe(stored.total);
    expect(done.stats.replayed).toBe(done.stats.spooled);
    expect(done.stats.dropped).toBe(0);
    expect(done.logCounts['openai.debug_event_persist_failed']).toBeGreaterThanOrEqual(1);
  });
});

async function runLoad(): Promise<Outcome> {
  service = runFixture(
    'slow-store-load.ts',
    {
      ...serviceEnv(sim.baseURL),
      FAULT_STORE_URL: db.url,
      FAULT_SPOOL_DIR: spoolDir,
      FAULT_HEALTHY_CALLS: String(HEALTHY_CALLS),
      FAULT_SLOW_CALLS: String(SLOW_CALLS),
      FAULT_CONCURRENCY: '4',
      OPENAI_DEBUG_CAPTURE_CONTENT: 'true',
      FAULT_WRITE_TIMEOUT_MS: String(WRITE_TIMEOUT_MS),
      FAULT_MAX_QUEUE: String(MAX_QUEUE),
      FAULT_BATCH_SIZE: String(BATCH_SIZE),
    },
    ['--expose-gc'],
  );
  const healthy = (await nextLine(service, 'phase')) as unknown as PhaseLine;
  await admin.unsafe(`
    create or replace function openai_ops_test_slow_write() returns trigger
    language plpgsql as $$ begin perform pg_sleep(2); return null; end $$;
    create trigger slow_write before insert on openai_debug_events
    for each statement execute function openai_ops_test_slow_write();
  `);
  service.send('slow');
  const slow = (await nextLine(service, 'phase')) as unknown as PhaseLine;
  const insertsRunningWhileIdle = await mostInsertsRunning(2_000);
  await admin.unsafe('drop trigger slow_write on openai_debug_events');
  service.send('heal');
  const done = (await nextLine(service, 'done', 90_000)) as unknown as DoneLine;
  await service.exited(10_000);

  const result: Outcome = {
    healthy,
    slow,
    done,
    healthyLatency: summarise(healthy.latenciesMs),
    slowLatency: summarise(slow.latenciesMs),
    stored: await storedCounts(reader),
    insertsRunningWhileIdle,
  };
  report(result);
  return result;
}

/**
 * Memory the recorder may hold by design: the queue and the writes in flight, plus slack.
 * None of it grows with the call count.
 */
function memoryBoundBytes(slow: PhaseLine): number {
  const bytesPerEvent = slow.stats.spool.bytes / Math.max(1, slow.stats.spooled);
  return (MAX_QUEUE + MAX_WRITES_IN_FLIGHT * BATCH_SIZE) * bytesPerEvent + SLACK_BYTES;
}

/** Samples `pg_stat_activity` for `durationMs` and returns the most openai-ops inserts seen. */
async function mostInsertsRunning(durationMs: number): Promise<number> {
  let most = 0;
  const until = Date.now() + durationMs;
  while (Date.now() < until) {
    const [row] = await admin<{ running: number }[]>`
      select count(*)::int as running from pg_stat_activity
      where application_name = 'openai-ops' and state = 'active'
        and query ilike 'insert into openai_debug_events%'`;
    most = Math.max(most, row?.running ?? 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return most;
}

async function nextLine(
  child: FixtureProcess,
  type: string,
  timeoutMs = 60_000,
): Promise<Record<string, unknown>> {
  const seen = child.lines.length;
  const find = () => child.lines.slice(seen).find((line) => line.type === type);
  await waitFor(
    `the service's "${type}" line`,
    async () => {
      if (find() !== undefined) return true;
      if (child.child.exitCode === null && child.child.signalCode === null) return false;
      await child.exited(5_000); // lets its standard output drain
      if (find() !== undefined) return true;
      throw new Error(`service exited before its "${type}" line: ${child.stderr()}`);
    },
    timeoutMs,
  );
  return find() as Record<string, unknown>;
}

function report(outcome: Outcome): void {
  const { healthy, slow, done, healthyLatency, slowLatency } = outcome;
  const mb = (bytes: number): string => (bytes / MB).toFixed(1);
  console.log(
    `slow database: ${HEALTHY_CALLS} calls with a healthy store, then ${SLOW_CALLS} with a ` +
      `slow one (${slowLatency.count} measured, the rest paused by a forced gc); healthy median ` +
      `${healthyLatency.medianMs} ms p99 ${healthyLatency.p99Ms} ms; slow median ` +
      `${slowLatency.medianMs} ms p99 ${slowLatency.p99Ms} ms max ${slowLatency.maxMs} ms; ` +
      `heap after gc ${mb(slow.heapBeforeBytes)} MB before, ${mb(slow.heapPeakBytes)} MB at ` +
      `most (bound ${mb(slow.heapBeforeBytes + memoryBoundBytes(slow))} MB), ` +
      `${mb(slow.heapAfterBytes)} MB after (healthy phase ${mb(healthy.heapBeforeBytes)} -> ` +
      `${mb(healthy.heapAfterBytes)} MB); ${mb(slow.stats.spool.bytes)} MB of events ` +
      `spooled; queue peak ${slow.queuePeak}; spooled ${slow.stats.spooled} during the slow ` +
      `phase, ${done.stats.spooled} in all, replayed ${done.stats.replayed} in ` +
      `${done.replayMs} ms after healing, dropped ${done.stats.dropped}; inserts still running ` +
      `while idle: ${outcome.insertsRunningWhileIdle}; logs ${JSON.stringify(done.logCounts)}`,
  );
}
