import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';

import {
  configureOpenAIEvents,
  flushOpenAIEvents,
  getOpenAIEventStats,
  shutdownOpenAIEvents,
  shutdownOpenAIEventsForExit,
} from '../../src/events/runtime.js';
import {
  getOpenAIClientForWorkload,
  withOpenAIClientForWorkload,
} from '../../src/openai/client.js';
import { createPostgresStore } from '../../src/stores/postgres-store.js';
import type { DebugEventRow } from '../../src/stores/types.js';
import { readSpool } from '../faults/fault-support.js';
import { DEFAULT_KEY, PROD_KEY, startHarness, type Harness } from '../support/pipeline.js';
import { closedPort } from '../support/ports.js';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});

afterAll(async () => {
  await harness.close();
});

beforeEach(async () => {
  await shutdownOpenAIEvents();
  harness.startRecording();
});

function financeClient(options: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) {
  return getOpenAIClientForWorkload('finance-prod', {
    env: harness.env,
    maxRetries: 0,
    ...options,
  });
}

async function eventFor(requestId: string | null | undefined): Promise<DebugEventRow> {
  await flushOpenAIEvents();
  const rows = await harness.reader.queryEvents({ requestId: requestId ?? 'missing' });
  expect(rows).toHaveLength(1);
  return rows[0] as DebugEventRow;
}

async function newestEvents(count: number): Promise<DebugEventRow[]> {
  await flushOpenAIEvents();
  return harness.reader.queryEvents({ limit: count });
}

