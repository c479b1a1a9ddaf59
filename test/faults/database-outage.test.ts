/**
 * A real outage: the PostgreSQL server behind the store stops for 30 seconds while a
 * service keeps calling OpenAI, then comes back. The scenario runs once; each test checks
 * one promise against what it recorded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  configureOpenAIEvents,
  flushOpenAIEvents,
  getOpenAIEventStats,
  shutdownOpenAIEvents,
  type EventStats,
} from '../../src/events/runtime.js';
import { getOpenAIClientForWorkload } from '../../src/openai/client.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createPostgresStore } from '../../src/stores/postgres-store.js';
import type { ReadableEventStore } from '../../src/stores/types.js';
import { captureLogs, type CapturedLogs } from '../support/log-capture.js';
import { startPostgresServer, type PostgresServer } from '../support/postgres-server.js';
import {
  FAULT_KEY,
  serviceEnv,
  startCallStream,
  storedCounts,
  summarise,
  waitFor,
  type CallRecord,
  type LatencySummary,
  type StoredCounts,
} from './fault-support.js';

const UP_MS = 5_000;
const OUTAGE_MS = 30_000;
const REPLAY_INTERVAL_MS = 500;
/** How soon after the database returns the store must answer again. */
const RECONNECT_BOUND_MS = REPLAY_INTERVAL_MS + 2_000;

interface Outcome {
  calls: CallRecord[];
  stored: StoredCounts;
  stats: EventStats;
  logs: CapturedLogs;
  up: LatencySummary;
  down: LatencySummary;
  /** From `start()` returning to the recorder's first replay. */
  recorderBackMs: number;
  /** From `start()` returning to the first answered ping of a store that kept pinging. */
  storeBackMs: number;
  failuresAfterRestart: { afterRestartMs: number; events: unknown; err: unknown }[];
}

let server: PostgresServer;
let sim: Simulator;
let reader: ReadableEventStore;
let spoolDir: string;
let outcome: Outcome;

beforeAll(async () => {
  server = await startPostgresServer();
  const admin = postgres(server.url, { max: 1, onnotice: () => undefined });
  await admin.unsafe('create database outage');
  await admin.end();
  const url = server.url.replace(/\/postgres$/, '/outage');
  reader = createPostgresStore({ url, connectTimeoutSeconds: 1 });
  await reader.migrate();
  sim = await startSimulator({ keys: [{ key: FAULT_KEY, organization: 'org-faults' }] });
  spoolDir = mkdtempSync(join(tmpdir(), 'openai-ops-outage-'));
  outcome = await runOutage(url);
}, 150_000);

afterAll(async () => {
  await shutdownOpenAIEvents();
  await reader?.close().catch(() => undefined);
  await sim?.close();
  server?.destroy();
  if (spoolDir !== undefined) rmSync(spoolDir, { recursive: true, force: true });
});

describe('PostgreSQL stops for 30 seconds mid-stream', () => {
  it('keeps callers as fast during the outage as before it', () => {
    const { up, down } = outcome;
    expect(down.count).toBeGreaterThan(1_000);
    expect.soft(down.medianMs).toBeLessThanOrEqual(2 * up.medianMs + 5);
    expect.soft(down.p99Ms).toBeLessThanOrEqual(2 * up.p99Ms + 20);
  });

  it('stores every call exactly once after the database returns', () => {
    const { calls, stored } = outcome;
    expect(calls.every((call) => call.requestId !== null)).toBe(true);
    const missing = calls.filter((call) => !stored.requestIds.has(call.requestId ?? ''));
    expect(missing.map((call) => call.requestId)).toEqual([]);
    expect(stored.total).toBe(calls.length);
    expect(stored.distinct).toBe(calls.length);
  });

  it('counts spooled and replayed events and logs the outage and the replay', () => {
    const { stats, logs } = outcome;
    expect(stats.spooled).toBeGreaterThan(0);
    expect(stats.replayed).toBe(stats.spooled);
    expect(stats.dropped).toBe(0);
    expect(logs.events('openai.debug_event_persist_failed').length).toBeGreaterThanOrEqual(1);
    expect(logs.events('openai.events_replayed').length).toBeGreaterThanOrEqual(1);
  });

  it('uses the database again within seconds of its return', () => {
    expect.soft(outcome.storeBackMs).toBeLessThanOrEqual(RECONNECT_BOUND_MS);
    expect.soft(outcome.recorderBackMs).toBeLessThanOrEqual(RECONNECT_BOUND_MS);
    expect.soft(outcome.failuresAfterRestart).toEqual([]);
  });
});

