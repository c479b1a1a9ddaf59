/**
 * Ingest: sustained events per second from the recorder into PostgreSQL, next to a raw COPY
 * of the same rows in the same run. Each run starts from an empty table carrying every
 * index of the migrations; methods alternate over several rounds and the median counts.
 * The recorder is fed as a busy service would feed it, in slices between turns of the
 * event loop, holding back while its queue is deep, so that the figure is the rate at
 * which events reach the table (the spool must stay empty).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

import { EventRecorder } from '../src/events/recorder.js';
import {
  DEFAULT_BATCH_SIZE as RECORDER_BATCH_SIZE,
  readRecorderSettings,
} from '../src/events/settings.js';
import { createPostgresStore, POSTGRES_BATCH_SIZE } from '../src/stores/postgres-store.js';
import type { DebugEventRow } from '../src/stores/types.js';
import { makeBenchRow } from './support/bench-rows.js';
import type { Benchmark, BenchmarkResult } from './support/benchmark.js';
import { copyRows } from './support/copy-rows.js';
import { measureCpu, type CpuTime } from './support/cpu-time.js';
import { createBenchDatabase, type BenchDatabase } from './support/database.js';
import type { Flags } from './support/flags.js';
import { createLogCounter } from './support/log-counter.js';
import { formatCount, median, printTable, round } from './support/stats.js';

const TARGET_EVENTS_PER_S = 50_000;
const TARGET_SHARE_OF_COPY = 0.7;
/** The batch size the recorder writes to a Postgres store with when not told otherwise. */
const DEFAULT_BATCH_SIZE = POSTGRES_BATCH_SIZE;
/** Events recorded between turns of the event loop. */
const FEED_SLICE = 250;

interface IngestOptions {
  events: number;
  rounds: number;
  batchSizes: number[];
}

interface Method {
  name: string;
  /** Recorder batch size; absent for raw COPY and for the upsert-only comparison. */
  batchSize?: number;
  /** Writes every row once and returns the elapsed time; the table is empty before. */
  run(db: BenchDatabase, rows: readonly DebugEventRow[], spoolDir: string): Promise<RunOutcome>;
}

interface RunOutcome extends CpuTime {
  /** Events that went to the spool instead of the table; must be 0. */
  spooled: number;
}

interface MethodFigures {
  method: string;
  batchSize: number | null;
  medianEventsPerS: number;
  runsEventsPerS: number[];
  /** Median events/s over the median of raw COPY. */
  shareOfCopy: number;
  /**
   * Median over rounds of this method's rate over raw COPY's rate in the same round: runs
   * close in time are compared, which drift on a shared machine disturbs less.
   */
  pairedShareOfCopy: number;
  /** CPU milliseconds per 1,000 events in this process (median over rounds). */
  clientCpuMsPerThousand: number;
  /** CPU milliseconds per 1,000 events in the PostgreSQL backends; null when unreadable. */
  serverCpuMsPerThousand: number | null;
}

export const ingestBenchmark: Benchmark = {
  name: 'ingest',
  description: 'events/s from the recorder into PostgreSQL, against raw COPY of the same rows',
  flags: {
    events: 'events per run (default 200000)',
    rounds: 'runs of each method, alternated (default 3)',
    'batch-sizes': 'recorder batch sizes to try, comma-separated (default 500,2000,5000)',
  },
  run: (flags) => runIngest(readOptions(flags)),
};

function readOptions(flags: Flags): IngestOptions {
  return {
    events: flags.int('events', 200_000),
    rounds: flags.int('rounds', 3),
    batchSizes: flags.intList('batch-sizes', [RECORDER_BATCH_SIZE, DEFAULT_BATCH_SIZE, 5_000]),
  };
}

async function runIngest(options: IngestOptions): Promise<BenchmarkResult> {
  const db = await createBenchDatabase();
  const spoolDir = await mkdtemp(join(tmpdir(), 'openai-ops-bench-spool-'));
  try {
    const baseMs = Date.now() - options.events;
    const rows = Array.from({ length: options.events }, (_, i) =>
      makeBenchRow(i, 'ingest', baseMs),
    );
    const methods: Method[] = [
      rawCopy,
      ...options.batchSizes.map((size) => recorderMethod(size)),
      recorderMethod(DEFAULT_BATCH_SIZE, { copy: false }),
    ];
    const outcomes = new Map<Method, RunOutcome[]>(methods.map((m) => [m, []]));
    let spooled = 0;

    for (let roundIndex = 0; roundIndex < options.rounds; roundIndex += 1) {
      const order = roundIndex % 2 === 0 ? methods : [...methods].reverse();
      for (const method of order) {
        await resetTable(db);
        const outcome = await method.run(db, rows, spoolDir);
        await expectRows(db, options.events, method.name);
        spooled += outcome.spooled;
        outcomes.get(method)?.push(outcome);
        const eventsPerS = options.events / (outcome.durationMs / 1000);
        const label = `round ${roundIndex + 1}: ${method.name}`;
        console.log(`  ${label.padEnd(30)} ${formatCount(eventsPerS).padStart(7)} events/s`);
      }
    }

    const figures = summarise(methods, outcomes, options.events);
    printSummary(figures);
    const atDefault = figures.find((f) => f.batchSize === DEFAULT_BATCH_SIZE);
    const best = figures.filter((f) => f.batchSize !== null).sort(byRate)[0];
    const targetsMet =
      spooled === 0 &&
      atDefault !== undefined &&
      atDefault.medianEventsPerS >= TARGET_EVENTS_PER_S &&
      atDefault.pairedShareOfCopy >= TARGET_SHARE_OF_COPY;
    return {
      targetsMet,
      options,
      targets: { eventsPerS: TARGET_EVENTS_PER_S, shareOfCopy: TARGET_SHARE_OF_COPY },
      defaultBatchSize: DEFAULT_BATCH_SIZE,
      bestBatchSize: best?.batchSize ?? null,
      spooledDuringRuns: spooled,
      methods: figures,
    };
  } finally {
    await rm(spoolDir, { recursive: true, force: true });
    await db.drop();
  }
}

