import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  realtimeSocketOptions,
  startSimulator,
  type Simulator,
} from '../../src/simulator/index.js';
import { clientFor, journalEntry } from './helpers.js';

const fault = (spec: string) => ({ headers: { 'x-simulator-fault': spec } });
const embedding = { model: 'text-embedding-3-small', input: 'fault me' };
const chat = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'Stream a long answer about ledgers.' }],
};

describe('simulator: faults', () => {
  let sim: Simulator;
  let client: OpenAI;

  beforeAll(async () => {
    sim = await startSimulator({
      faults: [{ path: '/v1/models/o3', fault: { status: 500 } }],
    });
    client = clientFor(sim);
  });
  afterEach(() => sim.clearFaults());
  afterAll(() => sim.close());

  it('applies configured rules, counting down times', async () => {
    await expect(client.models.retrieve('o3')).rejects.toMatchObject({
      status: 500,
      type: 'server_error',
      code: 'server_error',
    });
    await expect(client.models.retrieve('o3')).rejects.toBeInstanceOf(OpenAI.InternalServerError);

    sim.injectFault({ method: 'post', path: /embeddings$/, times: 2, fault: { status: 503 } });
    await expect(client.embeddings.create(embedding)).rejects.toMatchObject({ status: 503 });
    await expect(client.embeddings.create(embedding)).rejects.toMatchObject({ status: 503 });
    const recovered = await client.embeddings.create(embedding);
    expect(recovered.data).toHaveLength(1);
  });

  it('answers a status fault from the header with a realistic 429', async () => {
    const error: unknown = await client.embeddings
      .create(embedding, fault('status=429'))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
  });

  it('delays the response by the latency fault', async () => {
    const startedAt = Date.now();
    const { response } = await client.models.list(fault('latency=150')).withResponse();
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(145);
    expect(Number(response.headers.get('openai-processing-ms'))).toBeGreaterThanOrEqual(145);
  });

  it('combines faults: latency then status', async () => {
    const startedAt = Date.now();
    await expect(client.models.list(fault('status=502;latency=60'))).rejects.toMatchObject({
      status: 502,
    });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(55);
  });

  it('sends malformed JSON the SDK cannot parse, and garbage SSE for streams', async () => {
    await expect(client.embeddings.create(embedding, fault('malformed'))).rejects.toBeInstanceOf(
      SyntaxError,
    );

    // The SDK logs the unparsable event before throwing; keep test output clean.
    const quiet = new OpenAI({ apiKey: client.apiKey, baseURL: sim.baseURL, logLevel: 'off' });
    const stream = await quiet.chat.completions.create(
      { ...chat, stream: true },
      fault('malformed'),
    );
    const consume = async () => {
      for await (const chunk of stream) expect(chunk).toBeDefined();
    };
    await expect(consume()).rejects.toBeInstanceOf(SyntaxError);
  });

  it('cuts a response stream after the given number of events', async () => {
    const stream = await client.responses.create(
      { model: 'gpt-4o', input: 'Cut me off.', stream: true },
      fault('cut-stream=3'),
    );
    const types: string[] = [];
    const consume = async () => {
      for await (const event of stream) types.push(event.type);
    };

    await expect(consume()).rejects.toThrow();
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
    ]);
  });

  it('cuts a chat stream after two events by default, before [DONE]', async () => {
    sim.injectFault({ path: '/v1/chat/completions', fault: { cutStream: true } });
    const stream = await client.chat.completions.create({ ...chat, stream: true });
    let chunks = 0;
    const consume = async () => {
      for await (const chunk of stream) chunks += chunk.choices.length;
    };

    await expect(consume()).rejects.toThrow();
    expect(chunks).toBe(2);
  });

  it('drops the connection without a response', async () => {
    const before = sim.requests.length;
    await expect(client.models.list(fault('drop'))).rejects.toBeInstanceOf(
      OpenAI.APIConnectionError,
    );
    expect(sim.requests.slice(before)).toMatchObject([{ path: '/v1/models', statusCode: 0 }]);
  });

  it('rejects an unknown fault name with a 400 listing the valid ones', async () => {
    const error: unknown = await client.models
      .list(fault('explode'))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const message = (error as Error).message;
    expect(message).toContain('explode');
    expect(message).toContain('cut-stream');
    expect(message).toContain('malformed');
  });

  it('faults a realtime session: a status before upgrading, a cut after events', async () => {
    const refused = new OpenAIRealtimeWS(
      {
        model: 'gpt-realtime',
        options: { ...realtimeSocketOptions(sim), headers: { 'x-simulator-fault': 'status=503' } },
      },
      client,
    );
    const refusal = await new Promise<string>((resolve) =>
      refused.on('error', (e) => resolve(e.message)),
    );
    expect(refusal).toContain('503');

    const cut = new OpenAIRealtimeWS(
      {
        model: 'gpt-realtime',
        options: {
          ...realtimeSocketOptions(sim),
          headers: { 'x-simulator-fault': 'cut-stream=1' },
        },
      },
      client,
    );
    const received: string[] = [];
    cut.on('event', (event) => received.push(event.type));
    const code = await new Promise<number>((resolve) => cut.socket.once('close', resolve));
    expect(received).toEqual(['session.created']);
    expect(code).toBe(1006);
  });

  it('journals faulted requests with the status they received', async () => {
    const error = (await client.models
      .list(fault('status=503'))
      .catch((caught: unknown) => caught)) as InstanceType<typeof OpenAI.APIError>;
    expect(journalEntry(sim, error.requestID).statusCode).toBe(503);
  });
});
