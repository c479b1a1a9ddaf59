/**
 * Where the load test's memory goes. Runs the load test's traffic, shaped as the test shapes
 * it (a warm-up of 20% of the calls, then the rest), in a process of its own, and prints one
 * JSON line per memory sample with the recorder's counters beside it, then a summary:
 *
 *   npx tsx test/load/memory-probe.ts --mode bare --calls 30000 --concurrency 1000
 *
 * Modes:
 *   bare          the plain `openai` SDK, no instrumentation: the floor
 *   instrumented  the instrumented client recording to a fresh PostgreSQL database
 *   null-store    the instrumented client recording to a store that accepts every write
 *                 at once, which leaves out the database and the spool
 *
 * Samples are taken after a full garbage collection, as in the test, unless `--raw` is
 * given. Calls go through `reconnectingFetch` (see drive.ts) unless `--no-resend` is given,
 * in which case failed calls are counted. `--snapshot FILE --snapshot-at CALLS` writes a heap
 * snapshot at the sample taken after that many calls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';

import OpenAI from 'openai';
import { pino } from 'pino';

import { collectGarbage } from '../../bench/support/gc.js';
import { startSimulatorProcess } from '../../bench/support/simulator-process.js';
import {
  configureOpenAIEvents,
  flushOpenAIEvents,
  getOpenAIEventStats,
  shutdownOpenAIEvents,
} from '../../src/events/runtime.js';
import { getOpenAIClientForWorkload } from '../../src/openai/client.js';
import { createPostgresStore } from '../../src/stores/postgres-store.js';
import type { EventStore } from '../../src/stores/types.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  driveEmbeddings,
  reconnectingFetch,
  sampleMemory,
  toMb,
  type DriveOptions,
  type MemorySample,
} from './drive.js';

const KEY = 'sk-test-default-key-000000000000dflt';
/** How long the probe waits for the spool's replay after each part of the run. */
const SETTLE_TIMEOUT_MS = 180_000;

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'instrumented' },
    calls: { type: 'string', default: '30000' },
    concurrency: { type: 'string', default: '1000' },
    every: { type: 'string' },
    raw: { type: 'boolean', default: false },
    'no-resend': { type: 'boolean', default: false },
    snapshot: { type: 'string' },
    'snapshot-at': { type: 'string' },
  },
});
const mode = values.mode;
if (mode !== 'bare' && mode !== 'instrumented' && mode !== 'null-store') {
  throw new Error(`--mode must be bare, instrumented or null-store, not ${mode}`);
}
const calls = Number(values.calls);
const concurrency = Number(values.concurrency);
const warmUpCalls = Math.round(calls * 0.2);
const sampleEvery = Number(values.every ?? Math.max(100, Math.round(calls / 50)));

