/**
 * Memory while PostgreSQL is down: many instrumented calls against the simulator while the
 * store sits behind a TCP proxy that refuses every connection, sampling the heap (after a
 * full collection) and the spool as the calls go. Then the proxy is restored and the
 * benchmark waits until every spooled event has been replayed into Postgres, once each.
 */
import type OpenAI from 'openai';

import { flushOpenAIEvents, getOpenAIEventStats } from '../src/events/runtime.js';
import { readRecorderSettings } from '../src/events/settings.js';
import { getOpenAIClientForWorkload } from '../src/openai/client.js';
import { startTcpProxy } from '../test/support/tcp-proxy.js';
import type { Benchmark, BenchmarkResult } from './support/benchmark.js';
import { ADMIN_URL, createBenchDatabase } from './support/database.js';
import type { Flags } from './support/flags.js';
import { collectGarbage } from './support/gc.js';
import { instrumentedEnv, startRecording } from './support/recording.js';
import { makeCall } from './support/requests.js';
import { startSimulatorProcess } from './support/simulator-process.js';
import { formatBytes, formatCount, round } from './support/stats.js';

/** Heap growth from the first to the last sample under load that still counts as flat. */
const MAX_HEAP_GROWTH_BYTES = 8 * 1024 * 1024;
const REPLAY_POLL_MS = 20;
const REPLAY_TIMEOUT_MS = 10 * 60_000;
const REPLAY_INTERVAL_MS = readRecorderSettings({}).replayIntervalMs;

interface OutageOptions {
  calls: number;
  concurrency: number;
  /** Memory samples taken during the calls, evenly spaced. */
  samples: number;
}

interface MemorySample {
  calls: number;
  heapUsedBytes: number;
  rssBytes: number;
  spoolBytes: number;
  spooled: number;
  queueDepth: number;
}

interface ReplayTimes {
  /** From restoring the store to the first replayed segment. */
  firstSegmentMs: number;
  /** Events in that first segment. */
  firstSegmentEvents: number;
  /** From restoring the store to the last event replayed. */
  totalMs: number;
}

export const outageBenchmark: Benchmark = {
  name: 'outage',
  description: 'heap and spool during calls with PostgreSQL unreachable, then the replay',
  flags: {
    calls: 'instrumented calls while the store is down (default 50000)',
    concurrency: 'calls in flight at once (default 50)',
    samples: 'memory samples during the calls (default 10)',
  },
  run: (flags) => runOutage(readOptions(flags)),
};

function readOptions(flags: Flags): OutageOptions {
  return {
    calls: flags.int('calls', 50_000),
    concurrency: flags.int('concurrency', 50),
    samples: flags.int('samples', 10),
  };
}

async function runOutage(options: OutageOptions): Promise<BenchmarkResult> {
  const db = await createBenchDatabase();
  const proxy = await startTcpProxy(Number(new URL(ADMIN_URL).port || 5432));
  await proxy.cut();
  const simulator = await startSimulatorProcess();
  const env = instrumentedEnv(simulator.baseURL);
  const recording = await startRecording({ env, storeUrl: db.urlVia(proxy.port) });
  try {
    const client = getOpenAIClientForWorkload('default', { env, maxRetries: 0 });
    const calls = await callWhileDown(client, options);
    await flushOpenAIEvents();
    const afterFlush = takeSample(options.calls, 'after flush');
    const down = getOpenAIEventStats();

    await proxy.restore();
    const replay = await waitForReplay(down.spooled);
    const replayed = getOpenAIEventStats();
    const counts = await db.countEvents();

    // Both under load, with the same number of calls in flight.
    const firstUnderLoad = calls.samples[1] ?? afterFlush;
    const lastUnderLoad = calls.samples.at(-1) ?? afterFlush;
    const heapGrowthBytes = lastUnderLoad.heapUsedBytes - firstUnderLoad.heapUsedBytes;
    const allReplayed =
      counts.rows === options.calls && counts.distinctKeys === counts.rows && down.stored === 0;
    const replayEventsPerS =
      (replayed.replayed - replay.firstSegmentEvents) /
      seconds(replay.totalMs - replay.firstSegmentMs);

    console.log(
      `${formatCount(options.calls)} calls in ${seconds(calls.durationMs).toFixed(1)} s, ` +
        `${calls.failed} failed; spooled ${formatCount(down.spooled)}, dropped ${down.dropped}; ` +
        `heap growth from the first to the last sample under load: ${formatBytes(heapGrowthBytes)}`,
    );
    console.log(
      `store restored: first segment stored after ${seconds(replay.firstSegmentMs).toFixed(1)} s ` +
        `(replay every ${REPLAY_INTERVAL_MS} ms), all ${formatCount(replayed.replayed)} after ` +
        `${seconds(replay.totalMs).toFixed(1)} s; ${formatCount(counts.rows)} rows in Postgres, ` +
        `${formatCount(counts.distinctKeys)} distinct`,
    );
    return {
      targetsMet: allReplayed && calls.failed === 0 && heapGrowthBytes <= MAX_HEAP_GROWTH_BYTES,
      options,
      targets: { maxHeapGrowthBytes: MAX_HEAP_GROWTH_BYTES },
      calls: {
        durationS: round(seconds(calls.durationMs), 1),
        callsPerS: Math.round(options.calls / seconds(calls.durationMs)),
        failed: calls.failed,
      },
      memory: {
        samples: calls.samples,
        afterFlush,
        maxHeapBytes: Math.max(...calls.samples.map((sample) => sample.heapUsedBytes)),
        heapGrowthBytes,
      },
      whileDown: {
        recorded: down.recorded,
        stored: down.stored,
        spooled: down.spooled,
        dropped: down.dropped,
        spoolBytes: down.spool.bytes,
        spoolWriteErrors: down.spool.writeErrors,
      },
      replay: {
        replayIntervalMs: REPLAY_INTERVAL_MS,
        firstSegmentS: round(seconds(replay.firstSegmentMs), 1),
        totalS: round(seconds(replay.totalMs), 1),
        eventsPerSAfterFirstSegment: Math.round(replayEventsPerS),
        replayed: replayed.replayed,
        rowsInPostgres: counts.rows,
        distinctKeys: counts.distinctKeys,
        spoolBytesLeft: replayed.spool.bytes,
        complete: allReplayed,
      },
      logEvents: recording.logs.counts(),
    };
  } finally {
    await recording.stop();
    await simulator.stop();
    await proxy.close();
    await db.drop();
  }
}