async function runOutage(url: string): Promise<Outcome> {
  const logs = captureLogs();
  const env = serviceEnv(sim.baseURL);
  configureOpenAIEvents({
    env,
    openStore: () => Promise.resolve(createPostgresStore({ url, connectTimeoutSeconds: 1 })),
    settings: { spoolDir, replayIntervalMs: REPLAY_INTERVAL_MS },
    logger: logs.logger,
  });
  const client = getOpenAIClientForWorkload('default', { env, maxRetries: 0 });
  const observer = startPinging(url);

  const stream = startCallStream(client, { concurrency: 3, pauseMs: 20, phase: 'up' });
  await sleep(UP_MS);
  // pg_ctl runs synchronously and holds this process's event loop, which also serves the
  // simulator: calls in flight across those windows measure the test harness, not us.
  const stopWindow = blocking(() => server.stop());
  stream.setPhase('down');
  await sleep(OUTAGE_MS);
  const startWindow = blocking(() => server.start());
  const restartedAt = Date.now();
  stream.setPhase('up');
  await sleep(UP_MS);
  const calls = await stream.stop();
  await waitFor(
    'the pinging store to answer',
    () => observer.answeredSince(restartedAt),
    30_000,
  ).catch(() => undefined);
  const pings = await observer.stop();
  await waitFor('every spooled event to be replayed', () => allReplayed(), 45_000);

  const measured = calls.filter((call) => !overlaps(call, stopWindow, startWindow));
  const firstReplay = logs
    .events('openai.events_replayed')
    .find(({ time }) => Number(time) > restartedAt);
  const result: Outcome = {
    calls,
    stored: await storedCounts(reader),
    stats: getOpenAIEventStats(),
    logs,
    up: summarise(latencies(measured, 'up')),
    down: summarise(latencies(measured, 'down')),
    recorderBackMs: Number(firstReplay?.time ?? Number.NaN) - restartedAt,
    storeBackMs: (pings.find((at) => at > restartedAt) ?? Number.NaN) - restartedAt,
    failuresAfterRestart: logs
      .events('openai.debug_event_persist_failed')
      .filter(({ time }) => Number(time) > restartedAt)
      .map((line) => ({
        afterRestartMs: Number(line.time) - restartedAt,
        events: line.events,
        err: (line.err as { message?: unknown } | undefined)?.message,
      })),
  };
  report(result, calls.length - measured.length);
  return result;
}

/** A store that pings every 250 ms, as a recorder probing for the database would. */
function startPinging(url: string): {
  answeredSince(at: number): boolean;
  stop(): Promise<number[]>;
} {
  const store = createPostgresStore({ url, connectTimeoutSeconds: 1, maxConnections: 1 });
  const answeredAt: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      await store.ping().then(
        () => answeredAt.push(Date.now()),
        () => undefined,
      );
      await sleep(250);
    }
  })();
  return {
    answeredSince: (at) => answeredAt.some((answered) => answered > at),
    async stop() {
      running = false;
      await loop;
      await store.close();
      return answeredAt;
    },
  };
}

function report(result: Outcome, unmeasured: number): void {
  const { up, down, stats } = result;
  console.log(
    `database outage: ${result.calls.length} calls (${unmeasured} in flight across pg_ctl, ` +
      `not measured); up median ${up.medianMs} ms p99 ${up.p99Ms} ms (n=${up.count}); ` +
      `down median ${down.medianMs} ms p99 ${down.p99Ms} ms max ${down.maxMs} ms ` +
      `(n=${down.count}); spooled ${stats.spooled}, replayed ${stats.replayed}, dropped ` +
      `${stats.dropped}; stored ${result.stored.total} rows; after restart: store answers ` +
      `in ${result.storeBackMs} ms, first replay in ${result.recorderBackMs} ms, store ` +
      `failures ${JSON.stringify(result.failuresAfterRestart)}`,
  );
}

/** Runs a blocking step and returns the window it held the event loop. */
function blocking(step: () => void): [number, number] {
  const from = performance.now();
  step();
  return [from, performance.now()];
}

/** Flushes, then tells whether every event has left memory and every spooled one is replayed. */
async function allReplayed(): Promise<boolean> {
  await flushOpenAIEvents();
  const stats = getOpenAIEventStats();
  return (
    stats.replayed >= stats.spooled &&
    stats.queueDepth === 0 &&
    stats.inFlight === 0 &&
    stats.spool.pendingRows === 0
  );
}

function latencies(calls: readonly CallRecord[], phase: string): number[] {
  return calls.filter((call) => call.phase === phase).map((call) => call.latencyMs);
}

function overlaps(call: CallRecord, ...windows: [number, number][]): boolean {
  return windows.some(([from, to]) => call.startedAt < to && call.endedAt > from);
}
