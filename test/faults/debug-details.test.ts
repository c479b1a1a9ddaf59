/**
 * The debug-details endpoint misbehaves (hangs, answers 500, answers garbage) while
 * `OPENAI_DEBUG_FETCH_DETAILS` is on with a 300 ms timeout.
 */
import type OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { flushOpenAIEvents, shutdownOpenAIEvents } from '../../src/events/runtime.js';
import { getOpenAIClientForWorkload } from '../../src/openai/client.js';
import type { FaultSpec } from '../../src/simulator/index.js';
import { startHarness, type Harness } from '../support/pipeline.js';
import { percentile, round } from './fault-support.js';

const TIMEOUT_MS = 300;
/** Time a flush may take beyond one lookup timeout: building, writing, scheduling. */
const FLUSH_MARGIN_MS = 500;
const DETAILS_ENV = {
  OPENAI_DEBUG_FETCH_DETAILS: 'true',
  OPENAI_DEBUG_FETCH_TIMEOUT_MS: String(TIMEOUT_MS),
};
/** As many calls as lookups run at once by default (`OPENAI_DEBUG_FETCH_CONCURRENCY`). */
const CALLS = 4;

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});

afterAll(async () => {
  await harness?.close();
});

beforeEach(async () => {
  await shutdownOpenAIEvents();
  harness.sim.clearFaults();
  harness.startRecording({}, DETAILS_ENV);
});

function client(): OpenAI {
  return getOpenAIClientForWorkload('default', {
    env: { ...harness.env, ...DETAILS_ENV },
    maxRetries: 0,
  });
}

interface TimedCall {
  id: string;
  latencyMs: number;
}

async function timedCalls(openai: OpenAI, count: number): Promise<TimedCall[]> {
  const calls: TimedCall[] = [];
  for (let index = 0; index < count; index += 1) {
    const startedAt = performance.now();
    const result = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: `details call ${index}`,
    });
    calls.push({ id: result._request_id ?? 'missing', latencyMs: performance.now() - startedAt });
  }
  return calls;
}

async function timedFlush(): Promise<number> {
  const startedAt = performance.now();
  await flushOpenAIEvents();
  return round(performance.now() - startedAt);
}

const FAULTS: { name: string; fault: FaultSpec; reason: RegExp }[] = [
  { name: 'hangs', fault: { latencyMs: 5_000 }, reason: /no answer within 300 ms/ },
  { name: 'answers 500', fault: { status: 500 }, reason: /HTTP 500/ },
  { name: 'answers garbage', fault: { malformed: true }, reason: /not valid JSON/ },
];

describe.each(FAULTS)('the debug-details endpoint $name', ({ name, fault, reason }) => {
  it('leaves the caller unslowed, the flush bounded, one log per request and the event stored', async () => {
    const openai = client();
    await timedCalls(openai, 3);
    const healthy = await timedCalls(openai, 2 * CALLS);
    await flushOpenAIEvents();
    harness.sim.injectFault({ path: /\/debug$/, fault });
    const faulty = await timedCalls(openai, CALLS);
    const flushMs = await timedFlush();

    const healthyMedian = percentile(
      healthy.map((call) => call.latencyMs),
      0.5,
    );
    const faultyLatencies = faulty.map((call) => call.latencyMs);
    console.log(
      `debug details ${name}: calls ${faultyLatencies.map(round).join(', ')} ms ` +
        `(healthy median ${round(healthyMedian)} ms), flush ${flushMs} ms`,
    );
    expect(Math.max(...faultyLatencies)).toBeLessThan(TIMEOUT_MS);
    expect(percentile(faultyLatencies, 0.5)).toBeLessThanOrEqual(2 * healthyMedian + 20);
    expect(flushMs).toBeLessThanOrEqual(TIMEOUT_MS + FLUSH_MARGIN_MS);

    const failures = harness.logs.events('openai.debug_fetch_failed');
    for (const call of faulty) {
      const logged = failures.filter((line) => line.request_id === call.id);
      expect(logged).toHaveLength(1);
      expect(String(logged[0]?.reason)).toMatch(reason);
    }
    expect(failures).toHaveLength(CALLS);
    for (const call of faulty) {
      const [event] = await harness.reader.queryEvents({ requestId: call.id });
      expect(event).toMatchObject({ statusCode: 200, debug: null });
    }
  });
});

describe('many lookups against a hanging debug-details endpoint', () => {
  it('still bounds flushOpenAIEvents by one lookup timeout', async () => {
    const openai = client();
    harness.sim.injectFault({ path: /\/debug$/, fault: { latencyMs: 5_000 } });
    // A burst, as a batch job or a busy handler makes: every lookup is waiting at once.
    const calls = await Promise.all(
      Array.from({ length: 4 * CALLS }, (_, index) =>
        openai.embeddings.create({ model: 'text-embedding-3-small', input: `burst ${index}` }),
      ),
    );
    const flushMs = await timedFlush();
    console.log(
      `debug details hang, ${calls.length} calls: flush ${flushMs} ms ` +
        `(bound ${TIMEOUT_MS + FLUSH_MARGIN_MS} ms)`,
    );
    expect(flushMs).toBeLessThanOrEqual(TIMEOUT_MS + FLUSH_MARGIN_MS);
    expect(harness.logs.events('openai.debug_fetch_failed')).toHaveLength(calls.length);
  });
});
