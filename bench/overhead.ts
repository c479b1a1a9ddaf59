/**
 * Request-path overhead: the same calls through the bare SDK and through the instrumented
 * client, against the simulator running in a child process, with events really going to
 * PostgreSQL. Calls are sequential and timed one by one; the two clients alternate in
 * blocks (bare first, then instrumented first, and so on) so drift on a shared machine
 * affects both alike. Afterwards every instrumented call's event must be in Postgres.
 */
import OpenAI from 'openai';

import { flushOpenAIEvents, getOpenAIEventStats, type EventStats } from '../src/events/runtime.js';
import { getOpenAIClientForWorkload } from '../src/openai/client.js';
import type { Benchmark, BenchmarkResult } from './support/benchmark.js';
import { createBenchDatabase, type EventCounts } from './support/database.js';
import type { Flags } from './support/flags.js';
import { BENCH_API_KEY, instrumentedEnv, startRecording } from './support/recording.js';
import { makeCall, REQUEST_KINDS, type RequestKind } from './support/requests.js';
import { startSimulatorProcess } from './support/simulator-process.js';
import { formatCount, formatRatio, median, printTable, quantile, round } from './support/stats.js';

/** The target: the instrumented median within 3% of the bare one. */
const MAX_MEDIAN_RATIO = 1.03;

type Side = 'bare' | 'instrumented';
type Clients = Record<Side, OpenAI>;

interface OverheadOptions {
  /** Timed calls per request kind and per client. */
  calls: number;
  /** Timed calls per client of `embeddings-batch`, which is ten times slower. */
  batchCalls: number;
  /** Consecutive calls of one client before switching to the other. */
  blockSize: number;
  /** Untimed calls per kind and client before timing starts. */
  warmupCalls: number;
  /** Delay the simulator adds before every response, standing in for the API's own time. */
  serverLatencyMs: number;
}

interface SideFigures {
  medianMs: number;
  p95Ms: number;
  /** CPU time of this process per call, user plus system, background work included. */
  cpuUsPerCall: number;
}

interface KindFigures {
  kind: RequestKind;
  bare: SideFigures;
  instrumented: SideFigures;
  /** Instrumented median minus bare median. */
  medianDiffMs: number;
  /** Instrumented median over bare median. */
  medianRatio: number;
  p95Ratio: number;
}

export const overheadBenchmark: Benchmark = {
  name: 'overhead',
  description: 'per-call latency, bare SDK against the instrumented client (simulator)',
  flags: {
    calls: 'timed calls per request kind and client (default 1000)',
    'batch-calls': 'timed calls per client of embeddings-batch (default 100)',
    block: 'calls of one client before switching to the other (default 50)',
    warmup: 'untimed calls per request kind and client first (default 100)',
    'server-latency-ms': 'delay the simulator adds before each response (default 0)',
  },
  run: (flags) => runOverhead(readOptions(flags)),
};

function readOptions(flags: Flags): OverheadOptions {
  return {
    calls: flags.int('calls', 1000),
    batchCalls: flags.int('batch-calls', 100),
    blockSize: flags.int('block', 50),
    warmupCalls: flags.int('warmup', 100),
    serverLatencyMs: flags.int('server-latency-ms', 0, 0),
  };
}

async function runOverhead(options: OverheadOptions): Promise<BenchmarkResult> {
  const db = await createBenchDatabase();
  const simulator = await startSimulatorProcess(options.serverLatencyMs);
  const env = instrumentedEnv(simulator.baseURL);
  const recording = await startRecording({ env, storeUrl: db.url });
  try {
    const clients: Clients = {
      bare: new OpenAI({
        apiKey: BENCH_API_KEY,
        baseURL: simulator.baseURL,
        organization: 'org-bench',
        maxRetries: 0,
      }),
      instrumented: getOpenAIClientForWorkload('default', { env, maxRetries: 0 }),
    };
    const kinds: KindFigures[] = [];
    let instrumentedCalls = 0;
    for (const kind of REQUEST_KINDS) {
      const measured = await measureKind(kind, clients, planFor(kind, options));
      kinds.push(measured.figures);
      instrumentedCalls += measured.instrumentedCalls;
    }

    await flushOpenAIEvents();
    const stats = getOpenAIEventStats();
    const counts = await db.countEvents();
    printSummary(kinds, instrumentedCalls, counts, stats);
    const eventsComplete = counts.rows === instrumentedCalls && counts.distinctKeys === counts.rows;
    return {
      targetsMet: eventsComplete && kinds.every((k) => k.medianRatio <= MAX_MEDIAN_RATIO),
      options,
      targetMedianRatio: MAX_MEDIAN_RATIO,
      kinds,
      events: {
        instrumentedCalls,
        rowsInPostgres: counts.rows,
        distinctKeys: counts.distinctKeys,
        recorded: stats.recorded,
        stored: stats.stored,
        spooled: stats.spooled,
        dropped: stats.dropped,
        complete: eventsComplete,
      },
      logEvents: recording.logs.counts(),
    };
  } finally {
    await recording.stop();
    await simulator.stop();
    await db.drop();
  }
}

