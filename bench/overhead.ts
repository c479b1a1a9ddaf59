/**
 * Request-path overhead: the same calls through the bare SDK and through the instrumented
 * client, against the simulator running in a child process, with events really going to
 * PostgreSQL. Calls are sequential and timed one by one.
 *
 * Latency: a second bare client, the control, runs alongside, and the clients take turns
 * call by call, in every order in rotation, so drift on a shared machine affects all
 * alike. The control's difference from the bare client is the run's noise floor: on a
 * virtual machine whose cores are often taken by its host, identical clients alternating
 * in blocks of 50 calls landed several percent apart, and within about 1% call by call
 * (docs/performance.md). Background
 * work of the instrumented client (building events, writing batches) runs when it falls
 * due, during whichever client's call that is.
 *
 * CPU: measured apart, in blocks of calls of one client each, the instrumented blocks
 * ending with a flush, so each client's CPU per call includes all the work it caused.
 * Afterwards every instrumented call's event must be in Postgres.
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

/**
 * The clients: the bare SDK, its twin the control, the instrumented client, and with
 * `--breakdown 1` the instrumented client with recording off (`OPENAI_DEBUG_LOGGING=false`),
 * which splits the difference into the client's own part (its headers) and recording's.
 *
 * On `chat-stream`, a third bare client, `usageAsked`, sends what the instrumented client
 * sends: the same request with `stream_options.include_usage`. The server then sends one
 * event more and `"usage":null` in every other, which costs any client that asks; this
 * client's difference from the bare one is that cost, and the instrumented client's
 * difference from it is the instrumentation's own.
 */
type Side = 'bare' | 'control' | 'instrumented' | 'recordingOff' | 'usageAsked';
type Clients = Partial<Record<Side, OpenAI>>;

const SIDES: readonly Side[] = ['bare', 'control', 'instrumented', 'recordingOff', 'usageAsked'];

/** The kind on which `usageAsked` takes turns, and the request it makes instead. */
const USAGE_ASKED: { kind: RequestKind; sends: RequestKind } = {
  kind: 'chat-stream',
  sends: 'chat-stream-usage',
};

function sidesFor(kind: RequestKind, clients: Clients): Side[] {
  return SIDES.filter(
    (side) => clients[side] !== undefined && (side !== 'usageAsked' || kind === USAGE_ASKED.kind),
  );
}

function clientFor(clients: Clients, side: Side): OpenAI {
  const client = clients[side];
  if (client === undefined) throw new Error(`no ${side} client`);
  return client;
}

/** Every order of `sides`; the latency phase goes through them in turn. */
function everyOrder(sides: readonly Side[]): Side[][] {
  if (sides.length <= 1) return [[...sides]];
  return sides.flatMap((first, at) =>
    everyOrder([...sides.slice(0, at), ...sides.slice(at + 1)]).map((rest) => [first, ...rest]),
  );
}

/** Calls of one client in a row while CPU is measured. */
const CPU_BLOCK = 100;

interface OverheadOptions {
  /** Timed calls per request kind and per client. */
  calls: number;
  /** Timed calls per client of `embeddings-batch`, which is ten times slower. */
  batchCalls: number;
  /** Consecutive calls of one client before the next takes its turn. */
  blockSize: number;
  /** Calls per request kind and client of the CPU phase. */
  cpuCalls: number;
  /** Untimed calls per kind and client before timing starts. */
  warmupCalls: number;
  /** Delay the simulator adds before every response, standing in for the API's own time. */
  serverLatencyMs: number;
  /** Whether the instrumented client with recording off takes turns too. */
  breakdown: boolean;
}

interface SideFigures {
  medianMs: number;
  p95Ms: number;
}

interface KindFigures {
  kind: RequestKind;
  bare: SideFigures;
  control: SideFigures;
  instrumented: SideFigures;
  /** With `--breakdown 1`: the instrumented client with recording off. */
  recordingOff?: SideFigures & { medianRatio: number };
  /**
   * On `chat-stream`: the bare client asking for usage itself. `medianRatio` is its median
   * over the bare one; `instrumentedRatio` the instrumented median over its own.
   */
  usageAsked?: SideFigures & { medianRatio: number; instrumentedRatio: number };
  /** Instrumented median minus bare median. */
  medianDiffMs: number;
  /** Instrumented median over bare median. */
  medianRatio: number;
  /** Control median over bare median: what the run's noise alone makes of two equals. */
  controlRatio: number;
  p95Ratio: number;
  /** CPU time of this process per call, user plus system, background work included. */
  cpuUsPerCall: { bare: number; instrumented: number };
}