/** Makes every call with the store down, sampling memory at evenly spaced points. */
async function callWhileDown(
  client: OpenAI,
  options: OutageOptions,
): Promise<{ samples: MemorySample[]; durationMs: number; failed: number }> {
  printSampleHeader();
  const samples: MemorySample[] = [takeSample(0)];
  const sampleEvery = Math.max(1, Math.floor(options.calls / options.samples));
  let completed = 0;
  let failed = 0;
  const startedAt = performance.now();
  await runConcurrently(options.calls, options.concurrency, async (index) => {
    await makeCall('responses', client, index).catch(() => (failed += 1));
    completed += 1;
    if (completed % sampleEvery === 0) samples.push(takeSample(completed));
  });
  return { samples, durationMs: performance.now() - startedAt, failed };
}

function seconds(ms: number): number {
  return ms / 1000;
}

/** Runs `work(0)` to `work(total - 1)` with at most `concurrency` of them in flight. */
async function runConcurrently(
  total: number,
  concurrency: number,
  work: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) await work((next += 1) - 1);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
}

/** Collects garbage, reads memory and the pipeline's counters, and prints them as a row. */
function takeSample(calls: number, label = formatCount(calls)): MemorySample {
  collectGarbage();
  const memory = process.memoryUsage();
  const stats = getOpenAIEventStats();
  const sample = {
    calls,
    heapUsedBytes: memory.heapUsed,
    rssBytes: memory.rss,
    spoolBytes: stats.spool.bytes,
    spooled: stats.spooled,
    queueDepth: stats.queueDepth,
  };
  printSampleRow([
    label,
    formatBytes(sample.heapUsedBytes),
    formatBytes(sample.rssBytes),
    formatBytes(sample.spoolBytes),
    formatCount(sample.spooled),
    formatCount(sample.queueDepth),
  ]);
  return sample;
}

const COLUMN_WIDTHS = [12, 11, 11, 11, 9, 7];

function printSampleHeader(): void {
  printSampleRow(['calls', 'heap used', 'rss', 'spool', 'spooled', 'queue']);
}

function printSampleRow(cells: readonly string[]): void {
  const padded = cells.map((cell, index) =>
    index === 0 ? cell.padEnd(COLUMN_WIDTHS[0] ?? 0) : cell.padStart(COLUMN_WIDTHS[index] ?? 0),
  );
  console.log(padded.join(' '));
}

/** Waits until `expected` events have been replayed, noting when the first segment was. */
async function waitForReplay(expected: number): Promise<ReplayTimes> {
  const startedAt = performance.now();
  let first: { ms: number; events: number } | undefined;
  for (;;) {
    const { replayed } = getOpenAIEventStats();
    const elapsedMs = performance.now() - startedAt;
    if (replayed > 0) first ??= { ms: elapsedMs, events: replayed };
    if (replayed >= expected) {
      return {
        firstSegmentMs: first?.ms ?? elapsedMs,
        firstSegmentEvents: first?.events ?? replayed,
        totalMs: elapsedMs,
      };
    }
    if (elapsedMs > REPLAY_TIMEOUT_MS) {
      throw new Error(`only ${replayed} of ${expected} events replayed in ${REPLAY_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, REPLAY_POLL_MS));
  }
}