const rawCopy: Method = {
  name: 'raw COPY',
  async run(db, rows) {
    const cpu = await measureCpu(db.sql, db.name, () =>
      copyRows(db.sql, 'openai_debug_events', rows),
    );
    return { ...cpu, spooled: 0 };
  },
};

/** The recorder at `batchSize`; with `copy: false`, its store upserts every batch. */
function recorderMethod(batchSize: number, store: { copy: boolean } = { copy: true }): Method {
  return {
    name: `recorder, batch ${batchSize}${store.copy ? '' : ', upsert only'}`,
    ...(store.copy ? { batchSize } : {}),
    run: (db, rows, spoolDir) => timeRecorder(db, rows, batchSize, spoolDir, store.copy),
  };
}

/**
 * One recorder with its own store. A warm-up event opens and migrates the store before the
 * clock starts (then is truncated away); the clock stops when `flush()` resolves.
 */
async function timeRecorder(
  db: BenchDatabase,
  rows: readonly DebugEventRow[],
  batchSize: number,
  spoolDir: string,
  copy: boolean,
): Promise<RunOutcome> {
  const store = createPostgresStore({ url: db.url, copy });
  const settings = { ...readRecorderSettings({}), batchSize, spoolDir };
  const recorder = new EventRecorder({
    openStore: () => Promise.resolve(store),
    settings,
    logger: createLogCounter().logger,
  });
  try {
    recorder.record(makeBenchRow(0, 'warm-up', Date.now()));
    await recorder.flush();
    await resetTable(db);

    const cpu = await measureCpu(db.sql, db.name, async () => {
      await feed(recorder, rows, settings.maxQueue / 2);
      await recorder.flush();
    });
    return { ...cpu, spooled: recorder.stats().spooled };
  } finally {
    await recorder.shutdown();
  }
}

/** Records every row, yielding to the event loop between slices and while the queue is deep. */
async function feed(
  recorder: EventRecorder,
  rows: readonly DebugEventRow[],
  maxQueueDepth: number,
): Promise<void> {
  for (let start = 0; start < rows.length; start += FEED_SLICE) {
    for (const row of rows.slice(start, start + FEED_SLICE)) recorder.record(row);
    while (recorder.stats().queueDepth >= maxQueueDepth) await sleep(1);
    await nextTurn();
  }
}

async function resetTable(db: BenchDatabase): Promise<void> {
  await db.sql`truncate openai_debug_events`;
  await db.sql`checkpoint`;
}

async function expectRows(db: BenchDatabase, expected: number, method: string): Promise<void> {
  const counts = await db.countEvents();
  if (counts.rows !== expected || counts.distinctKeys !== expected) {
    const stored = `${counts.rows} rows (${counts.distinctKeys} distinct)`;
    throw new Error(`${method} stored ${stored}, expected ${expected}.`);
  }
}

function summarise(
  methods: readonly Method[],
  outcomes: Map<Method, RunOutcome[]>,
  events: number,
): MethodFigures[] {
  const rateOf = (outcome: RunOutcome): number => events / (outcome.durationMs / 1000);
  const copyRuns = (outcomes.get(rawCopy) ?? []).map(rateOf);
  return methods.map((method) => {
    const runs = outcomes.get(method) ?? [];
    const rates = runs.map(rateOf);
    const perThousand = (cpuMs: number | null): number | null =>
      cpuMs === null ? null : (cpuMs / events) * 1000;
    const serverCpu = runs.map((run) => perThousand(run.serverCpuMs));
    return {
      method: method.name,
      batchSize: method.batchSize ?? null,
      medianEventsPerS: Math.round(median(rates)),
      runsEventsPerS: rates.map((rate) => Math.round(rate)),
      shareOfCopy: round(median(rates) / median(copyRuns), 3),
      pairedShareOfCopy: round(median(rates.map((rate, i) => rate / (copyRuns[i] ?? NaN))), 3),
      clientCpuMsPerThousand: round(median(runs.map((run) => run.clientCpuMs)) / (events / 1000)),
      serverCpuMsPerThousand: serverCpu.includes(null)
        ? null
        : round(median(serverCpu.filter((ms) => ms !== null))),
    };
  });
}

function byRate(a: MethodFigures, b: MethodFigures): number {
  return b.medianEventsPerS - a.medianEventsPerS;
}

function printSummary(figures: readonly MethodFigures[]): void {
  printTable(
    ['method', 'median events/s', 'of COPY', 'paired', 'CPU ms/1k: client', 'server', 'runs'],
    figures.map((f) => [
      f.method,
      formatCount(f.medianEventsPerS),
      `${(f.shareOfCopy * 100).toFixed(0)}%`,
      `${(f.pairedShareOfCopy * 100).toFixed(0)}%`,
      String(f.clientCpuMsPerThousand),
      String(f.serverCpuMsPerThousand ?? 'n/a'),
      f.runsEventsPerS.map(formatCount).join(', '),
    ]),
  );
}
