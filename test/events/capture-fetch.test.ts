import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { setLogger } from '../../src/config/logger.js';
import { createCaptureFetch, type EventSink } from '../../src/events/capture.js';
import { createRedactor } from '../../src/events/redact.js';
import { readContentSettings } from '../../src/events/settings.js';
import { readOpenAiWorkloadEnv } from '../../src/openai/workloads.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { captureLogs, type CapturedLogs } from '../support/log-capture.js';

let sim: Simulator;
let logs: CapturedLogs;

beforeAll(async () => {
  sim = await startSimulator();
  logs = captureLogs();
  setLogger(logs.logger);
});

afterAll(async () => {
  setLogger(undefined);
  await sim.close();
});

/** A client whose events go to `sink`, wired as the library wires its own. */
function clientRecordingTo(sink: EventSink): OpenAI {
  const env = {
    OPENAI_API_KEY: 'sk-capture-test-000000000000000000000000',
    OPENAI_BASE_URL: sim.baseURL,
    OPENAI_DEBUG_LOGGING: 'true',
  };
  const config = readOpenAiWorkloadEnv('default', env);
  const content = readContentSettings(env);
  const fetch = createCaptureFetch({
    config,
    baseUrl: sim.baseURL,
    timeoutMs: 10_000,
    content,
    redact: createRedactor(content.redactPatterns, []),
    sink: () => sink,
  });
  return new OpenAI({ apiKey: env.OPENAI_API_KEY, baseURL: sim.baseURL, maxRetries: 0, fetch });
}

/** Events are handed to the sink at the turn of the event loop after a body ends. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('createCaptureFetch', () => {
  it('gives the caller its response when the sink fails, and logs the failure', async () => {
    const broken: EventSink = {
      record: () => {
        throw new Error('sink unavailable');
      },
      defer: () => {
        throw new Error('sink unavailable');
      },
    };
    const openai = clientRecordingTo(broken);

    const embedding = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'close the quarter',
    });
    expect(embedding.data).toHaveLength(1);

    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Count the invoices' }],
      stream: true,
    });
    let content = '';
    for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
    expect(content.length).toBeGreaterThan(0);

    await nextTurn();
    const failures = logs.events('openai.capture_failed');
    expect(failures).toHaveLength(2);
    expect(JSON.stringify(failures)).toContain('sink unavailable');
  });

  it('hands the sink one event per attempt', async () => {
    const built: string[] = [];
    const openai = clientRecordingTo({
      record: (row) => built.push(row.endpoint),
      defer: (build) => built.push(build().endpoint),
    });
    await openai.models.list();
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    await nextTurn();
    expect(built).toEqual(['/models', '/embeddings']);
  });
});