interface KindPlan {
  calls: number;
  blockSize: number;
  warmupCalls: number;
}

/** The large batch takes about ten times as long per call, so it gets a tenth of the calls. */
function planFor(kind: RequestKind, options: OverheadOptions): KindPlan {
  if (kind !== 'embeddings-batch') return options;
  return {
    calls: options.batchCalls,
    blockSize: Math.max(1, Math.round(options.blockSize / 5)),
    warmupCalls: Math.max(1, Math.round(options.warmupCalls / 10)),
  };
}

async function measureKind(
  kind: RequestKind,
  clients: Clients,
  options: KindPlan,
): Promise<{ figures: KindFigures; instrumentedCalls: number }> {
  const samplesMs: Record<Side, number[]> = { bare: [], instrumented: [] };
  const cpuUs: Record<Side, number> = { bare: 0, instrumented: 0 };
  let index = 0;
  for (let call = 0; call < options.warmupCalls; call += 1) {
    await makeCall(kind, clients.bare, (index += 1));
    await makeCall(kind, clients.instrumented, (index += 1));
  }

  for (let block = 0; block * options.blockSize < options.calls; block += 1) {
    const order: Side[] = block % 2 === 0 ? ['bare', 'instrumented'] : ['instrumented', 'bare'];
    const callsInBlock = Math.min(options.blockSize, options.calls - block * options.blockSize);
    for (const side of order) {
      const cpuBefore = process.cpuUsage();
      for (let call = 0; call < callsInBlock; call += 1) {
        const startedAt = performance.now();
        await makeCall(kind, clients[side], (index += 1));
        samplesMs[side].push(performance.now() - startedAt);
      }
      const cpu = process.cpuUsage(cpuBefore);
      cpuUs[side] += cpu.user + cpu.system;
    }
  }

  return {
    figures: summariseKind(kind, samplesMs, cpuUs),
    instrumentedCalls: options.warmupCalls + samplesMs.instrumented.length,
  };
}

function summariseKind(
  kind: RequestKind,
  samplesMs: Record<Side, number[]>,
  cpuUs: Record<Side, number>,
): KindFigures {
  const figuresOf = (side: Side): SideFigures => ({
    medianMs: round(median(samplesMs[side]), 3),
    p95Ms: round(quantile(samplesMs[side], 0.95), 3),
    cpuUsPerCall: round(cpuUs[side] / samplesMs[side].length),
  });
  const [bareMedian, instrumentedMedian] = [median(samplesMs.bare), median(samplesMs.instrumented)];
  return {
    kind,
    bare: figuresOf('bare'),
    instrumented: figuresOf('instrumented'),
    medianDiffMs: round(instrumentedMedian - bareMedian, 3),
    medianRatio: round(instrumentedMedian / bareMedian, 4),
    p95Ratio: round(quantile(samplesMs.instrumented, 0.95) / quantile(samplesMs.bare, 0.95), 4),
  };
}

function printSummary(
  kinds: readonly KindFigures[],
  instrumentedCalls: number,
  counts: EventCounts,
  stats: EventStats,
): void {
  printTable(
    [
      'request',
      'bare median',
      'instr. median',
      'difference',
      'bare p95',
      'instr. p95',
      'CPU/call bare → instr.',
    ],
    kinds.map((k) => [
      k.kind,
      `${k.bare.medianMs.toFixed(3)} ms`,
      `${k.instrumented.medianMs.toFixed(3)} ms`,
      `${k.medianDiffMs.toFixed(3)} ms, ${formatRatio(k.medianRatio)}`,
      `${k.bare.p95Ms.toFixed(3)} ms`,
      `${k.instrumented.p95Ms.toFixed(3)} ms`,
      `${k.bare.cpuUsPerCall} → ${k.instrumented.cpuUsPerCall} µs`,
    ]),
  );
  const calls = formatCount(instrumentedCalls);
  const rows = `${formatCount(counts.rows)} rows (${formatCount(counts.distinctKeys)} distinct)`;
  console.log(
    `events: ${calls} instrumented calls, ${rows} in Postgres, ` +
      `${stats.spooled} spooled, ${stats.dropped} dropped`,
  );
}