/** A store that takes every write at once: the recorder without a database behind it. */
function nullStore(): EventStore {
  return {
    kind: 'postgres',
    location: 'null',
    migrate: () => Promise.resolve(),
    writeEvents: () => Promise.resolve(),
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

/** Store writes as the store sees them: abandoned ones go on until the database ends them. */
const storeCalls = { started: 0, settled: 0, slowestMs: 0 };

function timedStore(store: EventStore): EventStore {
  const writeEvents: EventStore['writeEvents'] = async (rows, options) => {
    storeCalls.started += 1;
    const began = performance.now();
    try {
      await store.writeEvents(rows, options);
    } finally {
      storeCalls.settled += 1;
      storeCalls.slowestMs = Math.max(storeCalls.slowestMs, performance.now() - began);
    }
  };
  return {
    kind: store.kind,
    location: store.location,
    migrate: () => store.migrate(),
    writeEvents,
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

/** The longest gap between ticks of a 50 ms timer since the last sample: the loop's stalls. */
const loop = { last: performance.now(), maxLagMs: 0 };
setInterval(() => {
  const now = performance.now();
  loop.maxLagMs = Math.max(loop.maxLagMs, now - loop.last - 50);
  loop.last = now;
}, 50).unref();

function recorderFields(): Record<string, unknown> {
  if (mode === 'bare') return {};
  const stats = getOpenAIEventStats();
  return {
    queue: stats.queueDepth,
    inFlight: stats.inFlight,
    storeAvailable: stats.storeAvailable,
    lastStoreError: stats.lastStoreError?.slice(0, 40),
    stored: stats.stored,
    spooled: stats.spooled,
    replayed: stats.replayed,
    spoolPending: stats.spool.pendingRows,
    spoolMb: toMb(stats.spool.bytes),
    storeWrites: storeCalls.started - storeCalls.settled,
    slowestWriteMs: Math.round(storeCalls.slowestMs),
  };
}

function report(sample: MemorySample): void {
  console.log(
    JSON.stringify({
      calls: sample.calls,
      rss: toMb(sample.rss),
      heapUsed: toMb(sample.heapUsed),
      heapTotal: toMb(sample.heapTotal),
      external: toMb(sample.external),
      arrayBuffers: toMb(sample.arrayBuffers),
      ...recorderFields(),
      loopMaxMs: Math.round(loop.maxLagMs),
    }),
  );
  loop.maxLagMs = 0;
  storeCalls.slowestMs = 0;
  if (values.snapshot !== undefined && sample.calls === Number(values['snapshot-at'])) {
    writeHeapSnapshot(values.snapshot);
  }
}

function sample(callsDone: number): MemorySample {
  if (!values.raw) collectGarbage();
  const taken = sampleMemory(callsDone);
  report(taken);
  return taken;
}

/** Every event recorded so far stored or replayed (nothing to wait for without recording). */
async function settle(callsDone: number): Promise<MemorySample> {
  if (mode !== 'bare') {
    await flushOpenAIEvents();
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (let round = 0; Date.now() < deadline; round += 1) {
      const stats = getOpenAIEventStats();
      if (stats.stored + stats.replayed >= stats.recorded && stats.queueDepth === 0) break;
      if (round % 4 === 0) sample(callsDone);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return sample(callsDone);
}

const simulator = await startSimulatorProcess();
let db: TestDatabase | undefined;
const spoolDir = mkdtempSync(join(tmpdir(), 'openai-ops-probe-'));
const transport = { resent: 0 };
const fetch = values['no-resend'] ? globalThis.fetch : reconnectingFetch(transport);
let openai: OpenAI;
if (mode === 'bare') {
  openai = new OpenAI({ apiKey: KEY, baseURL: simulator.baseURL, maxRetries: 0, fetch });
} else {
  let openStore = (): Promise<EventStore> => Promise.resolve(timedStore(nullStore()));
  if (mode === 'instrumented') {
    const database = await createTestDatabase('openai_ops_probe');
    db = database;
    openStore = () => Promise.resolve(timedStore(createPostgresStore({ url: database.url })));
  }
  const env = { OPENAI_API_KEY: KEY, OPENAI_DEBUG_LOGGING: 'true' };
  configureOpenAIEvents({
    env,
    openStore,
    // As in the load test (test/support/pipeline.ts and load.test.ts).
    settings: { spoolDir, flushIntervalMs: 200, batchSize: 500, replayIntervalMs: 100 },
    logger: pino({ level: 'warn' }, pino.destination(2)),
  });
  openai = getOpenAIClientForWorkload('default', {
    env,
    baseURL: simulator.baseURL,
    maxRetries: 0,
    fetch,
  });
}

const drive: Omit<DriveOptions, 'calls'> = {
  concurrency,
  sampleEvery,
  tolerateErrors: true,
  ...(values.raw ? {} : { beforeSample: collectGarbage }),
  onSample: report,
};
const warmUp = await driveEmbeddings(openai, { ...drive, calls: warmUpCalls });
const before = await settle(warmUpCalls);
const run = await driveEmbeddings(openai, {
  ...drive,
  calls: calls - warmUpCalls,
  callsBefore: warmUpCalls,
});
const after = await settle(calls);

// As the test compares them: under load with under load, and idle with idle.
const warmUpPeak = Math.max(...warmUp.samples.map((taken) => taken.rss));
const rssPeak = Math.max(after.rss, ...run.samples.map((taken) => taken.rss));
console.log(
  JSON.stringify({
    mode,
    calls,
    concurrency,
    callsPerSecond: Math.round(((calls - warmUpCalls) / run.elapsedMs) * 1000),
    distinct: warmUp.distinctRequestIds + run.distinctRequestIds,
    errors: warmUp.errors + run.errors,
    errorMessages: [...warmUp.errorMessages, ...run.errorMessages].slice(0, 3),
    resent: transport.resent,
    rssFirst: toMb(warmUp.samples[0]?.rss ?? 0),
    rssPeakWarmUp: toMb(warmUpPeak),
    rssIdleAfterWarmUp: toMb(before.rss),
    rssPeakAfter: toMb(rssPeak),
    rssGrowth: toMb(rssPeak - warmUpPeak),
    rssIdleEnd: toMb(after.rss),
    heapIdleAfterWarmUp: toMb(before.heapUsed),
    heapIdleEnd: toMb(after.heapUsed),
    ...(mode === 'bare' ? {} : { spooled: getOpenAIEventStats().spooled }),
  }),
);

if (mode !== 'bare') await shutdownOpenAIEvents();
await simulator.stop();
await db?.drop();
rmSync(spoolDir, { recursive: true, force: true });
