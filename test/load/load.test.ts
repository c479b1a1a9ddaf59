/**
 * Many concurrent calls through the instrumented client, recorded to PostgreSQL: nothing
 * lost, nothing duplicated, and memory that does not grow with the number of calls. CI runs
 * it at a reduced size; the full size (1,000 in flight, 100,000 calls) is `LOAD_CALLS=100000
 * LOAD_CONCURRENCY=1000 npx vitest run test/load`, and its figures are in
 * docs/performance.md. `memory-probe.ts` beside this file runs the same traffic through the
 * bare SDK, for the floor the instrumentation cannot go below.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { collectGarbage } from '../../bench/support/gc.js';
import { flushOpenAIEvents, getOpenAIEventStats } from '../../src/events/runtime.js';
import { getOpenAIClientForWorkload } from '../../src/openai/client.js';
import { startHarness, type Harness } from '../support/pipeline.js';
import {
  driveEmbeddings,
  MB,
  reconnectingFetch,
  sampleMemory,
  toMb,
  type MemorySample,
} from './drive.js';

const CALLS = Number(process.env.LOAD_CALLS ?? 3_000);
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 300);

/** About fifty samples at any size, each after a full garbage collection. */
const SAMPLE_EVERY = Math.max(100, Math.round(CALLS / 50));
/**
 * The first 20% of the calls warm the process up: the SDK's connection pool fills to the
 * concurrency (and beyond), code is compiled, V8 sizes its heap for the allocation rate,
 * and the store is connected and migrated. Memory is compared from the end of this part.
 */
const WARM_UP_CALLS = Math.round(CALLS * 0.2);
/**
 * How far resident memory may rise, at any sample after the warm-up (the spool's replay
 * included), above the highest sample of the warm-up, all sampled after a full collection.
 * The warm-up reaches the working set of this many calls in flight; the rest of the run
 * must stay within it. Measured at full size: +4 MB (and -3 MB in memory-probe.ts), the
 * bare SDK -15 MB; at the CI size, where the warm-up is too short to reach the working
 * set, 19 to 30 MB. An event kept per call would add about 2.2 KB a call, 176 MB at full
 * size.
 */
const RSS_GROWTH_LIMIT_MB = 64;
/**
 * How much more live heap there may be once every call is done and stored than once the
 * warm-up's were, with nothing in flight or queued either time: what a run leaves behind
 * grows with the number of calls. Measured: about 2 MB at the CI size (code compiled and
 * connections pooled after the short warm-up), -2 to +1.4 MB at full size, where the bare
 * SDK left +1 MB. An event kept per call adds 5.3 MB at the CI size, 176 MB at full size.
 */
const RETAINED_HEAP_LIMIT_MB = 4;

let harness: Harness;
let simulator: ChildProcess;
let baseURL: string;

/** The simulator in a process of its own, so its CPU does not share the client's loop. */
async function startSimulatorProcess(): Promise<void> {
  const main = fileURLToPath(new URL('../../bench/support/simulator-main.ts', import.meta.url));
  simulator = spawn(process.execPath, ['--import', 'tsx', main], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: simulator.stdout as NodeJS.ReadableStream });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();
  baseURL = (JSON.parse(line) as { baseURL: string }).baseURL;
}

beforeAll(async () => {
  harness = await startHarness();
  await startSimulatorProcess();
  harness.startRecording({ flushIntervalMs: 200, batchSize: 500 });
}, 60_000);

afterAll(async () => {
  simulator.stdin?.end();
  await harness.close();
}, 60_000);

function sampleAfterGc(calls: number): MemorySample {
  collectGarbage();
  return sampleMemory(calls);
}

/**
 * Waits until the store holds `expected` rows (events the store could not take in time are
 * in the spool, and are being replayed), sampling memory about once a second meanwhile.
 */