describe('recorded fields and tags', () => {
  it('records an embedding call with merged finance tags, quota tag and usage', async () => {
    const result = await financeClient().embeddings.create({
      model: 'text-embedding-3-small',
      input: 'reconcile invoice 42',
    });
    const event = await eventFor(result._request_id);

    expect(event).toMatchObject({
      attempt: 1,
      endpoint: '/embeddings',
      method: 'POST',
      model: 'text-embedding-3-small',
      statusCode: 200,
      statusClass: '2xx',
      organization: 'org-finance',
      workload: 'finance-prod',
      stream: false,
      inputTokens: result.usage.prompt_tokens,
    });
    expect(event.metadata.tags).toEqual([
      'service:rag',
      'env:prod',
      'team:ledger',
      'workload:finance-prod',
      'endpoint:/embeddings',
      'model:text-embedding-3-small',
      'org:org-finance',
      'status:2xx',
      'quota:finance-emea',
    ]);
    expect(event.metadata.quota_tag).toBe('finance-emea');
    expect(event.metadata.key_fingerprint).toBe('sk-…prod');
    expect(event.latencyMs).toBeGreaterThan(0);
    expect(event.durationMs).toBeGreaterThanOrEqual(event.latencyMs ?? 0);
    expect(event.processingMs).not.toBeNull();
    expect(event.metadata.ratelimit?.['remaining-requests']).toMatch(/^\d+$/);
  });

  it('adds per-call tags and quota tag from withOpenAIClientForWorkload', async () => {
    const previous = process.env;
    process.env = { ...previous, ...harness.env };
    try {
      const result = await withOpenAIClientForWorkload(
        'finance-prod',
        (openai) => openai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }),
        { tags: { feature: 'close-books', env: 'canary' }, quotaTag: 'finance-apac' },
      );
      const event = await eventFor(result._request_id);
      expect(event.metadata.tags).toEqual([
        'service:rag',
        'env:canary',
        'team:ledger',
        'workload:finance-prod',
        'feature:close-books',
        'endpoint:/embeddings',
        'model:text-embedding-3-small',
        'org:org-finance',
        'status:2xx',
        'quota:finance-apac',
      ]);
      expect(event.metadata.quota_tag).toBe('finance-apac');
    } finally {
      process.env = previous;
    }
  });

  it('records a response and its token usage', async () => {
    const response = await financeClient().responses.create({
      model: 'gpt-5.1',
      input: 'Summarise the ledger',
    });
    const event = await eventFor(response._request_id);
    expect(event).toMatchObject({
      endpoint: '/responses',
      model: 'gpt-5.1',
      inputTokens: response.usage?.input_tokens,
      outputTokens: response.usage?.output_tokens,
      cachedTokens: response.usage?.input_tokens_details.cached_tokens,
      reasoningTokens: response.usage?.output_tokens_details.reasoning_tokens,
    });
  });

  it('records a streamed response when the stream ends, with time to first chunk', async () => {
    const stream = await financeClient().responses.create({
      model: 'gpt-5.1',
      input: 'Stream the ledger',
      stream: true,
    });
    let usage: OpenAI.Responses.ResponseUsage | undefined;
    for await (const event of stream) {
      if (event.type === 'response.completed') usage = event.response.usage;
    }
    const [event] = await newestEvents(1);
    expect(event).toMatchObject({ endpoint: '/responses', stream: true });
    expect(event?.inputTokens).toBe(usage?.input_tokens);
    expect(event?.outputTokens).toBe(usage?.output_tokens);
    expect(event?.firstChunkMs).toBeGreaterThan(0);
    expect(event?.durationMs).toBeGreaterThanOrEqual(event?.firstChunkMs ?? 0);
  });

  it('asks chat streams for usage without showing the caller the extra chunk', async () => {
    const params = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user' as const, content: 'Count the invoices' }],
      stream: true as const,
    };
    const bare = new OpenAI({ apiKey: PROD_KEY, baseURL: harness.sim.baseURL, maxRetries: 0 });
    const bareChunks = [];
    for await (const chunk of await bare.chat.completions.create(params)) bareChunks.push(chunk);

    const chunks = [];
    for await (const chunk of await financeClient().chat.completions.create(params)) {
      chunks.push(chunk);
    }
    expect(chunks.map((chunk) => chunk.choices.length)).toEqual(
      bareChunks.map((chunk) => chunk.choices.length),
    );
    expect(chunks.every((chunk) => chunk.usage == null)).toBe(true);
    // The request asked for usage; the caller's parameters were left as they were.
    expect(harness.sim.requests.at(-1)?.body).toMatchObject({
      stream_options: { include_usage: true },
    });
    expect(params).not.toHaveProperty('stream_options');

    const [event] = await newestEvents(1);
    expect(event?.endpoint).toBe('/chat/completions');
    expect(event?.inputTokens).toBeGreaterThan(0);
    expect(event?.outputTokens).toBeGreaterThan(0);
  });

  it('asks again and hides again when the SDK retries a chat stream', async () => {
    harness.sim.injectFault({ path: '/v1/chat/completions', times: 1, fault: { status: 503 } });
    const stream = await financeClient({ maxRetries: 1 }).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Count the refunds' }],
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.every((chunk) => chunk.choices.length > 0)).toBe(true);
    const bodies = harness.sim.requests.slice(-2).map((request) => request.body);
    for (const body of bodies) {
      expect(body).toMatchObject({ stream_options: { include_usage: true } });
    }
    const events = (await newestEvents(2)).reverse();
    expect(events.map((event) => [event.attempt, event.statusCode])).toEqual([
      [1, 503],
      [2, 200],
    ]);
    expect(events[1]?.outputTokens).toBeGreaterThan(0);
  });

  it('sends a chat stream as the caller wrote it when the caller declined usage', async () => {
    const stream = await financeClient().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Count the credits' }],
      stream: true,
      stream_options: { include_usage: false },
    });
    for await (const chunk of stream) expect(chunk.choices.length).toBeGreaterThan(0);
    expect(harness.sim.requests.at(-1)?.body).toMatchObject({
      stream_options: { include_usage: false },
    });
    const [event] = await newestEvents(1);
    expect(event?.outputTokens).toBeNull();
  });

  it('asks for nothing when recording is off', async () => {
    const openai = getOpenAIClientForWorkload('finance-prod', {
      env: { ...harness.env, OPENAI_DEBUG_LOGGING: 'false' },
      maxRetries: 0,
    });
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Count the debits' }],
      stream: true,
    });
    for await (const chunk of stream) void chunk;
    expect(harness.sim.requests.at(-1)?.body).not.toHaveProperty('stream_options');
  });

  it("hides usage in a copy when the caller's fetch hands out the same bytes again", async () => {
    // A test double of the caller's: every chat stream is the same recorded bytes.
    const recorded = new TextEncoder().encode(
      'data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-mini",' +
        '"choices":[{"index":0,"delta":{"content":"4"}}],"usage":null}\n\n' +
        'data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-mini",' +
        '"choices":[],"usage":{"prompt_tokens":11,"completion_tokens":1}}\n\n' +
        'data: [DONE]\n\n',
    );
    const original = recorded.slice();
    let served = 0;
    const replay = () => {
      served += 1;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(recorded);
          controller.close();
        },
      });
      const headers = {
        'content-type': 'text/event-stream',
        'x-request-id': `req_replay_${served}`,
      };
      return Promise.resolve(new Response(body, { headers }));
    };
    const openai = financeClient({ fetch: replay });
    for (const call of [1, 2]) {
      const stream = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `Count the invoices, call ${call}` }],
        stream: true,
      });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.map((chunk) => chunk.choices.length)).toEqual([1]);
    }
    expect(recorded).toEqual(original);
    for (const requestId of ['req_replay_1', 'req_replay_2']) {
      expect(await eventFor(requestId)).toMatchObject({ inputTokens: 11, outputTokens: 1 });
    }
  });

  it('leaves the usage chunk in place when the caller asked for it', async () => {
    const chunks = [];
    const stream = await financeClient().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Count the receipts' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) chunks.push(chunk);
    const usage = chunks.at(-1)?.usage;
    expect(usage?.prompt_tokens).toBeGreaterThan(0);
    const [event] = await newestEvents(1);
    expect(event?.inputTokens).toBe(usage?.prompt_tokens);
  });
});