export const overheadBenchmark: Benchmark = {
  name: 'overhead',
  description: 'per-call latency, bare SDK against the instrumented client (simulator)',
  flags: {
    calls: 'timed calls per request kind and client (default 2000)',
    'batch-calls': 'timed calls per client of embeddings-batch (default 200)',
    block: 'calls of one client before the next takes its turn (default 1)',
    'cpu-calls': 'calls per request kind and client of the CPU phase (default 500)',
    warmup: 'untimed calls per request kind and client first (default 100)',
    'server-latency-ms': 'delay the simulator adds before each response (default 0)',
    breakdown: '1: also time the instrumented client with recording off (default 0)',
  },
  run: (flags) => runOverhead(readOptions(flags)),
};

function readOptions(flags: Flags): OverheadOptions {
  return {
    calls: flags.int('calls', 2000),
    batchCalls: flags.int('batch-calls', 200),
    blockSize: flags.int('block', 1),
    cpuCalls: flags.int('cpu-calls', 500),
    warmupCalls: flags.int('warmup', 100),
    serverLatencyMs: flags.int('server-latency-ms', 0, 0),
    breakdown: flags.int('breakdown', 0, 0) > 0,
  };
}

async function runOverhead(options: OverheadOptions): Promise<BenchmarkResult> {
  const db = await createBenchDatabase();
  const simulator = await startSimulatorProcess(options.serverLatencyMs);
  const env = instrumentedEnv(simulator.baseURL);
  const recording = await startRecording({ env, storeUrl: db.url });
  try {
    const clients: Clients = {
      bare: bareClient(simulator.baseURL),
      control: bareClient(simulator.baseURL),
      instrumented: getOpenAIClientForWorkload('default', { env, maxRetries: 0 }),
      usageAsked: bareClient(simulator.baseURL),
    };
    if (options.breakdown) {
      const off = { ...env, OPENAI_DEBUG_LOGGING: 'false' };
      clients.recordingOff = getOpenAIClientForWorkload('default', { env: off, maxRetries: 0 });
    }
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

function bareClient(baseURL: string): OpenAI {
  return new OpenAI({ apiKey: BENCH_API_KEY, baseURL, organization: 'org-bench', maxRetries: 0 });
}

interface KindPlan {
  calls: number;
  blockSize: number;
  cpuCalls: number;
  warmupCalls: number;
}

/** The large batch takes about ten times as long per call, so it gets a tenth of the calls. */
function planFor(kind: RequestKind, options: OverheadOptions): KindPlan {
  if (kind !== 'embeddings-batch') return options;
  return {
    calls: options.batchCalls,
    blockSize: options.blockSize,
    cpuCalls: Math.max(1, Math.round(options.cpuCalls / 10)),
    warmupCalls: Math.max(1, Math.round(options.warmupCalls / 10)),
  };
}

async function measureKind(
  kind: RequestKind,
  clients: Clients,
  options: KindPlan,
): Promise<{ figures: KindFigures; instrumentedCalls: number }> {
  const sides = sidesFor(kind, clients);
  const orders = everyOrder(sides);
  const samplesMs: Record<Side, number[]> = {
    bare: [],
    control: [],
    instrumented: [],
    recordingOff: [],
    usageAsked: [],
  };
  let index = 0;
  const call = (side: Side) =>
    makeCall(
      side === 'usageAsked' ? USAGE_ASKED.sends : kind,
      clientFor(clients, side),
      (index += 1),
    );
  for (let warmup = 0; warmup < options.warmupCalls; warmup += 1) {
    for (const side of sides) await call(side);
  }

  for (let turn = 0; turn * options.blockSize < options.calls; turn += 1) {
    const callsInTurn = Math.min(options.blockSize, options.calls - turn * options.blockSize);
    for (const side of orders[turn % orders.length] ?? []) {
      for (let done = 0; done < callsInTurn; done += 1) {
        const startedAt = performance.now();
        await call(side);
        samplesMs[side].push(performance.now() - startedAt);
      }
    }
  }

  const cpuUs = { bare: 0, instrumented: 0 };
  for (let block = 0; block < options.cpuCalls; block += CPU_BLOCK) {
    const calls = Math.min(CPU_BLOCK, options.cpuCalls - block);
    const order =
      (block / CPU_BLOCK) % 2 === 0
        ? (['bare', 'instrumented'] as const)
        : (['instrumented', 'bare'] as const);
    for (const side of order) {
      const cpuBefore = process.cpuUsage();
      for (let done = 0; done < calls; done += 1) await call(side);
      if (side === 'instrumented') await flushOpenAIEvents();
      const cpu = process.cpuUsage(cpuBefore);
      cpuUs[side] += cpu.user + cpu.system;
    }
  }

  const cpuUsPerCall = {
    bare: round(cpuUs.bare / options.cpuCalls),
    instrumented: round(cpuUs.instrumented / options.cpuCalls),
  };
  return {
    figures: summariseKind(kind, samplesMs, cpuUsPerCall),
    instrumentedCalls: options.warmupCalls + samplesMs.instrumented.length + options.cpuCalls,
  };
}

function summariseKind(
  kind: RequestKind,
  samplesMs: Record<Side, number[]>,
  cpuUsPerCall: KindFigures['cpuUsPerCall'],
): KindFigures {
  const figuresOf = (side: Side): SideFigures => ({
    medianMs: round(median(samplesMs[side]), 3),
    p95Ms: round(quantile(samplesMs[side], 0.95), 3),
  });
  const bareMedian = median(samplesMs.bare);
  const instrumentedMedian = median(samplesMs.instrumented);
  /** A side's figures and its median over the bare one, or undefined if it took no turns. */
  const againstBare = (side: Side) =>
    samplesMs[side].length === 0
      ? undefined
      : { ...figuresOf(side), medianRatio: round(median(samplesMs[side]) / bareMedian, 4) };
  const recordingOff = againstBare('recordingOff');
  const usageAskedFigures = againstBare('usageAsked');
  const usageAsked = usageAskedFigures && {
    ...usageAskedFigures,
    instrumentedRatio: round(instrumentedMedian / median(samplesMs.usageAsked), 4),
  };
  return {
    kind,
    bare: figuresOf('bare'),
    control: figuresOf('control'),
    instrumented: figuresOf('instrumented'),
    ...(recordingOff === undefined ? {} : { recordingOff }),
    ...(usageAsked === undefined ? {} : { usageAsked }),
    medianDiffMs: round(instrumentedMedian - bareMedian, 3),
    medianRatio: round(instrumentedMedian / bareMedian, 4),
    controlRatio: round(median(samplesMs.control) / bareMedian, 4),
    p95Ratio: round(quantile(samplesMs.instrumented, 0.95) / quantile(samplesMs.bare, 0.95), 4),
    cpuUsPerCall,
  };
}

function printSummary(
  kinds: readonly KindFigures[],
  instrumentedCalls: number,
  counts: EventCounts,
  stats: EventStats,
): void {
  const breakdown = kinds.some((k) => k.recordingOff !== undefined);
  printTable(
    [
      'request',
      'bare median',
      'instr. median',
      'difference',
      'control',
      ...(breakdown ? ['recording off'] : []),
      'bare p95',
      'instr. p95',
      'CPU/call bare → instr.',
    ],
    kinds.map((k) => [
      k.kind,
      `${k.bare.medianMs.toFixed(3)} ms`,
      `${k.instrumented.medianMs.toFixed(3)} ms`,
      `${k.medianDiffMs.toFixed(3)} ms, ${formatRatio(k.medianRatio)}`,
      formatRatio(k.controlRatio),
      ...(breakdown ? [k.recordingOff ? formatRatio(k.recordingOff.medianRatio) : ''] : []),
      `${k.bare.p95Ms.toFixed(3)} ms`,
      `${k.instrumented.p95Ms.toFixed(3)} ms`,
      `${k.cpuUsPerCall.bare} → ${k.cpuUsPerCall.instrumented} µs`,
    ]),
  );
  for (const k of kinds) {
    if (k.usageAsked === undefined) continue;
    const { medianMs, medianRatio, instrumentedRatio } = k.usageAsked;
    console.log(
      `${k.kind}: the bare client asking for usage itself took ${medianMs.toFixed(3)} ms ` +
        `(${formatRatio(medianRatio)} on bare); the instrumented client, sending that ` +
        `request, ${formatRatio(instrumentedRatio)} on it`,
    );
  }
  const calls = formatCount(instrumentedCalls);
  const rows = `${formatCount(counts.rows)} rows (${formatCount(counts.distinctKeys)} distinct)`;
  console.log(
    `events: ${calls} instrumented calls, ${rows} in Postgres, ` +
      `${stats.spooled} spooled, ${stats.dropped} dropped`,
  );
}