async function waitForRows(expected: number, timeoutMs: number, samples: MemorySample[]) {
  const deadline = Date.now() + timeoutMs;
  for (let poll = 0; ; poll += 1) {
    const [counts] = await harness.reader.sql(
      'select count(*)::int as total, count(distinct request_id)::int as distinct_ids ' +
        'from openai_debug_events',
    );
    if (Number(counts?.total) >= expected || Date.now() > deadline) return counts;
    if (poll % 4 === 0) samples.push(sampleAfterGc(expected));
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Every call made so far stored, and memory sampled meanwhile: flushes, then waits for the
 * replay of what the store could not take in time.
 */
async function settle(calls: number, samples: MemorySample[]) {
  await flushOpenAIEvents();
  const counts = await waitForRows(calls, 180_000, samples);
  expect(counts).toEqual({ total: calls, distinct_ids: calls });
  const after = sampleAfterGc(calls);
  samples.push(after);
  return after;
}

/** Megabytes with one decimal, for the summary line. */
function mb(bytes: number): string {
  return (bytes / MB).toFixed(1);
}

function printSamples(samples: MemorySample[]): void {
  for (const sample of samples) {
    console.log(
      `calls ${sample.calls}: rss ${toMb(sample.rss)} MB, heap ${toMb(sample.heapUsed)} MB, ` +
        `external ${toMb(sample.external)} MB`,
    );
  }
}

describe(`${CALLS} calls, ${CONCURRENCY} in flight`, () => {
  it('records every call exactly once, with memory that does not grow with the calls', async () => {
    const env = { ...harness.env, OPENAI_BASE_URL: baseURL };
    const transport = { resent: 0 };
    const openai = getOpenAIClientForWorkload('default', {
      env,
      maxRetries: 0,
      fetch: reconnectingFetch(transport),
    });
    const load = { calls: CALLS, concurrency: CONCURRENCY, sampleEvery: SAMPLE_EVERY };
    const warmUp = await driveEmbeddings(openai, {
      ...load,
      calls: WARM_UP_CALLS,
      beforeSample: collectGarbage,
    });
    const before = await settle(WARM_UP_CALLS, [...warmUp.samples]);

    const run = await driveEmbeddings(openai, {
      ...load,
      calls: CALLS - WARM_UP_CALLS,
      callsBefore: WARM_UP_CALLS,
      beforeSample: collectGarbage,
    });
    const samples = [...run.samples];
    const after = await settle(CALLS, samples);

    // Distinct within each part; the store's distinct count covers both together.
    expect(warmUp.distinctRequestIds + run.distinctRequestIds).toBe(CALLS);
    const stats = getOpenAIEventStats();
    expect(stats).toMatchObject({ recorded: CALLS, dropped: 0 });

    // Under load against under load, and idle against idle.
    const warmUpPeak = Math.max(...warmUp.samples.map((sample) => sample.rss));
    const rssPeak = Math.max(...samples.map((sample) => sample.rss));
    const rssGrowth = rssPeak - warmUpPeak;
    const retained = after.heapUsed - before.heapUsed;
    console.log(
      `load: ${CALLS} calls, ${CONCURRENCY} in flight, ` +
        `${Math.round(((CALLS - WARM_UP_CALLS) / run.elapsedMs) * 1000)} calls/s after the ` +
        `warm-up, ${stats.spooled} spooled and ${stats.replayed} replayed, ` +
        `${transport.resent} resent on a closed keep-alive connection; after GC: ` +
        `rss MB ${toMb(warmUp.samples[0]?.rss ?? 0)} at the first sample, ` +
        `${toMb(warmUpPeak)} at the highest of the warm-up (${WARM_UP_CALLS} calls), ` +
        `${toMb(rssPeak)} at the highest after, ${toMb(after.rss)} at the end; live heap MB ` +
        `${mb(before.heapUsed)} after the warm-up, ${mb(after.heapUsed)} at the end`,
    );
    if (process.env.LOAD_VERBOSE === '1') printSamples([...warmUp.samples, before, ...samples]);
    expect(rssGrowth / MB).toBeLessThanOrEqual(RSS_GROWTH_LIMIT_MB);
    expect(retained / MB).toBeLessThanOrEqual(RETAINED_HEAP_LIMIT_MB);
  }, 600_000);
});