describe('endpoint families', () => {
  it('records speech, transcription, images, files and models with path templates', async () => {
    const openai = financeClient();
    const speech = await openai.audio.speech.create({
      model: 'gpt-4o-mini-tts',
      voice: 'alloy',
      input: 'Quarter closed',
      response_format: 'wav',
    });
    const audio = Buffer.from(await speech.arrayBuffer());
    await openai.audio.transcriptions.create({
      model: 'gpt-4o-transcribe',
      file: await toFile(audio, 'close.wav', { type: 'audio/wav' }),
    });
    await openai.images.generate({ model: 'gpt-image-1', prompt: 'a ledger' });
    const file = await openai.files.create({
      file: await toFile(Buffer.from('{"a":1}\n'), 'rows.jsonl'),
      purpose: 'batch',
    });
    await openai.files.retrieve(file.id);
    await openai.models.retrieve('gpt-4o-mini');

    const events = (await newestEvents(6)).reverse();
    expect(events.map((event) => [event.method, event.endpoint, event.model])).toEqual([
      ['POST', '/audio/speech', 'gpt-4o-mini-tts'],
      ['POST', '/audio/transcriptions', 'gpt-4o-transcribe'],
      ['POST', '/images/generations', 'gpt-image-1'],
      ['POST', '/files', null],
      ['GET', '/files/{id}', null],
      ['GET', '/models/{model}', 'gpt-4o-mini'],
    ]);
    expect(events.every((event) => event.statusCode === 200)).toBe(true);
  });

  it('records videos, realtime client secrets and ChatKit sessions', async () => {
    const openai = financeClient();
    const video = await openai.videos.create({ model: 'sora-2', prompt: 'a quarterly close' });
    await openai.videos.retrieve(video.id);
    await openai.realtime.clientSecrets.create({
      session: { type: 'realtime', model: 'gpt-realtime' },
    });
    await openai.beta.chatkit.sessions.create({ user: 'u_1', workflow: { id: 'wf_1' } });

    const events = (await newestEvents(4)).reverse();
    expect(events.map((event) => [event.method, event.endpoint, event.model])).toEqual([
      ['POST', '/videos', 'sora-2'],
      ['GET', '/videos/{id}', 'sora-2'],
      ['POST', '/realtime/client_secrets', 'gpt-realtime'],
      ['POST', '/chatkit/sessions', null],
    ]);
  });
});

