/**
 * Responses that break on the wire: a body that is not JSON, an event stream that is not
 * JSON, a stream cut short, a connection dropped before any response. The caller gets the
 * SDK's own error, the event says what happened, and the next call works.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { flushOpenAIEvents, shutdownOpenAIEvents } from '../../src/events/runtime.js';
import { getOpenAIClientForWorkload } from '../../src/openai/client.js';
import type { DebugEventRow } from '../../src/stores/types.js';
import { startHarness, type Harness } from '../support/pipeline.js';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});

afterAll(async () => {
  await harness?.close();
});

beforeEach(async () => {
  await shutdownOpenAIEvents();
  harness.startRecording();
});

function client(): OpenAI {
  return getOpenAIClientForWorkload('default', { env: harness.env, maxRetries: 0 });
}

function withFault(fault: string): OpenAI.RequestOptions {
  return { headers: { 'x-simulator-fault': fault } };
}

async function newestEvent(): Promise<DebugEventRow> {
  await flushOpenAIEvents();
  const [event] = await harness.reader.queryEvents({ limit: 1 });
  if (event === undefined) throw new Error('no event was stored');
  return event;
}

/** The request id the simulator sent with its newest response. */
function lastSimulatorId(): string | undefined {
  return harness.sim.requests.at(-1)?.id;
}

/** A plain call after the fault: it succeeds and is recorded as a success. */
async function expectNextCallWorks(): Promise<void> {
  const result = await client().embeddings.create({
    model: 'text-embedding-3-small',
    input: 'after the fault',
  });
  const event = await newestEvent();
  expect(event).toMatchObject({ requestId: result._request_id, statusCode: 200, errorType: null });
  expect(harness.logs.events('openai.capture_failed')).toEqual([]);
}

async function consume(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const chunk of stream) void chunk;
}

describe('broken responses', () => {
  it('surfaces a malformed JSON body as a SyntaxError and records invalid_json', async () => {
    const call = client().embeddings.create(
      { model: 'text-embedding-3-small', input: 'x' },
      withFault('malformed'),
    );
    await expect(call).rejects.toBeInstanceOf(SyntaxError);
    const event = await newestEvent();
    expect(event).toMatchObject({
      requestId: lastSimulatorId(),
      endpoint: '/embeddings',
      statusCode: 200,
      errorType: 'invalid_json',
    });
    await expectNextCallWorks();
  });

  it('surfaces a malformed event stream as a SyntaxError and records invalid_json', async () => {
    const stream = await client().responses.create(
      { model: 'gpt-5.1', input: 'x', stream: true },
      withFault('malformed'),
    );
    await expect(consume(stream)).rejects.toBeInstanceOf(SyntaxError);
    const event = await newestEvent();
    expect(event).toMatchObject({
      requestId: lastSimulatorId(),
      endpoint: '/responses',
      stream: true,
      statusCode: 200,
      errorType: 'invalid_json',
    });
    await expectNextCallWorks();
  });

  it('surfaces a stream cut short as a terminated TypeError and records stream_broken', async () => {
    const stream = await client().chat.completions.create(
      {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'a long answer please' }],
        stream: true,
      },
      withFault('cut-stream=2'),
    );
    const consumed = consume(stream);
    await expect(consumed).rejects.toBeInstanceOf(TypeError);
    await expect(consumed).rejects.toThrow(/terminated/);
    const event = await newestEvent();
    expect(event).toMatchObject({
      requestId: lastSimulatorId(),
      endpoint: '/chat/completions',
      stream: true,
      statusCode: 200,
      errorType: 'stream_broken',
    });
    expect(event.errorMessage).toMatch(/terminated/);
    await expectNextCallWorks();
  });

  it('surfaces a dropped connection as APIConnectionError and records connection_error', async () => {
    const call = client().embeddings.create(
      { model: 'text-embedding-3-small', input: 'x' },
      withFault('drop'),
    );
    await expect(call).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    const event = await newestEvent();
    expect(event).toMatchObject({
      endpoint: '/embeddings',
      statusCode: null,
      statusClass: 'error',
      errorType: 'connection_error',
    });
    expect(event.requestId).toMatch(/^local_/);
    expect(event.metadata.tags).toContain('status:error');
    await expectNextCallWorks();
  });
});
