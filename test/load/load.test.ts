/**
 * Many concurrent calls through the instrumented client, recorded to PostgreSQL: nothing
 * lost, nothing duplicated, memory bounded. CI runs it at a reduced size; the full size
 * (1,000 in flight, 100,000 calls) is `LOAD_CALLS=100000 LOAD_CONCURRENCY=1000 npx vitest
 * run test/load`, and its figures are in docs/performance.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { flushOpenAIEvents, getOpenAIEventStats } from '../../src/events/runtime.js';
import { getOpenAIClientForWorkload } from '../../src/openai/client.js';
import { startHarness, type Harness } from '../support/pipeline.js';

const CALLS = Number(process.env.LOAD_CALLS ?? 3_000);
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 300);

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

async function waitForRows(expected: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [counts] = await harness.reader.sql(
      'select count(*)::int as total, count(distinct request_id)::int as distinct_ids ' +
        'from openai_debug_events',
    );
    if (Number(counts?.total) >= expected || Date.now() > deadline) return counts;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe(`${CALLS} calls, ${CONCURRENCY} in flight`, () => {
  it('records every call exactly once with bounded memory', async () => {
    const env = { ...harness.env, OPENAI_BASE_URL: baseURL };
    const openai = getOpenAIClientForWorkload('default', { env, maxRetries: 0 });
    const requestIds = new Set<string>();
    const rssSamples: number[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < CALLS) {
        next += 1;
        const result = await openai.embeddings.create({
          model: 'text-embedding-3-small',
          input: `load ${next}`,
          dimensions: 8,
        });
        requestIds.add(result._request_id ?? '');
        if (requestIds.size % 1_000 === 0) rssSamples.push(process.memoryUsage().rss);
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsedMs = performance.now() - started;
    await flushOpenAIEvents();

    // Events the store could not take in time are in the spool; wait for their replay.
    const counts = await waitForRows(CALLS, 180_000);
    expect(requestIds.size).toBe(CALLS);
    expect(counts).toEqual({ total: CALLS, distinct_ids: CALLS });
    const stats = getOpenAIEventStats();
    expect(stats).toMatchObject({ recorded: CALLS, dropped: 0 });

    const rssMb = rssSamples.map((bytes) => Math.round(bytes / 2 ** 20));
    // Memory must not grow with the number of calls: the last sample stays near the first.
    if (rssMb.length >= 2) {
      expect((rssMb.at(-1) ?? 0) - (rssMb[0] ?? 0)).toBeLessThan(256);
    }
    console.log(
      `load: ${CALLS} calls, ${CONCURRENCY} in flight, ${Math.round((CALLS / elapsedMs) * 1000)} ` +
        `calls/s, ${stats.spooled} spooled and replayed, rss MB ${rssMb.join(' ')}`,
    );
  }, 600_000);
});