describe("a fetch of the caller's", () => {
  /** A fetch that answers through `globalThis.fetch`, as a bare thenable, not a promise. */
  const thenableFetch =
    (fail?: Error) =>
    (input: string | URL | Request, init?: RequestInit): PromiseLike<Response> => ({
      then(onFulfilled, onRejected) {
        const answer = fail === undefined ? globalThis.fetch(input, init) : Promise.reject(fail);
        return answer.then(onFulfilled, onRejected);
      },
    });

  it('is recorded when it answers with a thenable rather than a promise', async () => {
    const openai = financeClient({ fetch: thenableFetch() as unknown as typeof fetch });
    const embedding = await openai.embeddings
      .create({ model: 'text-embedding-3-small', input: 'thenable' })
      .withResponse();
    const event = await eventFor(embedding.response.headers.get('x-request-id'));
    expect(event).toMatchObject({ endpoint: '/embeddings', statusCode: 200 });
    expect(event.inputTokens).toBeGreaterThan(0);

    const failing = financeClient({
      fetch: thenableFetch(new TypeError('fetch failed')) as unknown as typeof fetch,
    });
    await expect(
      failing.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    const [failed] = await newestEvents(1);
    expect(failed).toMatchObject({ endpoint: '/embeddings', statusCode: null });
    expect(failed?.errorType).toBeTruthy();
  });
});

describe('a process that is ending', () => {
  it('spools the calls that end after the exit shutdown, instead of starting afresh', async () => {
    await shutdownOpenAIEvents();
    const spoolDir = mkdtempSync(join(tmpdir(), 'openai-ops-exit-'));
    configureOpenAIEvents({
      env: harness.env,
      openStore: () => Promise.resolve(createPostgresStore({ url: harness.db.url })),
      settings: { spoolDir },
      logger: harness.logs.logger,
    });
    try {
      const openai = financeClient();
      const before = await openai.embeddings
        .create({ model: 'text-embedding-3-small', input: 'before the signal' })
        .withResponse();
      await shutdownOpenAIEventsForExit();
      const after = await openai.embeddings
        .create({ model: 'text-embedding-3-small', input: 'after the signal' })
        .withResponse();
      // Nothing else will run for this process: the event is on disk once handed on.
      expect(getOpenAIEventStats()).toMatchObject({ recorded: 2, stored: 1, spooled: 1 });
      expect(readSpool(spoolDir).rows.map((row) => row.requestId)).toEqual([
        after.response.headers.get('x-request-id'),
      ]);
      const stored = await harness.reader.queryEvents({
        requestId: before.response.headers.get('x-request-id') ?? 'missing',
      });
      expect(stored).toHaveLength(1);
    } finally {
      await shutdownOpenAIEvents();
      rmSync(spoolDir, { recursive: true, force: true });
    }
  });
});

describe('failures', () => {
  it('records a rejected key as a 4xx with the error code', async () => {
    const openai = financeClient({ apiKey: 'sk-wrong-key-000000000000000000' });
    await expect(
      openai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const [event] = await newestEvents(1);
    expect(event).toMatchObject({ statusCode: 401, statusClass: '4xx' });
    expect(event?.errorType).toBe('invalid_api_key');
    expect(event?.metadata.tags).toContain('status:4xx');
  });

  it('records each retry as its own attempt of one call', async () => {
    const openai = financeClient({ maxRetries: 2 });
    harness.sim.injectFault({ path: '/v1/embeddings', times: 2, fault: { status: 503 } });
    const result = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    const events = (await newestEvents(3)).reverse();
    expect(events.map((event) => [event.attempt, event.statusCode])).toEqual([
      [1, 503],
      [2, 503],
      [3, 200],
    ]);
    expect(events[2]?.requestId).toBe(result._request_id);
    const ids = new Set(events.map((event) => event.metadata.client_request_id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/\S/);
  });

  it('records a refused connection as an error event', async () => {
    const openai = financeClient({ baseURL: `http://127.0.0.1:${await closedPort()}/v1` });
    await expect(
      openai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    const [event] = await newestEvents(1);
    expect(event).toMatchObject({ statusCode: null, statusClass: 'error' });
    expect(event?.errorType).toBe('connection_error');
    expect(event?.errorMessage).toMatch(/ECONNREFUSED/);
    expect(event?.requestId).toMatch(/^local_/);
    expect(event?.metadata.tags).toContain('status:error');
  });

  it('records a timeout and a caller abort differently', async () => {
    const slow = financeClient({ timeout: 100 });
    await expect(
      slow.embeddings.create(
        { model: 'text-embedding-3-small', input: 'x' },
        { headers: { 'x-simulator-fault': 'latency=400' } },
      ),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(
      financeClient().embeddings.create(
        { model: 'text-embedding-3-small', input: 'x' },
        { headers: { 'x-simulator-fault': 'latency=400' }, signal: controller.signal },
      ),
    ).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);

    const events = (await newestEvents(2)).reverse();
    expect(events.map((event) => event.errorType)).toEqual(['timeout', 'aborted']);
  });

  it('records a stream cut short with the usage seen so far', async () => {
    const stream = await financeClient().chat.completions.create(
      {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'a long answer please' }],
        stream: true,
      },
      { headers: { 'x-simulator-fault': 'cut-stream=2' } },
    );
    await expect(async () => {
      for await (const chunk of stream) void chunk;
    }).rejects.toThrow();
    const [event] = await newestEvents(1);
    expect(event).toMatchObject({ statusCode: 200, errorType: 'stream_broken', stream: true });
  });

  it('records a malformed body that the SDK rejects', async () => {
    await expect(
      financeClient().embeddings.create(
        { model: 'text-embedding-3-small', input: 'x' },
        { headers: { 'x-simulator-fault': 'malformed' } },
      ),
    ).rejects.toThrow();
    const [event] = await newestEvents(1);
    expect(event).toMatchObject({ endpoint: '/embeddings', statusCode: 200 });
  });
});

describe('secrets and content', () => {
  it('stores no API key anywhere, with content capture on', async () => {
    await shutdownOpenAIEvents();
    harness.startRecording({}, { OPENAI_DEBUG_CAPTURE_CONTENT: 'true' });
    const env = { ...harness.env, OPENAI_DEBUG_CAPTURE_CONTENT: 'true' };
    const openai = getOpenAIClientForWorkload('finance-prod', { env, maxRetries: 0 });
    await openai.responses.create({ model: 'gpt-5.1', input: `my key is ${PROD_KEY}` });
    await expect(
      getOpenAIClientForWorkload('default', {
        env,
        apiKey: 'sk-bad-key-0000000000000000',
      }).embeddings.create({ model: 'text-embedding-3-small', input: 'x' }),
    ).rejects.toThrow();

    const events = await newestEvents(2);
    const stored = JSON.stringify(await harness.reader.sql('select * from openai_debug_events'));
    for (const secret of [PROD_KEY, DEFAULT_KEY, 'sk-bad-key-0000000000000000']) {
      expect(stored).not.toContain(secret);
      expect(harness.logs.text()).not.toContain(secret);
    }
    expect(events[1]?.metadata.content?.request).toContain('[REDACTED]');
    expect(events[1]?.metadata.content?.response).toMatch(/output/);
  });

  it('writes no API key into spool files while the store is down', async () => {
    await shutdownOpenAIEvents();
    const spoolDir = mkdtempSync(join(tmpdir(), 'openai-ops-canary-'));
    const port = await closedPort();
    const env = { ...harness.env, OPENAI_DEBUG_CAPTURE_CONTENT: 'true' };
    configureOpenAIEvents({
      env,
      openStore: () =>
        Promise.resolve(
          createPostgresStore({
            url: `postgres://postgres@127.0.0.1:${port}/x`,
            connectTimeoutSeconds: 1,
          }),
        ),
      settings: { spoolDir, flushIntervalMs: 10, writeTimeoutMs: 2_000 },
      logger: harness.logs.logger,
    });
    try {
      const openai = getOpenAIClientForWorkload('finance-prod', { env, maxRetries: 0 });
      await openai.responses.create({ model: 'gpt-5.1', input: `the key is ${PROD_KEY}` });
      await openai.embeddings.create({ model: 'text-embedding-3-small', input: PROD_KEY });
      await flushOpenAIEvents();
      const files = readdirSync(spoolDir);
      const spooled = files.map((name) => readFileSync(join(spoolDir, name), 'utf8')).join('');
      expect(spooled.split('\n').filter((line) => line !== '')).toHaveLength(2);
      expect(spooled).not.toContain(PROD_KEY);
      expect(harness.logs.text()).not.toContain(PROD_KEY);
    } finally {
      await shutdownOpenAIEvents();
      rmSync(spoolDir, { recursive: true, force: true });
      harness.startRecording();
    }
  });

  it('captures no content unless asked', async () => {
    const result = await financeClient().embeddings.create({
      model: 'text-embedding-3-small',
      input: 'private words',
    });
    const event = await eventFor(result._request_id);
    expect(event.metadata.content).toBeUndefined();
    expect(JSON.stringify(event)).not.toContain('private words');
  });
});

describe('debug details', () => {
  it('stores the debug payload and its status code', async () => {
    await shutdownOpenAIEvents();
    harness.startRecording({}, { OPENAI_DEBUG_FETCH_DETAILS: 'true' });
    const env = { ...harness.env, OPENAI_DEBUG_FETCH_DETAILS: 'true' };
    const openai = getOpenAIClientForWorkload('finance-prod', { env, maxRetries: 0 });
    const result = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    const event = await eventFor(result._request_id);
    expect(event.debug).toMatchObject({ response: { status_code: 200 } });
    const lookup = harness.sim.requests.find((request) =>
      request.path.endsWith(`/requests/${result._request_id}/debug`),
    );
    expect(lookup?.apiKey).toBe(PROD_KEY);
    expect(lookup?.organization).toBe('org-finance');
  });

  it('logs openai.debug_fetch_failed and keeps the event when the lookup fails', async () => {
    await shutdownOpenAIEvents();
    harness.startRecording({}, { OPENAI_DEBUG_FETCH_DETAILS: 'true' });
    const env = { ...harness.env, OPENAI_DEBUG_FETCH_DETAILS: 'true' };
    harness.sim.injectFault({ path: /\/debug$/, times: 1, fault: { status: 500 } });
    const openai = getOpenAIClientForWorkload('finance-prod', { env, maxRetries: 0 });
    const result = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    const event = await eventFor(result._request_id);
    expect(event.debug).toBeNull();
    const failures = harness.logs.events('openai.debug_fetch_failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ request_id: result._request_id, endpoint: '/embeddings' });
    expect(String(failures[0]?.reason)).toMatch(/HTTP 500/);
  });
});
